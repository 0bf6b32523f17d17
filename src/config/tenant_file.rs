//! One file of a tenants directory, read as an untrusted input: refused unread when it is too
//! large, not a regular file, or a symlink leading out of the directory; parsed with the same
//! rules as `tenants.<id>` of the configuration; its problems name the file, the line and the
//! key, never a value or a piece of the file (it may be a secret pasted in the wrong place).

use std::io::Read;
use std::path::Path;

use super::tenant::{tenant_file_id, RawTenant};
use super::TenantSettings;

/// Reads `path`, a file of the directory whose canonical path is `root`.
pub fn read_tenant_file(
    root: &Path,
    path: &Path,
    max_bytes: u64,
) -> Result<(String, TenantSettings), Vec<String>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let refuse = |why: String| vec![format!("{name}: {why}")];
    let id = tenant_file_id(path).ok_or_else(|| refuse("not a tenant file".into()))?;
    super::tenant::check_id(&id).map_err(&refuse)?;
    let text = read_bounded(root, path, max_bytes).map_err(refuse)?;
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => config::FileFormat::Toml,
        _ => config::FileFormat::Yaml,
    };
    let raw = config::Config::builder()
        .add_source(config::File::from_str(&text, format))
        .build()
        .and_then(|c| c.try_deserialize::<RawTenant>())
        .map_err(|e| refuse(describe(&e, &text)))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    TenantSettings::from_raw(&id, dir, raw)
        .map(|t| (id, t))
        .map_err(|problems| {
            problems
                .into_iter()
                .map(|p| format!("{name}: {p}"))
                .collect()
        })
}

/// The file's text, if it is a regular file inside `root` (symlinks followed: a Kubernetes
/// Secret volume links each file into `..data/`) of at most `max_bytes`.
fn read_bounded(root: &Path, path: &Path, max_bytes: u64) -> Result<String, String> {
    let real = std::fs::canonicalize(path).map_err(|_| "not readable".to_string())?;
    if !real.starts_with(root) {
        return Err("a symlink leading outside the tenants directory; refused unread".into());
    }
    // Checked before opening: opening a FIFO would block.
    let meta = std::fs::metadata(&real).map_err(|_| "not readable".to_string())?;
    if !meta.is_file() {
        return Err("not a regular file; refused unread".into());
    }
    let too_big =
        || format!("larger than {max_bytes} bytes (tenants_max_file_bytes); refused unread");
    if meta.len() > max_bytes {
        return Err(too_big());
    }
    let file = std::fs::File::open(&real).map_err(|_| "not readable".to_string())?;
    // The size the metadata gave may be wrong (a file growing, a special file system).
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| "not readable".to_string())?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// A parse error as location and key only: the parsers' own messages quote the file.
fn describe(e: &config::ConfigError, text: &str) -> String {
    use config::ConfigError as E;
    match e {
        E::FileParse { cause, .. } => {
            let line = line_number(&cause.to_string());
            let at = line.map(|n| format!("line {n}: ")).unwrap_or_default();
            format!("{at}not valid YAML or TOML (or not a map of keys)")
        }
        E::Type { key, expected, .. } => {
            key_problem(key.as_deref(), text, &format!("expected {expected}"))
        }
        E::At { error, key, .. } => match error.as_ref() {
            E::Type { expected, .. } => {
                key_problem(key.as_deref(), text, &format!("expected {expected}"))
            }
            inner => unknown_key(inner, text)
                .unwrap_or_else(|| key_problem(key.as_deref(), text, "not a valid value")),
        },
        other => unknown_key(other, text).unwrap_or_else(|| "not a valid tenant file".into()),
    }
}

/// `unknown field `x`` (a typo such as `webhook_ur1`), with the line of `x`.
fn unknown_key(e: &config::ConfigError, text: &str) -> Option<String> {
    let message = e.to_string();
    let rest = message.split("unknown field `").nth(1)?;
    let key = rest.split('`').next()?;
    let plain = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    Some(if plain {
        let at = key_line(text, key)
            .map(|n| format!("line {n}: "))
            .unwrap_or_default();
        format!("{at}unknown key `{key}` (the keys are those of tenants.<id>, see the README)")
    } else {
        "an unknown key (the keys are those of tenants.<id>, see the README)".into()
    })
}

fn key_problem(key: Option<&str>, text: &str, what: &str) -> String {
    // `webhook_secret[1]` → `webhook_secret`: only keys of ours are named.
    let key = key
        .map(|k| k.split(['[', '.']).next().unwrap_or(k))
        .filter(|k| super::tenant::KEYS.contains(k));
    match key {
        Some(k) => {
            let at = key_line(text, k)
                .map(|n| format!("line {n}: "))
                .unwrap_or_default();
            format!("{at}{k}: {what}")
        }
        None => format!("a value: {what}"),
    }
}

/// The first line (1-based) where `key` is set: `key:` (YAML) or `key =` (TOML).
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let rest = line.trim_start().trim_start_matches(['"', '\'']);
            rest.strip_prefix(key).is_some_and(|r| {
                r.trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with([':', '='])
            })
        })
        .map(|i| i + 1)
}

/// The line number a parser's message gives (`… at line 3 column 7`, `… at line 3, column 7`).
fn line_number(message: &str) -> Option<usize> {
    let rest = message.split("line ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_on_their_line() {
        let text = "client_id: x\n  max_concurrent: 3\n\"rate_per_second\" = 2\n";
        assert_eq!(key_line(text, "client_id"), Some(1));
        assert_eq!(key_line(text, "max_concurrent"), Some(2));
        assert_eq!(key_line(text, "rate_per_second"), Some(3));
        assert_eq!(key_line(text, "client"), None);
        assert_eq!(
            line_number("mapping values at byte 4 line 3 column 7"),
            Some(3)
        );
        assert_eq!(
            line_number("TOML parse error at line 12, column 1\n | root:x"),
            Some(12)
        );
    }
}
