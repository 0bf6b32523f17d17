//! The one typed client of Urssaf's API: token handling, deadlines, bounded retries.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use thread_local::ThreadLocal;

use super::codes::{CodeKind, UrssafCode};
use super::error::{DecodeError, UpstreamError, UrssafError};
use super::exchange::{ExchangeObserver, Hook};
use super::hosts::Hosts;
use super::operation::Operation;
use super::translate::{self, Receipt, SearchQuery};
use super::wire;
use crate::config::UpstreamSettings;
use crate::domain::client::contact::Email;
use crate::domain::client::{ClientRecord, Registration};
use crate::domain::invoice::Invoice;
use crate::domain::payment_request::PaymentRequest;
use crate::metrics::Metrics;
use crate::per_thread::PerThreadMap;
use crate::tenant::Tenant;
use crate::token::TokenProvider;

/// Urssaf accepts at most this many payment requests per submission and ids per search.
pub const MAX_PER_CALL: usize = 10;

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
    pub(super) inner: Arc<Inner>,
    /// Set only on a copy made for evidence (`with_observer`); unset on the serving path.
    pub(super) hook: Hook,
}

pub(super) struct Inner {
    /// One HTTP client per thread: each actix worker runs its own runtime, and a connection's
    /// task lives on the runtime that opened it; shared, a worker would hand its requests to
    /// another worker's thread and wait for it to wake (docs/performance.md).
    http: ThreadLocal<reqwest::Client>,
    http_settings: UpstreamSettings,
    /// The client built at start, used if a thread's own cannot be built.
    http_fallback: reqwest::Client,
    pub(super) tokens: TokenProvider,
    pub(super) max_retries: u32,
    pub(super) retry_base: Duration,
    pub(super) retry_max: Duration,
    pub(super) metrics: Metrics,
    /// Circuit breaker and retry budget per Urssaf host.
    pub(super) hosts: Hosts,
    /// Each operation's URL per tenant base, parsed once per thread (see
    /// [`UrssafClient::endpoint`]): no lock shared by the workers on the hot path.
    urls: PerThreadMap<String, BaseUrls>,
}

/// The URL of each operation under one API base, in [`Operation::ALL`]'s order (`None`:
/// unparsable, left to reqwest to report).
type BaseUrls = [Option<reqwest::Url>; Operation::ALL.len()];

/// Where an operation is sent: parsed once, or (unparsable) left to reqwest to report.
enum Endpoint {
    Parsed(reqwest::Url),
    Raw(String),
}

impl Endpoint {
    fn request(&self, h: &reqwest::Client, method: Method) -> reqwest::RequestBuilder {
        match self {
            Endpoint::Parsed(url) => h.request(method, url.clone()),
            Endpoint::Raw(url) => h.request(method, url.as_str()),
        }
    }
}

/// An HTTP client to Urssaf: pooled keep-alive connections, rustls, deadlines, no redirects
/// (Urssaf's API answers, it does not redirect).
pub fn http_client(settings: &UpstreamSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .timeout(Duration::from_millis(settings.timeout_ms))
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
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
                http: ThreadLocal::new(),
                http_settings: settings.clone(),
                http_fallback: http,
                tokens,
                max_retries: settings.max_retries,
                retry_base: Duration::from_millis(settings.retry_base_ms),
                retry_max: Duration::from_millis(settings.retry_max_ms),
                hosts: Hosts::new(settings, metrics.clone()),
                metrics,
                urls: PerThreadMap::default(),
            }),
            hook: Hook::default(),
        }
    }

    /// This thread's HTTP client.
    pub(super) fn http(&self) -> &reqwest::Client {
        let inner = &self.inner;
        inner.http.get_or(|| {
            http_client(&inner.http_settings).unwrap_or_else(|_| inner.http_fallback.clone())
        })
    }

    /// The URL of `op` for `tenant`. Parsing it (host and IDNA checks included) cost ~10 000
    /// instructions a call, more than the rest of building the request: done once per API base,
    /// found by the base itself (no string made per call).
    fn endpoint(&self, tenant: &Tenant, op: Operation) -> Endpoint {
        let base = tenant.endpoints.api_base.as_str();
        let index = Operation::ALL.iter().position(|o| *o == op).unwrap_or(0);
        let pick = |parsed: &BaseUrls| match &parsed[index] {
            Some(url) => Endpoint::Parsed(url.clone()),
            None => Endpoint::Raw(format!("{base}{}", op.path())),
        };
        let parse = || {
            let parsed: BaseUrls =
                Operation::ALL.map(|o| reqwest::Url::parse(&format!("{base}{}", o.path())).ok());
            Some((base.to_string(), parsed))
        };
        let found = self.inner.urls.with(base, parse, |parsed| pick(parsed));
        found.unwrap_or_else(|| Endpoint::Raw(format!("{base}{}", op.path())))
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
        let op = Operation::RegisterClient;
        let url = self.endpoint(tenant, op);
        let input = translate::client::registration_to_wire(registration);
        let body = self
            .call(tenant, op, |h| url.request(h, Method::POST).json(&input))
            .await?;
        let out: wire::OutputParticulier = decode(op, &body)?;
        Ok(out.id_client)
    }

    /// E2 `GET /particulier`; tolerates the object answered as a one-element array.
    pub async fn client_status(
        &self,
        tenant: &Arc<Tenant>,
        key: ClientKey<'_>,
    ) -> Result<ClientRecord, UpstreamError> {
        let op = Operation::ClientStatus;
        let url = self.endpoint(tenant, op);
        let query: [(&str, &str); 1] = match key {
            ClientKey::Id(id) => [("idClient", id)],
            ClientKey::Email(email) => [("adresseMail", email.as_str())],
        };
        let body = self
            .call(tenant, op, |h| url.request(h, Method::GET).query(&query))
            .await?;
        let is_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if !is_list {
            let p: wire::ParticulierStatut = decode(op, &body)?;
            return Ok(translate::client::record_from_wire(p));
        }
        let items: Vec<wire::ParticulierStatut> = decode(op, &body)?;
        match items.into_iter().next() {
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
        let url = self.endpoint(tenant, op);
        let wires: Vec<wire::InputDemandePaiement> = chunk
            .iter()
            .map(|inv| translate::invoice::invoice_to_wire(inv, &tenant.billing_id))
            .collect();
        let body = self
            .call(tenant, op, |h| url.request(h, Method::POST).json(&wires))
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
        let url = self.endpoint(tenant, op);
        let criteria = translate::search::search_to_wire(query);
        let sent = self
            .call(tenant, op, |h| url.request(h, Method::POST).json(&criteria))
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
}

/// Reads an answer; one that does not follow the documented shape is logged with the JSON
/// path that failed (never the body: it holds personal data) and answered as a bad gateway.
fn decode<T: DeserializeOwned>(op: Operation, body: &[u8]) -> Result<T, UpstreamError> {
    // Read plainly first: tracking the path costs a quarter of the read, and is only needed
    // to say where a bad answer went wrong (read again for that).
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
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
