//! Settings: built-in defaults → optional file → `GATEWAY__…` environment variables.
//!
//! Everything is checked at start; every problem becomes one readable line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// Prefix of every environment variable (`GATEWAY__SERVER__PORT=8080`).
pub const ENV_PREFIX: &str = "GATEWAY";
/// Environment variable naming an optional configuration file.
pub const CONFIG_FILE_ENV: &str = "GATEWAY_CONFIG";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub log: LogSettings,
    pub upstream: UpstreamSettings,
    pub token: TokenSettings,
    pub redis: RedisSettings,
    pub idempotency: IdempotencySettings,
    pub simulator: EmbeddedSimulatorSettings,
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Serve `/metrics` on its own port instead of the API port.
    pub metrics_port: Option<u16>,
    /// After SIGTERM, answer not-ready for this long before closing the listener.
    pub drain_seconds: u64,
    /// How long in-flight requests may take to finish once the listener is closed.
    pub shutdown_timeout_seconds: u64,
    /// Worker threads; 0 = one per CPU.
    pub workers: usize,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Time a client has to send the request head (actix's `client_request_timeout`).
    pub header_read_timeout_ms: u64,
    /// Time a client has to send the whole request body (408 after).
    pub body_read_timeout_seconds: u64,
    /// How long an idle kept-alive connection stays open; 0 = no keep-alive.
    pub keep_alive_seconds: u64,
    /// Most invoices in one `POST /v1/payment-requests`.
    pub max_invoices_per_submission: usize,
    /// Most ids, and most invoice numbers, in one search.
    pub max_search_values: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `urssaf_gateway=debug,info`; `RUST_LOG` wins when set.
    pub level: String,
}

/// Which Urssaf the gateway talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// api.urssaf.fr
    Production,
    /// api-edi.urssaf.fr
    Sandbox,
    /// The built-in simulator, started in-process.
    Embedded,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
            Environment::Embedded => "embedded",
        }
    }

    /// Host of the preset, `None` for the embedded simulator (its address is known at start).
    pub fn preset_host(self) -> Option<&'static str> {
        match self {
            Environment::Production => Some("https://api.urssaf.fr"),
            Environment::Sandbox => Some("https://api-edi.urssaf.fr"),
            Environment::Embedded => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenAuthStyle {
    /// `client_id` and `client_secret` as form fields.
    Form,
    /// HTTP Basic authentication.
    Basic,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpstreamSettings {
    pub environment: Environment,
    /// Overrides the preset's API host (for the default environment), e.g. a proxy.
    pub base_url: Option<String>,
    /// Overrides the preset's token URL (for the default environment).
    pub token_url: Option<String>,
    pub token_auth: TokenAuthStyle,
    pub connect_timeout_ms: u64,
    /// Deadline of one upstream attempt, body included.
    pub timeout_ms: u64,
    /// Deadline of one token request.
    pub token_timeout_ms: u64,
    /// Most extra attempts of one call for transient failures (see the README's *Retries*).
    pub max_retries: u32,
    /// Retries may add at most this share of the calls made over the last 10 s…
    pub retry_budget_percent: u32,
    /// …plus this many retries per second.
    pub retry_budget_min_per_second: u32,
    /// First back-off step; doubles each retry, with full jitter.
    pub retry_base_ms: u64,
    /// Ceiling on a back-off step (and on an honoured `Retry-After`).
    pub retry_max_ms: u64,
    /// Share of failed calls (after their retries) in the window that opens the circuit;
    /// 0 disables it.
    pub breaker_failure_rate_percent: u32,
    /// Calls the window must hold before the circuit may open.
    pub breaker_min_calls: u32,
    /// Length of the sliding window of calls.
    pub breaker_window_seconds: u64,
    /// How long an open circuit fails calls fast before trial calls go through.
    pub breaker_open_seconds: u64,
    /// Trial calls let through while half-open.
    pub breaker_half_open_calls: u32,
    /// Former consecutive-failure threshold: only `0` (breaker off) is still honoured.
    #[serde(default)]
    pub breaker_failures: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    /// Refresh this long before expiry (capped at half the token's lifetime).
    pub refresh_margin_seconds: u64,
    /// Lifetime assumed when Urssaf's answer has no `expires_in`.
    pub default_lifetime_seconds: u64,
    /// Lifetime of the cross-replica refresh lock in Redis.
    pub lock_ttl_ms: u64,
    /// 64 hex characters: tokens kept in Redis are encrypted with it (AES-256-GCM).
    pub encryption_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    /// `redis://host:6379/0`; none = tokens and idempotency records kept in process only.
    pub url: Option<SecretString>,
    /// Deadline of one Redis command (and of connecting).
    pub timeout_ms: u64,
    /// After a Redis failure, go without Redis for this long before trying again.
    pub retry_after_ms: u64,
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    /// How long an answer is kept for replay.
    pub ttl_seconds: u64,
    /// How long an in-flight marker holds before it is considered abandoned.
    pub in_flight_ttl_seconds: u64,
}

/// The in-process simulator used by `upstream.environment = embedded`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddedSimulatorSettings {
    /// Port of the standalone `simulator` subcommand.
    pub port: u16,
    pub token_lifetime_seconds: u64,
    pub activation_delay_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TenantSettings {
    /// Urssaf OAuth2 client id.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// File holding the client secret (a Kubernetes Secret mount); wins over `client_secret`.
    pub client_secret_file: Option<PathBuf>,
    /// SHA-256 (hex) of each API key acting for this tenant; a list or comma-separated.
    #[serde(default, deserialize_with = "string_or_list")]
    pub api_key_hashes: Vec<String>,
    /// Urssaf `idTiersFacturation` sent with every payment request.
    pub billing_id: Option<String>,
    /// Default intervenant identifier (Urssaf `complement2`), e.g. `SAP123456789`.
    pub worker_id: Option<String>,
    /// Overrides `upstream.environment` for this tenant.
    pub environment: Option<Environment>,
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        Some(OneOrMany::Many(v)) => v,
    })
}

const DEFAULTS: &str = r#"
[server]
host = "0.0.0.0"
port = 8080
drain_seconds = 5
shutdown_timeout_seconds = 25
workers = 0
max_body_bytes = 1048576
header_read_timeout_ms = 5000
body_read_timeout_seconds = 10
keep_alive_seconds = 5
max_invoices_per_submission = 100
max_search_values = 100

[log]
format = "json"
level = "info"

[upstream]
environment = "embedded"
token_auth = "form"
connect_timeout_ms = 3000
timeout_ms = 20000
token_timeout_ms = 5000
max_retries = 4
retry_budget_percent = 60
retry_budget_min_per_second = 10
retry_base_ms = 100
retry_max_ms = 2000
breaker_failure_rate_percent = 50
breaker_min_calls = 10
breaker_window_seconds = 10
breaker_open_seconds = 10
breaker_half_open_calls = 10

[token]
refresh_margin_seconds = 60
default_lifetime_seconds = 3600
lock_ttl_ms = 10000

[redis]
timeout_ms = 250
retry_after_ms = 2000
key_prefix = "urssaf-gateway"

[idempotency]
ttl_seconds = 86400
in_flight_ttl_seconds = 120

[simulator]
port = 8090
token_lifetime_seconds = 3600
activation_delay_seconds = 0
"#;

impl Settings {
    /// Loads defaults, then the file (`path`, else `$GATEWAY_CONFIG`), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Settings, Vec<String>> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(path, vars)
    }

    /// Same as [`Settings::load`] with explicit environment variables (for tests).
    pub fn load_from(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, Vec<String>> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let file = path.map(Path::to_path_buf).or_else(|| {
            vars.iter()
                .find(|(k, v)| k == CONFIG_FILE_ENV && !v.is_empty())
                .map(|(_, v)| PathBuf::from(v))
        });
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = &file {
            if !file.is_file() {
                return Err(vec![format!(
                    "configuration file {}: not found",
                    file.display()
                )]);
            }
            builder = builder.add_source(config::File::from(file.as_path()));
        }
        let env: config::Map<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .source(Some(env)),
        );
        let built = builder.build().map_err(|e| vec![describe(&e)])?;
        built
            .try_deserialize::<Settings>()
            .map_err(|e| vec![describe(&e)])
    }

    /// Every problem of a loaded configuration, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let u = &self.upstream;
        for (name, url) in [
            ("upstream.base_url", &u.base_url),
            ("upstream.token_url", &u.token_url),
        ] {
            if let Some(url) = url {
                if reqwest::Url::parse(url)
                    .map(|p| !p.has_host())
                    .unwrap_or(true)
                {
                    // Not echoed: a URL may carry proxy credentials.
                    out.push(format!("{name}: not an absolute http(s) URL"));
                }
            }
        }
        if u.timeout_ms == 0 || u.connect_timeout_ms == 0 || u.token_timeout_ms == 0 {
            out.push("upstream: timeouts must be greater than 0".into());
        }
        if u.breaker_failure_rate_percent > 100 {
            out.push("upstream.breaker_failure_rate_percent: must be 0 (off) to 100".into());
        }
        if u.breaker_min_calls == 0 || u.breaker_half_open_calls == 0 {
            out.push(
                "upstream: breaker_min_calls and breaker_half_open_calls must be at least 1".into(),
            );
        }
        if !(1..=3600).contains(&u.breaker_window_seconds)
            || !(1..=3600).contains(&u.breaker_open_seconds)
        {
            out.push(
                "upstream: breaker_window_seconds and breaker_open_seconds must be 1 to 3600"
                    .into(),
            );
        }
        if let Some(k) = &self.token.encryption_key {
            let k = k.expose_secret();
            if k.len() != 64 || !k.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push("token.encryption_key: must be 64 hex characters (32 bytes)".into());
            }
        }
        let r = &self.redis;
        if r.timeout_ms == 0 || r.retry_after_ms == 0 {
            out.push("redis: timeout_ms and retry_after_ms must be greater than 0".into());
        }
        let max = crate::idempotency::MAX_TTL.as_secs();
        let i = &self.idempotency;
        if !(1..=max).contains(&i.ttl_seconds) || !(1..=max).contains(&i.in_flight_ttl_seconds) {
            out.push(format!(
                "idempotency: ttl_seconds and in_flight_ttl_seconds must be between 1 and {max}"
            ));
        }
        // One key acting for two tenants would send one tenant's calls with another's credentials.
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        for (id, t) in &self.tenants {
            for h in &t.api_key_hashes {
                if let Some(first) = owners.insert(h.to_ascii_lowercase(), id) {
                    if first != id {
                        out.push(format!(
                            "tenants.{id}.api_key_hashes: {h} is also a key of tenant {first}; a key acts for one tenant only"
                        ));
                    }
                }
            }
        }
        if self.server.max_body_bytes < 1024 {
            out.push("server.max_body_bytes: must be at least 1024".into());
        }
        if self.server.header_read_timeout_ms == 0
            || !(1..=300).contains(&self.server.body_read_timeout_seconds)
        {
            out.push("server: header_read_timeout_ms must be above 0 and body_read_timeout_seconds 1 to 300".into());
        }
        if self.server.max_invoices_per_submission == 0
            || !(1..=1000).contains(&self.server.max_search_values)
        {
            out.push("server: max_invoices_per_submission must be at least 1 and max_search_values 1 to 1000".into());
        }
        if let Some(url) = &self.redis.url {
            if redis::Client::open(url.expose_secret()).is_err() {
                out.push("redis.url: not a valid redis:// or rediss:// URL".into());
            }
        }
        let needs_tenant = self.upstream.environment != Environment::Embedded;
        if needs_tenant && self.tenants.is_empty() {
            out.push(format!(
                "tenants: none configured; upstream.environment = {} needs at least one (e.g. GATEWAY__TENANTS__ACME__CLIENT_ID)",
                self.upstream.environment.as_str()
            ));
        }
        for (id, t) in &self.tenants {
            let p = format!("tenants.{id}");
            if !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(format!(
                    "{p}: tenant ids use letters, digits, '-' and '_' only"
                ));
            }
            if t.client_id
                .as_deref()
                .map(str::trim)
                .unwrap_or("")
                .is_empty()
            {
                out.push(format!("{p}.client_id: missing"));
            }
            match &t.client_secret_file {
                Some(f) if !f.is_file() => out.push(format!(
                    "{p}.client_secret_file: {} is not a readable file",
                    f.display()
                )),
                Some(_) => {}
                None if t
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose_secret().is_empty())
                    .unwrap_or(true) =>
                {
                    out.push(format!(
                        "{p}.client_secret: missing (set it, or client_secret_file)"
                    ))
                }
                None => {}
            }
            if t.api_key_hashes.is_empty() {
                out.push(format!("{p}.api_key_hashes: none; no caller could act for this tenant (make one with `urssaf-gateway hash-key`)"));
            }
            for h in &t.api_key_hashes {
                if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    out.push(format!(
                        "{p}.api_key_hashes: {h:?} is not a SHA-256 hex digest (64 hex characters)"
                    ));
                }
            }
            if let Some(w) = &t.worker_id {
                if crate::domain::invoice::worker::check_worker_id(w, "").is_err() {
                    out.push(format!(
                        "{p}.worker_id: {w:?} must be SAP + 9 digits or SIR + 14 digits"
                    ));
                }
            }
        }
        out
    }
}

/// `config` errors name the key; keep that and drop the noise.
fn describe(e: &config::ConfigError) -> String {
    format!("configuration: {e}")
}

#[cfg(test)]
mod tests {
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
        assert_eq!(t.client_id.as_deref(), Some("0012345"));
        assert_eq!(t.api_key_hashes.len(), 2);
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn problems_one_line_each() {
        let s = Settings::load_from(
            None,
            vars(&[
                ("GATEWAY__UPSTREAM__ENVIRONMENT", "production"),
                ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", "nothex"),
            ]),
        )
        .unwrap();
        let p = s.problems();
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
            p.iter().any(|l| l.contains("is not a SHA-256 hex digest")),
            "{p:?}"
        );
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
        let secret = s.tenants["acme"].client_secret.as_ref().unwrap();
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
}
