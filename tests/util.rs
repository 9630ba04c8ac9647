//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `bitext` binary under test, run from the repository root.
pub fn bitext() -> Command {
    let mut cmd = Command::cargo_bin("bitext").expect("the bitext binary is built");
    cmd.current_dir(repo(""));
    cmd
}

/// `bitext --quiet` with the memory file `tm` (as $BITEXT_TM; no memory or user from
/// the outside environment).
pub fn tm_cmd(tm: &Path) -> Command {
    let mut cmd = bitext();
    cmd.env_remove("BITEXT_USER");
    cmd.arg("--quiet");
    cmd.env("BITEXT_TM", tm);
    cmd
}

/// A path inside the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A path inside `../shared` (the data every checkout has beside it).
pub fn shared(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel);
    assert!(
        path.exists(),
        "{} is missing: ../shared must be beside the repository",
        path.display()
    );
    path
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Parses JSON Lines output.
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
