//! Employment period rules (urssaf-atp.md §5.3): start ≤ end, one calendar month, not in the
//! future. Dates are whole days: an end date equal to today is allowed.

use chrono::{Datelike, NaiveDate};

use crate::domain::FieldError;

/// Checks one period and returns every broken rule (pointers given by the caller).
pub fn check_period(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    start_pointer: &str,
    end_pointer: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if end < start {
        errors.push(FieldError::new(
            end_pointer,
            "end_before_start",
            "must not be before the start date",
        ));
    } else if (start.year(), start.month()) != (end.year(), end.month()) {
        errors.push(FieldError::new(
            end_pointer,
            "same_month",
            "must be in the same calendar month as the start date (one payment request per month)",
        ));
    }
    if start > today {
        errors.push(FieldError::new(
            start_pointer,
            "not_in_future",
            "must not be in the future: send services once performed",
        ));
    }
    if end > today {
        errors.push(FieldError::new(
            end_pointer,
            "not_in_future",
            "must not be in the future: send services once performed",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rules(s: NaiveDate, e: NaiveDate, today: NaiveDate) -> Vec<(String, String)> {
        check_period(s, e, today, "/s", "/e")
            .into_iter()
            .map(|e| (e.pointer, e.rule))
            .collect()
    }

    #[test]
    fn valid_period_up_to_today() {
        assert!(rules(d(2026, 10, 5), d(2026, 10, 20), d(2026, 10, 20)).is_empty());
        assert!(rules(d(2026, 10, 1), d(2026, 10, 31), d(2026, 11, 2)).is_empty());
    }

    #[test]
    fn month_rule() {
        assert_eq!(
            rules(d(2026, 9, 30), d(2026, 10, 1), d(2026, 11, 1)),
            [("/e".into(), "same_month".into())]
        );
        assert_eq!(
            rules(d(2025, 10, 5), d(2026, 10, 5), d(2026, 11, 1)),
            [("/e".into(), "same_month".into())]
        );
    }

    #[test]
    fn order_rule() {
        assert_eq!(
            rules(d(2026, 10, 20), d(2026, 10, 5), d(2026, 11, 1)),
            [("/e".into(), "end_before_start".into())]
        );
    }

    #[test]
    fn future_rule() {
        assert_eq!(
            rules(d(2026, 10, 5), d(2026, 10, 21), d(2026, 10, 20)),
            [("/e".into(), "not_in_future".into())]
        );
        assert_eq!(
            rules(d(2026, 10, 21), d(2026, 10, 22), d(2026, 10, 20)),
            [
                ("/s".into(), "not_in_future".into()),
                ("/e".into(), "not_in_future".into())
            ]
        );
    }
}
