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
        let mut line = Line {
            buf: String::with_capacity(LINE_CAPACITY),
            has_request_id: false,
        };
        line.buf.push_str("{\"timestamp\":\"");
        push_timestamp(&mut line.buf, chrono::Utc::now());
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

/// Room for a typical line without growing (an access line is about 300 bytes).
const LINE_CAPACITY: usize = 512;

/// `2026-03-05T10:20:30.123456Z`, as chrono's `%Y-%m-%dT%H:%M:%S%.6fZ` writes it, without
/// parsing a format string per line: the part up to the second is kept per thread and
/// rewritten when the second changes.
fn push_timestamp(buf: &mut String, now: chrono::DateTime<chrono::Utc>) {
    use std::cell::RefCell;
    thread_local! {
        static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let micros = now.timestamp_subsec_micros().min(999_999);
    SECOND.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != now.timestamp() {
            cached.1.clear();
            let _ = write!(cached.1, "{}", now.format("%Y-%m-%dT%H:%M:%S"));
            cached.0 = now.timestamp();
        }
        buf.push_str(&cached.1);
    });
    let _ = write!(buf, ".{micros:06}Z");
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
pub(super) fn bounded(value: &str) -> std::borrow::Cow<'_, str> {
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

/// Writes `s` as a JSON string (RFC 8259 escapes). Runs of bytes that need no escape are
/// copied whole: most values have none (a byte-by-byte push was half of a line's cost).
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte: a character boundary.
        buf.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(buf, "\\u{:04x}", b);
        } else {
            buf.push_str(escape);
        }
        start = i + 1;
    }
    buf.push_str(&s[start..]);
    buf.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_chrono_writes_them() {
        for ts in [
            "2026-03-05T10:20:30.123456789Z",
            "2026-03-05T10:20:30.000001Z",
            "2026-03-05T10:20:31Z",
            "1999-12-31T23:59:59.999999999Z",
        ] {
            let t: chrono::DateTime<chrono::Utc> = ts.parse().unwrap();
            let mut b = String::new();
            push_timestamp(&mut b, t);
            assert_eq!(b, t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        }
    }

    #[test]
    fn strings_are_escaped_into_valid_json() {
        let mut b = String::new();
        let s = "a\"b\\c\nd\u{1}é\r\t\u{1f}z\u{7f}";
        push_json_str(&mut b, s);
        let back: String = serde_json::from_str(&b).unwrap();
        assert_eq!(back, s);
        assert_eq!(b, "\"a\\\"b\\\\c\\nd\\u0001é\\r\\t\\u001fz\u{7f}\"");
    }

    #[test]
    fn lines_name_their_target_and_leave_empty_fields_out() {
        use tracing_subscriber::layer::SubscriberExt;

        use super::super::test_buffer::Buffer;
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
        let text = out.text();
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
