//! Urssaf's date spellings: written as midnight UTC with a final `Z`, read tolerantly.

use chrono::NaiveDate;

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
