//! How many replicas serve together, so that a limit meant for the fleet is split between them
//! instead of multiplied: each replica heartbeats into one Redis sorted set
//! (`<prefix>:{fleet}:replicas`, member = replica id, score = Redis's own clock in ms), prunes
//! the members not seen for [`STALE_AFTER`] and reads the count back, in one script every
//! [`BEAT_EVERY`]. Requests only read the count kept in memory: no Redis command per request.
//!
//! Without Redis there is one process: the count is 1. While Redis cannot be reached the last
//! count stays (the other replicas are most likely still there).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::redis_store::{RedisStore, Script};

/// How often a replica says it is alive and reads the count back.
pub const BEAT_EVERY: Duration = Duration::from_secs(1);
/// A replica not heard from for this long is counted out (killed, or cut from Redis).
pub const STALE_AFTER: Duration = Duration::from_secs(5);

/// Adds or refreshes this replica, removes the stale ones, returns how many are live.
/// The time is Redis's (`TIME`): replicas' clocks may disagree, Redis's is one.
/// KEYS: the set. ARGV: replica id, stale after (ms).
const BEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return redis.call('ZCARD', KEYS[1])
";

/// The number of live replicas, as this replica last read it; cheap to clone and to read.
#[derive(Debug, Clone)]
pub struct FleetSize(Arc<AtomicU32>);

impl Default for FleetSize {
    fn default() -> FleetSize {
        FleetSize(Arc::new(AtomicU32::new(1)))
    }
}

impl FleetSize {
    /// At least 1 (this replica).
    pub fn replicas(&self) -> u32 {
        self.0.load(Ordering::Relaxed).max(1)
    }

    fn set(&self, n: u32) {
        self.0.store(n.max(1), Ordering::Relaxed);
    }
}

/// The heartbeat task, stopped when dropped (a replica stopped, or dropped whole in a test,
/// must stop counting itself in).
pub struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// This replica's membership of the fleet.
#[derive(Clone)]
pub struct Fleet {
    store: Option<RedisStore>,
    script: Arc<Script>,
    replica: String,
    size: FleetSize,
    metrics: Metrics,
}

impl Fleet {
    pub fn new(store: Option<RedisStore>, metrics: Metrics) -> Fleet {
        Fleet {
            store,
            script: Arc::new(Script::new(BEAT)),
            replica: uuid::Uuid::new_v4().simple().to_string(),
            size: FleetSize::default(),
            metrics,
        }
    }

    pub fn size(&self) -> FleetSize {
        self.size.clone()
    }

    /// One heartbeat; the count is updated when Redis answered.
    pub async fn beat(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let key = store.tenant_key("fleet", &["replicas"]);
        let stale = STALE_AFTER.as_millis().to_string();
        let live: Result<i64, _> = store
            .run_script(&self.script, &[&key], &[&self.replica, &stale])
            .await;
        if let Ok(n) = live {
            let n = u32::try_from(n).unwrap_or(u32::MAX).max(1);
            if n != self.size.replicas() {
                tracing::info!(replicas = n, "fleet: live replica count changed");
            }
            self.size.set(n);
            self.metrics.fleet_replicas.set(i64::from(n));
        }
    }

    /// Heartbeats every [`BEAT_EVERY`] until the guard is dropped. Nothing to do without Redis.
    pub fn spawn(&self) -> Option<Heartbeat> {
        self.store.as_ref()?;
        let me = self.clone();
        Some(Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(BEAT_EVERY).await;
                me.beat().await;
            }
        })))
    }

    /// Leaves the fleet (on a graceful stop), so that the others take up its share at their
    /// next heartbeat rather than after [`STALE_AFTER`].
    pub async fn leave(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let key = store.tenant_key("fleet", &["replicas"]);
        let _: Result<i64, _> = store
            .run(redis::cmd("ZREM").arg(&key).arg(&self.replica))
            .await;
    }
}

#[cfg(test)]
impl FleetSize {
    pub(crate) fn set_for_tests(&self, n: u32) {
        self.set(n);
    }
}
