//! The bridge from the events feed to webhook deliveries: each event new to the feed is
//! enqueued for its tenant's webhook (a no-op for a tenant without one).

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{Deliveries, DeliveryError, WebhookMessage};
use crate::events::{Event, EventSink};

/// Waits between enqueue attempts while the queue (Redis) does not answer. The feed has the
/// event already and will not hand it over again, so the attempts go on in the background for
/// about ten minutes (deduplication by id makes a repeat harmless).
const RETRY_WAITS_SECONDS: [u64; 8] = [1, 2, 5, 10, 30, 60, 180, 300];

pub struct WebhookSink {
    deliveries: Deliveries,
}

impl WebhookSink {
    pub fn new(deliveries: Deliveries) -> WebhookSink {
        WebhookSink { deliveries }
    }
}

fn message(event: &Event) -> WebhookMessage {
    WebhookMessage {
        id: event.id.clone(),
        timestamp: event.timestamp.timestamp(),
        body: event.body(),
    }
}

impl EventSink for WebhookSink {
    fn publish(&self, tenant: &str, event: &Event) -> BoxFuture<'_, ()> {
        let tenant = tenant.to_string();
        let msg = message(event);
        Box::pin(async move {
            match self.deliveries.enqueue(&tenant, msg.clone()).await {
                Ok(()) | Err(DeliveryError::NotConfigured) => {}
                Err(DeliveryError::Unavailable) => {
                    // Not awaited: the poller goes on with other tenants meanwhile.
                    let deliveries = self.deliveries.clone();
                    tokio::spawn(async move {
                        for wait in RETRY_WAITS_SECONDS {
                            tokio::time::sleep(Duration::from_secs(wait)).await;
                            if deliveries.enqueue(&tenant, msg.clone()).await
                                != Err(DeliveryError::Unavailable)
                            {
                                return;
                            }
                        }
                        tracing::warn!(
                            tenant = %tenant,
                            event_id = %msg.id,
                            "event not handed to webhook deliveries: the queue did not answer for 10 minutes; it stays in the feed"
                        );
                    });
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventType;
    use chrono::TimeZone;

    #[test]
    fn the_message_is_the_event_envelope_with_its_id_and_time() {
        let event = Event {
            id: "evt_0123".into(),
            tenant: "acme".into(),
            event_type: EventType::PaymentRequestStatusChanged,
            timestamp: chrono::Utc
                .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
                .unwrap(),
            data: serde_json::json!({"id": "42"}),
        };
        let m = message(&event);
        assert_eq!(m.id, "evt_0123");
        assert_eq!(m.timestamp, 1_796_040_000);
        let body: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(body["type"], "payment_request.status_changed");
        assert_eq!(body["id"], "evt_0123");
        assert_eq!(body["data"]["id"], "42");
    }
}
