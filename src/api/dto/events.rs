//! Events as webhooks send them and the feed (`GET /v1/events`) lists them: one schema per
//! event type, `{id, type, timestamp, data}`, `data` the resource as `GET` answers it plus its
//! status before the change. Rendered from the domain values of `events::change`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::clients::Client;
use super::payment_requests::{PaymentRequest, PaymentState};
use crate::domain::client::AccountState;
use crate::events::change::Change;

/// `data` of `payment_request.status_changed`: the payment request as
/// `GET /v1/payment-requests/{id}` answers it, plus its status before the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentRequestStatusChange {
    #[serde(flatten)]
    pub payment_request: PaymentRequest,
    /// The state before the change. From Urssaf's `statut.code` then.
    pub previous_state: PaymentState,
    /// Urssaf's status code before the change. Urssaf: `statut.code`.
    pub previous_urssaf_code: String,
}

/// `data` of `client.account_changed`: the client as `GET /v1/clients/{id}` answers it, plus
/// its account status before the change.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClientAccountChange {
    #[serde(flatten)]
    pub client: Client,
    /// The account's state before the change. From Urssaf's `statut.code` then.
    pub previous_state: AccountState,
    /// Urssaf's account status code before the change. Urssaf: `statut.code`.
    pub previous_urssaf_code: String,
}

/// The `type` of a `PaymentRequestStatusChanged` event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub enum PaymentRequestStatusChangedType {
    #[serde(rename = "payment_request.status_changed")]
    PaymentRequestStatusChanged,
}

/// The `type` of a `ClientAccountChanged` event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub enum ClientAccountChangedType {
    #[serde(rename = "client.account_changed")]
    ClientAccountChanged,
}

/// A payment request's Urssaf status changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "evt_5f1c0e7a9b2d4c6e8f0a1b2c3d4e5f60", "type": "payment_request.status_changed",
    "timestamp": "2026-11-10T08:00:00.000Z",
    "data": {"id": "11000000000104", "invoice_number": "F-2026-0042", "client_id": "af0be430-908a-11eb-a8b3-0242ac130003",
        "status": {"state": "validated", "final": false, "urssaf_code": "30", "urssaf_label": "Validée"},
        "rejection": null, "transfer": null, "invoice": null,
        "previous_state": "awaiting_client_validation", "previous_urssaf_code": "20"}
}))]
pub struct PaymentRequestStatusChanged {
    /// Stable id of the change (the same change detected again has the same id); also sent
    /// as the `webhook-id` header.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: PaymentRequestStatusChangedType,
    /// When the gateway saw the change (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub data: PaymentRequestStatusChange,
}

/// A client's Urssaf account status changed.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "evt_0a1b2c3d4e5f60718293a4b5c6d7e8f9", "type": "client.account_changed",
    "timestamp": "2026-11-10T08:00:00.000Z",
    "data": {"client_id": "af0be430-908a-11eb-a8b3-0242ac130003", "birth_name": "Durand", "usage_name": null,
        "first_names": "Jeanne Marie",
        "account": {"state": "active", "can_receive_payment_requests": true, "active_since": "2026-11-09",
            "urssaf": {"code": "APPAREILLAGE_VALIDE", "description": "Transmission DP possible à partir du 09/11/2026", "etat": "OK"}},
        "previous_state": "pending_activation", "previous_urssaf_code": "APPAREILLAGE_EC"}
}))]
pub struct ClientAccountChanged {
    /// Stable id of the change (the same change detected again has the same id); also sent
    /// as the `webhook-id` header.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: ClientAccountChangedType,
    /// When the gateway saw the change (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub data: ClientAccountChange,
}

/// An event, as the body of a webhook: one of the event types, told apart by `type`.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("payment_request.status_changed" = "#/components/schemas/PaymentRequestStatusChanged"),
    ("client.account_changed" = "#/components/schemas/ClientAccountChanged"),
)))]
pub enum Event {
    PaymentRequestStatusChanged(PaymentRequestStatusChanged),
    ClientAccountChanged(ClientAccountChanged),
}

/// A `PaymentRequestStatusChanged` event with its place in the feed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FeedPaymentRequestStatusChanged {
    #[serde(flatten)]
    pub event: PaymentRequestStatusChanged,
    /// Position in the feed: pass it as `after` to read what follows.
    pub cursor: String,
}

/// A `ClientAccountChanged` event with its place in the feed.
#[derive(Clone, PartialEq, Serialize, ToSchema)]
pub struct FeedClientAccountChanged {
    #[serde(flatten)]
    pub event: ClientAccountChanged,
    /// Position in the feed: pass it as `after` to read what follows.
    pub cursor: String,
}

/// One event of the feed: the body a webhook carries, plus its `cursor`.
#[derive(Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("payment_request.status_changed" = "#/components/schemas/FeedPaymentRequestStatusChanged"),
    ("client.account_changed" = "#/components/schemas/FeedClientAccountChanged"),
)))]
pub enum FeedEvent {
    PaymentRequestStatusChanged(FeedPaymentRequestStatusChanged),
    ClientAccountChanged(FeedClientAccountChanged),
}

impl FeedEvent {
    /// An event as the feed stored it (the envelope JSON a webhook sends), at `cursor`.
    /// `None` for one that does not read as an event of this version.
    pub fn stored(envelope: serde_json::Value, cursor: String) -> Option<FeedEvent> {
        Some(match serde_json::from_value::<Event>(envelope).ok()? {
            Event::PaymentRequestStatusChanged(event) => {
                FeedEvent::PaymentRequestStatusChanged(FeedPaymentRequestStatusChanged {
                    event,
                    cursor,
                })
            }
            Event::ClientAccountChanged(event) => {
                FeedEvent::ClientAccountChanged(FeedClientAccountChanged { event, cursor })
            }
        })
    }
}

/// A page of the feed, oldest first.
#[derive(Clone, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<FeedEvent>,
    /// Pass as `after` for the next page (also when `events` is empty).
    pub next_cursor: String,
}

/// A change's `data`, as the feed stores it and webhooks send it (an `events::change::Render`).
pub fn render(change: &Change) -> serde_json::Value {
    // Serialising these plain structs cannot fail.
    match change {
        Change::PaymentRequestStatus(c) => serde_json::to_value(PaymentRequestStatusChange {
            payment_request: PaymentRequest::render(&c.request, c.seen_on),
            previous_state: c.previous_state,
            previous_urssaf_code: c.previous_urssaf_code.clone(),
        }),
        Change::ClientAccount(c) => serde_json::to_value(ClientAccountChange {
            client: Client::from(&c.client),
            previous_state: c.previous_state,
            previous_urssaf_code: c.previous_urssaf_code.clone(),
        }),
    }
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event as the feed stored it before events were typed (rendered with the same DTOs
    /// and `previous_*` keys): still read, so nothing stored is lost by the change.
    #[test]
    fn events_stored_by_the_earlier_version_read_as_typed_events() {
        let stored = serde_json::json!({
            "id": "evt_1", "type": "payment_request.status_changed",
            "timestamp": "2026-11-10T08:00:00.000Z",
            "data": {"id": "11000000000104", "invoice_number": "F-1", "client_id": "c",
                "status": {"state": "validated", "final": false, "urssaf_code": "30", "urssaf_label": "Validée"},
                "rejection": null, "transfer": null, "invoice": null,
                "previous_state": "awaiting_client_validation", "previous_urssaf_code": "20"}
        });
        let Some(FeedEvent::PaymentRequestStatusChanged(e)) =
            FeedEvent::stored(stored.clone(), "1-0".into())
        else {
            panic!("not read");
        };
        assert_eq!(
            e.event.data.previous_state,
            PaymentState::AwaitingClientValidation
        );
        assert_eq!(
            e.event.data.payment_request.status.state,
            PaymentState::Validated
        );
        // Listed as stored, plus the cursor.
        let mut want = stored;
        want["cursor"] = "1-0".into();
        assert_eq!(
            serde_json::to_value(FeedEvent::PaymentRequestStatusChanged(e)).unwrap(),
            want
        );
        // Another type under a type's name does not read.
        let client = serde_json::json!({"id": "evt_2", "type": "client.account_changed",
            "timestamp": "2026-11-10T08:00:00.000Z", "data": {"id": "1"}});
        assert!(FeedEvent::stored(client, "1-1".into()).is_none());
    }

    #[test]
    fn a_rendered_change_reads_back_as_its_typed_event() {
        use crate::domain::client::{AccountStatus, ClientRecord, RawAccountStatus};
        use crate::events::change::{ClientChange, Detected};
        let account = AccountStatus::interpret(RawAccountStatus {
            code: "APPAREILLAGE_VALIDE".into(),
            description: "Transmission DP possible à partir du 09/11/2026".into(),
            flag: "OK".into(),
        });
        let detected = Detected {
            id: "evt_3".into(),
            tenant: "t".into(),
            timestamp: chrono::Utc::now(),
            change: Change::ClientAccount(ClientChange {
                client: ClientRecord {
                    client_id: "c".into(),
                    birth_name: Some("Durand".into()),
                    usage_name: None,
                    first_names: None,
                    account,
                },
                previous_state: AccountState::PendingActivation,
                previous_urssaf_code: "APPAREILLAGE_EC".into(),
            }),
        };
        let envelope = serde_json::to_value(detected.render(render).envelope()).unwrap();
        assert_eq!(envelope["data"]["previous_state"], "pending_activation");
        let Some(FeedEvent::ClientAccountChanged(e)) = FeedEvent::stored(envelope, "2-0".into())
        else {
            panic!("not read");
        };
        assert_eq!(e.event.data.client.account.state, AccountState::Active);
        assert_eq!(e.event.data.previous_urssaf_code, "APPAREILLAGE_EC");
    }
}
