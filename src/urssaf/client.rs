//! The one typed client of Urssaf's API: token handling, deadlines, bounded retries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use super::breaker::Breaker;
use super::codes::{CodeKind, UrssafCode};
use super::error::{parse_errors, DecodeError, UpstreamError, UrssafError};
use super::exchange::{ExchangeObserver, Hook};
use super::translate::{self, Receipt, SearchQuery};
use super::wire;
use crate::config::UpstreamSettings;
use crate::domain::client::contact::Email;
use crate::domain::client::{ClientRecord, Registration};
use crate::domain::invoice::Invoice;
use crate::domain::payment_request::PaymentRequest;
use crate::metrics::Metrics;
use crate::tenant::Tenant;
use crate::token::TokenProvider;

/// Urssaf accepts at most this many payment requests per submission and ids per search.
pub const MAX_PER_CALL: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    RegisterClient,
    ClientStatus,
    SubmitPaymentRequests,
    SearchPaymentRequests,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::RegisterClient => "register_client",
            Operation::ClientStatus => "client_status",
            Operation::SubmitPaymentRequests => "submit_payment_requests",
            Operation::SearchPaymentRequests => "search_payment_requests",
        }
    }

    /// Creating calls are retried only when Urssaf provably did not process them.
    fn creates(self) -> bool {
        matches!(
            self,
            Operation::RegisterClient | Operation::SubmitPaymentRequests
        )
    }
}

/// Search answer, with "nothing found" already turned into an empty list.
#[derive(Debug, Default)]
pub struct SearchAnswer {
    pub found: Vec<PaymentRequest>,
    /// Urssaf's non-blocking errors (e.g. some ids unknown).
    pub warnings: Vec<UrssafError>,
}

/// How a client is looked up (E2).
#[derive(Debug, Clone, Copy)]
pub enum ClientKey<'a> {
    Id(&'a str),
    Email(&'a Email),
}

#[derive(Clone)]
pub struct UrssafClient {
    inner: Arc<Inner>,
    /// Set only on a copy made for evidence (`with_observer`); unset on the serving path.
    hook: Hook,
}

struct Inner {
    http: reqwest::Client,
    tokens: TokenProvider,
    max_retries: u32,
    retry_base: Duration,
    retry_max: Duration,
    metrics: Metrics,
    breaker_threshold: u32,
    breaker_open_for: Duration,
    breakers: parking_lot::Mutex<std::collections::HashMap<String, Arc<Breaker>>>,
}

/// The process-wide HTTP client: pooled keep-alive connections, rustls, deadlines.
pub fn http_client(settings: &UpstreamSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .timeout(Duration::from_millis(settings.timeout_ms))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("urssaf-gateway/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl UrssafClient {
    pub fn new(
        http: reqwest::Client,
        tokens: TokenProvider,
        settings: &UpstreamSettings,
        metrics: Metrics,
    ) -> Self {
        UrssafClient {
            inner: Arc::new(Inner {
                http,
                tokens,
                max_retries: settings.max_retries,
                retry_base: Duration::from_millis(settings.retry_base_ms),
                retry_max: Duration::from_millis(settings.retry_max_ms),
                metrics,
                breaker_threshold: settings.breaker_failures,
                breaker_open_for: Duration::from_secs(settings.breaker_open_seconds),
                breakers: parking_lot::Mutex::new(std::collections::HashMap::new()),
            }),
            hook: Hook::default(),
        }
    }

    /// A copy sharing everything (connections, tokens, breakers) that also hands each attempt,
    /// its request and Urssaf's answer, to `observer` (the campaign report, the check).
    pub fn with_observer(&self, observer: Arc<dyn ExchangeObserver>) -> UrssafClient {
        UrssafClient {
            inner: self.inner.clone(),
            hook: Hook::new(observer),
        }
    }

    /// E1 `POST /particulier`: Urssaf's new client id.
    pub async fn register_client(
        &self,
        tenant: &Arc<Tenant>,
        registration: &Registration,
    ) -> Result<String, UpstreamError> {
        let url = format!("{}/particulier", tenant.endpoints.api_base);
        let input = translate::client::registration_to_wire(registration);
        let body = self
            .call(tenant, Operation::RegisterClient, |h| {
                h.request(Method::POST, &url).json(&input)
            })
            .await?;
        let out: wire::OutputParticulier = decode(Operation::RegisterClient, &body)?;
        Ok(out.id_client)
    }

    /// E2 `GET /particulier`; tolerates the object answered as a one-element array.
    pub async fn client_status(
        &self,
        tenant: &Arc<Tenant>,
        key: ClientKey<'_>,
    ) -> Result<ClientRecord, UpstreamError> {
        let op = Operation::ClientStatus;
        let url = format!("{}/particulier", tenant.endpoints.api_base);
        let query: [(&str, &str); 1] = match key {
            ClientKey::Id(id) => [("idClient", id)],
            ClientKey::Email(email) => [("adresseMail", email.as_str())],
        };
        let body = self
            .call(tenant, op, |h| h.request(Method::GET, &url).query(&query))
            .await?;
        let is_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if !is_list {
            let p: wire::ParticulierStatut = decode(op, &body)?;
            return Ok(translate::client::record_from_wire(&p));
        }
        let items: Vec<wire::ParticulierStatut> = decode(op, &body)?;
        match items.first() {
            Some(p) => Ok(translate::client::record_from_wire(p)),
            // An empty list is "no such client", the same as Urssaf's documented 400.
            None => Err(UpstreamError::Rejected {
                status: 200,
                errors: vec![UrssafError::new(
                    UrssafCode::ErrRechercheParticulier,
                    "Aucun particulier ne correspond",
                )],
            }),
        }
    }

    /// E3 `POST /demandePaiement` for at most [`MAX_PER_CALL`] invoices; answers in the same
    /// order.
    pub async fn submit_payment_requests(
        &self,
        tenant: &Arc<Tenant>,
        chunk: &[Invoice],
    ) -> Result<Vec<Receipt>, UpstreamError> {
        let op = Operation::SubmitPaymentRequests;
        let url = format!("{}/demandePaiement", tenant.endpoints.api_base);
        let wires: Vec<wire::InputDemandePaiement> = chunk
            .iter()
            .map(|inv| translate::invoice::invoice_to_wire(inv, &tenant.billing_id))
            .collect();
        let body = self
            .call(tenant, op, |h| h.request(Method::POST, &url).json(&wires))
            .await?;
        let out: Vec<wire::OutputDemandePaiement> = decode(op, &body)?;
        if out.len() != chunk.len() {
            return Err(UpstreamError::unreadable(
                200,
                DecodeError {
                    path: String::new(),
                    message: format!("{} answers for {} payment requests", out.len(), chunk.len()),
                },
            ));
        }
        Ok(out
            .into_iter()
            .map(translate::payment_request::receipt_from_wire)
            .collect())
    }

    /// E4 `POST /demandePaiement/rechercher`. `ERR_RECHERCHE_VIDE` is an empty answer here.
    pub async fn search_payment_requests(
        &self,
        tenant: &Arc<Tenant>,
        query: SearchQuery<'_>,
    ) -> Result<SearchAnswer, UpstreamError> {
        let op = Operation::SearchPaymentRequests;
        let url = format!("{}/demandePaiement/rechercher", tenant.endpoints.api_base);
        let criteria = translate::search::search_to_wire(query);
        let sent = self
            .call(tenant, op, |h| {
                h.request(Method::POST, &url).json(&criteria)
            })
            .await;
        match sent {
            Ok(body) => {
                let out: wire::OutputRechercheDemandePaiement = decode(op, &body)?;
                Ok(SearchAnswer {
                    found: out
                        .info_demande_paiements
                        .iter()
                        .map(translate::payment_request::payment_request_from_wire)
                        .collect(),
                    warnings: out
                        .errors
                        .unwrap_or_default()
                        .into_iter()
                        .map(UrssafError::from)
                        .collect(),
                })
            }
            Err(e) if e.has(CodeKind::NothingFound) => Ok(SearchAnswer::default()),
            Err(e) => Err(e),
        }
    }

    /// One logical call; a failure (not a rejection) is remembered in the tenant's health.
    async fn call(
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

    async fn send(
        &self,
        tenant: &Arc<Tenant>,
        op: Operation,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Bytes, UpstreamError> {
        let inner = &self.inner;
        let mut token = inner.tokens.token(tenant).await?;
        let mut token_replaced = false;
        let mut attempt = 0u32;
        let breaker = self.breaker(&tenant.endpoints.api_base);
        loop {
            let started = Instant::now();
            if let Err(wait) = breaker.allow() {
                self.observe(op, started, "breaker_open", None, &[]);
                return Err(UpstreamError::Unavailable {
                    retry_after_secs: Some(wait.as_secs().max(1)),
                    cause: None,
                });
            }
            let request = build(&inner.http)
                .bearer_auth(token.secret())
                .header(reqwest::header::ACCEPT, "application/json");
            let seen = self.hook.capture(&request);
            let sent = request.send().await;
            let (status, retry_after, outcome) = match sent {
                Err(e) => {
                    self.hook.record(op, seen.as_ref(), started, None, Err(&e));
                    breaker.failed();
                    let never_reached = e.is_connect();
                    let timed_out = e.is_timeout();
                    self.observe(
                        op,
                        started,
                        if e.is_timeout() {
                            "timeout"
                        } else {
                            "transport_error"
                        },
                        None,
                        &[],
                    );
                    let retry = never_reached || (!op.creates() && e.is_timeout());
                    if retry && attempt < inner.max_retries {
                        attempt += 1;
                        tokio::time::sleep(self.backoff(attempt, None)).await;
                        continue;
                    }
                    let cause: Option<super::error::Cause> = Some(Arc::new(e));
                    return Err(if timed_out {
                        UpstreamError::Timeout { cause }
                    } else if never_reached {
                        UpstreamError::Unavailable {
                            retry_after_secs: None,
                            cause,
                        }
                    } else {
                        UpstreamError::Interrupted { cause }
                    });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    (status, retry_after, resp.bytes().await)
                }
            };
            let body = match outcome {
                Ok(b) => b,
                Err(e) => {
                    self.hook
                        .record(op, seen.as_ref(), started, Some(status), Err(&e));
                    breaker.failed();
                    self.observe(op, started, "transport_error", Some(status), &[]);
                    let timed_out = e.is_timeout();
                    let cause: Option<super::error::Cause> = Some(Arc::new(e));
                    return Err(if timed_out {
                        UpstreamError::Timeout { cause }
                    } else {
                        UpstreamError::Interrupted { cause }
                    });
                }
            };
            self.hook
                .record(op, seen.as_ref(), started, Some(status), Ok(&body));
            // A 429 may be one tenant's quota: it does not trip the breaker shared by all.
            if status.is_server_error() {
                breaker.failed();
            } else {
                breaker.succeeded();
            }
            if status.is_success() {
                self.observe(op, started, "ok", Some(status), &[]);
                return Ok(body);
            }
            let errors = parse_errors(&body);
            let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
            let label = match status.as_u16() {
                400..=499 => "rejected",
                _ => "server_error",
            };
            self.observe(op, started, label, Some(status), &codes);
            if status == StatusCode::UNAUTHORIZED && !token_replaced {
                token_replaced = true;
                token = inner.tokens.replace(tenant, &token).await?;
                continue;
            }
            // 429 and 503 mean "not processed"; other 5xx are retried for reads only.
            let transient = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
                || (status.is_server_error() && !op.creates());
            if transient && attempt < inner.max_retries {
                attempt += 1;
                tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                continue;
            }
            return Err(match status.as_u16() {
                401 => UpstreamError::Unauthorized,
                403 => UpstreamError::Forbidden,
                429 | 503 => UpstreamError::Unavailable {
                    retry_after_secs: retry_after,
                    cause: None,
                },
                400..=499 => UpstreamError::Rejected {
                    status: status.as_u16(),
                    errors,
                },
                s => UpstreamError::BadGateway {
                    status: s,
                    errors,
                    cause: None,
                },
            });
        }
    }

    fn breaker(&self, host: &str) -> Arc<Breaker> {
        let inner = &self.inner;
        inner
            .breakers
            .lock()
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Breaker::new(
                    inner.breaker_threshold,
                    inner.breaker_open_for,
                ))
            })
            .clone()
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

    fn observe(
        &self,
        op: Operation,
        started: Instant,
        outcome: &str,
        status: Option<StatusCode>,
        codes: &[&str],
    ) {
        let elapsed = started.elapsed();
        let m = &self.inner.metrics;
        m.upstream_requests
            .with_label_values(&[op.name(), outcome])
            .inc();
        m.upstream_duration
            .with_label_values(&[op.name()])
            .observe(elapsed.as_secs_f64());
        tracing::info!(
            request_id = crate::telemetry::request_id(),
            urssaf_operation = op.name(),
            urssaf_status = status.map(|s| s.as_u16()),
            outcome,
            urssaf_codes = %codes.join(","),
            latency_ms = elapsed.as_millis() as u64,
            "urssaf call"
        );
    }
}

/// Reads an answer; one that does not follow the documented shape is logged with the JSON
/// path that failed (never the body: it holds personal data) and answered as a bad gateway.
fn decode<T: DeserializeOwned>(op: Operation, body: &[u8]) -> Result<T, UpstreamError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let cause = DecodeError {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        };
        tracing::warn!(urssaf_operation = op.name(), error = %cause, "unreadable urssaf answer");
        UpstreamError::unreadable(200, cause)
    })
}
