//! One integration-test binary: real HTTP on OS-chosen ports, the built-in simulator as
//! Urssaf, a real Redis.

mod access_check;
mod auth;
mod campaign;
mod clients_api;
mod fixtures;
mod helpers;
mod idempotency_store;
mod openapi;
mod payments_api;
mod payments_idempotency;
mod payments_search;
mod process;
mod resilience;
mod robustness;
mod simulator;
mod simulator_e1e2;
mod simulator_e3;
mod simulator_e4;
mod simulator_faults;
mod tokens;
