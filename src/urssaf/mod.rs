//! Everything that speaks Urssaf's wire format: the client, the wire types (French names live
//! here), translation to and from domain types, and Urssaf's codes.

pub mod breaker;
pub mod client;
pub mod codes;
pub mod error;
pub mod exchange;
pub mod hosts;
pub mod operation;
pub mod retry_budget;
pub mod translate;
mod transport;
pub mod window;
pub mod wire;

pub use client::{ClientKey, SearchAnswer, UrssafClient, MAX_PER_CALL};
pub use codes::{CodeKind, UrssafCode};
pub use error::{UpstreamError, UrssafError};
pub use exchange::{Exchange, ExchangeObserver, SentRequest};
pub use operation::Operation;
pub use translate::{Receipt, SearchQuery};
