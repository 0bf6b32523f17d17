//! The token endpoint's own wire format (OAuth2 client credentials), apart from the API's wire
//! types in `urssaf::wire`: the token cache speaks it, and so does the simulator's token
//! endpoint.

use serde::{Deserialize, Serialize};

/// The only scope the API knows.
pub const SCOPE: &str = "homeplus.tiersprestations";

/// Successful answer of the token endpoint. `Debug` hides the token.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent, `null` or unreadable in some answers, in which case a default lifetime
    /// applies. A numeric string (`"3599"`) is read as a number.
    #[serde(default, deserialize_with = "seconds_opt")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

crate::domain::redacted_debug!(TokenResponse, token_type, expires_in, scope);

/// Token lifetime in seconds: a number, a numeric string (`"3599"`), `null` or anything
/// unreadable (then `None`: the caller's default lifetime applies). Never fails.
fn seconds_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetime_number_string_or_null() {
        let read = |v: &str| {
            serde_json::from_str::<TokenResponse>(&format!(
                r#"{{"access_token": "t", "expires_in": {v}}}"#
            ))
            .unwrap()
            .expires_in
        };
        assert_eq!(read("3599"), Some(3599));
        assert_eq!(read(r#""3599""#), Some(3599));
        assert_eq!(read(r#"" 3599 ""#), Some(3599));
        assert_eq!(read("3599.0"), Some(3599));
        assert_eq!(read("null"), None);
        assert_eq!(read(r#""""#), None);
        assert_eq!(read(r#""soon""#), None);
        assert_eq!(read("-1"), None);
        let t: TokenResponse = serde_json::from_str(r#"{"access_token": "t"}"#).unwrap();
        assert_eq!(t.expires_in, None);
        // Still written as a number (the simulator's answer).
        let t = TokenResponse {
            access_token: "t".into(),
            token_type: None,
            expires_in: Some(60),
            scope: None,
        };
        assert_eq!(serde_json::to_value(&t).unwrap()["expires_in"], 60);
    }

    #[test]
    fn debug_hides_the_token() {
        let t = TokenResponse {
            access_token: "tok-very-secret".into(),
            token_type: Some("Bearer".into()),
            expires_in: Some(3599),
            scope: None,
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("tok-very-secret"), "{shown}");
        assert!(shown.contains("3599"), "{shown}");
    }
}
