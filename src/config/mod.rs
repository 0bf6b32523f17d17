//! Settings: built-in defaults → optional file → `GATEWAY__…` environment variables.
//!
//! Values are parsed into types as they are read (key hashes, the encryption key, URLs), so a
//! bad one stops the gateway at start instead of being dropped later; the remaining rules are
//! checked by [`Settings::problems`]. Every problem becomes one readable line.

mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

pub use values::{EncryptionKey, HttpUrl, KeyHash};

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
    pub base_url: Option<HttpUrl>,
    /// Overrides the preset's token URL (for the default environment).
    pub token_url: Option<HttpUrl>,
    pub token_auth: TokenAuthStyle,
    pub connect_timeout_ms: u64,
    /// Deadline of one upstream attempt, body included.
    pub timeout_ms: u64,
    /// Deadline of one token request.
    pub token_timeout_ms: u64,
    /// Extra attempts for transient failures (idempotent calls only).
    pub max_retries: u32,
    /// First back-off step; doubles each retry, with full jitter.
    pub retry_base_ms: u64,
    /// Ceiling on a back-off step (and on an honoured `Retry-After`).
    pub retry_max_ms: u64,
    /// Consecutive failed attempts (no answer, 429, 5xx) that open the circuit; 0 = never.
    pub breaker_failures: u32,
    /// How long an open circuit fails calls fast before one probe is let through.
    pub breaker_open_seconds: u64,
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
    pub encryption_key: Option<EncryptionKey>,
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
    pub api_key_hashes: Vec<KeyHash>,
    /// Urssaf `idTiersFacturation` sent with every payment request.
    pub billing_id: Option<String>,
    /// Default intervenant identifier (Urssaf `complement2`), e.g. `SAP123456789`.
    pub worker_id: Option<String>,
    /// Overrides `upstream.environment` for this tenant.
    pub environment: Option<Environment>,
}

/// Hashes as a list, or one comma-separated string (the form environment variables give).
fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KeyHash>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let texts: Vec<String> = match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        Some(OneOrMany::Many(v)) => v,
    };
    texts
        .iter()
        .map(|t| KeyHash::parse(t).map_err(serde::de::Error::custom))
        .collect()
}

const DEFAULTS: &str = include_str!("defaults.toml");

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
        if u.timeout_ms == 0 || u.connect_timeout_ms == 0 || u.token_timeout_ms == 0 {
            out.push("upstream: timeouts must be greater than 0".into());
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
        let mut owners: BTreeMap<[u8; 32], &str> = BTreeMap::new();
        for (id, t) in &self.tenants {
            for h in &t.api_key_hashes {
                if let Some(first) = owners.insert(h.0, id) {
                    if first != id {
                        out.push(format!(
                            "tenants.{id}.api_key_hashes: {} is also a key of tenant {first}; a key acts for one tenant only",
                            h.to_hex()
                        ));
                    }
                }
            }
        }
        if self.server.max_body_bytes < 1024 {
            out.push("server.max_body_bytes: must be at least 1024".into());
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

/// `config` errors end with the key they are about: lead with it, as every other problem does.
fn describe(e: &config::ConfigError) -> String {
    let text = e.to_string();
    match text.rsplit_once(" for key `") {
        Some((what, key)) => format!("{}: {what}", key.trim_end_matches('`')),
        None => format!("configuration: {text}"),
    }
}

#[cfg(test)]
mod tests;
