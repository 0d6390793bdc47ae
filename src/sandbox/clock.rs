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
/// `tomorrow`, or an ISO timestamp. A bare date names the whole day: `updated=2013-05-03` is
/// that day, `_gt` after it, `_lt` before it, `_gte` and `_lte` include it.
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
        assert!(filter_bounds("today", ">=").is_some());
        assert_eq!(filter_bounds("next blue moon", ">"), None);
    }
}
