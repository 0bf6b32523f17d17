//! Urssaf's payment-request answers → [`PaymentRequest`]. Never fails: unknown codes and
//! unreadable dates become unknown (`None`), so one odd result does not spoil a search.

use crate::domain::payment_request::{
    DepositEcho, InvoiceEcho, PaymentRequest, Rejection, Transfer, UrssafStatus,
};
use crate::domain::text;
use crate::urssaf::codes::rejection_reason;
use crate::urssaf::error::UrssafError;
use crate::urssaf::wire;

use super::dates::parse_urssaf_date;

/// What Urssaf answered for one submitted invoice, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The payment request's id, when Urssaf created one.
    pub id: Option<String>,
    /// The invoice number Urssaf echoes, if it does.
    pub invoice_number: Option<String>,
    pub status_code: Option<String>,
    pub errors: Vec<UrssafError>,
}

pub fn receipt_from_wire(out: wire::OutputDemandePaiement) -> Receipt {
    Receipt {
        id: out.id_demande_paiement.filter(|id| !id.trim().is_empty()),
        invoice_number: out.num_facture_tiers.map(|n| n.trim().to_string()),
        status_code: out.statut,
        errors: out
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(UrssafError::from)
            .collect(),
    }
}

fn echo(d: &wire::DemandePaiementEcho) -> InvoiceEcho {
    let date = |v: &Option<String>| v.as_deref().and_then(parse_urssaf_date);
    InvoiceEcho {
        client_birth_date: date(&d.date_naissance_client),
        invoice_date: date(&d.date_facture),
        service_start: date(&d.date_debut_emploi),
        service_end: date(&d.date_fin_emploi),
        total_incl_tax: d.mnt_facture_ttc,
        total_excl_tax: d.mnt_facture_ht,
        deposit: d.mnt_acompte.map(|amount| DepositEcho {
            amount,
            paid_on: date(&d.date_versement_acompte),
        }),
    }
}

pub fn payment_request_from_wire(info: &wire::InfoDemandePaiement) -> PaymentRequest {
    let d = info.demande_paiement.as_ref();
    let present = |v: Option<&Option<String>>| {
        v.and_then(|v| text::non_blank(v.as_deref()))
            .map(str::to_string)
    };
    PaymentRequest {
        id: info.id_demande_paiement.clone(),
        invoice_number: present(d.map(|d| &d.num_facture_tiers)),
        client_id: present(d.map(|d| &d.id_client)),
        status: UrssafStatus {
            code: info.statut.code.clone(),
            label: info.statut.libelle.clone(),
        },
        rejection: info
            .info_rejet
            .as_ref()
            .filter(|r| !r.code.trim().is_empty())
            .map(|r| Rejection {
                code: r.code.trim().to_string(),
                reason: rejection_reason(&r.code),
                comment: text::non_blank(Some(&r.commentaire)).map(str::to_string),
            }),
        transfer: info.info_virement.as_ref().map(|v| Transfer {
            amount: v.mnt_virement,
            date: v.date_virement.as_deref().and_then(parse_urssaf_date),
        }),
        invoice: d.map(echo),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::status::{PaymentState, RejectionCategory};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
    }

    fn info(json: serde_json::Value) -> PaymentRequest {
        payment_request_from_wire(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn full_search_result() {
        let p = info(serde_json::json!({
            "idDemandePaiement": "11000000000104",
            "demandePaiement": {"idTiersFacturation": "x", "idClient": "c1", "dateNaissanceClient": "1980-03-29T00:00:00Z",
                "numFactureTiers": "F-1", "dateFacture": "2026-11-02T00:00:00.000Z", "dateDebutEmploi": "2026-10-05T00:00:00Z",
                "dateFinEmploi": "bad", "mntFactureTTC": 150, "mntFactureHT": 136.36, "mntAcompte": 20},
            "statut": {"code": "70", "libelle": "Payée"},
            "infoVirement": {"mntVirement": 150, "dateVirement": "2026-11-10T00:00:00Z"}
        }));
        assert_eq!(
            (p.invoice_number.as_deref(), p.client_id.as_deref()),
            (Some("F-1"), Some("c1"))
        );
        let s = p.status_on(today());
        assert_eq!((s.state, s.is_final), (PaymentState::Paid, true));
        let e = p.invoice.unwrap();
        assert_eq!(e.invoice_date, NaiveDate::from_ymd_opt(2026, 11, 2));
        assert_eq!(e.service_end, None, "an unreadable date is unknown");
        assert_eq!(e.deposit.map(|d| d.amount), Some(20.into()));
    }

    #[test]
    fn sparse_echo_means_unknown() {
        let p = info(serde_json::json!({
            "idDemandePaiement": "5",
            "demandePaiement": {"numFactureTiers": null, "idClient": "c1", "mntFactureHT": null,
                "mntFactureTTC": 80, "dateFacture": null},
            "statut": {"code": "20", "libelle": null}
        }));
        assert_eq!(
            (p.invoice_number.as_deref(), p.client_id.as_deref()),
            (None, Some("c1"))
        );
        assert_eq!(
            p.status_on(today()).urssaf_label,
            "En attente de validation"
        );
        let e = p.invoice.unwrap();
        assert_eq!(
            (e.total_incl_tax, e.total_excl_tax),
            (Some(80.into()), None)
        );
    }

    #[test]
    fn scheduled_transfer_and_rejection() {
        let p = info(
            serde_json::json!({"idDemandePaiement": "1", "statut": {"code": "70", "libelle": ""},
            "infoVirement": {"mntVirement": "", "dateVirement": "2026-11-12T00:00:00Z"}}),
        );
        let s = p.status_on(today());
        assert_eq!(
            (s.state, s.is_final, s.urssaf_label.as_str()),
            (PaymentState::PaymentScheduled, false, "Payée")
        );
        assert_eq!(p.transfer.unwrap().amount, None);
        assert!(p.invoice.is_none());

        let p = info(
            serde_json::json!({"idDemandePaiement": "2", "statut": {"code": "40"},
            "infoRejet": {"code": "CONTEST_ERR_FACT", "commentaire": "  "}}),
        );
        let r = p.rejection.unwrap();
        assert_eq!(
            (r.reason.category(), r.comment),
            (RejectionCategory::Contestation, None)
        );
    }

    #[test]
    fn receipts_keep_errors_and_drop_blank_ids() {
        let r = receipt_from_wire(wire::OutputDemandePaiement {
            id_client: None,
            id_demande_paiement: Some(" ".into()),
            num_facture_tiers: Some(" F-9 ".into()),
            statut: None,
            errors: Some(vec![wire::Erreur {
                code: "ERR_FACTURE_DOUBLON".into(),
                ..Default::default()
            }]),
        });
        assert_eq!(r.id, None);
        assert_eq!(r.invoice_number.as_deref(), Some("F-9"));
        assert_eq!(
            r.errors[0].code,
            crate::urssaf::codes::UrssafCode::ErrFactureDoublon
        );
    }
}
