//! Urssaf OAuth2 tokens: L1 in process → L2 Redis (shared by replicas) → token endpoint.
//!
//! The request path only reads L1. A token is refreshed in the background a margin before
//! it expires while the current one keeps being served. Within a process one fetch runs at
//! a time per tenant; across replicas a Redis lock (`SET NX PX`, released by its owner only)
//! lets one replica fetch while the others wait for its token in L2. Every Redis failure
//! degrades to fetching directly: duplicate tokens are harmless, failed calls are not.

mod fetch;
mod seal;
mod shared;
pub mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{TokenAuthStyle, TokenSettings};
use crate::metrics::Metrics;
use crate::per_thread::PerThreadMap;
use crate::redis_store::RedisStore;
use crate::tenant::Tenant;

pub use fetch::TokenError;

/// A token is not handed out when it has less than this left: it could expire in flight.
const MIN_REMAINING_MS: u64 = 500;
/// Longest lifetime believed, whatever the token endpoint says.
const MAX_LIFETIME_MS: u64 = 24 * 3600 * 1000;

pub struct Token {
    value: SecretString,
    /// `Bearer <token>`, made once per token rather than once per call (marked sensitive).
    header: Option<reqwest::header::HeaderValue>,
    pub expires_at_ms: u64,
    pub refresh_at_ms: u64,
}

impl Token {
    fn new(value: String, issued_at_ms: u64, lifetime: Duration, margin: Duration) -> Token {
        // An absurd `expires_in` must neither overflow nor pin a token for days.
        let lifetime_ms = lifetime
            .as_millis()
            .clamp(1000, u128::from(MAX_LIFETIME_MS)) as u64;
        let margin_ms = (margin.as_millis() as u64).min(lifetime_ms / 2);
        Token::from_parts(
            value,
            issued_at_ms.saturating_add(lifetime_ms),
            issued_at_ms.saturating_add(lifetime_ms - margin_ms),
        )
    }

    fn from_parts(value: String, expires_at_ms: u64, refresh_at_ms: u64) -> Token {
        let header = reqwest::header::HeaderValue::from_str(&format!("Bearer {value}"))
            .ok()
            .map(|mut h| {
                h.set_sensitive(true);
                h
            });
        Token {
            value: SecretString::from(value),
            header,
            expires_at_ms,
            refresh_at_ms,
        }
    }

    pub fn secret(&self) -> &str {
        self.value.expose_secret()
    }

    /// The `Authorization` header value for this token (`None` if the token holds bytes no
    /// header may carry).
    pub fn authorization(&self) -> Option<reqwest::header::HeaderValue> {
        self.header.clone()
    }

    fn usable(&self, now: u64) -> bool {
        now + MIN_REMAINING_MS < self.expires_at_ms
    }

    fn fresh(&self, now: u64) -> bool {
        now < self.refresh_at_ms && self.usable(now)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    fetch: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    /// After a failed background refresh, wait until then before trying again.
    retry_at_ms: AtomicU64,
    /// Counts finished fetches; with the last one's error when it failed. A caller that saw
    /// generation N before queueing and finds N+k with an error gets that error at once
    /// instead of trying again in turn (a slow token endpoint is not hit once per caller).
    generation: AtomicU64,
    last_failure: parking_lot::Mutex<Option<TokenError>>,
}

#[derive(Clone)]
pub struct TokenProvider {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    shared: Option<shared::SharedTokens>,
    style: TokenAuthStyle,
    timeout: Duration,
    margin: Duration,
    default_lifetime: Duration,
    metrics: Metrics,
    slots: RwLock<HashMap<String, Arc<Slot>>>,
    /// Each thread's copy of `slots` (the same slots): a read finds its tenant's slot without
    /// the lock both workers take, nor a SipHash of the id.
    local_slots: PerThreadMap<String, Arc<Slot>>,
}

impl TokenProvider {
    pub fn new(
        http: reqwest::Client,
        store: Option<RedisStore>,
        settings: &TokenSettings,
        style: TokenAuthStyle,
        timeout: Duration,
        metrics: Metrics,
    ) -> TokenProvider {
        let lock_ttl =
            Duration::from_millis(settings.lock_ttl_ms.max(timeout.as_millis() as u64 + 1000));
        // The key was checked with the settings: an unusable one stops the start.
        let sealer = seal::Sealer::new(settings.encryption_key.as_ref());
        TokenProvider {
            inner: Arc::new(Inner {
                http,
                shared: store.map(|s| shared::SharedTokens::new(s, lock_ttl, sealer)),
                style,
                timeout,
                margin: Duration::from_secs(settings.refresh_margin_seconds),
                default_lifetime: Duration::from_secs(settings.default_lifetime_seconds.max(1)),
                metrics,
                slots: RwLock::new(HashMap::new()),
                local_slots: PerThreadMap::default(),
            }),
        }
    }

    fn slot(&self, tenant: &Tenant) -> Arc<Slot> {
        let make = || (tenant.id.clone(), self.shared_slot(tenant));
        self.inner.local_slots.get(tenant.id.as_str(), make)
    }

    fn shared_slot(&self, tenant: &Tenant) -> Arc<Slot> {
        if let Some(s) = self.inner.slots.read().get(&tenant.id) {
            return s.clone();
        }
        self.inner
            .slots
            .write()
            .entry(tenant.id.clone())
            .or_default()
            .clone()
    }

    /// A valid token for this tenant; from process memory on the hot path.
    pub async fn token(&self, tenant: &Arc<Tenant>) -> Result<Arc<Token>, TokenError> {
        let slot = self.slot(tenant);
        let now = now_ms();
        let current = slot.current.read().clone();
        if let Some(t) = current {
            if t.usable(now) {
                self.inner.metrics.token_lookup.inc(["l1", "hit"]);
                if !t.fresh(now) {
                    self.refresh_in_background(tenant, &slot, now);
                }
                return Ok(t);
            }
        }
        self.inner.metrics.token_lookup.inc(["l1", "miss"]);
        self.acquire_detached(tenant, slot, None).await
    }

    /// Drops a token Urssaf refused (L1 and L2) and returns another one.
    pub async fn replace(
        &self,
        tenant: &Arc<Tenant>,
        refused: &Token,
    ) -> Result<Arc<Token>, TokenError> {
        let slot = self.slot(tenant);
        {
            let mut cur = slot.current.write();
            if cur.as_ref().is_some_and(|t| t.secret() == refused.secret()) {
                *cur = None;
            }
        }
        if let Some(shared) = &self.inner.shared {
            shared.purge(tenant, refused.secret()).await;
        }
        tracing::info!(tenant = %tenant.id, "urssaf refused the token; purged and fetching another");
        self.acquire_detached(tenant, slot, Some(refused.secret().to_string()))
            .await
    }

    /// Runs the slow path in its own task: a caller that goes away (client disconnected)
    /// neither cancels a fetch others wait for nor leaves the Redis lock held.
    async fn acquire_detached(
        &self,
        tenant: &Arc<Tenant>,
        slot: Arc<Slot>,
        refused: Option<String>,
    ) -> Result<Arc<Token>, TokenError> {
        let (this, tenant) = (self.clone(), tenant.clone());
        let seen_generation = slot.generation.load(Ordering::Acquire);
        // Still the caller's trace and log context: the fetch is part of its request.
        let fetch = async move {
            this.acquire(&tenant, &slot, refused.as_deref(), seen_generation)
                .await
        };
        tokio::spawn(crate::telemetry::with_current_context(
            tracing::Instrument::instrument(fetch, tracing::Span::current()),
        ))
        .await
        .unwrap_or(Err(TokenError::Unreachable))
    }

    fn refresh_in_background(&self, tenant: &Arc<Tenant>, slot: &Arc<Slot>, now: u64) {
        if now < slot.retry_at_ms.load(Ordering::Relaxed)
            || slot.refreshing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let (this, tenant, slot) = (self.clone(), tenant.clone(), slot.clone());
        tokio::spawn(async move {
            let seen = slot.generation.load(Ordering::Acquire);
            if let Err(e) = this.acquire(&tenant, &slot, None, seen).await {
                tracing::warn!(tenant = %tenant.id, error = %e, "token refresh ahead of expiry failed; still serving the current token");
                slot.retry_at_ms.store(now_ms() + 1000, Ordering::Relaxed);
            }
            slot.refreshing.store(false, Ordering::Release);
        });
    }

    /// Slow path, one at a time per tenant: L1 again → L2 → lock → token endpoint.
    async fn acquire(
        &self,
        tenant: &Arc<Tenant>,
        slot: &Slot,
        refused: Option<&str>,
        seen_generation: u64,
    ) -> Result<Arc<Token>, TokenError> {
        let _one_at_a_time = slot.fetch.lock().await;
        let acceptable = |t: &Token| t.fresh(now_ms()) && Some(t.secret()) != refused;
        let current = slot.current.read().clone();
        if let Some(t) = current.filter(|t| acceptable(t)) {
            return Ok(t);
        }
        // A fetch failed while we queued: share its answer rather than try again in turn.
        if slot.generation.load(Ordering::Acquire) != seen_generation {
            if let Some(e) = slot.last_failure.lock().as_ref() {
                return Err(e.clone());
            }
        }
        let mut lock = None;
        if let Some(shared) = &self.inner.shared {
            if let Some(t) = shared
                .get(tenant, &self.inner.metrics)
                .await
                .filter(|t| acceptable(t))
            {
                return Ok(self.install(slot, t));
            }
            match shared.lock(tenant).await {
                shared::Lock::Acquired(l) => {
                    // Another replica may have fetched and let go between our read and the
                    // lock: read once more before fetching a second token.
                    if let Ok(Some(t)) = shared.get_quiet(tenant).await {
                        if acceptable(&t) {
                            shared.unlock(l).await;
                            return Ok(self.install(slot, t));
                        }
                    }
                    lock = Some(l);
                }
                shared::Lock::HeldElsewhere => {
                    // Another replica is fetching: wait for its token rather than fetch a second.
                    let deadline = now_ms() + self.inner.timeout.as_millis() as u64 + 1000;
                    while now_ms() < deadline {
                        tokio::time::sleep(Duration::from_millis(25)).await;
                        match shared.get_quiet(tenant).await {
                            Ok(Some(t)) if acceptable(&t) => {
                                self.inner
                                    .metrics
                                    .token_lookups
                                    .with_label_values(&["redis", "hit"])
                                    .inc();
                                return Ok(self.install(slot, t));
                            }
                            Ok(_) => {}
                            Err(_) => break, // Redis went away: fetch ourselves.
                        }
                    }
                }
                shared::Lock::Unavailable => {}
            }
        }
        let result = match fetch::fetch(self, tenant).await {
            Ok(t) => {
                *slot.last_failure.lock() = None;
                slot.generation.fetch_add(1, Ordering::AcqRel);
                if let Some(shared) = &self.inner.shared {
                    shared.put(tenant, &t).await;
                }
                Ok(self.install(slot, t))
            }
            Err(e) => {
                *slot.last_failure.lock() = Some(e.clone());
                slot.generation.fetch_add(1, Ordering::AcqRel);
                Err(e)
            }
        };
        if let (Some(shared), Some(lock)) = (&self.inner.shared, lock) {
            shared.unlock(lock).await;
        }
        result
    }

    fn install(&self, slot: &Slot, t: Token) -> Arc<Token> {
        let t = Arc::new(t);
        *slot.current.write() = Some(t.clone());
        t
    }
}
