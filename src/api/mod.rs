//! The public REST API.

pub mod auth;
pub mod body;
pub mod dto;
pub mod health;
pub mod observe;
pub mod openapi;
pub mod problem;
pub mod upstream;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::web;

use crate::metrics::Metrics;
use crate::tenant::Tenants;
use crate::urssaf::UrssafClient;

/// What every handler may use; built once per application.
pub struct AppState {
    pub tenants: Arc<Tenants>,
    pub urssaf: UrssafClient,
    pub metrics: Metrics,
    /// False while starting or draining.
    pub ready: Arc<AtomicBool>,
}

/// Routes of the public API and of the operational endpoints.
pub fn configure(cfg: &mut web::ServiceConfig, metrics_on_api_port: bool) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(openapi::docs);
    if metrics_on_api_port {
        cfg.service(health::metrics);
    }
}
