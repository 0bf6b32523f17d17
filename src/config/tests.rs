//! Loading and checking settings.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_load_and_are_valid() {
    let s = Settings::load_from(None, vars(&[])).unwrap();
    assert_eq!(s.server.port, 8080);
    assert_eq!(s.upstream.environment, Environment::Embedded);
    assert!(s.problems().is_empty(), "{:?}", s.problems());
}

#[test]
fn env_overrides_and_tenants() {
    let hash = "a".repeat(64);
    let s = Settings::load_from(
        None,
        vars(&[
            ("GATEWAY__SERVER__PORT", "9000"),
            ("GATEWAY__UPSTREAM__ENVIRONMENT", "sandbox"),
            ("GATEWAY__TENANTS__ACME__CLIENT_ID", "0012345"),
            ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "s3cret"),
            (
                "GATEWAY__TENANTS__ACME__API_KEY_HASHES",
                &format!("{hash},{hash}"),
            ),
        ]),
    )
    .unwrap();
    assert_eq!(s.server.port, 9000);
    let t = &s.tenants["acme"];
    // Values that look like numbers stay as written.
    assert_eq!(t.client_id, "0012345");
    assert_eq!(t.api_key_hashes.len(), 2);
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    assert!(!format!("{s:?}").contains("s3cret"));
}

#[test]
fn every_tenant_problem_at_once() {
    let p = Settings::load_from(
        None,
        vars(&[
            ("GATEWAY__UPSTREAM__ENVIRONMENT", "production"),
            ("GATEWAY__TENANTS__ACME__WORKER_ID", "SAP1"),
            ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", "nothex"),
        ]),
    )
    .unwrap_err();
    assert!(
        p.iter().any(|l| l == "tenants.acme.client_id: missing"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("tenants.acme.client_secret: missing")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|l| l.starts_with("tenants.acme.worker_id:")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|l| l
            == "tenants.acme.api_key_hashes: \"nothex\" is not a SHA-256 hex digest (64 hex characters)"),
        "{p:?}"
    );
}

#[test]
fn values_are_parsed_at_load_naming_the_key() {
    for (var, value, key) in [
        (
            "GATEWAY__TOKEN__ENCRYPTION_KEY",
            "abc",
            "token.encryption_key",
        ),
        (
            "GATEWAY__UPSTREAM__BASE_URL",
            "nowhere",
            "upstream.base_url",
        ),
    ] {
        let e = Settings::load_from(None, vars(&[(var, value)])).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with(&format!("{key}: ")), "{e:?}");
    }
}

#[test]
fn a_key_shared_by_two_tenants_is_refused() {
    let hash = "b".repeat(64);
    let s = Settings::load_from(
        None,
        vars(&[
            ("GATEWAY__TENANTS__ACME__CLIENT_ID", "a"),
            ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "1e5"),
            ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", &hash),
            ("GATEWAY__TENANTS__BETA__CLIENT_ID", "b"),
            ("GATEWAY__TENANTS__BETA__CLIENT_SECRET", "s"),
            ("GATEWAY__TENANTS__BETA__API_KEY_HASHES", &hash),
        ]),
    )
    .unwrap();
    assert_eq!(
        s.problems(),
        [format!("tenants.beta.api_key_hashes: {hash} is also a key of tenant acme; a key acts for one tenant only")]
    );
    let secret = &s.tenants["acme"].client_secret;
    assert_eq!(secret.expose_secret(), "1e5");
}

#[test]
fn tls_redis_urls_are_accepted() {
    let s = Settings::load_from(
        None,
        vars(&[(
            "GATEWAY__REDIS__URL",
            "rediss://user:pw@redis.example:6380/0",
        )]),
    )
    .unwrap();
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    let s = Settings::load_from(None, vars(&[("GATEWAY__REDIS__URL", "http://nope")])).unwrap();
    assert_eq!(
        s.problems(),
        ["redis.url: not a valid redis:// or rediss:// URL"]
    );
}

#[test]
fn bad_enum_is_reported() {
    let e = Settings::load_from(None, vars(&[("GATEWAY__LOG__FORMAT", "xml")])).unwrap_err();
    assert!(e[0].contains("xml"), "{e:?}");
}
