//! What becomes of the payment requests a submission created: each caller of the submit use
//! case hands it a watcher, so that whatever calls it (the API, the campaign) has the requests
//! it sent followed to payment alike. The events module implements it; this side imports
//! nothing of it, as the events poller reads Urssaf through these use cases.

use futures_util::future::BoxFuture;

use crate::domain::payment_request::PaymentRequest;

pub trait SubmittedWatch: Send + Sync {
    /// Payment requests Urssaf just accepted (or had accepted: reconciled) for `tenant`, to
    /// follow from the status it answered. Never fails the submission: a watcher that cannot
    /// record them now keeps them to record later, or leaves them to its periodic sweep.
    fn watch<'a>(
        &'a self,
        tenant: &'a str,
        accepted: &'a [&'a PaymentRequest],
    ) -> BoxFuture<'a, ()>;
}
