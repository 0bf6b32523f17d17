//! Invoices sent as payment requests: the submission request, read into domain inputs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::invoice as domain;
use crate::domain::redacted_debug;

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
    /// The invoices; each becomes one Urssaf payment request.
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

impl InvoiceInput {
    /// The fields as the domain reads them.
    pub fn input(&self) -> domain::InvoiceInput<'_> {
        domain::InvoiceInput {
            invoice_number: &self.invoice_number,
            invoice_date: &self.invoice_date,
            client_id: &self.client_id,
            client_birth_date: &self.client_birth_date,
            deposit: self.deposit.as_ref().map(|d| domain::DepositInput {
                amount: &d.amount,
                paid_on: &d.paid_on,
            }),
            lines: self.lines.iter().map(LineInput::input).collect(),
            total_incl_tax: self.total_incl_tax.as_deref(),
            total_excl_tax: self.total_excl_tax.as_deref(),
            service_start: self.service_start.as_deref(),
            service_end: self.service_end.as_deref(),
        }
    }
}

impl LineInput {
    fn input(&self) -> domain::LineInput<'_> {
        domain::LineInput {
            nature_code: &self.nature_code,
            activity_code: self.activity_code.as_deref(),
            quantity: &self.quantity,
            unit: match self.unit {
                Unit::Hour => domain::Unit::Hour,
                Unit::FlatRate => domain::Unit::FlatRate,
            },
            unit_price: &self.unit_price,
            vat_rate: self.vat_rate.as_deref(),
            total_excl_tax: self.total_excl_tax.as_deref(),
            vat_amount: self.vat_amount.as_deref(),
            total_incl_tax: self.total_incl_tax.as_deref(),
            service_start: self.service_start.as_deref(),
            service_end: self.service_end.as_deref(),
            description: self.description.as_deref(),
            worker_id: self.worker_id.as_deref(),
        }
    }
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
    }
}
