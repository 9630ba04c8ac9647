//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `bitext` binary under test, run from the repository root.
pub fn bitext() -> Command {
    let mut cmd = Command::cargo_bin("bitext").expect("the bitext binary is built");
    cmd.current_dir(repo(""));
    cmd
}

/// Writes `content` to the file `name` in `dir`; its path.
pub fn write_file(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Runs `cmd`, which must fail saying `needle` on standard error.
pub fn fails_with(cmd: &mut Command, needle: &str) -> assert_cmd::assert::Assert {
    cmd.assert()
        .failure()
        .stderr(predicates::str::contains(needle))
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

/// Makes the aligner's generated stress sets (`bench/stress`, listed in
/// `bench/align_sets.tsv`) once per test run: `python3 bench/align_stress.py`.
pub fn stress_sets() {
    static MADE: std::sync::Once = std::sync::Once::new();
    MADE.call_once(|| {
        shared("data/align/README.md");
        let out = std::process::Command::new("python3")
            .arg(repo("bench/align_stress.py"))
            .output()
            .expect("python3 runs bench/align_stress.py");
        assert!(
            out.status.success(),
            "bench/align_stress.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// `xmllint --noout --schema schema file`: Ok, or its complaint.
pub fn xmllint(schema: &Path, file: &Path) -> Result<(), String> {
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(file)
        .output()
        .expect("xmllint is installed (libxml2-utils; scripts/test installs it)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
