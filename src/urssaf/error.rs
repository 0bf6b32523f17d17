//! What can go wrong on the way to Urssaf, in terms the API layer can turn into answers.

use super::wire::Erreur;

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// Urssaf refused the request (HTTP 400, or business errors); its errors are kept verbatim.
    #[error("urssaf rejected the request ({})", first_code(.errors))]
    Rejected { status: u16, errors: Vec<Erreur> },
    /// Urssaf answered 401 even with a freshly fetched token.
    #[error("urssaf refused the gateway's credentials")]
    Unauthorized,
    /// Urssaf answered 403: the provider is not allowed this operation.
    #[error("urssaf refused access (HTTP 403)")]
    Forbidden,
    /// 429, 503 or unreachable: try again later.
    #[error("urssaf is unavailable")]
    Unavailable { retry_after_secs: Option<u64> },
    /// No answer within the deadline; a creating call may or may not have been applied.
    #[error("urssaf did not answer in time")]
    Timeout,
    /// The connection broke after the request was sent; it may or may not have been applied.
    #[error("the connection to urssaf broke before an answer arrived")]
    Interrupted,
    /// 5xx other than 503, or an answer that does not follow the documented shapes.
    #[error("urssaf answered with an error or an unreadable answer (HTTP {status})")]
    BadGateway { status: u16, errors: Vec<Erreur> },
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
}

fn first_code(errors: &[Erreur]) -> &str {
    errors
        .first()
        .map(|e| e.code.as_str())
        .unwrap_or("no error code")
}

impl UpstreamError {
    /// Urssaf's codes, for logs and metrics.
    pub fn codes(&self) -> Vec<&str> {
        match self {
            UpstreamError::Rejected { errors, .. } | UpstreamError::BadGateway { errors, .. } => {
                errors.iter().map(|e| e.code.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.codes().contains(&code)
    }
}

/// Reads an Urssaf error body in every shape seen in the wild: an array of errors, a single
/// error object, an object wrapping `errors`/`Errors`, an empty body, or `[]`.
pub fn parse_errors(body: &[u8]) -> Vec<Erreur> {
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
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_shape_is_read() {
        let one = r#"{"code":"ERREUR_VALIDATION","message":"m","description":"d"}"#;
        assert_eq!(
            parse_errors(format!("[{one}]").as_bytes())[0].code,
            "ERREUR_VALIDATION"
        );
        assert_eq!(parse_errors(one.as_bytes())[0].code, "ERREUR_VALIDATION");
        assert_eq!(
            parse_errors(format!(r#"{{"Errors":[{one}]}}"#).as_bytes())[0].code,
            "ERREUR_VALIDATION"
        );
        assert!(parse_errors(b"").is_empty());
        assert!(parse_errors(b"[]").is_empty());
        assert!(parse_errors(b"<html>").is_empty());
        assert!(parse_errors(b"{}").is_empty());
    }
}
