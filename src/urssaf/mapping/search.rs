//! Search criteria: validation and Urssaf's `InputRechercheDemandePaiement`.

use chrono::NaiveDate;

use crate::api::dto::payment_requests::SearchPaymentRequests;
use crate::domain::{dates, text, FieldError};
use crate::urssaf::wire;

/// Longest id / invoice number, and most values per list (the client sends 10 per call).
const MAX_ID: usize = 50;
const MAX_VALUES: usize = 1000;

/// Checked search criteria.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    pub ids: Vec<String>,
    pub invoice_numbers: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn check_list(
    values: &Option<Vec<String>>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let values = values.as_deref().unwrap_or_default();
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
pub fn validate_search(req: &SearchPaymentRequests) -> Result<SearchCriteria, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ids = check_list(&req.ids, "ids", &mut errors);
    let invoice_numbers = check_list(&req.invoice_numbers, "invoice_numbers", &mut errors);
    let mut date = |v: &Option<String>, field: &str| {
        text::non_blank(v.as_deref()).and_then(|t| {
            dates::parse_date(t, &format!("/{field}"))
                .map_err(|e| errors.push(e))
                .ok()
        })
    };
    let from = date(&req.invoice_date_from, "invoice_date_from");
    let to = date(&req.invoice_date_to, "invoice_date_to");
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

/// Urssaf's search body for one chunk of ids and/or invoice numbers (≤ 10 each: chunking is
/// the caller's job) or for a period.
pub fn search_to_wire(
    ids: &[String],
    invoice_numbers: &[String],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> wire::InputRechercheDemandePaiement {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    wire::InputRechercheDemandePaiement {
        id_demande_paiements: list(ids),
        num_facture_tiers: list(invoice_numbers),
        date_debut: from.map(dates::to_wire_date),
        date_fin: to.map(dates::to_wire_date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(r: &SearchPaymentRequests) -> Vec<(String, String)> {
        validate_search(r)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.pointer, e.rule))
            .collect()
    }

    #[test]
    fn needs_a_criterion() {
        assert_eq!(
            rules(&SearchPaymentRequests::default()),
            [("/ids".to_string(), "criterion_required".to_string())]
        );
        let empty = SearchPaymentRequests {
            ids: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(rules(&empty).len(), 1);
    }

    #[test]
    fn ids_checked_and_deduplicated() {
        let r = SearchPaymentRequests {
            ids: Some(vec!["a".into(), " a ".into(), "".into(), "x".repeat(51)]),
            ..Default::default()
        };
        assert_eq!(
            rules(&r),
            [
                ("/ids/2".to_string(), "identifier".to_string()),
                ("/ids/3".to_string(), "identifier".to_string())
            ]
        );
        let ok = validate_search(&SearchPaymentRequests {
            invoice_numbers: Some(vec!["F-1".into(), "F-1".into()]),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.invoice_numbers, ["F-1"]);
        let many = SearchPaymentRequests {
            ids: Some(vec!["a".into(); 1001]),
            ..Default::default()
        };
        assert_eq!(
            rules(&many),
            [("/ids".to_string(), "max_items".to_string())]
        );
    }

    #[test]
    fn period_order() {
        let r = SearchPaymentRequests {
            invoice_date_from: Some("2026-02-01".into()),
            invoice_date_to: Some("2026-01-01".into()),
            ..Default::default()
        };
        assert_eq!(
            rules(&r),
            [(
                "/invoice_date_to".to_string(),
                "end_before_start".to_string()
            )]
        );
        let r = SearchPaymentRequests {
            invoice_date_from: Some("2026-02-30".into()),
            ..Default::default()
        };
        assert_eq!(
            rules(&r),
            [("/invoice_date_from".to_string(), "date".to_string())]
        );
        let c = validate_search(&SearchPaymentRequests {
            invoice_date_from: Some("2026-01-01".into()),
            ..Default::default()
        })
        .unwrap();
        let w = search_to_wire(&c.ids, &c.invoice_numbers, c.from, c.to);
        assert_eq!(
            serde_json::to_value(w).unwrap(),
            serde_json::json!({"dateDebut": "2026-01-01T00:00:00Z"})
        );
    }
}
