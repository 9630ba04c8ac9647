//! Concurrent use of one memory by several processes: readers during an import see
//! none or all of it and never fail; a second writer waits, or fails with a clear
//! message; nothing is corrupted. No timing is asserted: the import is held open
//! deterministically by feeding it from a pipe, and the write lock by an SQLite
//! connection of the test.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{bitext, json_lines, shared, tempdir, tm_cmd};

/// The same as a process to start and leave running.
fn spawn(tm: &Path, args: &[&str]) -> Child {
    StdCommand::new(assert_cmd::cargo::cargo_bin("bitext"))
        .env_remove("BITEXT_USER")
        .env("BITEXT_TM", tm)
        .arg("--quiet")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bitext starts")
}

fn units(tm: &Path) -> u64 {
    let out = tm_cmd(tm)
        .args(["stats", "-f", "jsonl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json_lines(&out)[0]["units"].as_u64().unwrap()
}

/// Units `bitext export` writes (one TSV line each, after the header of languages).
fn exported(tm: &Path) -> u64 {
    let out = tm_cmd(tm)
        .args(["export", "-", "--to", "tsv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("en\tru"));
    lines.count() as u64
}

/// The best match's percent and target for `text`, if any.
fn best(tm: &Path, text: &str) -> Option<(u64, String)> {
    let out = tm_cmd(tm)
        .args(["lookup", text, "-s", "en", "-t", "ru", "-f", "jsonl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rec = json_lines(&out).remove(0);
    rec["matches"].as_array().unwrap().first().map(|m| {
        (
            m["score"]["percent"].as_u64().unwrap(),
            m["target"]["text"].as_str().unwrap().to_string(),
        )
    })
}

fn integrity_ok(tm: &Path) {
    let conn = rusqlite::Connection::open(tm).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

/// True once another connection holds the memory's write lock (tried without waiting).
fn write_locked(tm: &Path) -> bool {
    let conn = rusqlite::Connection::open(tm).unwrap();
    conn.busy_timeout(Duration::ZERO).unwrap();
    match conn.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            conn.execute_batch("ROLLBACK").unwrap();
            false
        }
        Err(e) => {
            assert_eq!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy),
                "{e}"
            );
            true
        }
    }
}

/// The shared en-ru corpus: pairs `from..to` as TSV lines (without a newline).
fn corpus_lines(from: usize, to: usize) -> Vec<String> {
    fs::read_to_string(shared("data/corpus/en_ru.tsv"))
        .unwrap()
        .lines()
        .skip(from)
        .take(to - from)
        .map(str::to_string)
        .collect()
}

fn write_tsv(path: &Path, lines: &[String]) -> PathBuf {
    fs::write(path, lines.join("\n") + "\n").unwrap();
    path.to_path_buf()
}

/// A writer refused because another process writes: exit 1, one line naming the
/// memory and saying why, no panic.
fn refused_clearly(tm: &Path, args: &[&str]) {
    let out = tm_cmd(tm).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.contains(&*tm.display().to_string()),
        "{args:?} names the memory: {stderr}"
    );
    assert!(
        stderr.contains("another process that is writing"),
        "{args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// (a) Readers during an import see the memory as it was, then all of the import;
/// (b) a second writer with `--wait 0` fails clearly, one that waits succeeds after it.
#[test]
fn an_import_is_invisible_until_it_commits_and_a_second_writer_waits_or_fails() {
    let dir = tempdir();
    let tm = dir.path().join("memory.sqlite");
    let base = corpus_lines(0, 2000);
    let batch = corpus_lines(2000, 32_000);
    tm_cmd(&tm)
        .args(["import", "-s", "en", "-t", "ru"])
        .arg(write_tsv(&dir.path().join("base.tsv"), &base))
        .assert()
        .success();
    let base_units = units(&tm);
    let (base_src, base_tgt) = base[7].split_once('\t').unwrap();
    let (new_src, _) = batch[25_000].split_once('\t').unwrap();
    assert_ne!(best(&tm, new_src).map(|b| b.0), Some(100));

    // The import reads from a pipe: it is in progress, holding the write lock, until
    // the test closes its input.
    let mut import = spawn(
        &tm,
        &[
            "import", "-", "--from", "tsv", "-s", "en", "-t", "ru", "--report", "jsonl",
        ],
    );
    let mut input = import.stdin.take().unwrap();
    for line in &batch[..20_000] {
        writeln!(input, "{line}").expect("the import reads its input");
    }
    input.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !write_locked(&tm) {
        assert!(Instant::now() < deadline, "the import never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Readers see the memory as it was.
    assert_eq!(units(&tm), base_units);
    assert_eq!(exported(&tm), base_units);
    assert_eq!(best(&tm, base_src), Some((100, base_tgt.to_string())));
    assert_ne!(best(&tm, new_src).map(|b| b.0), Some(100));
    // Concordance does not wait for the import to update its index: it searches
    // without the update, and says so.
    let out = tm_cmd(&tm)
        .args([
            "concordance",
            base_src,
            "-f",
            "jsonl",
            "--max",
            "1",
            "--wait",
            "2",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(json_lines(&out.stdout).len(), 1);

    // Writers that do not wait fail clearly and change nothing.
    let extra = write_tsv(
        &dir.path().join("extra.tsv"),
        &["Refused import zqrefused.\tОтказ zqrefused.".to_string()],
    );
    refused_clearly(
        &tm,
        &[
            "add",
            "Refused zqadd.",
            "Отказ.",
            "-s",
            "en",
            "-t",
            "ru",
            "--wait",
            "0",
        ],
    );
    refused_clearly(
        &tm,
        &[
            "import",
            extra.to_str().unwrap(),
            "-s",
            "en",
            "-t",
            "ru",
            "--wait",
            "0.05",
        ],
    );
    refused_clearly(&tm, &["delete", "--id", "1", "--wait", "0"]);
    refused_clearly(&tm, &["reindex", "--wait", "0"]);

    // A writer that waits (long enough for any machine) gets in after the import.
    let waiting = spawn(
        &tm,
        &[
            "add",
            "The waiting writer zqwait.",
            "Ждущий писатель zqwait.",
            "-s",
            "en",
            "-t",
            "ru",
            "--wait",
            "600",
        ],
    );

    // Readers in a loop while the import finishes: never a failure, and the count is
    // the base's, or all of the import's (plus the waiting writer's unit).
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|k| {
            let (tm, stop) = (tm.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    seen.push(if k == 0 { units(&tm) } else { exported(&tm) });
                }
                seen.push(if k == 0 { units(&tm) } else { exported(&tm) });
                seen
            })
        })
        .collect();
    for line in &batch[20_000..] {
        writeln!(input, "{line}").unwrap();
    }
    drop(input);
    let out = import.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: Value = json_lines(&out.stdout).remove(0);
    assert_eq!(report["read"], 30_000);
    let imported = report["imported"].as_u64().unwrap();
    assert!(imported > 29_000, "{report}");
    let waited = waiting.wait_with_output().unwrap();
    assert!(waited.status.success(), "{waited:?}");
    stop.store(true, Ordering::Relaxed);
    let after = base_units + imported;
    for reader in readers {
        let seen = reader.join().unwrap();
        assert!(
            seen.iter()
                .all(|&n| n == base_units || n == after || n == after + 1),
            "counts seen: base {base_units}, after {after}: {seen:?}"
        );
        assert_eq!(*seen.last().unwrap(), after + 1);
    }

    // Both writers' units are there, the refused ones are not, the file is sound.
    integrity_ok(&tm);
    assert_eq!(units(&tm), after + 1);
    assert_eq!(best(&tm, new_src).map(|b| b.0), Some(100));
    assert_eq!(
        best(&tm, "The waiting writer zqwait."),
        Some((100, "Ждущий писатель zqwait.".to_string()))
    );
    assert_ne!(best(&tm, "Refused zqadd.").map(|b| b.0), Some(100));
    assert_ne!(
        best(&tm, "Refused import zqrefused.").map(|b| b.0),
        Some(100)
    );
}

/// With the write lock held by another connection, every writing command fails at
/// once with `--wait 0` (one clear line, exit 1) and every reading command works;
/// the memory is unchanged and sound afterwards.
#[test]
fn writers_fail_clearly_and_readers_read_while_another_process_writes() {
    let dir = tempdir();
    let tm = dir.path().join("locked memory.sqlite");
    let lines = corpus_lines(0, 300);
    let tsv = write_tsv(&dir.path().join("pairs.tsv"), &lines);
    tm_cmd(&tm)
        .args(["import", "-s", "en", "-t", "ru"])
        .arg(&tsv)
        .assert()
        .success();
    let before = units(&tm);
    let (src, tgt) = lines[3].split_once('\t').unwrap();
    let lock = rusqlite::Connection::open(&tm).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();

    let tsv = tsv.to_str().unwrap();
    refused_clearly(
        &tm,
        &[
            "add",
            "New.",
            "Новое.",
            "-s",
            "en",
            "-t",
            "ru",
            "--wait",
            "0",
        ],
    );
    refused_clearly(&tm, &["import", tsv, "-s", "en", "-t", "ru", "--wait", "0"]);
    refused_clearly(&tm, &["delete", "--id", "2", "--wait", "0"]);
    refused_clearly(&tm, &["reindex", "--wait", "0"]);
    let (en, ru) = (dir.path().join("doc.en"), dir.path().join("doc.ru"));
    fs::write(&en, "The first sentence.\nThe second one.\n").unwrap();
    fs::write(&ru, "Первое предложение.\nВторое.\n").unwrap();
    let (en, ru, into) = (
        en.to_str().unwrap(),
        ru.to_str().unwrap(),
        tm.to_str().unwrap(),
    );
    refused_clearly(
        &tm,
        &[
            "align",
            en,
            ru,
            "--segmented",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
            "--into",
            into,
            "--wait",
            "0",
        ],
    );

    assert_eq!(best(&tm, src), Some((100, tgt.to_string())));
    assert_eq!(units(&tm), before);
    assert_eq!(exported(&tm), before);
    // The concordance index is behind (never updated): the search does not wait
    // for the lock (up to --wait) to update it, and finds the unit all the same.
    let word = src.split_whitespace().max_by_key(|w| w.len()).unwrap();
    let out = bitext()
        .env_remove("BITEXT_USER")
        .args(["concordance", word, "-f", "jsonl", "--wait", "2", "--tm"])
        .arg(&tm)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!json_lines(&out.stdout).is_empty());
    assert!(
        stderr.contains("another process is writing to the memory; searching without"),
        "{stderr}"
    );

    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    integrity_ok(&tm);
    assert_eq!(units(&tm), before);
    tm_cmd(&tm)
        .args([
            "add",
            "New.",
            "Новое.",
            "-s",
            "en",
            "-t",
            "ru",
            "--wait",
            "0",
        ])
        .assert()
        .success();
    assert_eq!(units(&tm), before + 1);
}

#[test]
fn a_new_memory_killed_while_being_built_leaves_no_memory() {
    // The first import into a new memory builds it in a temporary file: while it runs
    // there is no memory to read, and a kill leaves only that temporary file (which a
    // later import does not mind), never a half-built memory.
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let mut import = spawn(
        &tm,
        &["import", "-", "--from", "tsv", "-s", "en", "-t", "ru"],
    );
    let mut stdin = import.stdin.take().unwrap();
    for i in 0..2000 {
        writeln!(
            stdin,
            "Line {i} of the first file.\tСтрока {i} первого файла."
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    let temp = |dir: &Path| {
        fs::read_dir(dir).unwrap().find_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.starts_with(".tm.sqlite.bitext-new-").then_some(name)
        })
    };
    let start = Instant::now();
    while temp(dir.path()).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!tm.exists());
    tm_cmd(&tm)
        .args(["stats"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no memory here"));
    import.kill().unwrap();
    import.wait().unwrap();
    drop(stdin);
    assert!(!tm.exists(), "a killed build left a memory");
    assert!(temp(dir.path()).is_some());
    let tsv = dir.path().join("pairs.tsv");
    fs::write(&tsv, "en\tru\nOne.\tОдин.\nTwo.\tДва.\n").unwrap();
    tm_cmd(&tm)
        .args(["import", tsv.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(units(&tm), 2);
}

/// Issue 18, item 9: two first imports into a memory that does not exist yet. The
/// second waits for the first to make the memory (up to --wait), then imports into
/// it; with --wait 0 it refuses at once, before reading anything, saying why.
#[test]
fn a_second_first_import_waits_for_the_memory_the_first_makes() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    // The first is held open by its pipe while it builds the memory.
    let mut first = spawn(
        &tm,
        &["import", "-", "--from", "tsv", "-s", "en", "-t", "ru"],
    );
    let mut stdin = first.stdin.take().unwrap();
    for i in 0..2000 {
        writeln!(
            stdin,
            "Line {i} of the first file.\tСтрока {i} первого файла."
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    let building = |dir: &Path| {
        fs::read_dir(dir).unwrap().any(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.starts_with(".tm.sqlite.bitext-new-")
        })
    };
    let start = Instant::now();
    while !building(dir.path()) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second_file = write_tsv(
        &dir.path().join("second.tsv"),
        &[
            "en\tru".to_string(),
            "The second file.\tВторой файл.".to_string(),
        ],
    );
    let second_path = second_file.to_str().unwrap();

    let out = tm_cmd(&tm)
        .args(["import", second_path, "--wait", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another bitext process") && stderr.contains("is making this memory"),
        "{stderr}"
    );
    assert!(stderr.contains("--wait"), "{stderr}");
    assert!(!tm.exists());

    let second = spawn(&tm, &["import", second_path, "--wait", "120"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!tm.exists(), "the second import made a memory of its own");
    drop(stdin);
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = second.wait_with_output().unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(units(&tm), 2001);
    assert_eq!(
        best(&tm, "The second file."),
        Some((100, "Второй файл.".to_string()))
    );
    integrity_ok(&tm);
}
