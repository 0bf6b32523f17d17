//! Search criteria → Urssaf's `InputRechercheDemandePaiement`.

use chrono::NaiveDate;

use crate::urssaf::wire;

use super::dates::to_wire_date;

/// One Urssaf search: at most 10 ids or invoice numbers (chunking is the caller's job), or an
/// invoice-date period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchQuery<'a> {
    Ids(&'a [String]),
    InvoiceNumbers(&'a [String]),
    Period { from: NaiveDate, to: NaiveDate },
}

pub fn search_to_wire(q: SearchQuery<'_>) -> wire::InputRechercheDemandePaiement {
    match q {
        SearchQuery::Ids(ids) => wire::InputRechercheDemandePaiement {
            id_demande_paiements: Some(ids.to_vec()),
            ..Default::default()
        },
        SearchQuery::InvoiceNumbers(numbers) => wire::InputRechercheDemandePaiement {
            num_facture_tiers: Some(numbers.to_vec()),
            ..Default::default()
        },
        SearchQuery::Period { from, to } => wire::InputRechercheDemandePaiement {
            date_debut: Some(to_wire_date(from)),
            date_fin: Some(to_wire_date(to)),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_criterion_per_body() {
        let ids = vec!["1".to_string()];
        let json = |q| serde_json::to_value(search_to_wire(q)).unwrap();
        assert_eq!(
            json(SearchQuery::Ids(&ids)),
            serde_json::json!({"idDemandePaiements": ["1"]})
        );
        assert_eq!(
            json(SearchQuery::InvoiceNumbers(&ids)),
            serde_json::json!({"numFactureTiers": ["1"]})
        );
        let d = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
        assert_eq!(
            json(SearchQuery::Period {
                from: d(1),
                to: d(2)
            }),
            serde_json::json!({"dateDebut": "2026-01-01T00:00:00Z", "dateFin": "2026-02-01T00:00:00Z"})
        );
    }
}
