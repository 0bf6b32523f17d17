//! The in-process simulator of the embedded environment: started on a free loopback port by
//! `serve` and by the `check` and `campaign` commands alike, and told each embedded tenant's
//! credentials by the tenant registry (through `tenant::registry::EmbeddedCredentials`, so the
//! registry knows nothing of the simulator).

use std::net::TcpListener;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::Settings;
use crate::simulator::{Simulator, SimulatorSettings};
use crate::tenant::registry::EmbeddedCredentials;

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
