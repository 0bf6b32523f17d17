//! One logical call to Urssaf: the host's circuit breaker, the token, attempts with
//! jittered back-off within the host's retry budget, and what each attempt leaves behind
//! (metrics, a log line, a trace span).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use reqwest::{RequestBuilder, StatusCode};
use tracing::Instrument;

use super::client::UrssafClient;
use super::codes::{CodeKind, UrssafCode};
use super::error::{parse_errors, UpstreamError};
use super::hosts::HostGuard;
use super::operation::Operation;
use crate::telemetry::{self, otel};
use crate::tenant::Tenant;

impl UrssafClient {
    /// One logical call; a failure (not a rejection) is remembered in the tenant's health.
    pub(super) async fn call(
        &self,
        tenant: &Arc<Tenant>,
        op: Operation,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Bytes, UpstreamError> {
        let result = self.send(tenant, op, build).await;
        if let Err(e) = &result {
            if !matches!(e, UpstreamError::Rejected { .. }) {
                tenant.health.urssaf_failed(format!("{}: {e}", op.name()));
            }
        }
        result
    }

    /// The attempts of one call pass the host's breaker once, and the call's outcome (not each
    /// attempt's) is what the breaker counts.
    async fn send(
        &self,
        tenant: &Arc<Tenant>,
        op: Operation,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Bytes, UpstreamError> {
        let mut token = self.inner.tokens.token(tenant).await?;
        let host = self.inner.hosts.of(&tenant.endpoints.api_base);
        let permit = match host.breaker.acquire() {
            Ok(p) => p,
            Err(wait) => {
                self.observe(
                    tenant,
                    op,
                    0,
                    Instant::now(),
                    "breaker_open",
                    None,
                    &[],
                    &tracing::Span::none(),
                );
                return Err(UpstreamError::Unavailable {
                    retry_after_secs: Some(wait.as_secs().max(1)),
                    cause: None,
                });
            }
        };
        host.budget.deposit(Instant::now());
        // Whether the last attempt got no usable answer (no connection, timeout, 5xx).
        let mut failed = false;
        let result = self
            .attempts(tenant, op, &build, &host, &mut token, &mut failed)
            .await;
        if failed {
            permit.failed();
        } else {
            permit.succeeded();
        }
        result
    }

    async fn attempts(
        &self,
        tenant: &Arc<Tenant>,
        op: Operation,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        host: &HostGuard,
        token: &mut Arc<crate::token::Token>,
        failed: &mut bool,
    ) -> Result<Bytes, UpstreamError> {
        let mut token_replaced = false;
        // Requests sent before this one (a replaced token resends without a new attempt).
        let (mut attempt, mut resends) = (0u32, 0u32);
        loop {
            let started = Instant::now();
            let span = attempt_span(op, tenant, resends);
            resends += 1;
            let answer = match self.exchange(op, build, token, &span, started).await {
                Ok(answer) => answer,
                Err(lost) => {
                    *failed = true;
                    let outcome = lost.outcome();
                    self.observe(
                        tenant,
                        op,
                        attempt,
                        started,
                        outcome,
                        lost.status,
                        &[],
                        &span,
                    );
                    if lost.may_retry(op) && self.may_retry(op, attempt, host) {
                        attempt += 1;
                        tokio::time::sleep(self.backoff(attempt, None)).await;
                        continue;
                    }
                    return Err(lost.into_error());
                }
            };
            let Answer {
                status,
                retry_after,
                body,
            } = answer;
            // A 429 may be one tenant's quota: it does not count against the breaker shared by all.
            *failed = status.is_server_error();
            if status.is_success() {
                self.observe(tenant, op, attempt, started, "ok", Some(status), &[], &span);
                return Ok(body);
            }
            let errors = parse_errors(&body);
            let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
            // "Nothing found" comes as a 400: it is an answer, not a rejection.
            let empty = !codes.is_empty()
                && codes
                    .iter()
                    .all(|c| UrssafCode::parse(c).kind() == CodeKind::NothingFound);
            let label = match status.as_u16() {
                400 if empty => "empty",
                400..=499 => "rejected",
                _ => "server_error",
            };
            self.observe(
                tenant,
                op,
                attempt,
                started,
                label,
                Some(status),
                &codes,
                &span,
            );
            if status == StatusCode::UNAUTHORIZED && !token_replaced {
                token_replaced = true;
                *token = self.inner.tokens.replace(tenant, token).await?;
                continue;
            }
            // 429 and 503 mean "not processed"; other 5xx are retried for reads only.
            let transient = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
                || (status.is_server_error() && !op.creates());
            if transient && self.may_retry(op, attempt, host) {
                attempt += 1;
                tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                continue;
            }
            return Err(UpstreamError::refusal(status, retry_after, errors));
        }
    }

    /// One request and its whole answer, recorded by the evidence hook when one is set.
    async fn exchange(
        &self,
        op: Operation,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        token: &crate::token::Token,
        span: &tracing::Span,
        started: Instant,
    ) -> Result<Answer, Lost> {
        // Header values made once: the token's with the token, the rest static.
        let request = build(self.http()).header(reqwest::header::ACCEPT, ACCEPT_JSON);
        let request = match token.authorization() {
            Some(bearer) => request.header(reqwest::header::AUTHORIZATION, bearer),
            // Bytes no header may carry: reqwest reports it as the call's error.
            None => request.bearer_auth(token.secret()),
        };
        let request = if otel::enabled() {
            request.headers(otel::outgoing_headers(span))
        } else {
            request
        };
        let seen = self.hook.capture(&request);
        let (client, request) = request.build_split();
        if let Ok(r) = &request {
            otel::record_destination(span, r.url());
        }
        let sent = async move { client.execute(request?).await }.instrument(span.clone());
        let resp = match sent.await {
            Ok(resp) => resp,
            Err(error) => {
                self.hook
                    .record(op, seen.as_ref(), started, None, Err(&error));
                return Err(Lost {
                    error,
                    status: None,
                });
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match resp.bytes().instrument(span.clone()).await {
            Ok(body) => {
                self.hook
                    .record(op, seen.as_ref(), started, Some(status), Ok(&body));
                Ok(Answer {
                    status,
                    retry_after,
                    body,
                })
            }
            Err(error) => {
                self.hook
                    .record(op, seen.as_ref(), started, Some(status), Err(&error));
                Err(Lost {
                    error,
                    status: Some(status),
                })
            }
        }
    }

    /// Another attempt is allowed: attempts left, the host's breaker not opened meanwhile, and
    /// the host's retry budget not spent.
    fn may_retry(&self, op: Operation, attempt: u32, host: &HostGuard) -> bool {
        if attempt >= self.inner.max_retries || host.breaker.is_open() {
            return false;
        }
        let allowed = host.budget.withdraw(Instant::now());
        let decision = if allowed {
            "retried"
        } else {
            "budget_exhausted"
        };
        self.inner
            .metrics
            .urssaf_retries
            .with_label_values(&[op.name(), decision])
            .inc();
        allowed
    }

    /// Full-jitter exponential back-off, never shorter than a `Retry-After` (both capped).
    fn backoff(&self, attempt: u32, retry_after_secs: Option<u64>) -> Duration {
        let inner = &self.inner;
        let ceiling = inner
            .retry_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(inner.retry_max);
        let jitter = rand::thread_rng().gen_range(0..=ceiling.as_millis() as u64);
        let floor = retry_after_secs
            .map(|s| Duration::from_secs(s).min(inner.retry_max))
            .unwrap_or_default();
        Duration::from_millis(jitter).max(floor)
    }

    /// What an attempt leaves behind: metrics, the trace span's outcome, the request's call
    /// tally (for its access line), and a log line: at debug when Urssaf answered 2xx (the
    /// access line says it all), at info otherwise.
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &self,
        tenant: &Tenant,
        op: Operation,
        attempt: u32,
        started: Instant,
        outcome: &'static str,
        status: Option<StatusCode>,
        codes: &[&str],
        span: &tracing::Span,
    ) {
        let elapsed = started.elapsed();
        let m = &self.inner.metrics;
        m.urssaf_attempts.inc([op.name(), outcome]);
        m.urssaf_attempt_seconds
            .observe([op.name()], elapsed.as_secs_f64());
        telemetry::count_urssaf_call(elapsed);
        let status = status.map(|s| s.as_u16());
        if let Some(s) = status {
            span.record("http.response.status_code", s);
        }
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if outcome == "ok" || outcome == "empty" {
            tracing::debug!(tenant = %tenant.id, urssaf_operation = op.name(), urssaf_status = status, outcome, attempt, latency_ms, "urssaf call");
        } else {
            // Only a failed call pays for joining its codes.
            let codes = codes.join(",");
            // The conventions' failure class: the status code, or what kept the answer away.
            let error_type = status.filter(|_| outcome != "transport_error");
            span.record(
                "error.type",
                error_type.map_or(outcome.into(), |s| s.to_string()),
            );
            span.record("otel.status_code", "ERROR");
            span.record("urssaf.outcome", outcome);
            span.record("urssaf.codes", codes.as_str());
            tracing::info!(tenant = %tenant.id, urssaf_operation = op.name(), urssaf_status = status, outcome, urssaf_codes = %codes, attempt, latency_ms, "urssaf call");
        }
    }
}

/// An answer Urssaf gave in full.
struct Answer {
    status: StatusCode,
    /// `Retry-After`, in seconds.
    retry_after: Option<u64>,
    body: Bytes,
}

/// An attempt that got no whole answer: no connection, a timeout, or the answer's body lost
/// after its status (`status` set).
struct Lost {
    error: reqwest::Error,
    status: Option<StatusCode>,
}

impl Lost {
    fn outcome(&self) -> &'static str {
        if self.status.is_none() && self.error.is_timeout() {
            "timeout"
        } else {
            "transport_error"
        }
    }

    /// Reads are retried on any failure to send; creating calls only when nothing reached
    /// Urssaf. A body lost after its status is never retried.
    fn may_retry(&self, op: Operation) -> bool {
        self.status.is_none() && (self.error.is_connect() || !op.creates())
    }

    fn into_error(self) -> UpstreamError {
        let timed_out = self.error.is_timeout();
        let never_reached = self.status.is_none() && self.error.is_connect();
        let cause: Option<super::error::Cause> = Some(Arc::new(self.error));
        if timed_out {
            UpstreamError::Timeout { cause }
        } else if never_reached {
            UpstreamError::Unavailable {
                retry_after_secs: None,
                cause,
            }
        } else {
            UpstreamError::Interrupted { cause }
        }
    }
}

const ACCEPT_JSON: reqwest::header::HeaderValue =
    reqwest::header::HeaderValue::from_static("application/json");

/// The client span of one attempt, when traces are on (OpenTelemetry's HTTP conventions;
/// the URL and server are recorded once the request is built, see `otel::record_destination`).
fn attempt_span(op: Operation, tenant: &Tenant, resends: u32) -> tracing::Span {
    if !otel::enabled() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "urssaf call",
        otel.name = op.span_name(),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = op.method(),
        http.request.resend_count = (resends > 0).then_some(resends),
        url.full = tracing::field::Empty,
        server.address = tracing::field::Empty,
        server.port = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        urssaf.operation = op.name(),
        urssaf.outcome = tracing::field::Empty,
        urssaf.codes = tracing::field::Empty,
        tenant = %tenant.id,
    )
}
