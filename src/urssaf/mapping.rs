//! Translation between the public API types (`api::dto`) and Urssaf's wire types, with every
//! local check done on the way in. Pure functions: no I/O.

mod client;
mod invoice;
#[cfg(test)]
mod invoice_tests;

pub use client::{client_account, client_from_wire, registration_to_wire};
pub use invoice::{invoice_to_wire, PreparedInvoice, TenantDefaults};
