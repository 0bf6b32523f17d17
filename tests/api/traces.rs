//! OpenTelemetry traces, the way a collector receives them: the real binary exports over
//! OTLP/HTTP to a receiver in the test, which decodes the protobuf spans.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::helpers::{TestApp, TENANT_A};
use crate::process::start;

/// Every span received, from every export.
type Received = Arc<Mutex<Vec<Span>>>;

async fn receiver() -> (String, Received) {
    let spans: Received = Arc::default();
    let kept = spans.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    let Ok(req) = ExportTraceServiceRequest::decode(body) else {
                        return HttpResponse::BadRequest().finish();
                    };
                    let mut all = kept.lock().unwrap();
                    for rs in req.resource_spans {
                        for ss in rs.scope_spans {
                            all.extend(ss.spans);
                        }
                    }
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, spans)
}

#[tokio::test]
async fn one_trace_runs_from_the_callers_traceparent_through_urssaf_and_the_token() {
    let (otlp, spans) = receiver().await;
    let app = TestApp::builder().no_gateway().start().await;
    let mut env: Vec<(String, String)> = app.gateway_env().to_vec();
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), otlp));
    env.push(("OTEL_SERVICE_NAME".into(), "gateway-under-test".into()));
    env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let gw = start(&env);

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let status = app
        .http
        .get(format!(
            "http://127.0.0.1:{}/v1/clients/some-client",
            gw.port
        ))
        .bearer_auth(app.key(TENANT_A.id))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "Urssaf knows no such client");

    // The batch exporter sends within a few tenths of a second.
    let started = Instant::now();
    let ours = |s: &Span| hex(&s.trace_id) == trace_id;
    loop {
        let got = spans.lock().unwrap().clone();
        let server = got
            .iter()
            .find(|s| ours(s) && s.kind == SpanKind::Server as i32);
        let call = got
            .iter()
            .find(|s| ours(s) && s.kind == SpanKind::Client as i32 && s.name == "client_status");
        let token = got.iter().find(|s| ours(s) && s.name == "urssaf token");
        if let (Some(server), Some(call), Some(_token)) = (server, call, token) {
            assert_eq!(
                hex(&server.parent_span_id),
                caller_span,
                "continues the caller's span"
            );
            assert_eq!(server.name, "GET /v1/clients/{client_id}");
            assert_eq!(
                call.parent_span_id, server.span_id,
                "the Urssaf call is the request's child"
            );
            let attr = |s: &Span, k: &str| {
                s.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .and_then(|a| a.value.as_ref())
                    .map(|v| format!("{:?}", v.value))
            };
            assert!(
                attr(server, "http.route").is_some_and(|v| v.contains("/v1/clients/{client_id}"))
            );
            assert!(attr(server, "http.response.status_code").is_some_and(|v| v.contains("404")));
            assert!(attr(call, "http.response.status_code").is_some_and(|v| v.contains("400")));
            assert!(
                attr(call, "urssaf.codes").is_some_and(|v| v.contains("ERR_RECHERCHE_PARTICULIER"))
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "spans received: {:?}",
            got.iter()
                .map(|s| (&s.name, hex(&s.trace_id)))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every log line of the request names the trace.
    let lines = gw.stdout.lock().unwrap().clone();
    let request_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("/v1/clients/{client_id}") || l.contains("urssaf call"))
        .collect();
    assert!(!request_lines.is_empty(), "{lines:?}");
    for l in request_lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["trace_id"], trace_id, "{l}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
