//! Simulated business clock and Urssaf date spellings.
//!
//! Business dates (activation, ERR_DATE_FUTUR, status progression) use `real now + offset`
//! so tests can jump ahead; token expiry deliberately stays on the real clock.

use super::referentials::DATE_URSSAF;
use chrono::{DateTime, Datelike, Duration, Utc};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        // `set`/`advance` keep the offset within range; the fallback is never expected.
        Utc::now()
            .checked_add_signed(self.offset)
            .unwrap_or_else(Utc::now)
    }

    /// Moves the clock to `now`; refused (false) outside years 1970–9999 so that later
    /// date arithmetic cannot overflow.
    pub(crate) fn set(&mut self, now: DateTime<Utc>) -> bool {
        self.try_offset(Some(now - Utc::now()))
    }

    pub(crate) fn advance(&mut self, by: Duration) -> bool {
        self.try_offset(self.offset.checked_add(&by))
    }

    fn try_offset(&mut self, offset: Option<Duration>) -> bool {
        let target = offset.and_then(|o| Utc::now().checked_add_signed(o));
        match (offset, target) {
            (Some(o), Some(t)) if (1970..=9999).contains(&t.year()) => {
                self.offset = o;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn offset_seconds(&self) -> i64 {
        self.offset.num_seconds()
    }
}

/// Parses an Urssaf datetime (`YYYY-MM-DDThh:mm:ss[.sss]Z`); anything else is `None`.
pub(crate) fn parse_urssaf(text: &str) -> Option<DateTime<Utc>> {
    if !DATE_URSSAF.is_match(text) {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How Urssaf writes dates in answers.
pub(crate) fn format_urssaf(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// How E2 descriptions write the activation date ("02/11/2026 10:15:00").
pub(crate) fn format_fr(d: DateTime<Utc>) -> String {
    d.format("%d/%m/%Y %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_z_datetimes_parse() {
        assert!(parse_urssaf("2026-11-02T00:00:00Z").is_some());
        assert!(parse_urssaf("2026-11-02T00:00:00.000Z").is_some());
        assert!(parse_urssaf("2026-11-02T00:00:00+00:00").is_none());
        assert!(parse_urssaf("2026-11-02").is_none());
        assert!(parse_urssaf("2026-13-02T00:00:00Z").is_none());
    }
}
