//! One JSON line per log event: time, level, target (the emitting module, so the gateway's
//! lines are told from its libraries'), message, the event's own fields, the request and trace
//! ids of the request being served (read from its task-local context, so every line written
//! while serving a request carries them, whoever writes it) and the id of the span being run.
//! Empty fields are left out.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
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
        line.buf.push_str("{\"timestamp\":\"");
        let now = chrono::Utc::now();
        let _ = write!(line.buf, "{}", now.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
        line.buf.push_str("\",\"level\":\"");
        line.buf.push_str(event.metadata().level().as_str());
        line.buf.push('"');
        line.string("target", event.metadata().target());
        event.record(&mut line);
        let ids = LineIds::of_current(line.has_request_id);
        if let Some(r) = &ids.request_id {
            line.string("request_id", r);
        }
        if let Some(t) = &ids.trace_id {
            line.string("trace_id", t);
        }
        if let Some(s) = &ids.span_id {
            line.string("span_id", s);
        }
        line.buf.push_str("}\n");
        writer.write_str(&line.buf)
    }
}

/// The ids a log line carries besides its own fields, each only when it has a value: the
/// request's id (unless the event names one), the trace (the request's, else the running
/// span's) and the running span.
pub(super) struct LineIds {
    pub(super) request_id: Option<String>,
    pub(super) trace_id: Option<String>,
    pub(super) span_id: Option<String>,
}

impl LineIds {
    pub(super) fn of_current(event_has_request_id: bool) -> LineIds {
        let (request_id, trace_id) = super::CONTEXT
            .try_with(|c| {
                let id = (!event_has_request_id && !c.request_id.is_empty())
                    .then(|| c.request_id.clone());
                (id, c.trace_id.clone())
            })
            .unwrap_or_default();
        let (span_trace, span_id) = super::otel::current_ids().unzip();
        LineIds {
            request_id,
            trace_id: trace_id.or(span_trace),
            span_id,
        }
    }
}

#[derive(Default)]
struct Line {
    buf: String,
    has_request_id: bool,
}

impl Line {
    fn key(&mut self, name: &str) {
        self.buf.push(',');
        push_json_str(&mut self.buf, name);
        self.buf.push(':');
    }

    fn string(&mut self, name: &str, value: &str) {
        self.key(name);
        let value = &bounded(value);
        if LIST_FIELDS.contains(&name) {
            self.buf.push('[');
            for (i, item) in value.split(',').filter(|s| !s.is_empty()).enumerate() {
                if i > 0 {
                    self.buf.push(',');
                }
                push_json_str(&mut self.buf, item);
            }
            self.buf.push(']');
        } else {
            push_json_str(&mut self.buf, value);
        }
    }
}

/// Longest field value written whole: a line stays readable and bounded, whatever a
/// message or an error carries (a huge file's parse error, a runaway debug print).
const MAX_FIELD_BYTES: usize = 4096;

/// `value`, cut at [`MAX_FIELD_BYTES`] (on a character boundary) with a marker saying so.
fn bounded(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= MAX_FIELD_BYTES {
        return value.into();
    }
    let mut end = MAX_FIELD_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[truncated, {} bytes]", &value[..end], value.len()).into()
}

/// Fields written comma-separated by the code and printed as JSON arrays (`tracing` fields
/// cannot hold a list).
const LIST_FIELDS: &[&str] = &["urssaf_codes"];

impl Visit for Line {
    /// An empty value is left out: a field is there when it says something.
    fn record_str(&mut self, field: &Field, value: &str) {
        if value.is_empty() {
            return;
        }
        if field.name() == "request_id" {
            self.has_request_id = true;
        }
        self.string(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.record_str(field, &text);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field.name());
        let _ = write!(self.buf, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field.name());
        let _ = write!(self.buf, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field.name());
        if value.is_finite() {
            let _ = write!(self.buf, "{value}");
        } else {
            self.buf.push_str("null");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field.name());
        self.buf.push_str(if value { "true" } else { "false" });
    }
}

/// Writes `s` as a JSON string (RFC 8259 escapes).
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_into_valid_json() {
        let mut b = String::new();
        push_json_str(&mut b, "a\"b\\c\nd\u{1}é");
        let back: String = serde_json::from_str(&b).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn lines_name_their_target_and_leave_empty_fields_out() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;

        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Buffer::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(JsonLines)
                .with_writer(move || writer.clone()),
        );
        // A background task runs with an empty context (no request).
        let context = crate::telemetry::RequestContext::default();
        tracing::subscriber::with_default(subscriber, || {
            crate::telemetry::CONTEXT.sync_scope(context, || {
                tracing::info!(target: "actix_server::worker", codes = "", tenant = "acme", "background");
            })
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["target"], "actix_server::worker", "{text}");
        assert_eq!(v["tenant"], "acme", "{text}");
        assert!(v.get("request_id").is_none(), "{text}");
        assert!(v.get("codes").is_none(), "{text}");
        assert!(v.get("span_id").is_none(), "no span: {text}");
    }

    #[test]
    fn long_values_are_cut_with_a_marker() {
        let mut line = Line::default();
        line.string("problems", &"é".repeat(100_000));
        line.string("tenant", "acme");
        let v: serde_json::Value =
            serde_json::from_str(&format!("{{\"a\":1{}}}", line.buf)).unwrap();
        let p = v["problems"].as_str().unwrap();
        assert!(p.len() < MAX_FIELD_BYTES + 64, "{}", p.len());
        assert!(p.ends_with("…[truncated, 200000 bytes]"), "{p}");
        assert_eq!(v["tenant"], "acme");
    }
}
