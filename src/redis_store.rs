//! Redis as a shared, optional second level: every command has a short deadline, and a
//! failure only degrades (the caller falls back to process memory); it never fails a call.
//!
//! Redis is one node, a Sentinel-watched master or a Cluster (`redis.mode`); callers do not
//! see which. Keys that belong to a tenant carry its hash tag ([`RedisStore::tenant_key`]),
//! so that on a Cluster they all live in one slot and a script may touch several of them.

mod backend;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use self::backend::{Backend, Conn};
use crate::config::RedisSettings;
use crate::metrics::Metrics;
use tracing::Instrument;

#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// `urssaf_gateway_redis_up`.
    up: prometheus::IntGauge,
    backend: Backend,
    timeout: Duration,
    retry_after: Duration,
    prefix: String,
    conn: Mutex<Option<Conn>>,
    /// Held while a connection is made: one attempt at a time, the others wait for it.
    connecting: tokio::sync::Mutex<()>,
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

/// A Lua script: sent by its SHA1 (`EVALSHA`), and whole (`EVAL`) to a node that does not
/// know it yet. No `SCRIPT LOAD`, which a Cluster client sends to every node and which would
/// fail while one of them is down.
pub struct Script {
    code: &'static str,
    sha1: String,
}

impl Script {
    pub fn new(code: &'static str) -> Script {
        Script {
            code,
            sha1: redis::Script::new(code).get_hash().to_string(),
        }
    }
}

impl RedisStore {
    /// `Ok(None)` when no Redis is configured; `Err` when the client cannot be built.
    pub fn new(settings: &RedisSettings, metrics: Metrics) -> Result<Option<RedisStore>, String> {
        let Some(server) = &settings.server else {
            return Ok(None);
        };
        let timeout = Duration::from_millis(settings.timeout_ms);
        let backend = Backend::new(server, timeout)
            .map_err(|e| format!("redis ({} mode): {e}", server.mode().as_str()))?;
        let up = metrics.redis_up();
        up.set(1);
        Ok(Some(RedisStore {
            inner: Arc::new(Inner {
                up,
                backend,
                timeout,
                retry_after: Duration::from_millis(settings.retry_after_ms),
                prefix: settings.key_prefix.clone(),
                conn: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
                skip_until: Mutex::new(None),
                in_episode: AtomicBool::new(false),
                failures: AtomicU64::new(0),
                metrics,
            }),
        }))
    }

    /// A key of no tenant: `<prefix>:<part>:<part>…`.
    pub fn key(&self, parts: &[&str]) -> String {
        join(self.inner.prefix.clone(), parts)
    }

    /// A key of one tenant: `<prefix>:{<tag>}:<part>…`. Every key with the same tag is in the
    /// same Cluster slot, so one script or transaction may use several. `tag` holds no braces.
    pub fn tenant_key(&self, tag: &str, parts: &[&str]) -> String {
        debug_assert!(!tag.contains(['{', '}']), "a hash tag holds no braces");
        join(format!("{}:{{{tag}}}", self.inner.prefix), parts)
    }

    /// How long Redis is left alone after a failure.
    pub fn retry_after(&self) -> Duration {
        self.inner.retry_after
    }

    /// Number of failed Redis commands since start.
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    fn skipping(&self) -> bool {
        matches!(*self.inner.skip_until.lock(), Some(until) if Instant::now() < until)
    }

    async fn connection(&self) -> Result<Conn, Unavailable> {
        if self.skipping() {
            return Err(Unavailable);
        }
        if let Some(c) = self.inner.conn.lock().as_ref() {
            return Ok(c.clone());
        }
        let timeout = self.inner.timeout;
        // Callers arriving while another connects wait for its outcome, within the deadline.
        let Ok(_connecting) = tokio::time::timeout(timeout, self.inner.connecting.lock()).await
        else {
            return Err(Unavailable);
        };
        if self.skipping() {
            return Err(Unavailable);
        }
        if let Some(c) = self.inner.conn.lock().as_ref() {
            return Ok(c.clone());
        }
        // Boxed: a rare path, and the Sentinel lookup's future type is deep enough to overflow
        // the compiler's layout limit of every future that awaits a Redis command.
        let connect = Box::pin(self.inner.backend.connect(timeout));
        match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(c)) => {
                *self.inner.conn.lock() = Some(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => Err(self.failed(&e.to_string())),
            Err(_) => Err(self.failed("timed out connecting")),
        }
    }

    /// Runs one command (or pipeline) with the deadline and the degrade rules.
    pub async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, Unavailable> {
        let mut conn = self.connection().await?;
        let name = match cmd.args_iter().next() {
            Some(redis::Arg::Simple(verb)) => std::str::from_utf8(verb).unwrap_or("?"),
            _ => "?",
        };
        let query = cmd.query_async::<T>(&mut conn).instrument(span(name));
        match tokio::time::timeout(self.inner.timeout, query).await {
            Ok(Ok(v)) => {
                self.succeeded();
                Ok(v)
            }
            Ok(Err(e)) => Err(self.failed(&e.to_string())),
            Err(_) => Err(self.failed("timed out")),
        }
    }

    /// Runs a Lua script with the same rules. On a Cluster its keys must share a slot (one
    /// tenant's keys do).
    pub async fn run_script<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, Unavailable> {
        let mut conn = self.connection().await?;
        let call = |verb: &str, body: &str| {
            let mut c = redis::cmd(verb);
            c.arg(body).arg(keys.len()).arg(keys).arg(args);
            c
        };
        let (evalsha, eval) = (call("EVALSHA", &script.sha1), call("EVAL", script.code));
        let attempt = async {
            match evalsha.query_async::<T>(&mut conn).await {
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    eval.query_async::<T>(&mut conn).await
                }
                other => other,
            }
        };
        let attempt = attempt.instrument(span("EVALSHA"));
        match tokio::time::timeout(self.inner.timeout, attempt).await {
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
            self.inner.up.set(1);
            tracing::info!("redis reachable again; shared cache back in use");
        }
    }

    fn failed(&self, why: &str) -> Unavailable {
        self.inner.failures.fetch_add(1, Ordering::Relaxed);
        self.inner.metrics.redis_errors.inc();
        *self.inner.skip_until.lock() = Some(Instant::now() + self.inner.retry_after);
        // A fresh connection next time: the old one may be stuck reconnecting, point at a
        // master that is one no more (Sentinel is asked again) or hold a stale slot map.
        *self.inner.conn.lock() = None;
        if !self.inner.in_episode.swap(true, Ordering::Relaxed) {
            self.inner.up.set(0);
            tracing::warn!(
                error = why,
                "redis unavailable; serving from process memory until it answers again"
            );
        }
        Unavailable
    }
}

fn join(mut key: String, parts: &[&str]) -> String {
    for p in parts {
        key.push(':');
        key.push_str(p);
    }
    key
}

/// The client span of one Redis command, when traces are exported.
fn span(operation: &str) -> tracing::Span {
    if !crate::telemetry::otel::enabled() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "redis",
        otel.name = %format!("redis {operation}"),
        otel.kind = "client",
        db.system.name = "redis",
        db.operation.name = %operation,
    )
}
