//! The one error type of the public API: RFC 9457 `application/problem+json`, and the one
//! table of problem codes: each code's HTTP status, title, type URI and default `Retry-After`
//! are stated once, below, and nowhere else.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::api::dto::common::UrssafErrorDetail;
use crate::domain::FieldError;

macro_rules! problem_codes {
    ($( $variant:ident = $name:literal: $status:ident, $title:literal $(, retry after $ra:literal)?;
        when $when:literal; fix $fix:literal; )*) => {
        /// Stable machine code of a problem; the HTTP status follows from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $( #[doc = $when] $variant, )*
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

            /// When the gateway answers this problem (its documentation page says it).
            pub fn when(self) -> &'static str {
                match self { $(ProblemCode::$variant => $when,)* }
            }

            /// What the caller should change or do (its documentation page says it).
            pub fn fix(self) -> &'static str {
                match self { $(ProblemCode::$variant => $fix,)* }
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
    ValidationFailed = "validation_failed": UNPROCESSABLE_ENTITY, "The request has invalid fields";
        when "A field breaks a rule (each one is listed in `errors`, by JSON pointer); nothing was sent to Urssaf.";
        fix "Correct every field listed in `errors` (its `rule` and `message` say what is expected) and send the request again.";
    Unauthorized = "unauthorized": UNAUTHORIZED, "Missing or unknown API key";
        when "The request has no `Authorization: Bearer <key>` header, or the key matches no tenant.";
        fix "Send the tenant's API key as `Authorization: Bearer <key>`; ask the gateway's operator for a key if yours was revoked.";
    NotFound = "not_found": NOT_FOUND, "Not found";
        when "No such route, or Urssaf knows no such resource (client, payment request) for this provider.";
        fix "Check the path against the API documentation (`/docs`) and the identifier against the one the gateway returned.";
    MethodNotAllowed = "method_not_allowed": METHOD_NOT_ALLOWED, "Method not allowed";
        when "The route exists but does not accept this HTTP method (the `Allow` header lists those it accepts).";
        fix "Use one of the methods in the `Allow` header.";
    PayloadTooLarge = "payload_too_large": PAYLOAD_TOO_LARGE, "Request body too large";
        when "The request body is larger than `server.max_body_bytes`.";
        fix "Send fewer items per request (e.g. split a submission of invoices) or ask the operator to raise the limit.";
    RequestTimeout = "request_timeout": REQUEST_TIMEOUT, "Request body too slow";
        when "The request body did not arrive within `server.body_read_timeout_seconds`; the connection is closed.";
        fix "Send the whole body promptly; check the network between your software and the gateway.";
    UnsupportedMediaType = "unsupported_media_type": UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
        when "The body is not JSON: its `Content-Type` is other than `application/json` or `…+json`.";
        fix "Send the body as JSON with `Content-Type: application/json`.";
    BadRequest = "bad_request": BAD_REQUEST, "Bad request";
        when "The request is malformed: a query parameter is malformed or unknown (`errors` names it, e.g. `/limit`), or the body could not be read.";
        fix "Correct the parameter named in `errors` or `detail` and send the request again.";
    InvalidIdempotencyKey = "invalid_idempotency_key": BAD_REQUEST, "Invalid Idempotency-Key";
        when "The `Idempotency-Key` header is not 1 to 255 printable ASCII characters.";
        fix "Send a short printable key, e.g. a UUID, unique per operation.";
    IdempotencyInFlight = "idempotency_in_flight": CONFLICT, "Request already in progress";
        when "A request with this `Idempotency-Key` is still running.";
        fix "Wait a little and send the same request with the same key again: you then get its answer.";
    IdempotencyKeyReused = "idempotency_key_reused": UNPROCESSABLE_ENTITY, "Idempotency-Key reused";
        when "The `Idempotency-Key` was used before with another body.";
        fix "Use a new key for a new operation; repeat a key only to retry the very same request.";
    RateLimited = "rate_limited": TOO_MANY_REQUESTS, "Too many requests for this provider", retry after 1;
        when "This provider is making more requests at once, or per second, than it may.";
        fix "Wait the `Retry-After` seconds and retry; send fewer requests at once.";
    TooManyLongPolls = "too_many_long_polls": TOO_MANY_REQUESTS, "Too many long polls for this provider", retry after 1;
        when "This provider already has `events.max_waiting_per_tenant` long polls (`GET /v1/events?wait=N`) waiting on this replica.";
        fix "Wait the `Retry-After` seconds; share one long poll between your workers, or read without `wait`.";
    UrssafRejected = "urssaf_rejected": UNPROCESSABLE_ENTITY, "Urssaf rejected the request";
        when "Urssaf refused the request: `urssaf` holds its error code and message (and `results` each invoice's, for a submission).";
        fix "Correct what Urssaf's code names (see `urssaf.code` and `hint`); retrying unchanged gets the same answer.";
    UrssafConflict = "urssaf_conflict": CONFLICT, "Urssaf already has this";
        when "Urssaf already holds this: an invoice number, a client link.";
        fix "Look the existing resource up instead of creating it again, or use another invoice number.";
    DuplicateUnverified = "duplicate_unverified": BAD_GATEWAY, "Duplicate not verified";
        when "Urssaf says the invoice number is taken, but what it holds could not be compared with this invoice.";
        fix "Send it again (the same `Idempotency-Key` works): if Urssaf holds this very invoice it is then answered as accepted.";
    UpstreamAuthFailed = "upstream_auth_failed": BAD_GATEWAY, "Urssaf authentication failed";
        when "Urssaf refused the gateway's credentials for this provider, or its token endpoint failed.";
        fix "Nothing to change in the call: the operator must check the provider's Urssaf client id and secret.";
    UpstreamForbidden = "upstream_forbidden": BAD_GATEWAY, "Urssaf refused access";
        when "Urssaf answered 403: this provider may not use this operation.";
        fix "The operator must check the provider's habilitation with Urssaf.";
    UpstreamError = "upstream_error": BAD_GATEWAY, "Urssaf failed";
        when "Urssaf failed, or answered something unreadable.";
        fix "Retry later; if it lasts, quote the `request_id` to the gateway's operator.";
    UpstreamInterrupted = "upstream_interrupted": BAD_GATEWAY, "The connection to Urssaf broke";
        when "The request reached Urssaf but no answer came back: it may or may not have been applied.";
        fix "Retry with the same `Idempotency-Key`: the gateway reconciles with what Urssaf holds.";
    UpstreamUnavailable = "upstream_unavailable": SERVICE_UNAVAILABLE, "Urssaf is unavailable", retry after 5;
        when "Urssaf is unreachable or in maintenance, or its circuit breaker is open; nothing was sent.";
        fix "Retry after the `Retry-After` seconds.";
    UpstreamTimeout = "upstream_timeout": GATEWAY_TIMEOUT, "Urssaf did not answer in time", retry after 5;
        when "Urssaf did not answer within the gateway's timeout.";
        fix "Retry after the `Retry-After` seconds, with the same `Idempotency-Key` for a submission.";
    Interrupted = "interrupted": SERVICE_UNAVAILABLE, "Request interrupted", retry after 5;
        when "The gateway could not finish the request (e.g. it is stopping).";
        fix "Retry with the same `Idempotency-Key` (a 409 means the key is still held: retry a little later).";
    EventsUnavailable = "events_unavailable": SERVICE_UNAVAILABLE, "The events feed is unavailable", retry after 5;
        when "The events feed's store (Redis) cannot be read just now.";
        fix "Retry after the `Retry-After` seconds with the same cursor.";
    Draining = "draining": SERVICE_UNAVAILABLE, "Shutting down", retry after 1;
        when "This instance is shutting down.";
        fix "Retry: another instance answers.";
    TenantCheckNotPassed = "tenant_check_not_passed": SERVICE_UNAVAILABLE, "Not every tenant passed its Urssaf access check", retry after 30;
        when "`/checks` (metrics port): a tenant failed its last Urssaf access check, or none ran yet.";
        fix "Read the failing tenants in the answer; the operator fixes their credentials or habilitation.";
    WebhookNotConfigured = "webhook_not_configured": CONFLICT, "No webhook configured";
        when "Webhook deliveries were asked for, but this provider has no `webhook_url`.";
        fix "Ask the operator to configure the provider's webhook, or read `/v1/events` instead.";
    DeliveryPending = "delivery_pending": CONFLICT, "Delivery still pending";
        when "A redelivery was asked for a delivery still waiting for an attempt.";
        fix "Wait for the pending attempt; redeliver only a delivered or failed delivery.";
    DeliveriesUnavailable = "deliveries_unavailable": SERVICE_UNAVAILABLE, "Webhook deliveries unavailable", retry after 5;
        when "The webhook delivery queue (Redis) does not answer.";
        fix "Retry after the `Retry-After` seconds.";
    InternalError = "internal_error": INTERNAL_SERVER_ERROR, "Internal error";
        when "The gateway failed unexpectedly: a bug.";
        fix "Quote the `request_id` to the gateway's operator.";
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
    /// URI reference naming the problem type: `/problems/<code with dashes>`, relative to the
    /// gateway that answered; it serves the problem's documentation page there.
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
    pub urssaf: Option<UrssafErrorDetail>,
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

impl ProblemCode {
    /// `/problems/<code with dashes>`: relative, so it resolves against whatever address the
    /// caller used to reach the gateway (RFC 9457 §3.1.1), where the page is served.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    /// The code with dashes, as in the type URI.
    pub fn slug(self) -> String {
        self.as_str().replace('_', "-")
    }

    pub fn from_slug(slug: &str) -> Option<ProblemCode> {
        ProblemCode::ALL.iter().copied().find(|c| c.slug() == slug)
    }
}

impl Problem {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: code.type_uri(),
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
        self.urssaf = e.map(UrssafErrorDetail::from);
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
