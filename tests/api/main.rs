//! One integration-test binary: real HTTP on OS-chosen ports, the built-in simulator as
//! Urssaf, a real Redis.

mod access_check;
mod auth;
mod breaker;
mod campaign;
mod capture;
mod clients_api;
mod contract_read;
mod contract_sent;
mod contract_strict;
mod deadlines;
mod events;
mod fan_out;
mod fixtures;
mod gateway_calls;
mod helpers;
mod idempotency_store;
mod openapi;
mod payments_api;
mod payments_idempotency;
mod payments_search;
mod process;
mod redis_failover;
mod redis_modes;
mod resilience;
mod robustness;
mod sim_calls;
mod simulator;
mod simulator_e1e2;
mod simulator_e3;
mod simulator_e4;
mod simulator_faults;
mod tenants_dir;
mod test_redis;
mod tokens;
mod traces;
