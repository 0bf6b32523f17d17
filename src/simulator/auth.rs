//! OAuth2 client-credentials token endpoint and bearer checks.

use super::faults;
use super::state::Inner;
use crate::token::wire::{TokenResponse, SCOPE};
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use base64::Engine;
use rand::RngCore;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

fn oauth_error(
    status: actix_web::http::StatusCode,
    error: &str,
    description: &str,
) -> HttpResponse {
    HttpResponse::build(status)
        .json(serde_json::json!({ "error": error, "error_description": description }))
}

/// `POST /api/oauth/v1/token`.
pub(crate) async fn token(
    inner: web::Data<Inner>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    inner.token_requests.fetch_add(1, Ordering::Relaxed);
    faults::delay(&inner).await;

    let form_ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let text = std::str::from_utf8(&body).ok();
    let form = match (form_ok, text) {
        (true, Some(t)) => web::Query::<HashMap<String, String>>::from_query(t).ok(),
        _ => None,
    };
    let Some(form) = form.map(|q| q.into_inner()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Corps attendu en application/x-www-form-urlencoded",
        );
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type doit valoir client_credentials",
        );
    }
    let creds = basic_credentials(&req).or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let Some(client_id) = creds.and_then(|(id, secret)| check_credentials(&inner, &id, &secret))
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Identifiants client invalides",
        );
    };
    // A missing scope gets the only scope there is; any other value is refused.
    if form
        .get("scope")
        .is_some_and(|s| s.split(' ').any(|s| s != SCOPE))
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "Scope inconnu");
    }

    let lifetime = match inner.faults().token_lifetime_secs {
        Some(secs) => Duration::from_secs(secs),
        None => inner.settings.token_lifetime,
    };
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let access_token = hex::encode(raw);
    {
        let now = Instant::now();
        let mut tokens = inner.tokens.lock();
        tokens.retain(|_, (_, exp)| *exp > now);
        // An absurd lifetime (admin input) saturates to ~100 years instead of overflowing.
        let expiry = now
            .checked_add(lifetime)
            .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or(now);
        tokens.insert(access_token.clone(), (client_id, expiry));
    }
    HttpResponse::Ok().json(TokenResponse {
        access_token,
        token_type: Some("Bearer".into()),
        expires_in: Some(lifetime.as_secs()),
        scope: Some(SCOPE.into()),
    })
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The client_id when the pair is known (secret compared in constant time).
fn check_credentials(inner: &Inner, id: &str, secret: &str) -> Option<String> {
    let extra = inner.extra_credentials.read();
    let added = extra.get_key_value(id);
    inner
        .settings
        .credentials
        .iter()
        .map(|(i, s)| (i, s))
        .chain(added)
        .find(|(known_id, known_secret)| {
            known_id.as_str() == id
                && bool::from(
                    known_secret
                        .expose_secret()
                        .as_bytes()
                        .ct_eq(secret.as_bytes()),
                )
        })
        .map(|(known_id, _)| known_id.clone())
}

/// The provider (client_id) owning the bearer token of this request, or the 401 to send.
pub(crate) fn authenticate(inner: &Inner, req: &HttpRequest) -> Option<String> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let found = token.and_then(|t| {
        let tokens = inner.tokens.lock();
        match tokens.get(t) {
            Some((client, exp)) if *exp > Instant::now() => Some(client.clone()),
            _ => None,
        }
    });
    found
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
        .json(serde_json::json!({
            "error": "invalid_token",
            "error_description": "Jeton absent, inconnu ou expiré"
        }))
}

/// Common prologue of the four API endpoints: latency, random failures, then the bearer.
pub(crate) async fn api_gate(inner: &Inner, req: &HttpRequest) -> Result<String, HttpResponse> {
    faults::delay(inner).await;
    if let Some(resp) = faults::random_failure(inner) {
        return Err(resp);
    }
    authenticate(inner, req).ok_or_else(unauthorized)
}
