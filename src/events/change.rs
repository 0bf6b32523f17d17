//! The changes the poller detects, as domain values: each event type's payload declared once,
//! rendered into the JSON that is listed and sent by the public API (see [`Render`]), so that
//! `events/` knows nothing of the API's DTOs.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{value::StrDeserializer, IntoDeserializer};
use serde::Deserialize;

use super::watch::Seen;
use super::{event_id, Event, EventType};
use crate::domain::client::{AccountState, ClientRecord};
use crate::domain::payment_request::PaymentRequest;
use crate::domain::status::{interpret, PaymentState};

/// `payment_request.status_changed`: the payment request now, and its status before.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRequestChange {
    pub request: PaymentRequest,
    /// The day the status is read on (`payment_scheduled` becomes `paid` on the transfer date).
    pub seen_on: NaiveDate,
    pub previous_state: PaymentState,
    pub previous_urssaf_code: String,
}

/// `client.account_changed`: the client now, and its account status before.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientChange {
    pub client: ClientRecord,
    pub previous_state: AccountState,
    pub previous_urssaf_code: String,
}

/// What changed: one variant per event type.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    PaymentRequestStatus(PaymentRequestChange),
    ClientAccount(ClientChange),
}

impl Change {
    pub fn event_type(&self) -> EventType {
        match self {
            Change::PaymentRequestStatus(_) => EventType::PaymentRequestStatusChanged,
            Change::ClientAccount(_) => EventType::ClientAccountChanged,
        }
    }
}

/// How a change becomes the event's `data` JSON: given by the public API, whose schemas
/// (`GET /v1/payment-requests/{id}`, `GET /v1/clients/{id}` plus the previous status) the
/// feed and the webhooks carry.
pub type Render = fn(&Change) -> serde_json::Value;

/// One change of one tenant's payment request or client, as detected.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// See [`event_id`].
    pub id: String,
    pub tenant: String,
    /// When the gateway saw the change.
    pub timestamp: DateTime<Utc>,
    pub change: Change,
}

impl Detected {
    /// The payment request as Urssaf answered it, and what it was (`prev`).
    pub fn payment_request(
        tenant: &str,
        p: &PaymentRequest,
        prev: &Seen,
        now: &Seen,
        today: NaiveDate,
    ) -> Detected {
        let t = EventType::PaymentRequestStatusChanged;
        // The state name as recorded; read again from the code for a name this version
        // does not know (recorded by another version).
        let previous_state = parse(&prev.state).unwrap_or_else(|| {
            let transfer = prev.date.parse::<NaiveDate>().ok();
            interpret(&prev.code, "", transfer, today).state
        });
        Detected {
            id: event_id(tenant, t, &p.id, &now.code, &now.date),
            tenant: tenant.to_string(),
            timestamp: Utc::now(),
            change: Change::PaymentRequestStatus(PaymentRequestChange {
                request: p.clone(),
                seen_on: today,
                previous_state,
                previous_urssaf_code: prev.code.clone(),
            }),
        }
    }

    /// The client as Urssaf answered it, and what its account was (`prev`).
    pub fn client(tenant: &str, c: &ClientRecord, prev: &Seen, now: &Seen) -> Detected {
        let t = EventType::ClientAccountChanged;
        let previous_state =
            parse(&prev.state).unwrap_or_else(|| AccountState::from_code(&prev.code));
        Detected {
            id: event_id(tenant, t, &c.client_id, &now.code, &now.date),
            tenant: tenant.to_string(),
            timestamp: Utc::now(),
            change: Change::ClientAccount(ClientChange {
                client: c.clone(),
                previous_state,
                previous_urssaf_code: prev.code.clone(),
            }),
        }
    }

    /// The event as recorded: its `data` rendered by `render`.
    pub fn render(&self, render: Render) -> Event {
        Event {
            id: self.id.clone(),
            tenant: self.tenant.clone(),
            event_type: self.change.event_type(),
            timestamp: self.timestamp,
            data: render(&self.change),
        }
    }
}

/// A state from its JSON name (`awaiting_client_validation`), as [`Seen`] records it.
fn parse<'de, T: Deserialize<'de>>(name: &'de str) -> Option<T> {
    let d: StrDeserializer<'de, serde::de::value::Error> = name.into_deserializer();
    T::deserialize(d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payment_request::UrssafStatus;

    fn seen(code: &str, state: &str) -> Seen {
        Seen {
            code: code.into(),
            state: state.into(),
            date: String::new(),
            invoice_date: None,
            settled: false,
        }
    }

    #[test]
    fn the_previous_state_is_typed_and_read_from_the_code_when_its_name_is_unknown() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let p = PaymentRequest {
            id: "1".into(),
            invoice_number: None,
            client_id: None,
            status: UrssafStatus {
                code: "30".into(),
                label: String::new(),
            },
            rejection: None,
            transfer: None,
            invoice: None,
        };
        let now = seen("30", "validated");
        for prev in [
            seen("20", "awaiting_client_validation"),
            seen("20", "renamed_state"),
        ] {
            let d = Detected::payment_request("t", &p, &prev, &now, today);
            let Change::PaymentRequestStatus(c) = &d.change else {
                panic!("{d:?}")
            };
            assert_eq!(c.previous_state, PaymentState::AwaitingClientValidation);
            assert_eq!(c.previous_urssaf_code, "20");
            assert_eq!(
                d.change.event_type(),
                EventType::PaymentRequestStatusChanged
            );
        }
    }
}
