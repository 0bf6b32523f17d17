//! Everything that speaks Urssaf's wire format.

pub mod wire;
