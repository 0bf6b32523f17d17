//! What can go wrong on the way to Urssaf, in terms the use cases act on. Failures keep their
//! cause (`source()`), so a log line can say why without the caller seeing internals.

use std::sync::Arc;

use super::codes::{CodeKind, UrssafCode};
use super::wire::Erreur;

/// The underlying failure: a transport error, or an answer that could not be decoded.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// One of Urssaf's own errors, its code read into [`UrssafCode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrssafError {
    pub code: UrssafCode,
    /// Urssaf's message (French).
    pub message: String,
    /// Urssaf's description (French).
    pub description: String,
}

impl From<Erreur> for UrssafError {
    fn from(e: Erreur) -> Self {
        UrssafError {
            code: UrssafCode::parse(&e.code),
            message: e.message,
            description: e.description,
        }
    }
}

impl UrssafError {
    /// An error the gateway states on Urssaf's behalf (e.g. an empty list read as "no such
    /// client", as Urssaf documents it).
    pub fn new(code: UrssafCode, message: &str) -> UrssafError {
        UrssafError {
            code,
            message: message.to_string(),
            description: String::new(),
        }
    }
}

impl UrssafError {
    /// Urssaf's duplicate-invoice error, stated for a number found taken by another invoice.
    pub fn duplicate_invoice() -> UrssafError {
        UrssafError {
            code: UrssafCode::ErrFactureDoublon,
            message: "numFactureTiers déjà utilisé".into(),
            description: "Urssaf already holds another invoice with this number".into(),
        }
    }

    /// Pointer to the registration field this error is about, when known.
    pub fn client_pointer(&self) -> Option<String> {
        super::codes::field_for_client(&self.code, &self.message)
    }

    /// Pointer, relative to the invoice, to the field this error is about, when known.
    pub fn invoice_pointer(&self) -> Option<String> {
        super::codes::field_for_invoice(
            &self.code,
            &format!("{} {}", self.message, self.description),
        )
    }
}

/// An answer that does not follow the documented shapes, with the JSON path that failed
/// (never the body: it may hold personal data).
#[derive(Debug, Clone, thiserror::Error)]
#[error("unreadable urssaf answer at `{path}`: {message}")]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// Urssaf refused the request (HTTP 400, or business errors); its errors are kept verbatim.
    #[error("urssaf rejected the request ({})", first_code(.errors))]
    Rejected {
        status: u16,
        errors: Vec<UrssafError>,
    },
    /// Urssaf answered 401 even with a freshly fetched token.
    #[error("urssaf refused the gateway's credentials")]
    Unauthorized,
    /// Urssaf answered 403: the provider is not allowed this operation.
    #[error("urssaf refused access (HTTP 403)")]
    Forbidden,
    /// 429, 503, unreachable, or the circuit is open: nothing was processed; try again later.
    #[error("urssaf is unavailable")]
    Unavailable {
        retry_after_secs: Option<u64>,
        #[source]
        cause: Option<Cause>,
    },
    /// No answer within the deadline; a creating call may or may not have been applied.
    #[error("urssaf did not answer in time")]
    Timeout {
        #[source]
        cause: Option<Cause>,
    },
    /// The connection broke after the request was sent; it may or may not have been applied.
    #[error("the connection to urssaf broke before an answer arrived")]
    Interrupted {
        #[source]
        cause: Option<Cause>,
    },
    /// 5xx other than 503, or an answer that does not follow the documented shapes.
    #[error("urssaf answered with an error or an unreadable answer (HTTP {status})")]
    BadGateway {
        status: u16,
        errors: Vec<UrssafError>,
        #[source]
        cause: Option<Cause>,
    },
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
}

fn first_code(errors: &[UrssafError]) -> &str {
    errors
        .first()
        .map(|e| e.code.as_str())
        .unwrap_or("no error code")
}

impl UpstreamError {
    /// Urssaf's errors, when it gave any.
    pub fn errors(&self) -> &[UrssafError] {
        match self {
            UpstreamError::Rejected { errors, .. } | UpstreamError::BadGateway { errors, .. } => {
                errors
            }
            _ => &[],
        }
    }

    /// Whether one of Urssaf's errors is of this kind.
    pub fn has(&self, kind: CodeKind) -> bool {
        self.errors().iter().any(|e| e.code.kind() == kind)
    }

    /// An answer that could not be read.
    pub fn unreadable(status: u16, cause: DecodeError) -> UpstreamError {
        UpstreamError::BadGateway {
            status,
            errors: Vec::new(),
            cause: Some(Arc::new(cause)),
        }
    }
}

/// Reads an Urssaf error body in every shape seen in the wild: an array of errors, a single
/// error object, an object wrapping `errors`/`Errors`, an empty body, or `[]`.
pub fn parse_errors(body: &[u8]) -> Vec<UrssafError> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) => {
            match map.remove("errors").or_else(|| map.remove("Errors")) {
                Some(serde_json::Value::Array(items)) => items,
                _ => vec![serde_json::Value::Object(map)],
            }
        }
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Erreur>(v).ok())
        .filter(|e| !e.code.is_empty() || !e.message.is_empty())
        .map(UrssafError::from)
        .collect()
}

impl UpstreamError {
    /// What an answer Urssaf would not serve (after the retries) becomes.
    pub(super) fn refusal(
        status: reqwest::StatusCode,
        retry_after: Option<u64>,
        errors: Vec<UrssafError>,
    ) -> Self {
        match status.as_u16() {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            429 | 503 => Self::Unavailable {
                retry_after_secs: retry_after,
                cause: None,
            },
            400..=499 => Self::Rejected {
                status: status.as_u16(),
                errors,
            },
            s => Self::BadGateway {
                status: s,
                errors,
                cause: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_shape_is_read() {
        let one = r#"{"code":"ERREUR_VALIDATION","message":"m","description":"d"}"#;
        let code = |b: &str| parse_errors(b.as_bytes())[0].code.clone();
        assert_eq!(code(&format!("[{one}]")), UrssafCode::ErreurValidation);
        assert_eq!(code(one), UrssafCode::ErreurValidation);
        assert_eq!(
            code(&format!(r#"{{"Errors":[{one}]}}"#)),
            UrssafCode::ErreurValidation
        );
        assert!(parse_errors(b"").is_empty());
        assert!(parse_errors(b"[]").is_empty());
        assert!(parse_errors(b"<html>").is_empty());
        assert!(parse_errors(b"{}").is_empty());
    }

    #[test]
    fn causes_are_kept() {
        use std::error::Error;
        let e = UpstreamError::unreadable(
            200,
            DecodeError {
                path: "infoDemandePaiements[0].statut".into(),
                message: "missing field `code`".into(),
            },
        );
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("infoDemandePaiements[0].statut"), "{cause}");
    }
}
