//! Reading the tenants directory: its listing (what the watcher compares) and its tenant
//! files, each parsed as an untrusted input (see `config::read_tenant_file`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use super::claims::Candidates;

/// Names, sizes and modification times of a directory's entries.
pub type Listing = Vec<(String, u64, Option<SystemTime>)>;

/// One read of the directory.
pub enum DirRead {
    /// Missing, renamed, not a directory, permission denied: nothing can be told of its
    /// tenants (the reason never quotes a file).
    Unreadable(String),
    Read {
        listing: Option<Listing>,
        candidates: Candidates,
    },
}

pub fn listing(dir: &Path) -> Option<Listing> {
    let mut out: Listing = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| {
            // `metadata` follows symlinks: a swapped Secret volume shows as changed files.
            let meta = std::fs::metadata(e.path()).ok();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.as_ref().map(|m| m.len()).unwrap_or(0),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    out.sort();
    Some(out)
}

/// Every tenant file of `dir`, by tenant id. Two files of one id (`acme.yaml`, `acme.toml`)
/// are both refused: neither is more the tenant than the other.
pub fn read(dir: &Path, max_bytes: u64) -> DirRead {
    let before = listing(dir);
    let root = match std::fs::canonicalize(dir) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => return DirRead::Unreadable("not a directory".into()),
        Err(e) => return DirRead::Unreadable(e.kind().to_string()),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return DirRead::Unreadable(e.kind().to_string()),
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| crate::config::tenant_file_id(p).is_some())
        .collect();
    files.sort();
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut candidates = Candidates::new();
    for path in &files {
        let id = crate::config::tenant_file_id(path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        by_id.entry(id.clone()).or_default().push(name);
        let parsed = crate::config::read_tenant_file(&root, path, max_bytes).map(|(_, t)| t);
        candidates.insert(id, parsed);
    }
    for (id, names) in by_id.into_iter().filter(|(_, n)| n.len() > 1) {
        candidates.insert(
            id.clone(),
            Err(vec![format!(
                "{} all define tenant {id}; keep one",
                names.join(", ")
            )]),
        );
    }
    DirRead::Read {
        listing: before,
        candidates,
    }
}
