//! The access line: one per request served. With JSON logs (the default in production) it is
//! built and written here, straight to the batched writer: the same line as through `tracing`
//! (a test compares them), at about a third of its cost, since `tracing`'s dispatch, its
//! field visitor and the log layer's own buffer were most of a request's logging work
//! (docs/performance.md). The level filter still decides (`RUST_LOG`, `log.level`); text logs
//! and a process without the gateway's subscriber (tests) go through `tracing`.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// The access line's target, as `tracing` would name it.
pub const TARGET: &str = "urssaf_gateway::api::observe";

/// Set by [`super::init`] once the JSON log layer is installed.
pub(super) static DIRECT: AtomicBool = AtomicBool::new(false);

/// What the access line says of a request.
pub struct AccessLine<'a> {
    pub tenant: Option<&'a str>,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency_ms: f64,
    pub urssaf_calls: u32,
    pub urssaf_ms: f64,
}

/// Writes the access line of the request being served (at INFO).
pub fn access(a: &AccessLine<'_>) {
    if !DIRECT.load(Ordering::Relaxed) {
        tracing::info!(
            target: TARGET,
            tenant = a.tenant,
            method = a.method,
            route = a.route,
            status = a.status,
            latency_ms = a.latency_ms,
            urssaf_calls = a.urssaf_calls,
            urssaf_ms = a.urssaf_ms,
            "request"
        );
        return;
    }
    if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return;
    }
    let line = json_line(a);
    let _ = super::writer::Line.write_all(line.as_bytes());
    super::json::recycle(line);
}

/// The line `tracing` and [`super::json::JsonLines`] would write for the same event.
fn json_line(a: &AccessLine<'_>) -> String {
    let mut line = super::json::Line::begin("INFO", TARGET);
    line.own("message").str_value("request");
    // Empty values are left out, as the visitor does (none of these is ever empty).
    for (name, value) in [
        ("tenant", a.tenant.unwrap_or("")),
        ("method", a.method),
        ("route", a.route),
    ] {
        if !value.is_empty() {
            line.own(name).str_value(value);
        }
    }
    line.own("status").u64_value(a.status.into());
    line.own("latency_ms").f64_value(a.latency_ms);
    line.own("urssaf_calls").u64_value(a.urssaf_calls.into());
    line.own("urssaf_ms").f64_value(a.urssaf_ms);
    line.end()
}

#[cfg(test)]
mod tests {
    use super::super::test_buffer::{json_subscriber, Buffer};
    use super::*;

    /// Everything but the timestamp.
    fn without_time(line: &str) -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        v.as_object_mut().unwrap().remove("timestamp");
        v
    }

    #[test]
    fn the_direct_line_is_the_line_tracing_writes() {
        let out = Buffer::default();
        let subscriber = || json_subscriber(&out);
        let context = crate::telemetry::RequestContext {
            request_id: "req-\"1\"".into(),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            urssaf: Default::default(),
        };
        for tenant in [Some("acme"), None] {
            let a = AccessLine {
                tenant,
                method: "GET",
                route: "/v1/clients/{client_id}",
                status: 200,
                latency_ms: 1.234567,
                urssaf_calls: 1,
                urssaf_ms: 0.5,
            };
            let direct = crate::telemetry::CONTEXT.sync_scope(context.clone(), || json_line(&a));
            tracing::subscriber::with_default(subscriber(), || {
                crate::telemetry::CONTEXT.sync_scope(context.clone(), || access(&a))
            });
            let traced = out.take();
            assert_eq!(
                without_time(&direct),
                without_time(&traced),
                "{direct}{traced}"
            );
            // The same text, field for field, not only the same values.
            let cut = |l: &str| l.split_once(",\"level\"").unwrap().1.to_string();
            assert_eq!(cut(&direct), cut(&traced));
        }
    }
}
