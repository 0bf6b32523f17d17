//! One line per log event for people (`log.format = text`, or `auto` in a terminal): time,
//! level, target, message, then the same fields as the JSON lines (`key=value`, quoted when a
//! value has spaces, empty ones left out), the request, trace and span ids included.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub struct TextLines;

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = Line::default();
        let now = chrono::Utc::now();
        let _ = write!(
            line.head,
            "{} {:>5} {}: ",
            now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            event.metadata().level().as_str(),
            event.metadata().target()
        );
        event.record(&mut line);
        super::json::put_line_ids(line.has_request_id, |name, value| line.field(name, value));
        writeln!(writer, "{}{}{}", line.head, line.message, line.fields)
    }
}

#[derive(Default)]
struct Line {
    head: String,
    message: String,
    fields: String,
    has_request_id: bool,
}

impl Line {
    fn field(&mut self, name: &str, value: &str) {
        if name == "request_id" {
            self.has_request_id = true;
        }
        let _ = write!(self.fields, " {name}=");
        let value = &super::json::bounded(value);
        let plain = !value.is_empty()
            && value
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '=');
        if plain {
            self.fields.push_str(value);
        } else {
            let _ = write!(self.fields, "{value:?}");
        }
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if !value.is_empty() {
            self.field(field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.record_str(field, &text);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // As the JSON lines: milliseconds to 0.1 are enough to read.
        self.field(field.name(), &format!("{:.1}", value));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_buffer::Buffer;
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn a_line_carries_the_message_and_every_field() {
        let out = Buffer::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(TextLines)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(tenant = "demo", port = 8080u64, ok = true, latency_ms = 2.26, note = %"two words", "listening");
        });
        let text = out.text();
        let line = text.lines().next().unwrap();
        assert!(
            line.contains(
                "  INFO urssaf_gateway::telemetry::text::tests: listening tenant=demo port=8080 ok=true latency_ms=2.3"
            ),
            "{line}"
        );
        assert!(line.ends_with(" note=\"two words\""), "{line}");
        assert_eq!(text.lines().count(), 1);
    }
}
