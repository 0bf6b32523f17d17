//! Duplicates and lost answers are looked up by invoice number: when Urssaf holds the same
//! invoice (same client, same total) it was ours, sent before, and counts as accepted.

use std::sync::Arc;

use super::lookup::by_invoice_numbers;
use super::pending::Pending;
use crate::domain::invoice::Invoice;
use crate::domain::payment_request::PaymentRequest;
use crate::metrics::Metrics;
use crate::tenant::Tenant;
use crate::urssaf::{UrssafClient, UrssafError};

pub(super) async fn reconcile(
    urssaf: &UrssafClient,
    metrics: &Metrics,
    tenant: &Arc<Tenant>,
    invoices: &[Invoice],
    fates: &mut [Pending],
) {
    let wanted: Vec<usize> = fates
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Pending::Duplicate(_) | Pending::Unknown(_)))
        .map(|(i, _)| i)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let numbers: Vec<String> = wanted.iter().map(|i| invoices[*i].number.clone()).collect();
    let found = match by_invoice_numbers(urssaf, tenant, &numbers).await {
        Ok(found) => found,
        Err(e) => {
            // Nothing could be checked: lost answers stay unknown (their own error says the
            // invoice may have been integrated) and duplicates unverified; neither is kept.
            tracing::warn!(error = %e, "reconciliation lookup failed");
            metrics.reconciliation_failures.inc();
            for i in wanted {
                if matches!(fates[i], Pending::Duplicate(_)) {
                    fates[i] = Pending::Unverified;
                }
            }
            return;
        }
    };
    for i in wanted {
        let sent = &invoices[i];
        let held: Vec<&PaymentRequest> = found
            .iter()
            .filter(|p| p.invoice_number.as_deref() == Some(sent.number.as_str()))
            .collect();
        // A refused or cancelled request is an earlier submission, never the one just sent.
        let live: Vec<&PaymentRequest> = held
            .iter()
            .copied()
            .filter(|p| !p.closed_unpaid())
            .collect();
        let ours = live.iter().find(|p| {
            p.invoice
                .as_ref()
                .is_some_and(|e| e.matches(p.client_id.as_deref(), sent))
        });
        // An echo without client or total cannot be compared either way.
        let comparable = live.iter().any(|p| {
            p.invoice
                .as_ref()
                .is_some_and(|e| e.comparable(p.client_id.as_deref()))
        });
        let previous = std::mem::replace(&mut fates[i], Pending::Unverified);
        fates[i] = match (ours, live.is_empty(), held.is_empty(), previous) {
            (Some(p), _, _, _) => {
                metrics.reconciliations.inc();
                tracing::info!("invoice already integrated by urssaf; reconciled");
                Pending::Accepted {
                    request: (*p).clone(),
                    reconciled: true,
                }
            }
            (None, false, _, _) if !comparable => Pending::Unverified,
            // Urssaf holds another invoice under this number (live, or closed but keeping it).
            (None, _, false, Pending::Duplicate(errors)) => Pending::Duplicate(errors),
            (None, false, _, _) => Pending::Duplicate(vec![UrssafError::duplicate_invoice()]),
            // Not integrated after all: definitely safe to send again.
            (None, true, _, Pending::Unknown(e)) => Pending::Failed(e),
            // "Duplicate" yet nothing found under the number: cannot be settled now.
            (None, true, _, _) => Pending::Unverified,
        };
    }
}
