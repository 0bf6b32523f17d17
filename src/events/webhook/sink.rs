//! The bridge from the events feed to webhook deliveries: each event is enqueued for its
//! tenant's webhook (a no-op for a tenant without one) before the feed records it.

use futures_util::future::BoxFuture;

use super::{Deliveries, DeliveryError, WebhookMessage};
use crate::events::feed::Unavailable;
use crate::events::{Event, EventSink};

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
    /// An error while the queue (Redis) does not answer: the event is then left out of the
    /// feed too, and the poller detects the change again at its next cycle.
    fn publish(&self, tenant: &str, event: &Event) -> BoxFuture<'_, Result<(), Unavailable>> {
        let tenant = tenant.to_string();
        let msg = message(event);
        Box::pin(async move {
            match self.deliveries.enqueue(&tenant, msg).await {
                Ok(()) | Err(DeliveryError::NotConfigured) => Ok(()),
                Err(DeliveryError::Unavailable) => Err(Unavailable),
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
