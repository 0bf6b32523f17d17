//! Payment requests: submission results, views, search.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::common::UrssafErrorDetail;
pub use super::invoices::{DepositInput, InvoiceInput, LineInput, SubmitPaymentRequests, Unit};
use crate::domain::decimal::fmt_money;
use crate::domain::invoice;
use crate::domain::payment_request as domain;
use crate::domain::search::SearchInput;
pub use crate::domain::status::{PaymentState, RejectionCategory};
use crate::domain::FieldError;

/// A value the gateway changed so that Urssaf accepts the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Adjustment {
    /// JSON pointer of the adjusted value in your request, e.g. `/invoices/0/lines/2/unit_price`.
    pub pointer: String,
    /// Urssaf field that carries it, e.g. `mntUnitaireTTC`.
    pub field: String,
    /// The value you sent (or the one computed from it).
    pub original: String,
    /// The value sent to Urssaf.
    pub adjusted: String,
    /// Why, in plain English.
    pub reason: String,
}

/// Status of a payment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentStatus {
    /// Stable state name; `payment_scheduled` is code 70 before the transfer date. From Urssaf's `statut.code`.
    pub state: PaymentState,
    /// No further change expected (40, 70 once transferred, 90, 100, 110–113, 120, 270).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Urssaf's raw status code. Urssaf: `statut.code`.
    pub urssaf_code: String,
    /// Urssaf's label (French), or the documented one when Urssaf sent none. Urssaf: `statut.libelle`.
    pub urssaf_label: String,
}

/// Why the client refused, contested, or why Urssaf cancelled. Urssaf: `infoRejet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    /// Urssaf's reason code, e.g. `CONTEST_ERR_FACT`. Urssaf: `infoRejet.code`.
    pub code: String,
    /// Family of the reason.
    pub category: RejectionCategory,
    /// English label of the reason.
    pub label: String,
    /// The client's own words, if any. Urssaf: `infoRejet.commentaire`.
    #[schema(required = true)]
    pub comment: Option<String>,
}

/// Transfer to the provider. Urssaf: `infoVirement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transfer {
    /// Amount in euros, a decimal string with 2 decimals; absent while only scheduled. Urssaf: `mntVirement`.
    #[schema(required = true, pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    pub amount: Option<String>,
    /// Transfer date (may be in the future). Urssaf: `dateVirement`.
    #[schema(required = true)]
    pub date: Option<NaiveDate>,
}

/// Deposit as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepositView {
    /// Amount in euros, a decimal string with 2 decimals. Urssaf: `mntAcompte`.
    #[schema(pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    pub amount: String,
    /// Payment date. Urssaf: `dateVersementAcompte`.
    #[schema(required = true)]
    pub paid_on: Option<NaiveDate>,
}

/// The invoice as Urssaf holds it (as far as Urssaf echoes it: a value it leaves out is `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceSummary {
    /// Urssaf: `dateFacture`.
    #[schema(required = true)]
    pub invoice_date: Option<NaiveDate>,
    /// Euros, a decimal string with 2 decimals; `null` when Urssaf does not echo it. Urssaf: `mntFactureTTC`.
    #[schema(required = true, pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    pub total_incl_tax: Option<String>,
    /// Euros, a decimal string with 2 decimals; `null` when Urssaf does not echo it. Urssaf: `mntFactureHT`.
    #[schema(required = true, pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    pub total_excl_tax: Option<String>,
    /// Urssaf: `dateDebutEmploi`.
    #[schema(required = true)]
    pub service_start: Option<NaiveDate>,
    /// Urssaf: `dateFinEmploi`.
    #[schema(required = true)]
    pub service_end: Option<NaiveDate>,
    /// Urssaf: `mntAcompte`, `dateVersementAcompte`.
    #[schema(required = true)]
    pub deposit: Option<DepositView>,
}

/// A payment request. Urssaf: `InfoDemandePaiement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "11000000000104", "invoice_number": "F-2026-0042", "client_id": "af0be430-908a-11eb-a8b3-0242ac130003",
    "status": {"state": "paid", "final": true, "urssaf_code": "70", "urssaf_label": "Payée"},
    "rejection": null, "transfer": {"amount": "150.00", "date": "2026-11-10"},
    "invoice": {"invoice_date": "2026-11-02", "total_incl_tax": "150.00", "total_excl_tax": "136.36",
        "service_start": "2026-10-05", "service_end": "2026-10-20", "deposit": null}
}))]
pub struct PaymentRequest {
    /// Urssaf's payment request id. Urssaf: `idDemandePaiement`.
    pub id: String,
    /// Your invoice number. Urssaf: `numFactureTiers`.
    #[schema(required = true)]
    pub invoice_number: Option<String>,
    /// Urssaf: `idClient`.
    #[schema(required = true)]
    pub client_id: Option<String>,
    /// Urssaf: `statut`.
    pub status: PaymentStatus,
    /// Urssaf: `infoRejet`.
    #[schema(required = true)]
    pub rejection: Option<Rejection>,
    /// Urssaf: `infoVirement`.
    #[schema(required = true)]
    pub transfer: Option<Transfer>,
    /// Urssaf: `demandePaiement` (when Urssaf echoes it).
    #[schema(required = true)]
    pub invoice: Option<InvoiceSummary>,
}

/// Outcome of one submitted invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Urssaf integrated it (or it had been integrated before: see `reconciled`).
    Accepted,
    /// Refused by Urssaf: see `errors`. Fix the invoice (a new number if it was a duplicate).
    Rejected,
    /// Not processed: Urssaf was unreachable or no answer came back (see `errors`). Safe to
    /// send again, best with the same `Idempotency-Key`: an invoice Urssaf did integrate is then
    /// found and answered as accepted.
    Failed,
}

/// One error of a submitted invoice, same shape as the problem type's `errors` items, plus
/// Urssaf's own error and a hint for upstream rejections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ResultError {
    /// JSON pointer into your request, when the failing field is known.
    #[schema(required = true)]
    pub pointer: Option<String>,
    /// Stable rule name: a local rule (e.g. `same_month`) or `urssaf_rejected`.
    pub rule: String,
    /// Plain-English explanation.
    pub message: String,
    /// Urssaf's error, for upstream rejections.
    #[schema(required = true)]
    pub urssaf: Option<UrssafErrorDetail>,
    /// What to do next, when known.
    #[schema(required = true)]
    pub hint: Option<String>,
}

impl ResultError {
    /// An Urssaf rejection of the invoice at `pointer_prefix` (e.g. `/invoices/3`), with the
    /// field located from Urssaf's code/message when possible, and a hint.
    pub fn from_urssaf(e: &crate::urssaf::UrssafError, pointer_prefix: &str) -> Self {
        Self {
            pointer: e.invoice_pointer().map(|f| format!("{pointer_prefix}{f}")),
            rule: "urssaf_rejected".into(),
            message: if e.description.trim().is_empty() {
                e.message.clone()
            } else {
                e.description.clone()
            },
            urssaf: Some(UrssafErrorDetail::from(e)),
            hint: e.code.hint().map(str::to_string),
        }
    }
}

impl From<FieldError> for ResultError {
    fn from(e: FieldError) -> Self {
        Self {
            pointer: Some(e.pointer),
            rule: e.rule,
            message: e.message,
            urssaf: None,
            hint: None,
        }
    }
}

/// Result for one invoice, in the order submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoiceResult {
    /// Your invoice number. Urssaf: `numFactureTiers`.
    pub invoice_number: String,
    /// Accepted or rejected.
    pub outcome: Outcome,
    /// The payment request, when accepted.
    #[schema(required = true)]
    pub payment_request: Option<PaymentRequest>,
    /// `true` when Urssaf already had this invoice (a retried submission) and it matched.
    pub reconciled: bool,
    /// Values the gateway changed before sending.
    pub adjustments: Vec<Adjustment>,
    /// Why it was rejected.
    pub errors: Vec<ResultError>,
}

/// Answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"results": [{"invoice_number": "F-2026-0042", "outcome": "accepted",
    "payment_request": {"id": "11000000000104", "invoice_number": "F-2026-0042", "client_id": "af0be430-908a-11eb-a8b3-0242ac130003",
        "status": {"state": "integrated", "final": false, "urssaf_code": "10", "urssaf_label": "Intégrée"},
        "rejection": null, "transfer": null,
        "invoice": {"invoice_date": "2026-11-02", "total_incl_tax": "150.00", "total_excl_tax": "136.36",
            "service_start": "2026-10-05", "service_end": "2026-10-20", "deposit": null}},
    "reconciled": false, "adjustments": [], "errors": []}]}))]
pub struct SubmitResults {
    /// One result per invoice, same order as submitted.
    pub results: Vec<InvoiceResult>,
}

/// Search payment requests by ids, invoice numbers and/or an invoice-date period; criteria
/// narrow each other (AND). Urssaf: `InputRechercheDemandePaiement`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": ["11000000000104"], "invoice_date_from": null}))]
pub struct SearchPaymentRequests {
    /// Urssaf payment request ids (at most `limits.max_search_values`, 100 by default; sent 10 per call). Urssaf: `idDemandePaiements`.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// Your invoice numbers (at most `limits.max_search_values`, 100 by default; sent 10 per call). Urssaf: `numFactureTiers`.
    #[serde(default)]
    pub invoice_numbers: Option<Vec<String>>,
    /// First invoice date `YYYY-MM-DD`. Urssaf: `dateDebut`.
    #[serde(default)]
    #[schema(format = Date)]
    pub invoice_date_from: Option<String>,
    /// Last invoice date `YYYY-MM-DD`. Urssaf: `dateFin`.
    #[serde(default)]
    #[schema(format = Date)]
    pub invoice_date_to: Option<String>,
}

/// Search answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"payment_requests": [], "not_found": ["F-2026-0099"]}))]
pub struct SearchResults {
    /// The payment requests found.
    pub payment_requests: Vec<PaymentRequest>,
    /// Requested ids or invoice numbers Urssaf did not find.
    pub not_found: Vec<String>,
}

impl From<&invoice::Adjustment> for Adjustment {
    fn from(a: &invoice::Adjustment) -> Self {
        Adjustment {
            pointer: a.pointer.clone(),
            field: a.field.urssaf_field().to_string(),
            original: a.original.clone(),
            adjusted: a.adjusted.clone(),
            reason: a.reason.clone(),
        }
    }
}

impl PaymentRequest {
    /// The public view; `today` decides whether status 70 is `paid` or `payment_scheduled`.
    pub fn render(p: &domain::PaymentRequest, today: NaiveDate) -> PaymentRequest {
        let s = p.status_on(today);
        PaymentRequest {
            id: p.id.clone(),
            invoice_number: p.invoice_number.clone(),
            client_id: p.client_id.clone(),
            status: PaymentStatus {
                state: s.state,
                is_final: s.is_final,
                urssaf_code: s.urssaf_code,
                urssaf_label: s.urssaf_label,
            },
            rejection: p.rejection.as_ref().map(|r| Rejection {
                code: r.code.clone(),
                category: r.reason.category(),
                label: r.reason.label().to_string(),
                comment: r.comment.clone(),
            }),
            transfer: p.transfer.as_ref().map(|t| Transfer {
                amount: t.amount.map(fmt_money),
                date: t.date,
            }),
            invoice: p.invoice.as_ref().map(|e| InvoiceSummary {
                invoice_date: e.invoice_date,
                total_incl_tax: e.total_incl_tax.map(fmt_money),
                total_excl_tax: e.total_excl_tax.map(fmt_money),
                service_start: e.service_start,
                service_end: e.service_end,
                deposit: e.deposit.as_ref().map(|d| DepositView {
                    amount: fmt_money(d.amount),
                    paid_on: d.paid_on,
                }),
            }),
        }
    }
}

impl SearchPaymentRequests {
    /// The criteria as the domain reads them.
    pub fn input(&self) -> SearchInput<'_> {
        SearchInput {
            ids: self.ids.as_deref().unwrap_or_default(),
            invoice_numbers: self.invoice_numbers.as_deref().unwrap_or_default(),
            invoice_date_from: self.invoice_date_from.as_deref(),
            invoice_date_to: self.invoice_date_to.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_refuses_unknown_fields() {
        let e = serde_json::from_value::<SearchPaymentRequests>(serde_json::json!({"id": ["x"]}))
            .unwrap_err();
        assert!(e.to_string().contains("unknown field"));
    }

    #[test]
    fn urssaf_rejection_located() {
        let e =
            crate::urssaf::UrssafError::new(crate::urssaf::UrssafCode::ErrTotalPrestations, "m");
        let r = ResultError::from_urssaf(&e, "/invoices/2");
        assert_eq!(r.pointer.as_deref(), Some("/invoices/2/total_incl_tax"));
        assert_eq!(
            (r.rule.as_str(), r.message.as_str()),
            ("urssaf_rejected", "m")
        );
        assert!(r.hint.is_some());
    }

    #[test]
    fn final_is_spelled_final() {
        let s = PaymentStatus {
            state: PaymentState::Paid,
            is_final: true,
            urssaf_code: "70".into(),
            urssaf_label: "Payée".into(),
        };
        assert_eq!(serde_json::to_value(s).unwrap()["final"], true);
    }
}
