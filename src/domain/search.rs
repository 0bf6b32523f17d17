//! Search criteria for payment requests, and the period splitting used when Urssaf says a
//! period has too many results.

use chrono::NaiveDate;

use super::payment_request::PaymentRequest;
use super::{dates, text, FieldError};

/// Longest id / invoice number, and most values per list (the client sends 10 per call).
const MAX_ID: usize = 50;
const MAX_VALUES: usize = 1000;

/// The caller's criteria, as written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchInput<'a> {
    pub ids: &'a [String],
    pub invoice_numbers: &'a [String],
    pub invoice_date_from: Option<&'a str>,
    pub invoice_date_to: Option<&'a str>,
}

/// Checked search criteria.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    pub ids: Vec<String>,
    pub invoice_numbers: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn check_list(values: &[String], field: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    if values.len() > MAX_VALUES {
        errors.push(FieldError::new(
            format!("/{field}"),
            "max_items",
            format!("must hold at most {MAX_VALUES} values"),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let t = v.trim();
        if t.is_empty() || text::char_len(t) > MAX_ID {
            errors.push(FieldError::new(
                format!("/{field}/{i}"),
                "identifier",
                format!("must be 1 to {MAX_ID} characters"),
            ));
        } else if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// Checks a search: at least one criterion; ids and invoice numbers 1..50 characters (at most
/// 1000 each, duplicates dropped); dates `YYYY-MM-DD` with from ≤ to.
pub fn parse(req: &SearchInput<'_>) -> Result<SearchCriteria, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ids = check_list(req.ids, "ids", &mut errors);
    let invoice_numbers = check_list(req.invoice_numbers, "invoice_numbers", &mut errors);
    let mut date = |v: Option<&str>, field: &str| {
        text::non_blank(v).and_then(|t| {
            dates::parse_date(t, &format!("/{field}"))
                .map_err(|e| errors.push(e))
                .ok()
        })
    };
    let from = date(req.invoice_date_from, "invoice_date_from");
    let to = date(req.invoice_date_to, "invoice_date_to");
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.push(FieldError::new(
                "/invoice_date_to",
                "end_before_start",
                "must not be before invoice_date_from",
            ));
        }
    }
    let criteria = SearchCriteria {
        ids,
        invoice_numbers,
        from,
        to,
    };
    if errors.is_empty()
        && criteria.ids.is_empty()
        && criteria.invoice_numbers.is_empty()
        && from.is_none()
        && to.is_none()
    {
        errors.push(FieldError::new(
            "/ids",
            "criterion_required",
            "give ids, invoice_numbers or an invoice date period",
        ));
    }
    if errors.is_empty() {
        Ok(criteria)
    } else {
        Err(errors)
    }
}

impl SearchCriteria {
    /// Whether a payment request meets every criterion given: its id among the ids, its
    /// invoice number among the numbers, its invoice date within `period` (a date Urssaf did
    /// not echo cannot be shown within it).
    pub fn matches(&self, p: &PaymentRequest, period: Option<(NaiveDate, NaiveDate)>) -> bool {
        let id_ok = self.ids.is_empty() || self.ids.contains(&p.id);
        let number_ok = self.invoice_numbers.is_empty()
            || p.invoice_number
                .as_ref()
                .is_some_and(|n| self.invoice_numbers.contains(n));
        let date_ok = period.is_none_or(|(from, to)| {
            p.invoice
                .as_ref()
                .and_then(|e| e.invoice_date)
                .is_some_and(|d| from <= d && d <= to)
        });
        id_ok && number_ok && date_ok
    }
}

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

    fn rules(r: &SearchInput) -> Vec<(String, String)> {
        parse(r)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.pointer, e.rule))
            .collect()
    }

    fn pair(p: &str, r: &str) -> (String, String) {
        (p.to_string(), r.to_string())
    }

    #[test]
    fn needs_a_criterion() {
        assert_eq!(
            rules(&SearchInput::default()),
            [pair("/ids", "criterion_required")]
        );
    }

    #[test]
    fn ids_checked_and_deduplicated() {
        let ids = vec!["a".into(), " a ".into(), "".into(), "x".repeat(51)];
        let r = SearchInput {
            ids: &ids,
            ..Default::default()
        };
        assert_eq!(
            rules(&r),
            [pair("/ids/2", "identifier"), pair("/ids/3", "identifier")]
        );
        let numbers = vec!["F-1".to_string(), "F-1".to_string()];
        let ok = parse(&SearchInput {
            invoice_numbers: &numbers,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.invoice_numbers, ["F-1"]);
        let many = vec!["a".to_string(); 1001];
        let r = SearchInput {
            ids: &many,
            ..Default::default()
        };
        assert_eq!(rules(&r), [pair("/ids", "max_items")]);
    }

    #[test]
    fn period_order() {
        let r = SearchInput {
            invoice_date_from: Some("2026-02-01"),
            invoice_date_to: Some("2026-01-01"),
            ..Default::default()
        };
        assert_eq!(rules(&r), [pair("/invoice_date_to", "end_before_start")]);
        let r = SearchInput {
            invoice_date_from: Some("2026-02-30"),
            ..Default::default()
        };
        assert_eq!(rules(&r), [pair("/invoice_date_from", "date")]);
        let c = parse(&SearchInput {
            invoice_date_from: Some("2026-01-01"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((c.from, c.to), (Some(d(2026, 1, 1)), None));
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
