//! Logs: JSON lines by default (a readable format by setting). Fields are chosen where
//! events are written; nothing here ever sees a body, a token or a secret.

mod client_faults;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

use crate::config::{LogFormat, LogSettings};

tokio::task_local! {
    /// The id of the request being served: problems and log lines carry it.
    pub static REQUEST_ID: String;
}

/// The current request's id, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_target(false)
                    .with_writer(std::io::stdout)
                    .map_event_format(|f| client_faults::Demote::new(f, true)),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_writer(std::io::stdout)
                    .map_event_format(|f| client_faults::Demote::new(f, false)),
            )
            .try_init(),
    };
}
