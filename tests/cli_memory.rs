//! The translation-memory commands: add, import, lookup, concordance, pretranslate,
//! stats, delete, export. JSON output is parsed, not compared as text.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use crate::util::{bitext, fails_with, json_lines, shared, tempdir, tm_cmd, write_file};

fn json(cmd: &mut assert_cmd::Command) -> Vec<Value> {
    let out = cmd.assert().success().get_output().stdout.clone();
    json_lines(&out)
}

fn add(tm: &Path, src: &str, tgt: &str, extra: &[&str]) -> Value {
    let mut cmd = tm_cmd(tm);
    cmd.args(["add", src, tgt, "-s", "en", "-t", "ru", "-f", "jsonl"])
        .args(extra);
    json(&mut cmd).remove(0)
}

fn lookup(tm: &Path, text: &str, extra: &[&str]) -> Vec<Value> {
    let mut cmd = tm_cmd(tm);
    cmd.args(["lookup", text, "-s", "en", "-t", "ru", "-f", "jsonl"])
        .args(extra);
    let records = json(&mut cmd);
    assert_eq!(records.len(), 1);
    records[0]["matches"].as_array().unwrap().clone()
}

fn stats(tm: &Path) -> Value {
    json(tm_cmd(tm).args(["stats", "-f", "jsonl"])).remove(0)
}

/// The first `n` pairs of the shared en-ru corpus as a headerless TSV.
fn corpus_tsv(dir: &Path, n: usize) -> PathBuf {
    let text = fs::read_to_string(shared("data/corpus/en_ru.tsv")).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    let path = dir.join(format!("corpus{n}.tsv"));
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A memory `tm.sqlite` in `dir` holding the first `n` pairs of the shared corpus;
/// the memory and the TSV imported.
fn imported_corpus(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let tm = dir.join("tm.sqlite");
    let tsv = corpus_tsv(dir, n);
    tm_cmd(&tm)
        .args(["import", "-s", "en", "-t", "ru"])
        .arg(&tsv)
        .assert()
        .success();
    (tm, tsv)
}

#[test]
fn add_then_lookup_gives_percent_target_and_diff() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    assert_eq!(
        add(&tm, "Open the file.", "Откройте файл.", &[])["action"],
        "inserted"
    );
    add(&tm, "Close the window.", "Закройте окно.", &[]);
    let hits = lookup(&tm, "Open the old file.", &[]);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h["score"]["percent"], 80);
    assert_eq!(h["score"]["kind"], "fuzzy");
    assert_eq!(h["target"]["text"], "Откройте файл.");
    assert_eq!(h["target"]["lang"], "ru");
    let diff: Vec<(String, String)> = h["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["op"].as_str().unwrap().to_string(),
                p["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        diff.contains(&("+".to_string(), "old".to_string())),
        "{diff:?}"
    );
    // Text output shows the percentage and the wdiff-style diff.
    tm_cmd(&tm)
        .args(["lookup", "Open the old file.", "-s", "en", "-t", "ru"])
        .assert()
        .success()
        .stdout(predicate::str::contains("80%"))
        .stdout(predicate::str::contains("Open the {+old+} file."));
    // Same words, different case and punctuation: 95-99.
    let hits = lookup(&tm, "open the file!", &[]);
    assert_eq!(hits[0]["score"]["kind"], "same_words");
    let p = hits[0]["score"]["percent"].as_u64().unwrap();
    assert!((95..=99).contains(&p), "{p}");
    // Below the threshold: nothing.
    assert!(lookup(&tm, "Something else entirely here.", &[]).is_empty());
    assert_eq!(lookup(&tm, "Open the old file.", &["--min", "81"]).len(), 0);
}

#[test]
fn duplicates_are_merged_kept_skipped_or_replaced() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(&tm, "Save the file.", "Сохраните файл.", &[]);
    let again = add(
        &tm,
        "Save the file.",
        "Сохраните файл.",
        &["--user", "anna"],
    );
    assert_eq!(again["action"], "merged");
    assert_eq!(stats(&tm)["units"], 1);
    assert_eq!(
        add(&tm, "Save the file.", "Сохраните этот файл.", &[])["action"],
        "inserted"
    );
    assert_eq!(stats(&tm)["units"], 2);
    let skipped = add(
        &tm,
        "Save the file.",
        "Третий.",
        &["--on-duplicate", "skip"],
    );
    assert_eq!(skipped["action"], "skipped");
    let replaced = add(
        &tm,
        "Save the file.",
        "Запишите файл.",
        &["--on-duplicate", "replace"],
    );
    assert_eq!(replaced["action"], "replaced");
    assert_eq!(replaced["removed"].as_array().unwrap().len(), 2);
    let hits = lookup(&tm, "Save the file.", &[]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["target"]["text"], "Запишите файл.");
    assert_eq!(hits[0]["score"]["percent"], 100);
}

#[test]
fn language_tags_are_normalised_and_en_finds_en_us() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    json(tm_cmd(&tm).args([
        "add",
        "Colour settings",
        "Настройки цвета",
        "-s",
        "EN_gb",
        "-t",
        "ru_ru",
        "-f",
        "jsonl",
    ]));
    let s = stats(&tm);
    assert_eq!(s["pairs"][0]["source"], "en-GB");
    assert_eq!(s["pairs"][0]["target"], "ru-RU");
    assert_eq!(lookup(&tm, "Colour settings", &[]).len(), 1);
    assert_eq!(lookup(&tm, "Colour settings", &["--strict-lang"]).len(), 0);
    let records = json(tm_cmd(&tm).args([
        "lookup",
        "Colour settings",
        "-s",
        "en-gb",
        "-t",
        "RU-RU",
        "-f",
        "jsonl",
    ]));
    assert_eq!(records[0]["matches"].as_array().unwrap().len(), 1);
    fails_with(
        tm_cmd(&tm).args(["lookup", "x", "-s", "en--gb", "-t", "ru"]),
        "--src-lang \"en--gb\"",
    );
}

#[test]
fn add_refuses_a_property_without_a_type() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    for prop in ["=x", " =x", "domain"] {
        fails_with(
            tm_cmd(&tm).args([
                "add",
                "Open.",
                "Откройте.",
                "-s",
                "en",
                "-t",
                "ru",
                "--prop",
                prop,
            ]),
            &format!("--prop {prop:?}: expected TYPE=VALUE"),
        );
    }
    let outcome = add(
        &tm,
        "Open.",
        "Откройте.",
        &["--prop", " domain =IT", "--note", "checked"],
    );
    assert_eq!(outcome["action"], "inserted", "{outcome}");
    let units = json(tm_cmd(&tm).args(["export", "-", "-f", "jsonl"]));
    assert_eq!(units.len(), 1);
    assert_eq!(
        units[0]["props"],
        serde_json::json!([{"kind": "domain", "value": "IT"}])
    );
    assert_eq!(units[0]["notes"], serde_json::json!([{"text": "checked"}]));
}

#[test]
fn queries_file_lines_and_jsonl_with_context() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(
        &tm,
        "Click OK.",
        "Нажмите ОК.",
        &["--prev", "A dialog opens.", "--next", "It closes."],
    );
    let lines = write_file(dir.path(), "q.txt", "Click OK.\n\nClick OK!\n");
    let records = json(
        tm_cmd(&tm)
            .args(["lookup", "-s", "en", "-t", "ru", "-f", "jsonl", "--queries"])
            .arg(&lines),
    );
    assert_eq!(records.len(), 2, "blank lines are skipped");
    assert_eq!(records[0]["matches"][0]["score"]["percent"], 100);
    assert_eq!(records[1]["matches"][0]["score"]["percent"], 99);
    let jl = write_file(
        dir.path(),
        "q.jsonl",
        "{\"id\": 7, \"text\": \"Click OK.\", \"prev\": \"A dialog opens.\", \"next\": \"It closes.\"}\n\
         {\"text\": \"Click OK.\", \"prev\": \"Another.\"}\n",
    );
    let records = json(
        tm_cmd(&tm)
            .args([
                "lookup",
                "-s",
                "en",
                "-t",
                "ru",
                "-f",
                "jsonl",
                "--timings",
                "--queries",
            ])
            .arg(&jl),
    );
    assert_eq!(records[0]["id"], 7);
    assert_eq!(records[0]["matches"][0]["score"]["percent"], 101);
    assert_eq!(records[0]["matches"][0]["score"]["kind"], "context");
    assert_eq!(records[1]["matches"][0]["score"]["percent"], 100);
    assert!(records[0]["ms"].as_f64().is_some());
    // Queries on standard input: TEXT "-", or no TEXT with stdin a pipe.
    for text in [&["-"][..], &[][..]] {
        let records = json(
            tm_cmd(&tm)
                .args(["lookup", "-s", "en", "-t", "ru", "-f", "jsonl"])
                .args(text)
                .write_stdin("Click OK.\n\nClick OK!\n"),
        );
        assert_eq!(records.len(), 2, "{text:?}");
        assert_eq!(records[1]["matches"][0]["score"]["percent"], 99);
    }
    // A bad JSON line is named.
    fs::write(&jl, "{\"text\": \"a\"}\n{\"txt\": \"b\"}\n").unwrap();
    fails_with(
        tm_cmd(&tm)
            .args(["lookup", "-s", "en", "-t", "ru", "--queries"])
            .arg(&jl),
        "q.jsonl:2",
    );
}

#[test]
fn indexed_lookup_equals_exhaustive_on_real_sentences() {
    let dir = tempdir();
    let (tm, _) = imported_corpus(dir.path(), 3000);
    // Queries: stored sentences with a word dropped, swapped or doubled, and unrelated
    // ones (the last lines of the corpus, not imported).
    let text = fs::read_to_string(shared("data/corpus/en_ru.tsv")).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let mut queries = Vec::new();
    for (i, s) in rows
        .iter()
        .take(3000)
        .enumerate()
        .filter(|(i, _)| i % 15 == 0)
    {
        let mut w: Vec<&str> = s.split(' ').collect();
        match i % 4 {
            0 if w.len() > 2 => {
                w.remove(w.len() / 2);
            }
            1 if w.len() > 2 => w.swap(0, 1),
            2 => w.insert(w.len() / 2, "very"),
            _ => {}
        }
        queries.push(w.join(" "));
    }
    queries.extend(rows.iter().rev().take(20).map(|s| s.to_string()));
    let qfile = write_file(dir.path(), "q.txt", queries.join("\n") + "\n");
    let run = |extra: &[&str]| -> Vec<Vec<(i64, u64)>> {
        let mut cmd = tm_cmd(&tm);
        cmd.args([
            "lookup",
            "-s",
            "en",
            "-t",
            "ru",
            "-f",
            "jsonl",
            "--min",
            "60",
            "--max",
            "1000",
            "--queries",
        ])
        .arg(&qfile)
        .args(extra);
        json(&mut cmd)
            .iter()
            .map(|r| {
                let mut m: Vec<(i64, u64)> = r["matches"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h["unit"].as_i64().unwrap(),
                            h["score"]["percent"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                m.sort();
                m
            })
            .collect()
    };
    let indexed = run(&[]);
    let exhaustive = run(&["--exhaustive"]);
    assert_eq!(indexed.len(), queries.len());
    assert_eq!(indexed, exhaustive);
    let found = indexed.iter().filter(|m| !m.is_empty()).count();
    assert!(
        found >= 190,
        "most perturbed queries find their sentence: {found}"
    );
}

#[test]
fn concordance_highlights_substrings() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(
        &tm,
        "The parliamentary session opens.",
        "Парламентская сессия открывается.",
        &[],
    );
    add(&tm, "Parliament voted.", "Парламент проголосовал.", &[]);
    add(&tm, "Nothing here.", "Ничего.", &[]);
    let hits = json(tm_cmd(&tm).args(["concordance", "PARLIAMENT", "-f", "jsonl"]));
    assert_eq!(hits.len(), 2);
    for h in &hits {
        let text = h["matched"]["text"].as_str().unwrap();
        let span = &h["highlights"][0];
        let (s, e) = (
            span[0].as_u64().unwrap() as usize,
            span[1].as_u64().unwrap() as usize,
        );
        assert_eq!(text[s..e].to_lowercase(), "parliament");
        assert_eq!(h["others"][0]["lang"], "ru");
    }
    let hits = json(tm_cmd(&tm).args([
        "concordance",
        "парламент",
        "-s",
        "ru",
        "-t",
        "en",
        "-f",
        "jsonl",
        "--max",
        "1",
    ]));
    assert_eq!(hits.len(), 1);
    tm_cmd(&tm)
        .args(["concordance", "voted"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Parliament **voted**."));
    assert_eq!(
        stats(&tm)["concordance_pending"],
        0,
        "the first search indexed everything"
    );
}

#[test]
fn pretranslate_writes_best_matches_and_the_analysis() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(&tm, "The printer is ready.", "Принтер готов.", &[]);
    add(&tm, "Turn the printer off.", "Выключите принтер.", &[]);
    add(
        &tm,
        "Press the red button.",
        "Нажмите красную кнопку.",
        &[
            "--prev",
            "Turn the printer off.",
            "--next",
            "The printer is ready.",
        ],
    );
    let doc = write_file(
        dir.path(),
        "doc.txt",
        "Turn the printer off. Press the red button. The printer is ready.\n\n\
         The printer is ready. Turn the big printer off. Nothing matches this sentence at all.\n",
    );
    let out = dir.path().join("out.tsv");
    let stats_path = dir.path().join("stats.json");
    tm_cmd(&tm)
        .args(["pretranslate", "-s", "en", "-t", "ru", "-o"])
        .arg(&out)
        .arg("--stats-json")
        .arg(&stats_path)
        .arg(&doc)
        .assert()
        .success();
    let tsv = fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "segment",
            "percent",
            "source",
            "target",
            "matched_source",
            "unit"
        ]
    );
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[2][1], "101", "{rows:?}");
    assert_eq!(rows[2][3], "Нажмите красную кнопку.");
    assert_eq!(rows[5][1], "83"); // one word inserted in 6 tokens
    assert_eq!(rows[6][1], "");
    let stats: Value = serde_json::from_str(&fs::read_to_string(&stats_path).unwrap()).unwrap();
    let band = |name: &str| -> (u64, u64) {
        let b = stats["bands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["band"] == name)
            .unwrap();
        (
            b["segments"].as_u64().unwrap(),
            b["words"].as_u64().unwrap(),
        )
    };
    assert_eq!(band("101"), (1, 4));
    assert_eq!(band("100"), (2, 8));
    assert_eq!(band("repetition"), (1, 4));
    assert_eq!(band("75-84"), (1, 5));
    assert_eq!(band("no match"), (1, 6));
    assert_eq!(stats["segments"], 6);
    // JSON Lines output has the match and its band per segment.
    let records = json(
        tm_cmd(&tm)
            .args(["pretranslate", "-s", "en", "-t", "ru", "-f", "jsonl"])
            .arg(&doc),
    );
    assert_eq!(records.len(), 6);
    assert_eq!(records[1]["band"], "101");
    assert_eq!(
        records[1]["match"]["target"]["text"],
        "Нажмите красную кнопку."
    );
    assert!(records[5]["match"].is_null());
}

#[test]
fn import_report_export_round_trip_and_all_or_nothing() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let csv = write_file(
        dir.path(),
        "a.csv",
        "en-US,ru,note\nHello,Привет,greeting\nBye,Пока,\nHello,Привет,\nHello,Здравствуйте,\n",
    );
    let reports = json(tm_cmd(&tm).args(["import", "--report", "jsonl"]).arg(&csv));
    let r = &reports[0];
    assert_eq!(
        (
            r["read"].as_u64(),
            r["imported"].as_u64(),
            r["merged"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(r["format"], "csv");
    // An invalid row stops the file and leaves the memory as it was.
    let bad = write_file(
        dir.path(),
        "bad.tsv",
        "en\tru\nOne\tОдин\nTwo\tДва\tthree\n",
    );
    tm_cmd(&tm)
        .arg("import")
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.tsv:3"))
        .stderr(predicate::str::contains("nothing of"));
    assert_eq!(stats(&tm)["units"], 3);
    // With --skip-invalid the good rows go in and the bad one is listed with its line.
    let reports = json(
        tm_cmd(&tm)
            .args(["import", "--skip-invalid", "--report", "jsonl"])
            .arg(&bad),
    );
    assert_eq!(reports[0]["imported"], 1);
    assert_eq!(reports[0]["skipped"], 1);
    assert!(
        reports[0]["skips"][0]
            .as_str()
            .unwrap()
            .contains("bad.tsv:3"),
        "{}",
        reports[0]
    );
    assert_eq!(stats(&tm)["units"], 4);

    // Export as JSON Lines and import into a new memory: the same units.
    let jl = dir.path().join("all.jsonl");
    tm_cmd(&tm).arg("export").arg(&jl).assert().success();
    let exported = json_lines(&fs::read(&jl).unwrap());
    assert_eq!(exported.len(), 4);
    assert_eq!(exported[0]["notes"][0]["text"], "greeting");
    assert_eq!(
        exported[0]["origin"]["file"].as_str().unwrap(),
        csv.display().to_string()
    );
    let tm2 = dir.path().join("tm2.sqlite");
    tm_cmd(&tm2).arg("import").arg(&jl).assert().success();
    let jl2 = dir.path().join("all2.jsonl");
    tm_cmd(&tm2).arg("export").arg(&jl2).assert().success();
    assert_eq!(json_lines(&fs::read(&jl2).unwrap()), exported);
    // TSV export of a language pair.
    let out = tm_cmd(&tm)
        .args(["export", "-", "--to", "tsv", "-s", "en", "-t", "ru"])
        .assert()
        .success();
    let tsv = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // The columns are named by the languages asked for (en covers en-US).
    assert!(tsv.starts_with("en\tru\n"), "{tsv}");
    assert!(tsv.contains("Bye\tПока\n"));
}

#[test]
fn import_of_aligner_output_records_origin_and_score() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let tsv = write_file(
        dir.path(),
        "aligned.tsv",
        "First sentence.\tПервое предложение.\t0.93\nSecond one.\tВторое.\t0.41\n",
    );
    let reports = json(
        tm_cmd(&tm)
            .args([
                "import",
                "-s",
                "en",
                "-t",
                "ru",
                "--origin",
                "manual.txt",
                "--report",
                "jsonl",
            ])
            .arg(&tsv),
    );
    assert_eq!(reports[0]["imported"], 2);
    let units = json(tm_cmd(&tm).args(["export", "-", "--to", "jsonl"]));
    assert_eq!(units[0]["origin"]["file"], "manual.txt");
    assert_eq!(units[0]["origin"]["score"], 0.93);
    // Delete by origin, dry run first.
    let dry = json(tm_cmd(&tm).args([
        "delete",
        "--origin",
        "manual.txt",
        "--dry-run",
        "-f",
        "jsonl",
    ]));
    assert_eq!(dry[0]["would_delete"].as_array().unwrap().len(), 2);
    assert_eq!(stats(&tm)["units"], 2);
    let done = json(tm_cmd(&tm).args(["delete", "--id", "1", "-f", "jsonl"]));
    assert_eq!(done[0]["deleted"], serde_json::json!([1]));
    assert_eq!(stats(&tm)["units"], 1);
    fails_with(tm_cmd(&tm).arg("delete"), "say which units");
}

#[test]
fn stats_report_pairs_dates_and_size() {
    let dir = tempdir();
    let (tm, _) = imported_corpus(dir.path(), 500);
    let s = stats(&tm);
    assert_eq!(s["units"], 500);
    assert_eq!(s["variants"], 1000);
    assert_eq!(s["pairs"][0]["units"], 500);
    assert!(s["file_bytes"].as_u64().unwrap() > s["text_bytes"].as_u64().unwrap());
    assert_eq!(s["schema_version"], 4);
    assert!(s["created"][0].as_str().is_some());
    tm_cmd(&tm)
        .arg("stats")
        .assert()
        .success()
        .stdout(predicate::str::contains("en -> ru: 500"));
}

#[test]
fn missing_memory_and_default_path_are_explained() {
    let dir = tempdir();
    let missing = dir.path().join("none.sqlite");
    tm_cmd(&missing)
        .args(["lookup", "x", "-s", "en", "-t", "ru"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("none.sqlite"))
        .stderr(predicate::str::contains("no memory here"));
    // Without --tm or BITEXT_TM, the memory lives under XDG_DATA_HOME.
    let mut cmd = bitext();
    cmd.env_remove("BITEXT_TM")
        .env("XDG_DATA_HOME", dir.path())
        .args(["add", "a b", "c d", "-s", "en", "-t", "ru"])
        .assert()
        .success();
    assert!(dir.path().join("bitext/memory.sqlite").exists());
    // A file that is not a memory is refused, not damaged.
    let other = write_file(
        dir.path(),
        "notes.txt",
        "just some text, not a database ".repeat(100),
    );
    tm_cmd(&other)
        .args(["add", "a", "b", "-s", "en", "-t", "ru"])
        .assert()
        .failure();
    assert!(fs::read_to_string(&other)
        .unwrap()
        .starts_with("just some text"));
}

#[test]
fn a_second_writer_waits_then_fails_clearly() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(&tm, "One.", "Один.", &[]);
    let conn = rusqlite::Connection::open(&tm).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let start = std::time::Instant::now();
    fails_with(
        tm_cmd(&tm).args([
            "add", "Two.", "Два.", "-s", "en", "-t", "ru", "--wait", "0.5",
        ]),
        "locked by another process",
    );
    assert!(start.elapsed().as_millis() >= 450, "it waited");
    // Readers still read.
    assert_eq!(lookup(&tm, "One.", &[]).len(), 1);
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(add(&tm, "Two.", "Два.", &[])["action"], "inserted");
}

/// A copy in `dir` of the memory fixture of schema `version`
/// (tests/data/memory/vN.sqlite), checked to be of that version.
fn old_memory(dir: &Path, version: i64) -> PathBuf {
    let tm = dir.join(format!("v{version}.sqlite"));
    fs::copy(
        crate::util::repo(&format!("tests/data/memory/v{version}.sqlite")),
        &tm,
    )
    .unwrap();
    let conn = rusqlite::Connection::open(&tm).unwrap();
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(found, version, "the fixture is a version-{version} file");
    tm
}

/// A memory written with schema version 1 (tests/data/memory/v1.sqlite, made with
/// `bitext add` and `bitext import tests/data/memory/v1.jsonl` before version 2 added
/// the running totals) is upgraded when opened, even by a read-only command, and keeps
/// everything it held.
#[test]
fn a_version_1_memory_is_upgraded_and_keeps_its_units() {
    let dir = tempdir();
    let tm = old_memory(dir.path(), 1);
    let s = stats(&tm);
    assert_eq!(s["schema_version"], 4);
    assert_eq!(
        (s["units"].as_u64(), s["variants"].as_u64()),
        (Some(5), Some(11))
    );
    // The running totals of version 2 were computed from the stored units.
    let pairs: Vec<(String, String, u64)> = s["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["source"].as_str().unwrap().to_string(),
                p["target"].as_str().unwrap().to_string(),
                p["units"].as_u64().unwrap(),
            )
        })
        .collect();
    for (a, b, n) in [
        ("en", "ru", 2),
        ("en-US", "ru", 1),
        ("en-US", "de-DE", 1),
        ("en-US", "fr-FR", 1),
        ("zh-CN", "en", 1),
    ] {
        let e = (a.to_string(), b.to_string(), n);
        assert!(pairs.contains(&e), "{e:?} in {pairs:?}");
    }
    let texts = [
        "Open the file.",
        "Откройте файл.",
        "Click OK.",
        "Нажмите ОК.",
        "Page 3 of 7",
        "Страница 3 из 7",
        "Click Save.",
        "Klicken Sie auf Speichern.",
        "Cliquez sur Enregistrer.",
        "我们明天去北京。",
        "We go to Beijing tomorrow.",
    ];
    let text: usize = texts.iter().map(|t| t.len()).sum();
    assert_eq!(s["text_bytes"].as_u64(), Some(text as u64));
    let units = json(tm_cmd(&tm).args(["export", "-", "--to", "jsonl"]));
    assert_eq!(units.len(), 5);
    assert_eq!(units[0]["provenance"]["created_by"], "anna");
    assert_eq!(units[0]["props"][0]["value"], "UI");
    assert_eq!(units[1]["context"]["next"], "It closes.");
    assert_eq!(units[3]["id"], "tu-42");
    assert!(units[3]["variants"][0]["markup"]
        .as_str()
        .unwrap()
        .contains("<bpt"));
    assert_eq!(units[3]["provenance"]["usage_count"], 3);
    // Lookups work in every direction the units allow.
    let hits = lookup(&tm, "Open the files.", &["--min", "50"]);
    assert_eq!(hits[0]["target"]["text"], "Откройте файл.");
    let records = json(tm_cmd(&tm).args([
        "lookup",
        "Click Save.",
        "-s",
        "en",
        "-t",
        "fr",
        "-f",
        "jsonl",
    ]));
    assert_eq!(
        records[0]["matches"][0]["target"]["text"],
        "Cliquez sur Enregistrer."
    );
    assert_eq!(
        records[0]["matches"][0]["score"]["percent"], 96,
        "plain query, tagged source"
    );
    let records = json(tm_cmd(&tm).args([
        "lookup",
        "我们明天去北京。",
        "-s",
        "zh",
        "-t",
        "en",
        "-f",
        "jsonl",
    ]));
    assert_eq!(records[0]["matches"][0]["score"]["percent"], 100);
    // And it takes new units.
    assert_eq!(
        add(&tm, "Close the file.", "Закройте файл.", &[])["action"],
        "inserted"
    );
}

/// A memory written with schema version 2 (tests/data/memory/v2.sqlite; how it was
/// made is in tests/data/memory/README.md) is upgraded to version 4 when opened, even
/// by a read-only command: it exports exactly what it exported before, and lookups,
/// concordance, deletions and additions work on it.
#[test]
fn a_version_2_memory_is_upgraded_and_keeps_everything() {
    let dir = tempdir();
    let tm = old_memory(dir.path(), 2);
    let exported = tm_cmd(&tm)
        .args(["export", "-", "--to", "jsonl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let before = fs::read(crate::util::repo("tests/data/memory/v2.export.jsonl")).unwrap();
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(before).unwrap()
    );
    let s = stats(&tm);
    assert_eq!(s["schema_version"], 4);
    assert_eq!(
        (s["units"].as_u64(), s["variants"].as_u64()),
        (Some(10), Some(21))
    );
    // Two units have "Open the file." as source (alternatives), the newer first.
    let hits = lookup(&tm, "Open the files.", &["--min", "50"]);
    let units: Vec<(u64, u64)> = hits
        .iter()
        .map(|h| {
            (
                h["unit"].as_u64().unwrap(),
                h["score"]["percent"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(units, [(10, 75), (1, 75)]);
    let records = json(tm_cmd(&tm).args([
        "lookup",
        "東京は大きい都市です。",
        "-s",
        "ja",
        "-t",
        "en",
        "-f",
        "jsonl",
    ]));
    assert_eq!(records[0]["matches"][0]["score"]["percent"], 100);
    assert_eq!(
        records[0]["matches"][0]["target"]["text"],
        "Tokyo is a big city."
    );
    // The context of 101 % matches survived.
    let records = json(tm_cmd(&tm).args([
        "lookup",
        "--queries",
        "-",
        "-s",
        "en",
        "-t",
        "de",
        "-f",
        "jsonl",
    ]).write_stdin(
        r#"{"text":"Colour the <b>map</b>.","markup":"Colour the <bpt i=\"1\">&lt;b&gt;</bpt>map<ept i=\"1\">&lt;/b&gt;</ept>.","prev":"Open the atlas.","next":"Close the atlas."}"#,
    ));
    assert_eq!(records[0]["matches"][0]["score"]["percent"], 101);
    // Concordance: the index is rebuilt; typographic apostrophes fold.
    let found = |term: &str| -> Vec<u64> {
        json(tm_cmd(&tm).args(["concordance", term, "-f", "jsonl"]))
            .iter()
            .map(|h| h["unit"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(found("PRINTER"), [8, 7]);
    assert_eq!(found("don't save"), [6]);
    assert_eq!(found("Страница"), [11]);
    assert!(found("Remove me").is_empty(), "unit 9 was deleted");
    // It changes like any memory.
    tm_cmd(&tm)
        .args(["delete", "--origin", "v2-aligned.tsv"])
        .assert()
        .success();
    assert!(found("printer").is_empty());
    assert_eq!(
        add(
            &tm,
            "The printer is out of ink.",
            "В принтере закончились чернила.",
            &[]
        )["action"],
        "inserted"
    );
    assert_eq!(found("printer"), [12]);
    assert_eq!(stats(&tm)["units"], 9);
}

#[test]
fn reindex_rebuilds_the_index_with_the_same_answers() {
    let dir = tempdir();
    let (tm, tsv) = imported_corpus(dir.path(), 300);
    let text = fs::read_to_string(&tsv).unwrap();
    let query = text
        .lines()
        .nth(7)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .replacen(' ', " very ", 1);
    let before = lookup(&tm, &query, &["--min", "50"]);
    assert!(!before.is_empty());
    tm_cmd(&tm).arg("reindex").assert().success();
    assert_eq!(lookup(&tm, &query, &["--min", "50"]), before);
}

/// `bitext ARGS…` on `tm` (not quiet), its exit status and stderr checked.
fn run_on(tm: &Path, args: &[&str], ok: bool) -> (String, String) {
    let mut cmd = bitext();
    cmd.env_remove("BITEXT_USER")
        .env("BITEXT_TM", tm)
        .args(args);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.success(), ok, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

#[test]
fn language_variants_are_found_one_point_lower() {
    // Issue 18: `-s en-GB` finds units stored as `en`, `-s en-US` those of `en-GB`,
    // `-t ru-RU` those of `ru`: one point lower per side, the variant asked for first.
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    add(&tm, "Open the file.", "Откройте файл.", &[]);
    let hits = lookup_in(&tm, "Open the file.", &["-s", "en-GB", "-t", "ru-RU"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["score"]["percent"], 98);
    assert_eq!(hits[0]["score"]["language"], 2);
    json(tm_cmd(&tm).args([
        "add",
        "Open the file.",
        "Откройте файл, пожалуйста.",
        "-s",
        "en-GB",
        "-t",
        "ru",
        "-f",
        "jsonl",
    ]));
    let hits = lookup_in(&tm, "Open the file.", &["-s", "en-US", "-t", "ru"]);
    assert_eq!(hits.len(), 2);
    assert!(hits
        .iter()
        .all(|h| h["score"]["percent"] == 99 && h["score"]["language"] == 1));
    let hits = lookup_in(&tm, "Open the file.", &["-s", "en-GB", "-t", "ru"]);
    assert_eq!(hits[0]["target"]["text"], "Откройте файл, пожалуйста.");
    assert_eq!(hits[0]["score"]["percent"], 100);
    assert!(hits[0]["score"].get("language").is_none());
    assert_eq!(hits[1]["score"]["percent"], 99);
    // The plain lookup keeps its figures.
    let hits = lookup(&tm, "Open the file.", &[]);
    assert!(hits.iter().all(|h| h["score"]["percent"] == 100));
    assert_eq!(
        lookup_in(
            &tm,
            "Open the file.",
            &["-s", "en-GB", "-t", "ru", "--strict-lang"]
        )
        .len(),
        1
    );
    // Pre-translation and concordance too.
    let doc = write_file(dir.path(), "doc.txt", "Open the file.\n");
    let (out, _) = run_on(
        &tm,
        &[
            "pretranslate",
            doc.to_str().unwrap(),
            "-s",
            "en-US",
            "-t",
            "ru-RU",
            "-q",
        ],
        true,
    );
    assert!(out.contains("\t98\t"), "{out}");
    let (out, _) = run_on(
        &tm,
        &["concordance", "file", "-s", "en-AU", "-t", "ru-RU", "-q"],
        true,
    );
    assert_eq!(out.matches("**file**").count(), 2, "{out}");
}

#[test]
fn language_pairs_the_memory_lacks_and_tags_that_are_not_bcp47() {
    // Issue 18: no silent "no match" for a pair the memory does not hold, and tags
    // that are not BCP 47 refused with the one meant.
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    run_on(
        &tm,
        &[
            "add",
            "Good morning.",
            "Góðan daginn.",
            "-s",
            "en",
            "-t",
            "is",
        ],
        true,
    );
    for (args, expected) in [
        (
            vec!["-s", "eng", "-t", "rus"],
            "\"eng\" is not a BCP 47 language tag: use en",
        ),
        (vec!["-s", "english", "-t", "is"], "use en"),
        (vec!["-s", "en", "-t", "icelandic"], "use is"),
        (vec!["-s", "en", "-t", "rus"], "use ru"),
        (
            vec!["-s", "en", "-t", "ru"],
            "the memory holds no en -> ru units; its language pairs: en -> is (1 unit)",
        ),
        (
            vec!["-s", "de"],
            "give -t/--tgt-lang: the memory holds no language pair",
        ),
    ] {
        let mut all = vec!["lookup", "Good morning."];
        all.extend(&args);
        let (out, stderr) = run_on(&tm, &all, false);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.starts_with("bitext: error: "), "{stderr}");
        assert!(out.is_empty());
    }
    let doc = write_file(dir.path(), "doc.txt", "Good morning.\n");
    let (_, stderr) = run_on(
        &tm,
        &[
            "pretranslate",
            doc.to_str().unwrap(),
            "-s",
            "en",
            "-t",
            "ru",
        ],
        false,
    );
    assert!(stderr.contains("holds no en -> ru units"), "{stderr}");
    let (_, stderr) = run_on(&tm, &["concordance", "morning", "-s", "de"], false);
    assert!(
        stderr.contains("holds no de texts; its languages: en (1), is (1)"),
        "{stderr}"
    );
    let (_, stderr) = run_on(&tm, &["add", "a", "b", "-s", "eng", "-t", "is"], false);
    assert!(stderr.contains("use en"), "{stderr}");

    // Without -s/-t: the memory's only pair, said on stderr; either way round when
    // one side is given.
    let (out, stderr) = run_on(&tm, &["lookup", "Good morning!"], true);
    assert!(out.contains("Góðan daginn."), "{out}");
    assert!(
        stderr.contains("-s en -t is: the only language pair"),
        "{stderr}"
    );
    let (out, stderr) = run_on(&tm, &["lookup", "Góðan daginn!", "-s", "is"], true);
    assert!(out.contains("en: Good morning."), "{out}");
    assert!(stderr.contains("-s is -t en"), "{stderr}");
    let (_, stderr) = run_on(&tm, &["lookup", "Good morning!", "-q"], true);
    assert!(stderr.is_empty(), "{stderr}");
    let (out, _) = run_on(&tm, &["pretranslate", doc.to_str().unwrap(), "-q"], true);
    assert!(out.contains("\t100\tGood morning.\tGóðan daginn."), "{out}");
    // Several pairs: listed.
    run_on(
        &tm,
        &[
            "add",
            "Good night.",
            "Спокойной ночи.",
            "-s",
            "en",
            "-t",
            "ru",
            "-f",
            "jsonl",
        ],
        true,
    );
    let (_, stderr) = run_on(&tm, &["lookup", "Good morning!"], false);
    assert!(
        stderr.contains("several language pairs: en -> is (1 unit), en -> ru (1 unit)"),
        "{stderr}"
    );
    let (out, _) = run_on(&tm, &["lookup", "Good night!", "-t", "ru", "-q"], true);
    assert!(out.contains("Спокойной ночи."), "{out}");
}

/// `lookup TEXT ARGS… -f jsonl`: the matches of its one query.
fn lookup_in(tm: &Path, text: &str, args: &[&str]) -> Vec<Value> {
    let mut cmd = tm_cmd(tm);
    cmd.args(["lookup", text, "-f", "jsonl"]).args(args);
    let records = json(&mut cmd);
    records[0]["matches"].as_array().unwrap().clone()
}

/// Issue 18, item 12: a query longer than the memory's text limit (64 KiB) is refused
/// with a clear message, from a queries file before its line is read whole, instead
/// of being compared and echoed whole (a 50 MB line took 689 MB).
#[test]
fn queries_longer_than_a_text_may_be_are_refused() {
    let dir = crate::util::tempdir();
    let tm = dir.path().join("tm.sqlite");
    crate::util::tm_cmd(&tm)
        .args(["add", "Hello.", "Привет.", "-s", "en", "-t", "ru"])
        .assert()
        .success();
    let huge = write_file(
        dir.path(),
        "huge.txt",
        "word ".repeat(2_000_000) + "\nHello.\n",
    );
    let out = crate::util::tm_cmd(&tm)
        .args(["lookup", "-s", "en", "-t", "ru", "--queries"])
        .arg(&huge)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("huge.txt:1: a line of more than"),
        "{stderr}"
    );
    assert!(stderr.contains("at most 65536 bytes"), "{stderr}");
    assert!(out.stdout.is_empty());
    let long = "word ".repeat(14_000);
    let out = crate::util::tm_cmd(&tm)
        .args(["lookup", "-s", "en", "-t", "ru", &long])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the query is 70000 bytes long; a query may be at most 65536 bytes"),
        "{stderr}"
    );
    // Queries within the limit, with CRLF line ends, are answered as before.
    let ok = write_file(dir.path(), "ok.txt", "Hello.\r\n");
    crate::util::tm_cmd(&tm)
        .args(["lookup", "-s", "en", "-t", "ru", "--queries"])
        .arg(&ok)
        .assert()
        .success()
        .stdout(predicates::str::contains("Привет."));
}

/// Issue 18, item 12: a match that differs from the query only in inline tags shows
/// them (the word diff compares plain text and shows no difference).
#[test]
fn a_match_that_differs_only_in_tags_shows_them() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let tmx = write_file(
        dir.path(),
        "t.tmx",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\"><header creationtool=\"t\" \
         creationtoolversion=\"1\" segtype=\"sentence\" o-tmf=\"t\" adminlang=\"en\" srclang=\"en\" \
         datatype=\"plaintext\"/><body><tu><tuv xml:lang=\"en\"><seg>Open the <bpt i=\"1\">&lt;b&gt;</bpt>\
         file<ept i=\"1\">&lt;/b&gt;</ept> now.</seg></tuv><tuv xml:lang=\"ru\"><seg>Откройте файл \
         сейчас.</seg></tuv></tu></body></tmx>\n",
    );
    tm_cmd(&tm).arg("import").arg(&tmx).assert().success();
    let (out, _) = run_on(
        &tm,
        &["lookup", "Open the file now.", "-s", "en", "-t", "ru"],
        true,
    );
    assert!(out.contains("diff: Open the file now.\n"), "{out}");
    assert!(
        out.contains(
            "points off for inline tags; stored: Open the <bpt i=\"1\">&lt;b&gt;</bpt>file"
        ),
        "{out}"
    );
    // A match without tag differences has no such line.
    let (out, _) = run_on(
        &tm,
        &["lookup", "Open the file later.", "-s", "en", "-t", "ru"],
        true,
    );
    assert!(!out.contains("inline tags"), "{out}");
}
