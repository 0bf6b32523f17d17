//! Translation between domain types and Urssaf's wire types. Pure functions: no I/O.

pub mod client;
pub mod dates;
pub mod invoice;
pub mod payment_request;
pub mod search;

pub use payment_request::Receipt;
pub use search::SearchQuery;
