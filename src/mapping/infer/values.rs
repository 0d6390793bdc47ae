//! Guesses from a column's values: the sampled cells of one column, and what they fit
//! (dates and their layouts, a small set of codes, yes/no words, emails, phones, lists).
//! Each guess carries the line of evidence the mapping prints beside it.

use std::collections::BTreeMap;

use crate::mapping::date::{parse_date, DateFormats};
use crate::mapping::email::check_email;
use crate::mapping::words::{match_code, parse_bool};

/// The non-blank sampled cells of one column, trimmed.
pub struct Values<'a>(pub Vec<&'a str>);

/// A share of a count, as the comments print it: `61%`.
fn percent(part: usize, whole: usize) -> String {
    format!("{}%", (part * 100 + whole / 2) / whole.max(1))
}

/// `1 value`, `1,000 values`.
pub fn values_seen(n: usize) -> String {
    if n == 1 {
        "1 value".into()
    } else {
        format!("{} values", count(n))
    }
}

/// A count with thousands separators: `1,000`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a column of codes needs.
pub struct Codes {
    /// The file's spellings the converter does not know, and their codes.
    pub map: Vec<(String, String)>,
    /// Values that fit no code (errors to report).
    pub unknown: Vec<String>,
    pub evidence: String,
}

/// Day-first or month-first, when the values alone do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    MonthFirst,
    DayFirst,
}

/// What a column of dates needs: the formats that read its values, in a stable order.
#[derive(Debug, Clone, PartialEq)]
pub struct DateGuess {
    pub formats: Vec<String>,
    /// `# 1,000 values: 61% %m/%d/%Y, 22% %Y-%m-%d, 17% %d.%m.%Y`
    pub evidence: String,
    /// Set when both orders fit every value and a hint chose: what to say about it.
    pub undecided: Option<String>,
    /// The order the values proved, if they did (for the file's other date columns).
    pub proved: Option<DayOrder>,
    /// The share of values that are dates in one of the layouts.
    pub share: f64,
}

/// Layouts with a day and a month that only the values' size can tell apart:
/// (month-first, day-first).
const ORDERED: &[(&str, &str)] = &[
    ("%m/%d/%Y", "%d/%m/%Y"),
    ("%m-%d-%Y", "%d-%m-%Y"),
    ("%m/%d/%y", "%d/%m/%y"),
];
/// Layouts whose order is their convention.
const FIXED: &[&str] = &["%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d", "%Y.%m.%d"];

impl Values<'_> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn share(&self, test: impl Fn(&str) -> bool) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.iter().filter(|v| test(v)).count() as f64 / self.0.len() as f64
    }

    /// Mostly email addresses (a few bad cells allowed: they are errors to report).
    pub fn emails(&self) -> Option<String> {
        let share = self.share(|v| v.contains('@'));
        (self.len() > 0 && share >= 0.9).then(|| {
            let valid = self.0.iter().filter(|v| check_email(v).is_ok()).count();
            format!(
                "# {}: {} email addresses",
                values_seen(self.len()),
                percent(valid, self.len())
            )
        })
    }

    /// Mostly phone numbers: 7 to 15 digits and phone punctuation.
    pub fn phones(&self) -> Option<String> {
        let phone = |v: &str| {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            (7..=15).contains(&digits)
                && v.chars()
                    .all(|c| c.is_ascii_digit() || " +()-./x".contains(c))
                // An ISO date or a plain number is not a phone.
                && !(v.len() == 10 && v.as_bytes()[4] == b'-')
        };
        let share = self.share(phone);
        (self.len() > 0 && share >= 0.9).then(|| {
            format!(
                "# {}: {} phone numbers",
                values_seen(self.len()),
                percent((share * self.len() as f64).round() as usize, self.len())
            )
        })
    }

    /// The date layouts of a column, when nine in ten of its values are dates. `hint`
    /// decides day-first versus month-first when no value does.
    pub fn dates(&self, hint: DayOrder) -> Option<DateGuess> {
        if self.0.is_empty() {
            return None;
        }
        let compiled = |f: &str| DateFormats::new(vec![f.to_string()]).expect("known formats");
        // A time after the date (`12/31/1985 14:30`) is read with the date's layout plus it.
        let (time_suffix, dates): (Option<&str>, Vec<&str>) = {
            let split: Vec<(&str, Option<&str>)> = self.0.iter().map(|v| split_time(v)).collect();
            let with_seconds = split
                .iter()
                .filter(|(_, t)| t.is_some_and(|t| t.len() == 8))
                .count();
            let with_minutes = split
                .iter()
                .filter(|(_, t)| t.is_some_and(|t| t.len() == 5))
                .count();
            let suffix = if with_seconds > 0 {
                Some(" %H:%M:%S")
            } else if with_minutes > 0 {
                Some(" %H:%M")
            } else {
                None
            };
            (suffix, split.into_iter().map(|(d, _)| d).collect())
        };
        let none = DateFormats::default();
        let mut iso = 0;
        let mut serial = 0;
        let mut fixed: BTreeMap<&str, usize> = BTreeMap::new();
        // Per ordered pair: values only month-first reads, only day-first, either.
        let mut ordered: Vec<[usize; 3]> = vec![[0; 3]; ORDERED.len()];
        let mut unread = 0;
        let pairs: Vec<(DateFormats, DateFormats)> = ORDERED
            .iter()
            .map(|(m, d)| (compiled(m), compiled(d)))
            .collect();
        let singles: Vec<(&str, DateFormats)> = FIXED.iter().map(|f| (*f, compiled(f))).collect();
        for value in &dates {
            if value.len() == 10
                && value.as_bytes()[4] == b'-'
                && parse_date(value, &none).is_some()
            {
                iso += 1;
                continue;
            }
            if value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && value
                    .parse::<f64>()
                    .is_ok_and(|n| (1.0..2_958_466.0).contains(&n))
                && !value.contains('.')
            {
                serial += 1;
                continue;
            }
            // Each layout is tried alone, after ruling out ISO and serials (which every
            // DateFormats also reads).
            let read = |formats: &DateFormats| {
                parse_date(value, formats).is_some() && !value.chars().all(|c| c.is_ascii_digit())
            };
            let mut placed = false;
            for (i, (month_first, day_first)) in pairs.iter().enumerate() {
                match (read(month_first), read(day_first)) {
                    (true, true) => ordered[i][2] += 1,
                    (true, false) => ordered[i][0] += 1,
                    (false, true) => ordered[i][1] += 1,
                    (false, false) => continue,
                }
                placed = true;
                break;
            }
            if !placed {
                match singles.iter().find(|(_, f)| read(f)) {
                    Some((name, _)) => *fixed.entry(name).or_default() += 1,
                    None => unread += 1,
                }
            }
        }
        let read = self.len() - unread;
        if read == 0 {
            return None;
        }
        // The layouts needed, most values first; ISO last (always understood, but named
        // when it is the main layout, so that an export writes it back the same).
        let mut used: Vec<(String, usize)> = Vec::new();
        let mut undecided = None;
        let mut proved = None;
        for (i, (month_first, day_first)) in ORDERED.iter().enumerate() {
            let [m, d, either] = ordered[i];
            if m + d + either == 0 {
                continue;
            }
            let (first, second, first_n, second_n) =
                if m >= d && (m > 0 || hint == DayOrder::MonthFirst) {
                    (month_first, day_first, m + either, d)
                } else {
                    (day_first, month_first, d + either, m)
                };
            if m > 0 && d == 0 {
                proved = Some(DayOrder::MonthFirst);
            } else if d > 0 && m == 0 {
                proved = Some(DayOrder::DayFirst);
            } else if m == 0 && d == 0 {
                undecided = Some(format!(
                    "both {month_first} and {day_first} fit every value (no day above 12); chose {first} from the header's language or the file's other dates: check it"
                ));
            }
            used.push((first.to_string(), first_n));
            if second_n > 0 {
                used.push((second.to_string(), second_n));
            }
        }
        for (name, n) in fixed {
            used.push((name.to_string(), n));
        }
        if iso > 0 {
            used.push(("%Y-%m-%d".to_string(), iso));
        }
        // Most values first (the first layout is the one an export writes back); ties
        // keep the order above, so the same file always gives the same mapping.
        used.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let mut evidence: Vec<String> = used
            .iter()
            .map(|(f, n)| format!("{} {f}", percent(*n, self.len())))
            .collect();
        if serial > 0 {
            evidence.push(format!(
                "{} Excel serial numbers",
                percent(serial, self.len())
            ));
        }
        if unread > 0 {
            evidence.push(format!("{} not dates", count(unread)));
        }
        let mut formats: Vec<String> = used.into_iter().map(|(f, _)| f).collect();
        if formats.is_empty() {
            // Only serial numbers (always understood): written back as ISO dates.
            formats.push("%Y-%m-%d".into());
        }
        if let Some(suffix) = time_suffix {
            let with_time: Vec<String> = formats.iter().map(|f| format!("{f}{suffix}")).collect();
            formats.extend(with_time);
        }
        Some(DateGuess {
            formats,
            evidence: format!("# {}: {}", values_seen(self.len()), evidence.join(", ")),
            undecided,
            proved,
            share: read as f64 / self.len() as f64,
        })
    }

    /// The distinct values (ignoring case) with their counts, most frequent first, when
    /// there are at most `max` of them.
    pub fn few(&self, max: usize) -> Option<Vec<(String, usize)>> {
        let mut seen: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for v in &self.0 {
            let entry = seen
                .entry(v.to_lowercase())
                .or_insert_with(|| (v.to_string(), 0));
            entry.1 += 1;
            if seen.len() > max {
                return None;
            }
        }
        let mut out: Vec<(String, usize)> = seen.into_values().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(out)
    }

    /// `# 1,000 values: Gold 412, Silver 380, Bronze 208`
    pub fn listing(&self, few: &[(String, usize)]) -> String {
        let items: Vec<String> = few
            .iter()
            .map(|(v, n)| format!("{} {}", shown(v), count(*n)))
            .collect();
        format!("# {}: {}", values_seen(self.len()), items.join(", "))
    }

    /// Codes of a fixed set: a value map for the spellings the converter does not know, and
    /// the values that fit no code (errors to report, or a map to add), when at least four
    /// in five values are codes.
    pub fn codes(
        &self,
        codes: &'static [&'static str],
        spellings: &[(&str, &str)],
    ) -> Option<Codes> {
        let few = self.few(12)?;
        let mut map = Vec::new();
        let mut unknown = Vec::new();
        let mut fitting = 0;
        for (value, n) in &few {
            if match_code(value, codes).is_some() {
                fitting += n;
            } else if let Some((_, code)) = spellings
                .iter()
                .find(|(word, _)| word.eq_ignore_ascii_case(value))
            {
                fitting += n;
                map.push((value.clone(), code.to_string()));
            } else {
                unknown.push(value.clone());
            }
        }
        (fitting * 5 >= self.len() * 4).then(|| Codes {
            map,
            unknown,
            evidence: self.listing(&few),
        })
    }

    /// Yes/no words in at least `share` of the values (the rest are errors to report).
    pub fn yes_no(&self, share: f64) -> Option<String> {
        let labels = ["yes".to_string(), "no".to_string()];
        let few = self.few(8)?;
        let words: usize = few
            .iter()
            .filter(|(v, _)| parse_bool(v, &labels).is_some())
            .map(|(_, n)| n)
            .sum();
        (self.len() > 0 && words as f64 >= share * self.len() as f64).then(|| self.listing(&few))
    }

    /// A list in one cell: the delimiter, when a fifth of the values hold several items.
    pub fn list_delimiter(&self) -> Option<(&'static str, String)> {
        for delimiter in [";", "|", ","] {
            let several = self.0.iter().filter(|v| v.contains(delimiter)).count();
            // Commas also sit inside ordinary text: only short items count as a list.
            let short = delimiter != ","
                || self
                    .0
                    .iter()
                    .all(|v| v.split(',').all(|item| item.trim().len() <= 24));
            if short && several * 5 >= self.len() && several > 0 {
                return Some((
                    delimiter,
                    format!(
                        "# {}: {} hold several, split on {delimiter:?}",
                        values_seen(self.len()),
                        percent(several, self.len())
                    ),
                ));
            }
        }
        None
    }
}

/// A value as a comment may show it: on one line, whatever it holds.
pub fn shown(value: &str) -> String {
    if value.chars().any(char::is_control) {
        value.escape_debug().to_string()
    } else {
        value.to_string()
    }
}

/// A date and the time after it, if any (`HH:MM` or `HH:MM:SS`).
fn split_time(value: &str) -> (&str, Option<&str>) {
    match value.rsplit_once(' ') {
        Some((date, time))
            if (time.len() == 5 || time.len() == 8)
                && time.as_bytes()[2] == b':'
                && time.chars().all(|c| c.is_ascii_digit() || c == ':') =>
        {
            (date.trim_end(), Some(time))
        }
        _ => (value, None),
    }
}

/// Gender spellings beyond the converter's own (`m`, `f`, male, female…).
pub const GENDER_WORDS: &[(&str, &str)] = &[
    ("männlich", "m"),
    ("weiblich", "f"),
    ("mann", "m"),
    ("frau", "f"),
    ("homme", "m"),
    ("femme", "f"),
    ("hombre", "m"),
    ("mujer", "f"),
    ("masculino", "m"),
    ("femenino", "f"),
    ("feminino", "f"),
    ("w", "f"),
    ("h", "m"),
    ("mr", "m"),
    ("mrs", "f"),
    ("ms", "f"),
];

/// Marital status spellings.
pub const MARITAL_WORDS: &[(&str, &str)] = &[
    ("verheiratet", "married"),
    ("ledig", "single"),
    ("marié", "married"),
    ("mariée", "married"),
    ("célibataire", "single"),
    ("casado", "married"),
    ("casada", "married"),
    ("soltero", "single"),
    ("soltera", "single"),
    ("solteiro", "single"),
    ("solteira", "single"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(v: &[&'a str]) -> Values<'a> {
        Values(v.to_vec())
    }

    #[test]
    fn three_layouts_in_one_column_each_get_a_format() {
        let mut v = vec!["1985-12-31"; 22];
        v.extend(vec!["12/31/1985"; 61]);
        v.extend(vec!["31.12.1985"; 17]);
        let guess = values(&v).dates(DayOrder::MonthFirst).unwrap();
        assert_eq!(guess.formats, ["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"]);
        assert_eq!(
            guess.evidence,
            "# 100 values: 61% %m/%d/%Y, 22% %Y-%m-%d, 17% %d.%m.%Y"
        );
        assert_eq!(guess.undecided, None);
        assert_eq!(guess.proved, Some(DayOrder::MonthFirst));
    }

    #[test]
    fn a_day_above_12_decides_and_nothing_above_12_defers_to_the_hint() {
        let guess = values(&["05/04/2001", "25/04/2001"])
            .dates(DayOrder::MonthFirst)
            .unwrap();
        assert_eq!(guess.formats, ["%d/%m/%Y"]);
        let guess = values(&["05/04/2001", "01/02/2003"])
            .dates(DayOrder::DayFirst)
            .unwrap();
        assert_eq!(guess.formats, ["%d/%m/%Y"]);
        assert!(guess.undecided.is_some());
        let guess = values(&["05/04/2001", "01/02/2003"])
            .dates(DayOrder::MonthFirst)
            .unwrap();
        assert_eq!(guess.formats, ["%m/%d/%Y"]);
    }

    #[test]
    fn times_serials_and_words() {
        let guess = values(&["12/31/1985 14:30", "01/02/1990 08:00"])
            .dates(DayOrder::MonthFirst)
            .unwrap();
        assert!(
            guess.formats.contains(&"%m/%d/%Y %H:%M".to_string()),
            "{guess:?}"
        );
        let guess = values(&["31045", "32000"])
            .dates(DayOrder::MonthFirst)
            .unwrap();
        assert_eq!(guess.formats, ["%Y-%m-%d"]);
        assert!(guess.evidence.contains("Excel serial"));
        assert!(values(&["Gold", "Silver"])
            .dates(DayOrder::MonthFirst)
            .is_none());
        assert!(values(&["(404) 555-0134"])
            .dates(DayOrder::MonthFirst)
            .is_none());
    }

    #[test]
    fn codes_lists_and_kinds_of_values() {
        let codes = values(&["m", "weiblich", "F", "m", "?"])
            .codes(&["m", "f"], GENDER_WORDS)
            .unwrap();
        assert_eq!(codes.map, [("weiblich".to_string(), "f".to_string())]);
        assert_eq!(codes.unknown, ["?"]);
        assert!(values(&["m", "robot"])
            .codes(&["m", "f"], GENDER_WORDS)
            .is_none());
        assert!(values(&["yes", "No", "x"]).yes_no(1.0).is_some());
        assert!(values(&["yes", "No", "maybe"]).yes_no(1.0).is_none());
        assert!(values(&["yes", "No", "no", "no", "maybe"])
            .yes_no(0.8)
            .is_some());
        assert_eq!(values(&["a; b", "c"]).list_delimiter().unwrap().0, ";");
        assert!(values(&["a@b.com", "c@d.de"]).emails().is_some());
        assert!(values(&["+1 404 555 0134", "(404) 555-0134"])
            .phones()
            .is_some());
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
