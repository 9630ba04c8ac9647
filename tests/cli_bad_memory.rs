//! The catalogue of bad inputs (issue 6), for the translation memory and the commands
//! around it: a damaged, foreign, newer, read-only or missing memory file, absurd
//! numbers, bad language tags, hostile texts, huge lines. Each is refused with one
//! clear message naming the file (and line or unit where there is one), a non-zero
//! exit, no panic, and nothing written to the memory or the output.
//! `tests/cli_bad_inputs.rs` has the exchange-format cases.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::util::{bitext, tempdir, write_file};

/// `bitext ARGS…` with `--tm TM` appended, no memory or user from the environment.
fn run(tm: &Path, args: &[&str]) -> Output {
    bitext()
        .env_remove("BITEXT_TM")
        .env_remove("BITEXT_USER")
        .args(args)
        .arg("--tm")
        .arg(tm)
        .output()
        .unwrap()
}

/// Checks a refusal: exit status 1, one line `bitext: error: …` containing every
/// `expected` part, no panic. Returns stderr.
fn refused(output: &Output, expected: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("bitext: error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    for part in expected {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
    stderr
}

/// Checks a success (exit status 0); shows stderr if not.
fn succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Checks a command-line usage error (clap): exit status 2, the option named, no panic.
fn usage_error(output: &Output, expected: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit status; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty());
    for part in expected {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
}

/// A TSV of `n` generated pairs (header en, ru), distinct sentences.
fn pairs_tsv(dir: &Path, name: &str, n: usize) -> PathBuf {
    let mut text = String::from("en\tru\n");
    for i in 0..n {
        text.push_str(&format!(
            "Report {i} was sent to the office on day {}.\tОтчёт {i} отправлен в офис в день {}.\n",
            i % 31,
            i % 31
        ));
    }
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// A memory of 200 units in `dir`, closed (no WAL left).
fn memory(dir: &Path) -> PathBuf {
    let tm = dir.join("tm.sqlite");
    let tsv = pairs_tsv(dir, "base.tsv", 200);
    let out = run(&tm, &["import", "-q", tsv.to_str().unwrap()]);
    succeeded(&out);
    tm
}

/// Checks that the file at `path` still has exactly the bytes `before`.
fn assert_same(path: &Path, before: &[u8]) {
    let now = fs::read(path).unwrap();
    assert!(
        now == before,
        "{} changed: {} bytes before, {} now",
        path.display(),
        before.len(),
        now.len()
    );
}

fn units(tm: &Path) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(tm, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    conn.query_row("SELECT count(*) FROM units", [], |r| r.get(0))
        .unwrap()
}

const READ_COMMANDS: &[&[&str]] = &[
    &["lookup", "Report 3 was sent.", "-s", "en", "-t", "ru"],
    &["concordance", "office"],
    &["stats"],
    &["export", "-", "--to", "jsonl"],
];

const WRITE_COMMANDS: &[&[&str]] = &[
    &[
        "add",
        "A new sentence.",
        "Новое предложение.",
        "-s",
        "en",
        "-t",
        "ru",
    ],
    &["delete", "--id", "1"],
    &["reindex"],
];

#[test]
fn read_only_memory_file() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let tsv = pairs_tsv(dir.path(), "more.tsv", 10);
    let mut perms = fs::metadata(&tm).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&tm, perms).unwrap();
    let before = fs::read(&tm).unwrap();
    let mut writes: Vec<Vec<&str>> = WRITE_COMMANDS.iter().map(|c| c.to_vec()).collect();
    writes.push(vec!["import", tsv.to_str().unwrap()]);
    for args in &writes {
        refused(&run(&tm, args), &["tm.sqlite", "read-only"]);
    }
    assert_same(&tm, &before);
    // Reading a read-only memory works.
    let out = run(&tm, READ_COMMANDS[0]);
    succeeded(&out);
    let mut perms = fs::metadata(&tm).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&tm, perms).unwrap();
}

/// A way to run bitext with a folder it cannot write to. A normal user: the folder's
/// permissions (`chmod 555`). The superuser ignores those, so the commands run in a
/// mount namespace of their own where the folder is bind-mounted read-only
/// (`unshare -m`); where neither is possible the test fails rather than skip.
struct ReadOnlyFolder {
    dir: PathBuf,
    mounted: bool,
}

impl ReadOnlyFolder {
    fn new(dir: &Path) -> ReadOnlyFolder {
        let mut perms = fs::metadata(dir).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(dir, perms).unwrap();
        let probe = dir.join("probe");
        if fs::write(&probe, "x").is_err() {
            return ReadOnlyFolder {
                dir: dir.to_path_buf(),
                mounted: false,
            };
        }
        fs::remove_file(&probe).unwrap();
        let folder = ReadOnlyFolder {
            dir: dir.to_path_buf(),
            mounted: true,
        };
        let out = folder
            .command("sh", &["-c", "touch probe"])
            .output()
            .unwrap();
        assert!(
            !out.status.success() && !probe.exists(),
            "cannot make a read-only folder: the folder's permissions do not stop this \
             user (the superuser), and `unshare -m` with a read-only bind mount did not \
             work either: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        folder
    }

    /// `program ARGS…`, run in the folder seen read-only.
    fn command(&self, program: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = if self.mounted {
            let mut cmd = std::process::Command::new("unshare");
            cmd.args(["-m", "sh", "-c"])
                .arg(
                    "mount --bind \"$0\" \"$0\" && mount -o remount,ro,bind \"$0\" && \
                     cd \"$0\" && exec \"$@\"",
                )
                .arg(&self.dir)
                .arg(program);
            cmd
        } else {
            let mut cmd = std::process::Command::new(program);
            cmd.current_dir(&self.dir);
            cmd
        };
        cmd.args(args)
            .env_remove("BITEXT_TM")
            .env_remove("BITEXT_USER");
        cmd
    }

    /// `bitext ARGS… --tm tm.sqlite`, in the folder.
    fn bitext(&self, args: &[&str]) -> Output {
        let bin = assert_cmd::cargo::cargo_bin("bitext");
        let mut args = args.to_vec();
        args.extend(["--tm", "tm.sqlite"]);
        self.command(bin.to_str().unwrap(), &args).output().unwrap()
    }
}

impl Drop for ReadOnlyFolder {
    fn drop(&mut self) {
        let mut perms = fs::metadata(&self.dir).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        let _ = fs::set_permissions(&self.dir, perms);
    }
}

#[test]
fn read_only_folder() {
    // Issue 18: a shared memory on a read-only mount or in another user's folder.
    // Reading commands work and create nothing beside it (SQLite's `-wal` and `-shm`
    // files could not be made there); writes are refused naming the file and why.
    let dir = tempdir();
    let tm = memory(dir.path());
    let tsv = pairs_tsv(dir.path(), "more.tsv", 10);
    fs::copy(&tsv, dir.path().join("more.tsv.bak")).unwrap();
    let before = fs::read(&tm).unwrap();
    let names = dir_names(dir.path());
    let folder = ReadOnlyFolder::new(dir.path());
    let lookup = folder.bitext(&[
        "lookup",
        "Report 7 was sent to the office on day 7!",
        "-s",
        "en",
        "-t",
        "ru",
        "-f",
        "jsonl",
    ]);
    succeeded(&lookup);
    let hits = crate::util::json_lines(&lookup.stdout);
    assert_eq!(hits[0]["matches"][0]["score"]["percent"], 99, "{hits:?}");
    let concordance = folder.bitext(&["concordance", "office", "--max", "3"]);
    succeeded(&concordance);
    assert_eq!(
        String::from_utf8_lossy(&concordance.stdout)
            .matches("**office**")
            .count(),
        3
    );
    let stats = folder.bitext(&["stats"]);
    succeeded(&stats);
    assert!(String::from_utf8_lossy(&stats.stdout).contains("units       200"));
    let export = folder.bitext(&["export", "-", "--to", "jsonl", "-q"]);
    succeeded(&export);
    assert_eq!(crate::util::json_lines(&export.stdout).len(), 200);
    let pretranslate = folder.bitext(&["pretranslate", "more.tsv", "-s", "en", "-t", "ru"]);
    succeeded(&pretranslate);

    let mut writes: Vec<Vec<&str>> = WRITE_COMMANDS.iter().map(|c| c.to_vec()).collect();
    writes.push(vec!["import", "more.tsv"]);
    for args in &writes {
        let stderr = refused(&folder.bitext(args), &["tm.sqlite", "not writable"]);
        assert!(stderr.contains("reading commands"), "{stderr}");
    }
    // A new memory there cannot be made: refused before any work, naming the folder.
    let new = folder
        .command(
            assert_cmd::cargo::cargo_bin("bitext").to_str().unwrap(),
            &["import", "more.tsv", "--tm", "new.sqlite"],
        )
        .output()
        .unwrap();
    refused(&new, &["new.sqlite", "not writable"]);
    drop(folder);
    assert_same(&tm, &before);
    assert_eq!(
        dir_names(dir.path()),
        names,
        "files were made beside the memory"
    );
}

#[test]
fn read_only_folder_with_pending_log() {
    // A write-ahead log with changes not yet in the file cannot be read without its
    // index, which cannot be made in a read-only folder: refused, saying so, rather
    // than read stale data.
    let dir = tempdir();
    let tm = memory(dir.path());
    fs::write(dir.path().join("tm.sqlite-wal"), vec![1u8; 4096]).unwrap();
    let folder = ReadOnlyFolder::new(dir.path());
    let out = folder.bitext(&["stats"]);
    refused(&out, &["tm.sqlite-wal", "holds changes", "writable"]);
    drop(folder);
    fs::remove_file(dir.path().join("tm.sqlite-wal")).unwrap();
    assert_eq!(units(&tm), 200);
}

#[test]
fn truncated_memory_file() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let bytes = fs::read(&tm).unwrap();
    let cut = write_file(dir.path(), "cut.sqlite", &bytes[..bytes.len() / 3]);
    let before = fs::read(&cut).unwrap();
    for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
        let out = run(&cut, args);
        refused(&out, &["cut.sqlite", "damaged", "restore it from a backup"]);
        assert!(out.stdout.is_empty(), "{args:?} wrote output");
    }
    assert_same(&cut, &before);
}

#[test]
fn corrupted_memory_file() {
    // The schema page overwritten: every command sees it.
    let dir = tempdir();
    let tm = memory(dir.path());
    let mut bytes = fs::read(&tm).unwrap();
    for (k, b) in bytes[100..4096].iter_mut().enumerate() {
        *b = (k * 7919 % 251) as u8;
    }
    let bad = write_file(dir.path(), "bad.sqlite", &bytes);
    for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
        let out = run(&bad, args);
        refused(&out, &["bad.sqlite", "damaged"]);
    }
    assert_same(&bad, &bytes);
    // A random 4 KiB block anywhere else: whatever a command meets, it reports (or does not
    // need the page); it never panics and never writes output it could not finish.
    for seed in 0..6u64 {
        let mut bytes = fs::read(&tm).unwrap();
        let pages = bytes.len() / 4096;
        let page = 1 + (seed as usize * 7 + 3) % (pages - 1);
        for (k, b) in bytes[page * 4096..(page + 1) * 4096].iter_mut().enumerate() {
            *b = ((k as u64 * 31 + seed * 17) % 256) as u8;
        }
        fs::write(&bad, &bytes).unwrap();
        for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
            let out = run(&bad, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stderr.contains("panicked"),
                "page {page}, {args:?}: {stderr}"
            );
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {stderr}"
            );
            if !out.status.success() {
                refused(&out, &["bad.sqlite"]);
            }
        }
    }
}

#[test]
fn not_a_memory_file() {
    let dir = tempdir();
    let text = write_file(
        dir.path(),
        "notes.sqlite",
        "Shopping list: milk, bread.\n".repeat(200),
    );
    let other = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let other_before = fs::read(&other).unwrap();
    for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
        refused(
            &run(&text, args),
            &["notes.sqlite", "not a bitext memory (not an SQLite file)"],
        );
        refused(
            &run(&other, args),
            &["other.sqlite", "made by another program"],
        );
    }
    assert!(fs::read_to_string(&text)
        .unwrap()
        .starts_with("Shopping list"));
    assert_same(&other, &other_before);
}

#[test]
fn memory_from_a_newer_bitext() {
    let dir = tempdir();
    let tm = memory(dir.path());
    {
        let conn = rusqlite::Connection::open(&tm).unwrap();
        conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = fs::read(&tm).unwrap();
    for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
        let stderr = refused(
            &run(&tm, args),
            &[
                "tm.sqlite",
                "schema version 99, made by a newer bitext",
                "upgrade bitext",
            ],
        );
        assert!(!stderr.contains("write access"), "{stderr}");
    }
    assert_same(&tm, &before);
}

#[test]
fn missing_memory_for_read_commands() {
    let dir = tempdir();
    let tm = dir.path().join("absent.sqlite");
    let doc = write_file(dir.path(), "doc.txt", "One sentence.\n");
    let mut commands: Vec<Vec<&str>> = READ_COMMANDS.iter().map(|c| c.to_vec()).collect();
    commands.push(vec!["delete", "--id", "1"]);
    commands.push(vec!["reindex"]);
    commands.push(vec![
        "pretranslate",
        doc.to_str().unwrap(),
        "-s",
        "en",
        "-t",
        "ru",
    ]);
    for args in &commands {
        let out = run(&tm, args);
        refused(&out, &["absent.sqlite", "no memory here", "bitext import"]);
        assert!(out.stdout.is_empty());
    }
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no memory was created: {left:?}");
}

#[test]
fn absurd_numbers() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let doc = write_file(dir.path(), "doc.txt", "One sentence.\n");
    let doc = doc.to_str().unwrap();
    let lookup = ["lookup", "Report 3.", "-s", "en", "-t", "ru"];
    let with = |extra: &[&str]| -> Vec<String> {
        lookup.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    for (args, expected) in [
        (
            with(&["--min", "150"]),
            &["--min", "150 is not in 1..=101"][..],
        ),
        (with(&["--min", "0"]), &["--min", "0 is not in 1..=101"]),
        (with(&["--min=-5"]), &["--min", "-5"]),
        (with(&["--min", "99999999999"]), &["--min"]),
        (with(&["--max", "0"]), &["--max", "0 would show nothing"]),
        (
            with(&["--max", "99999999999999999999999"]),
            &["--max", "too large"],
        ),
        (with(&["--max", "five"]), &["--max", "five"]),
        (
            with(&["--wait", "nan"]),
            &["--wait", "not between 0 and 86400"],
        ),
        (with(&["--wait=-1"]), &["--wait", "not between 0 and 86400"]),
        (
            with(&["--wait", "1e300"]),
            &["--wait", "not between 0 and 86400"],
        ),
        (with(&["--wait", "inf"]), &["--wait"]),
        (
            vec!["pretranslate", doc, "-s", "en", "-t", "ru", "--min", "150"]
                .into_iter()
                .map(String::from)
                .collect(),
            &["--min", "150"],
        ),
        (
            ["delete", "--id", "one"].map(String::from).to_vec(),
            &["--id", "one"],
        ),
        (
            ["delete", "--id", "99999999999999999999"]
                .map(String::from)
                .to_vec(),
            &["--id"],
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        usage_error(&run(&tm, &args), expected);
    }
    assert_eq!(units(&tm), 200);
}

#[test]
fn empty_unknown_or_equal_language_tags() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let before = fs::read(&tm).unwrap();
    let tsv = pairs_tsv(dir.path(), "more.tsv", 3);
    let tsv = tsv.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["add", "a", "b", "-s", "", "-t", "ru"],
            &["--src-lang \"\"", "empty language tag"][..],
        ),
        (
            vec!["add", "a", "b", "-s", "en", "-t", "français"],
            &["--tgt-lang \"français\"", "invalid language tag"],
        ),
        (
            vec!["add", "a", "b", "-s", "en", "-t", "x y"],
            &["--tgt-lang \"x y\""],
        ),
        (
            vec!["lookup", "a", "-s", "", "-t", "ru"],
            &["--src-lang \"\"", "empty language tag"],
        ),
        (
            vec!["lookup", "a", "-s", "en", "-t", "12345678901"],
            &["--tgt-lang", "invalid language tag"],
        ),
        (
            vec!["import", tsv, "-s", "e n", "-t", "ru"],
            &["--src-lang \"e n\""],
        ),
        (
            vec!["add", "a", "b", "-s", "en", "-t", "EN"],
            &["--src-lang and --tgt-lang are both en"],
        ),
        (
            vec!["lookup", "a", "-s", "de-CH", "-t", "de_ch"],
            &["both de-CH"],
        ),
        (
            vec!["delete", "--lang", ""],
            &["--lang \"\"", "empty language tag"],
        ),
    ] {
        refused(&run(&tm, &args), expected);
    }
    assert_same(&tm, &before);
    // en-US into en-GB is a real job.
    let out = run(
        &tm,
        &["add", "color", "colour", "-s", "en-US", "-t", "en-GB"],
    );
    succeeded(&out);
}

#[test]
fn directory_pipe_or_device_as_the_memory() {
    let dir = tempdir();
    let sub = dir.path().join("memories");
    fs::create_dir(&sub).unwrap();
    for args in READ_COMMANDS.iter().chain(WRITE_COMMANDS) {
        refused(
            &run(&sub, args),
            &["memories", "is a directory, not a memory file"],
        );
    }
    let tsv = pairs_tsv(dir.path(), "more.tsv", 3);
    refused(
        &run(&sub, &["import", tsv.to_str().unwrap()]),
        &["is a directory"],
    );
    // $BITEXT_TM naming a directory.
    let out = bitext()
        .env("BITEXT_TM", &sub)
        .args(["stats"])
        .output()
        .unwrap();
    refused(&out, &["memories", "is a directory"]);
    #[cfg(unix)]
    {
        // A named pipe would block SQLite forever; /dev/null would get journal files
        // created beside it.
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let start = Instant::now();
        for args in [READ_COMMANDS[0], WRITE_COMMANDS[0]] {
            refused(&run(&fifo, args), &["pipe", "not a regular file"]);
        }
        assert!(start.elapsed() < Duration::from_secs(20));
        refused(
            &run(Path::new("/dev/null"), WRITE_COMMANDS[0]),
            &["/dev/null", "not a regular file"],
        );
        assert!(!Path::new("/dev/null-journal").exists());
        assert!(!Path::new("/dev/null-wal").exists());
    }
}

#[test]
fn memory_path_under_a_file() {
    let dir = tempdir();
    let file = pairs_tsv(dir.path(), "data.tsv", 2);
    let tm = file.join("tm.sqlite");
    refused(
        &run(&tm, WRITE_COMMANDS[0]),
        &["data.tsv", "is a file, not a directory"],
    );
}

#[test]
fn failed_import_leaves_the_memory_byte_identical() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let before = fs::read(&tm).unwrap();
    // 20,000 good rows (five batches stored), then a ragged one.
    let mut text = fs::read_to_string(pairs_tsv(dir.path(), "big.tsv", 20_000)).unwrap();
    text.push_str("one\ttwo\tthree\n");
    text.push_str("Last row.\tПоследняя строка.\n");
    let bad = write_file(dir.path(), "bad.tsv", &text);
    refused(
        &run(&tm, &["import", bad.to_str().unwrap()]),
        &["nothing of", "bad.tsv:20002:", "3 fields in this row"],
    );
    assert_same(&tm, &before);
    assert_eq!(units(&tm), 200);
    // A unit the memory refuses, midway (a NUL character in JSON Lines).
    let mut jsonl = String::new();
    for i in 0..10_000 {
        jsonl.push_str(&format!(
            "{{\"source\":\"Line {i} of the file.\",\"target\":\"Строка {i}.\",\"src_lang\":\"en\",\"tgt_lang\":\"ru\"}}\n"
        ));
    }
    jsonl.push_str(
        "{\"source\":\"A\\u0000B\",\"target\":\"C\",\"src_lang\":\"en\",\"tgt_lang\":\"ru\"}\n",
    );
    let nul = write_file(dir.path(), "nul.jsonl", jsonl);
    refused(
        &run(&tm, &["import", nul.to_str().unwrap()]),
        &[
            "nul.jsonl (unit #10001)",
            "contains U+0000",
            "nul.jsonl was imported",
        ],
    );
    assert_same(&tm, &before);
    assert_eq!(units(&tm), 200);
    // With --skip-invalid, the good units go in and the bad one is listed.
    let out = run(&tm, &["import", "--skip-invalid", nul.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("nul.jsonl (unit #10001): the en text contains U+0000"),
        "{stderr}"
    );
    assert!(stderr.contains("1 skipped"), "{stderr}");
    assert_eq!(units(&tm), 10_200);
}

#[test]
fn disk_full_during_import_changes_nothing() {
    // `ulimit -f` makes the file unable to grow past 2 MB (EFBIG, as a full disk gives
    // ENOSPC): the import fails with a message and the memory is as before.
    let dir = tempdir();
    let tm = memory(dir.path());
    let before = fs::read(&tm).unwrap();
    let tsv = pairs_tsv(dir.path(), "big.tsv", 30_000);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 4096 && exec \"$0\" import \"$1\" --tm \"$2\"")
        .arg(assert_cmd::cargo::cargo_bin!("bitext"))
        .arg(&tsv)
        .arg(&tm)
        .output()
        .unwrap();
    let stderr = refused(&out, &["big.tsv"]);
    assert!(
        stderr.contains("disk is full")
            || stderr.contains("too large")
            || stderr.contains("disk I/O"),
        "{stderr}"
    );
    assert_same(&tm, &before);
    assert_eq!(units(&tm), 200);
}

#[test]
fn hundred_megabyte_single_line_for_segment() {
    // 100 MB of text with no line break: segmented in seconds (one paragraph).
    let dir = tempdir();
    let path = dir.path().join("line.txt");
    let mut file = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    let chunk = "This is one more sentence without a line break. ".repeat(1024);
    let mut written = 0;
    while written < 100 << 20 {
        file.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    file.flush().unwrap();
    drop(file);
    let out_path = dir.path().join("out.txt");
    let start = Instant::now();
    let out = bitext()
        .args(["segment", "-q", "-l", "en"])
        .arg(&path)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    succeeded(&out);
    let lines = fs::read_to_string(&out_path).unwrap().lines().count();
    assert_eq!(lines, written / 48);
    eprintln!("segment: 100 MB single line in {:?}", start.elapsed());
}

#[test]
fn hundred_megabyte_single_line_for_import() {
    // A 100 MB cell (a whole document in one field) is refused quickly, by name and
    // line, and the memory is unchanged.
    let dir = tempdir();
    let tm = memory(dir.path());
    let before = fs::read(&tm).unwrap();
    let path = dir.path().join("huge.tsv");
    let mut file = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    file.write_all(b"en\tru\nShort.\t\xd0\x9a\xd0\xbe\xd1\x80\xd0\xbe\xd1\x82\xd0\xba\xd0\xbe.\n")
        .unwrap();
    let chunk = "word ".repeat(4096);
    for _ in 0..(100 << 20) / chunk.len() {
        file.write_all(chunk.as_bytes()).unwrap();
    }
    file.write_all("\tслово\n".as_bytes()).unwrap();
    file.flush().unwrap();
    drop(file);
    let start = Instant::now();
    refused(
        &run(&tm, &["import", path.to_str().unwrap()]),
        &[
            "huge.tsv (unit #2)",
            "the en text is 104857600 bytes long",
            "at most 65536",
        ],
    );
    eprintln!(
        "import: 100 MB single line refused in {:?}",
        start.elapsed()
    );
    assert_same(&tm, &before);
    // With --skip-invalid the rest of the file is imported.
    let out = run(&tm, &["import", "--skip-invalid", path.to_str().unwrap()]);
    succeeded(&out);
    assert_eq!(units(&tm), 201);
}

#[test]
fn one_line_tmx_with_many_units_is_imported() {
    // A whole TMX on one line (as some tools write it): streamed, every unit kept.
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let path = dir.path().join("oneline.tmx");
    let mut tmx = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><tmx version=\"1.4\"><header srclang=\"en\" \
         datatype=\"plaintext\" segtype=\"sentence\" adminlang=\"en\" o-tmf=\"x\" \
         creationtool=\"t\" creationtoolversion=\"1\"/><body>",
    );
    for i in 0..20_000 {
        tmx.push_str(&format!(
            "<tu><tuv xml:lang=\"en\"><seg>Item {i} is <b>ready</b>.</seg></tuv>\
             <tuv xml:lang=\"de\"><seg>Artikel {i} ist bereit.</seg></tuv></tu>"
        ));
    }
    tmx.push_str("</body></tmx>");
    fs::write(&path, tmx).unwrap();
    let out = run(&tm, &["import", "-q", path.to_str().unwrap()]);
    succeeded(&out);
    assert_eq!(units(&tm), 20_000);
}

#[test]
fn control_characters_and_nul_bytes() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let before = fs::read(&tm).unwrap();
    for (args, expected) in [
        (
            vec![
                "add",
                "Ring \u{7} the bell.",
                "Звонок.",
                "-s",
                "en",
                "-t",
                "ru",
            ],
            &["cannot add the pair", "the en text contains U+0007"][..],
        ),
        (
            vec![
                "add",
                "Fine.",
                "Хорошо.",
                "-s",
                "en",
                "-t",
                "ru",
                "--note",
                "a\u{1b}[31m",
            ],
            &["a note contains U+001B"],
        ),
        (
            vec![
                "add",
                "Fine.",
                "Хорошо.",
                "-s",
                "en",
                "-t",
                "ru",
                "--user",
                "eve\u{8}",
            ],
            &["--user", "the user name contains U+0008"],
        ),
        (
            vec![
                "add",
                "Fine.",
                "Хорошо.",
                "-s",
                "en",
                "-t",
                "ru",
                "--prop",
                "x-domain=\u{FFFF}",
            ],
            &["x-domain", "U+FFFF"],
        ),
    ] {
        refused(&run(&tm, &args), expected);
    }
    assert_same(&tm, &before);
    // A queries file with a NUL byte is a binary file.
    let queries = write_file(dir.path(), "queries.txt", b"Report 3 was sent.\nRep\0ort\n");
    let out = run(
        &tm,
        &[
            "lookup",
            "--queries",
            queries.to_str().unwrap(),
            "-s",
            "en",
            "-t",
            "ru",
            "-o",
            dir.path().join("out.txt").to_str().unwrap(),
        ],
    );
    refused(&out, &["queries.txt:2:4:", "NUL byte"]);
    assert!(!dir.path().join("out.txt").exists());
    // So is a document to pre-translate.
    let doc = write_file(dir.path(), "doc.txt", b"Report 3 was sent.\nRep\0ort\n");
    refused(
        &run(
            &tm,
            &[
                "pretranslate",
                doc.to_str().unwrap(),
                "-s",
                "en",
                "-t",
                "ru",
            ],
        ),
        &["doc.txt:2:4:", "NUL byte"],
    );
}

#[test]
fn text_too_long_for_a_memory() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let long = "word ".repeat(13_108); // 65,540 bytes
    refused(
        &run(&tm, &["add", &long, "слово", "-s", "en", "-t", "ru"]),
        &["the en text is 65540 bytes long", "at most 65536"],
    );
    assert_eq!(units(&tm), 200);
    // Just under the limit is kept, and a lookup with it stays quick.
    let ok = "word ".repeat(13_000);
    let out = run(&tm, &["add", &ok, "слово", "-s", "en", "-t", "ru"]);
    succeeded(&out);
    let query = ok.replacen("word", "ward", 1);
    let out = run(
        &tm,
        &["lookup", &query, "-s", "en", "-t", "ru", "-f", "jsonl"],
    );
    succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"percent\":94"));
}

#[test]
fn outputs_never_replace_the_memory() {
    let dir = tempdir();
    let tm = memory(dir.path());
    // Concordance brings its index up to date first (a legitimate write).
    assert!(run(&tm, &["concordance", "office"]).status.success());
    let before = fs::read(&tm).unwrap();
    let path = tm.to_str().unwrap();
    for args in [
        vec!["export", path, "--to", "tsv"],
        vec!["lookup", "Report 3.", "-s", "en", "-t", "ru", "-o", path],
        vec!["concordance", "office", "-o", path],
    ] {
        refused(
            &run(&tm, &args),
            &["refusing to overwrite", "tm.sqlite", "SQLite database"],
        );
    }
    assert_same(&tm, &before);
    assert_eq!(units(&tm), 200);
    // Importing the memory file into itself is refused as a binary file.
    refused(&run(&tm, &["import", path]), &["tm.sqlite", "binary file"]);
    assert_same(&tm, &before);
}

#[test]
fn empty_terms_queries_and_filters() {
    let dir = tempdir();
    let tm = memory(dir.path());
    refused(
        &run(&tm, &["concordance", "  "]),
        &["the search term is empty"],
    );
    refused(
        &run(&tm, &["lookup", " \t ", "-s", "en", "-t", "ru"]),
        &["the query is empty"],
    );
    refused(&run(&tm, &["delete"]), &["say which units to delete"]);
    refused(
        &run(&tm, &["delete", "--before", "yesterday"]),
        &["--before \"yesterday\"", "expected a date"],
    );
    refused(
        &run(&tm, &["add", " ", "x", "-s", "en", "-t", "ru"]),
        &["two languages"],
    );
    let queries = dir.path().join("missing.txt");
    refused(
        &run(
            &tm,
            &[
                "lookup",
                "--queries",
                queries.to_str().unwrap(),
                "-s",
                "en",
                "-t",
                "ru",
            ],
        ),
        &["missing.txt", "No such file"],
    );
    refused(
        &run(
            &tm,
            &[
                "lookup",
                "--queries",
                dir.path().to_str().unwrap(),
                "-s",
                "en",
                "-t",
                "ru",
            ],
        ),
        &["is a directory"],
    );
    let empty = write_file(dir.path(), "empty.tsv", "");
    refused(
        &run(&tm, &["import", empty.to_str().unwrap()]),
        &["empty.tsv", "the file is empty"],
    );
    assert_eq!(units(&tm), 200);
}

#[test]
fn concordance_finds_dotted_capital_i_and_capital_sharp_s() {
    // The trigram index folds case its own way: `İ` (which Rust lower-cases to two
    // characters) was never found once the index was built.
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let tsv = write_file(
        dir.path(),
        "tr.tsv",
        "en\ttr\nWelcome to İstanbul.\tİstanbul'a hoş geldiniz.\nDER STRAẞENBAU\tyol yapımı\n",
    );
    assert!(run(&tm, &["import", "-q", tsv.to_str().unwrap()])
        .status
        .success());
    // First read-only (the texts are scanned), then writable (the index is built).
    let mut perms = fs::metadata(&tm).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&tm, perms.clone()).unwrap();
    for pass in 0..2 {
        if pass == 1 {
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&tm, perms.clone()).unwrap();
        }
        for (term, unit) in [
            ("İstanbul", "unit 1"),
            ("straßenbau", "unit 2"),
            ("STRAẞENBAU", "unit 2"),
        ] {
            let out = run(&tm, &["concordance", term]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains(unit), "{term}: {stdout}");
        }
    }
}

/// The files of `dir`, sorted.
fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_memory_appears_only_with_its_first_file() {
    // A new memory is built unseen and published after the first file: a first file
    // that fails leaves no memory and no temporary file; a later one that fails leaves
    // the memory with the files before it.
    let dir = tempdir();
    let mem = dir.path().join("mem");
    fs::create_dir(&mem).unwrap();
    let tm = mem.join("tm.sqlite");
    let good = pairs_tsv(dir.path(), "good.tsv", 300);
    let bad = write_file(
        dir.path(),
        "bad.tsv",
        "en\tru\nOne\tОдин\nTwo\tДва\tthree\n",
    );
    let out = run(&tm, &["import", "-q", bad.to_str().unwrap()]);
    refused(&out, &["bad.tsv:3", "nothing of"]);
    assert!(dir_names(&mem).is_empty(), "{:?}", dir_names(&mem));
    let out = run(
        &tm,
        &[
            "import",
            "-q",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
    );
    // Several files: the failure, then the list of what failed and what went in
    // (issue 18).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("bitext: error: ") && lines[0].contains("bad.tsv:3"));
    assert!(lines[1].contains("1 of 2 files failed") && lines[1].contains("imported: "));
    assert_eq!(units(&tm), 300);
    let names = dir_names(&mem);
    assert!(
        names.iter().all(|n| n.starts_with("tm.sqlite")),
        "{names:?}"
    );
    let mode: String = rusqlite::Connection::open(&tm)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
