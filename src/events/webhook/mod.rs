//! Webhooks: each tenant's events pushed to its billing software, signed the Standard
//! Webhooks way, retried over more than a day, each attempt kept for the API.
//!
//! [`Deliveries`] is the handle: the event feed enqueues messages, the API lists and
//! redelivers, and [`Deliveries::start_worker`] runs the deliveries, apart from request
//! handling. With Redis the queue is shared by the replicas (a stream with a consumer group:
//! one replica per delivery, a dead replica's deliveries taken over); without, it lives in
//! process memory with the same rules.

mod memory;
mod queue;
pub mod record;
mod send;
mod sink;
mod worker;

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

pub use record::{Attempt, Delivery, DeliveryPage, ListCursor, Status};
pub use sink::WebhookSink;

use self::memory::MemoryQueue;
use self::queue::RedisQueue;
use self::record::now_ms;
use crate::config::EventsSettings;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::tenant::TenantRegistry;

/// One message to push: `webhook-id`, the event's time, and the envelope JSON
/// (`{"type", "timestamp", "data"}`), sent as is.
#[derive(Debug, Clone)]
pub struct WebhookMessage {
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
    pub body: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("this tenant has no webhook_url")]
    NotConfigured,
    #[error("the delivery queue (Redis) is unavailable")]
    Unavailable,
}

impl From<crate::redis_store::Unavailable> for DeliveryError {
    fn from(_: crate::redis_store::Unavailable) -> Self {
        DeliveryError::Unavailable
    }
}

/// What a redelivery request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redelivery {
    Queued,
    /// Already waiting for an attempt: nothing to do.
    StillPending,
    NotFound,
}

enum Store {
    Memory(MemoryQueue),
    Redis(RedisQueue),
}

/// The handle; cheap to clone.
#[derive(Clone)]
pub struct Deliveries {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    tenants: Arc<TenantRegistry>,
    settings: EventsSettings,
    metrics: Metrics,
    /// Rung when this replica enqueues, so its worker need not wait for its next look.
    wake: Notify,
    /// Tenants this replica enqueued for since its worker's last round: looked at in the next
    /// round even when they were idle.
    nudged: parking_lot::Mutex<HashSet<String>>,
}

impl Deliveries {
    pub fn new(
        redis: Option<RedisStore>,
        tenants: Arc<TenantRegistry>,
        settings: &EventsSettings,
        metrics: Metrics,
    ) -> Deliveries {
        let store = match redis {
            Some(r) => Store::Redis(RedisQueue::new(r)),
            None => Store::Memory(MemoryQueue::new(
                settings.webhook_memory_max_deliveries as usize,
                crate::events::dropped::Dropped::new(
                    "webhook queue",
                    "events.webhook_memory_max_deliveries",
                    metrics
                        .events_memory_dropped
                        .with_label_values(&["webhook_queue"]),
                ),
            )),
        };
        Deliveries {
            inner: Arc::new(Inner {
                store,
                tenants,
                settings: settings.clone(),
                metrics,
                wake: Notify::new(),
                nudged: parking_lot::Mutex::default(),
            }),
        }
    }

    /// Has the worker look at `tenant` now.
    fn nudge(&self, tenant: &str) {
        self.inner.nudged.lock().insert(tenant.to_string());
        self.inner.wake.notify_one();
    }

    fn retention_ms(&self) -> i64 {
        self.inner.settings.webhook_retention_hours as i64 * 3_600_000
    }

    /// Whether the tenant has a webhook.
    pub fn configured(&self, tenant: &str) -> bool {
        self.inner
            .tenants
            .current()
            .get(tenant)
            .is_some_and(|t| t.webhook.is_some())
    }

    /// Queues `message` for the tenant's webhook: once per id (the same id again is
    /// ignored), nothing at all when the tenant has no webhook.
    pub async fn enqueue(
        &self,
        tenant: &str,
        message: WebhookMessage,
    ) -> Result<(), DeliveryError> {
        if !self.configured(tenant) {
            return Ok(());
        }
        let now = now_ms();
        let added = match &self.inner.store {
            Store::Memory(m) => m.enqueue(tenant, &message, now, self.retention_ms()),
            Store::Redis(r) => {
                r.enqueue(tenant, &message, now, self.retention_ms())
                    .await?
            }
        };
        if added {
            self.nudge(tenant);
        } else {
            tracing::debug!(tenant, id = %message.id, "webhook message already queued");
        }
        Ok(())
    }

    /// The tenant's deliveries in `status` after `after`, most recently changed first.
    pub async fn list(
        &self,
        tenant: &str,
        status: Status,
        limit: usize,
        after: Option<&ListCursor>,
    ) -> Result<DeliveryPage, DeliveryError> {
        self.require(tenant)?;
        Ok(match &self.inner.store {
            Store::Memory(m) => m.list(tenant, status, limit, after),
            Store::Redis(r) => r.list(tenant, status, limit, after).await?,
        })
    }

    /// One delivery with its attempts.
    pub async fn get(&self, tenant: &str, id: &str) -> Result<Option<Delivery>, DeliveryError> {
        self.require(tenant)?;
        Ok(match &self.inner.store {
            Store::Memory(m) => m.get(tenant, id),
            Store::Redis(r) => r.get(tenant, id).await?,
        })
    }

    /// Queues a delivered or failed delivery again, with a fresh retry schedule.
    pub async fn redeliver(&self, tenant: &str, id: &str) -> Result<Redelivery, DeliveryError> {
        self.require(tenant)?;
        let now = now_ms();
        let done = match &self.inner.store {
            Store::Memory(m) => m.redeliver(tenant, id, now),
            Store::Redis(r) => r.redeliver(tenant, id, now, self.retention_ms()).await?,
        };
        Ok(match done {
            None => Redelivery::NotFound,
            Some(false) => Redelivery::StillPending,
            Some(true) => {
                self.nudge(tenant);
                Redelivery::Queued
            }
        })
    }

    fn require(&self, tenant: &str) -> Result<(), DeliveryError> {
        if self.configured(tenant) {
            Ok(())
        } else {
            Err(DeliveryError::NotConfigured)
        }
    }

    /// Starts delivering in a task of its own; it stops (with the attempts in flight) when
    /// the returned guard is dropped. An attempt cut short this way is made again: by
    /// another replica after `events.webhook_visibility_seconds`, or (in memory) never.
    pub fn start_worker(&self) -> Result<WorkerGuard, String> {
        let sender = send::Sender::new(&self.inner.settings)?;
        let consumer = format!("gw-{}", uuid::Uuid::new_v4().simple());
        let task = tokio::spawn(worker::run(self.clone(), sender, consumer));
        Ok(WorkerGuard(task))
    }
}

/// Stops the delivery worker when dropped.
pub struct WorkerGuard(tokio::task::JoinHandle<()>);

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
