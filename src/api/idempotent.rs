//! `Idempotency-Key` on creating calls: the first definite answer is kept per tenant and key
//! and replayed for the same body; the same key with another body, or while the first call
//! is still running, is refused without calling Urssaf.

use actix_web::http::{header, StatusCode};
use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use super::problem::{Problem, ProblemCode};
use super::AppState;
use crate::idempotency::{self, Begin, StoredAnswer};
use crate::tenant::Tenant;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A handler's answer, before it is sent (and maybe kept for replay).
pub struct Reply {
    status: StatusCode,
    body: String,
    location: Option<String>,
    retry_after: Option<u64>,
    /// Kept for replay: a final answer. Not kept: 5xx, or invoices Urssaf did not process,
    /// so that a retry with the same key gets another chance.
    definite: bool,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
        Reply {
            status,
            body: serde_json::to_string(value).unwrap_or_default(),
            location: None,
            retry_after: None,
            definite: !status.is_server_error(),
        }
    }

    pub fn problem(p: &Problem) -> Reply {
        let status = p.status_code();
        Reply {
            status,
            body: serde_json::to_string(p).unwrap_or_default(),
            location: None,
            retry_after: p.retry_after_secs,
            definite: !status.is_server_error(),
        }
    }

    pub fn with_location(mut self, location: String) -> Reply {
        self.location = Some(location);
        self
    }

    pub fn not_definite(mut self) -> Reply {
        self.definite = false;
        self
    }
}

/// Runs `work` at most once per tenant, key and body. The work runs in its own task: a
/// caller that hangs up does not cancel it, so its answer is still kept for the retry, and
/// its claim is renewed for as long as it runs.
pub async fn run<F, Fut>(
    state: web::Data<AppState>,
    tenant: Arc<Tenant>,
    req: &HttpRequest,
    body: web::Bytes,
    work: F,
) -> HttpResponse
where
    F: FnOnce(web::Data<AppState>, Arc<Tenant>, web::Bytes) -> Fut + 'static,
    Fut: Future<Output = Reply> + 'static,
{
    let key = match req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::trim))
    {
        None => None,
        Some(Ok(k)) if idempotency::key_is_valid(k) => Some(k.to_string()),
        Some(_) => {
            return Problem::new(
                ProblemCode::InvalidIdempotencyKey,
                "the Idempotency-Key header must be 1 to 255 printable ASCII characters",
            )
            .error_response();
        }
    };
    // Scoped by tenant and by its Urssaf identity, so a re-pointed tenant id or another
    // deployment sharing the Redis never replays someone else's answer.
    let scope = format!("{}:{}:{}", req.path(), tenant.id, tenant.token_cache_id());
    let claim = match &key {
        None => None,
        Some(k) => match state
            .idempotency
            .begin(&scope, k, idempotency::fingerprint(&body))
            .await
        {
            Begin::Fresh(claim) => Some(claim),
            Begin::Replay(answer) => {
                state.metrics.idempotency_replays.inc();
                return respond(answer, true, None);
            }
            Begin::InFlight => {
                return Problem::new(
                    ProblemCode::IdempotencyInFlight,
                    "a request with this Idempotency-Key is still being processed; retry in a moment to get its answer",
                )
                .error_response();
            }
            Begin::Mismatch => {
                return Problem::new(
                    ProblemCode::IdempotencyKeyReused,
                    "this Idempotency-Key was used with a different body; use a new key for a new request",
                )
                .error_response();
            }
        },
    };
    let store = state.idempotency.clone();
    // The task keeps the request's context (problems and log lines carry its ids) and span.
    let span = tracing::Span::current();
    let task = actix_web::rt::spawn(crate::telemetry::with_current_context(
        async move {
            let running = work(state, tenant, body);
            let reply = match &claim {
                None => running.await,
                Some(claim) => {
                    // Renewing runs beside the work, never pausing it.
                    let renewing = async {
                        let mut renew = tokio::time::interval(store.renew_every());
                        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        renew.tick().await; // the first tick is immediate
                        loop {
                            renew.tick().await;
                            store.renew(claim).await;
                        }
                    };
                    tokio::select! {
                        reply = running => reply,
                        never = renewing => never,
                    }
                }
            };
            let answer = StoredAnswer {
                status: reply.status.as_u16(),
                body: reply.body,
                location: reply.location,
            };
            if let Some(claim) = claim {
                if reply.definite {
                    store.complete(claim, answer.clone()).await;
                } else {
                    store.release(claim).await;
                }
            }
            (answer, reply.retry_after)
        }
        .instrument(span),
    ));
    match task.await {
        Ok((answer, retry_after)) => respond(answer, false, retry_after),
        Err(_) => Problem::new(
            ProblemCode::Interrupted,
            "the request could not finish here; retry it with the same Idempotency-Key (a 409 means the key is still held: retry a little later)",
        )
        .error_response(),
    }
}

fn respond(answer: StoredAnswer, replayed: bool, retry_after: Option<u64>) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_client_error() || status.is_server_error() {
        "application/problem+json"
    } else {
        "application/json"
    };
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CONTENT_TYPE, content_type));
    if let Some(location) = answer.location {
        // An id Urssaf answered with characters a header cannot carry only loses the header.
        if let Ok(v) = header::HeaderValue::from_str(&location) {
            b.insert_header((header::LOCATION, v));
        }
    }
    if replayed {
        b.insert_header(("Idempotent-Replayed", "true"));
    }
    if let Some(seconds) = retry_after {
        b.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    b.body(answer.body)
}

/// The `Idempotency-Key` header, documented once for every creating operation.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Only describes the header for the OpenAPI document.
pub struct IdempotencyKeyHeader {
    /// Any unique string (1–255 printable characters), e.g. a UUID; makes a retry safe.
    #[param(rename = "Idempotency-Key", max_length = 255, min_length = 1)]
    idempotency_key: Option<String>,
}
