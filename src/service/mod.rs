//! Use cases: what the gateway does for a caller, in domain terms. No HTTP here: each function
//! takes the collaborators it needs (the Urssaf client, a store, the metrics) and answers
//! domain values or a [`ServiceError`]; the API layer chooses statuses and renders.

pub mod clients;
pub mod payment_requests;

use crate::domain::FieldError;
use crate::urssaf::UpstreamError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller's input breaks a rule; nothing was sent.
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// Urssaf holds no such resource for this provider.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> Self {
        ServiceError::Invalid(errors)
    }
}

impl From<FieldError> for ServiceError {
    fn from(error: FieldError) -> Self {
        ServiceError::Invalid(vec![error])
    }
}

/// Urssaf ids (`idClient`, `idDemandePaiement`): 1 to 50 characters from `extra` plus ASCII
/// letters and digits; anything else is refused before Urssaf is called.
pub(crate) fn check_id(
    id: &str,
    extra: &[u8],
    pointer: &str,
    rule: &str,
    message: &str,
) -> Result<(), FieldError> {
    let ok = !id.is_empty()
        && id.len() <= 50
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(pointer, rule, message))
    }
}
