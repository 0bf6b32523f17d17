//! Public request and response types (English snake_case JSON).

pub mod clients;
pub mod common;
pub mod events;
pub mod invoices;
pub mod payment_requests;
