//! Loading and checking settings.

use secrecy::ExposeSecret;

use super::*;

/// Environment variables as `Settings::load_from` takes them (also used by `show`'s tests).
pub(super) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
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
            == "tenants.acme.api_key_hashes: entry 1: not a SHA-256 hex digest (64 hex characters; `urssaf-gateway hash-key` makes one)"),
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

fn redis(pairs: &[(&str, &str)]) -> Result<RedisSettings, Vec<String>> {
    Settings::load_from(None, vars(pairs)).map(|s| s.redis)
}

#[test]
fn one_redis_node_by_url_or_urls() {
    let r = redis(&[(
        "GATEWAY__REDIS__URL",
        "rediss://user:pw@redis.example:6380/2",
    )])
    .unwrap();
    let Some(RedisServer::Standalone(info)) = &r.server else {
        panic!("{r:?}")
    };
    assert_eq!(info.redis_settings().db(), 2);
    assert!(!format!("{r:?}").contains("pw"), "{r:?}");
    let r = redis(&[("GATEWAY__REDIS__URLS", "redis://one:6379")]).unwrap();
    assert!(matches!(r.server, Some(RedisServer::Standalone(_))));
    // Unset, or set to nothing (an empty Helm value): no Redis.
    assert!(redis(&[]).unwrap().server.is_none());
    assert!(redis(&[("GATEWAY__REDIS__URL", " ")])
        .unwrap()
        .server
        .is_none());
}

#[test]
fn redis_password_setting_replaces_the_urls() {
    let r = redis(&[
        ("GATEWAY__REDIS__MODE", "cluster"),
        (
            "GATEWAY__REDIS__URLS",
            "redis://a:7000, redis://x:old@b:7001",
        ),
        ("GATEWAY__REDIS__USERNAME", "gw"),
        ("GATEWAY__REDIS__PASSWORD", "s3cret"),
    ])
    .unwrap();
    let Some(RedisServer::Cluster(seeds)) = &r.server else {
        panic!("{r:?}")
    };
    assert_eq!(seeds.len(), 2);
    for s in seeds {
        assert_eq!(s.redis_settings().username(), Some("gw"));
        assert_eq!(s.redis_settings().password(), Some("s3cret"));
    }
    assert!(!format!("{r:?}").contains("s3cret"));
}

#[test]
fn sentinel_credentials_and_master_credentials_are_apart() {
    let r = redis(&[
        ("GATEWAY__REDIS__MODE", "sentinel"),
        (
            "GATEWAY__REDIS__URLS",
            "redis://:spw@s1:26379/3,redis://s2:26379",
        ),
        ("GATEWAY__REDIS__SENTINEL_MASTER", "mymaster"),
        ("GATEWAY__REDIS__SENTINEL_PASSWORD", "sentinel-pw"),
        ("GATEWAY__REDIS__PASSWORD", "master-pw"),
    ])
    .unwrap();
    let Some(RedisServer::Sentinel {
        sentinels,
        master_name,
        master,
    }) = &r.server
    else {
        panic!("{r:?}")
    };
    assert_eq!(master_name, "mymaster");
    for s in sentinels {
        assert_eq!(s.redis_settings().password(), Some("sentinel-pw"));
        // Sentinels have no databases: the URL's is the master's.
        assert_eq!(s.redis_settings().db(), 0);
    }
    let shown = format!("{master:?}");
    assert!(
        shown.contains("db: 3") && !shown.contains("master-pw"),
        "{shown}"
    );
}

#[test]
fn every_redis_problem_at_once_naming_its_key() {
    let p = redis(&[
        ("GATEWAY__REDIS__MODE", "sentinel"),
        (
            "GATEWAY__REDIS__URLS",
            "redis://s1:26379,http://nope,redis+unix:///tmp/r.sock",
        ),
        ("GATEWAY__REDIS__KEY_PREFIX", "{gw}"),
    ])
    .unwrap_err();
    assert_eq!(
        p,
        [
            "redis.key_prefix: must not contain { or } (the gateway adds a hash tag per tenant, so that a tenant's keys share one Redis Cluster slot)",
            "redis.urls[1]: not a valid redis:// or rediss:// URL",
            "redis.urls[2]: sentinel mode needs host:port addresses, not a unix socket",
            "redis.sentinel_master: missing; redis.mode = sentinel needs the name the sentinels monitor the master under (e.g. mymaster)",
        ]
    );
    let one = |pairs: &[(&str, &str)]| {
        let p = redis(pairs).unwrap_err();
        assert_eq!(p.len(), 1, "{p:?}");
        p[0].clone()
    };
    let cluster = ("GATEWAY__REDIS__MODE", "cluster");
    assert!(one(&[("GATEWAY__REDIS__URLS", "redis://a,redis://b")])
        .starts_with("redis.urls: 2 URLs for redis.mode = standalone"));
    assert!(one(&[
        ("GATEWAY__REDIS__URL", "redis://a"),
        ("GATEWAY__REDIS__URLS", "redis://b")
    ])
    .starts_with("redis.urls: set either redis.url or redis.urls"));
    assert!(one(&[cluster]).starts_with("redis.urls: missing; redis.mode = cluster needs"));
    assert!(one(&[cluster, ("GATEWAY__REDIS__URLS", "redis://a/1")])
        .starts_with("redis.urls[0]: Redis Cluster has database 0 only"));
    assert!(
        one(&[cluster, ("GATEWAY__REDIS__URLS", "redis://a,rediss://b")])
            .starts_with("redis.urls: mixes redis:// and rediss://")
    );
    assert!(one(&[
        cluster,
        ("GATEWAY__REDIS__URLS", "redis://:x@a,redis://:y@b")
    ])
    .starts_with("redis.urls: the nodes' URLs carry different credentials"));
    assert!(one(&[
        cluster,
        ("GATEWAY__REDIS__URLS", "redis://a"),
        ("GATEWAY__REDIS__SENTINEL_MASTER", "m")
    ])
    .starts_with("redis.sentinel_master: only used with redis.mode = sentinel"));
    assert!(one(&[("GATEWAY__REDIS__URL", "http://nope")])
        .starts_with("redis.url: not a valid redis:// or rediss:// URL"));
    assert!(one(&[("GATEWAY__REDIS__MODE", "ring")]).starts_with("redis.mode: "));
}

#[test]
fn bad_enum_is_reported() {
    let e = Settings::load_from(None, vars(&[("GATEWAY__LOG__FORMAT", "xml")])).unwrap_err();
    assert!(e[0].contains("xml"), "{e:?}");
}
