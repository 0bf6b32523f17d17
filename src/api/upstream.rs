//! Urssaf failures as problems the caller can act on.

use actix_web::http::StatusCode;

use super::problem::Problem;
use crate::token::TokenError;
use crate::urssaf::UpstreamError;

/// Seconds a caller should wait after a 503 when Urssaf gave no `Retry-After`.
pub const DEFAULT_RETRY_AFTER: u64 = 5;

/// Maps an upstream failure; `hint_for` gives plain words for Urssaf's codes.
pub fn upstream_problem(e: &UpstreamError) -> Problem {
    match e {
        UpstreamError::Rejected { errors, .. } => {
            let first = errors.first();
            let code = first.map(|e| e.code.as_str()).unwrap_or("");
            let (status, problem_code, title) = match code {
                "ERR_FACTURE_DOUBLON" | "ERR_LIEN_TIERS_PRESTATION_PARTICULIER_EXISTE" => {
                    (StatusCode::CONFLICT, "urssaf_conflict", "Urssaf already has this")
                }
                "ERR_RECHERCHE_PARTICULIER" => (StatusCode::NOT_FOUND, "not_found", "Urssaf knows no such client"),
                _ => (StatusCode::UNPROCESSABLE_ENTITY, "urssaf_rejected", "Urssaf rejected the request"),
            };
            let detail = match first {
                Some(e) if !e.description.is_empty() => format!("{}: {}", e.message, e.description),
                Some(e) => e.message.clone(),
                None => "Urssaf refused the request without saying why (empty 400 answer); check every field against the documented rules".into(),
            };
            Problem::new(status, problem_code, title, detail)
                .with_urssaf(first)
                .with_hint(crate::urssaf::codes::hint(code))
        }
        UpstreamError::Unauthorized => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_auth_failed",
            "Urssaf refused the gateway's credentials",
            "Urssaf answered 401 even with a fresh token",
        )
        .with_hint(Some("check the tenant's Urssaf client id and secret and its environment (sandbox credentials do not work in production)")),
        UpstreamError::Forbidden => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_forbidden",
            "Urssaf refused access",
            "Urssaf answered 403 for this operation",
        )
        .with_hint(Some("the provider's Urssaf habilitation (DataPass) may not cover this API or environment")),
        UpstreamError::Unavailable { retry_after_secs } => {
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "upstream_unavailable",
                "Urssaf is unavailable",
                "Urssaf is unreachable, overloaded or in maintenance; nothing was sent",
            );
            p.retry_after_secs = Some(retry_after_secs.unwrap_or(DEFAULT_RETRY_AFTER));
            p
        }
        UpstreamError::Timeout => timeout("Urssaf did not answer in time"),
        UpstreamError::Interrupted => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_interrupted",
            "The connection to Urssaf broke",
            "the request was sent but no answer arrived; it may or may not have been applied",
        )
        .with_hint(Some("retry with the same Idempotency-Key: the gateway reconciles invoices Urssaf already integrated")),
        UpstreamError::BadGateway { status, errors } => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "Urssaf failed",
            format!("Urssaf answered HTTP {status} or an answer the gateway could not read"),
        )
        .with_urssaf(errors.first()),
        UpstreamError::Token(t) => token_problem(t),
    }
}

fn timeout(detail: &str) -> Problem {
    let mut p = Problem::new(
        StatusCode::GATEWAY_TIMEOUT,
        "upstream_timeout",
        "Urssaf did not answer in time",
        detail,
    )
    .with_hint(Some(
        "retry later; for payment requests retry with the same Idempotency-Key",
    ));
    p.retry_after_secs = Some(DEFAULT_RETRY_AFTER);
    p
}

fn token_problem(t: &TokenError) -> Problem {
    match t {
        TokenError::Refused(_) => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_auth_failed",
            "Urssaf refused the gateway's credentials",
            t.to_string(),
        )
        .with_hint(Some(
            "check the tenant's Urssaf client id and secret and its environment",
        )),
        TokenError::Timeout => timeout("Urssaf's token endpoint did not answer in time"),
        TokenError::Unreachable => {
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "upstream_unavailable",
                "Urssaf is unavailable",
                t.to_string(),
            );
            p.retry_after_secs = Some(DEFAULT_RETRY_AFTER);
            p
        }
        TokenError::Failed(_) | TokenError::BadAnswer => Problem::new(
            StatusCode::BAD_GATEWAY,
            "upstream_auth_failed",
            "Urssaf's token endpoint failed",
            t.to_string(),
        ),
    }
}
