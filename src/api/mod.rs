//! The public REST API.

pub mod admin;
pub mod auth;
pub mod body;
pub mod checks;
pub mod clients;
pub mod compress;
pub mod deadline;
pub mod drain;
pub mod dto;
pub mod errors;
pub mod events;
pub mod fan_out;
pub mod health;
pub mod idempotent;
pub mod observe;
pub mod openapi;
pub mod payment_requests;
pub mod problem;
pub mod problem_pages;
pub mod query;
pub mod responses;
pub mod webhooks;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::events::Events;
use crate::idempotency::IdempotencyStore;
use crate::metrics::Metrics;
use crate::tenant::TenantRegistry;
use crate::urssaf::UrssafClient;

/// What every handler may use; built once per application. Cheap to clone (handles): each
/// worker gets its own copy, so taking it per request touches no count shared by the workers.
#[derive(Clone)]
pub struct AppState {
    pub tenants: Arc<TenantRegistry>,
    pub urssaf: UrssafClient,
    pub metrics: Metrics,
    pub idempotency: IdempotencyStore,
    /// The events feed and watch lists (`GET /v1/events`).
    pub events: Arc<Events>,
    /// False while starting or draining.
    pub ready: Arc<AtomicBool>,
}

/// Routes of the public API and of the operational endpoints, each registered once: its
/// OpenAPI entry comes with it, so a route cannot exist undocumented.
pub fn routes(cfg: &mut ServiceConfig, metrics_on_api_port: bool) {
    cfg.service(clients::register)
        .service(clients::find_by_email)
        .service(clients::get_one)
        .service(payment_requests::submit)
        .service(payment_requests::search)
        .service(payment_requests::get_one)
        .service(webhooks::list)
        .service(webhooks::get_one)
        .service(webhooks::redeliver)
        .service(events::list)
        .service(health::healthz)
        .service(health::readyz)
        .service(problem_pages::index)
        .service(problem_pages::page);
    if metrics_on_api_port {
        cfg.service(health::metrics);
    }
}
