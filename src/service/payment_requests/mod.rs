//! Payment requests: send invoices once and only once, and follow each to payment.

pub mod lookup;
mod pending;
mod reconcile;
mod submit;
mod watch;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;

pub use submit::{submit, Failure, Fate, InvoiceOutcome};
pub use watch::SubmittedWatch;

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

/// Searches by ids, invoice numbers and/or an invoice-date period. Criteria narrow each other:
/// Urssaf is asked by the most selective one (ids, else invoice numbers, else the period) and
/// the others filter its answer. Each result once; ids and numbers that matched nothing are
/// listed apart.
pub async fn search(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    input: &SearchInput<'_>,
    today: NaiveDate,
) -> Result<Found, ServiceError> {
    let criteria = search::parse(input)?;
    let period = period(&criteria, today)?;
    let found = if !criteria.ids.is_empty() {
        lookup::by_ids(urssaf, tenant, &criteria.ids).await?
    } else if !criteria.invoice_numbers.is_empty() {
        lookup::by_invoice_numbers(urssaf, tenant, &criteria.invoice_numbers).await?
    } else if let Some((from, to)) = period {
        lookup::by_period(urssaf, tenant, from, to).await?
    } else {
        Vec::new()
    };
    let mut seen = HashSet::new();
    let kept: Vec<PaymentRequest> = found
        .into_iter()
        .filter(|p| criteria.matches(p, period) && seen.insert(p.id.clone()))
        .collect();
    let ids: HashSet<&str> = kept.iter().map(|p| p.id.as_str()).collect();
    let numbers: HashSet<&str> = kept
        .iter()
        .filter_map(|p| p.invoice_number.as_deref())
        .collect();
    let not_found = (criteria.ids.iter().filter(|id| !ids.contains(id.as_str())))
        .chain(
            criteria
                .invoice_numbers
                .iter()
                .filter(|n| !numbers.contains(n.as_str())),
        )
        .cloned()
        .collect();
    Ok(Found {
        payment_requests: kept,
        not_found,
    })
}

/// The invoice-date period, open ends filled (from the scheme's start, to today).
fn period(
    criteria: &search::SearchCriteria,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, FieldError> {
    if criteria.from.is_none() && criteria.to.is_none() {
        return Ok(None);
    }
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
        ));
    }
    Ok(Some((from, to)))
}
