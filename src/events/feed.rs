//! The per-tenant events feed: ordered, deduplicated by event id, kept `events.retention_days`.
//!
//! In Redis, one stream per tenant (`<prefix>:{<tenant>}:events`, trimmed by age) and one
//! marker per event id, written together by one script so that an event is in the stream once
//! however many times it is detected. Without Redis, the same in process memory. A cursor is
//! the entry's stream id (`<ms>-<seq>`), opaque to callers.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::dropped::Dropped;
use super::waiters::{WaitSlot, Waiters};
use super::Event;
use crate::redis_store::{RedisStore, Script};

/// The feed's store could not be used (Redis down).
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

/// One event as listed: its cursor and its envelope JSON.
#[derive(Debug, Clone)]
pub struct Item {
    pub cursor: String,
    pub envelope: serde_json::Value,
}

/// A page of the feed.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Where the next read starts: the last entry looked at (filtered out or not), else the
    /// cursor given.
    pub next_cursor: Option<String>,
}

/// Reads a cursor: `<digits>-<digits>`.
pub fn parse_cursor(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 20 && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The first stream id after `cursor`, as an inclusive start: Redis refuses the exclusive
/// form `(<id>` of the largest id with an error, which would answer 503 and mark Redis down
/// for every caller. `None` when nothing can follow `cursor` (or it is not a cursor).
fn start_after(cursor: &str) -> Option<String> {
    let (ms, seq) = parse_cursor(cursor)?;
    let (ms, seq) = match seq.checked_add(1) {
        Some(seq) => (ms, seq),
        None => (ms.checked_add(1)?, 0),
    };
    Some(format!("{ms}-{seq}"))
}

/// Adds the event and its id marker at once; `nil` when the id was already there.
/// KEYS: stream, marker. ARGV: envelope, retention ms, oldest stream id kept.
const APPEND: &str = r"
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 'e', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return id
end
return false
";

/// Entries read per Redis call while filtering by type, and calls per read at most.
const SCAN_BATCH: usize = 100;
const SCAN_CALLS: usize = 10;

pub struct Feed {
    backend: Backend,
    retention: Duration,
    /// The long polls; woken on every append in this process, and (with Redis) by one shared
    /// look per tenant at what other replicas appended.
    waiters: Waiters,
    /// Without Redis: most events kept per tenant (`events.memory_max_events`), and what
    /// dropping the oldest beyond is counted in.
    memory_cap: usize,
    dropped: Option<Dropped>,
}

enum Backend {
    Memory(Mutex<HashMap<String, MemFeed>>),
    Redis { store: RedisStore, append: Script },
}

#[derive(Default)]
struct MemFeed {
    next: u64,
    items: VecDeque<(u64, Instant, String, Arc<serde_json::Value>)>,
    seen: HashMap<String, Instant>,
}

impl Feed {
    /// `max_waiting`: long polls per tenant waiting at once (`events.max_waiting_per_tenant`).
    pub fn new(store: Option<RedisStore>, retention: Duration, max_waiting: usize) -> Feed {
        Feed::bounded(store, retention, max_waiting, usize::MAX, None)
    }

    /// [`Feed::new`] whose in-memory store keeps at most `memory_cap` events per tenant,
    /// dropping the oldest (counted in `dropped`).
    pub fn bounded(
        store: Option<RedisStore>,
        retention: Duration,
        max_waiting: usize,
        memory_cap: usize,
        dropped: Option<Dropped>,
    ) -> Feed {
        let backend = match store {
            Some(store) => Backend::Redis {
                store,
                append: Script::new(APPEND),
            },
            None => Backend::Memory(Mutex::new(HashMap::new())),
        };
        Feed {
            backend,
            retention,
            waiters: Waiters::new(max_waiting),
            memory_cap: memory_cap.max(1),
            dropped,
        }
    }

    /// Adds the event unless the feed already holds its id. True when added.
    pub async fn append(&self, event: &Event) -> Result<bool, Unavailable> {
        let envelope = serde_json::to_value(event.envelope()).map_err(|_| Unavailable)?;
        let added = match &self.backend {
            Backend::Memory(tenants) => {
                let mut tenants = tenants.lock();
                let feed = tenants.entry(event.tenant.clone()).or_default();
                let now = Instant::now();
                feed.prune(now, self.retention);
                if feed.seen.contains_key(&event.id) {
                    false
                } else {
                    feed.seen.insert(event.id.clone(), now);
                    feed.next += 1;
                    let kind = event.event_type.as_str().to_string();
                    feed.items
                        .push_back((feed.next, now, kind, Arc::new(envelope)));
                    let mut dropped = 0;
                    while feed.items.len() > self.memory_cap {
                        if let Some((_, _, _, env)) = feed.items.pop_front() {
                            // Its marker goes too, or the markers alone would grow unbounded.
                            if let Some(id) = env.get("id").and_then(|v| v.as_str()) {
                                feed.seen.remove(id);
                            }
                            dropped += 1;
                        }
                    }
                    if let Some(d) = &self.dropped {
                        d.record(&event.tenant, dropped, self.memory_cap);
                    }
                    true
                }
            }
            Backend::Redis { store, append } => {
                let stream = store.tenant_key(&event.tenant, &["events"]);
                let marker = store.tenant_key(&event.tenant, &["events", "seen", &event.id]);
                let ms = self.retention.as_millis();
                let oldest = chrono::Utc::now().timestamp_millis() as u128;
                let min_id = format!("{}-0", oldest.saturating_sub(ms));
                let body = serde_json::to_string(&envelope).map_err(|_| Unavailable)?;
                let id: Option<String> = store
                    .run_script(
                        append,
                        &[&stream, &marker],
                        &[&body, &ms.to_string(), &min_id],
                    )
                    .await
                    .map_err(|_| Unavailable)?;
                id.is_some()
            }
        };
        if added {
            self.waiters.notify(&event.tenant);
        }
        Ok(added)
    }

    /// Up to `limit` events after `after` (from the oldest kept when `None`), of the given
    /// types (all when empty).
    pub async fn read(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        types: &[&str],
    ) -> Result<Page, Unavailable> {
        let wanted = |v: &serde_json::Value| {
            types.is_empty()
                || v.get("type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| types.contains(&t))
        };
        match &self.backend {
            Backend::Memory(tenants) => {
                let mut tenants = tenants.lock();
                let Some(feed) = tenants.get_mut(tenant) else {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: after.map(str::to_string),
                    });
                };
                feed.prune(Instant::now(), self.retention);
                let from = after.and_then(parse_cursor).map_or(0, |(_, b)| b);
                let mut page = Page {
                    items: Vec::new(),
                    next_cursor: after.map(str::to_string),
                };
                for (seq, _, _, env) in feed.items.iter().filter(|i| i.0 > from) {
                    let cursor = format!("0-{seq}");
                    page.next_cursor = Some(cursor.clone());
                    if wanted(env) {
                        page.items.push(Item {
                            cursor,
                            envelope: (**env).clone(),
                        });
                        if page.items.len() >= limit {
                            break;
                        }
                    }
                }
                Ok(page)
            }
            Backend::Redis { store, .. } => {
                let stream = store.tenant_key(tenant, &["events"]);
                let mut page = Page {
                    items: Vec::new(),
                    next_cursor: after.map(str::to_string),
                };
                for _ in 0..SCAN_CALLS {
                    let start = match &page.next_cursor {
                        Some(c) => match start_after(c) {
                            Some(start) => start,
                            None => return Ok(page),
                        },
                        None => "-".to_string(),
                    };
                    let batch = if types.is_empty() { limit } else { SCAN_BATCH };
                    let mut cmd = redis::cmd("XRANGE");
                    cmd.arg(&stream).arg(start).arg("+").arg("COUNT").arg(batch);
                    let entries: Vec<(String, Vec<String>)> =
                        store.run(&cmd).await.map_err(|_| Unavailable)?;
                    let got = entries.len();
                    for (cursor, fields) in entries {
                        page.next_cursor = Some(cursor.clone());
                        let Some(body) = fields.get(1) else { continue };
                        let Ok(envelope) = serde_json::from_str::<serde_json::Value>(body) else {
                            continue;
                        };
                        if wanted(&envelope) {
                            page.items.push(Item { cursor, envelope });
                            if page.items.len() >= limit {
                                return Ok(page);
                            }
                        }
                    }
                    if got < batch {
                        break;
                    }
                }
                Ok(page)
            }
        }
    }

    /// A place among the tenant's long polls; `None` when `events.max_waiting_per_tenant`
    /// are already waiting.
    pub fn admit_waiter(&self, tenant: &str) -> Option<WaitSlot> {
        let shared = match &self.backend {
            Backend::Memory(_) => None,
            Backend::Redis { store, .. } => Some((store, store.tenant_key(tenant, &["events"]))),
        };
        self.waiters.admit(tenant, shared)
    }

    /// [`Feed::read`], waiting up to `wait` for a first event when there is none yet. The
    /// wait costs nothing per waiter: it is woken by the tenant's shared signal.
    pub async fn read_waiting(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        types: &[&str],
        wait: Duration,
        mut slot: WaitSlot,
    ) -> Result<Page, Unavailable> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut after = after.map(str::to_string);
        loop {
            // The signal was subscribed to before this read: a change after it is not missed.
            slot.changed.borrow_and_update();
            let page = self.read(tenant, after.as_deref(), limit, types).await?;
            if !page.items.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(page);
            }
            after = page.next_cursor;
            tokio::select! {
                changed = slot.changed.changed() => {
                    if changed.is_err() {
                        return Ok(Page { items: Vec::new(), next_cursor: after });
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Ok(Page { items: Vec::new(), next_cursor: after });
                }
            }
        }
    }
}

impl MemFeed {
    fn prune(&mut self, now: Instant, retention: Duration) {
        let old = |at: &Instant| now.duration_since(*at) > retention;
        while self.items.front().is_some_and(|i| old(&i.1)) {
            self.items.pop_front();
        }
        self.seen.retain(|_, at| !old(at));
    }
}

#[cfg(test)]
mod tests {
    use super::super::EventType;
    use super::*;

    fn event(id: &str, t: EventType) -> Event {
        Event {
            id: id.into(),
            tenant: "alpha".into(),
            event_type: t,
            timestamp: chrono::Utc::now(),
            data: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn memory_feed_orders_filters_and_deduplicates() {
        let feed = Feed::new(None, Duration::from_secs(60), 8);
        let pr = EventType::PaymentRequestStatusChanged;
        assert!(feed.append(&event("evt_a", pr)).await.unwrap());
        assert!(!feed.append(&event("evt_a", pr)).await.unwrap());
        assert!(feed
            .append(&event("evt_b", EventType::ClientAccountChanged))
            .await
            .unwrap());
        assert!(feed.append(&event("evt_c", pr)).await.unwrap());
        let all = feed.read("alpha", None, 10, &[]).await.unwrap();
        let ids: Vec<_> = all.items.iter().map(|i| i.envelope["id"].clone()).collect();
        assert_eq!(ids, ["evt_a", "evt_b", "evt_c"]);
        let first = feed.read("alpha", None, 1, &[]).await.unwrap();
        let rest = feed
            .read("alpha", first.next_cursor.as_deref(), 10, &[pr.as_str()])
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.items[0].envelope["id"], "evt_c");
        assert!(feed
            .read("beta", None, 10, &[])
            .await
            .unwrap()
            .items
            .is_empty());
    }

    #[tokio::test]
    async fn memory_bounded_feed_drops_the_oldest_with_a_metric() {
        let counter = prometheus::IntCounter::new("t_dropped", "test").unwrap();
        let dropped = Dropped::new("events feed", "events.memory_max_events", counter.clone());
        let feed = Feed::bounded(None, Duration::from_secs(60), 8, 100, Some(dropped));
        let t = EventType::ClientAccountChanged;
        for i in 0..150 {
            assert!(feed.append(&event(&format!("evt_{i}"), t)).await.unwrap());
        }
        assert_eq!(counter.get(), 50);
        let page = feed.read("alpha", None, 100, &[]).await.unwrap();
        assert_eq!(page.items.len(), 100);
        assert_eq!(
            page.items[0].envelope["id"], "evt_50",
            "the oldest went first"
        );
        assert_eq!(page.items[99].envelope["id"], "evt_149");
    }

    #[tokio::test]
    async fn long_poll_wakes_on_append() {
        let feed = Arc::new(Feed::new(None, Duration::from_secs(60), 8));
        let f = feed.clone();
        let started = Instant::now();
        let slot = feed.admit_waiter("alpha").expect("a place");
        let waiter = tokio::spawn(async move {
            f.read_waiting("alpha", None, 10, &[], Duration::from_secs(10), slot)
                .await
                .map(|p| p.items.len())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        feed.append(&event("evt_x", EventType::ClientAccountChanged))
            .await
            .unwrap();
        assert_eq!(waiter.await.unwrap().unwrap(), 1);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn cursors() {
        assert_eq!(
            parse_cursor("1700000000000-3"),
            Some((1_700_000_000_000, 3))
        );
        for bad in ["", "1", "-1", "1-", "a-1", "1-2-3", "1 -2"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
        assert_eq!(start_after("5-3").as_deref(), Some("5-4"));
        let max = u64::MAX;
        assert_eq!(start_after(&format!("5-{max}")).as_deref(), Some("6-0"));
        assert_eq!(start_after(&format!("{max}-{max}")), None);
        assert_eq!(start_after("x"), None);
    }
}
