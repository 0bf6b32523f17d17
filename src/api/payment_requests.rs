//! `/v1/payment-requests`: send invoices once and only once, and follow each to payment.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use chrono::NaiveDate;

use super::auth::Caller;
use super::body::{parse_json, require_json};
use super::errors::upstream_problem;
use super::fan_out::FanOut;
use super::idempotent::{self, IdempotencyKeyHeader, Reply};
use super::problem::{Problem, ProblemCode};
use super::responses::CommonProblems;
use super::AppState;
use crate::api::dto::payment_requests::{
    Adjustment, InvoiceResult, Outcome, PaymentRequest, ResultError, SearchPaymentRequests,
    SearchResults, SubmitPaymentRequests, SubmitResults,
};
use crate::service::payment_requests::{self as service, Failure, Fate, InvoiceOutcome};
use crate::urssaf::{CodeKind, UpstreamError, UrssafError};

/// Send invoices as payment requests (Urssaf E3 `POST /demandePaiement`).
///
/// Up to `limits.max_invoices_per_submission` invoices (100 by default): the gateway checks them
/// all (one invalid invoice → 422 and nothing is sent), sends them to Urssaf 10 per call, and
/// answers per invoice in your order.
///
/// Status rule: **200** every invoice accepted; **207** some accepted, the others `rejected` by
/// Urssaf or `failed` (not processed: safe to resend) — see each result's `outcome`; when none is accepted, a problem: **409** a single invoice Urssaf already
/// holds under another content, **422** Urssaf rejected them, **502/503/504** Urssaf failed or was
/// unreachable (the problem's `results` lists each invoice). Send an `Idempotency-Key` to make
/// retries safe: the first answer is replayed for the same key and body.
#[utoipa::path(post, path = "/v1/payment-requests", tag = "payment-requests", operation_id = "submitPaymentRequests", request_body = SubmitPaymentRequests,
    params(IdempotencyKeyHeader),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "Every invoice accepted", body = SubmitResults),
        (status = 207, description = "Some invoices accepted, others rejected or failed: see each `outcome`", body = SubmitResults),
        (status = 400, description = "Malformed Idempotency-Key header", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Duplicate invoice number, or the same Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid invoices (nothing sent), Idempotency-Key reused with another body, or Urssaf rejected every invoice", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/payment-requests")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(p) = require_json(&req) {
        return p.error_response();
    }
    let fan_out = FanOut::of(&req);
    idempotent::run(
        state,
        caller.0,
        &req,
        body,
        move |state, tenant, body| async move {
            let request = match parse_json::<SubmitPaymentRequests>(&body) {
                Ok(r) => r,
                Err(p) => return Reply::problem(&p),
            };
            if let Err(p) = fan_out.check_submission(request.invoices.len()) {
                return Reply::problem(&p);
            }
            let inputs: Vec<_> = request.invoices.iter().map(|i| i.input()).collect();
            let today = today();
            let (urssaf, metrics) = (&state.urssaf, &state.metrics);
            let watch = state.events.as_ref();
            match service::submit(urssaf, metrics, watch, &tenant, &inputs, today).await {
                Ok(outcomes) => answer(outcomes, today),
                Err(errors) => Reply::problem(&Problem::validation(errors)),
            }
        },
    )
    .await
}

/// Read one payment request (Urssaf E4 `POST /demandePaiement/rechercher` by id).
#[utoipa::path(get, path = "/v1/payment-requests/{payment_request_id}", tag = "payment-requests", operation_id = "getPaymentRequest",
    params(("payment_request_id" = String, Path, description = "Urssaf `idDemandePaiement`", pattern = "^[A-Za-z0-9_-]{1,50}$")),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "The payment request and its status", body = PaymentRequest),
        (status = 404, description = "Urssaf knows no such payment request for this provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/payment-requests/{payment_request_id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let found = service::get(&state.urssaf, &caller.0, &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PaymentRequest::render(&found, today())))
}

/// Search payment requests by ids, invoice numbers and/or an invoice-date period (Urssaf E4).
///
/// Criteria narrow each other (AND): with ids and invoice numbers, only requests matching both;
/// with a period as well, only those invoiced within it. Up to `limits.max_search_values` ids
/// and as many invoice numbers (100 by default; sent to Urssaf 10 per call). A period alone is searched whole: when Urssaf says it has too
/// many results, the gateway splits the period and merges the answers. Nothing found is an
/// empty list, not an error; ids and invoice numbers that matched nothing are listed in
/// `not_found`.
#[utoipa::path(post, path = "/v1/payment-requests/search", tag = "payment-requests", operation_id = "searchPaymentRequests", request_body = SearchPaymentRequests,
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "What Urssaf holds", body = SearchResults),
        (status = 422, description = "No criterion, or malformed criteria", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/payment-requests/search")]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    require_json(&req)?;
    let request: SearchPaymentRequests = parse_json(&body)?;
    FanOut::of(&req).check_search(&request)?;
    let today = today();
    let found = service::search(&state.urssaf, &caller.0, &request.input(), today).await?;
    Ok(HttpResponse::Ok().json(SearchResults {
        payment_requests: found
            .payment_requests
            .iter()
            .map(|p| PaymentRequest::render(p, today))
            .collect(),
        not_found: found.not_found,
    }))
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The status rule: 200 all accepted, 207 some, otherwise a problem carrying every result.
/// An answer with a `failed` invoice is not kept for replay: a retry gets another chance.
fn answer(outcomes: Vec<InvoiceOutcome>, today: NaiveDate) -> Reply {
    let all = outcomes.len();
    let mut results = Vec::with_capacity(all);
    let mut accepted = 0;
    let mut first_failure: Option<Problem> = None;
    let mut first_rejection: Option<Vec<UrssafError>> = None;
    for (i, o) in outcomes.into_iter().enumerate() {
        let (outcome, payment_request, reconciled, errors) = match o.fate {
            Fate::Accepted {
                request,
                reconciled,
            } => {
                accepted += 1;
                let view = PaymentRequest::render(&request, today);
                (Outcome::Accepted, Some(view), reconciled, Vec::new())
            }
            Fate::Rejected(errs) => {
                let list = rejection_errors(&errs, &format!("/invoices/{i}"));
                first_rejection.get_or_insert(errs);
                (Outcome::Rejected, None, false, list)
            }
            Fate::Failed(failure) => {
                let problem = match &failure {
                    Failure::Upstream(e) => upstream_problem(e),
                    Failure::DuplicateUnverified => unverified(),
                };
                let err = ResultError {
                    pointer: None,
                    rule: problem.code.as_str().to_string(),
                    message: problem.detail.clone(),
                    urssaf: problem.urssaf.clone(),
                    hint: problem.hint.clone(),
                };
                first_failure.get_or_insert(problem);
                (Outcome::Failed, None, false, vec![err])
            }
        };
        results.push(InvoiceResult {
            invoice_number: o.invoice_number,
            outcome,
            payment_request,
            reconciled,
            adjustments: o.adjustments.iter().map(Adjustment::from).collect(),
            errors,
        });
    }
    let failed = results.iter().any(|r| r.outcome == Outcome::Failed);
    let results = SubmitResults { results };
    if accepted > 0 {
        let status = if accepted == all {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        };
        let reply = Reply::json(status, &results);
        return if failed { reply.not_definite() } else { reply };
    }
    // Nothing accepted: a problem, carrying the per-invoice results.
    let mut problem = match (first_failure, first_rejection) {
        (Some(p), _) => p,
        (None, Some(errs)) if all > 1 => Problem::new(
            ProblemCode::UrssafRejected,
            format!("Urssaf rejected all {all} invoices; see `results` for each one's errors"),
        )
        .with_urssaf(errs.first())
        .with_hint(errs.first().and_then(|e| e.code.hint())),
        // One invoice: a duplicate number is a conflict, anything else a rejection.
        (None, Some(errs)) => {
            let duplicate = errs
                .iter()
                .any(|e| e.code.kind() == CodeKind::DuplicateInvoice);
            let p = upstream_problem(&UpstreamError::Rejected {
                status: 400,
                errors: errs,
            });
            if duplicate && p.code != ProblemCode::UrssafConflict {
                let mut c = Problem::new(ProblemCode::UrssafConflict, p.detail.clone());
                (c.urssaf, c.hint) = (p.urssaf, p.hint);
                c
            } else {
                p
            }
        }
        (None, None) => Problem::new(ProblemCode::UpstreamError, "no invoice was accepted"),
    };
    problem.results = serde_json::to_value(&results.results).ok();
    Reply::problem(&problem)
}

fn unverified() -> Problem {
    Problem::new(
        ProblemCode::DuplicateUnverified,
        "the gateway could not verify whether what Urssaf holds under this invoice number is this invoice",
    )
    .with_hint(Some(
        "send it again (the same Idempotency-Key works): if Urssaf holds this very invoice it is then answered as accepted",
    ))
}

fn rejection_errors(errs: &[UrssafError], pointer_prefix: &str) -> Vec<ResultError> {
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
