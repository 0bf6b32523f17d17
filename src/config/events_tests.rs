//! Webhook settings: tenant URL and secrets from the environment, `[events]` keys.

use super::*;

const SECRET_1: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const SECRET_2: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn tenant_vars(env: &str, url: &str, secret: &str) -> Vec<(String, String)> {
    [
        ("GATEWAY__UPSTREAM__ENVIRONMENT", env),
        ("GATEWAY__TENANTS__ACME__CLIENT_ID", "c"),
        ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "s"),
        ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", &"a".repeat(64)),
        ("GATEWAY__TENANTS__ACME__WEBHOOK_URL", url),
        ("GATEWAY__TENANTS__ACME__WEBHOOK_SECRET", secret),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn webhook_from_environment_with_two_secrets() {
    let both = format!("{SECRET_2} {SECRET_1}");
    let s = Settings::load_from(
        None,
        tenant_vars("sandbox", "https://billing.example/hooks", &both),
    )
    .unwrap();
    let w = s.tenants["acme"].webhook.as_ref().unwrap();
    assert_eq!(w.secrets.len(), 2);
    assert_eq!(w.url.origin(), "https://billing.example");
    assert!(
        !s.private_targets_allowed(&s.tenants["acme"]),
        "off for a tenant of Urssaf's sandbox"
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    assert!(
        !format!("{s:?}").contains("C2FV"),
        "secrets are never printed"
    );
    let comma = format!("{SECRET_2},{SECRET_1}");
    let s =
        Settings::load_from(None, tenant_vars("sandbox", "https://b.example/", &comma)).unwrap();
    assert_eq!(s.tenants["acme"].webhook.as_ref().unwrap().secrets.len(), 2);
}

#[test]
fn bad_webhook_values_stop_the_gateway_with_one_line_each() {
    let p = Settings::load_from(None, tenant_vars("sandbox", "ftp://x", "whsec_%%")).unwrap_err();
    assert!(
        p.iter()
            .any(|l| l.starts_with("tenants.acme.webhook_url: scheme")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("tenants.acme.webhook_secret: secret 1:") && !l.contains("%%")),
        "{p:?}"
    );
    let p =
        Settings::load_from(None, tenant_vars("sandbox", "https://x.example/", "")).unwrap_err();
    assert!(
        p.iter()
            .any(|l| l.starts_with("tenants.acme.webhook_secret: missing")),
        "{p:?}"
    );
}

#[test]
fn private_targets_allowed_only_on_the_embedded_default_unless_set() {
    let metadata = "https://169.254.169.254/latest";
    let s = Settings::load_from(None, tenant_vars("sandbox", metadata, SECRET_1)).unwrap();
    assert_eq!(
        s.problems(),
        ["tenants.acme.webhook_url: 169.254.169.254 is a link-local address (cloud metadata lives there); not allowed as a webhook target"]
    );
    let s = Settings::load_from(
        None,
        tenant_vars("sandbox", "http://billing.example/", SECRET_1),
    )
    .unwrap();
    assert!(
        s.problems()[0].contains("must be https"),
        "{:?}",
        s.problems()
    );
    let s = Settings::load_from(
        None,
        tenant_vars("embedded", "http://127.0.0.1:9/", SECRET_1),
    )
    .unwrap();
    assert!(s.private_targets_allowed(&s.tenants["acme"]));
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    let mut v = tenant_vars("embedded", "http://127.0.0.1:9/", SECRET_1);
    v.push((
        "GATEWAY__EVENTS__ALLOW_PRIVATE_TARGETS".into(),
        "false".into(),
    ));
    let s = Settings::load_from(None, v).unwrap();
    assert!(!s.private_targets_allowed(&s.tenants["acme"]));
    assert_eq!(s.problems().len(), 1);
}

#[test]
fn retry_schedule_from_file_defaults_or_environment() {
    let s = Settings::load_from(None, Vec::new()).unwrap();
    let total: u64 = s.events.webhook_retry_schedule.iter().sum();
    assert!(total >= 24 * 3600);
    let env = |v: &str| {
        Settings::load_from(
            None,
            vec![(
                "GATEWAY__EVENTS__WEBHOOK_RETRY_SCHEDULE".to_string(),
                v.to_string(),
            )],
        )
    };
    assert_eq!(
        env("1, 2,3").unwrap().events.webhook_retry_schedule,
        [1, 2, 3]
    );
    let p = env("1,soon").unwrap_err();
    assert_eq!(
        p,
        ["events.webhook_retry_schedule: \"soon\" is not a number of seconds from 0 to 604800"]
    );
}

#[test]
fn huge_webhook_durations_are_refused_not_overflowed() {
    let load = |name: &str, v: &str| {
        Settings::load_from(
            None,
            vec![(format!("GATEWAY__EVENTS__{name}"), v.to_string())],
        )
    };
    let max = u64::MAX.to_string();
    for (name, value, says) in [
        (
            "WEBHOOK_RETENTION_HOURS",
            max.as_str(),
            "webhook_retention_hours must be 1 to 8760",
        ),
        (
            "WEBHOOK_VISIBILITY_SECONDS",
            max.as_str(),
            "webhook_visibility_seconds: must be 1 to 86400",
        ),
        (
            "WEBHOOK_RETRY_SCHEDULE",
            "5,18446744073709551615",
            "from 0 to 604800",
        ),
        (
            "WEBHOOK_RETRY_SCHEDULE",
            "9223372036854775807,9223372036854775807",
            "from 0 to 604800",
        ),
    ] {
        let p = load(name, value).unwrap_err();
        assert!(p.iter().any(|l| l.contains(says)), "{name}={value}: {p:?}");
    }
    let many = vec!["1"; 51].join(",");
    let p = load("WEBHOOK_RETRY_SCHEDULE", &many).unwrap_err();
    assert!(p.iter().any(|l| l.contains("at most 50 retries")), "{p:?}");
}

#[test]
fn a_tenant_file_reads_its_webhook_secret_from_a_sibling_file() {
    let dir = std::env::temp_dir().join(format!("wh-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acme.yaml");
    let hash = "a".repeat(64);
    std::fs::write(
        &file,
        format!("client_id: c\nclient_secret: s\napi_key_hashes: [\"{hash}\"]\nwebhook_url: https://b.example/h\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("acme.webhook_secret"),
        format!("{SECRET_2}\n{SECRET_1}\n"),
    )
    .unwrap();
    let (id, t) =
        crate::config::read_tenant_file(&dir.canonicalize().unwrap(), &file, 65_536).unwrap();
    assert_eq!(id, "acme");
    assert_eq!(t.webhook.unwrap().secrets.len(), 2);
    std::fs::remove_file(dir.join("acme.webhook_secret")).unwrap();
    let p =
        crate::config::read_tenant_file(&dir.canonicalize().unwrap(), &file, 65_536).unwrap_err();
    assert!(p[0].ends_with("tenants.acme.webhook_secret: missing; deliveries are signed (whsec_ + base64 of 24 random bytes)"), "{p:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_production_tenant_of_an_embedded_gateway_gets_no_private_target() {
    let mut v = tenant_vars("embedded", "http://169.254.169.254/", SECRET_1);
    v.push((
        "GATEWAY__TENANTS__ACME__ENVIRONMENT".into(),
        "production".into(),
    ));
    let s = Settings::load_from(None, v).unwrap();
    assert!(!s.private_targets_allowed(&s.tenants["acme"]));
    assert_eq!(s.problems().len(), 1, "{:?}", s.problems());
}

#[test]
fn unknown_tenant_keys_and_bad_ids_are_refused_from_the_configuration() {
    let mut v = tenant_vars("sandbox", "https://billing.example/", SECRET_1);
    v.push((
        "GATEWAY__TENANTS__ACME__WEBHOOK_UR1".into(),
        "https://x.example/".into(),
    ));
    let p = Settings::load_from(None, v).unwrap_err();
    assert!(p.iter().any(|l| l.contains("webhook_ur1")), "{p:?}");
    let v: Vec<(String, String)> = tenant_vars("sandbox", "https://billing.example/", SECRET_1)
        .into_iter()
        .map(|(k, v)| (k.replace("__ACME__", "__-RF__"), v))
        .collect();
    let p = Settings::load_from(None, v).unwrap_err();
    assert!(p.iter().any(|l| l.contains("lower-case")), "{p:?}");
}

#[test]
fn the_embedded_default_polls_often_and_stops_at_once() {
    let load = |pairs: &[(&str, &str)]| {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load_from(None, vars).unwrap()
    };
    let embedded = load(&[]);
    assert_eq!(embedded.events.poll_interval_seconds, 2);
    assert_eq!(embedded.drain_seconds(), 0);
    assert_eq!(embedded.log.format, LogFormat::Auto);
    let hash = "a".repeat(64);
    let sandbox = load(&[
        ("GATEWAY__UPSTREAM__ENVIRONMENT", "sandbox"),
        ("GATEWAY__TENANTS__ACME__CLIENT_ID", "id"),
        ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "s"),
        ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", &hash),
        ("GATEWAY__LOG__FORMAT", "pretty"),
    ]);
    assert_eq!(sandbox.events.poll_interval_seconds, 300);
    assert_eq!(sandbox.drain_seconds(), 5);
    assert_eq!(
        sandbox.log.format,
        LogFormat::Text,
        "pretty: text's former name"
    );
    let set = load(&[
        ("GATEWAY__EVENTS__POLL_INTERVAL_SECONDS", "60"),
        ("GATEWAY__SERVER__DRAIN_SECONDS", "3"),
    ]);
    assert_eq!(set.events.poll_interval_seconds, 60);
    assert_eq!(set.drain_seconds(), 3);
}

#[test]
fn two_settings_give_the_demo_tenant_a_webhook() {
    let load = |pairs: &[(&str, &str)]| {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load_from(None, vars)
    };
    let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let s = load(&[
        (
            "GATEWAY__TENANTS__DEMO__WEBHOOK_URL",
            "http://127.0.0.1:9000/hook",
        ),
        ("GATEWAY__TENANTS__DEMO__WEBHOOK_SECRET", secret),
    ])
    .unwrap();
    assert!(
        s.tenants.is_empty(),
        "the demo tenant is still made at start"
    );
    let w = s.demo_webhook.as_ref().expect("the demo's webhook");
    assert_eq!(w.url.url().as_str(), "http://127.0.0.1:9000/hook");
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    // Half of it is still a clear problem…
    let e = load(&[("GATEWAY__TENANTS__DEMO__WEBHOOK_SECRET", secret)]).unwrap_err();
    assert_eq!(
        e,
        ["tenants.demo.webhook_url: missing (webhook_secret is set)"]
    );
    // …and outside the embedded default, `demo` is a tenant like any other.
    let e = load(&[
        ("GATEWAY__UPSTREAM__ENVIRONMENT", "sandbox"),
        (
            "GATEWAY__TENANTS__DEMO__WEBHOOK_URL",
            "https://example.org/hook",
        ),
        ("GATEWAY__TENANTS__DEMO__WEBHOOK_SECRET", secret),
    ])
    .unwrap_err();
    assert!(
        e.contains(&"tenants.demo.client_id: missing".to_string()),
        "{e:?}"
    );
}
