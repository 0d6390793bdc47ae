//! One value's journey from cells to the API and back.
//!
//! A [`ValueRule`] reads its source (a column, a constant or a template over columns), cleans
//! it (trim, value map, case) and converts it to what the target field takes (a date, a
//! boolean, an enum code, an email, a phone). Each step has an inverse in [`ValueRule::write`],
//! so the same rule turns an exported record back into the same cells.

use std::borrow::Cow;

use super::date::{format_date, iso_date, parse_date, DateFormats};
use super::email::check_email;
use super::phone::{format_phone, PhoneLayout};
use super::text::{title_case, to_lowercase, trim};
use super::words::{match_code, parse_bool};
use crate::schema::ScalarValue;

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Column(usize),
    Constant(String),
    Template(Vec<Part>),
    /// The `index`-th value (0-based) of a cell holding several, split on `split`: one
    /// family member of a `Children` cell.
    Part {
        column: usize,
        split: String,
        index: usize,
    },
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
    /// Value map entries as written: (from, to); matched ignoring case. A value mapped to
    /// `""` is no value.
    pub map: Vec<(String, String)>,
    pub convert: Convert,
    /// A value that cannot be converted drops the field with a warning instead of
    /// rejecting the row (`on_invalid = "blank"`).
    pub blank_if_invalid: bool,
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
            blank_if_invalid: false,
        }
    }

    /// The column a finding about this value should point at.
    pub fn primary_column(&self) -> Option<usize> {
        match &self.source {
            Source::Column(i) | Source::Part { column: i, .. } => Some(*i),
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
            Source::Column(i) | Source::Part { column: i, .. } => vec![*i],
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
            Source::Part {
                column,
                split,
                index,
            } => Cow::Borrowed(
                cells
                    .cell(*column)
                    .split(split.as_str())
                    .nth(*index)
                    .map_or("", trim),
            ),
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
            // Mapped to blank: the placeholder a product writes for "none" (`Unspecified`).
            Some((_, to)) if to.trim().is_empty() => return None,
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
        self.convert_text(text).map(Some)
    }

    /// Converts cleaned text (from [`ValueRule::read_text`], or one part of a split cell)
    /// to what the target takes.
    pub fn convert_text(&self, text: Cow<'_, str>) -> Result<ScalarValue, Box<ValueIssue>> {
        let issue = |rule: &'static str, message: String| {
            Box::new(ValueIssue {
                column: self.primary_column(),
                value: text.to_string(),
                rule,
                message,
            })
        };
        Ok(match &self.convert {
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
            Convert::Phone(_) if !is_phone_number(&text) => {
                let lower = text.trim().trim_start_matches("* ").to_lowercase();
                let message = if PHONE_TYPE_WORDS.contains(&lower.as_str()) {
                    format!(
                        "{} is not a phone number but a phone's type: map that column as the \
                         phone's type (type = {{ column = … }})",
                        quoted(&text)
                    )
                } else {
                    format!(
                        "{} is not a phone number (fewer than {MIN_PHONE_DIGITS} digits)",
                        quoted(&text)
                    )
                };
                return Err(issue("phone", message));
            }
            Convert::Phone(PhoneLayout::Keep) => ScalarValue::Text(text.into_owned()),
            Convert::Phone(layout) => ScalarValue::Text(format_phone(&text, *layout)),
        })
    }

    /// A date read by a format whose day and month come in another order than the first
    /// format's (`13/1/1987` day-first in a column read `%m/%d/%Y` first): a doubt to warn
    /// about on the cell, since the column's other dates may be read the other way.
    pub fn date_order_doubt<C: Cells + ?Sized>(&self, cells: &C) -> Option<ValueIssue> {
        let Convert::Date(formats) = &self.convert else {
            return None;
        };
        if !formats.mixed_order() {
            return None;
        }
        let text = self.read_text(cells)?;
        let at = formats.matching(&text)?;
        let first = formats.day_first_at(0)?;
        let this = formats.day_first_at(at)?;
        (first != this).then(|| {
            let order = |day_first: bool| {
                if day_first {
                    "day first"
                } else {
                    "month first"
                }
            };
            ValueIssue {
                column: self.primary_column(),
                value: text.to_string(),
                rule: "date_order",
                message: format!(
                    "{} was read {} ({}), while this column's first format reads {} ({}): \
                     check it, and the column's other dates",
                    quoted(&text),
                    order(this),
                    formats.written[at],
                    order(first),
                    formats.written[0]
                ),
            }
        })
    }

    /// A date of birth before 1800 or after today: read, with a warning on its cell (a
    /// typo, or a placeholder such as 0001-01-01).
    pub fn birth_date_doubt(&self, value: &ScalarValue) -> Option<ValueIssue> {
        if !matches!(self.convert, Convert::Date(_)) || !self.target.ends_with("date_of_birth") {
            return None;
        }
        let ScalarValue::Text(day) = value else {
            return None;
        };
        static TODAY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let today = TODAY.get_or_init(|| chrono::Local::now().date_naive().to_string());
        // ISO dates compare as text; a year past 9999 or before 0 is longer or signed.
        let plausible = day.len() == 10 && day.as_str() >= "1800-01-01" && day <= today;
        (!plausible).then(|| ValueIssue {
            column: self.primary_column(),
            value: day.clone(),
            rule: "date_of_birth_range",
            message: format!(
                "{day} as a date of birth is before 1800 or after today ({today}): check it"
            ),
        })
    }

    /// Writes a value back into the cells this rule reads: the inverse of [`ValueRule::read`].
    pub fn write(&self, value: &ScalarValue, cells: &mut [String]) {
        let text = match (&self.convert, value) {
            (Convert::Bool(labels), ScalarValue::Bool(b)) => labels[usize::from(!*b)].clone(),
            (Convert::Date(formats), ScalarValue::Text(text)) => {
                format_date(text, formats).unwrap_or_else(|| text.clone())
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
            Source::Part {
                column,
                split,
                index,
            } => {
                if let Some(cell) = cells.get_mut(*column) {
                    let mut parts: Vec<String> = if cell.is_empty() {
                        Vec::new()
                    } else {
                        cell.split(split.as_str()).map(str::to_string).collect()
                    };
                    if parts.len() <= *index {
                        parts.resize(*index + 1, String::new());
                    }
                    parts[*index] = text;
                    *cell = parts.join(split);
                }
            }
        }
    }
}

/// The fewest digits a phone number has: short codes and extensions alone are not numbers
/// a CRM can call, and a cell with none is a word (often a type, `Mobile`, in the wrong
/// column).
pub const MIN_PHONE_DIGITS: usize = 5;

/// Words products write for a phone's type, which a phone column should never hold.
const PHONE_TYPE_WORDS: &[&str] = &[
    "mobile",
    "cell",
    "cellular",
    "work",
    "home",
    "main",
    "other",
    "fax",
    "home fax",
    "work fax",
    "other fax",
    "pager",
    "work pager",
    "business",
    "business fax",
    "car",
    "assistant",
    "callback",
    "company main",
    "isdn",
    "radio",
    "telex",
    "tty/tdd",
    "iphone",
];

/// Whether text holds enough digits to be a phone number; punctuation, spaces, a leading
/// `+` and an extension (`x12`, `ext. 4`) stay as written.
fn is_phone_number(text: &str) -> bool {
    // Stops at the fifth digit: most numbers are told after their first few characters.
    text.bytes()
        .filter(u8::is_ascii_digit)
        .nth(MIN_PHONE_DIGITS - 1)
        .is_some()
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
}
