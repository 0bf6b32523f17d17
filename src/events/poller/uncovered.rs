//! Days of the sweep that Urssaf will not search: a single invoice date holding more payment
//! requests than its search cap (`ERR_NBRE_MAX_RESULTAT`). Urssaf's search has no narrower
//! criterion that would find unknown requests (ids and invoice numbers must be known already,
//! and a day is the finest period), so such a day is tried again with a growing wait instead
//! of at every cycle, and reported (`urssaf_gateway_events_sweep_uncovered_days`, a warning).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use parking_lot::Mutex;

/// First wait before a day over the cap is searched again; doubled at each failure, up to
/// [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(60);
const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// Per day: failures in a row, and not searched again before.
type Days = BTreeMap<NaiveDate, (u32, Instant)>;

#[derive(Default)]
pub struct Uncovered {
    /// Per tenant.
    days: Mutex<HashMap<String, Days>>,
}

impl Uncovered {
    /// The day failed again: how long until it is tried again.
    pub fn failed(&self, tenant: &str, day: NaiveDate, now: Instant) -> Duration {
        let mut days = self.days.lock();
        let entry = days
            .entry(tenant.to_string())
            .or_default()
            .entry(day)
            .or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        let wait = FIRST_WAIT
            .saturating_mul(1u32 << (entry.0 - 1).min(20))
            .min(MAX_WAIT);
        entry.1 = now + wait;
        wait
    }

    /// The day was searched whole.
    pub fn covered(&self, tenant: &str, day: NaiveDate) {
        if let Some(t) = self.days.lock().get_mut(tenant) {
            t.remove(&day);
        }
    }

    /// Days of `[from, to]` still waiting before their next try.
    pub fn waiting(
        &self,
        tenant: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: Instant,
    ) -> Vec<NaiveDate> {
        self.days.lock().get(tenant).map_or_else(Vec::new, |t| {
            t.range(from..=to)
                .filter(|(_, (_, at))| *at > now)
                .map(|(d, _)| *d)
                .collect()
        })
    }

    /// Days due for another try.
    pub fn due(&self, tenant: &str, now: Instant) -> Vec<NaiveDate> {
        self.days.lock().get(tenant).map_or_else(Vec::new, |t| {
            t.iter()
                .filter(|(_, (_, at))| *at <= now)
                .map(|(d, _)| *d)
                .collect()
        })
    }

    /// Forgets the days before `from` (out of the look-back period); how many are left.
    pub fn count(&self, tenant: &str, from: NaiveDate) -> usize {
        let mut days = self.days.lock();
        let Some(t) = days.get_mut(tenant) else {
            return 0;
        };
        t.retain(|d, _| *d >= from);
        t.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_over_the_cap_waits_longer_each_time() {
        let u = Uncovered::default();
        let day = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        let now = Instant::now();
        assert_eq!(u.failed("a", day, now), Duration::from_secs(60));
        assert_eq!(u.failed("a", day, now), Duration::from_secs(120));
        assert_eq!(u.failed("a", day, now), Duration::from_secs(240));
        assert_eq!(u.waiting("a", day, day, now), [day]);
        assert!(u.due("a", now).is_empty());
        assert_eq!(u.due("a", now + Duration::from_secs(241)), [day]);
        for _ in 0..40 {
            u.failed("a", day, now);
        }
        assert_eq!(u.failed("a", day, now), MAX_WAIT);
        assert_eq!(u.count("a", day), 1);
        u.covered("a", day);
        assert_eq!(u.count("a", day), 0);
        assert!(u.waiting("b", day, day, now).is_empty());
    }
}
