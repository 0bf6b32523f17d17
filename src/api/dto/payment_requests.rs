//! Payment requests (invoices sent to Urssaf): submission, views, search.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::common::UrssafError;
pub use crate::domain::status::{PaymentState, RejectionCategory};
use crate::domain::{redacted_debug, FieldError};

/// Send any number of invoices, one payment request each (sent to Urssaf 10 per call). Urssaf: array of `InputDemandePaiement`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"invoices": [{
    "invoice_number": "F-2026-0042", "invoice_date": "2026-11-02",
    "client_id": "af0be430-908a-11eb-a8b3-0242ac130003", "client_birth_date": "1980-03-29",
    "lines": [{"nature_code": "60", "quantity": "5", "unit": "hour", "unit_price": "30.00", "vat_rate": "10",
        "service_start": "2026-10-05", "service_end": "2026-10-20", "description": "Ménage", "worker_id": "SAP123456789"}],
    "total_incl_tax": "150.00"
}]}))]
pub struct SubmitPaymentRequests {
    /// The invoices (at most `server.max_invoices_per_submission`, 100 by default); each becomes one Urssaf payment request.
    #[schema(min_items = 1)]
    pub invoices: Vec<InvoiceInput>,
}

/// One invoice. Urssaf: `InputDemandePaiement`.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    /// Your invoice number, 1..50 characters, unique: Urssaf refuses a number twice. Urssaf: `numFactureTiers`.
    #[schema(min_length = 1, max_length = 50)]
    pub invoice_number: String,
    /// Invoice date `YYYY-MM-DD` (the date period searches filter on). Urssaf: `dateFacture`.
    #[schema(format = Date)]
    pub invoice_date: String,
    /// Client id returned at registration. Urssaf: `idClient`.
    #[schema(min_length = 1, max_length = 50)]
    pub client_id: String,
    /// Client's birth date `YYYY-MM-DD`, checked by Urssaf against the client id. Urssaf: `dateNaissanceClient`.
    #[schema(format = Date)]
    pub client_birth_date: String,
    /// Deposit already paid by the client (≤ 50 % of the total). Urssaf: `mntAcompte`, `dateVersementAcompte`.
    #[serde(default)]
    pub deposit: Option<DepositInput>,
    /// The invoice lines (at least one). Urssaf: `inputPrestations`.
    #[schema(min_items = 1)]
    pub lines: Vec<LineInput>,
    /// Invoice total incl. tax, euros. Optional: computed as the sum of line totals; when given it is
    /// checked, and a difference of at most one cent per line is resolved by adjusting one line's
    /// unit price (reported in `adjustments`). Urssaf: `mntFactureTTC`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub total_incl_tax: Option<String>,
    /// Invoice total excl. tax, euros. Optional: computed as the sum of line totals excl. tax;
    /// when given it must match within one cent per line (the computed sum is sent). Urssaf: `mntFactureHT`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub total_excl_tax: Option<String>,
    /// Start of the employment period `YYYY-MM-DD`; default: earliest line start. Urssaf: `dateDebutEmploi`.
    #[serde(default)]
    #[schema(format = Date)]
    pub service_start: Option<String>,
    /// End of the employment period `YYYY-MM-DD`, same calendar month as the start, not in the future;
    /// default: latest line end. Urssaf: `dateFinEmploi`.
    #[serde(default)]
    #[schema(format = Date)]
    pub service_end: Option<String>,
}

// `Debug` leaves out the client's birth date.
redacted_debug!(
    InvoiceInput,
    invoice_number,
    invoice_date,
    client_id,
    deposit,
    lines,
    total_incl_tax,
    total_excl_tax,
    service_start,
    service_end,
);

/// A deposit paid before the invoice.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositInput {
    /// Amount in euros, ≤ 50 % of the invoice total. Urssaf: `mntAcompte`.
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub amount: String,
    /// Payment date `YYYY-MM-DD`, not in the future. Urssaf: `dateVersementAcompte`.
    #[schema(format = Date)]
    pub paid_on: String,
}

/// Billing unit. Urssaf: `unite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Hours. Urssaf: `HEURE`.
    Hour,
    /// Flat rate / pieces. Urssaf: `FORFAIT`.
    FlatRate,
}

/// One invoice line. Urssaf: `InputPrestation`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Service nature code (`10`, `20`, … `270`; e.g. `60` housework, `70` gardening, `100` tutoring). Urssaf: `codeNature`.
    #[schema(pattern = r"^[0-9]{2,3}$")]
    pub nature_code: String,
    /// Activity code tied to the nature, passed through. Urssaf: `codeActivite`.
    #[serde(default)]
    pub activity_code: Option<String>,
    /// Quantity, decimal string with at most 2 decimals, e.g. `"1.75"` hours. Urssaf: `quantite`.
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub quantity: String,
    /// Billing unit. Urssaf: `unite`.
    pub unit: Unit,
    /// Unit price incl. tax in euros, at most 3 decimals. Urssaf: `mntUnitaireTTC`.
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,3})?$")]
    pub unit_price: String,
    /// VAT rate in percent (e.g. `"10"`, `"5.5"`); the line total excl. tax is derived from it.
    /// Default `0` (VAT-exempt). Do not combine with `total_excl_tax`/`vat_amount`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,2}(\.[0-9]{1,2})?$")]
    pub vat_rate: Option<String>,
    /// Line total excl. tax in euros, instead of `vat_rate`. Urssaf: `mntPrestationHT`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub total_excl_tax: Option<String>,
    /// Line VAT amount in euros, instead of `vat_rate`; with `total_excl_tax` it must add up to the
    /// line total. Urssaf: `mntPrestationTVA`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub vat_amount: Option<String>,
    /// Line total incl. tax in euros. Optional: computed as quantity × unit price rounded to the cent;
    /// when given and one cent off, the unit price is re-derived with 3 decimals. Urssaf: `mntPrestationTTC`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    pub total_incl_tax: Option<String>,
    /// Start of this service `YYYY-MM-DD`. Urssaf: `inputPrestations[].dateDebutEmploi`.
    #[serde(default)]
    #[schema(format = Date)]
    pub service_start: Option<String>,
    /// End of this service `YYYY-MM-DD`. Urssaf: `inputPrestations[].dateFinEmploi`.
    #[serde(default)]
    #[schema(format = Date)]
    pub service_end: Option<String>,
    /// Free text shown to the client, ≤ 50 characters (limit inferred). Urssaf: `complement1`.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub description: Option<String>,
    /// Intervenant id: `SAP` + 9-digit NOVA number or `SIR` + 14-digit SIRET (format inferred from
    /// public integrations); defaults to the tenant's setting. Urssaf: `complement2`.
    #[serde(default)]
    #[schema(pattern = r"^(SAP[0-9]{9}|SIR[0-9]{14})$")]
    pub worker_id: Option<String>,
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rejection {
    /// Urssaf's reason code, e.g. `CONTEST_ERR_FACT`. Urssaf: `infoRejet.code`.
    pub code: String,
    /// Family of the reason.
    pub category: RejectionCategory,
    /// English label of the reason.
    pub label: String,
    /// The client's own words, if any. Urssaf: `infoRejet.commentaire`.
    pub comment: Option<String>,
}

/// Transfer to the provider. Urssaf: `infoVirement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Transfer {
    /// Amount in euros; absent while only scheduled. Urssaf: `mntVirement`.
    pub amount: Option<String>,
    /// Transfer date (may be in the future). Urssaf: `dateVirement`.
    pub date: Option<NaiveDate>,
}

/// Deposit as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DepositView {
    /// Amount in euros. Urssaf: `mntAcompte`.
    pub amount: String,
    /// Payment date. Urssaf: `dateVersementAcompte`.
    pub paid_on: Option<NaiveDate>,
}

/// The invoice as Urssaf holds it (as far as Urssaf echoes it: a value it leaves out is `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoiceSummary {
    /// Urssaf: `dateFacture`.
    pub invoice_date: Option<NaiveDate>,
    /// Euros; `null` when Urssaf does not echo it. Urssaf: `mntFactureTTC`.
    pub total_incl_tax: Option<String>,
    /// Euros; `null` when Urssaf does not echo it. Urssaf: `mntFactureHT`.
    pub total_excl_tax: Option<String>,
    /// Urssaf: `dateDebutEmploi`.
    pub service_start: Option<NaiveDate>,
    /// Urssaf: `dateFinEmploi`.
    pub service_end: Option<NaiveDate>,
    /// Urssaf: `mntAcompte`, `dateVersementAcompte`.
    pub deposit: Option<DepositView>,
}

/// A payment request. Urssaf: `InfoDemandePaiement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
    pub invoice_number: Option<String>,
    /// Urssaf: `idClient`.
    pub client_id: Option<String>,
    /// Urssaf: `statut`.
    pub status: PaymentStatus,
    /// Urssaf: `infoRejet`.
    pub rejection: Option<Rejection>,
    /// Urssaf: `infoVirement`.
    pub transfer: Option<Transfer>,
    /// Urssaf: `demandePaiement` (when Urssaf echoes it).
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
    pub pointer: Option<String>,
    /// Stable rule name: a local rule (e.g. `same_month`) or `urssaf_rejected`.
    pub rule: String,
    /// Plain-English explanation.
    pub message: String,
    /// Urssaf's error, for upstream rejections.
    pub urssaf: Option<UrssafError>,
    /// What to do next, when known.
    pub hint: Option<String>,
}

impl ResultError {
    /// An Urssaf rejection of the invoice at `pointer_prefix` (e.g. `/invoices/3`), with the
    /// field located from Urssaf's code/message when possible, and a hint.
    pub fn from_urssaf(e: &crate::urssaf::wire::Erreur, pointer_prefix: &str) -> Self {
        let field = crate::urssaf::codes::field_for_invoice(
            &e.code,
            &format!("{} {}", e.message, e.description),
        );
        Self {
            pointer: field.map(|f| format!("{pointer_prefix}{f}")),
            rule: "urssaf_rejected".into(),
            message: if e.description.trim().is_empty() {
                e.message.clone()
            } else {
                e.description.clone()
            },
            urssaf: Some(UrssafError::from(e)),
            hint: crate::urssaf::codes::hint(&e.code).map(str::to_string),
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

/// Search payment requests: give ids, invoice numbers, or an invoice-date period.
/// Urssaf: `InputRechercheDemandePaiement` (when ids are given Urssaf ignores the period).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": ["11000000000104"], "invoice_date_from": null}))]
pub struct SearchPaymentRequests {
    /// Urssaf payment request ids (at most `server.max_search_values`, 100 by default; sent 10 per call). Urssaf: `idDemandePaiements`.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// Your invoice numbers (at most `server.max_search_values`, 100 by default; sent 10 per call). Urssaf: `numFactureTiers`.
    #[serde(default)]
    pub invoice_numbers: Option<Vec<String>>,
    /// First invoice date `YYYY-MM-DD`. Urssaf: `dateDebut`.
    #[serde(default)]
    pub invoice_date_from: Option<String>,
    /// Last invoice date `YYYY-MM-DD`. Urssaf: `dateFin`.
    #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> serde_json::Value {
        serde_json::json!({"invoices": [{
            "invoice_number": "F-1", "invoice_date": "2026-11-02", "client_id": "c", "client_birth_date": "1980-03-29",
            "deposit": {"amount": "10.00", "paid_on": "2026-10-01"},
            "lines": [{"nature_code": "60", "quantity": "5", "unit": "flat_rate", "unit_price": "30.00"}]
        }]})
    }

    #[test]
    fn example_deserializes() {
        let r: SubmitPaymentRequests = serde_json::from_value(example()).unwrap();
        assert_eq!(r.invoices[0].lines[0].unit, Unit::FlatRate);
    }

    #[test]
    fn debug_leaves_out_the_birth_date() {
        let r: SubmitPaymentRequests = serde_json::from_value(example()).unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("1980-03-29"), "{shown}");
        assert!(shown.contains("F-1"), "{shown}");
    }

    #[test]
    fn unknown_fields_refused_at_every_level() {
        let paths: [&[&str]; 4] = [
            &[],
            &["invoices", "0"],
            &["invoices", "0", "deposit"],
            &["invoices", "0", "lines", "0"],
        ];
        for path in paths {
            let mut v = example();
            let mut target = &mut v;
            for p in path {
                target = match p.parse::<usize>() {
                    Ok(i) => &mut target[i],
                    Err(_) => &mut target[*p],
                };
            }
            target["surprise"] = serde_json::json!(1);
            let e = serde_json::from_value::<SubmitPaymentRequests>(v).unwrap_err();
            assert!(e.to_string().contains("unknown field"), "{path:?}: {e}");
        }
        let e = serde_json::from_value::<SearchPaymentRequests>(serde_json::json!({"id": ["x"]}))
            .unwrap_err();
        assert!(e.to_string().contains("unknown field"));
    }

    #[test]
    fn urssaf_rejection_located() {
        let e = crate::urssaf::wire::Erreur {
            code: "ERR_TOTAL_PRESTATIONS".into(),
            message: "m".into(),
            description: "".into(),
        };
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
