//! Urssaf gateway: a small REST API in front of Urssaf's API Tiers de Prestation.

pub mod api;
pub mod config;
pub mod domain;
pub mod idempotency;
pub mod metrics;
pub mod redis_store;
pub mod simulator;
pub mod telemetry;
pub mod tenant;
pub mod token;
pub mod urssaf;
