//! The real binary and a tenants directory holding files that must never be echoed.

use super::*;
use crate::tenants_dir::TempDir;
use crate::tenants_hardening::write_leaky_files;

#[test]
fn echo_symlinked_secrets_never_reach_the_log() {
    let dir = TempDir::new();
    let outside = std::env::temp_dir().join(format!("ugw-shadow-{}", uuid::Uuid::new_v4()));
    let secrets = write_leaky_files(&dir, &outside);
    let gw = start(&[
        ("GATEWAY__TENANTS_DIR", dir.0.to_str().unwrap()),
        ("GATEWAY__TENANTS_RELOAD_SECONDS", "1"),
    ]);
    // A second read, as every reload would make it.
    std::fs::write(dir.0.join("another.yaml"), "not: [valid\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let _ = std::fs::remove_file(&outside);
    let lines = gw.stdout.lock().unwrap().clone();
    let refused: Vec<&String> = lines.iter().filter(|l| l.contains("refused")).collect();
    assert!(refused.iter().any(|l| l.contains("shadow")), "{lines:?}");
    assert!(refused.iter().any(|l| l.contains("another")), "{lines:?}");
    for line in &lines {
        for s in &secrets {
            assert!(!line.contains(s), "{s} logged: {line}");
        }
        assert!(line.len() < 20_000, "a {} byte log line", line.len());
    }
}
