//! One tenant's settings (a provider: its Urssaf credentials and the API keys acting for it),
//! read from the configuration and parsed into types, with every problem reported at once.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{Environment, KeyHash};
use crate::events::webhook::{SigningSecret, WebhookEndpoint, WebhookUrl};

/// A tenant as written in the configuration.
#[derive(Deserialize)]
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
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            out.push(format!(
                "{p}: tenant ids use letters, digits, '-' and '_' only"
            ));
        }
        let client_id = t.client_id.as_deref().map(str::trim).unwrap_or("");
        if client_id.is_empty() {
            out.push(format!("{p}.client_id: missing"));
        }
        let secret = match (&t.client_secret_file, &t.client_secret) {
            (Some(path), _) => match std::fs::read_to_string(path) {
                Ok(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Ok(_) => {
                    out.push(format!(
                        "{p}.client_secret_file: {} is empty",
                        path.display()
                    ));
                    None
                }
                Err(_) => {
                    out.push(format!(
                        "{p}.client_secret_file: {} is not a readable file",
                        path.display()
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
        for h in &t.api_key_hashes {
            match KeyHash::parse(h) {
                Ok(k) => hashes.push(k),
                Err(e) => out.push(format!("{p}.api_key_hashes: {e}")),
            }
        }
        if let Some(w) = &t.worker_id {
            if crate::domain::invoice::worker::check_worker_id(w, "").is_err() {
                out.push(format!(
                    "{p}.worker_id: {w:?} must be SAP + 9 digits or SIR + 14 digits"
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
    /// Reads one tenant file: the keys of `tenants.<id>` in the configuration file, secrets
    /// also from sibling files; a relative `client_secret_file` is relative to the file's
    /// directory.
    pub fn from_file(path: &Path) -> Result<(String, TenantSettings), Vec<String>> {
        let id = tenant_file_id(path)
            .ok_or_else(|| vec![format!("{}: not a tenant file", path.display())])?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut raw = config::Config::builder()
            .add_source(config::File::from(path))
            .build()
            .and_then(|c| c.try_deserialize::<RawTenant>())
            .map_err(|e| vec![format!("{}: {e}", path.display())])?;
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
        TenantSettings::parse(&id, raw)
            .map(|t| (id, t))
            .map_err(|problems| {
                problems
                    .into_iter()
                    .map(|p| format!("{}: {p}", path.display()))
                    .collect()
            })
    }
}

/// The webhook settings: both or neither of the URL and at least one secret, each parsed.
fn webhook(p: &str, t: &RawTenant, out: &mut Vec<String>) -> Option<WebhookEndpoint> {
    let mut texts: Vec<String> = t
        .webhook_secret
        .iter()
        .map(|s| s.expose_secret().to_string())
        .collect();
    if let Some(path) = &t.webhook_secret_file {
        match std::fs::read_to_string(path) {
            Ok(s) => texts.extend(split_secrets(&s)),
            Err(_) => out.push(format!(
                "{p}.webhook_secret_file: {} is not a readable file",
                path.display()
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
