//! Everything that speaks Urssaf's wire format.

pub mod breaker;
pub mod client;
pub mod codes;
pub mod error;
pub mod hosts;
pub mod mapping;
pub mod retry_budget;
pub mod window;
pub mod wire;

pub use client::{Operation, SearchAnswer, UrssafClient, MAX_PER_CALL};
pub use error::UpstreamError;
