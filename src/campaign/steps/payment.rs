//! M050 and M070: a payment request submitted inside the allowed window, then found again by
//! id and by invoice number.

use std::sync::Arc;

use chrono::{Datelike, Utc};

use super::failure::{failure_of, upstream_failure, urssaf_text};
use super::{Plan, StepResult};
use crate::campaign::report::Failure;
use crate::campaign::rig::{host_of, Rig};
use crate::campaign::scenario::{activation_instant, service_window, InvoiceSpec};
use crate::config::Environment;
use crate::domain::client::AccountStatus;
use crate::domain::search::SearchInput;
use crate::service::payment_requests::{self, Fate};
use crate::service::ServiceError;
use crate::tenant::Tenant;
use crate::urssaf::UrssafClient;

/// The payment request's Urssaf id and invoice number.
pub(super) async fn m050(
    rig: &Rig,
    urssaf: &UrssafClient,
    plan: &Plan,
    client_id: &str,
    account: &AccountStatus,
    notes: &mut Vec<String>,
) -> StepResult<(String, String)> {
    let tenant = &plan.tenant;
    let now = Utc::now();
    let today = now.date_naive();
    let active_from = activation_instant(&account.raw.description);
    let (start, end) = match service_window(active_from, now.naive_utc()) {
        Ok(w) => w,
        Err(first_day) if tenant.environment == Environment::Embedded => {
            // Rehearsal only: the simulator can move the activation back; Urssaf cannot.
            let month_start = today.with_day(1).unwrap_or(today);
            backdate_activation(host_of(tenant), client_id, month_start).await?;
            notes.push(format!(
                "Rehearsal on the simulator only: the client became active during today and invoices carry whole days, so the first service day Urssaf would accept is {first_day}. The campaign moved the activation to {month_start} 00:00 UTC through the simulator's admin API (PUT /__admin/clients/{client_id}/status). Against Urssaf's sandbox it never does this: run it again from {first_day}."
            ));
            (month_start, today)
        }
        Err(first_day) => {
            return Err(Failure {
                problem: format!(
                    "no service day can be invoiced yet: the client is active from {} and invoices carry whole days, so the first one Urssaf accepts is {first_day}; nothing was sent",
                    active_from.map(|a| a.to_string()).unwrap_or_default()
                ),
                hint: Some(format!("Run the campaign again on or after {first_day}: registration (M010) answers the same client, already active.")),
                ..Failure::default()
            })
        }
    };
    let number = format!(
        "CAMP-{}-{}",
        now.format("%Y%m%d%H%M%S"),
        &uuid::Uuid::new_v4().simple().to_string()[..4]
    );
    let spec = InvoiceSpec::new(
        plan.shape,
        number.clone(),
        client_id.to_string(),
        plan.identity.birth_date.clone(),
        start,
        end,
    );
    notes.push(format!(
        "Service window: {start} to {end} (after the activation, not in the future, one calendar month); invoice {number} dated {end}."
    ));
    let outcomes = match payment_requests::submit(
        urssaf,
        &rig.metrics,
        rig.events.as_ref(),
        tenant,
        &[spec.input()],
        today,
    )
    .await
    {
        Ok(o) => o,
        Err(fields) => return Err(failure_of(&ServiceError::Invalid(fields))),
    };
    let Some(outcome) = outcomes.into_iter().next() else {
        return Err(Failure {
            problem: "the gateway answered no outcome for the invoice".into(),
            ..Failure::default()
        });
    };
    for a in &outcome.adjustments {
        notes.push(format!(
            "The gateway adjusted {} from {} to {} before sending: {}.",
            a.pointer, a.original, a.adjusted, a.reason
        ));
    }
    match outcome.fate {
        Fate::Accepted { request, reconciled } => {
            let text = format!(
                "Urssaf integrated the payment request: idDemandePaiement {}, status {}{}",
                request.id,
                request.status.code,
                if reconciled {
                    " (found already integrated under this number)"
                } else {
                    ""
                }
            );
            Ok(((request.id, number), text))
        }
        Fate::Rejected(errors) => {
            let first = errors.first();
            Err(Failure {
                urssaf_code: first.map(|e| e.code.as_str().to_string()),
                urssaf_message: first.map(urssaf_text),
                problem: format!(
                    "Urssaf rejected the payment request ({})",
                    errors
                        .iter()
                        .map(|e| e.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint: first.and_then(|e| e.code.hint()).map(str::to_string),
                fields: Vec::new(),
            })
        }
        Fate::Failed(payment_requests::Failure::Upstream(e)) => Err(upstream_failure(&e)),
        Fate::Failed(payment_requests::Failure::DuplicateUnverified) => Err(Failure {
            problem: "Urssaf says the invoice number is taken, and what it holds under that number could not be read to compare".into(),
            hint: Some("Run the campaign again: it uses a new invoice number each time.".into()),
            ..Failure::default()
        }),
    }
}

pub(super) async fn m070(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    id: &str,
    number: &str,
) -> StepResult<()> {
    let today = Utc::now().date_naive();
    let by_id = payment_requests::get(urssaf, tenant, id)
        .await
        .map_err(|e| failure_of(&e))?;
    let numbers = [number.to_string()];
    let input = SearchInput {
        ids: &[],
        invoice_numbers: &numbers,
        invoice_date_from: None,
        invoice_date_to: None,
    };
    let by_number = payment_requests::search(urssaf, tenant, &input, today)
        .await
        .map_err(|e| failure_of(&e))?;
    if !by_number.payment_requests.iter().any(|p| p.id == id) {
        return Err(Failure {
            problem: format!(
                "the search by invoice number {number} did not return payment request {id}"
            ),
            hint: Some(
                "Urssaf may take a moment to index a new payment request: run the campaign again."
                    .into(),
            ),
            ..Failure::default()
        });
    }
    let status = by_id.status_on(today);
    let state = serde_json::to_value(status.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok((
        (),
        format!(
            "found by id {id} and by invoice number {number}: status {} {} ({state})",
            status.urssaf_code, status.urssaf_label
        ),
    ))
}

/// Simulator only: `PUT /__admin/clients/{id}/status`, active from `day` at midnight UTC.
async fn backdate_activation(
    host: &str,
    client_id: &str,
    day: chrono::NaiveDate,
) -> Result<(), Failure> {
    let url = format!("{host}/__admin/clients/{client_id}/status");
    let body = serde_json::json!({"code": "APPAREILLAGE_VALIDE", "activated_at": format!("{day}T00:00:00Z")});
    let answer = reqwest::Client::new().put(&url).json(&body).send().await;
    match answer {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(Failure {
            problem: format!(
                "the simulator's admin API answered HTTP {} to {url}",
                r.status().as_u16()
            ),
            hint: Some(
                "The simulator's admin API must be on to rehearse with a client activated today."
                    .into(),
            ),
            ..Failure::default()
        }),
        Err(e) => Err(Failure {
            problem: format!("the simulator's admin API could not be reached at {url}: {e}"),
            ..Failure::default()
        }),
    }
}
