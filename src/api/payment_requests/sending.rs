//! Sending invoices: all checked locally first, then sent 10 per call, answered per invoice
//! in the caller's order, with lost answers and duplicates reconciled against Urssaf.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use futures_util::{stream, StreamExt};

use crate::api::dto::payment_requests::{
    InvoiceInput, InvoiceResult, Outcome, PaymentRequest, ResultError, SubmitResults,
};
use crate::api::problem::Problem;
use crate::api::upstream::upstream_problem;
use crate::api::AppState;
use crate::domain::FieldError;
use crate::tenant::Tenant;
use crate::urssaf::mapping::{self, PreparedInvoice, TenantDefaults};
use crate::urssaf::{wire, UpstreamError, MAX_PER_CALL};

/// What happened to one invoice.
enum Fate {
    Accepted {
        request: PaymentRequest,
        reconciled: bool,
    },
    Rejected(Vec<wire::Erreur>),
    /// Urssaf said it already has this invoice number; to be compared with what it holds.
    Duplicate(Vec<wire::Erreur>),
    /// No definite answer (timeout, broken connection): maybe integrated, to be looked up.
    Unknown(UpstreamError),
    /// Definitely not integrated (Urssaf unreachable, credentials refused…): safe to retry.
    Failed(UpstreamError),
    /// Urssaf says the number is taken but what it holds could not be read to compare:
    /// maybe our own earlier submission, so never reported as a definite duplicate.
    Unverified,
}

/// The answer: status, and either results or a problem (which then carries the results).
pub enum Answer {
    Results(StatusCode, SubmitResults),
    Problem(Problem),
}

pub async fn submit(state: &AppState, tenant: &Arc<Tenant>, invoices: &[InvoiceInput]) -> Answer {
    let now = chrono::Utc::now();
    let prepared = match prepare(tenant, invoices, now) {
        Ok(p) => p,
        Err(errors) => return Answer::Problem(Problem::validation(errors)),
    };
    let mut fates = send_all(state, tenant, &prepared).await;
    reconcile(state, tenant, &prepared, &mut fates).await;
    answer(invoices, prepared, fates)
}

/// Every invoice is checked before anything is sent: one bad invoice sends none.
fn prepare(
    tenant: &Tenant,
    invoices: &[InvoiceInput],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<PreparedInvoice>, Vec<FieldError>> {
    let defaults = TenantDefaults {
        billing_id: tenant.billing_id.clone(),
        worker_id: tenant.worker_id.clone(),
    };
    let mut errors = Vec::new();
    let mut prepared = Vec::with_capacity(invoices.len());
    if invoices.is_empty() {
        errors.push(FieldError::new(
            "/invoices",
            "min_items",
            "send at least one invoice",
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, inv) in invoices.iter().enumerate() {
        if let Some(first) = seen.insert(inv.invoice_number.trim(), i) {
            errors.push(FieldError::new(
                format!("/invoices/{i}/invoice_number"),
                "unique",
                format!("same invoice number as /invoices/{first}; Urssaf takes each number once"),
            ));
        }
        match mapping::invoice_to_wire(inv, &format!("/invoices/{i}"), &defaults, now) {
            Ok(p) => prepared.push(p),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(prepared)
    } else {
        Err(errors)
    }
}

/// Chunks of at most 10, sent concurrently; fates come back in the caller's order.
async fn send_all(
    state: &AppState,
    tenant: &Arc<Tenant>,
    prepared: &[PreparedInvoice],
) -> Vec<Fate> {
    let chunks = prepared
        .chunks(MAX_PER_CALL)
        .map(|chunk| send_chunk(state, tenant, chunk));
    let fates: Vec<Vec<Fate>> = stream::iter(chunks)
        .buffered(super::lookup::CONCURRENT_CALLS)
        .collect()
        .await;
    fates.into_iter().flatten().collect()
}

async fn send_chunk(
    state: &AppState,
    tenant: &Arc<Tenant>,
    chunk: &[PreparedInvoice],
) -> Vec<Fate> {
    let wires: Vec<wire::InputDemandePaiement> = chunk.iter().map(|p| p.wire.clone()).collect();
    match state.urssaf.submit_payment_requests(tenant, &wires).await {
        Ok(outs) if in_order(&outs, chunk) => outs
            .iter()
            .zip(chunk)
            .map(|(out, p)| fate_of(out, p))
            .collect(),
        // Answers that cannot be paired with the invoices sent: look each one up instead.
        Ok(_) => chunk
            .iter()
            .map(|_| {
                Fate::Unknown(UpstreamError::BadGateway {
                    status: 200,
                    errors: Vec::new(),
                })
            })
            .collect(),
        // A 400 refuses the whole call and names no invoice: send them one by one to learn
        // which ones Urssaf refuses (nothing of a refused call was integrated).
        Err(UpstreamError::Rejected { .. }) if chunk.len() > 1 => {
            let singles = chunk.iter().map(|p| async move {
                match state
                    .urssaf
                    .submit_payment_requests(tenant, std::slice::from_ref(&p.wire))
                    .await
                {
                    Ok(outs) => outs
                        .first()
                        .map(|o| fate_of(o, p))
                        .unwrap_or(Fate::Unknown(UpstreamError::Interrupted)),
                    Err(e) => fate_of_error(e),
                }
            });
            stream::iter(singles)
                .buffered(super::lookup::CONCURRENT_CALLS)
                .collect()
                .await
        }
        Err(e) => chunk.iter().map(|_| fate_of_error(e.clone())).collect(),
    }
}

fn fate_of(out: &wire::OutputDemandePaiement, p: &PreparedInvoice) -> Fate {
    let errors = out.errors.clone().unwrap_or_default();
    match &out.id_demande_paiement {
        Some(id) if !id.is_empty() && errors.is_empty() => Fate::Accepted {
            request: mapping::accepted_from_wire(out, p, chrono::Utc::now().date_naive()),
            reconciled: false,
        },
        _ if errors.iter().any(|e| e.code == "ERR_FACTURE_DOUBLON") => Fate::Duplicate(errors),
        _ => Fate::Rejected(errors),
    }
}

/// Urssaf answers in the order sent; when it echoes invoice numbers they must agree.
fn in_order(outs: &[wire::OutputDemandePaiement], chunk: &[PreparedInvoice]) -> bool {
    outs.len() == chunk.len()
        && outs.iter().zip(chunk).all(|(o, p)| {
            o.num_facture_tiers
                .as_deref()
                .is_none_or(|n| n.trim() == p.wire.num_facture_tiers)
        })
}

fn fate_of_error(e: UpstreamError) -> Fate {
    match e {
        UpstreamError::Rejected { errors, .. }
            if errors.iter().any(|e| e.code == "ERR_FACTURE_DOUBLON") =>
        {
            Fate::Duplicate(errors)
        }
        UpstreamError::Rejected { errors, .. } => Fate::Rejected(errors),
        e @ (UpstreamError::Timeout
        | UpstreamError::Interrupted
        | UpstreamError::BadGateway { .. }) => Fate::Unknown(e),
        e => Fate::Failed(e),
    }
}

/// Duplicates and lost answers are looked up by invoice number: when Urssaf holds the same
/// invoice (same client, same total) it was ours, sent before, and counts as accepted.
async fn reconcile(
    state: &AppState,
    tenant: &Arc<Tenant>,
    prepared: &[PreparedInvoice],
    fates: &mut [Fate],
) {
    let wanted: Vec<usize> = fates
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Fate::Duplicate(_) | Fate::Unknown(_)))
        .map(|(i, _)| i)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let numbers: Vec<String> = wanted
        .iter()
        .map(|i| prepared[*i].wire.num_facture_tiers.clone())
        .collect();
    let found = match super::lookup::by_invoice_numbers(state, tenant, &numbers).await {
        Ok(found) => found,
        Err(_) => {
            // Nothing could be checked: lost answers stay unknown (their own error says the
            // invoice may have been integrated) and duplicates unverified; neither is kept.
            for i in wanted {
                if matches!(fates[i], Fate::Duplicate(_)) {
                    fates[i] = Fate::Unverified;
                }
            }
            return;
        }
    };
    let today = chrono::Utc::now().date_naive();
    for i in wanted {
        let sent = &prepared[i].wire;
        let held: Vec<&wire::InfoDemandePaiement> = found
            .iter()
            .filter(|info| held_number(info) == Some(sent.num_facture_tiers.as_str()))
            .collect();
        // A refused or cancelled request is an earlier submission, never the one just sent.
        let live: Vec<&wire::InfoDemandePaiement> = held
            .iter()
            .copied()
            .filter(|info| !is_closed(&info.statut.code))
            .collect();
        let ours = live.iter().find(|info| {
            info.demande_paiement
                .as_ref()
                .is_some_and(|d| same_invoice(d, sent))
        });
        // An echo without client or total cannot be compared either way.
        let comparable = live.iter().any(|info| {
            info.demande_paiement
                .as_ref()
                .is_some_and(|d| d.id_client.is_some() && d.mnt_facture_ttc.is_some())
        });
        let previous = std::mem::replace(&mut fates[i], Fate::Unverified);
        fates[i] = match (ours, live.is_empty(), held.is_empty(), previous) {
            (Some(info), _, _, _) => {
                state.metrics.reconciliations.inc();
                tracing::info!("invoice already integrated by urssaf; reconciled");
                Fate::Accepted {
                    request: mapping::payment_request_from_wire(info, today),
                    reconciled: true,
                }
            }
            (None, false, _, _) if !comparable => Fate::Unverified,
            // Urssaf holds another invoice under this number (live, or closed but keeping it).
            (None, _, false, Fate::Duplicate(errors)) => Fate::Duplicate(errors),
            (None, false, _, _) => Fate::Duplicate(vec![wire::Erreur {
                code: "ERR_FACTURE_DOUBLON".into(),
                message: "numFactureTiers déjà utilisé".into(),
                description: "Urssaf already holds another invoice with this number".into(),
            }]),
            // Not integrated after all: definitely safe to send again.
            (None, true, _, Fate::Unknown(e)) => Fate::Failed(e),
            // "Duplicate" yet nothing found under the number: cannot be settled now.
            (None, true, _, _) => Fate::Unverified,
        };
    }
}

/// Refused (40), deleted (100) or cancelled (110–113): closed without being paid.
fn is_closed(code: &str) -> bool {
    matches!(code.trim(), "40" | "100" | "110" | "111" | "112" | "113")
}

/// The invoice number Urssaf holds a payment request under, when it echoes it.
fn held_number(info: &wire::InfoDemandePaiement) -> Option<&str> {
    info.demande_paiement
        .as_ref()
        .and_then(|d| d.num_facture_tiers.as_deref())
        .map(str::trim)
}

/// Whether what Urssaf holds under an invoice number is the invoice sent: same client, dates
/// and amounts (dates compared as days; a value Urssaf does not echo, or not readably, is not
/// held against; a missing deposit means none).
fn same_invoice(held: &wire::DemandePaiementEcho, sent: &wire::InputDemandePaiement) -> bool {
    use crate::domain::dates::parse_urssaf_date as day;
    let same_day =
        |h: &Option<String>, s: &str| h.as_deref().and_then(day).is_none_or(|h| Some(h) == day(s));
    // Client and total must be echoed and equal (Urssaf echoes both): an echo without them
    // proves nothing, and calling another invoice ours would hide a real duplicate.
    held.id_client.as_deref() == Some(sent.id_client.as_str())
        && held.mnt_facture_ttc == Some(sent.mnt_facture_ttc)
        && held.mnt_facture_ht.is_none_or(|a| a == sent.mnt_facture_ht)
        && held.mnt_acompte.unwrap_or_default() == sent.mnt_acompte.unwrap_or_default()
        && same_day(&held.date_naissance_client, &sent.date_naissance_client)
        && same_day(&held.date_facture, &sent.date_facture)
        && same_day(&held.date_debut_emploi, &sent.date_debut_emploi)
        && same_day(&held.date_fin_emploi, &sent.date_fin_emploi)
}

fn answer(invoices: &[InvoiceInput], prepared: Vec<PreparedInvoice>, fates: Vec<Fate>) -> Answer {
    let mut results = Vec::with_capacity(fates.len());
    let mut accepted = 0;
    let mut first_failure: Option<Problem> = None;
    let mut first_rejection: Option<(Vec<wire::Erreur>, bool)> = None;
    for (i, ((inv, p), fate)) in invoices.iter().zip(prepared).zip(fates).enumerate() {
        let (outcome, payment_request, reconciled, errors) = match fate {
            Fate::Accepted {
                request,
                reconciled,
            } => {
                accepted += 1;
                (Outcome::Accepted, Some(request), reconciled, Vec::new())
            }
            Fate::Rejected(errs) | Fate::Duplicate(errs) => {
                let duplicate = errs.iter().any(|e| e.code == "ERR_FACTURE_DOUBLON");
                let list = result_errors(&errs, &format!("/invoices/{i}"));
                first_rejection.get_or_insert((errs, duplicate));
                (Outcome::Rejected, None, false, list)
            }
            fate @ (Fate::Unknown(_) | Fate::Failed(_) | Fate::Unverified) => {
                let problem = match fate {
                    Fate::Unknown(e) | Fate::Failed(e) => upstream_problem(&e),
                    _ => unverified(),
                };
                let err = ResultError {
                    pointer: None,
                    rule: problem.code.clone(),
                    message: problem.detail.clone(),
                    urssaf: problem.urssaf.clone(),
                    hint: problem.hint.clone(),
                };
                first_failure.get_or_insert(problem);
                (Outcome::Failed, None, false, vec![err])
            }
        };
        results.push(InvoiceResult {
            invoice_number: inv.invoice_number.trim().to_string(),
            outcome,
            payment_request,
            reconciled,
            adjustments: p.adjustments,
            errors,
        });
    }
    let all = results.len();
    let results = SubmitResults { results };
    if accepted == all {
        return Answer::Results(StatusCode::OK, results);
    }
    if accepted > 0 {
        return Answer::Results(StatusCode::MULTI_STATUS, results);
    }
    // Nothing accepted: a problem, carrying the per-invoice results.
    let mut problem = match (first_failure, first_rejection) {
        (Some(p), _) => p,
        (None, Some((errs, duplicate))) => {
            let mut p = upstream_problem(&UpstreamError::Rejected {
                status: 400,
                errors: errs,
            });
            if duplicate && all == 1 {
                p.status = StatusCode::CONFLICT.as_u16();
            } else if all > 1 {
                p.status = StatusCode::UNPROCESSABLE_ENTITY.as_u16();
                p.code = "urssaf_rejected".into();
                p.type_uri = "/problems/urssaf-rejected".into();
                p.title = "Urssaf rejected every invoice".into();
                p.detail = format!(
                    "Urssaf rejected all {all} invoices; see `results` for each one's errors"
                );
            }
            p
        }
        (None, None) => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "Urssaf failed",
            "no invoice was accepted",
        ),
    };
    problem.results = serde_json::to_value(&results.results).ok();
    Answer::Problem(problem)
}

fn unverified() -> Problem {
    Problem::new(
        StatusCode::BAD_GATEWAY,
        "duplicate_unverified",
        "Duplicate not verified",
        "the gateway could not verify whether what Urssaf holds under this invoice number is this invoice",
    )
    .with_hint(Some(
        "send it again (the same Idempotency-Key works): if Urssaf holds this very invoice it is then answered as accepted",
    ))
}

fn result_errors(errs: &[wire::Erreur], pointer_prefix: &str) -> Vec<ResultError> {
    if errs.is_empty() {
        return vec![ResultError {
            pointer: None,
            rule: "urssaf_rejected".into(),
            message: "Urssaf refused this invoice without saying why".into(),
            urssaf: None,
            hint: None,
        }];
    }
    errs.iter()
        .map(|e| ResultError::from_urssaf(e, pointer_prefix))
        .collect()
}
