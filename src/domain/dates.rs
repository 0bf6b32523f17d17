//! Dates: strict `YYYY-MM-DD` from callers, tolerant parsing of Urssaf's spellings.

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

/// Urssaf's date spelling: midnight UTC with a final `Z` (numeric offsets are refused upstream).
pub fn to_wire_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%dT00:00:00Z").to_string()
}

/// Reads any date spelling Urssaf was seen to send: `YYYY-MM-DD`, optionally followed by a
/// time (`T00:00:00Z`, `.000Z`, `+01:00`…), or `dd/mm/yyyy`. The calendar day as written is
/// kept (no time-zone shift). Anything else gives `None`, never an error.
pub fn parse_urssaf_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let head = t.get(..10)?;
    let rest = &t[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(head, "%d/%m/%Y"))
        .ok()
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

    #[test]
    fn wire_dates_end_in_z() {
        assert_eq!(to_wire_date(d(1980, 3, 29)), "1980-03-29T00:00:00Z");
    }

    #[test]
    fn tolerant_urssaf_dates() {
        for ok in [
            "2026-11-10",
            "2026-11-10T00:00:00Z",
            "2026-11-10T00:00:00.000Z",
            "2026-11-10T00:00:00+01:00",
            "10/11/2026",
        ] {
            assert_eq!(parse_urssaf_date(ok), Some(d(2026, 11, 10)), "{ok}");
        }
        for bad in [
            "",
            "2026-13-10",
            "garbage",
            "2026-11-10x",
            "éééééééééééé",
            "2026",
        ] {
            assert_eq!(parse_urssaf_date(bad), None, "{bad}");
        }
    }
}
