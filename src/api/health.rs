//! Liveness, readiness and metrics: no API key needed.

use std::sync::atomic::Ordering;

use actix_web::{get, web, HttpResponse, ResponseError};

use super::problem::{Problem, ProblemCode};
use super::AppState;

/// What a probe answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProbeStatus {
    /// `ok` (alive) or `ready`.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz", responses((status = 200, description = "Alive", body = ProbeStatus, example = json!({"status": "ok"}))))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(ProbeStatus { status: "ok" })
}

/// Readiness: configured and not draining. Deliberately independent of Redis and Urssaf,
/// so that a blip there does not take every replica out of the load balancer at once.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz", responses(
    (status = 200, description = "Ready to serve", body = ProbeStatus, example = json!({"status": "ready"})),
    (status = 503, description = "Draining (shutting down)", body = Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.ready.load(Ordering::Acquire) {
        HttpResponse::Ok().json(ProbeStatus { status: "ready" })
    } else {
        Problem::new(ProblemCode::Draining, "this instance is draining").error_response()
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
