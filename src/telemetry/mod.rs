//! Logs and traces. Logs are JSON lines by default (a readable format by setting); fields are chosen where
//! events are written, and nothing here ever sees a body, a token or a secret. Traces are
//! OpenTelemetry, off unless an OTLP endpoint is configured (see [`otel`]).

mod access;
mod client_faults;
mod json;
pub mod otel;
#[cfg(test)]
mod test_buffer;
mod text;
mod writer;

pub use access::{access, AccessLine};
pub use writer::flush as flush_logs;

use std::future::Future;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use crate::config::{LogFormat, LogSettings};

/// What identifies the request being served, for problems and every log line.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    /// The trace the request belongs to (ours when traces are on, else the caller's).
    pub trace_id: Option<String>,
    /// The Urssaf calls made for it (shared with work it hands to other tasks).
    pub urssaf: Arc<CallTally>,
}

/// How many Urssaf calls a request made and how long they took, for its access line.
#[derive(Debug, Default)]
pub struct CallTally {
    pub calls: AtomicU32,
    pub micros: AtomicU64,
}

/// Counts one Urssaf call (an attempt) for the request being served.
pub fn count_urssaf_call(took: Duration) {
    let _ = CONTEXT.try_with(|c| {
        c.urssaf.calls.fetch_add(1, Ordering::Relaxed);
        c.urssaf.micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    });
}

tokio::task_local! {
    pub static CONTEXT: RequestContext;
}

/// The current request's id, if any.
pub fn request_id() -> Option<String> {
    CONTEXT.try_with(|c| c.request_id.clone()).ok()
}

/// `fut`, run with the current request's context (for work moved to another task).
pub fn with_current_context<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    let context = CONTEXT.try_with(Clone::clone).unwrap_or_default();
    CONTEXT.scope(context, fut)
}

/// Keeps the trace exporter running; dropping it flushes the spans not yet sent.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// From now on, log lines are written in batches (see [`writer`]) until this guard is
    /// dropped, which writes the rest: for the long-running commands.
    pub fn batch_logs(&self) {
        writer::start();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.traces.take() {
            let _ = p.shutdown();
        }
        writer::stop();
    }
}

/// actix-server's own lifecycle lines ("starting 2 workers", "Tokio runtime found", "accept
/// thread stopped"…) say nothing an operator needs: shown from WARN up, unless the filter names
/// actix_server itself.
fn quiet_actix(filter: EnvFilter, level: &str) -> EnvFilter {
    let named = std::env::var("RUST_LOG").unwrap_or_else(|_| level.to_string());
    if named.contains("actix_server") {
        return filter;
    }
    match "actix_server=warn".parse() {
        Ok(d) => filter.add_directive(d),
        Err(_) => filter,
    }
}

/// Installs the global subscriber once; later calls (tests) only return an empty guard.
pub fn init(settings: &LogSettings) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = quiet_actix(filter, &settings.level);
    // Lines in batches once `batch_logs` is called: one write(2) per period, not per line, and
    // no wake-up per line either (docs/performance.md measured both).
    let writer = writer::Batched;
    let traces = if otel::wanted(|k| std::env::var(k).ok()) {
        match otel::provider() {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("warning: traces off: OTLP exporter: {e}");
                None
            }
        }
    } else {
        None
    };
    let otel_layer = traces.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("urssaf-gateway"))
            .with_filter(tracing_subscriber::filter::filter_fn(|m| m.is_span()))
    });
    let json = match settings.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        // Logs go to stdout: a person reads them when it is a terminal, a collector otherwise.
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    // Malformed HTTP from clients is written as a warning (see `client_faults`).
    let logs = if json {
        fmt::layer()
            .event_format(client_faults::Demote::new(json::JsonLines, true))
            .with_writer(writer)
            .boxed()
    } else {
        fmt::layer()
            .event_format(client_faults::Demote::new(text::TextLines, false))
            .with_writer(writer)
            .boxed()
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(otel_layer)
        .with(logs)
        .try_init()
        .is_ok();
    // Spans are only made when something exports them.
    otel::ENABLED.store(installed && traces.is_some(), Ordering::Relaxed);
    access::DIRECT.store(installed && json, Ordering::Relaxed);
    Telemetry {
        traces: if installed { traces } else { None },
    }
}
