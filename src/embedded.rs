//! The in-process simulator of the embedded environment: started on a free loopback port by
//! `serve` and by the `check` and `campaign` commands alike, and told each embedded tenant's
//! credentials by the tenant registry (through `tenant::registry::EmbeddedCredentials`, so the
//! registry knows nothing of the simulator).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::{Environment, Settings, TenantSettings};
use crate::demo;
use crate::simulator::{Simulator, SimulatorSettings};
use crate::tenant::registry::EmbeddedCredentials;
use crate::tenant::Source;

/// What a process (`serve`, `check`, `campaign`) starts its tenants from.
pub struct TenantStart {
    /// The configured tenants, and the demo tenant when the embedded default has none.
    pub fixed: Vec<(String, TenantSettings, Source)>,
    /// The demo tenant's API key, when it was made.
    pub demo_api_key: Option<String>,
    /// The in-process simulator and its port, when an embedded tenant needs one.
    pub simulator: Option<(Simulator, u16)>,
    /// Where embedded tenants are served: a hand-set `upstream.base_url` (a simulator started
    /// apart), else the in-process simulator.
    pub embedded_host: Option<String>,
}

impl TenantStart {
    /// The in-process simulator as the registry's factory sees it.
    pub fn credentials(&self) -> Option<Arc<dyn EmbeddedCredentials>> {
        self.simulator
            .as_ref()
            .map(|(s, _)| Arc::new(s.clone()) as Arc<dyn EmbeddedCredentials>)
    }
}

/// The tenants to start with and, when one of them is embedded, where it is served (the
/// in-process simulator is started here). `demo_webhook`: the demo tenant gets
/// `settings.demo_webhook` (the server's; the commands leave it out).
pub fn tenant_start(settings: &Settings, demo_webhook: bool) -> Result<TenantStart, String> {
    let mut fixed: Vec<(String, TenantSettings, Source)> = settings
        .tenants
        .iter()
        .map(|(id, t)| (id.clone(), t.clone(), Source::Config))
        .collect();
    let embedded_default = settings.upstream.environment == Environment::Embedded;
    let mut demo_api_key = None;
    if embedded_default && settings.tenants.is_empty() && settings.tenants_dir.is_none() {
        let key = demo::new_api_key();
        let webhook = settings.demo_webhook.clone().filter(|_| demo_webhook);
        fixed.push((
            demo::TENANT_ID.into(),
            demo::tenant(&key, webhook),
            Source::Demo,
        ));
        demo_api_key = Some(key);
    }
    let uses_embedded = embedded_default
        || settings
            .tenants
            .values()
            .any(|t| t.environment == Some(Environment::Embedded));
    let (simulator, embedded_host) = if embedded_default && settings.upstream.base_url.is_some() {
        // A hand-set base URL replaces the in-process simulator (e.g. one started apart).
        let base = settings.upstream.base_url.as_ref();
        (None, base.map(|u| u.as_base().to_string()))
    } else if uses_embedded {
        let (sim, port) = start_embedded_simulator(settings)?;
        (Some((sim, port)), Some(format!("http://127.0.0.1:{port}")))
    } else {
        (None, None)
    };
    Ok(TenantStart {
        fixed,
        demo_api_key,
        simulator,
        embedded_host,
    })
}

impl EmbeddedCredentials for Simulator {
    fn add_credentials(&self, client_id: &str, secret: &SecretString) {
        Simulator::add_credentials(self, client_id, secret);
    }
}

/// The in-process simulator, admin API on, on a free loopback port; the error is one line
/// naming what failed.
pub fn start_embedded_simulator(settings: &Settings) -> Result<(Simulator, u16), String> {
    let sim = Simulator::new(SimulatorSettings {
        token_lifetime: Duration::from_secs(settings.simulator.token_lifetime_seconds.max(1)),
        activation_delay: Duration::from_secs(settings.simulator.activation_delay_seconds),
        admin_enabled: true,
        ..SimulatorSettings::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("embedded simulator: cannot bind: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("embedded simulator: {e}"))?
        .port();
    let server = sim
        .serve(listener)
        .map_err(|e| format!("embedded simulator: {e}"))?;
    tokio::spawn(server);
    Ok((sim, port))
}
