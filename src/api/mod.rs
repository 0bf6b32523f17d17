//! The public REST API.

pub mod auth;
pub mod body;
pub mod clients;
pub mod deadline;
pub mod drain;
pub mod dto;
pub mod fan_out;
pub mod health;
pub mod idempotent;
pub mod observe;
pub mod openapi;
pub mod payment_requests;
pub mod problem;
pub mod responses;
pub mod upstream;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::web;

use crate::idempotency::IdempotencyStore;
use crate::metrics::Metrics;
use crate::tenant::Tenants;
use crate::urssaf::UrssafClient;

/// What every handler may use; built once per application.
pub struct AppState {
    pub tenants: Arc<Tenants>,
    pub urssaf: UrssafClient,
    pub metrics: Metrics,
    pub idempotency: IdempotencyStore,
    /// False while starting or draining.
    pub ready: Arc<AtomicBool>,
}

/// Routes of the public API and of the operational endpoints.
pub fn configure(cfg: &mut web::ServiceConfig, metrics_on_api_port: bool) {
    cfg.service(clients::register)
        .service(clients::find_by_email)
        .service(clients::get_one)
        .service(payment_requests::submit)
        .service(payment_requests::search)
        .service(payment_requests::get_one)
        .service(health::healthz)
        .service(health::readyz)
        .configure(openapi::docs);
    if metrics_on_api_port {
        cfg.service(health::metrics);
    }
}
