//! The pieces of start-up and stop that touch the system: the API's listener, the embedded
//! simulator's, and the stop signals.

use std::net::TcpListener;
use std::time::Duration;

use crate::config::Settings;
use crate::simulator::{Simulator, SimulatorSettings};

pub(super) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The API's listener; when the address is taken, the error says which and what to do.
pub(super) fn bind_api(settings: &Settings) -> Result<TcpListener, Vec<String>> {
    let (host, port) = (settings.server.host.as_str(), settings.server.port);
    TcpListener::bind((host, port)).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("; another program (another urssaf-gateway?) listens there: stop it, or choose another port with --port (e.g. --port {})", port.wrapping_add(1).max(1024))
        } else {
            "; choose another address with --port or GATEWAY__SERVER__HOST".to_string()
        };
        vec![format!("server: cannot listen on {host}:{port}: {e}{hint}")]
    })
}

/// The in-process simulator of the embedded default, admin API on, on a free loopback port.
pub(crate) fn start_embedded_simulator(
    settings: &Settings,
) -> Result<(Simulator, u16), Vec<String>> {
    let sim = Simulator::new(SimulatorSettings {
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
    Ok((sim, port))
}
