//! Everything that speaks Urssaf's wire format: the client, the wire types (French names live
//! here), translation to and from domain types, and Urssaf's codes.

pub mod breaker;
pub mod client;
pub mod codes;
pub mod error;
pub mod exchange;
pub mod translate;
pub mod wire;

pub use client::{ClientKey, Operation, SearchAnswer, UrssafClient, MAX_PER_CALL};
pub use codes::{CodeKind, UrssafCode};
pub use error::{UpstreamError, UrssafError};
pub use exchange::{Exchange, ExchangeObserver, SentRequest};
pub use translate::{Receipt, SearchQuery};
