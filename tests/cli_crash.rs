//! Crash safety (issue 6): `bench/killtest.py` kills `bitext import`, `align --into`,
//! `delete` and `export` with SIGKILL at random moments and checks that the memory
//! passes `PRAGMA integrity_check`, holds every committed file completely and nothing
//! of the others, and that an export target is never left truncated. Here it runs
//! small (a few kills per command, every check the same); docs/reliability.md has the
//! long run (≥ 20 kills per command on 200,000 units).
//!
//! Interruptions (issue 18): SIGINT and SIGTERM during an export, a conversion or an
//! import remove the temporary files, say what was not done and exit 130 or 143.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{bitext, json_lines, repo, shared, tempdir, tm_cmd};

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

/// Names of the temporary files bitext leaves in `dir` (outputs and new memories).
fn temporary_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect()
}

/// Waits until `dir` holds a temporary file of bitext's (the work has started).
fn wait_for_temporary_file(dir: &Path, child: &mut Child) -> bool {
    let start = Instant::now();
    while temporary_files(dir).is_empty() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

#[cfg(unix)]
fn send(child: &Child, signal: i32) {
    // SAFETY: kill(2) on the id of a child that has not been waited for yet.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// The process ended with `code`, saying `message` on stderr and nothing else.
fn ended_with(child: Child, code: i32, message: &str) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.trim_end(), format!("bitext: interrupted: {message}"));
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("bitext"))
        .current_dir(dir)
        .env("BITEXT_TM", dir.join("tm.sqlite"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Lines of TSV (`en<TAB>ru`), more than a reader peeks at before it starts.
fn tsv_lines(stdin: &mut impl Write, n: usize) {
    for i in 0..n {
        writeln!(stdin, "Line {i} of the text.\tСтрока {i} текста.").unwrap();
    }
    stdin.flush().unwrap();
}

/// Issue 18, item 4: Ctrl-C (or SIGTERM) during `export` removes the half-written
/// temporary file, keeps the earlier export as it was, says so, and exits 130 (143).
#[test]
#[cfg(unix)]
fn an_interrupted_export_leaves_no_temporary_file() {
    let dir = tempdir();
    tm_cmd(&dir.path().join("tm.sqlite"))
        .args(["import", "-s", "en", "-t", "ru"])
        .arg(shared("data/corpus/en_ru.tsv"))
        .assert()
        .success();
    std::fs::write(dir.path().join("out.tmx"), "the earlier export").unwrap();
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        // The export takes about half a second: it is interrupted as soon as its
        // temporary file appears (tried again in the unlikely case it finished first).
        let mut tries = 0;
        let export = loop {
            let mut export = spawn(dir.path(), &["export", "out.tmx"]);
            if wait_for_temporary_file(dir.path(), &mut export) {
                break export;
            }
            tries += 1;
            assert!(
                tries < 5,
                "the export always ended before it could be interrupted"
            );
            std::fs::write(dir.path().join("out.tmx"), "the earlier export").unwrap();
        };
        send(&export, signal);
        ended_with(export, code, "nothing written");
        assert_eq!(temporary_files(dir.path()), Vec::<String>::new());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out.tmx")).unwrap(),
            "the earlier export"
        );
    }
}

/// `convert` reading a pipe is interrupted while it waits for more input.
#[test]
#[cfg(unix)]
fn an_interrupted_convert_leaves_no_temporary_file() {
    let dir = tempdir();
    let mut convert = spawn(
        dir.path(),
        &[
            "convert", "-", "out.tmx", "--from", "tsv", "--langs", "en,ru",
        ],
    );
    let mut stdin = convert.stdin.take().unwrap();
    tsv_lines(&mut stdin, 2000);
    assert!(wait_for_temporary_file(dir.path(), &mut convert));
    send(&convert, libc::SIGTERM);
    ended_with(convert, 143, "nothing written");
    assert_eq!(temporary_files(dir.path()), Vec::<String>::new());
    assert!(!dir.path().join("out.tmx").exists());
}

/// The first import into a new memory, interrupted, leaves neither the memory nor its
/// temporary file; files imported before an interruption are named.
#[test]
#[cfg(unix)]
fn an_interrupted_import_says_what_was_imported() {
    let dir = tempdir();
    let mut import = spawn(
        dir.path(),
        &[
            "--quiet", "import", "-", "--from", "tsv", "-s", "en", "-t", "ru",
        ],
    );
    let mut stdin = import.stdin.take().unwrap();
    tsv_lines(&mut stdin, 2000);
    assert!(wait_for_temporary_file(dir.path(), &mut import));
    send(&import, libc::SIGINT);
    ended_with(import, 130, "nothing imported");
    assert_eq!(temporary_files(dir.path()), Vec::<String>::new());
    assert!(!dir.path().join("tm.sqlite").exists());

    // A file imported, then the second (standard input) interrupted.
    std::fs::write(dir.path().join("a.tsv"), "en\tru\nOne.\tОдин.\n").unwrap();
    let mut import = spawn(
        dir.path(),
        &[
            "--quiet", "import", "a.tsv", "-", "--from", "tsv", "-s", "en", "-t", "ru",
        ],
    );
    let mut stdin = import.stdin.take().unwrap();
    tsv_lines(&mut stdin, 2000);
    let start = Instant::now();
    while !dir.path().join("tm.sqlite").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "a.tsv not imported"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Published after a.tsv; the import of standard input goes on.
    std::thread::sleep(Duration::from_millis(200));
    send(&import, libc::SIGINT);
    ended_with(import, 130, "a.tsv imported; the files after it not");
    assert_eq!(temporary_files(dir.path()), Vec::<String>::new());
    let out = tm_cmd(&dir.path().join("tm.sqlite"))
        .args(["stats", "-f", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&out.stdout)[0]["units"], 1);
}

/// Temporary outputs of processes that are gone are removed by the next output to the
/// same folder; those of running processes are left alone.
#[test]
#[cfg(unix)]
fn temporary_outputs_of_killed_processes_are_removed() {
    let dir = tempdir();
    let gone = dir.path().join(".bitext-4999999-AbCdEf.tmp");
    let running = dir
        .path()
        .join(format!(".bitext-{}-AbCdEf.tmp", std::process::id()));
    let not_ours = dir.path().join(".bitext-notes.tmp");
    for f in [&gone, &running, &not_ours] {
        std::fs::write(f, "half an export").unwrap();
    }
    std::fs::write(dir.path().join("a.tsv"), "en\tru\nOne.\tОдин.\n").unwrap();
    bitext()
        .current_dir(dir.path())
        .args(["convert", "a.tsv", "out.tmx"])
        .assert()
        .success();
    assert_eq!(gone.exists(), !Path::new("/proc/self").exists());
    assert!(running.exists());
    assert!(not_ours.exists());
}
