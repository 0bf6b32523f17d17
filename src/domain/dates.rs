//! Dates: strict `YYYY-MM-DD` from callers.

use chrono::NaiveDate;

use super::FieldError;

/// Parses a caller's `YYYY-MM-DD` date (exactly that shape, a real calendar day).
pub fn parse_date(text: &str, pointer: &str) -> Result<NaiveDate, FieldError> {
    let t = text.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(pointer, "date", "must be a real date written YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn strict_caller_dates() {
        assert_eq!(parse_date("2026-10-05", "/a").unwrap(), d(2026, 10, 5));
        for bad in [
            "2026-1-05",
            "2026-02-30",
            "05/10/2026",
            "2026-10-05T00:00:00Z",
            "",
            "２０２６-10-05",
        ] {
            let e = parse_date(bad, "/a").unwrap_err();
            assert_eq!(
                (e.pointer.as_str(), e.rule.as_str()),
                ("/a", "date"),
                "{bad}"
            );
        }
    }
}
