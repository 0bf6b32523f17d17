//! Logs and traces. Logs are JSON lines by default (a readable format by setting), written by a
//! background thread so that serving a request never waits on stdout; fields are chosen where
//! events are written, and nothing here ever sees a body, a token or a secret. Traces are
//! OpenTelemetry, off unless an OTLP endpoint is configured (see [`otel`]).

mod json;
pub mod otel;

use std::future::Future;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use crate::config::{LogFormat, LogSettings};

/// What identifies the request being served, for problems and every log line.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// The trace the request belongs to (ours when traces are on, else the caller's).
    pub trace_id: Option<String>,
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
    let context = CONTEXT.try_with(Clone::clone).unwrap_or(RequestContext {
        request_id: String::new(),
        trace_id: None,
    });
    CONTEXT.scope(context, fut)
}

/// Keeps the log writer and the trace exporter running; dropping it flushes both.
pub struct Telemetry {
    _logs: Option<WorkerGuard>,
    traces: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.traces.take() {
            let _ = p.shutdown();
        }
    }
}

/// Installs the global subscriber once; later calls (tests) only return an empty guard.
pub fn init(settings: &LogSettings) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Blocks (rather than dropping lines) if the writer ever falls behind.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
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
    let logs = match settings.format {
        LogFormat::Json => fmt::layer()
            .event_format(json::JsonLines)
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => fmt::layer().with_target(false).with_writer(writer).boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(otel_layer)
        .with(logs)
        .try_init()
        .is_ok();
    Telemetry {
        _logs: installed.then_some(guard),
        traces: if installed { traces } else { None },
    }
}
