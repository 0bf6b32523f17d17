//! The one error type of the public API: RFC 9457 `application/problem+json`, and the one
//! table of problem codes: each code's HTTP status, title, type URI and default `Retry-After`
//! are stated once, below, and nowhere else.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::api::dto::common::UrssafError;
use crate::domain::FieldError;

macro_rules! problem_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal: $status:ident, $title:literal $(, retry after $ra:literal)?; )*) => {
        /// Stable machine code of a problem; the HTTP status follows from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ProblemCode {
            /// Every code, in table order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $name,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ProblemCode::$variant => StatusCode::$status,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(ProblemCode::$variant => $title,)* }
            }

            /// Seconds a caller should wait before retrying, for the codes that say "later".
            pub fn retry_after(self) -> Option<u64> {
                match self { $(ProblemCode::$variant => problem_codes!(@ra $($ra)?),)* }
            }
        }
    };
    (@ra $ra:literal) => { Some($ra) };
    (@ra) => { None };
}

problem_codes! {
    /// A field breaks a rule (see `errors`); nothing was sent to Urssaf.
    ValidationFailed = "validation_failed": UNPROCESSABLE_ENTITY, "The request has invalid fields";
    /// Missing or unknown API key.
    Unauthorized = "unauthorized": UNAUTHORIZED, "Missing or unknown API key";
    /// No such route, or Urssaf knows no such resource for this provider.
    NotFound = "not_found": NOT_FOUND, "Not found";
    MethodNotAllowed = "method_not_allowed": METHOD_NOT_ALLOWED, "Method not allowed";
    PayloadTooLarge = "payload_too_large": PAYLOAD_TOO_LARGE, "Request body too large";
    /// The request body did not arrive within `server.body_read_timeout_seconds`; the
    /// connection is closed.
    RequestTimeout = "request_timeout": REQUEST_TIMEOUT, "Request body too slow";
    /// The body is not JSON (`Content-Type` other than `application/json` or `…+json`).
    UnsupportedMediaType = "unsupported_media_type": UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
    BadRequest = "bad_request": BAD_REQUEST, "Bad request";
    InvalidIdempotencyKey = "invalid_idempotency_key": BAD_REQUEST, "Invalid Idempotency-Key";
    /// A query parameter is malformed or unknown: `errors` names it (e.g. `/limit`).
    /// A request with this Idempotency-Key is still running.
    IdempotencyInFlight = "idempotency_in_flight": CONFLICT, "Request already in progress";
    /// The Idempotency-Key was used with another body.
    IdempotencyKeyReused = "idempotency_key_reused": UNPROCESSABLE_ENTITY, "Idempotency-Key reused";
    /// This provider is making more requests at once, or per second, than it may.
    RateLimited = "rate_limited": TOO_MANY_REQUESTS, "Too many requests for this provider", retry after 1;
    /// This provider already has `events.max_waiting_per_tenant` long polls waiting.
    TooManyLongPolls = "too_many_long_polls": TOO_MANY_REQUESTS, "Too many long polls for this provider", retry after 1;
    /// Urssaf refused the request: see `urssaf` (and `results` for a submission).
    UrssafRejected = "urssaf_rejected": UNPROCESSABLE_ENTITY, "Urssaf rejected the request";
    /// Urssaf already holds this (an invoice number, a client link).
    UrssafConflict = "urssaf_conflict": CONFLICT, "Urssaf already has this";
    /// Urssaf says the invoice number is taken, but what it holds could not be compared.
    DuplicateUnverified = "duplicate_unverified": BAD_GATEWAY, "Duplicate not verified";
    /// Urssaf refused the gateway's credentials, or its token endpoint failed.
    UpstreamAuthFailed = "upstream_auth_failed": BAD_GATEWAY, "Urssaf authentication failed";
    UpstreamForbidden = "upstream_forbidden": BAD_GATEWAY, "Urssaf refused access";
    /// Urssaf failed, or answered something unreadable.
    UpstreamError = "upstream_error": BAD_GATEWAY, "Urssaf failed";
    /// The request reached Urssaf but no answer came back: it may or may not have been applied.
    UpstreamInterrupted = "upstream_interrupted": BAD_GATEWAY, "The connection to Urssaf broke";
    /// Urssaf is unreachable or in maintenance; nothing was sent.
    UpstreamUnavailable = "upstream_unavailable": SERVICE_UNAVAILABLE, "Urssaf is unavailable", retry after 5;
    UpstreamTimeout = "upstream_timeout": GATEWAY_TIMEOUT, "Urssaf did not answer in time", retry after 5;
    /// The gateway could not finish the request (e.g. it is stopping).
    Interrupted = "interrupted": SERVICE_UNAVAILABLE, "Request interrupted", retry after 5;
    /// The events feed's store (Redis) cannot be read just now.
    EventsUnavailable = "events_unavailable": SERVICE_UNAVAILABLE, "The events feed is unavailable", retry after 5;
    /// This instance is shutting down.
    Draining = "draining": SERVICE_UNAVAILABLE, "Shutting down", retry after 1;
    /// `/checks` (metrics port): a tenant failed its last Urssaf access check, or none ran yet.
    TenantCheckNotPassed = "tenant_check_not_passed": SERVICE_UNAVAILABLE, "Not every tenant passed its Urssaf access check", retry after 30;
    /// Webhook deliveries were asked for, but this provider has no `webhook_url`.
    WebhookNotConfigured = "webhook_not_configured": CONFLICT, "No webhook configured";
    /// A redelivery was asked for a delivery still waiting for an attempt.
    DeliveryPending = "delivery_pending": CONFLICT, "Delivery still pending";
    /// The webhook delivery queue (Redis) does not answer.
    DeliveriesUnavailable = "deliveries_unavailable": SERVICE_UNAVAILABLE, "Webhook deliveries unavailable", retry after 5;
    InternalError = "internal_error": INTERNAL_SERVER_ERROR, "Internal error";
}

/// A problem (RFC 9457). `code` is stable and machine-readable; `status`, `title` and `type` follow from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-failed", "title": "The request has invalid fields", "status": 422,
    "code": "validation_failed", "detail": "1 field is invalid", "request_id": "7f0c1e1e-4c0a-4a53-9d0e-2f5d5c1b7a10",
    "errors": [{"pointer": "/birth_place/commune_code", "rule": "insee_commune_code",
                "message": "must be 5 characters: 2 digits (or 2A/2B) then 3 digits"}],
    "urssaf": null, "hint": null
}))]
pub struct Problem {
    /// URI reference naming the problem type: `/problems/<code with dashes>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code.
    pub code: ProblemCode,
    pub detail: String,
    /// The request id (also in the `X-Request-Id` header); quote it when asking for help.
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// Every failing field, by JSON pointer into the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Urssaf's error when Urssaf refused the request.
    #[schema(required = true)]
    pub urssaf: Option<UrssafError>,
    /// Plain words on what to do next.
    #[schema(required = true)]
    pub hint: Option<String>,
    /// For a submission of invoices none of which was accepted: each invoice's result, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::api::dto::payment_requests::InvoiceResult>>)]
    pub results: Option<serde_json::Value>,
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after_secs: Option<u64>,
}

impl Problem {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("/problems/{}", code.as_str().replace('_', "-")),
            title: code.title().into(),
            status: code.status().as_u16(),
            code,
            detail: detail.into(),
            request_id: crate::telemetry::request_id(),
            errors: Vec::new(),
            urssaf: None,
            hint: None,
            results: None,
            retry_after_secs: code.retry_after(),
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Problem {
        let detail = match errors.len() {
            1 => format!(
                "1 field is invalid: {} {}",
                errors[0].pointer, errors[0].message
            ),
            n => format!("{n} fields are invalid"),
        };
        let mut p = Problem::new(ProblemCode::ValidationFailed, detail);
        p.errors = errors;
        p
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            ProblemCode::Unauthorized,
            "send the tenant's API key as `Authorization: Bearer <key>`",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemCode::NotFound, detail)
    }

    pub fn with_hint(mut self, hint: Option<&str>) -> Problem {
        self.hint = hint.map(String::from);
        self
    }

    pub fn with_urssaf(mut self, e: Option<&crate::urssaf::UrssafError>) -> Problem {
        self.urssaf = e.map(UrssafError::from);
        self
    }

    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Problem {
        if seconds.is_some() {
            self.retry_after_secs = seconds;
        }
        self
    }

    pub fn status_code(&self) -> StatusCode {
        self.code.status()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.as_str(),
            self.status,
            self.detail
        )
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(Problem::status_code(self));
        b.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(s) = self.retry_after_secs {
            b.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if self.code == ProblemCode::Unauthorized {
            b.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        b.body(serde_json::to_string(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_statuses_are_errors() {
        for code in ProblemCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str(), "{code:?}");
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{code:?}"
            );
            assert_eq!(
                code.retry_after().is_some(),
                matches!(code.status().as_u16(), 429 | 503 | 504),
                "{code:?}: 429, 503 and 504 say when to come back"
            );
        }
        let p = Problem::new(ProblemCode::UrssafConflict, "d");
        assert_eq!(
            (p.status, p.type_uri.as_str(), p.title.as_str()),
            (409, "/problems/urssaf-conflict", "Urssaf already has this")
        );
    }
}
