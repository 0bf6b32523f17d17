//! One tenant's settings (a provider: its Urssaf credentials and the API keys acting for it),
//! read from the configuration and parsed into types, with every problem reported at once.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{Environment, KeyHash};
use crate::webhook_endpoint::{SigningSecret, WebhookEndpoint, WebhookUrl};

/// A tenant as written in the configuration or in a file of the tenants directory; an unknown
/// key (a typo such as `webhook_ur1`) is refused rather than silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenant {
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    client_secret_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "string_or_list")]
    api_key_hashes: Vec<String>,
    billing_id: Option<String>,
    worker_id: Option<String>,
    environment: Option<Environment>,
    max_concurrent: Option<u32>,
    rate_per_second: Option<u32>,
    webhook_url: Option<String>,
    #[serde(default, deserialize_with = "secret_list")]
    webhook_secret: Vec<SecretString>,
    webhook_secret_file: Option<PathBuf>,
}

/// The keys of [`RawTenant`], the only ones a problem may name.
pub(super) const KEYS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_secret_file",
    "api_key_hashes",
    "billing_id",
    "worker_id",
    "environment",
    "max_concurrent",
    "rate_per_second",
    "webhook_url",
    "webhook_secret",
    "webhook_secret_file",
];

/// Longest secret file read (a Kubernetes Secret mount): a secret is never that long.
const MAX_SECRET_FILE_BYTES: u64 = 65_536;

/// The one rule for tenant ids, from the configuration and from the directory alike.
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err("tenant ids are lower-case: letters a-z, digits, '-' and '_', starting with a letter or a digit, at most 63 characters".into())
    }
}

#[derive(Debug, Clone)]
pub struct TenantSettings {
    /// Urssaf OAuth2 client id.
    pub client_id: String,
    /// From `client_secret`, or read from `client_secret_file` (a Kubernetes Secret mount).
    pub client_secret: SecretString,
    /// SHA-256 of each API key acting for this tenant.
    pub api_key_hashes: Vec<KeyHash>,
    /// Urssaf `idTiersFacturation` sent with every payment request (default: the tenant id).
    pub billing_id: Option<String>,
    /// Default intervenant identifier (Urssaf `complement2`), e.g. `SAP123456789`.
    pub worker_id: Option<String>,
    /// Overrides `upstream.environment` for this tenant.
    pub environment: Option<Environment>,
    /// Overrides `limits.tenant_concurrency` for this tenant.
    pub max_concurrent: Option<u32>,
    /// Overrides `limits.tenant_rate_per_second` for this tenant.
    pub rate_per_second: Option<u32>,
    /// Where status changes are pushed, and the secrets that sign them.
    pub webhook: Option<WebhookEndpoint>,
}

impl TenantSettings {
    pub(super) fn parse(id: &str, t: RawTenant) -> Result<TenantSettings, Vec<String>> {
        let p = format!("tenants.{id}");
        let mut out = Vec::new();
        if let Err(e) = check_id(id) {
            out.push(format!("{p}: {e}"));
        }
        let client_id = t.client_id.as_deref().map(str::trim).unwrap_or("");
        if client_id.is_empty() {
            out.push(format!("{p}.client_id: missing"));
        }
        let secret = match (&t.client_secret_file, &t.client_secret) {
            (Some(path), _) => match read_secret_file(path) {
                Ok(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Ok(_) => {
                    out.push(format!("{p}.client_secret_file: the file is empty"));
                    None
                }
                Err(_) => {
                    out.push(format!(
                        "{p}.client_secret_file: not a readable regular file of at most {MAX_SECRET_FILE_BYTES} bytes"
                    ));
                    None
                }
            },
            (None, Some(s)) if !s.expose_secret().trim().is_empty() => {
                Some(s.expose_secret().trim().to_string())
            }
            (None, _) => {
                out.push(format!(
                    "{p}.client_secret: missing (set it, or client_secret_file)"
                ));
                None
            }
        };
        if t.api_key_hashes.is_empty() {
            out.push(format!("{p}.api_key_hashes: none; no caller could act for this tenant (make one with `urssaf-gateway hash-key`)"));
        }
        let mut hashes = Vec::new();
        // Never the value: a raw key pasted instead of its hash is a secret.
        for (i, h) in t.api_key_hashes.iter().enumerate() {
            match KeyHash::parse(h) {
                Ok(k) => hashes.push(k),
                Err(e) => out.push(format!("{p}.api_key_hashes: entry {}: {e}", i + 1)),
            }
        }
        if let Some(w) = &t.worker_id {
            if crate::domain::invoice::worker::check_worker_id(w, "").is_err() {
                out.push(format!(
                    "{p}.worker_id: must be SAP + 9 digits or SIR + 14 digits"
                ));
            }
        }
        let webhook = webhook(&p, &t, &mut out);
        match secret {
            Some(secret) if out.is_empty() => Ok(TenantSettings {
                client_id: client_id.to_string(),
                client_secret: SecretString::from(secret),
                api_key_hashes: hashes,
                billing_id: t.billing_id,
                worker_id: t.worker_id,
                environment: t.environment,
                max_concurrent: t.max_concurrent,
                rate_per_second: t.rate_per_second,
                webhook,
            }),
            _ => Err(out),
        }
    }
}

impl RawTenant {
    /// Only webhook settings: on the embedded default, the demo tenant's webhook.
    pub(super) fn is_webhook_only(&self) -> bool {
        self.client_id.is_none()
            && self.client_secret.is_none()
            && self.client_secret_file.is_none()
            && self.api_key_hashes.is_empty()
            && self.billing_id.is_none()
            && self.worker_id.is_none()
            && self.environment.is_none()
            && self.max_concurrent.is_none()
            && self.rate_per_second.is_none()
    }

    /// The webhook of a tenant given by its webhook settings alone (see `is_webhook_only`).
    pub(super) fn parse_webhook(&self, id: &str) -> Result<Option<WebhookEndpoint>, Vec<String>> {
        let mut out = Vec::new();
        let endpoint = webhook(&format!("tenants.{id}"), self, &mut out);
        if out.is_empty() {
            Ok(endpoint)
        } else {
            Err(out)
        }
    }
}

/// One file of a tenants directory: `<tenant id>.yaml`, `.yml` or `.toml`.
pub fn tenant_file_id(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?;
    if !matches!(ext, "yaml" | "yml" | "toml") {
        return None;
    }
    let id = path.file_stem()?.to_str()?;
    (!id.starts_with('.')).then(|| id.to_string())
}

impl TenantSettings {
    /// A tenant of the directory `dir`: secrets also from sibling files, a relative
    /// `client_secret_file` relative to `dir`.
    pub(super) fn from_raw(
        id: &str,
        dir: &Path,
        mut raw: RawTenant,
    ) -> Result<TenantSettings, Vec<String>> {
        if let Some(f) = &raw.client_secret_file {
            if f.is_relative() {
                raw.client_secret_file = Some(dir.join(f));
            }
        }
        // A secret left out of the file may sit beside it as `<tenant id>.client_secret`:
        // the layout a Kubernetes Secret or External Secrets mount produces.
        let sibling = dir.join(format!("{id}.client_secret"));
        if raw.client_secret.is_none() && raw.client_secret_file.is_none() && sibling.is_file() {
            raw.client_secret_file = Some(sibling);
        }
        let sibling = dir.join(format!("{id}.webhook_secret"));
        if let Some(f) = &raw.webhook_secret_file {
            if f.is_relative() {
                raw.webhook_secret_file = Some(dir.join(f));
            }
        } else if raw.webhook_secret.is_empty() && sibling.is_file() {
            raw.webhook_secret_file = Some(sibling);
        }
        // A file may name only secrets of its own directory (symlinks followed, as a
        // Kubernetes Secret volume's are): never another tenant's mount or /etc/shadow.
        let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut refused = Vec::new();
        for (key, slot) in [
            ("client_secret_file", &mut raw.client_secret_file),
            ("webhook_secret_file", &mut raw.webhook_secret_file),
        ] {
            if let Some(f) = slot.take() {
                match std::fs::canonicalize(&f) {
                    Ok(real) if real.starts_with(&root) => *slot = Some(real),
                    _ => refused.push(format!(
                        "tenants.{id}.{key}: not a file inside the tenants directory; refused unread"
                    )),
                }
            }
        }
        match TenantSettings::parse(id, raw) {
            Ok(t) if refused.is_empty() => Ok(t),
            Ok(_) => Err(refused),
            Err(problems) => Err(refused.into_iter().chain(problems).collect()),
        }
    }
}

/// A secret file's text: a regular file of bounded size (never a FIFO or a device).
fn read_secret_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() || meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    // A file grown past the cap since its size was read is refused, not cut.
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    Ok(text)
}

/// The webhook settings: both or neither of the URL and at least one secret, each parsed.
fn webhook(p: &str, t: &RawTenant, out: &mut Vec<String>) -> Option<WebhookEndpoint> {
    let mut texts: Vec<String> = t
        .webhook_secret
        .iter()
        .map(|s| s.expose_secret().to_string())
        .collect();
    if let Some(path) = &t.webhook_secret_file {
        match read_secret_file(path) {
            Ok(s) => texts.extend(split_secrets(&s)),
            Err(_) => out.push(format!(
                "{p}.webhook_secret_file: not a readable regular file of at most {MAX_SECRET_FILE_BYTES} bytes"
            )),
        }
    }
    let url = t
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let Some(url) = url else {
        if !texts.is_empty() {
            out.push(format!("{p}.webhook_url: missing (webhook_secret is set)"));
        }
        return None;
    };
    let url = WebhookUrl::parse(url)
        .map_err(|e| out.push(format!("{p}.webhook_url: {e}")))
        .ok();
    if texts.is_empty() {
        out.push(format!(
            "{p}.webhook_secret: missing; deliveries are signed (whsec_ + base64 of 24 random bytes)"
        ));
    }
    let mut secrets = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        match SigningSecret::parse(text) {
            Ok(s) => secrets.push(s),
            Err(e) => out.push(format!("{p}.webhook_secret: secret {}: {e}", i + 1)),
        }
    }
    Some(WebhookEndpoint { url: url?, secrets })
}

/// Secrets: a list, or one string of secrets separated by spaces or commas.
fn secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    let texts: Vec<String> = string_or_list(d)?;
    Ok(texts
        .iter()
        .flat_map(|t| split_secrets(t))
        .map(SecretString::from)
        .collect())
}

fn split_secrets(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A list, or one comma-separated string (the form environment variables give).
pub(super) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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
