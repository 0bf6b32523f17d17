//! The one way tests start what they need, in the manner of zero-to-production's `spawn_app`
//! and crates.io's `TestApp`: [`TestApp::builder`] starts the built-in simulator as Urssaf and
//! gateways in front of it on ports chosen by the OS; the [`TestApp`] it returns calls the
//! public API (`gateway_calls.rs`), the simulator's admin API and the simulator itself with a
//! token (`sim_calls.rs`).
//!
//! ```ignore
//! let app = TestApp::builder()
//!     .simulator(|s| s.search_max_results = 3)
//!     .tenants(&[&TENANT_A])
//!     .redis() // or .redis_mode(Mode::Cluster): see redis_modes.rs
//!     .setting("GATEWAY__UPSTREAM__TIMEOUT_MS", "300")
//!     .replicas(2)
//!     .start()
//!     .await;
//! ```

mod builder;

pub use builder::TestAppBuilder;

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::Value;
use urssaf_gateway::config::Settings;
use urssaf_gateway::events::webhook::Deliveries;
use urssaf_gateway::metrics::Metrics;
use urssaf_gateway::simulator::{Simulator, SimulatorSettings};
use urssaf_gateway::startup::Application;
use urssaf_gateway::tenant::hash_key;

pub use crate::gateway_calls::{found_ids, get_json, read, text};
pub use crate::redis_modes::{Hold, Mode};
pub use crate::test_redis::{redis_url, require_redis};

pub struct TenantSpec {
    pub id: &'static str,
    pub client_id: &'static str,
    pub client_secret: &'static str,
}

pub const TENANT_A: TenantSpec = TenantSpec {
    id: "alpha",
    client_id: "alpha-client",
    client_secret: "alpha-secret",
};
pub const TENANT_B: TenantSpec = TenantSpec {
    id: "beta",
    client_id: "beta-client",
    client_secret: "beta-secret",
};
/// Tenant A's and B's Urssaf credentials, for calls made straight to the simulator.
pub const A: (&str, &str) = (TENANT_A.client_id, TENANT_A.client_secret);
pub const B: (&str, &str) = (TENANT_B.client_id, TENANT_B.client_secret);

/// Status, headers and JSON body (`Null` when empty) of a gateway answer.
pub type Answer = (u16, HeaderMap, Value);

pub fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        urssaf_gateway::telemetry::init(&urssaf_gateway::config::LogSettings {
            format: urssaf_gateway::config::LogFormat::Text,
            level: "info".into(),
        });
    }
}

/// `vars` with each of `settings` added or replacing the same key.
fn with_settings(
    mut vars: Vec<(String, String)>,
    settings: &[(String, String)],
) -> Vec<(String, String)> {
    for (k, v) in settings {
        vars.retain(|(key, _)| key != k);
        vars.push((k.clone(), v.clone()));
    }
    vars
}

/// A running simulator and gateways; see the module documentation.
pub struct TestApp {
    sim: Option<Simulator>,
    pub sim_url: String,
    gateways: Vec<Gateway>,
    pub http: reqwest::Client,
    /// Tenant A's simulator token, taken at start by [`TestApp::simulator_only`] apps.
    pub token: String,
    vars: Vec<(String, String)>,
    keys: Arc<HashMap<&'static str, String>>,
    _redis_hold: Option<Hold>,
}

impl TestApp {
    pub fn sim(&self) -> &Simulator {
        self.sim.as_ref().expect("this app has no simulator")
    }

    /// The first gateway.
    pub fn gw(&self) -> &Gateway {
        self.gateways.first().expect("this app has no gateway")
    }

    pub fn gateways(&self) -> &[Gateway] {
        &self.gateways
    }

    /// The gateway settings (environment variables), e.g. to start the real binary with.
    pub fn gateway_env(&self) -> &[(String, String)] {
        &self.vars
    }

    pub fn setting_value(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A Redis key of `tenant` under this app's prefix, as the gateway writes it
    /// (`<prefix>:{<tenant>}:<rest>`).
    pub fn redis_key(&self, tenant: &str, rest: &str) -> String {
        let prefix = self
            .setting_value("GATEWAY__REDIS__KEY_PREFIX")
            .expect("an app started with .redis()");
        format!("{prefix}:{{{tenant}}}:{rest}")
    }

    pub fn key(&self, tenant: &str) -> &str {
        &self.keys[tenant]
    }

    /// Another gateway with the same settings: a replica of the same deployment.
    pub async fn replica(&self) -> Gateway {
        self.replica_with(&[]).await
    }

    /// Another gateway with some settings changed.
    pub async fn replica_with(&self, settings: &[(&str, &str)]) -> Gateway {
        let changed: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let vars = with_settings(self.vars.clone(), &changed);
        let settings = Settings::load_from(None, vars).expect("test settings load");
        let app = Application::build(settings).await.expect("gateway builds");
        let url = format!("http://127.0.0.1:{}", app.port());
        let (metrics_port, metrics, deliveries) =
            (app.metrics_port(), app.metrics.clone(), app.deliveries());
        let server = app.handle();
        let task = tokio::spawn(app.run_until_stopped()).abort_handle();
        Gateway {
            url,
            metrics_port,
            metrics,
            deliveries,
            http: self.http.clone(),
            keys: self.keys.clone(),
            stop: Arc::new((task, server)),
        }
    }
}

/// One running gateway.
#[derive(Clone)]
pub struct Gateway {
    pub url: String,
    pub metrics: Metrics,
    pub metrics_port: Option<u16>,
    /// Its webhook deliveries (what the event feed enqueues into).
    pub deliveries: Deliveries,
    pub http: reqwest::Client,
    keys: Arc<HashMap<&'static str, String>>,
    stop: Arc<(tokio::task::AbortHandle, actix_web::dev::ServerHandle)>,
}

impl Gateway {
    /// Stops this gateway at once, as a killed process would: its tasks (webhook attempts in
    /// flight included) are dropped, its listener closed.
    pub async fn kill(&self) {
        self.stop.0.abort();
        self.stop.1.stop(false).await;
    }

    pub fn key(&self, tenant: &str) -> &str {
        &self.keys[tenant]
    }

    pub fn get(&self, tenant: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(self.key(tenant))
    }

    pub fn post(&self, tenant: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(self.key(tenant))
    }

    /// A request without an API key.
    pub fn anonymous(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// The HTTP status of `GET /v1/clients/{id}` (0 when the gateway did not answer).
    pub async fn client_status(&self, tenant: &str, id: &str) -> u16 {
        self.get(tenant, &format!("/v1/clients/{id}"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// Token fetches from Urssaf counted by result.
    pub fn token_fetches(&self, result: &str) -> u64 {
        self.metrics
            .token_fetches
            .with_label_values(&[result])
            .get()
    }

    /// Calls to Urssaf counted by operation and outcome.
    pub fn upstream_calls(&self, operation: &str, outcome: &str) -> u64 {
        self.metrics
            .upstream_requests
            .with_label_values(&[operation, outcome])
            .get()
    }
}

/// The usual app: a simulator knowing tenants A and B, one gateway serving both.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().start().await
}

/// The usual app with one gateway setting added.
pub async fn spawn_app_with_setting(key: &str, value: &str) -> TestApp {
    TestApp::builder().setting(key, value).start().await
}

/// A gateway whose Urssaf is a closed port.
pub async fn spawn_app_without_urssaf() -> TestApp {
    TestApp::builder().closed_upstream().start().await
}

/// The usual app with the simulator's settings adjusted.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut SimulatorSettings)) -> TestApp {
    TestApp::builder().simulator(tweak).start().await
}

/// A simulator alone, with a token of tenant A.
pub async fn spawn_simulator() -> TestApp {
    TestApp::simulator_only().start().await
}

pub async fn spawn_simulator_with(tweak: impl FnOnce(&mut SimulatorSettings)) -> TestApp {
    TestApp::simulator_only().simulator(tweak).start().await
}
