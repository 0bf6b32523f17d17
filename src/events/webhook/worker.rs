//! The delivery loop of one replica: for each tenant with a webhook, take what is due (at
//! most `events.webhook_max_concurrent` in flight per tenant), attempt each in a task of its
//! own, record the outcome. Nothing here runs on a request's path: a slow receiver holds
//! only its own tenant's slots, for at most `events.webhook_timeout_seconds` each.
//!
//! A tenant is looked at when this replica enqueues for it or one of its attempts ends (so a
//! finished attempt frees its slot for the next delivery at once: deliveries flow as fast as
//! the receiver answers, within the per-tenant cap), else every `events.webhook_poll_ms`
//! (deliveries enqueued by other replicas, retries coming due). A tenant with nothing pending
//! is idle: looked at again only after [`IDLE_LOOK`] unless nudged, so that thousands of quiet
//! tenants cost one Redis script each per [`IDLE_LOOK`], not per `events.webhook_poll_ms`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::queue::Claimed;
use super::record::{jittered, now_ms, Delivery, Outcome, Status};
use super::send::Sender;
use super::{Deliveries, Store};
use crate::tenant::Tenant;

/// Longest wait before an idle tenant is looked at again (capped by the visibility timeout, so
/// that a dead replica's deliveries are still taken over in time).
const IDLE_LOOK: Duration = Duration::from_secs(10);

struct Slot {
    permits: Arc<Semaphore>,
    /// Where the last look for abandoned entries stopped.
    cursor: String,
    /// Not looked at again before this unless nudged: the poll interval after a look, the
    /// idle wait when nothing was pending.
    next_look: Instant,
    /// When stopped replicas' consumers were last cleared from the tenant's group.
    forgot_at: Instant,
}

/// A delivery to attempt: from memory whole, from Redis by its stream entry.
enum Job {
    Memory(Delivery),
    Redis(Claimed),
}

pub(super) async fn run(d: Deliveries, sender: Sender, consumer: String) {
    let sender = Arc::new(sender);
    let s = &d.inner.settings;
    let poll = Duration::from_millis(s.webhook_poll_ms);
    let min_idle_ms = s.webhook_visibility_seconds * 1000;
    let per_tenant = s.webhook_max_concurrent as usize;
    let visibility = Duration::from_secs(s.webhook_visibility_seconds);
    let idle_look = IDLE_LOOK.min(visibility);
    let mut slots: HashMap<String, Slot> = HashMap::new();
    // Dropped with this task: the attempts in flight stop with it.
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let tenants = d.inner.tenants.current();
        let nudged = std::mem::take(&mut *d.inner.nudged.lock());
        let round = Instant::now();
        d.inner
            .metrics
            .webhook_pending_keep(|id| tenants.get(id).is_some_and(|t| t.webhook.is_some()));
        for tenant in tenants.iter().filter(|t| t.webhook.is_some()) {
            let slot = slots.entry(tenant.id.clone()).or_insert_with(|| Slot {
                permits: Arc::new(Semaphore::new(per_tenant)),
                cursor: "0".into(),
                next_look: round,
                forgot_at: round,
            });
            if slot.next_look > round && !nudged.contains(&tenant.id) {
                continue;
            }
            let free = slot.permits.available_permits();
            if free == 0 {
                continue;
            }
            let now = now_ms();
            let (jobs, pending): (Vec<Job>, usize) = match &d.inner.store {
                Store::Memory(m) => {
                    let (found, pending) = m.claim(&tenant.id, free, now);
                    (found.into_iter().map(Job::Memory).collect(), pending)
                }
                Store::Redis(r) => {
                    // Once per visibility period: consumers of replicas gone for two.
                    let forget_ms = if round.duration_since(slot.forgot_at) >= visibility {
                        slot.forgot_at = round;
                        2 * min_idle_ms
                    } else {
                        0
                    };
                    let claimed = r
                        .claim(
                            &tenant.id,
                            &consumer,
                            free,
                            now,
                            min_idle_ms,
                            &slot.cursor,
                            forget_ms,
                        )
                        .await;
                    match claimed {
                        Ok((claimed, pending, next)) => {
                            slot.cursor = next;
                            (claimed.into_iter().map(Job::Redis).collect(), pending)
                        }
                        // Redis is down: the store backs off; look again next round.
                        Err(_) => continue,
                    }
                }
            };
            d.inner.metrics.webhook_pending(&tenant.id, pending);
            slot.next_look = if pending == 0 && jobs.is_empty() {
                round + idle_look
            } else {
                round + poll
            };
            for job in jobs {
                let Ok(permit) = slot.permits.clone().try_acquire_owned() else {
                    break;
                };
                tasks.spawn(attempt(
                    d.clone(),
                    sender.clone(),
                    tenant.clone(),
                    job,
                    permit,
                ));
            }
        }
        tokio::select! {
            _ = d.inner.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

async fn attempt(
    d: Deliveries,
    sender: Arc<Sender>,
    tenant: Arc<Tenant>,
    job: Job,
    permit: OwnedSemaphorePermit,
) {
    attempt_once(&d, &sender, &tenant, job).await;
    // The slot is free before the worker is woken, so its next look can use it.
    drop(permit);
    d.nudge(&tenant.id);
}

async fn attempt_once(d: &Deliveries, sender: &Sender, tenant: &Arc<Tenant>, job: Job) {
    let Some(endpoint) = tenant.webhook.as_ref() else {
        return;
    };
    let retention_ms = d.retention_ms();
    let delivery = match &job {
        Job::Memory(delivery) => delivery.clone(),
        Job::Redis(c) => {
            let Store::Redis(r) = &d.inner.store else {
                return;
            };
            match r.get_message(&tenant.id, &c.id).await {
                Ok(Some(found)) if found.status == Status::Pending => found,
                Ok(_) => {
                    let _ = r.ack(&tenant.id, c).await;
                    return;
                }
                // Left pending: taken over after the visibility timeout.
                Err(_) => return,
            }
        }
    };
    let attempt = sender
        .send(endpoint, tenant.private_webhooks, &delivery)
        .await;
    let waits = jittered(&d.inner.settings.webhook_retry_schedule);
    let now = now_ms();
    let outcome = match (&d.inner.store, &job) {
        (Store::Memory(m), _) => m.finish(&tenant.id, &delivery.id, attempt.clone(), &waits, now),
        (Store::Redis(r), Job::Redis(c)) => {
            match r
                .finish(&tenant.id, c, &attempt, &waits, now, retention_ms)
                .await
            {
                Ok(o) => o,
                Err(_) => {
                    tracing::warn!(tenant = %tenant.id, id = %delivery.id, "webhook attempt not recorded (redis unavailable); it will be made again");
                    return;
                }
            }
        }
        (Store::Redis(_), Job::Memory(_)) => return,
    };
    let m = &d.inner.metrics;
    let label = match outcome {
        Outcome::Delivered => {
            let lag = now as f64 / 1000.0 - delivery.event_timestamp as f64;
            m.webhook_lag.observe(lag.max(0.0));
            "delivered"
        }
        Outcome::Retried => "retried",
        Outcome::Failed => "failed",
        Outcome::AlreadyDone => "already_done",
    };
    if outcome != Outcome::AlreadyDone {
        m.webhook_deliveries.with_label_values(&[label]).inc();
    }
    let target = endpoint.url.origin();
    match (&attempt.status_code, &attempt.error) {
        (Some(code), _) if outcome == Outcome::Delivered => {
            tracing::info!(tenant = %tenant.id, id = %delivery.id, %target, status = code, duration_ms = attempt.duration_ms, "webhook delivered")
        }
        (code, error) => tracing::warn!(
            tenant = %tenant.id, id = %delivery.id, %target, status = ?code, error = ?error,
            duration_ms = attempt.duration_ms, outcome = label, "webhook attempt failed"
        ),
    }
}
