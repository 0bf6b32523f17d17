//! What the binary logs: JSON lines, no personal data or secret, malformed HTTP a warning.

use super::*;

#[test]
fn malformed_http_is_a_warning_not_an_error() {
    use std::io::{Read, Write};
    let gw = start::<&str, &str>(&[]);
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ] {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        stream.write_all(garbage).unwrap();
        let mut answer = Vec::new();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.starts_with(b"HTTP/1.1 400"));
    }
    let started = Instant::now();
    let warnings = loop {
        let lines = gw.stdout.lock().unwrap().clone();
        let warnings: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == "malformed or broken HTTP from a client")
            .collect();
        if warnings.len() == 3 || started.elapsed() > Duration::from_secs(5) {
            let errors: Vec<&String> = lines.iter().filter(|l| l.contains("\"ERROR\"")).collect();
            assert!(errors.is_empty(), "{errors:?}");
            break warnings;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(warnings.len(), 3);
    assert!(
        warnings.iter().all(|w| w["level"] == "WARN"),
        "{warnings:?}"
    );
    assert!(
        warnings[0]["detail"]
            .as_str()
            .unwrap()
            .contains("request parse error"),
        "{warnings:?}"
    );
}

/// Personal data that goes through the gateway in this test; none of it may reach a log line.
const PERSONAL: &[&str] = &[
    "Zoulikha",
    "Bercovici",
    "zoulikha.bercovici@example.org",
    "0611223344",
    "+33611223344",
    "FR7630004000031234567890143",
    "FR76",
    "BNPAFRPP",
    "1977-06-15",
    "Paix",
];

#[tokio::test]
async fn logs_are_json_lines_without_personal_data_or_secrets() {
    let gw = start::<&str, &str>(&[]);
    let key = gw.demo_key.clone().expect("demo key printed");
    assert!(gw.simulator_port.is_some(), "embedded simulator");
    let base = format!("http://127.0.0.1:{}", gw.port);
    let http = reqwest::Client::new();
    let registration = serde_json::json!({
        "title": "mrs", "birth_name": "Bercovici", "first_names": "Zoulikha", "birth_date": "1977-06-15",
        "birth_place": {"commune_code": "44109", "commune_name": "Nantes"},
        "mobile_phone": "+33 6 11 22 33 44", "email": "zoulikha.bercovici@example.org",
        "address": {"street_number": "3", "street_type": "R", "street_name": "de la Paix",
                    "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000"},
        "bank_account": {"iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Zoulikha Bercovici"}
    });
    let call = |req: reqwest::RequestBuilder| {
        let req = req.bearer_auth(&key);
        async move { read(req.send().await.expect("the binary answers")).await }
    };
    let register = |body| call(http.post(format!("{base}/v1/clients")).json(body));
    let (s, _, body) = register(&registration).await;
    assert_eq!(s, 201, "{body}");
    let client_id = text(&body["client_id"]);
    let (s, _, body) = call(http.get(format!("{base}/v1/clients/{client_id}"))).await;
    assert_eq!(s, 200, "{body}");
    // A rejected registration too: its Urssaf error must not drag data into the logs.
    let mut bad = registration.clone();
    bad["bank_account"]["iban"] = serde_json::json!("FR7630004000031234567890144");
    let (s, _, body) = register(&bad).await;
    assert_eq!(s, 422, "{body}");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let lines = gw.stdout.lock().unwrap().clone();
    assert!(lines.len() >= 4, "{lines:?}");
    let mut request_lines = 0;
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
        for p in PERSONAL {
            assert!(
                !line.contains(p),
                "personal data {p:?} in a log line: {line}"
            );
        }
        assert!(!line.contains(&key), "API key in a log line: {line}");
        assert!(
            !line.to_lowercase().contains("bearer"),
            "credentials in a log line: {line}"
        );
        // Each line names the module that wrote it, and says nothing empty (background
        // lines have no request id rather than an empty one).
        assert!(
            v["target"].as_str().is_some_and(|t| !t.is_empty()),
            "{line}"
        );
        let empty: Vec<&String> = v
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, value)| *value == "" || *value == &serde_json::json!([]))
            .map(|(k, _)| k)
            .collect();
        assert!(empty.is_empty(), "empty fields {empty:?}: {line}");
        if v["message"] == "request" {
            request_lines += 1;
            assert!(v["request_id"].is_string(), "{line}");
            assert!(
                v["route"].as_str().is_some_and(|r| !r.contains(&client_id)),
                "route template, not the URL: {line}"
            );
            assert!(
                v["status"].is_number() && v["latency_ms"].is_number(),
                "{line}"
            );
            assert_eq!(v["tenant"], "demo", "{line}");
            assert_eq!(v["target"], "urssaf_gateway::api::observe", "{line}");
            // Traces are not exported here: no span, so no span id.
            assert!(v.get("span_id").is_none(), "{line}");
        }
    }
    assert_eq!(request_lines, 3, "one line per request");
    let background = lines
        .iter()
        .filter(|l| !l.contains("\"request_id\""))
        .count();
    assert!(background > 0, "the start-up lines belong to no request");
}

/// Lines are written in batches: none may be lost when the process stops, down to the line
/// written last ("stopped", logged just before exit).
#[tokio::test]
async fn batched_log_lines_all_reach_stdout_on_sigterm() {
    let gw = start(&[("GATEWAY__SERVER__DRAIN_SECONDS", "0")]);
    let base = format!("http://127.0.0.1:{}", gw.port);
    let http = reqwest::Client::new();
    const CALLS: usize = 300;
    for i in 0..CALLS {
        let r = http
            .get(format!("{base}/no-such-route-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // Right after the last answer, before a periodic flush would carry its line.
    super::drain::sigterm(&gw);
    let mut gw = gw;
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = gw.child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "stopped");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    // The reader thread drains the pipe after the exit: wait until it has seen the last line.
    let lines = loop {
        let lines = gw.stdout.lock().unwrap().clone();
        if lines.last().is_some_and(|l| l.contains("\"stopped\""))
            || started.elapsed() > Duration::from_secs(10)
        {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("a whole JSON line: {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> = parsed
        .iter()
        .filter(|v| v["message"] == "request" && v["route"] == "unmatched")
        .collect();
    assert_eq!(requests.len(), CALLS, "one line per request, none lost");
    assert_eq!(
        parsed.last().map(|v| v["message"].clone()),
        Some(serde_json::json!("stopped")),
        "the last line logged is written"
    );
}
