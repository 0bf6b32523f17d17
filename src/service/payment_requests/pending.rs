//! An invoice's fate between sending (`submit.rs`) and reconciliation (`reconcile.rs`), kept
//! apart so that `submit` calls `reconcile` and `reconcile` imports nothing of `submit`.

use crate::domain::payment_request::PaymentRequest;
use crate::urssaf::{UpstreamError, UrssafError};

pub(super) enum Pending {
    Accepted {
        request: PaymentRequest,
        reconciled: bool,
    },
    Rejected(Vec<UrssafError>),
    /// Urssaf said it already has this invoice number; to be compared with what it holds.
    Duplicate(Vec<UrssafError>),
    /// No definite answer (timeout, broken connection): maybe integrated, to be looked up.
    Unknown(UpstreamError),
    /// Definitely not integrated (Urssaf unreachable, credentials refused…): safe to retry.
    Failed(UpstreamError),
    Unverified,
}
