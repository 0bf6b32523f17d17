//! Redis as a shared, optional second level: every command has a short deadline, and a
//! failure only degrades (the caller falls back to process memory); it never fails a call.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::config::RedisSettings;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    timeout: Duration,
    retry_after: Duration,
    prefix: String,
    conn: Mutex<Option<ConnectionManager>>,
    /// Set while Redis is considered down: no command is tried before this instant.
    skip_until: Mutex<Option<Instant>>,
    /// True from the first failure of an outage until the next success (one warning per episode).
    in_episode: AtomicBool,
    failures: AtomicU64,
    metrics: Metrics,
}

/// Redis could not be used for this command; the caller degrades.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

impl RedisStore {
    pub fn new(settings: &RedisSettings, metrics: Metrics) -> Option<RedisStore> {
        let url = settings.url.as_ref()?;
        let client = redis::Client::open(url.expose_secret()).ok()?;
        Some(RedisStore {
            inner: Arc::new(Inner {
                client,
                timeout: Duration::from_millis(settings.timeout_ms),
                retry_after: Duration::from_millis(settings.retry_after_ms),
                prefix: settings.key_prefix.clone(),
                conn: Mutex::new(None),
                skip_until: Mutex::new(None),
                in_episode: AtomicBool::new(false),
                failures: AtomicU64::new(0),
                metrics,
            }),
        })
    }

    /// Full key under the configured prefix.
    pub fn key(&self, parts: &[&str]) -> String {
        let mut k = self.inner.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    /// Number of failed Redis commands since start.
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    fn connection(&self) -> Result<ConnectionManager, Unavailable> {
        if let Some(until) = *self.inner.skip_until.lock() {
            if Instant::now() < until {
                return Err(Unavailable);
            }
        }
        let mut slot = self.inner.conn.lock();
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.inner.timeout))
            .set_response_timeout(Some(self.inner.timeout))
            .set_number_of_retries(1)
            .set_max_delay(self.inner.timeout);
        match ConnectionManager::new_lazy_with_config(self.inner.client.clone(), config) {
            Ok(c) => {
                *slot = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                drop(slot); // `failed` takes this lock too
                Err(self.failed(&e.to_string()))
            }
        }
    }

    /// Runs one command (or pipeline) with the deadline and the degrade rules.
    pub async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, Unavailable> {
        let mut conn = self.connection()?;
        match tokio::time::timeout(self.inner.timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => {
                self.succeeded();
                Ok(v)
            }
            Ok(Err(e)) => Err(self.failed(&e.to_string())),
            Err(_) => Err(self.failed("timed out")),
        }
    }

    /// Runs a Lua script with the same rules.
    pub async fn run_script<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, Unavailable> {
        let mut conn = self.connection()?;
        let mut inv = script.prepare_invoke();
        for k in keys {
            inv.key(*k);
        }
        for a in args {
            inv.arg(*a);
        }
        match tokio::time::timeout(self.inner.timeout, inv.invoke_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => {
                self.succeeded();
                Ok(v)
            }
            Ok(Err(e)) => Err(self.failed(&e.to_string())),
            Err(_) => Err(self.failed("timed out")),
        }
    }

    fn succeeded(&self) {
        if self.inner.in_episode.swap(false, Ordering::Relaxed) {
            tracing::info!("redis reachable again; shared cache back in use");
        }
    }

    fn failed(&self, why: &str) -> Unavailable {
        self.inner.failures.fetch_add(1, Ordering::Relaxed);
        self.inner.metrics.redis_errors.inc();
        *self.inner.skip_until.lock() = Some(Instant::now() + self.inner.retry_after);
        // A fresh manager next time: the old one may be stuck reconnecting.
        *self.inner.conn.lock() = None;
        if !self.inner.in_episode.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = why,
                "redis unavailable; serving from process memory until it answers again"
            );
        }
        Unavailable
    }
}
