//! One value's journey from cells to the API and back.
//!
//! A [`ValueRule`] reads its source (a column, a constant or a template over columns), cleans
//! it (trim, value map, case) and converts it to what the target field takes (a date, a
//! boolean, an enum code, an email, a phone). Each step has an inverse in [`ValueRule::write`],
//! so the same rule turns an exported record back into the same cells.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::date::{iso_date, parse_date, DateFormats};

use crate::schema::ScalarValue;

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Column(usize),
    Constant(String),
    Template(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Column(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneLayout {
    Keep,
    Digits,
    Us,
}

/// What the target takes, and so how a cleaned value is converted and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Convert {
    Text,
    /// Formats tried in order; the first one writes back.
    Date(DateFormats),
    /// Labels written back for true and false.
    Bool([String; 2]),
    /// One of these codes, matched ignoring case (and a few well-known synonyms).
    Enum(&'static [&'static str]),
    Email,
    Phone(PhoneLayout),
}

/// A value that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueIssue {
    pub column: Option<usize>,
    pub value: String,
    pub rule: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueRule {
    /// The target, as findings name it: `first_name`, `spouse.date_of_birth`, `emails.email`.
    pub target: String,
    pub source: Source,
    pub default: Option<String>,
    pub trim: bool,
    pub case: Option<Case>,
    /// Value map entries as written: (from, to); matched ignoring case.
    pub map: Vec<(String, String)>,
    pub convert: Convert,
}

impl ValueRule {
    pub fn column(target: impl Into<String>, index: usize, convert: Convert) -> ValueRule {
        ValueRule {
            target: target.into(),
            source: Source::Column(index),
            default: None,
            trim: true,
            case: None,
            map: Vec::new(),
            convert,
        }
    }

    /// The column a finding about this value should point at.
    pub fn primary_column(&self) -> Option<usize> {
        match &self.source {
            Source::Column(i) => Some(*i),
            Source::Template(parts) => parts.iter().find_map(|p| match p {
                Part::Column(i) => Some(*i),
                Part::Text(_) => None,
            }),
            Source::Constant(_) => None,
        }
    }

    /// True when the value comes from the row's cells, not a constant.
    pub fn reads_cells(&self) -> bool {
        !matches!(self.source, Source::Constant(_))
    }

    /// Every column this rule reads.
    pub fn columns(&self) -> Vec<usize> {
        match &self.source {
            Source::Column(i) => vec![*i],
            Source::Template(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Column(i) => Some(*i),
                    Part::Text(_) => None,
                })
                .collect(),
            Source::Constant(_) => Vec::new(),
        }
    }

    /// The cleaned text of this value in a row, or `None` when blank and without default.
    /// Borrows the cell when no cleaning step changes it.
    pub fn read_text<'c, C: Cells + ?Sized>(&self, cells: &'c C) -> Option<Cow<'c, str>> {
        // Most rules take a column as it is, trimmed: that case skips the general steps.
        if let Source::Column(i) = self.source {
            if self.trim && self.map.is_empty() && self.case.is_none() {
                let cell = trim(cells.cell(i));
                return if cell.is_empty() {
                    self.default.clone().map(Cow::Owned)
                } else {
                    Some(Cow::Borrowed(cell))
                };
            }
        }
        // Trimming applies to cells, never to a template's own text, so that a filled
        // template splits back into exactly the cells it came from.
        let text: Cow<'c, str> = match &self.source {
            Source::Column(i) => {
                let cell = cells.cell(*i);
                Cow::Borrowed(if self.trim { trim(cell) } else { cell })
            }
            Source::Constant(value) => Cow::Owned(value.clone()),
            Source::Template(parts) => Cow::Owned(fill_template(parts, cells, self.trim)),
        };
        // A trimmed cell needs no second trim; a template or untrimmed cell does.
        let trimmed = self.trim && matches!(self.source, Source::Column(_));
        let blank = if trimmed {
            text.is_empty()
        } else {
            text.trim().is_empty()
        };
        let text = if blank {
            Cow::Owned(self.default.clone()?)
        } else {
            text
        };
        let key = if trimmed { &text[..] } else { trim(&text) };
        let text = match self
            .map
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(key))
        {
            Some((_, to)) => Cow::Owned(to.clone()),
            None => text,
        };
        Some(match self.case {
            None => text,
            Some(Case::Upper) => Cow::Owned(text.to_uppercase()),
            Some(Case::Lower) => Cow::Owned(text.to_lowercase()),
            Some(Case::Title) => Cow::Owned(title_case(&text)),
        })
    }

    /// The value for the API, or `Ok(None)` when blank.
    ///
    /// The issue is boxed so that the common, successful result stays small to move.
    pub fn read<C: Cells + ?Sized>(
        &self,
        cells: &C,
    ) -> Result<Option<ScalarValue>, Box<ValueIssue>> {
        let Some(text) = self.read_text(cells) else {
            return Ok(None);
        };
        let issue = |rule: &'static str, message: String| {
            Box::new(ValueIssue {
                column: self.primary_column(),
                value: text.to_string(),
                rule,
                message,
            })
        };
        Ok(Some(match &self.convert {
            Convert::Text => ScalarValue::Text(text.into_owned()),
            Convert::Date(formats) => match parse_date(&text, formats) {
                Some(day) => ScalarValue::Text(iso_date(day)),
                None => {
                    let tried = if formats.written.is_empty() {
                        "YYYY-MM-DD".to_string()
                    } else {
                        formats.written.join(", ")
                    };
                    return Err(issue("date", format!("{} is not a date that exists in the formats {tried} (nor an Excel date number)", quoted(&text))));
                }
            },
            Convert::Bool(labels) => match parse_bool(&text, labels) {
                Some(b) => ScalarValue::Bool(b),
                None => {
                    return Err(issue(
                        "boolean",
                        format!(
                            "{} is not a yes/no value (yes, no, true, false, 1, 0, y, n, x)",
                            quoted(&text)
                        ),
                    ))
                }
            },
            Convert::Enum(codes) => match match_code(&text, codes) {
                Some(code) => ScalarValue::Text(code.to_string()),
                None => {
                    return Err(issue(
                        "allowed_values",
                        format!("{} is not one of {}", quoted(&text), codes.join(", ")),
                    ))
                }
            },
            Convert::Email => {
                let email = if !text.is_ascii() {
                    to_lowercase(text.trim())
                } else if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    trim(&text).to_ascii_lowercase()
                } else {
                    trim(&text).to_string()
                };
                if let Err(why) = check_email(&email) {
                    return Err(issue(
                        "email_syntax",
                        format!("{} is not an email address: {why}", quoted(&text)),
                    ));
                }
                ScalarValue::Text(email)
            }
            Convert::Phone(PhoneLayout::Keep) => ScalarValue::Text(text.into_owned()),
            Convert::Phone(layout) => ScalarValue::Text(format_phone(&text, *layout)),
        }))
    }

    /// Writes a value back into the cells this rule reads: the inverse of [`ValueRule::read`].
    pub fn write(&self, value: &ScalarValue, cells: &mut [String]) {
        let text = match (&self.convert, value) {
            (Convert::Bool(labels), ScalarValue::Bool(b)) => labels[usize::from(!*b)].clone(),
            (Convert::Date(formats), ScalarValue::Text(text)) => {
                match (
                    formats.written.first(),
                    NaiveDate::parse_from_str(text, "%Y-%m-%d"),
                ) {
                    (Some(format), Ok(day)) => day.format(format).to_string(),
                    _ => text.clone(),
                }
            }
            (_, value) => value.to_cell(),
        };
        let text = match self.map.iter().find(|(_, to)| *to == text) {
            Some((from, _)) => from.clone(),
            None => text,
        };
        match &self.source {
            Source::Column(i) => {
                if let Some(cell) = cells.get_mut(*i) {
                    *cell = text;
                }
            }
            Source::Constant(_) => {}
            Source::Template(parts) => split_template(parts, &text, cells),
        }
    }
}

/// A template with its placeholders filled; blank when every placeholder is blank.
fn fill_template<C: Cells + ?Sized>(parts: &[Part], cells: &C, trim: bool) -> String {
    let mut any = false;
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Column(i) => {
                let cell = cells.cell(*i);
                let cell = if trim { cell.trim() } else { cell };
                any |= !cell.trim().is_empty();
                out.push_str(cell);
            }
        }
    }
    if any {
        out
    } else {
        String::new()
    }
}

/// Splits a filled template back into its columns, at the literal text between placeholders.
fn split_template(parts: &[Part], text: &str, cells: &mut [String]) {
    let mut rest = text;
    let mut pending: Option<usize> = None;
    for part in parts {
        match part {
            Part::Text(literal) => {
                let found = if pending.is_some() {
                    rest.find(literal.as_str())
                } else {
                    rest.strip_prefix(literal.as_str()).map(|_| 0)
                };
                let at = found.unwrap_or(rest.len());
                if let Some(column) = pending.take() {
                    set_cell(cells, column, &rest[..at]);
                }
                rest = rest.get(at + literal.len()..).unwrap_or_default();
            }
            Part::Column(column) => {
                if let Some(previous) = pending.replace(*column) {
                    // Two placeholders with nothing between them: the first takes it all.
                    set_cell(cells, previous, rest);
                    rest = "";
                }
            }
        }
    }
    if let Some(column) = pending {
        set_cell(cells, column, rest);
    }
}

fn set_cell(cells: &mut [String], index: usize, value: &str) {
    if let Some(cell) = cells.get_mut(index) {
        *cell = value.to_string();
    }
}

/// A value quoted in a message, cut to its first 80 characters: a message must stay readable
/// when the cell holds a page of text (the finding's value field keeps it whole).
fn quoted(text: &str) -> String {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
    }
}

/// Capitalizes words typed in one case ("ROBERT", "robert" → "Robert") and leaves words that
/// already mix cases alone, so "McRae" and "DeShawn" survive.
fn title_case(text: &str) -> String {
    if text.is_ascii() {
        return title_case_ascii(text);
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(|c: char| c.is_whitespace() || c == '-' || c == '\'') {
        let letters = word.chars().filter(|c| c.is_alphabetic());
        let mixed =
            letters.clone().any(char::is_uppercase) && letters.clone().any(char::is_lowercase);
        if mixed {
            out.push_str(word);
            continue;
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    out
}

/// [`title_case`] for ASCII text, changed in place word by word: names are mostly ASCII, and
/// the general version's per-character case tables cost several times more.
fn title_case_ascii(text: &str) -> String {
    // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form feed, return, space.
    let breaks = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ' | b'-' | b'\'');
    let mut out = text.to_string();
    let mut start = 0;
    for word in text.as_bytes().split_inclusive(breaks) {
        let end = start + word.len();
        let upper = word.iter().any(u8::is_ascii_uppercase);
        if !(upper && word.iter().any(u8::is_ascii_lowercase)) {
            out[start..start + 1].make_ascii_uppercase();
            if upper {
                out[start + 1..end].make_ascii_lowercase();
            }
        }
        start = end;
    }
    out
}

/// `str::to_lowercase`, converting ASCII bytes directly and looking up the case tables only
/// for the other characters (most of an email address is ASCII even when a name is not).
fn to_lowercase(text: &str) -> String {
    if text.contains('Σ') {
        // Its lowercase depends on where it stands in a word; leave that to the library.
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Anything rules can read cells from by column index: a row, or plain strings in tests.
pub trait Cells {
    /// The cell in a column; blank past the end.
    fn cell(&self, index: usize) -> &str;
}

impl Cells for crate::read::Row {
    fn cell(&self, index: usize) -> &str {
        crate::read::Row::cell(self, index)
    }
}

impl Cells for [String] {
    fn cell(&self, index: usize) -> &str {
        self.get(index).map(String::as_str).unwrap_or_default()
    }
}

impl Cells for Vec<String> {
    fn cell(&self, index: usize) -> &str {
        self.as_slice().cell(index)
    }
}

const TRUE_WORDS: &[&str] = &[
    "yes", "y", "true", "t", "1", "x", "on", "oui", "ja", "si", "sí",
];
const FALSE_WORDS: &[&str] = &["no", "n", "false", "f", "0", "off", "non", "nein"];

/// Compares ignoring case without allocating: ASCII first, full Unicode folding only for
/// text that is not ASCII (the hot path reads millions of cells).
fn same_word(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

fn parse_bool(text: &str, labels: &[String; 2]) -> Option<bool> {
    let t = trim(text);
    // The word lists are checked with one ASCII test for the cell, not one per word.
    let word = |words: &[&str]| {
        if t.is_ascii() {
            words.iter().any(|w| w.eq_ignore_ascii_case(t))
        } else {
            words.iter().any(|w| same_word(t, w))
        }
    };
    if same_word(t, &labels[0]) || word(TRUE_WORDS) {
        Some(true)
    } else if same_word(t, &labels[1]) || word(FALSE_WORDS) {
        Some(false)
    } else {
        None
    }
}

/// Spelled-out forms people write for single-letter codes.
const CODE_SYNONYMS: &[(&str, &str)] = &[
    ("male", "m"),
    ("man", "m"),
    ("female", "f"),
    ("woman", "f"),
    ("work", "W"),
    ("office", "W"),
    ("home", "H"),
    ("mobile", "M"),
    ("cell", "M"),
    ("cellular", "M"),
    ("other", "O"),
    ("fax", "F"),
    ("pager", "P"),
];

fn match_code(text: &str, codes: &'static [&'static str]) -> Option<&'static str> {
    let t = trim(text);
    if let Some(code) = codes.iter().find(|c| c.eq_ignore_ascii_case(t)) {
        return Some(code);
    }
    let (_, synonym) = CODE_SYNONYMS
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(t))?;
    codes.iter().find(|c| *c == synonym).copied()
}

/// `str::trim`, skipping its character-by-character scan when the ends are plain ASCII
/// non-space (the common case, and this runs on every cell).
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

const PLAIN: u8 = 0;

/// Which bytes [`check_email`] must look at: `@`, `.`, white space and control characters,
/// and the bytes of characters that are not ASCII.
const EMAIL_BYTE: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        if b <= 0x20 || b == 0x7f || b >= 0x80 || b == b'@' as usize || b == b'.' as usize {
            table[b] = 1;
        }
        b += 1;
    }
    table
};

/// Why an address is not an email address, if it is not.
///
/// One pass over the bytes notes everything the checks below need (this runs on every email
/// cell); the checks then go in the order a person would fix things.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.len() > 254 {
        return Err("longer than 254 characters");
    }
    let bytes = email.as_bytes();
    let (mut ats, mut at) = (0, 0);
    let mut last_dot = None;
    // Where the first ".." ends and where the last one starts, to tell which side of the @
    // holds one.
    let (mut first_double_dot_end, mut last_double_dot_start) = (None, None);
    let mut non_ascii = false;
    for (i, &b) in bytes.iter().enumerate() {
        // Letters, digits and most punctuation need nothing: one table look-up skips them.
        if EMAIL_BYTE[usize::from(b)] == PLAIN {
            continue;
        }
        match b {
            b'@' => {
                ats += 1;
                at = i;
            }
            b'.' => {
                if i > 0 && bytes[i - 1] == b'.' {
                    first_double_dot_end.get_or_insert(i);
                    last_double_dot_start = Some(i - 1);
                }
                last_dot = Some(i);
            }
            0x80.. => non_ascii = true,
            // ASCII white space and control characters.
            _ => return Err("it contains white space"),
        }
    }
    if non_ascii && email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains white space");
    }
    if ats == 0 {
        return Err("no @");
    }
    if at == 0 {
        return Err("nothing before the @");
    }
    if ats > 1 {
        return Err("more than one @");
    }
    if at > 64 {
        return Err("the part before the @ is longer than 64 characters");
    }
    let domain_has_dot = last_dot.is_some_and(|d| d > at);
    if !domain_has_dot
        || bytes.get(at + 1) == Some(&b'.')
        || bytes.last() == Some(&b'.')
        || last_double_dot_start.is_some_and(|d| d > at)
    {
        return Err("the domain after the @ is not a domain name");
    }
    if bytes[0] == b'.' || bytes[at - 1] == b'.' || first_double_dot_end.is_some_and(|d| d < at) {
        return Err("misplaced dots before the @");
    }
    Ok(())
}

/// A phone number in the requested layout; numbers that do not fit it are kept as written.
pub fn format_phone(text: &str, layout: PhoneLayout) -> String {
    let text = trim(text);
    match layout {
        PhoneLayout::Keep => text.to_string(),
        PhoneLayout::Digits => {
            let mut out = String::with_capacity(text.len());
            if text.starts_with('+') {
                out.push('+');
            }
            out.extend(text.chars().filter(char::is_ascii_digit));
            out
        }
        PhoneLayout::Us => us_phone(text).unwrap_or_else(|| text.to_string()),
    }
}

/// `(404) 657-4938` from ten digits, or eleven with the country code 1, and no letters
/// ("ext"); `None` when the number is not such a number.
fn us_phone(text: &str) -> Option<String> {
    let mut digits = [0u8; 11];
    let mut count = 0;
    for &b in text.as_bytes() {
        if b.is_ascii_digit() {
            *digits.get_mut(count)? = b;
            count += 1;
        } else if b.is_ascii_alphabetic() {
            return None;
        }
    }
    let national = match count {
        11 if digits[0] == b'1' => &digits[1..11],
        10 => &digits[..10],
        _ => return None,
    };
    let mut out = *b"(000) 000-0000";
    out[1..4].copy_from_slice(&national[..3]);
    out[6..9].copy_from_slice(&national[3..6]);
    out[10..].copy_from_slice(&national[6..]);
    Some(String::from_utf8(out.to_vec()).expect("ASCII digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn value_rule_round_trips_through_map_bool_and_date() {
        let mut rule = ValueRule::column("abcd", 0, Convert::Enum(&["A", "B", "C", "D"]));
        rule.map = vec![("Gold".into(), "A".into()), ("Silver".into(), "B".into())];
        let value = rule.read(&cells(&[" gold "])).unwrap().unwrap();
        assert_eq!(value, ScalarValue::Text("A".into()));
        let mut back = cells(&[""]);
        rule.write(&value, &mut back);
        assert_eq!(back, cells(&["Gold"]));
        assert_eq!(
            rule.read(&cells(&["Platinum"])).unwrap_err().rule,
            "allowed_values"
        );

        let rule = ValueRule::column("email_opt_out", 0, Convert::Bool(["Y".into(), "N".into()]));
        assert_eq!(
            rule.read(&cells(&["yes"])).unwrap(),
            Some(ScalarValue::Bool(true))
        );
        let mut back = cells(&[""]);
        rule.write(&ScalarValue::Bool(false), &mut back);
        assert_eq!(back, cells(&["N"]));

        let rule = ValueRule::column(
            "date_of_birth",
            0,
            Convert::Date(DateFormats::new(vec!["%d.%m.%Y".into()]).unwrap()),
        );
        let v = rule.read(&cells(&["30.12.1934"])).unwrap().unwrap();
        assert_eq!(v, ScalarValue::Text("1934-12-30".into()));
        let mut back = cells(&[""]);
        rule.write(&v, &mut back);
        assert_eq!(back, cells(&["30.12.1934"]));
    }

    #[test]
    fn templates_fill_and_split() {
        let parts = vec![
            Part::Column(0),
            Part::Text(" (id ".into()),
            Part::Column(1),
            Part::Text(")".into()),
        ];
        let rule = ValueRule {
            source: Source::Template(parts),
            ..ValueRule::column("comments", 0, Convert::Text)
        };
        let v = rule.read(&cells(&["Met at fair", "77"])).unwrap().unwrap();
        assert_eq!(v, ScalarValue::Text("Met at fair (id 77)".into()));
        let mut back = cells(&["", ""]);
        rule.write(&v, &mut back);
        assert_eq!(back, cells(&["Met at fair", "77"]));
        assert_eq!(
            rule.read(&cells(&["", ""])).unwrap(),
            None,
            "all placeholders blank"
        );
    }

    #[test]
    fn defaults_case_and_blank() {
        let mut rule = ValueRule::column("lead_source", 0, Convert::Text);
        rule.default = Some("import".into());
        rule.case = Some(Case::Title);
        assert_eq!(rule.read_text(&cells(&["  "])), Some("Import".into()));
        assert_eq!(
            rule.read_text(&cells(&["o'neil-smith"])),
            Some("O'Neil-Smith".into())
        );
        rule.default = None;
        assert_eq!(rule.read_text(&cells(&[""])), None);
    }

    #[test]
    fn emails_and_phones() {
        assert!(check_email("ada@example.com").is_ok());
        for bad in [
            "ada", "ada@", "@x.io", "a b@x.io", "a@@x.io", "a@x", "a@x..io", ".a@x.io",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format_phone("404.657.4938", PhoneLayout::Us),
            "(404) 657-4938"
        );
        assert_eq!(
            format_phone("+1 404 657 4938", PhoneLayout::Us),
            "(404) 657-4938"
        );
        assert_eq!(
            format_phone("+44 20 7946 0958", PhoneLayout::Us),
            "+44 20 7946 0958"
        );
        assert_eq!(
            format_phone("+44 20 7946 0958", PhoneLayout::Digits),
            "+442079460958"
        );
    }

    #[test]
    fn fast_trim_matches_the_standard_one() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}x",
            "x\u{2003}",
            "é",
            " é ",
            "ab\tc",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    /// The plain versions the fast paths must agree with.
    mod reference {
        pub fn check_email(email: &str) -> Result<(), &'static str> {
            if email.len() > 254 {
                return Err("longer than 254 characters");
            }
            if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err("it contains white space");
            }
            let ats = email.matches('@').count();
            if ats == 0 {
                return Err("no @");
            }
            let (local, domain) = email.rsplit_once('@').unwrap();
            if local.is_empty() {
                return Err("nothing before the @");
            }
            if ats > 1 {
                return Err("more than one @");
            }
            if local.len() > 64 {
                return Err("the part before the @ is longer than 64 characters");
            }
            if !domain.contains('.')
                || domain.starts_with('.')
                || domain.ends_with('.')
                || domain.contains("..")
            {
                return Err("the domain after the @ is not a domain name");
            }
            if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
                return Err("misplaced dots before the @");
            }
            Ok(())
        }

        pub fn title_case(text: &str) -> String {
            let mut out = String::new();
            for word in text.split_inclusive(|c: char| c.is_whitespace() || c == '-' || c == '\'') {
                let letters = word.chars().filter(|c| c.is_alphabetic());
                let mixed = letters.clone().any(char::is_uppercase)
                    && letters.clone().any(char::is_lowercase);
                if mixed {
                    out.push_str(word);
                } else {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        out.extend(first.to_uppercase());
                        out.extend(chars.flat_map(char::to_lowercase));
                    }
                }
            }
            out
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_email_check_agrees_with_the_plain_one(
            email in "[a.@ A-Z\\x00\\x7f\u{a0}é]{0,12}|[a-z.]{0,70}@[a-z.]{0,8}"
        ) {
            proptest::prop_assert_eq!(check_email(&email), reference::check_email(&email));
        }

        #[test]
        fn fast_case_changes_agree_with_the_library(text in "[aZ \\t\\x0b'\\-.éÉΣß1]{0,12}") {
            proptest::prop_assert_eq!(title_case(&text), reference::title_case(&text));
            let ascii: String = text.chars().filter(char::is_ascii).collect();
            proptest::prop_assert_eq!(title_case(&ascii), reference::title_case(&ascii));
            proptest::prop_assert_eq!(to_lowercase(&text), text.to_lowercase());
        }
    }

    #[test]
    fn long_values_are_cut_in_messages_only() {
        let rule = ValueRule::column("gender", 0, Convert::Enum(&["m", "f"]));
        let long = "x".repeat(500);
        let issue = rule.read(&cells(&[&long])).unwrap_err();
        assert_eq!(issue.value, long);
        assert!(issue
            .message
            .starts_with(&format!("\"{}\"… is not one of", "x".repeat(80))));
        let issue = rule.read(&cells(&["xy"])).unwrap_err();
        assert_eq!(issue.message, "\"xy\" is not one of m, f");
    }

    #[test]
    fn enum_synonyms() {
        assert_eq!(match_code("Female", &["m", "f"]), Some("f"));
        assert_eq!(match_code("cell", crate::schema::PHONE_TYPES), Some("M"));
        assert_eq!(match_code("w", crate::schema::PHONE_TYPES), Some("W"));
    }
}
