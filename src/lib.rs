//! Urssaf gateway: a small REST API in front of Urssaf's API Tiers de Prestation.

pub mod api;
pub mod domain;
pub mod simulator;
pub mod urssaf;
