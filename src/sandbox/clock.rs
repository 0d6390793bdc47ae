//! Time in the sandbox: timestamps as the API writes them (UTC, offset without a colon) and
//! the date filters of the contact listing.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S+0000";

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Now, as stored and returned: `2026-11-22T15:04:05+0000`.
pub fn now_text() -> String {
    now().format(FORMAT).to_string()
}

pub use crate::clock::unix_now;

fn text(at: NaiveDateTime) -> String {
    at.format(FORMAT).to_string()
}

/// The SQL bounds for a filter such as `updated_gt=2013-05-03`.
///
/// The documents allow "any valid representation of time": `2014-01-01 11:54:01`,
/// `2013-05-03`, `20240101` (the summary's example), `now`, `today`, `yesterday`,
/// `tomorrow`, an ISO timestamp, or a moment relative to now as PHP's `strtotime` reads it
/// (`-1 day`, `+2 hours`, `3 weeks ago`). A bare date names the whole day:
/// `updated=2013-05-03` is that day, `_gt` after it, `_lt` before it, `_gte` and `_lte`
/// include it.
pub fn filter_bounds(value: &str, op: &str) -> Option<Vec<(&'static str, String)>> {
    let v = value.trim();
    let today = now().date_naive();
    let day = match v.to_ascii_lowercase().as_str() {
        "today" => Some(today),
        "yesterday" => today.checked_sub_days(Days::new(1)),
        "tomorrow" => today.checked_add_days(Days::new(1)),
        "now" => None,
        _ => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(v, "%Y%m%d"))
            .ok(),
    };
    if let Some(day) = day {
        let start = text(day.and_hms_opt(0, 0, 0)?);
        let end = text(day.checked_add_days(Days::new(1))?.and_hms_opt(0, 0, 0)?);
        return Some(match op {
            "=" => vec![(">=", start), ("<", end)],
            ">" => vec![(">=", end)],
            ">=" => vec![(">=", start)],
            "<" => vec![("<", start)],
            "<=" => vec![("<", end)],
            _ => return None,
        });
    }
    let at = if v.eq_ignore_ascii_case("now") {
        now().naive_utc()
    } else if let Some(at) = relative(v) {
        at
    } else {
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .or_else(|| crate::schema::parse_timestamp(v).map(|t| t.naive_utc()))
            .or_else(|| DateTime::parse_from_rfc3339(v).ok().map(|t| t.naive_utc()))?
    };
    let op: &'static str = match op {
        "=" => "=",
        ">" => ">",
        ">=" => ">=",
        "<" => "<",
        "<=" => "<=",
        _ => return None,
    };
    Some(vec![(op, text(at))])
}

/// `-1 day`, `+2 hours`, `3 weeks ago`, `1 month`: now moved by that much, as `strtotime`
/// reads such text (a month or a year moves the calendar, not a count of days).
fn relative(text: &str) -> Option<NaiveDateTime> {
    let lower = text.to_ascii_lowercase();
    let (text, ago) = match lower.strip_suffix("ago") {
        Some(rest) => (rest.trim(), true),
        None => (lower.trim(), false),
    };
    let (number, unit) = text.split_once(char::is_whitespace)?;
    let mut n: i64 = number.trim_start_matches('+').parse().ok()?;
    if ago {
        n = -n;
    }
    let unit = unit.trim();
    let unit = unit.strip_suffix('s').unwrap_or(unit);
    let now = now().naive_utc();
    let seconds =
        |s: i64| now.checked_add_signed(chrono::Duration::try_seconds(n.checked_mul(s)?)?);
    let months = |m: i64| {
        let m = n.checked_mul(m)?;
        let by = chrono::Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m < 0 {
            now.checked_sub_months(by)
        } else {
            now.checked_add_months(by)
        }
    };
    match unit {
        "sec" | "second" => seconds(1),
        "min" | "minute" => seconds(60),
        "hour" => seconds(3600),
        "day" => seconds(86_400),
        "week" => seconds(7 * 86_400),
        "fortnight" => seconds(14 * 86_400),
        "month" => months(1),
        "year" => months(12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_filter_forms() {
        assert_eq!(
            filter_bounds("2013-05-03", "="),
            Some(vec![
                (">=", "2013-05-03T00:00:00+0000".into()),
                ("<", "2013-05-04T00:00:00+0000".into())
            ])
        );
        assert_eq!(
            filter_bounds("20240101", ">"),
            Some(vec![(">=", "2024-01-02T00:00:00+0000".into())])
        );
        assert_eq!(
            filter_bounds("2014-01-01 11:54:01", "<="),
            Some(vec![("<=", "2014-01-01T11:54:01+0000".into())])
        );
        assert!(filter_bounds("now", "<").is_some());
        for relative in ["-1 day", "+2 hours", "3 weeks ago", "1 month", "-1 year"] {
            assert!(filter_bounds(relative, ">=").is_some(), "{relative}");
        }
        let bound = |v: &str| filter_bounds(v, ">=").unwrap()[0].1.clone();
        let day_ago = text((now() - chrono::Duration::days(1)).naive_utc());
        // Equal to the second, unless the clock ticked between the two readings.
        assert!(bound("-1 day") >= day_ago && bound("1 day ago") >= day_ago);
        assert!(bound("-1 day") < now_text());
        assert!(bound("tomorrow") > now_text());
        assert!(filter_bounds("today", ">=").is_some());
        assert_eq!(filter_bounds("next blue moon", ">"), None);
    }
}
