//! One client-credentials request to Urssaf's token endpoint.

use std::sync::Arc;

use std::time::Duration;
use tracing::Instrument;

use secrecy::ExposeSecret;

use super::wire::{TokenResponse, SCOPE};
use super::{now_ms, Token, TokenProvider};
use crate::config::TokenAuthStyle;
use crate::tenant::Tenant;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// The token endpoint refused the credentials (or the request).
    #[error("the token endpoint refused the credentials (HTTP {0})")]
    Refused(u16),
    #[error("the token endpoint answered HTTP {0}")]
    Failed(u16),
    #[error("the token endpoint did not answer in time")]
    Timeout,
    #[error("the token endpoint could not be reached")]
    Unreachable,
    #[error("the token endpoint's answer could not be read")]
    BadAnswer,
}

pub(super) async fn fetch(p: &TokenProvider, tenant: &Arc<Tenant>) -> Result<Token, TokenError> {
    let inner = &p.inner;
    let mut form = vec![("grant_type", "client_credentials"), ("scope", SCOPE)];
    let mut req = inner
        .http
        .post(&tenant.endpoints.token_url)
        .timeout(inner.timeout);
    match inner.style {
        TokenAuthStyle::Form => {
            form.push(("client_id", tenant.client_id.as_str()));
            form.push(("client_secret", tenant.client_secret.expose_secret()));
        }
        TokenAuthStyle::Basic => {
            req = req.basic_auth(
                &tenant.client_id,
                Some(tenant.client_secret.expose_secret()),
            );
        }
    }
    let issued_at = now_ms();
    let span = if crate::telemetry::otel::enabled() {
        tracing::info_span!(
            "urssaf token",
            otel.name = "urssaf token",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = "POST",
            tenant = %tenant.id,
        )
    } else {
        tracing::Span::none()
    };
    let req = req.headers(crate::telemetry::otel::outgoing_headers(&span));
    let outcome = async {
        let resp = req.form(&form).send().await.map_err(|e| {
            if e.is_timeout() {
                TokenError::Timeout
            } else {
                TokenError::Unreachable
            }
        })?;
        let status = resp.status().as_u16();
        if status == 400 || status == 401 || status == 403 {
            return Err(TokenError::Refused(status));
        }
        if !resp.status().is_success() {
            return Err(TokenError::Failed(status));
        }
        let body: TokenResponse = resp.json().await.map_err(|e| {
            if e.is_timeout() {
                TokenError::Timeout
            } else {
                TokenError::BadAnswer
            }
        })?;
        if body.access_token.is_empty() {
            return Err(TokenError::BadAnswer);
        }
        let lifetime = body
            .expires_in
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(inner.default_lifetime);
        Ok(Token::new(
            body.access_token,
            issued_at,
            lifetime,
            inner.margin,
        ))
    }
    .instrument(span.clone())
    .await;
    if outcome.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    let label = match &outcome {
        Ok(_) => "ok",
        Err(TokenError::Refused(_)) => "refused",
        Err(_) => "error",
    };
    inner
        .metrics
        .token_fetches
        .with_label_values(&[label])
        .inc();
    tenant
        .health
        .token_fetched(outcome.as_ref().map(|_| ()).map_err(ToString::to_string));
    match &outcome {
        Ok(t) => {
            tracing::info!(tenant = %tenant.id, expires_in_ms = t.expires_at_ms.saturating_sub(issued_at), "fetched an urssaf token")
        }
        Err(e) => tracing::warn!(tenant = %tenant.id, error = %e, "urssaf token request failed"),
    }
    outcome
}
