//! Settings: built-in defaults → optional file → `GATEWAY__…` environment variables.
//!
//! Values are parsed into types as they are read (key hashes, the encryption key, URLs), so a
//! bad one stops the gateway at start instead of being dropped later; the remaining rules are
//! checked by [`Settings::problems`]. Every problem becomes one readable line.

mod events;
mod redis;
mod sections;
mod show;
mod tenant;
mod tenant_file;
mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use self::events::EventsSettings;
pub use self::redis::{RedisMode, RedisServer, RedisSettings};
pub use self::sections::{
    AdminSettings, CheckSettings, EmbeddedSimulatorSettings, Environment, IdempotencySettings,
    LimitSettings, LogFormat, LogSettings, MetricsSettings, ServerSettings, TokenAuthStyle,
    TokenSettings, UpstreamSettings, BASE_PATH, TOKEN_PATH,
};
pub use show::show;
pub use tenant::{check_id as check_tenant_id, tenant_file_id, TenantSettings};
pub use tenant_file::read_tenant_file;
pub use values::{EncryptionKey, HttpUrl, KeyHash};

use crate::webhook_endpoint::WebhookEndpoint;

/// Prefix of every environment variable (`GATEWAY__SERVER__PORT=8080`).
pub const ENV_PREFIX: &str = "GATEWAY";
/// Environment variable naming an optional configuration file.
pub const CONFIG_FILE_ENV: &str = "GATEWAY_CONFIG";
/// The embedded default's demo tenant (`demo` builds it; its webhook may be set here alone).
pub const DEMO_TENANT_ID: &str = "demo";

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub log: LogSettings,
    pub upstream: UpstreamSettings,
    pub token: TokenSettings,
    pub redis: RedisSettings,
    pub idempotency: IdempotencySettings,
    pub simulator: EmbeddedSimulatorSettings,
    pub check: CheckSettings,
    pub metrics: MetricsSettings,
    pub tenants: BTreeMap<String, TenantSettings>,
    /// A directory of `<tenant id>.yaml` / `.toml` files, read again while running.
    pub tenants_dir: Option<PathBuf>,
    /// How often the tenants directory is looked at for changes; 0 = only on SIGHUP or an
    /// admin reload.
    pub tenants_reload_seconds: u64,
    /// Largest tenant file read; a larger one is refused unread.
    pub tenants_max_file_bytes: u64,
    pub admin: AdminSettings,
    pub limits: LimitSettings,
    pub events: EventsSettings,
    /// On the embedded default, `tenants.demo.webhook_url` and `webhook_secret` alone: the
    /// demo tenant's webhook (its key and seeded household stay).
    pub demo_webhook: Option<WebhookEndpoint>,
}

/// The settings as read; tenants are parsed apart so that every tenant problem is reported
/// at once.
#[derive(Deserialize)]
struct RawSettings {
    server: ServerSettings,
    log: LogSettings,
    upstream: UpstreamSettings,
    token: TokenSettings,
    redis: self::redis::RawRedis,
    idempotency: IdempotencySettings,
    simulator: EmbeddedSimulatorSettings,
    check: CheckSettings,
    metrics: MetricsSettings,
    #[serde(default)]
    tenants: BTreeMap<String, tenant::RawTenant>,
    tenants_dir: Option<PathBuf>,
    tenants_reload_seconds: u64,
    tenants_max_file_bytes: u64,
    #[serde(default)]
    admin: RawAdmin,
    limits: LimitSettings,
    events: self::events::RawEvents,
}

#[derive(Default, Deserialize)]
struct RawAdmin {
    #[serde(default, deserialize_with = "tenant::string_or_list")]
    token_hashes: Vec<String>,
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
        let built = merged(path, vars)?;
        let raw = built
            .try_deserialize::<RawSettings>()
            .map_err(|e| vec![describe(&e)])?;
        let mut tenants = BTreeMap::new();
        let mut problems = Vec::new();
        let redis = RedisSettings::parse(raw.redis)
            .map_err(|p| problems.extend(p))
            .ok();
        let mut raw_tenants = raw.tenants;
        let mut demo_webhook = None;
        let demo_only = raw.upstream.environment == Environment::Embedded
            && raw.tenants_dir.is_none()
            && raw_tenants.len() == 1;
        if let Some(t) = raw_tenants
            .get(DEMO_TENANT_ID)
            .filter(|t| demo_only && t.is_webhook_only())
        {
            match t.parse_webhook(DEMO_TENANT_ID) {
                Ok(w) => demo_webhook = w,
                Err(p) => problems.extend(p),
            }
            raw_tenants.clear();
        }
        for (id, t) in raw_tenants {
            match TenantSettings::parse(&id, t) {
                Ok(t) => {
                    tenants.insert(id, t);
                }
                Err(p) => problems.extend(p),
            }
        }
        let events = EventsSettings::parse(raw.events, raw.upstream.environment)
            .map_err(|p| problems.extend(p))
            .ok();
        let mut admin = AdminSettings::default();
        for h in &raw.admin.token_hashes {
            match KeyHash::parse(h) {
                Ok(k) => admin.token_hashes.push(k),
                Err(e) => problems.push(format!("admin.token_hashes: {e}")),
            }
        }
        let (Some(redis), Some(events)) = (redis, events) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Settings {
            server: raw.server,
            log: raw.log,
            upstream: raw.upstream,
            token: raw.token,
            redis,
            idempotency: raw.idempotency,
            simulator: raw.simulator,
            check: raw.check,
            metrics: raw.metrics,
            tenants,
            tenants_dir: raw.tenants_dir,
            tenants_reload_seconds: raw.tenants_reload_seconds,
            tenants_max_file_bytes: raw.tenants_max_file_bytes,
            admin,
            limits: raw.limits,
            events,
            demo_webhook,
        })
    }

    /// The drain after SIGTERM: as set, else 0 on the embedded default (a laptop, no load
    /// balancer to tell: Ctrl-C ends it at once) and 5 s elsewhere.
    pub fn drain_seconds(&self) -> u64 {
        self.server
            .drain_seconds
            .unwrap_or(default_drain_seconds(self.upstream.environment))
    }

    /// Every problem of a loaded configuration, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let u = &self.upstream;
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
        let r = &self.redis;
        if r.timeout_ms == 0 || r.retry_after_ms == 0 {
            out.push("redis: timeout_ms and retry_after_ms must be greater than 0".into());
        }
        let max = IdempotencySettings::MAX_TTL.as_secs();
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
        if !self.admin.token_hashes.is_empty() && self.server.metrics_port.is_none() {
            out.push(
                "admin.token_hashes: the admin view is served on server.metrics_port only; set it"
                    .into(),
            );
        }
        if self.server.max_body_bytes < 1024 {
            out.push("server.max_body_bytes: must be at least 1024".into());
        }
        if self.server.header_read_timeout_ms == 0
            || !(1..=300).contains(&self.server.body_read_timeout_seconds)
        {
            out.push("server: header_read_timeout_ms must be above 0 and body_read_timeout_seconds 1 to 300".into());
        }
        if self.limits.max_invoices_per_submission == 0
            || !(1..=1000).contains(&self.limits.max_search_values)
        {
            out.push("limits: max_invoices_per_submission must be at least 1 and max_search_values 1 to 1000".into());
        }
        for (id, t) in &self.tenants {
            if let Some(why) = self.webhook_refusal(t) {
                out.push(format!("tenants.{id}.webhook_url: {why}"));
            }
        }
        // The demo tenant lives on the embedded simulator: a local receiver is its usual
        // target, refused only when private targets are refused outright.
        if let Some(w) = &self.demo_webhook {
            if !self.private_targets_allowed_in(Environment::Embedded) {
                if let Some(why) = w.url.refusal() {
                    let id = DEMO_TENANT_ID;
                    out.push(format!("tenants.{id}.webhook_url: {why}"));
                }
            }
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.tenants_max_file_bytes) {
            out.push("tenants_max_file_bytes: must be 1024 to 16777216".into());
        }
        let needs_tenant = self.upstream.environment != Environment::Embedded;
        if needs_tenant && self.tenants.is_empty() && self.tenants_dir.is_none() {
            out.push(format!(
                "tenants: none configured; upstream.environment = {} needs at least one (e.g. GATEWAY__TENANTS__ACME__CLIENT_ID)",
                self.upstream.environment.as_str()
            ));
        }
        out
    }
}

/// `server.drain_seconds` when unset: 0 on the embedded default, 5 elsewhere.
pub(crate) fn default_drain_seconds(environment: Environment) -> u64 {
    if environment == Environment::Embedded {
        0
    } else {
        5
    }
}

impl Settings {
    /// Whether `t`'s webhook may use `http` and private addresses: as
    /// `events.allow_private_targets` says when set, else only for a tenant whose own upstream
    /// is the simulator (in-process or at `upstream.base_url`): a tenant of Urssaf's
    /// production or sandbox never, whatever the gateway's default environment.
    pub fn private_targets_allowed(&self, t: &TenantSettings) -> bool {
        self.private_targets_allowed_in(t.environment.unwrap_or(self.upstream.environment))
    }

    /// The same for a tenant of `environment`.
    fn private_targets_allowed_in(&self, environment: Environment) -> bool {
        self.events
            .allow_private_targets
            .unwrap_or(environment == Environment::Embedded)
    }

    /// Why `t`'s webhook URL is refused at load (names are checked at each delivery).
    pub fn webhook_refusal(&self, t: &TenantSettings) -> Option<String> {
        let url = &t.webhook.as_ref()?.url;
        (!self.private_targets_allowed(t))
            .then(|| url.refusal())
            .flatten()
    }
}

/// Defaults, then the file (`path`, else `$GATEWAY_CONFIG`), then `GATEWAY__…` variables:
/// the settings tree before it is parsed into types.
fn merged(
    path: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<config::Config, Vec<String>> {
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
    builder.build().map_err(|e| vec![describe(&e)])
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

#[cfg(test)]
mod events_tests;
