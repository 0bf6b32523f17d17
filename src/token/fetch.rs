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

impl TokenError {
    /// The OpenTelemetry `error.type`: the status code, or what kept the answer away.
    fn class(&self) -> std::borrow::Cow<'static, str> {
        match self {
            TokenError::Refused(s) | TokenError::Failed(s) => s.to_string().into(),
            TokenError::Timeout => "timeout".into(),
            TokenError::Unreachable => "transport_error".into(),
            TokenError::BadAnswer => "bad_answer".into(),
        }
    }
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
            otel.name = "POST urssaf_token",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = "POST",
            url.full = tracing::field::Empty,
            server.address = tracing::field::Empty,
            server.port = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            tenant = %tenant.id,
        )
    } else {
        tracing::Span::none()
    };
    let req = req.headers(crate::telemetry::otel::outgoing_headers(&span));
    let (client, req) = req.form(&form).build_split();
    if let Ok(r) = &req {
        crate::telemetry::otel::record_destination(&span, r.url());
    }
    let outcome = async {
        let sent = match req {
            Ok(req) => client.execute(req).await,
            Err(e) => Err(e),
        };
        let resp = sent.map_err(|e| {
            if e.is_timeout() {
                TokenError::Timeout
            } else {
                TokenError::Unreachable
            }
        })?;
        let status = resp.status().as_u16();
        span.record("http.response.status_code", status);
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
    if let Err(e) = &outcome {
        span.record("otel.status_code", "ERROR");
        span.record("error.type", e.class().as_ref());
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
