//! `bitext convert`: between TMX, CSV, TSV and JSON Lines, with reports on stderr.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// The shared real-world TMX files.
#[allow(dead_code)] // TMX tests (next step)
pub fn tmx_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tmx")
}

pub fn bitext() -> assert_cmd::Command {
    cargo_bin_cmd!("bitext")
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn csv_to_jsonl_to_tsv_keeps_texts_and_notes() {
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("a.csv");
    fs::write(
        &csv,
        "en-US,ru-RU,note\n\"Hello, \"\"world\"\"\",Привет,greeting\nBye,Пока,\n",
    )
    .unwrap();
    let jl = dir.path().join("a.jsonl");
    bitext()
        .arg("convert")
        .arg(&csv)
        .arg(&jl)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2 units read, 2 written, 0 skipped",
        ));
    let units = jsonl(&fs::read_to_string(&jl).unwrap());
    assert_eq!(units.len(), 2);
    assert_eq!(units[0]["variants"][0]["text"], "Hello, \"world\"");
    assert_eq!(units[0]["variants"][1]["lang"], "ru-RU");
    assert_eq!(units[0]["notes"][0]["text"], "greeting");

    let tsv = dir.path().join("b.tsv");
    bitext()
        .args(["convert", "--columns", "note"])
        .arg(&jl)
        .arg(&tsv)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&tsv).unwrap(),
        // A TSV with a header quotes like CSV: the field holding quotes is quoted.
        "en-US\tru-RU\tnote\n\"Hello, \"\"world\"\"\"\tПривет\tgreeting\nBye\tПока\t\n"
    );
}

#[test]
fn aligner_tsv_reads_with_languages_and_writes_to_stdout() {
    let dir = TempDir::new().unwrap();
    let tsv = dir.path().join("aligned.tsv");
    fs::write(
        &tsv,
        "Hello.\tBonjour.\t0.91\n\"Yes,\" he said.\t« Oui », dit-il.\t0.5\n",
    )
    .unwrap();
    let out = bitext()
        .args([
            "convert",
            "--src-lang",
            "en",
            "--tgt-lang",
            "fr",
            "--to",
            "jsonl",
            "--simple",
        ])
        .arg(&tsv)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let units = jsonl(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(units[1]["source"], "\"Yes,\" he said.");
    assert_eq!(units[1]["target"], "« Oui », dit-il.");
    assert_eq!(units[0]["score"], 0.91);
    assert_eq!(units[0]["src_lang"], "en");
}

#[test]
fn headerless_file_without_languages_is_refused_clearly() {
    let dir = TempDir::new().unwrap();
    let tsv = dir.path().join("aligned.tsv");
    fs::write(&tsv, "Hello.\tBonjour.\t0.91\n").unwrap();
    let out = dir.path().join("out.csv");
    bitext()
        .arg("convert")
        .arg(&tsv)
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("aligned.tsv:1:"))
        .stderr(predicate::str::contains("--src-lang"));
    assert!(!out.exists());
}

#[test]
fn skip_invalid_lists_each_skipped_row() {
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("r.csv");
    fs::write(&csv, "en,fr\na,b\nc,d,e\nf,g\n").unwrap();
    let out = dir.path().join("r.jsonl");
    bitext()
        .args(["convert", "--skip-invalid"])
        .arg(&csv)
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2 units read, 2 written, 1 skipped",
        ))
        .stderr(predicate::str::contains(
            "r.csv:3: 3 fields in this row, but 2 columns",
        ));
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 2);
}

#[test]
fn languages_filter_and_order_columns() {
    let dir = TempDir::new().unwrap();
    let jl = dir.path().join("m.jsonl");
    fs::write(
        &jl,
        concat!(
            r#"{"variants":[{"lang":"en-US","text":"one"},{"lang":"de","text":"eins"},{"lang":"fr","text":"un"}]}"#,
            "\n",
            r#"{"variants":[{"lang":"de","text":"zwei"}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("m.csv");
    bitext()
        .args(["convert", "--langs", "fr,en"])
        .arg(&jl)
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 written, 1 skipped"))
        .stderr(predicate::str::contains(
            "skipped 1 units with no variant in fr, en",
        ));
    assert_eq!(fs::read_to_string(&out).unwrap(), "fr,en\nun,one\n");
}

#[test]
fn unknown_output_extension_needs_to() {
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("a.csv");
    fs::write(&csv, "en,fr\na,b\n").unwrap();
    bitext()
        .arg("convert")
        .arg(&csv)
        .arg(dir.path().join("a.xyz"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--to"));
    bitext()
        .args(["convert", "--to", "tsv"])
        .arg(&csv)
        .arg(dir.path().join("a.xyz"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(dir.path().join("a.xyz")).unwrap(),
        "en\tfr\na\tb\n"
    );
}
