//! How a tenant fares with Urssaf: its last token fetch and its last Urssaf failure, for the
//! admin view. Written on the slow paths only (a fetch, a failure), never per request.

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

#[derive(Debug, Default)]
pub struct TenantHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct State {
    /// When the last token was fetched, and how that went.
    pub last_token_fetch: Option<Event>,
    /// The last call to Urssaf that failed (no answer, 5xx, credentials refused…).
    pub last_urssaf_error: Option<Event>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// What happened, without any secret or personal data (an error kind, Urssaf's code).
    pub detail: String,
}

impl TenantHealth {
    pub fn token_fetched(&self, outcome: Result<(), String>) {
        let event = Event {
            at: Utc::now(),
            ok: outcome.is_ok(),
            detail: outcome.err().unwrap_or_else(|| "ok".into()),
        };
        self.state.lock().last_token_fetch = Some(event);
    }

    pub fn urssaf_failed(&self, detail: String) {
        self.state.lock().last_urssaf_error = Some(Event {
            at: Utc::now(),
            ok: false,
            detail,
        });
    }

    pub fn snapshot(&self) -> State {
        self.state.lock().clone()
    }
}
