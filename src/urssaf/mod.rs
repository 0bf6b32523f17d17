//! Everything that speaks Urssaf's wire format.

pub mod codes;
pub mod mapping;
pub mod wire;
