//! Calendar dates from cells: the mapping's formats, ISO dates and Excel serial numbers.
//!
//! A date is a calendar date: nothing here knows a time zone, so nothing can move a day.

use chrono::format::{Item, Numeric, Parsed, StrftimeItems};
use chrono::NaiveDate;

use super::text::trim;

/// Date formats as written in the mapping, compiled once.
#[derive(Debug, Clone, Default)]
pub struct DateFormats {
    /// As written; the first is used when writing back.
    pub written: Vec<String>,
    compiled: Vec<Format>,
    /// Day and month come in different orders in different formats: worked out once, as
    /// every date cell asks.
    mixed: bool,
}

#[derive(Debug, Clone)]
enum Format {
    /// Day, month and year as numbers between fixed text: read directly.
    Numeric(Vec<Piece>),
    /// Anything else: read by chrono.
    General(Vec<Item<'static>>),
}

/// A part of a [`Format::Numeric`] format.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Year,
    Month,
    Day,
    Literal(String),
    Space,
}

impl PartialEq for DateFormats {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

impl DateFormats {
    /// Compiles strftime formats; otherwise says what is wrong with each format that is not
    /// valid or does not name a year, a month and a day.
    pub fn new(written: Vec<String>) -> Result<DateFormats, Vec<String>> {
        let mut compiled = Vec::with_capacity(written.len());
        let mut problems = Vec::new();
        for format in &written {
            match StrftimeItems::new(format).parse_to_owned() {
                Err(_) => problems.push(format!(
                    "date format {format:?} is not a valid strftime format"
                )),
                Ok(_) if !names_a_day(format) => problems.push(format!(
                    "date format {format:?} must name a year, a month and a day (such as %d/%m/%Y)"
                )),
                Ok(items) => compiled
                    .push(numeric_pieces(&items).map_or(Format::General(items), Format::Numeric)),
            }
        }
        if problems.is_empty() {
            let first = written.first().and_then(|f| day_first(f));
            let mixed = written
                .iter()
                .skip(1)
                .any(|f| day_first(f).is_some_and(|d| Some(d) != first));
            Ok(DateFormats {
                written,
                compiled,
                mixed,
            })
        } else {
            Err(problems)
        }
    }
}

/// Whether a (valid) strftime format names a year, a month and a day.
fn names_a_day(format: &str) -> bool {
    let has = |codes: &[&str]| codes.iter().any(|c| format.contains(c));
    (has(&["%Y", "%y", "%G"]) && has(&["%m", "%-m", "%b", "%B", "%h"]) && has(&["%d", "%-d", "%e"]))
        || has(&["%F", "%D", "%x"])
}

/// The pieces of a format made of `%Y`, `%m` and `%d` once each, literal text and spaces
/// (`%m/%d/%Y`, `%d.%m.%Y`, `%Y-%m-%d`…), or `None` for any other format.
fn numeric_pieces(items: &[Item]) -> Option<Vec<Piece>> {
    let mut pieces = Vec::with_capacity(items.len());
    for item in items {
        let piece = match item {
            Item::Numeric(Numeric::Year, _) => Piece::Year,
            Item::Numeric(Numeric::Month, _) => Piece::Month,
            Item::Numeric(Numeric::Day, _) => Piece::Day,
            Item::Literal(text) => Piece::Literal(text.to_string()),
            Item::OwnedLiteral(text) => Piece::Literal(text.to_string()),
            Item::Space(_) | Item::OwnedSpace(_) => Piece::Space,
            _ => return None,
        };
        if matches!(piece, Piece::Year | Piece::Month | Piece::Day) && pieces.contains(&piece) {
            return None;
        }
        pieces.push(piece);
    }
    let has = |piece: Piece| pieces.contains(&piece);
    (has(Piece::Year) && has(Piece::Month) && has(Piece::Day)).then_some(pieces)
}

/// Reads text as chrono's parser reads it with the same format (spaces skipped before each
/// number, 1–2 digits for day and month, 1–4 for a year without a sign, all the text used)
/// at a fraction of the cost: this runs on every date cell. A property test holds the two
/// to the same answers.
fn parse_numeric(text: &str, pieces: &[Piece]) -> Option<NaiveDate> {
    let mut rest = text;
    let (mut year, mut month, mut day) = (0, 0, 0);
    for piece in pieces {
        match piece {
            Piece::Literal(literal) => rest = rest.strip_prefix(literal.as_str())?,
            Piece::Space => rest = rest.trim_start(),
            Piece::Year => {
                rest = rest.trim_start();
                (rest, year) = match rest.as_bytes().first() {
                    Some(b'-') => digits(&rest[1..], usize::MAX).map(|(r, v)| (r, -v))?,
                    Some(b'+') => digits(&rest[1..], usize::MAX)?,
                    _ => digits(rest, 4)?,
                };
            }
            Piece::Month => (rest, month) = digits(rest.trim_start(), 2)?,
            Piece::Day => (rest, day) = digits(rest.trim_start(), 2)?,
        }
    }
    if !rest.is_empty() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month as u32, day as u32)
}

/// One to `max` ASCII digits at the start of `text`, and what follows them.
fn digits(text: &str, max: usize) -> Option<(&str, i64)> {
    let (mut value, mut count) = (0i64, 0);
    for b in text.bytes().take(max).take_while(u8::is_ascii_digit) {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        count += 1;
    }
    (count > 0).then(|| (&text[count..], value))
}

impl DateFormats {
    /// Whether the formats put day and month in different orders (`%m/%d/%Y` and
    /// `%d/%m/%Y`): a date read by a later one may be a date the first would read otherwise.
    pub fn mixed_order(&self) -> bool {
        self.mixed
    }

    /// The format (by position) that reads `text`, if one of the mapping's does.
    pub fn matching(&self, text: &str) -> Option<usize> {
        let text = trim(text);
        self.compiled.iter().position(|format| match format {
            Format::Numeric(pieces) => parse_numeric(text, pieces).is_some(),
            Format::General(items) => parse_general(text, items).is_some(),
        })
    }

    /// Whether the format at `index` reads the day before the month; `None` when it does
    /// not say (a month name, an ISO date).
    pub fn day_first_at(&self, index: usize) -> Option<bool> {
        day_first(self.written.get(index)?)
    }
}

/// Whether a format puts `%d` before `%m`.
fn day_first(format: &str) -> Option<bool> {
    let find = |codes: &[&str]| codes.iter().find_map(|c| format.find(c));
    let day = find(&["%d", "%-d", "%e"])?;
    let month = find(&["%m", "%-m"])?;
    Some(day < month)
}

/// A calendar date from text: the given formats, then ISO (with or without a time, whose
/// zone is ignored so the day never moves), then an Excel serial number.
pub fn parse_date(text: &str, formats: &DateFormats) -> Option<NaiveDate> {
    let text = trim(text);
    for format in &formats.compiled {
        let day = match format {
            Format::Numeric(pieces) => parse_numeric(text, pieces),
            Format::General(items) => parse_general(text, items),
        };
        if day.is_some() {
            return day;
        }
    }
    if let Some(day) = text
        .get(..10)
        .and_then(|head| head.parse::<NaiveDate>().ok())
    {
        let tail = &text[10..];
        if tail.is_empty() || tail.starts_with(['T', ' ']) {
            return Some(day);
        }
    }
    let serial: f64 = text.parse().ok()?;
    // 1 = 1900-01-01 … 2958465 = 9999-12-31, as Excel counts.
    if (1.0..2_958_466.0).contains(&serial) {
        return excel_epoch().checked_add_days(chrono::Days::new(serial.floor() as u64));
    }
    None
}

fn parse_general(text: &str, items: &[Item]) -> Option<NaiveDate> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
    parsed.to_naive_date().ok()
}

/// Excel's day 0 for serial dates (1900 system, after its leap-year bug is accounted for).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")
}

/// A date as `YYYY-MM-DD`, written directly: this runs for every date cell, and the
/// formatting machinery costs several times more.
pub fn iso_date(day: NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m, d) = (day.year(), day.month(), day.day());
    if !(0..=9999).contains(&y) {
        return day.to_string();
    }
    let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10];
    let mut out = String::with_capacity(10);
    out.extend(digits.iter().map(|&n| char::from(b'0' + n as u8)));
    for (sep, n) in [('-', m), ('-', d)] {
        out.push(sep);
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    out
}

/// An API date (`YYYY-MM-DD`) in the first of the mapping's formats, for the reverse
/// direction; `None` when the mapping names no format or the text is not such a date.
pub fn format_date(iso: &str, formats: &DateFormats) -> Option<String> {
    let format = formats.written.first()?;
    let day = NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
    Some(day.format(format).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_formats_iso_and_excel_serials_never_shift() {
        let f = DateFormats::new(vec!["%m/%d/%Y".to_string()]).unwrap();
        assert_eq!(
            parse_date("12/30/1934", &f),
            NaiveDate::from_ymd_opt(1934, 12, 30)
        );
        assert_eq!(
            parse_date("1934-12-30T00:00:00-0300", &f),
            NaiveDate::from_ymd_opt(1934, 12, 30)
        );
        assert_eq!(
            parse_date("1934-12-30T23:59:59+1400", &f),
            NaiveDate::from_ymd_opt(1934, 12, 30)
        );
        assert_eq!(parse_date("45292", &f), NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(
            parse_date("02/30/2024", &f),
            None,
            "February 30th does not exist"
        );
        assert_eq!(parse_date("soon", &f), None);
    }

    #[test]
    fn iso_dates_are_written_as_chrono_writes_them() {
        for (y, m, d) in [
            (1934, 12, 30),
            (5, 1, 2),
            (2024, 2, 29),
            (9999, 12, 31),
            (10000, 1, 1),
        ] {
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(day), day.to_string());
        }
    }

    #[test]
    fn only_day_month_year_formats_are_read_directly() {
        let pieces = |f: &str| numeric_pieces(&StrftimeItems::new(f).parse_to_owned().unwrap());
        assert_eq!(
            pieces("%m/%d/%Y"),
            Some(vec![
                Piece::Month,
                Piece::Literal("/".into()),
                Piece::Day,
                Piece::Literal("/".into()),
                Piece::Year
            ])
        );
        assert!(pieces("%d. %m %Y").is_some());
        for general in [
            "%d/%m/%y",
            "%d %b %Y",
            "%Y-%m-%d %H:%M",
            "%d/%m",
            "%d/%d/%Y",
        ] {
            assert_eq!(pieces(general), None, "{general}");
        }
    }

    const FORMATS: &[&str] = &[
        "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y%m%d", "%d %m %Y", "%e/%m/%Y", "%d-%m-%Y",
    ];

    proptest::proptest! {
        #[test]
        fn the_direct_reading_agrees_with_chrono(
            format in proptest::sample::select(FORMATS),
            text in "[ 0-9/.+\\-]{0,12}",
            year in -20i64..10_020,
            month in 0u32..14,
            day in 0u32..33,
            pad in proptest::bool::ANY,
            spaces in 0usize..2,
            literal in proptest::sample::select(&["", "/", ".", "-", " "][..]),
            keep_literals in proptest::bool::weighted(0.8),
        ) {
            let items = StrftimeItems::new(format).parse_to_owned().unwrap();
            let pieces = numeric_pieces(&items).unwrap();
            // Mostly the format's own shape, with its numbers padded or not, a space before
            // them or not, and now and then other text between them.
            let lead = " ".repeat(spaces);
            let shaped: String = pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Year if pad => format!("{lead}{year:04}"),
                    Piece::Year => format!("{lead}{year}"),
                    Piece::Month if pad => format!("{lead}{month:02}"),
                    Piece::Month => format!("{lead}{month}"),
                    Piece::Day if pad => format!("{lead}{day:02}"),
                    Piece::Day => format!("{lead}{day}"),
                    Piece::Literal(text) if keep_literals => text.clone(),
                    Piece::Literal(_) => literal.to_string(),
                    Piece::Space => lead.clone(),
                })
                .collect();
            for text in [text, shaped] {
                proptest::prop_assert_eq!(
                    parse_numeric(&text, &pieces),
                    parse_general(&text, &items),
                    "{:?} as {}", text, format
                );
            }
        }
    }
}
