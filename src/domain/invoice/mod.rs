//! An invoice (Urssaf's "demande de paiement"): read from the caller's fields, checked, and its
//! amounts computed the way Urssaf computes them.
//!
//! An [`Invoice`] only comes out of [`Invoice::parse`] (its `parsed` seal cannot be made
//! elsewhere), so an invoice with inconsistent totals, an empty period or a missing worker id
//! cannot exist: whatever holds one may send it as it is.

pub mod amounts;
mod line;
mod line_read;
pub mod nature;
mod parse;
pub mod period;
#[cfg(test)]
mod tests;
mod totals;
pub mod worker;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{redacted_debug, Parsed};

/// The caller's invoice fields, as written (text is parsed here, so that every error names
/// its field).
#[derive(Clone, Default)]
pub struct InvoiceInput<'a> {
    pub invoice_number: &'a str,
    pub invoice_date: &'a str,
    pub client_id: &'a str,
    pub client_birth_date: &'a str,
    pub deposit: Option<DepositInput<'a>>,
    pub lines: Vec<LineInput<'a>>,
    pub total_incl_tax: Option<&'a str>,
    pub total_excl_tax: Option<&'a str>,
    pub service_start: Option<&'a str>,
    pub service_end: Option<&'a str>,
}

// The client's birth date is personal data: never in `Debug`, hence never in a log.
redacted_debug!(
    InvoiceInput<'a>,
    invoice_number,
    invoice_date,
    client_id,
    lines
);

#[derive(Debug, Clone, Copy, Default)]
pub struct DepositInput<'a> {
    pub amount: &'a str,
    pub paid_on: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct LineInput<'a> {
    pub nature_code: &'a str,
    pub activity_code: Option<&'a str>,
    pub quantity: &'a str,
    pub unit: Unit,
    pub unit_price: &'a str,
    pub vat_rate: Option<&'a str>,
    pub total_excl_tax: Option<&'a str>,
    pub vat_amount: Option<&'a str>,
    pub total_incl_tax: Option<&'a str>,
    pub service_start: Option<&'a str>,
    pub service_end: Option<&'a str>,
    pub description: Option<&'a str>,
    pub worker_id: Option<&'a str>,
}

/// Billing unit of a line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unit {
    #[default]
    Hour,
    FlatRate,
}

/// What the provider configured once for all its invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceDefaults {
    /// Worker id for lines that give none.
    pub worker_id: Option<String>,
}

/// A checked invoice with Urssaf's arithmetic applied: line totals are quantity × unit price
/// rounded to the cent, the invoice totals their sums, HT + VAT = TTC on every line.
#[derive(Clone, PartialEq)]
pub struct Invoice {
    /// Trimmed, as answered to the caller and as searched: one spelling everywhere.
    pub number: String,
    pub date: NaiveDate,
    pub client_id: String,
    pub client_birth_date: NaiveDate,
    pub deposit: Option<Deposit>,
    pub lines: Vec<Line>,
    pub total_incl_tax: Decimal,
    pub total_excl_tax: Decimal,
    /// The employment period: given on the invoice, else spanning the lines' dates.
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    /// Values changed so that Urssaf accepts the invoice (the one-cent rule).
    pub adjustments: Vec<Adjustment>,
    parsed: Parsed,
}

redacted_debug!(
    Invoice,
    number,
    date,
    client_id,
    deposit,
    lines,
    total_incl_tax,
    total_excl_tax,
    service_start,
    service_end,
    adjustments,
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    pub amount: Decimal,
    pub paid_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Urssaf's nature code (`10` … `270`).
    pub nature_code: &'static str,
    pub activity_code: Option<String>,
    pub quantity: Decimal,
    pub unit: Unit,
    /// Up to 3 decimals.
    pub unit_price: Decimal,
    pub total_incl_tax: Decimal,
    pub total_excl_tax: Decimal,
    pub vat: Decimal,
    pub service_start: Option<NaiveDate>,
    pub service_end: Option<NaiveDate>,
    pub description: Option<String>,
    pub worker_id: String,
}

/// A value the gateway changed so that Urssaf accepts the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// JSON pointer of the value in the caller's request.
    pub pointer: String,
    pub field: AdjustedField,
    pub original: String,
    pub adjusted: String,
    /// Why, in plain English.
    pub reason: String,
}

/// Which value was adjusted (its Urssaf name is the wire layer's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustedField {
    UnitPrice,
    InvoiceTotalExclTax,
}

impl Invoice {
    /// Checks an invoice completely. `pointer_prefix` locates it in the caller's request
    /// (e.g. `/invoices/3`); every error pointer starts with it. `today` bounds the dates
    /// (whole days: an end date of today is allowed). Returns every failing field at once.
    pub fn parse(
        input: &InvoiceInput<'_>,
        pointer_prefix: &str,
        defaults: &InvoiceDefaults,
        today: NaiveDate,
    ) -> Result<Invoice, Vec<super::FieldError>> {
        parse::invoice(input, pointer_prefix, defaults, today)
    }
}
