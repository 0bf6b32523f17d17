//! Use-case failures as problems the caller can act on.

use super::problem::{Problem, ProblemCode};
use crate::domain::FieldError;
use crate::service::ServiceError;
use crate::token::TokenError;
use crate::urssaf::{CodeKind, UpstreamError};

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        match e {
            ServiceError::Invalid(errors) => Problem::validation(errors),
            ServiceError::NotFound(detail) => Problem::not_found(detail),
            ServiceError::Upstream(e) => upstream_problem(&e),
        }
    }
}

impl From<Vec<FieldError>> for Problem {
    fn from(errors: Vec<FieldError>) -> Problem {
        Problem::validation(errors)
    }
}

/// The problem for an upstream failure; Urssaf's own error and a hint are kept.
pub fn upstream_problem(e: &UpstreamError) -> Problem {
    match e {
        UpstreamError::Rejected { errors, .. } => {
            let first = errors.first();
            let code = match first.map(|e| e.code.kind()) {
                Some(CodeKind::DuplicateInvoice | CodeKind::AlreadyLinked) => ProblemCode::UrssafConflict,
                Some(CodeKind::UnknownClient) => ProblemCode::NotFound,
                _ => ProblemCode::UrssafRejected,
            };
            let detail = match first {
                Some(e) if !e.description.is_empty() => format!("{}: {}", e.message, e.description),
                Some(e) => e.message.clone(),
                None => "Urssaf refused the request without saying why (empty 400 answer); check every field against the documented rules".into(),
            };
            Problem::new(code, detail)
                .with_urssaf(first)
                .with_hint(first.and_then(|e| e.code.hint()))
        }
        UpstreamError::Unauthorized => Problem::new(ProblemCode::UpstreamAuthFailed, "Urssaf answered 401 even with a fresh token")
            .with_hint(Some("check the tenant's Urssaf client id and secret and its environment (sandbox credentials do not work in production)")),
        UpstreamError::Forbidden => Problem::new(ProblemCode::UpstreamForbidden, "Urssaf answered 403 for this operation")
            .with_hint(Some("the provider's Urssaf habilitation (DataPass) may not cover this API or environment")),
        UpstreamError::Unavailable {
            retry_after_secs, ..
        } => Problem::new(
            ProblemCode::UpstreamUnavailable,
            "Urssaf is unreachable, overloaded or in maintenance; nothing was sent",
        )
        .with_retry_after(*retry_after_secs),
        UpstreamError::Timeout { .. } => timeout("Urssaf did not answer in time"),
        UpstreamError::Interrupted { .. } => Problem::new(
            ProblemCode::UpstreamInterrupted,
            "the request was sent but no answer arrived; it may or may not have been applied",
        )
        .with_hint(Some("retry with the same Idempotency-Key: the gateway reconciles invoices Urssaf already integrated")),
        UpstreamError::BadGateway { status, errors, .. } => Problem::new(
            ProblemCode::UpstreamError,
            format!("Urssaf answered HTTP {status} or an answer the gateway could not read"),
        )
        .with_urssaf(errors.first()),
        UpstreamError::Token(t) => token_problem(t),
    }
}

fn timeout(detail: &str) -> Problem {
    Problem::new(ProblemCode::UpstreamTimeout, detail).with_hint(Some(
        "retry later; for payment requests retry with the same Idempotency-Key",
    ))
}

fn token_problem(t: &TokenError) -> Problem {
    match t {
        TokenError::Refused(_) => Problem::new(ProblemCode::UpstreamAuthFailed, t.to_string())
            .with_hint(Some(
                "check the tenant's Urssaf client id and secret and its environment",
            )),
        TokenError::Timeout => timeout("Urssaf's token endpoint did not answer in time"),
        TokenError::Unreachable => Problem::new(ProblemCode::UpstreamUnavailable, t.to_string()),
        TokenError::Failed(_) | TokenError::BadAnswer => {
            Problem::new(ProblemCode::UpstreamAuthFailed, t.to_string())
        }
    }
}
