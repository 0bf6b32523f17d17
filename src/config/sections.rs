//! The sections of the settings that are read as they are written (plus the admin view's
//! parsed token hashes); `mod.rs` loads them and checks them together.

use std::time::Duration;

use serde::Deserialize;

use super::{EncryptionKey, HttpUrl, KeyHash};

/// The admin view on the metrics port.
#[derive(Debug, Clone, Default)]
pub struct AdminSettings {
    /// SHA-256 of each admin token; none = the admin view is off.
    pub token_hashes: Vec<KeyHash>,
}

/// Per-tenant fairness: what one provider may use at once.
#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// Requests of one tenant being served at the same time; 0 = no limit.
    pub tenant_concurrency: u32,
    /// Requests per second one tenant may make (sustained); 0 = no limit.
    pub tenant_rate_per_second: u32,
    /// Requests one tenant may make in a burst above the rate; 0 = the rate itself.
    pub tenant_burst: u32,
    /// Most invoices in one `POST /v1/payment-requests`.
    pub max_invoices_per_submission: usize,
    /// Most ids, and most invoice numbers, in one search.
    pub max_search_values: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Serve `/metrics` on its own port instead of the API port.
    pub metrics_port: Option<u16>,
    /// After SIGTERM, answer not-ready for this long before closing the listener; unset: see
    /// [`super::Settings::drain_seconds`].
    #[serde(default)]
    pub drain_seconds: Option<u64>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text when the log stream (stdout) is a terminal, JSON otherwise.
    Auto,
    Json,
    /// Lines for people, with the same fields as the JSON ones; `pretty` is its former name.
    #[serde(alias = "pretty")]
    Text,
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

/// Path prefix of Urssaf's four endpoints on every host (the presets', the simulator's).
pub const BASE_PATH: &str = "/atp/v1/tiersPrestations";
/// Path of the OAuth2 token endpoint on every host.
pub const TOKEN_PATH: &str = "/api/oauth/v1/token";

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
    pub encryption_key: Option<EncryptionKey>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    /// How long an answer is kept for replay.
    pub ttl_seconds: u64,
    /// How long an in-flight marker holds before it is considered abandoned.
    pub in_flight_ttl_seconds: u64,
}

impl IdempotencySettings {
    /// Longest a replay record (or an in-flight marker) may be kept.
    pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
}

/// The in-process simulator used by `upstream.environment = embedded`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddedSimulatorSettings {
    /// Port of the standalone `simulator` subcommand.
    pub port: u16,
    pub token_lifetime_seconds: u64,
    pub activation_delay_seconds: u64,
}

/// What `/metrics` exposes.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Gauges labelled by tenant (`urssaf_gateway_tenant_check_ok`, `…_latency_seconds`,
    /// `urssaf_gateway_webhook_pending`): one series per tenant each, so off by default.
    pub per_tenant_labels: bool,
}

/// The gateway's own check of each tenant's Urssaf access (token, then a harmless search).
#[derive(Debug, Clone, Deserialize)]
pub struct CheckSettings {
    /// Run at start, then every this many seconds; 0 = never.
    pub interval_seconds: u64,
    /// Tenants checked at the same time.
    pub concurrency: usize,
}
