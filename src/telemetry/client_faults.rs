//! Malformed or broken HTTP from a client is the client's fault, not the gateway's: actix's
//! HTTP/1 layer logs it at ERROR ("stream error: request parse error: …"), which would page
//! someone for a scanner or a buggy caller. Those lines are written at WARN instead, as
//! "malformed or broken HTTP from a client" with actix's words in `detail`; every other event
//! keeps its level. (A layer cannot emit a new event while one is dispatched, so this is done
//! where events are formatted.)

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Where actix's HTTP/1 connection handling logs.
const SOURCE: &str = "actix_http::h1";

/// Messages that describe what a client sent or did (a parse error, a head too large, a
/// connection reset, a head too slow), not a failure of the gateway.
const CLIENT_CAUSED: &[&str] = &[
    "stream error: request parse error",
    "stream error: I/O error",
    "stream error: request did not complete",
    "MAX_BUFFER_SIZE unprocessed data reached",
];

pub const MESSAGE: &str = "malformed or broken HTTP from a client";

/// Wraps an event format: client faults are written at WARN, everything else by `inner`.
pub struct Demote<F> {
    inner: F,
    json: bool,
}

impl<F> Demote<F> {
    pub fn new(inner: F, json: bool) -> Demote<F> {
        Demote { inner, json }
    }
}

/// actix's words, when `event` is a client fault it logged at ERROR.
fn client_fault(event: &Event<'_>) -> Option<String> {
    let meta = event.metadata();
    if *meta.level() != Level::ERROR || !meta.target().starts_with(SOURCE) {
        return None;
    }
    let mut message = Message(String::new());
    event.record(&mut message);
    CLIENT_CAUSED
        .iter()
        .any(|p| message.0.starts_with(p))
        .then_some(message.0)
}

impl<S, N, F> FormatEvent<S, N> for Demote<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let Some(detail) = client_fault(event) else {
            return self.inner.format_event(ctx, writer, event);
        };
        if LevelFilter::current() < LevelFilter::WARN {
            return Ok(()); // logs were asked for errors only
        }
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
        if self.json {
            let line = serde_json::json!({
                "timestamp": timestamp.to_string(),
                "level": "WARN",
                "target": event.metadata().target(),
                "message": MESSAGE,
                "detail": detail,
            });
            writeln!(writer, "{line}")
        } else {
            let target = event.metadata().target();
            writeln!(
                writer,
                "{timestamp}  WARN {target}: {MESSAGE} detail={detail:?}"
            )
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_buffer::Buffer;
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::EnvFilter;

    #[test]
    fn client_faults_become_warnings_and_other_errors_stay() {
        let out = Buffer::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("info"))
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(Demote::new(super::super::json::JsonLines, true))
                    .with_writer(move || writer.clone()),
            );
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
            tracing::error!(target: "actix_http::h1::dispatcher", "Response payload stream error: boom");
            tracing::error!(target: "urssaf_gateway", "ours");
        });
        let text = out.text();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["message"], MESSAGE);
        assert_eq!(
            lines[0]["detail"],
            "stream error: request parse error: invalid Header provided"
        );
        assert_eq!(lines[1]["level"], "ERROR");
        assert_eq!(lines[1]["message"], "Response payload stream error: boom");
        assert_eq!(lines[2]["message"], "ours");
    }
}
