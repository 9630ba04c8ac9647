//! Crash safety (issue 6): `bench/killtest.py` kills `bitext import`, `align --into`,
//! `delete` and `export` with SIGKILL at random moments and checks that the memory
//! passes `PRAGMA integrity_check`, holds every committed file completely and nothing
//! of the others, and that an export target is never left truncated. Here it runs
//! small (a few kills per command, every check the same); docs/reliability.md has the
//! long run (≥ 20 kills per command on 200,000 units).

use crate::util::{repo, tempdir};

#[test]
#[cfg(unix)]
fn sigkill_at_random_moments_loses_nothing_committed_and_leaves_nothing_half_done() {
    let dir = tempdir();
    let binary = assert_cmd::cargo::cargo_bin("bitext");
    let out = std::process::Command::new("python3")
        .arg(repo("bench/killtest.py"))
        .args(["--units", "6000", "--files", "3", "--doc-sentences", "400"])
        .args(["--kills", "3", "--seed", "7"])
        .arg("--work")
        .arg(dir.path())
        .arg("--bitext")
        .arg(&binary)
        .output()
        .expect("python3 runs bench/killtest.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for scenario in ["import", "align", "delete", "export"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(scenario))
            .unwrap_or_else(|| panic!("no {scenario} line in: {stdout}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        let kills: u32 = fields[2].parse().unwrap();
        assert!(kills >= 3, "{line}");
        assert!(line.contains("ok: nothing half-done"), "{line}");
    }
}
