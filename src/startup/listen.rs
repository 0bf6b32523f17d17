//! The pieces of start-up and stop that touch the system: the API's listener and the stop
//! signals (the embedded simulator's listener is `crate::embedded`'s).

use std::net::TcpListener;

use super::StartupError;
use crate::config::Settings;

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
pub(super) fn bind_api(settings: &Settings) -> Result<TcpListener, StartupError> {
    let (host, port) = (settings.server.host.as_str(), settings.server.port);
    TcpListener::bind((host, port)).map_err(|source| {
        let hint = if source.kind() == std::io::ErrorKind::AddrInUse {
            format!("; another program (another urssaf-gateway?) listens there: stop it, or choose another port with --port (e.g. --port {})", port.wrapping_add(1).max(1024))
        } else {
            "; choose another address with --port or GATEWAY__SERVER__HOST".to_string()
        };
        StartupError::Listen {
            address: format!("{host}:{port}"),
            source,
            hint,
        }
    })
}

/// The metrics port's listener, when one is set.
pub(super) fn bind_metrics(settings: &Settings) -> Result<Option<TcpListener>, StartupError> {
    let Some(port) = settings.server.metrics_port else {
        return Ok(None);
    };
    let host = settings.server.host.as_str();
    TcpListener::bind((host, port))
        .map(Some)
        .map_err(|source| StartupError::MetricsListen {
            address: format!("{host}:{port}"),
            source,
        })
}
