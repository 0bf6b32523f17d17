//! Urssaf gateway: a small REST API in front of Urssaf's API Tiers de Prestation.

// A problem is built at most once per failing request; its size never matters.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod api;
pub mod campaign;
pub mod config;
pub mod demo;
pub mod domain;
pub mod embedded;
pub mod events;
pub mod fleet;
pub mod idempotency;
pub mod metrics;
pub mod per_thread;
pub mod redis_store;
pub mod service;
pub mod simulator;
pub mod startup;
pub mod telemetry;
pub mod tenant;
pub mod token;
pub mod urssaf;
pub mod webhook_endpoint;
