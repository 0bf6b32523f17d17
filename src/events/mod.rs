//! Status changes pushed to billing software: the gateway watches payment requests and clients
//! at Urssaf (which has no push), turns each change into an [`Event`], keeps a per-tenant
//! feed (`GET /v1/events`) and hands each new event to an [`EventSink`] (the webhooks).
//!
//! Like `campaign/`, this is a caller of the use cases beside `api/`: it reads Urssaf through
//! `service/` and describes each change with domain values ([`change::Change`]); the API
//! renders them (see [`change::Render`]), so an event carries exactly what
//! `GET /v1/payment-requests/{id}` and `GET /v1/clients/{id}` answer, and `events/` needs
//! none of the API's types.

pub mod change;
mod dropped;
pub mod feed;
pub mod lease;
pub mod poller;
pub mod waiters;
pub mod watch;
pub mod webhook;

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::EventsSettings;
use crate::domain::client::AccountStatus;
use crate::domain::payment_request::PaymentRequest;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::service::payment_requests::SubmittedWatch;

use self::change::{Detected, Render};
use self::feed::Feed;
use self::watch::{Kind, Seen, WatchStore};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "payment_request.status_changed")]
    PaymentRequestStatusChanged,
    #[serde(rename = "client.account_changed")]
    ClientAccountChanged,
}

impl EventType {
    pub const ALL: [EventType; 2] = [
        EventType::PaymentRequestStatusChanged,
        EventType::ClientAccountChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PaymentRequestStatusChanged => "payment_request.status_changed",
            EventType::ClientAccountChanged => "client.account_changed",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The resource kind that goes into the event id.
    fn resource(self) -> &'static str {
        match self {
            EventType::PaymentRequestStatusChanged => "payment_request",
            EventType::ClientAccountChanged => "client",
        }
    }
}

/// One change of one payment request or client of one tenant, as recorded: its `data`
/// rendered (see [`Detected::render`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_` + 32 hex digits, derived from what changed (see [`event_id`]).
    pub id: String,
    pub tenant: String,
    pub event_type: EventType,
    /// When the gateway saw the change.
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// The JSON an event is sent and listed as: `{"id", "type", "timestamp", "data"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub data: serde_json::Value,
}

impl Event {
    pub fn envelope(&self) -> Envelope {
        Envelope {
            id: self.id.clone(),
            event_type: self.event_type.as_str().to_string(),
            timestamp: self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
            data: self.data.clone(),
        }
    }

    /// The envelope as bytes: what the feed stores and a webhook sends.
    pub fn body(&self) -> bytes::Bytes {
        // Serialising plain JSON values cannot fail.
        bytes::Bytes::from(serde_json::to_vec(&self.envelope()).unwrap_or_default())
    }
}

/// The id of a change: the same tenant, resource, new Urssaf status and status date give the
/// same id, so a change detected twice (after a restart, a lost watch state or a lost Redis)
/// is recognised as the same event by the feed and by receivers.
///
/// Urssaf dates no status change; `status_date` is the date that comes with the status when
/// there is one (the transfer date of a payment, the date in a client's status description),
/// else empty.
pub fn event_id(
    tenant: &str,
    event_type: EventType,
    resource_id: &str,
    urssaf_code: &str,
    status_date: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        tenant,
        event_type.resource(),
        resource_id,
        urssaf_code.trim(),
        status_date.trim(),
    ] {
        h.update(part.as_bytes());
        // A separator no part holds: ("a", "bc") and ("ab", "c") differ.
        h.update([0u8]);
    }
    format!("evt_{}", &hex::encode(h.finalize())[..32])
}

/// Where events go besides the feed (the webhook deliveries). Called before the event is
/// added to the feed, and again for a change detected again until the feed has it: taking the
/// same event twice must be harmless (deliveries are deduplicated by id).
pub trait EventSink: Send + Sync + 'static {
    fn publish(&self, tenant: &str, event: &Event) -> BoxFuture<'_, Result<(), feed::Unavailable>>;
}

/// Items of one tenant and kind still to be recorded as watched.
type Pending = (String, Kind, Vec<(String, Seen)>);

/// The feed, the watch lists and the sink, shared by the API and the poller.
pub struct Events {
    pub settings: EventsSettings,
    pub feed: Feed,
    pub watch: WatchStore,
    sink: Arc<dyn EventSink>,
    render: Render,
    metrics: Metrics,
    /// Items to watch that could not be recorded (Redis down): recorded again by
    /// [`Events::retry_pending`], so a blip does not leave them unwatched until the sweep.
    pending: parking_lot::Mutex<Vec<Pending>>,
}

impl Events {
    /// In Redis when one is configured (shared by replicas), else in process memory.
    pub fn new(
        settings: EventsSettings,
        store: Option<RedisStore>,
        metrics: Metrics,
        sink: Arc<dyn EventSink>,
        render: Render,
    ) -> Arc<Events> {
        let retention = std::time::Duration::from_secs(settings.retention_days * 86_400);
        // Every type exported at 0 before its first change (a dashboard sees it at once).
        for t in EventType::ALL {
            metrics.events_changes.with_label_values(&[t.as_str()]);
        }
        Arc::new(Events {
            feed: Feed::bounded(
                store.clone(),
                retention,
                settings.max_waiting_per_tenant as usize,
                settings.memory_max_events as usize,
                Some(dropped::Dropped::new(
                    "events feed",
                    "events.memory_max_events",
                    metrics.events_memory_dropped.with_label_values(&["feed"]),
                )),
            ),
            watch: WatchStore::new(store),
            settings,
            sink,
            render,
            metrics,
            pending: parking_lot::Mutex::default(),
        })
    }

    /// Renders a detected change and records it (see [`Events::record_event`]).
    pub async fn record(&self, detected: &Detected) -> Result<bool, feed::Unavailable> {
        self.record_event(&detected.render(self.render)).await
    }

    /// Hands an event to the sink, then adds it to the feed and counts it when new there.
    /// In this order: once the feed holds an event it is never handed over again, so a
    /// process stopping (or Redis failing) between the two would lose its webhook; this way
    /// the change is detected again (an error leaves the caller's watch state as it was) and
    /// the sink takes it again, deduplicated by id. False when the feed already had it.
    pub async fn record_event(&self, event: &Event) -> Result<bool, feed::Unavailable> {
        self.sink.publish(&event.tenant, event).await?;
        let added = self.feed.append(event).await?;
        if added {
            self.metrics
                .events_changes
                .with_label_values(&[event.event_type.as_str()])
                .inc();
        }
        Ok(added)
    }

    /// Payment requests just sent through the gateway: watched from now on, from the status
    /// Urssaf answered. A request already watched keeps its known state.
    pub async fn watch_submitted(&self, tenant: &str, requests: &[&PaymentRequest]) {
        if !self.settings.enabled || requests.is_empty() {
            return;
        }
        let today = Utc::now().date_naive();
        let entries: Vec<(String, Seen)> = requests
            .iter()
            .map(|p| (p.id.clone(), Seen::of_payment(p, today)))
            .collect();
        self.add_or_keep(tenant, Kind::PaymentRequest, entries)
            .await;
    }

    async fn add_or_keep(&self, tenant: &str, kind: Kind, entries: Vec<(String, Seen)>) {
        if self.watch.add_new(tenant, kind, &entries).await.is_err() {
            tracing::warn!(
                count = entries.len(),
                "could not record items to watch; trying again at the next lease refresh"
            );
            let mut pending = self.pending.lock();
            // Bounded: beyond, the sweep finds the payment requests (not the clients).
            if pending.len() < 10_000 {
                pending.push((tenant.to_string(), kind, entries));
            }
        }
    }

    /// Records again the items [`Events::watch_submitted`] and [`Events::watch_client`] could
    /// not record.
    pub async fn retry_pending(&self) {
        let pending = std::mem::take(&mut *self.pending.lock());
        for (tenant, kind, entries) in pending {
            self.add_or_keep(&tenant, kind, entries).await;
        }
    }

    /// A client just registered through the gateway: watched until its account is settled.
    pub async fn watch_client(&self, tenant: &str, client_id: &str, account: &AccountStatus) {
        if !self.settings.enabled {
            return;
        }
        let seen = Seen::of_account(account);
        if seen.settled {
            return;
        }
        let entry = vec![(client_id.to_string(), seen)];
        self.add_or_keep(tenant, Kind::Client, entry).await;
    }
}

/// The submit use case hands what Urssaf accepted here, whoever called it.
impl SubmittedWatch for Events {
    fn watch<'a>(
        &'a self,
        tenant: &'a str,
        accepted: &'a [&'a PaymentRequest],
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.watch_submitted(tenant, accepted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_derived_from_the_change() {
        let t = EventType::PaymentRequestStatusChanged;
        let a = event_id("alpha", t, "123", "40", "");
        assert_eq!(a, event_id("alpha", t, "123", " 40 ", ""));
        assert!(a.starts_with("evt_") && a.len() == 36, "{a}");
        assert!(a[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        // Every part counts.
        for other in [
            event_id("beta", t, "123", "40", ""),
            event_id("alpha", EventType::ClientAccountChanged, "123", "40", ""),
            event_id("alpha", t, "124", "40", ""),
            event_id("alpha", t, "123", "30", ""),
            event_id("alpha", t, "123", "40", "2026-11-10"),
            event_id("alpha", t, "1234", "0", ""),
        ] {
            assert_ne!(a, other);
        }
        // A fixed value: the derivation must not change between versions (ids already sent).
        // Computed apart (Python's hashlib): SHA-256 of the parts, each followed by a NUL.
        assert_eq!(
            event_id("alpha", t, "123", "70", "2026-11-10"),
            "evt_f503ab92c71fb5ecb831814cb873d302"
        );
    }

    /// A sink that refuses while `down` is set, and counts what it took.
    struct Flaky {
        down: std::sync::atomic::AtomicBool,
        took: parking_lot::Mutex<Vec<String>>,
    }

    impl EventSink for Flaky {
        fn publish(&self, _t: &str, e: &Event) -> BoxFuture<'_, Result<(), feed::Unavailable>> {
            let id = e.id.clone();
            Box::pin(async move {
                if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(feed::Unavailable);
                }
                self.took.lock().push(id);
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn an_event_the_sink_cannot_take_stays_out_of_the_feed_until_it_can() {
        let sink = Arc::new(Flaky {
            down: true.into(),
            took: parking_lot::Mutex::default(),
        });
        let settings = crate::config::Settings::load_from(None, Vec::new())
            .expect("defaults")
            .events;
        let events = Events::new(settings, None, Metrics::new(), sink.clone(), |_| {
            serde_json::json!({})
        });
        let e = Event {
            id: "evt_1".into(),
            tenant: "alpha".into(),
            event_type: EventType::ClientAccountChanged,
            timestamp: Utc::now(),
            data: serde_json::json!({}),
        };
        // Refused: not in the feed, so the change is detected again and handed over again.
        assert!(events.record_event(&e).await.is_err());
        let page = events.feed.read("alpha", None, 10, &[]).await.unwrap();
        assert!(page.items.is_empty());
        sink.down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert!(events.record_event(&e).await.unwrap());
        // Detected again later: listed once; the sink dedups by id.
        assert!(!events.record_event(&e).await.unwrap());
        assert_eq!(
            events
                .feed
                .read("alpha", None, 10, &[])
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        assert_eq!(*sink.took.lock(), ["evt_1", "evt_1"]);
    }

    #[test]
    fn envelope_shape() {
        let e = Event {
            id: "evt_1".into(),
            tenant: "alpha".into(),
            event_type: EventType::ClientAccountChanged,
            timestamp: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            data: serde_json::json!({"client_id": "c"}),
        };
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "evt_1", "type": "client.account_changed",
                "timestamp": "2027-01-15T08:00:00.000Z", "data": {"client_id": "c"}})
        );
        assert_eq!(
            EventType::parse("payment_request.status_changed"),
            Some(EventType::PaymentRequestStatusChanged)
        );
        assert_eq!(EventType::parse("x"), None);
    }
}
