//! The queue in process memory, for a gateway without Redis: the same rules as the Redis
//! queue (one delivery per id, retries on schedule, failed ones kept), lost on restart.

use std::collections::{BTreeSet, HashMap, VecDeque};

use parking_lot::Mutex;

use super::record::{Attempt, Delivery, DeliveryPage, ListCursor, Outcome, Status};
use super::WebhookMessage;
use crate::events::dropped::Dropped;

pub struct MemoryQueue {
    tenants: Mutex<HashMap<String, TenantQueue>>,
    /// Most deliveries kept per tenant (`events.webhook_memory_max_deliveries`), pending or
    /// finished; beyond, the oldest is dropped.
    cap: usize,
    dropped: Dropped,
}

#[derive(Default)]
struct TenantQueue {
    records: HashMap<String, Delivery>,
    /// Ids in the order they were enqueued: the oldest is dropped first beyond the cap. May
    /// hold ids whose record expired (skipped, and compacted now and then).
    order: VecDeque<String>,
    /// Ids ready for an attempt, in order.
    ready: VecDeque<String>,
    /// (due ms, id) of the deliveries waiting for a retry.
    retry: BTreeSet<(i64, String)>,
}

impl MemoryQueue {
    pub fn new(cap: usize, dropped: Dropped) -> MemoryQueue {
        MemoryQueue {
            tenants: Mutex::default(),
            cap: cap.max(1),
            dropped,
        }
    }

    /// False when this id is already known for this tenant.
    pub fn enqueue(&self, tenant: &str, m: &WebhookMessage, now: i64, retention_ms: i64) -> bool {
        let mut tenants = self.tenants.lock();
        let q = tenants.entry(tenant.to_string()).or_default();
        q.expire(now, retention_ms);
        if q.records.contains_key(&m.id) {
            return false;
        }
        q.records.insert(
            m.id.clone(),
            Delivery {
                id: m.id.clone(),
                event_timestamp: m.timestamp,
                body: m.body.clone(),
                status: Status::Pending,
                tries: 0,
                next_attempt_ms: None,
                created_ms: now,
                updated_ms: now,
                attempts: Vec::new(),
            },
        );
        q.ready.push_back(m.id.clone());
        q.order.push_back(m.id.clone());
        let dropped = q.drop_oldest(self.cap);
        self.dropped.record(tenant, dropped, self.cap);
        true
    }

    /// Up to `n` deliveries due now, taken for an attempt; and how many are pending.
    pub fn claim(&self, tenant: &str, n: usize, now: i64) -> (Vec<Delivery>, usize) {
        let mut tenants = self.tenants.lock();
        let Some(q) = tenants.get_mut(tenant) else {
            return (Vec::new(), 0);
        };
        while let Some((due, id)) = q.retry.first().cloned() {
            if due > now {
                break;
            }
            q.retry.pop_first();
            q.ready.push_back(id);
        }
        let mut out = Vec::new();
        while out.len() < n {
            let Some(id) = q.ready.pop_front() else { break };
            if let Some(d) = q.records.get(&id).filter(|d| d.status == Status::Pending) {
                out.push(d.clone());
            }
        }
        let pending = q
            .records
            .values()
            .filter(|d| d.status == Status::Pending)
            .count();
        (out, pending)
    }

    /// Records an attempt and decides what follows (`waits`: before each retry, in ms).
    pub fn finish(
        &self,
        tenant: &str,
        id: &str,
        attempt: Attempt,
        waits: &[i64],
        now: i64,
    ) -> Outcome {
        let mut tenants = self.tenants.lock();
        let Some(q) = tenants.get_mut(tenant) else {
            return Outcome::AlreadyDone;
        };
        let Some(d) = q.records.get_mut(id) else {
            return Outcome::AlreadyDone;
        };
        let ok = attempt.succeeded();
        let gone = attempt.gone();
        d.attempts.push(attempt);
        d.updated_ms = now;
        if d.status != Status::Pending {
            return Outcome::AlreadyDone;
        }
        d.tries += 1;
        d.next_attempt_ms = None;
        if ok {
            d.status = Status::Delivered;
            Outcome::Delivered
        } else if let Some(wait) = waits.get(d.tries as usize - 1).filter(|_| !gone) {
            let due = now + wait;
            d.next_attempt_ms = Some(due);
            q.retry.insert((due, id.to_string()));
            Outcome::Retried
        } else {
            d.status = Status::Failed;
            Outcome::Failed
        }
    }

    pub fn get(&self, tenant: &str, id: &str) -> Option<Delivery> {
        self.tenants.lock().get(tenant)?.records.get(id).cloned()
    }

    /// The most recently changed deliveries in `status` after `after`, newest first.
    pub fn list(
        &self,
        tenant: &str,
        status: Status,
        limit: usize,
        after: Option<&ListCursor>,
    ) -> DeliveryPage {
        let tenants = self.tenants.lock();
        let Some(q) = tenants.get(tenant) else {
            return DeliveryPage::default();
        };
        let mut found: Vec<&Delivery> = q
            .records
            .values()
            .filter(|d| d.status == status)
            .filter(|d| after.is_none_or(|c| c.before(d.updated_ms, &d.id)))
            .collect();
        found.sort_by(|a, b| b.updated_ms.cmp(&a.updated_ms).then(b.id.cmp(&a.id)));
        let more = found.len() > limit;
        let deliveries: Vec<Delivery> = found.into_iter().take(limit).cloned().collect();
        let next = more
            .then(|| deliveries.last().map(|d| ListCursor::of(d, d.updated_ms)))
            .flatten();
        DeliveryPage { deliveries, next }
    }

    /// `None`: unknown id; `Some(false)`: still pending.
    pub fn redeliver(&self, tenant: &str, id: &str, now: i64) -> Option<bool> {
        let mut tenants = self.tenants.lock();
        let q = tenants.get_mut(tenant)?;
        let d = q.records.get_mut(id)?;
        if d.status == Status::Pending {
            return Some(false);
        }
        d.status = Status::Pending;
        d.tries = 0;
        d.next_attempt_ms = None;
        d.updated_ms = now;
        q.ready.push_back(id.to_string());
        Some(true)
    }
}

impl TenantQueue {
    /// Drops the oldest deliveries beyond `cap`, pending or not (their ids left in `ready` or
    /// `retry` are skipped when they come up); how many.
    fn drop_oldest(&mut self, cap: usize) -> u64 {
        let mut dropped = 0;
        while self.records.len() > cap {
            let Some(id) = self.order.pop_front() else {
                break;
            };
            if self.records.remove(&id).is_some() {
                dropped += 1;
            }
        }
        if self.order.len() > 2 * cap {
            let records = &self.records;
            self.order.retain(|id| records.contains_key(id));
        }
        dropped
    }

    /// Forgets finished deliveries older than the retention.
    fn expire(&mut self, now: i64, retention_ms: i64) {
        self.records
            .retain(|_, d| d.status == Status::Pending || now - d.updated_ms < retention_ms);
    }
}
