//! Everything that speaks Urssaf's wire format.

pub mod mapping;
pub mod wire;
