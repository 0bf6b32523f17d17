//! The one error type of the public API: RFC 9457 `application/problem+json`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::api::dto::common::UrssafError;
use crate::domain::FieldError;
use crate::urssaf::wire::Erreur;

pub use crate::telemetry::REQUEST_ID;

/// A problem (RFC 9457). `code` is stable and machine-readable; `status` follows from it.
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
    /// Stable machine code, e.g. `validation_failed`, `urssaf_rejected`, `upstream_unavailable`.
    pub code: String,
    pub detail: String,
    /// The request id (also in the `X-Request-Id` header); quote it when asking for help.
    pub request_id: Option<String>,
    /// Every failing field, by JSON pointer into the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Urssaf's error when Urssaf refused the request.
    pub urssaf: Option<UrssafError>,
    /// Plain words on what to do next.
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
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("/problems/{}", code.replace('_', "-")),
            title: title.into(),
            status: status.as_u16(),
            code: code.into(),
            detail: detail.into(),
            request_id: REQUEST_ID.try_with(|id| id.clone()).ok(),
            errors: Vec::new(),
            urssaf: None,
            hint: None,
            results: None,
            retry_after_secs: None,
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
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields",
            detail,
        );
        p.errors = errors;
        p
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or unknown API key",
            "send the tenant's API key as `Authorization: Bearer <key>`",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn with_hint(mut self, hint: Option<&str>) -> Problem {
        self.hint = hint.map(String::from);
        self
    }

    pub fn with_urssaf(mut self, e: Option<&Erreur>) -> Problem {
        self.urssaf = e.map(UrssafError::from);
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.detail)
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
        if self.status == 401 {
            b.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        b.body(serde_json::to_string(self).unwrap_or_default())
    }
}
