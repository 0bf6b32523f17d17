//! What the `check` and `campaign` commands need to speak to Urssaf the way the gateway does:
//! the configured tenants and an Urssaf client, without any listener.
//!
//! Tokens are fetched afresh (no Redis): a check must test the credentials themselves, not a
//! token a running gateway cached. The embedded environment without `upstream.base_url` gets
//! an in-process simulator knowing the tenants' credentials (a rehearsal with nothing else
//! running); with no tenant configured there, a `demo` tenant is made, as `serve` does.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::{Environment, Settings};
use crate::demo;
use crate::metrics::Metrics;
use crate::simulator::{Simulator, SimulatorSettings};
use crate::startup::{endpoints_for, resolve_tenants, RawTenant};
use crate::tenant::Tenant;
use crate::token::TokenProvider;
use crate::urssaf::client::{http_client, UrssafClient};
use crate::urssaf::wire::BASE_PATH;

pub struct Rig {
    pub tenants: Vec<Arc<Tenant>>,
    pub urssaf: UrssafClient,
    pub metrics: Metrics,
    /// Address of the in-process simulator, when one was started.
    pub simulator: Option<String>,
}

impl Rig {
    pub async fn build(settings: &Settings) -> Result<Rig, Vec<String>> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut raw = resolve_tenants(settings);
        let embedded_default = settings.upstream.environment == Environment::Embedded;
        if embedded_default && raw.is_empty() {
            raw.push(RawTenant {
                id: demo::TENANT_ID.into(),
                client_id: demo::CLIENT_ID.into(),
                client_secret: SecretString::from(uuid::Uuid::new_v4().simple().to_string()),
                environment: Environment::Embedded,
                key_hashes: Vec::new(),
                billing_id: demo::TENANT_ID.into(),
                worker_id: Some(demo::WORKER_ID.into()),
            });
        }
        let needs_simulator = raw.iter().any(|t| t.environment == Environment::Embedded)
            && !(embedded_default && settings.upstream.base_url.is_some());
        let simulator = if needs_simulator {
            Some(start_simulator(settings, &raw)?)
        } else {
            None
        };
        let embedded_host = match &settings.upstream.base_url {
            Some(base) if embedded_default => Some(base.as_base().to_string()),
            _ => simulator.clone(),
        };
        let tenants = raw
            .into_iter()
            .map(|t| {
                let endpoints = endpoints_for(settings, t.environment, embedded_host.as_deref());
                Arc::new(Tenant::new(
                    t.id,
                    t.client_id,
                    t.client_secret,
                    t.environment,
                    endpoints,
                    t.billing_id,
                    t.worker_id,
                    &t.key_hashes,
                ))
            })
            .collect();
        let metrics = Metrics::new();
        let http =
            http_client(&settings.upstream).map_err(|e| vec![format!("http client: {e}")])?;
        let tokens = TokenProvider::new(
            http.clone(),
            None,
            &settings.token,
            settings.upstream.token_auth,
            Duration::from_millis(settings.upstream.token_timeout_ms),
            metrics.clone(),
        );
        let urssaf = UrssafClient::new(http, tokens, &settings.upstream, metrics.clone());
        Ok(Rig {
            tenants,
            urssaf,
            metrics,
            simulator,
        })
    }

    /// The tenant with this id, or a line naming the ones configured.
    pub fn tenant(&self, id: &str) -> Result<Arc<Tenant>, String> {
        let wanted = id.to_lowercase();
        self.tenants
            .iter()
            .find(|t| t.id == wanted)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = self.tenants.iter().map(|t| t.id.as_str()).collect();
                format!(
                    "--tenant {id}: no such tenant (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })
    }
}

/// The Urssaf host of a tenant (its API base without Urssaf's base path).
pub fn host_of(tenant: &Tenant) -> &str {
    let base = tenant.endpoints.api_base.as_str();
    base.strip_suffix(BASE_PATH).unwrap_or(base)
}

fn start_simulator(settings: &Settings, raw: &[RawTenant]) -> Result<String, Vec<String>> {
    let sim = Simulator::new(SimulatorSettings {
        credentials: raw
            .iter()
            .filter(|t| t.environment == Environment::Embedded)
            .map(|t| (t.client_id.clone(), t.client_secret.clone()))
            .collect(),
        token_lifetime: Duration::from_secs(settings.simulator.token_lifetime_seconds.max(1)),
        activation_delay: Duration::from_secs(settings.simulator.activation_delay_seconds),
        admin_enabled: true,
        ..SimulatorSettings::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| vec![format!("embedded simulator: cannot bind: {e}")])?;
    let port = listener
        .local_addr()
        .map_err(|e| vec![e.to_string()])?
        .port();
    let server = sim
        .serve(listener)
        .map_err(|e| vec![format!("embedded simulator: {e}")])?;
    tokio::spawn(server);
    Ok(format!("http://127.0.0.1:{port}"))
}
