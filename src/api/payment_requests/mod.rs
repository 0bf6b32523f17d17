//! `/v1/payment-requests`: send invoices once and only once, and follow each to payment.

pub mod lookup;
pub mod sending;

use std::collections::HashSet;

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::body::parse_json;
use super::fan_out::FanOut;
use super::idempotent::{self, IdempotencyKeyHeader, Reply};
use super::problem::Problem;
use super::responses::CommonProblems;
use super::upstream::upstream_problem;
use super::AppState;
use crate::api::dto::payment_requests::{
    Outcome, PaymentRequest, SearchPaymentRequests, SearchResults, SubmitPaymentRequests,
    SubmitResults,
};
use crate::domain::FieldError;
use crate::urssaf::mapping;

/// Lower bound of an open period: the immediate advance did not exist before 2022.
const FIRST_INVOICE_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2022, 1, 1) {
    Some(d) => d,
    None => chrono::NaiveDate::MIN,
};

/// Send invoices as payment requests (Urssaf E3 `POST /demandePaiement`).
///
/// Up to `server.max_invoices_per_submission` invoices (100 by default): the gateway checks them
/// all (one invalid invoice → 422 and nothing is sent), sends them to Urssaf 10 per call, and
/// answers per invoice in your order.
///
/// Status rule: **200** every invoice accepted; **207** some accepted, the others `rejected` by
/// Urssaf or `failed` (not processed: safe to resend) — see each result's `outcome`; when none is accepted, a problem: **409** a single invoice Urssaf already
/// holds under another content, **422** Urssaf rejected them, **502/503/504** Urssaf failed or was
/// unreachable (the problem's `results` lists each invoice). Send an `Idempotency-Key` to make
/// retries safe: the first answer is replayed for the same key and body.
#[utoipa::path(post, path = "/v1/payment-requests", tag = "payment-requests", request_body = SubmitPaymentRequests,
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
            match sending::submit(&state, &tenant, &request.invoices).await {
                sending::Answer::Results(status, results) => {
                    let reply = Reply::json(status, &results);
                    if results.results.iter().any(|r| r.outcome == Outcome::Failed) {
                        reply.not_definite()
                    } else {
                        reply
                    }
                }
                sending::Answer::Problem(p) => Reply::problem(&p),
            }
        },
    )
    .await
}

/// Read one payment request (Urssaf E4 `POST /demandePaiement/rechercher` by id).
#[utoipa::path(get, path = "/v1/payment-requests/{payment_request_id}", tag = "payment-requests",
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
    let id = path.into_inner();
    if id.is_empty()
        || id.len() > 50
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Problem::validation(vec![FieldError::new(
            "/payment_request_id",
            "payment_request_id",
            "must be Urssaf's idDemandePaiement: 1 to 50 letters, digits, '-' or '_'",
        )]));
    }
    let found = lookup::by_ids(&state, &caller.0, std::slice::from_ref(&id))
        .await
        .map_err(|e| upstream_problem(&e))?;
    let today = chrono::Utc::now().date_naive();
    match found.iter().find(|f| f.id_demande_paiement == id) {
        Some(info) => Ok(HttpResponse::Ok().json(mapping::payment_request_from_wire(info, today))),
        None => Err(Problem::not_found(format!(
            "Urssaf knows no payment request {id} for this provider"
        ))),
    }
}

/// Search payment requests by ids, invoice numbers and/or an invoice-date period (Urssaf E4).
///
/// Up to `server.max_search_values` ids and as many invoice numbers (100 by default; sent 10 per
/// call). A period is searched whole: when
/// Urssaf says it has too many results, the gateway splits the period and merges the answers.
/// Criteria combine as a union. Nothing found is an empty list, not an error; ids and invoice
/// numbers Urssaf did not find are listed in `not_found`.
#[utoipa::path(post, path = "/v1/payment-requests/search", tag = "payment-requests", request_body = SearchPaymentRequests,
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
    let request: SearchPaymentRequests = parse_json(&body)?;
    FanOut::of(&req).check_search(&request)?;
    let criteria = mapping::validate_search(&request).map_err(Problem::validation)?;
    let tenant = &caller.0;
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    if !criteria.ids.is_empty() {
        let got = lookup::by_ids(&state, tenant, &criteria.ids)
            .await
            .map_err(|e| upstream_problem(&e))?;
        let have: HashSet<&str> = got.iter().map(|i| i.id_demande_paiement.as_str()).collect();
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
        let got = lookup::by_invoice_numbers(&state, tenant, &criteria.invoice_numbers)
            .await
            .map_err(|e| upstream_problem(&e))?;
        let have: HashSet<&str> = got
            .iter()
            .filter_map(|i| i.demande_paiement.as_ref())
            .filter_map(|d| d.num_facture_tiers.as_deref())
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
        let to = criteria
            .to
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        if from > to {
            // Point at the date the caller gave (the other one is a default).
            let pointer = if criteria.from.is_some() {
                "/invoice_date_from"
            } else {
                "/invoice_date_to"
            };
            return Err(Problem::validation(vec![FieldError::new(
                pointer,
                "period_order",
                format!("the period is empty: {from} is after {to} (invoice_date_to, or today when omitted)"),
            )]));
        }
        found.extend(
            lookup::by_period(&state, tenant, from, to)
                .await
                .map_err(|e| upstream_problem(&e))?,
        );
    }
    let today = chrono::Utc::now().date_naive();
    let mut seen = HashSet::new();
    let payment_requests = found
        .iter()
        .filter(|i| seen.insert(i.id_demande_paiement.clone()))
        .map(|i| mapping::payment_request_from_wire(i, today))
        .collect();
    Ok(HttpResponse::Ok().json(SearchResults {
        payment_requests,
        not_found,
    }))
}
