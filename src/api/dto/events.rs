//! The events feed (`GET /v1/events`).

use serde::Serialize;
use utoipa::ToSchema;

/// What changed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum EventTypeName {
    /// `data` is the payment request as `GET /v1/payment-requests/{id}` answers it, plus
    /// `previous_state` and `previous_urssaf_code`.
    #[serde(rename = "payment_request.status_changed")]
    PaymentRequestStatusChanged,
    /// `data` is the client as `GET /v1/clients/{id}` answers it, plus `previous_state` (of
    /// the account) and `previous_urssaf_code`.
    #[serde(rename = "client.account_changed")]
    ClientAccountChanged,
}

/// One event, as a webhook would carry it, with its place in the feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "evt_5f1c0e7a9b2d4c6e8f0a1b2c3d4e5f60", "type": "payment_request.status_changed",
    "timestamp": "2026-11-10T08:00:00.000Z", "cursor": "1794297600000-0",
    "data": {"id": "8452", "status": {"state": "validated", "final": false, "urssaf_code": "30", "urssaf_label": "Validée"},
        "previous_state": "awaiting_client_validation", "previous_urssaf_code": "20"}
}))]
pub struct FeedEvent {
    /// Stable id of the change: the same change detected again has the same id.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventTypeName,
    /// When the gateway saw the change (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// The resource after the change, plus `previous_state` and `previous_urssaf_code`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Position in the feed: pass it as `after` to read what follows.
    pub cursor: String,
}

/// A page of the feed, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<FeedEvent>,
    /// Pass as `after` for the next page (also when `events` is empty).
    pub next_cursor: String,
}
