//! `urssaf-gateway config`: the merged settings (defaults → file → environment), one line per
//! setting with where its value came from, secrets masked.

use std::collections::BTreeMap;
use std::path::Path;

use config::{Value, ValueKind};

const MASK: &str = "\"***\"";

/// The merged settings as text, or the problems that stop them from loading as a tree.
pub fn show(
    path: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<String, Vec<String>> {
    let merged = super::merged(path, vars)?;
    let mut lines = BTreeMap::new();
    flatten("", &merged.cache, &mut lines);
    derived_defaults(&mut lines);
    let width = lines.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (key, (value, origin)) in lines {
        out.push_str(&format!("{key:<width$} = {value}  # {origin}\n"));
    }
    Ok(out)
}

/// Settings whose default depends on `upstream.environment` are absent from the defaults
/// file: shown here with the value they take.
fn derived_defaults(lines: &mut BTreeMap<String, (String, String)>) {
    let environment = lines
        .get("upstream.environment")
        .map(|(v, _)| v.trim_matches('"').to_string())
        .unwrap_or_default();
    use super::Environment as E;
    let parsed = [E::Production, E::Sandbox, E::Embedded]
        .into_iter()
        .find(|e| e.as_str() == environment)
        .unwrap_or(E::Embedded);
    let origin = format!("default for upstream.environment = {environment}");
    for (key, value) in [
        ("server.drain_seconds", super::default_drain_seconds(parsed)),
        (
            "events.poll_interval_seconds",
            super::events::default_poll_interval(parsed),
        ),
    ] {
        lines
            .entry(key.to_string())
            .or_insert_with(|| (value.to_string(), origin.clone()));
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, (String, String)>) {
    if let ValueKind::Table(table) = &value.kind {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            flatten(&key, v, out);
        }
        return;
    }
    let origin = match value.origin() {
        None => "default".to_string(),
        Some("the environment") => format!("env {}", env_name(prefix)),
        Some(file) => file.to_string(),
    };
    let shown = if is_secret(prefix) {
        MASK.to_string()
    } else {
        render(value)
    };
    out.insert(prefix.to_string(), (shown, origin));
}

/// `tenants.acme.client_id` → `GATEWAY__TENANTS__ACME__CLIENT_ID`.
fn env_name(key: &str) -> String {
    format!(
        "{}__{}",
        super::ENV_PREFIX,
        key.replace('.', "__").to_uppercase()
    )
}

/// Keys whose values are secrets or let someone act: client and webhook secrets, passwords,
/// the token encryption key, API key and admin token hashes. A `…_file` key is a path.
fn is_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    !last.ends_with("_file")
        && ["secret", "password", "encryption_key", "hashes"]
            .iter()
            .any(|word| last.contains(word))
}

fn render(value: &Value) -> String {
    match &value.kind {
        ValueKind::Nil => "null".into(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(n) => n.to_string(),
        ValueKind::I128(n) => n.to_string(),
        ValueKind::U64(n) => n.to_string(),
        ValueKind::U128(n) => n.to_string(),
        ValueKind::Float(f) => f.to_string(),
        ValueKind::String(s) => quote(&mask_url_password(s)),
        ValueKind::Array(items) => {
            let items: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", items.join(", "))
        }
        ValueKind::Table(_) => "{…}".into(),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| MASK.into())
}

/// A URL's password (`redis://:pw@host`, `rediss://user:pw@host`) replaced by `***`; webhook
/// secrets (`whsec_…`) masked wherever they appear.
fn mask_url_password(s: &str) -> String {
    if s.starts_with("whsec_") {
        return "***".into();
    }
    match reqwest::Url::parse(s) {
        Ok(mut url) if url.password().is_some() => {
            if url.set_password(Some("***")).is_ok() {
                url.to_string()
            } else {
                "***".into()
            }
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::vars;
    use super::*;

    #[test]
    fn shows_every_setting_with_its_origin_and_masks_secrets() {
        let text = show(
            None,
            vars(&[
                ("GATEWAY__SERVER__PORT", "9000"),
                ("GATEWAY__TENANTS__ACME__CLIENT_ID", "client-1"),
                ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "s3cret-value"),
                (
                    "GATEWAY__TENANTS__ACME__CLIENT_SECRET_FILE",
                    "/run/secrets/acme",
                ),
                ("GATEWAY__TENANTS__ACME__WEBHOOK_URL", "https://h.example/x"),
                ("GATEWAY__REDIS__URL", "redis://:hunter2@redis:6379/0"),
                ("GATEWAY__REDIS__KEY_PREFIX", "whsec_lookalike"),
                ("GATEWAY__TOKEN__ENCRYPTION_KEY", "a2V5LWtleS1rZXk"),
                ("GATEWAY__ADMIN__TOKEN_HASHES", "abcdef"),
            ]),
        )
        .unwrap();
        let line = |key: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{key} ")))
                .unwrap_or_else(|| panic!("{key} missing in:\n{text}"))
                .to_string()
        };
        assert!(line("server.port").contains("= \"9000\"  # env GATEWAY__SERVER__PORT"));
        assert!(line("server.drain_seconds")
            .contains("= 0  # default for upstream.environment = embedded"));
        assert!(line("events.poll_interval_seconds").contains("= 2  # default"));
        assert!(line("tenants.acme.client_id").contains("\"client-1\""));
        assert!(line("tenants.acme.client_secret").contains("= \"***\""));
        assert!(line("tenants.acme.client_secret_file").contains("/run/secrets/acme"));
        assert!(line("redis.url").contains("redis://:***@redis:6379/0"));
        assert!(line("token.encryption_key").contains("\"***\""));
        assert!(line("admin.token_hashes").contains("\"***\""));
        for secret in [
            "s3cret-value",
            "hunter2",
            "a2V5LWtleS1rZXk",
            "abcdef",
            "whsec_",
        ] {
            assert!(!text.contains(secret), "{secret} shown:\n{text}");
        }
    }

    #[test]
    fn a_missing_file_is_a_problem() {
        let err = show(Some(Path::new("/nonexistent/gateway.toml")), vars(&[])).unwrap_err();
        assert!(err[0].contains("not found"), "{err:?}");
    }
}
