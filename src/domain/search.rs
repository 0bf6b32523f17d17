//! Search helpers.

use chrono::NaiveDate;

/// Splits `[from, to]` into two halves `[from, mid]` and `[mid + 1, to]`, to retry a period
/// search that Urssaf refused as too broad (`ERR_NBRE_MAX_RESULTAT`). `None` when the period
/// is a single day (or reversed): it cannot be split further.
pub fn split_period(
    from: NaiveDate,
    to: NaiveDate,
) -> Option<(NaiveDate, NaiveDate, NaiveDate, NaiveDate)> {
    if from >= to {
        return None;
    }
    let mid = from.checked_add_days(chrono::Days::new(
        u64::try_from((to - from).num_days() / 2).ok()?,
    ))?;
    let next = mid.succ_opt()?;
    Some((from, mid, next, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn halves() {
        assert_eq!(
            split_period(d(2026, 1, 1), d(2026, 1, 31)),
            Some((
                d(2026, 1, 1),
                d(2026, 1, 16),
                d(2026, 1, 17),
                d(2026, 1, 31)
            ))
        );
        assert_eq!(
            split_period(d(2026, 1, 1), d(2026, 1, 2)),
            Some((d(2026, 1, 1), d(2026, 1, 1), d(2026, 1, 2), d(2026, 1, 2)))
        );
        assert_eq!(split_period(d(2026, 1, 1), d(2026, 1, 1)), None);
        assert_eq!(split_period(d(2026, 1, 2), d(2026, 1, 1)), None);
        assert!(split_period(NaiveDate::MIN, NaiveDate::MAX).is_some());
    }
}
