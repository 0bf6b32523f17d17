//! Translation between the public API types (`api::dto`) and Urssaf's wire types, with every
//! local check done on the way in. Pure functions: no I/O.

mod client;
mod invoice;
#[cfg(test)]
mod invoice_tests;
mod payment_request;
mod search;

pub use client::{client_account, client_from_wire, registration_to_wire};
pub use invoice::{invoice_to_wire, PreparedInvoice, TenantDefaults};
pub use payment_request::{accepted_from_wire, payment_request_from_wire};
pub use search::{search_to_wire, validate_search, SearchCriteria};
