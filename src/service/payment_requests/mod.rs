//! Payment requests: send invoices once and only once, and follow each to payment.

pub mod lookup;
mod reconcile;
mod submit;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;

pub use submit::{submit, Failure, Fate, InvoiceOutcome};

use super::{check_id, ServiceError};
use crate::domain::payment_request::PaymentRequest;
use crate::domain::search::{self, SearchInput};
use crate::domain::FieldError;
use crate::tenant::Tenant;
use crate::urssaf::UrssafClient;

/// Lower bound of an open period: the immediate advance did not exist before 2022.
const FIRST_INVOICE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2022, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// One payment request by Urssaf id.
pub async fn get(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    id: &str,
) -> Result<PaymentRequest, ServiceError> {
    check_id(
        id,
        b"-_",
        "/payment_request_id",
        "payment_request_id",
        "must be a payment request id as Urssaf answered it: 1 to 50 letters, digits, '-' or '_'",
    )?;
    let found = lookup::by_ids(urssaf, tenant, &[id.to_string()]).await?;
    found.into_iter().find(|f| f.id == id).ok_or_else(|| {
        ServiceError::NotFound(format!(
            "Urssaf knows no payment request {id} for this provider"
        ))
    })
}

/// What a search found, and the ids and invoice numbers it did not.
#[derive(Debug, Default)]
pub struct Found {
    pub payment_requests: Vec<PaymentRequest>,
    pub not_found: Vec<String>,
}

/// Searches by ids, invoice numbers and/or an invoice-date period; each result once.
pub async fn search(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    input: &SearchInput<'_>,
    today: NaiveDate,
) -> Result<Found, ServiceError> {
    let criteria = search::parse(input)?;
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    if !criteria.ids.is_empty() {
        let got = lookup::by_ids(urssaf, tenant, &criteria.ids).await?;
        let have: HashSet<&str> = got.iter().map(|p| p.id.as_str()).collect();
        not_found.extend(
            criteria
                .ids
                .iter()
                .filter(|id| !have.contains(id.as_str()))
                .cloned(),
        );
        found.extend(got);
    }
    if !criteria.invoice_numbers.is_empty() {
        let got = lookup::by_invoice_numbers(urssaf, tenant, &criteria.invoice_numbers).await?;
        let have: HashSet<&str> = got
            .iter()
            .filter_map(|p| p.invoice_number.as_deref())
            .collect();
        not_found.extend(
            criteria
                .invoice_numbers
                .iter()
                .filter(|n| !have.contains(n.as_str()))
                .cloned(),
        );
        found.extend(got);
    }
    if criteria.from.is_some() || criteria.to.is_some() {
        let from = criteria.from.unwrap_or(FIRST_INVOICE_DATE);
        let to = criteria.to.unwrap_or(today);
        if from > to {
            // Point at the date the caller gave (the other one is a default).
            let pointer = if criteria.from.is_some() {
                "/invoice_date_from"
            } else {
                "/invoice_date_to"
            };
            return Err(FieldError::new(
                pointer,
                "period_order",
                format!("the period is empty: {from} is after {to} (invoice_date_to, or today when omitted)"),
            )
            .into());
        }
        found.extend(lookup::by_period(urssaf, tenant, from, to).await?);
    }
    let mut seen = HashSet::new();
    found.retain(|p| seen.insert(p.id.clone()));
    Ok(Found {
        payment_requests: found,
        not_found,
    })
}
