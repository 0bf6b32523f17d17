//! Rules for an invoice (Urssaf's "demande de paiement"): amounts, dates, codes.

pub mod amounts;
pub mod nature;
pub mod period;
pub mod worker;
