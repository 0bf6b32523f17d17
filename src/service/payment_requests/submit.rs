//! Sending invoices: all checked locally first, then sent 10 per call, answered per invoice in
//! the caller's order, with lost answers and duplicates reconciled against Urssaf.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::{stream, StreamExt};

use super::lookup::CONCURRENT_CALLS;
use super::pending::Pending;
use super::reconcile::reconcile;
use super::watch::SubmittedWatch;
use crate::domain::invoice::{Adjustment, Invoice, InvoiceDefaults, InvoiceInput};
use crate::domain::payment_request::PaymentRequest;
use crate::domain::FieldError;
use crate::metrics::Metrics;
use crate::tenant::Tenant;
use crate::urssaf::{CodeKind, Receipt, UpstreamError, UrssafClient, UrssafError, MAX_PER_CALL};

/// What happened to one invoice, in the order submitted.
#[derive(Debug)]
pub struct InvoiceOutcome {
    pub invoice_number: String,
    pub fate: Fate,
    /// Values the gateway changed before sending.
    pub adjustments: Vec<Adjustment>,
}

#[derive(Debug)]
pub enum Fate {
    /// Urssaf integrated it now, or had integrated it before (`reconciled`).
    Accepted {
        request: PaymentRequest,
        reconciled: bool,
    },
    /// Urssaf refused it (a duplicate number among the reasons): fix it before sending again.
    Rejected(Vec<UrssafError>),
    /// Not processed, or not known to be: safe to send again.
    Failed(Failure),
}

#[derive(Debug)]
pub enum Failure {
    /// Urssaf unreachable, or no answer came back (its kind says which).
    Upstream(UpstreamError),
    /// Urssaf says the number is taken but what it holds could not be read to compare: maybe
    /// our own earlier submission, so never reported as a definite duplicate.
    DuplicateUnverified,
}

/// Checks every invoice (one invalid invoice sends none), sends them, reconciles duplicates and
/// lost answers, hands the accepted ones to `watch`, and answers one outcome per invoice in
/// the caller's order.
pub async fn submit(
    urssaf: &UrssafClient,
    metrics: &Metrics,
    watch: &dyn SubmittedWatch,
    tenant: &Arc<Tenant>,
    inputs: &[InvoiceInput<'_>],
    today: NaiveDate,
) -> Result<Vec<InvoiceOutcome>, Vec<FieldError>> {
    let invoices = parse_all(tenant, inputs, today)?;
    let mut fates = send_all(urssaf, tenant, &invoices).await;
    reconcile(urssaf, metrics, tenant, &invoices, &mut fates).await;
    let outcomes = outcomes(invoices, fates);
    let accepted: Vec<&PaymentRequest> = outcomes
        .iter()
        .filter_map(|o| match &o.fate {
            Fate::Accepted { request, .. } => Some(request),
            _ => None,
        })
        .collect();
    if !accepted.is_empty() {
        watch.watch(&tenant.id, &accepted).await;
    }
    Ok(outcomes)
}

fn outcomes(invoices: Vec<Invoice>, fates: Vec<Pending>) -> Vec<InvoiceOutcome> {
    invoices
        .into_iter()
        .zip(fates)
        .map(|(invoice, pending)| InvoiceOutcome {
            invoice_number: invoice.number,
            adjustments: invoice.adjustments,
            fate: match pending {
                Pending::Accepted {
                    request,
                    reconciled,
                } => Fate::Accepted {
                    request,
                    reconciled,
                },
                Pending::Rejected(errs) | Pending::Duplicate(errs) => Fate::Rejected(errs),
                Pending::Unknown(e) | Pending::Failed(e) => Fate::Failed(Failure::Upstream(e)),
                Pending::Unverified => Fate::Failed(Failure::DuplicateUnverified),
            },
        })
        .collect()
}

fn parse_all(
    tenant: &Tenant,
    inputs: &[InvoiceInput<'_>],
    today: NaiveDate,
) -> Result<Vec<Invoice>, Vec<FieldError>> {
    let defaults = InvoiceDefaults {
        worker_id: tenant.worker_id.clone(),
    };
    let mut errors = Vec::new();
    let mut invoices = Vec::with_capacity(inputs.len());
    if inputs.is_empty() {
        errors.push(FieldError::new(
            "/invoices",
            "min_items",
            "send at least one invoice",
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Some(first) = seen.insert(input.invoice_number.trim(), i) {
            errors.push(FieldError::new(
                format!("/invoices/{i}/invoice_number"),
                "unique",
                format!("same invoice number as /invoices/{first}; Urssaf takes each number once"),
            ));
        }
        match Invoice::parse(input, &format!("/invoices/{i}"), &defaults, today) {
            Ok(invoice) => invoices.push(invoice),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(invoices)
    } else {
        Err(errors)
    }
}

/// Chunks of at most 10, sent concurrently; fates come back in the caller's order.
async fn send_all(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    invoices: &[Invoice],
) -> Vec<Pending> {
    let chunks = invoices
        .chunks(MAX_PER_CALL)
        .map(|chunk| send_chunk(urssaf, tenant, chunk));
    let fates: Vec<Vec<Pending>> = stream::iter(chunks)
        .buffered(CONCURRENT_CALLS)
        .collect()
        .await;
    fates.into_iter().flatten().collect()
}

async fn send_chunk(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    chunk: &[Invoice],
) -> Vec<Pending> {
    match urssaf.submit_payment_requests(tenant, chunk).await {
        Ok(receipts) if in_order(&receipts, chunk) => receipts
            .into_iter()
            .zip(chunk)
            .map(|(r, inv)| fate_of(r, inv))
            .collect(),
        // Answers that cannot be paired with the invoices sent: look each one up instead.
        Ok(_) => chunk
            .iter()
            .map(|_| {
                Pending::Unknown(UpstreamError::BadGateway {
                    status: 200,
                    errors: Vec::new(),
                    cause: None,
                })
            })
            .collect(),
        // A 400 refuses the whole call and names no invoice: send them one by one to learn
        // which ones Urssaf refuses (nothing of a refused call was integrated).
        Err(UpstreamError::Rejected { .. }) if chunk.len() > 1 => {
            let singles = chunk.iter().map(|inv| async move {
                match urssaf
                    .submit_payment_requests(tenant, std::slice::from_ref(inv))
                    .await
                {
                    Ok(receipts) => match receipts.into_iter().next() {
                        Some(r) => fate_of(r, inv),
                        None => Pending::Unknown(UpstreamError::Interrupted { cause: None }),
                    },
                    Err(e) => fate_of_error(e),
                }
            });
            stream::iter(singles)
                .buffered(CONCURRENT_CALLS)
                .collect()
                .await
        }
        Err(e) => chunk.iter().map(|_| fate_of_error(e.clone())).collect(),
    }
}

fn is_duplicate(errors: &[UrssafError]) -> bool {
    errors
        .iter()
        .any(|e| e.code.kind() == CodeKind::DuplicateInvoice)
}

fn fate_of(receipt: Receipt, invoice: &Invoice) -> Pending {
    match receipt.id {
        Some(id) if receipt.errors.is_empty() => Pending::Accepted {
            request: PaymentRequest::accepted(id, receipt.status_code.as_deref(), invoice),
            reconciled: false,
        },
        _ if is_duplicate(&receipt.errors) => Pending::Duplicate(receipt.errors),
        _ => Pending::Rejected(receipt.errors),
    }
}

/// Urssaf answers in the order sent; when it echoes invoice numbers they must agree.
fn in_order(receipts: &[Receipt], chunk: &[Invoice]) -> bool {
    receipts.len() == chunk.len()
        && receipts
            .iter()
            .zip(chunk)
            .all(|(r, inv)| r.invoice_number.as_deref().is_none_or(|n| n == inv.number))
}

fn fate_of_error(e: UpstreamError) -> Pending {
    match e {
        UpstreamError::Rejected { errors, .. } if is_duplicate(&errors) => {
            Pending::Duplicate(errors)
        }
        UpstreamError::Rejected { errors, .. } => Pending::Rejected(errors),
        e @ (UpstreamError::Timeout { .. }
        | UpstreamError::Interrupted { .. }
        | UpstreamError::BadGateway { .. }) => Pending::Unknown(e),
        e => Pending::Failed(e),
    }
}
