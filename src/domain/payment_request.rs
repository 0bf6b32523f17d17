//! A payment request as Urssaf holds it: its status, rejection, transfer, and what Urssaf
//! echoes of the invoice. Any value Urssaf leaves out (or sends unreadable) is `None`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::invoice::Invoice;
use super::redacted_debug;
use super::status::{interpret, PaymentState, RejectionReason};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub id: String,
    pub invoice_number: Option<String>,
    pub client_id: Option<String>,
    pub status: UrssafStatus,
    pub rejection: Option<Rejection>,
    pub transfer: Option<Transfer>,
    pub invoice: Option<InvoiceEcho>,
}

/// Urssaf's status code and label, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrssafStatus {
    pub code: String,
    pub label: String,
}

/// A status, interpreted on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentStatus {
    pub state: PaymentState,
    pub is_final: bool,
    pub urssaf_code: String,
    /// Urssaf's label, or the documented one when Urssaf sent none.
    pub urssaf_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Urssaf's reason code, as received (trimmed).
    pub code: String,
    pub reason: RejectionReason,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Absent while only scheduled.
    pub amount: Option<Decimal>,
    pub date: Option<NaiveDate>,
}

/// The invoice as Urssaf echoes it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct InvoiceEcho {
    pub client_birth_date: Option<NaiveDate>,
    pub invoice_date: Option<NaiveDate>,
    pub service_start: Option<NaiveDate>,
    pub service_end: Option<NaiveDate>,
    pub total_incl_tax: Option<Decimal>,
    pub total_excl_tax: Option<Decimal>,
    pub deposit: Option<DepositEcho>,
}

// The client's birth date is personal data.
redacted_debug!(
    InvoiceEcho,
    invoice_date,
    service_start,
    service_end,
    total_incl_tax,
    total_excl_tax,
    deposit,
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositEcho {
    pub amount: Decimal,
    pub paid_on: Option<NaiveDate>,
}

impl PaymentRequest {
    /// The status on `today`: status 70 counts as `paid` only once its transfer date passed.
    pub fn status_on(&self, today: NaiveDate) -> PaymentStatus {
        let transfer_date = self.transfer.as_ref().and_then(|t| t.date);
        let m = interpret(&self.status.code, &self.status.label, transfer_date, today);
        PaymentStatus {
            state: m.state,
            is_final: m.is_final,
            urssaf_code: self.status.code.trim().to_string(),
            urssaf_label: m.label,
        }
    }

    /// The request Urssaf just created for `invoice`, with the id and status it answered
    /// (`10` when it gave none).
    pub fn accepted(id: String, status_code: Option<&str>, invoice: &Invoice) -> PaymentRequest {
        let code = status_code
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("10");
        PaymentRequest {
            id,
            invoice_number: Some(invoice.number.clone()),
            client_id: Some(invoice.client_id.clone()),
            status: UrssafStatus {
                code: code.to_string(),
                label: String::new(),
            },
            rejection: None,
            transfer: None,
            invoice: Some(InvoiceEcho::of(invoice)),
        }
    }

    /// Closed without being paid (refused, deleted, cancelled): an earlier submission under
    /// the same invoice number, never the one just sent.
    pub fn closed_unpaid(&self) -> bool {
        interpret(&self.status.code, "", None, NaiveDate::MIN)
            .state
            .closed_unpaid()
    }
}

impl InvoiceEcho {
    /// Everything Urssaf would echo of an invoice it accepted.
    pub fn of(invoice: &Invoice) -> InvoiceEcho {
        InvoiceEcho {
            client_birth_date: Some(invoice.client_birth_date),
            invoice_date: Some(invoice.date),
            service_start: Some(invoice.service_start),
            service_end: Some(invoice.service_end),
            total_incl_tax: Some(invoice.total_incl_tax),
            total_excl_tax: Some(invoice.total_excl_tax),
            deposit: invoice.deposit.as_ref().map(|d| DepositEcho {
                amount: d.amount,
                paid_on: Some(d.paid_on),
            }),
        }
    }

    /// Whether this echo can be compared with an invoice at all: an echo without client or
    /// total proves nothing either way.
    pub fn comparable(&self, client_id: Option<&str>) -> bool {
        client_id.is_some() && self.total_incl_tax.is_some()
    }

    /// Whether what Urssaf holds is `sent`: same client (`client_id` is the echoed one), same
    /// total (both must be echoed: calling another invoice ours would hide a real duplicate),
    /// and the same dates and other amounts where Urssaf echoes them (a missing deposit means
    /// none).
    pub fn matches(&self, client_id: Option<&str>, sent: &Invoice) -> bool {
        let same_day = |held: Option<NaiveDate>, sent: NaiveDate| held.is_none_or(|h| h == sent);
        client_id == Some(sent.client_id.as_str())
            && self.total_incl_tax == Some(sent.total_incl_tax)
            && self.total_excl_tax.is_none_or(|a| a == sent.total_excl_tax)
            && self.deposit.as_ref().map(|d| d.amount).unwrap_or_default()
                == sent.deposit.as_ref().map(|d| d.amount).unwrap_or_default()
            && same_day(self.client_birth_date, sent.client_birth_date)
            && same_day(self.invoice_date, sent.date)
            && same_day(self.service_start, sent.service_start)
            && same_day(self.service_end, sent.service_end)
    }
}
