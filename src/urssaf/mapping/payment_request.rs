//! Urssaf's payment request answers → the public `PaymentRequest` view.

use chrono::NaiveDate;

use super::invoice::PreparedInvoice;
use crate::api::dto::payment_requests::{
    DepositView, InvoiceSummary, PaymentRequest, PaymentStatus, Rejection, Transfer,
};
use crate::domain::dates::parse_urssaf_date;
use crate::domain::decimal::fmt_money;
use crate::domain::status::{interpret, rejection_meaning};
use crate::domain::text;
use crate::urssaf::wire;

/// What Urssaf echoes of the invoice; any field it leaves out is unknown (`null`).
fn summary(d: &wire::DemandePaiementEcho) -> InvoiceSummary {
    let date = |v: &Option<String>| v.as_deref().and_then(parse_urssaf_date);
    InvoiceSummary {
        invoice_date: date(&d.date_facture),
        total_incl_tax: d.mnt_facture_ttc.map(fmt_money),
        total_excl_tax: d.mnt_facture_ht.map(fmt_money),
        service_start: date(&d.date_debut_emploi),
        service_end: date(&d.date_fin_emploi),
        deposit: d.mnt_acompte.map(|a| DepositView {
            amount: fmt_money(a),
            paid_on: date(&d.date_versement_acompte),
        }),
    }
}

fn status(
    code: &str,
    label: &str,
    transfer_date: Option<NaiveDate>,
    today: NaiveDate,
) -> PaymentStatus {
    let m = interpret(code, label, transfer_date, today);
    PaymentStatus {
        state: m.state,
        is_final: m.is_final,
        urssaf_code: code.trim().to_string(),
        urssaf_label: m.label,
    }
}

/// The public view of one search result. Never fails: unknown codes and unreadable dates
/// become `unknown` / `null`. `today` decides whether status 70 is `paid` or `payment_scheduled`.
pub fn payment_request_from_wire(
    info: &wire::InfoDemandePaiement,
    today: NaiveDate,
) -> PaymentRequest {
    let transfer = info.info_virement.as_ref().map(|v| Transfer {
        amount: v.mnt_virement.map(fmt_money),
        date: v.date_virement.as_deref().and_then(parse_urssaf_date),
    });
    let transfer_date = transfer.as_ref().and_then(|t| t.date);
    let rejection = info
        .info_rejet
        .as_ref()
        .filter(|r| !r.code.trim().is_empty())
        .map(|r| {
            let (category, label) = rejection_meaning(&r.code);
            Rejection {
                code: r.code.trim().to_string(),
                category,
                label: label.to_string(),
                comment: text::non_blank(Some(&r.commentaire)).map(str::to_string),
            }
        });
    let d = info.demande_paiement.as_ref();
    PaymentRequest {
        id: info.id_demande_paiement.clone(),
        invoice_number: d
            .and_then(|d| text::non_blank(d.num_facture_tiers.as_deref()))
            .map(str::to_string),
        client_id: d
            .and_then(|d| text::non_blank(d.id_client.as_deref()))
            .map(str::to_string),
        status: status(
            &info.statut.code,
            &info.statut.libelle,
            transfer_date,
            today,
        ),
        rejection,
        transfer,
        invoice: d.map(summary),
    }
}

/// The view of a payment request Urssaf just accepted, built from what was sent and the id
/// and status (normally `"10"`) Urssaf returned.
pub fn accepted_from_wire(
    out: &wire::OutputDemandePaiement,
    prepared: &PreparedInvoice,
    today: NaiveDate,
) -> PaymentRequest {
    let code = out
        .statut
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("10");
    PaymentRequest {
        id: out.id_demande_paiement.clone().unwrap_or_default(),
        invoice_number: Some(prepared.wire.num_facture_tiers.clone()),
        client_id: Some(prepared.wire.id_client.clone()),
        status: status(code, "", None, today),
        rejection: None,
        transfer: None,
        invoice: Some(summary(&wire::DemandePaiementEcho::from(&prepared.wire))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dto::payment_requests::{PaymentState, RejectionCategory};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
    }

    fn info(json: serde_json::Value) -> wire::InfoDemandePaiement {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn full_search_result() {
        let i = info(serde_json::json!({
            "idDemandePaiement": "11000000000104",
            "demandePaiement": {"idTiersFacturation": "x", "idClient": "c1", "dateNaissanceClient": "1980-03-29T00:00:00Z",
                "numFactureTiers": "F-1", "dateFacture": "2026-11-02T00:00:00.000Z", "dateDebutEmploi": "2026-10-05T00:00:00Z",
                "dateFinEmploi": "bad", "mntFactureTTC": 150, "mntFactureHT": 136.36, "mntAcompte": 20},
            "statut": {"code": "70", "libelle": "Payée"},
            "infoVirement": {"mntVirement": 150, "dateVirement": "2026-11-10T00:00:00Z"}
        }));
        let p = payment_request_from_wire(&i, today());
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "11000000000104", "invoice_number": "F-1", "client_id": "c1",
                "status": {"state": "paid", "final": true, "urssaf_code": "70", "urssaf_label": "Payée"},
                "rejection": null, "transfer": {"amount": "150.00", "date": "2026-11-10"},
                "invoice": {"invoice_date": "2026-11-02", "total_incl_tax": "150.00", "total_excl_tax": "136.36",
                    "service_start": "2026-10-05", "service_end": null, "deposit": {"amount": "20.00", "paid_on": null}}
            })
        );
    }

    #[test]
    fn sparse_echo_means_unknown() {
        let i = info(serde_json::json!({
            "idDemandePaiement": "5",
            "demandePaiement": {"numFactureTiers": null, "idClient": "c1", "mntFactureHT": null,
                "mntFactureTTC": 80, "dateFacture": null},
            "statut": {"code": "20", "libelle": null}
        }));
        let p = payment_request_from_wire(&i, today());
        assert_eq!(
            (p.invoice_number, p.client_id.as_deref()),
            (None, Some("c1"))
        );
        assert_eq!(p.status.urssaf_label, "En attente de validation");
        assert_eq!(
            serde_json::to_value(p.invoice.unwrap()).unwrap(),
            serde_json::json!({"invoice_date": null, "total_incl_tax": "80.00", "total_excl_tax": null,
                "service_start": null, "service_end": null, "deposit": null})
        );
    }

    #[test]
    fn scheduled_transfer_and_rejection() {
        let i = info(
            serde_json::json!({"idDemandePaiement": "1", "statut": {"code": "70", "libelle": ""},
            "infoVirement": {"mntVirement": "", "dateVirement": "2026-11-12T00:00:00Z"}}),
        );
        let p = payment_request_from_wire(&i, today());
        assert_eq!(
            (
                p.status.state,
                p.status.is_final,
                p.status.urssaf_label.as_str()
            ),
            (PaymentState::PaymentScheduled, false, "Payée")
        );
        assert_eq!(p.transfer.unwrap().amount, None);
        assert!(p.invoice.is_none());

        let i = info(
            serde_json::json!({"idDemandePaiement": "2", "statut": {"code": "40"},
            "infoRejet": {"code": "CONTEST_ERR_FACT", "commentaire": "  "}}),
        );
        let r = payment_request_from_wire(&i, today()).rejection.unwrap();
        assert_eq!(
            (r.category, r.comment),
            (RejectionCategory::Contestation, None)
        );
    }

    #[test]
    fn accepted_view_from_prepared_invoice() {
        use crate::api::dto::payment_requests::{InvoiceInput, LineInput, Unit};
        use chrono::TimeZone;
        let inv = InvoiceInput {
            invoice_number: "F-9".into(),
            invoice_date: "2026-11-02".into(),
            client_id: "c1".into(),
            client_birth_date: "1980-03-29".into(),
            deposit: None,
            lines: vec![LineInput {
                nature_code: "60".into(),
                activity_code: None,
                quantity: "2".into(),
                unit: Unit::Hour,
                unit_price: "25".into(),
                vat_rate: None,
                total_excl_tax: None,
                vat_amount: None,
                total_incl_tax: None,
                service_start: Some("2026-10-01".into()),
                service_end: Some("2026-10-02".into()),
                description: None,
                worker_id: Some("SAP123456789".into()),
            }],
            total_incl_tax: None,
            total_excl_tax: None,
            service_start: None,
            service_end: None,
        };
        let tenant = super::super::TenantDefaults {
            billing_id: "b".into(),
            worker_id: None,
        };
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        let prepared = super::super::invoice_to_wire(&inv, "/invoices/0", &tenant, now).unwrap();
        let out = wire::OutputDemandePaiement {
            id_client: Some("c1".into()),
            id_demande_paiement: Some("DP1".into()),
            num_facture_tiers: Some("F-9".into()),
            statut: Some("10".into()),
            errors: None,
        };
        let p = accepted_from_wire(&out, &prepared, today());
        assert_eq!(
            (
                p.id.as_str(),
                p.status.state,
                p.status.urssaf_label.as_str()
            ),
            ("DP1", PaymentState::Integrated, "Intégrée")
        );
        let s = p.invoice.unwrap();
        assert_eq!(
            (s.total_incl_tax.as_deref(), s.service_end),
            (Some("50.00"), NaiveDate::from_ymd_opt(2026, 10, 2))
        );
    }
}
