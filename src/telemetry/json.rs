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
        let mut line = Line::begin(event.metadata().level().as_str(), event.metadata().target());
        event.record(&mut line);
        let buf = line.end();
        let written = writer.write_str(&buf);
        recycle(buf);
        written
    }
}

impl Line {
    /// A line's head, in this thread's buffer, kept from line to line (no allocation per
    /// line); a line logged while one is being built (a `Debug` that logs) gets its own.
    pub(super) fn begin(level: &str, target: &str) -> Line {
        let mut line = Line {
            // `try_with`: a thread being torn down may still log.
            buf: LINE_BUFFER
                .try_with(|b| b.try_borrow_mut().map(|mut b| std::mem::take(&mut *b)).ok())
                .ok()
                .flatten()
                .unwrap_or_default(),
            has_request_id: false,
        };
        line.buf.clear();
        line.buf.reserve(LINE_CAPACITY);
        line.buf.push_str("{\"timestamp\":\"");
        push_timestamp(&mut line.buf, chrono::Utc::now());
        line.buf.push_str("\",\"level\":\"");
        line.buf.push_str(level);
        line.buf.push('"');
        line.string("target", target);
        line
    }

    /// The whole line: the request's and trace's ids added, closed, with its newline.
    pub(super) fn end(mut self) -> String {
        put_line_ids(self.has_request_id, |name, value| self.string(name, value));
        self.buf.push_str("}\n");
        self.buf
    }
}

/// Gives a line's buffer back to this thread, unless a runaway line grew it.
pub(super) fn recycle(buf: String) {
    if buf.capacity() <= 4 * LINE_CAPACITY {
        let _ = LINE_BUFFER.try_with(|b| b.try_borrow_mut().map(|mut b| *b = buf));
    }
}

/// Hands `put` the ids a log line carries besides its own fields, each only when it has a
/// value and borrowed (no copy per line): the request's id (unless the event names one), the
/// trace (the request's, else the running span's) and the running span.
pub(super) fn put_line_ids(event_has_request_id: bool, mut put: impl FnMut(&'static str, &str)) {
    let span = super::otel::current_ids();
    let mut has_trace = false;
    let _ = super::CONTEXT.try_with(|c| {
        if !event_has_request_id && !c.request_id.is_empty() {
            put("request_id", &c.request_id);
        }
        if let Some(t) = &c.trace_id {
            put("trace_id", t);
            has_trace = true;
        }
    });
    if let Some((trace_id, span_id)) = &span {
        if !has_trace {
            put("trace_id", trace_id);
        }
        put("span_id", span_id);
    }
}

/// Room for a typical line without growing (an access line is about 300 bytes).
const LINE_CAPACITY: usize = 512;

thread_local! {
    static LINE_BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

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
    // `.{micros:06}Z` without the formatting machinery.
    let mut frac = *b".000000Z";
    let mut rest = micros;
    for digit in frac[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buf.push_str(std::str::from_utf8(&frac).unwrap_or(".000000Z"));
}

#[derive(Default)]
pub(super) struct Line {
    buf: String,
    has_request_id: bool,
}

impl Line {
    fn key(&mut self, name: &str) {
        self.buf.push(',');
        push_json_str(&mut self.buf, name);
        self.buf.push(':');
    }

    /// A field of the gateway's own, whose name needs no escape: written as it is.
    pub(super) fn own(&mut self, name: &'static str) -> &mut Line {
        debug_assert!(!name.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]));
        self.buf.push_str(",\"");
        self.buf.push_str(name);
        self.buf.push_str("\":");
        self
    }

    /// A string value after [`Line::own`], cut as any value is.
    pub(super) fn str_value(&mut self, value: &str) {
        push_json_str(&mut self.buf, &bounded(value));
    }

    pub(super) fn u64_value(&mut self, value: u64) {
        self.buf.push_str(itoa::Buffer::new().format(value));
    }

    pub(super) fn f64_value(&mut self, value: f64) {
        if value.is_finite() {
            self.buf.push_str(zmij::Buffer::new().format_finite(value));
        } else {
            self.buf.push_str("null");
        }
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

    /// Written straight into the line, escaped as it comes (a message is one of these: no
    /// string made per line); cut and left out as [`Line::string`] would.
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let name = field.name();
        if name == "request_id" || LIST_FIELDS.contains(&name) {
            let text = format!("{value:?}");
            return self.record_str(field, &text);
        }
        let mark = self.buf.len();
        self.key(name);
        self.buf.push('"');
        let mut out = Escaping {
            buf: &mut self.buf,
            total: 0,
        };
        let _ = write!(out, "{value:?}");
        let total = out.total;
        if total == 0 {
            self.buf.truncate(mark);
            return;
        }
        if total > MAX_FIELD_BYTES {
            let _ = write!(self.buf, "…[truncated, {total} bytes]");
        }
        self.buf.push('"');
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field.name());
        self.buf.push_str(itoa::Buffer::new().format(value));
    }

    // Numbers as serde_json writes them, without the formatting machinery (`write!` of an
    // `f64` was a tenth of an access line's cost).
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field.name());
        self.u64_value(value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field.name());
        self.f64_value(value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field.name());
        self.buf.push_str(if value { "true" } else { "false" });
    }
}

/// Writes what it is given into a line as the inside of a JSON string, up to
/// [`MAX_FIELD_BYTES`] (cut on a character boundary), counting everything it was given.
struct Escaping<'a> {
    buf: &'a mut String,
    total: usize,
}

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = MAX_FIELD_BYTES.saturating_sub(self.total);
        self.total += s.len();
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        push_escaped(self.buf, &s[..end]);
        Ok(())
    }
}

/// Writes `s` as a JSON string (RFC 8259 escapes).
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    push_escaped(buf, s);
    buf.push('"');
}

/// The bytes a JSON string cannot hold as they are: controls, `"` and `\\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Whether any byte of `s` needs an escape, eight bytes at a time: for each word, the classic
/// "has a byte below n" and "has a zero byte" tests (exact, whatever the other bytes hold),
/// then the table for the last few bytes (a lookup per byte: ~1,050 instructions a line, ~810 now).
fn needs_escape(s: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut words = s.as_bytes().chunks_exact(8);
    for chunk in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_ne_bytes(w);
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
        if control
            || has_zero(w ^ (ONES * u64::from(b'"')))
            || has_zero(w ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|b| NEEDS_ESCAPE[usize::from(*b)])
}

/// The inside of a JSON string. Most values need no escape: that is checked first and the
/// value copied whole; otherwise runs of bytes that need none are copied whole (a
/// byte-by-byte push was half of a line's cost).
fn push_escaped(buf: &mut String, s: &str) {
    if !needs_escape(s) {
        buf.push_str(s);
        return;
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_test_finds_what_the_table_finds() {
        // Every byte at every position of a word and of the tail, among bytes that need none
        // (ASCII, and UTF-8's high bytes, which the word test must not mistake).
        for filler in ["abcdefghijklmnopq", "ééééééééé"] {
            let chars: Vec<char> = filler.chars().collect();
            for b in 0u8..=0x7f {
                for at in 0..=chars.len() {
                    let mut v = chars.clone();
                    v.insert(at, char::from(b));
                    let s: String = v.into_iter().collect();
                    let expected = s.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]);
                    assert_eq!(needs_escape(&s), expected, "{s:?}");
                }
            }
        }
        assert!(!needs_escape(""));
        assert!(!needs_escape(
            "Transmission DP possible à partir du 06/12/2026"
        ));
        assert!(needs_escape("0123456789abcdef\u{7f}\u{1f}"));
    }

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
        use super::super::test_buffer::{json_subscriber, Buffer};
        let out = Buffer::default();
        let subscriber = json_subscriber(&out);
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
    fn debug_values_and_messages_are_escaped_cut_and_left_out_when_empty() {
        use super::super::test_buffer::{json_subscriber, Buffer};
        let out = Buffer::default();
        let subscriber = json_subscriber(&out);
        let long = "é".repeat(3_000);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(error = %long, empty = %"", quoted = ?"a\"b", "say \"hi\"\n{}", 42);
        });
        let text = out.text();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["message"], "say \"hi\"\n42", "{text}");
        assert_eq!(v["quoted"], "\"a\\\"b\"", "{text}");
        assert!(v.get("empty").is_none(), "{text}");
        let error = v["error"].as_str().unwrap();
        assert!(error.ends_with("…[truncated, 6000 bytes]"), "{error}");
        assert_eq!(
            error.len(),
            MAX_FIELD_BYTES + "…[truncated, 6000 bytes]".len()
        );
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
