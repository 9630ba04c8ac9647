//! `bitext convert`: between TMX, CSV, TSV and JSON Lines, with reports on stderr.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// The shared real-world TMX files.
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
            "skipped 1 unit with no variant in fr, en",
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
        .stderr(predicate::str::contains("-f/--format"));
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

#[test]
fn tmx_to_csv_picks_languages_from_a_multilingual_memory() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.csv");
    bitext()
        .args(["convert", "--langs", "fr,en-GB", "--columns", "id"])
        .arg(tmx_dir().join("ttk_multilingual_en-US_en-GB_fr_sr.tmx"))
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "1 unit read, 1 written, 0 skipped",
        ));
    let csv = fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("fr,en-GB,id"));
    assert_eq!(lines.count(), 1);
}

#[test]
fn aligner_tsv_to_valid_tmx_keeps_scores() {
    let dir = TempDir::new().unwrap();
    let tsv = dir.path().join("aligned.tsv");
    fs::write(
        &tsv,
        "Fish & chips.\tFish & chips.\t0.91\n<b>Bold</b>\t<b>Gras</b>\t0.5\n",
    )
    .unwrap();
    let tmx = dir.path().join("aligned.tmx");
    bitext()
        .args(["convert", "--src-lang", "en-GB", "--tgt-lang", "fr-FR"])
        .arg(&tsv)
        .arg(&tmx)
        .assert()
        .success();
    let text = fs::read_to_string(&tmx).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\">"));
    assert!(text.contains("srclang=\"en-GB\""), "{text}");
    assert!(
        text.contains("<prop type=\"x-bitext-score\">0.91</prop>"),
        "{text}"
    );
    assert!(text.contains("<seg>Fish &amp; chips.</seg>"), "{text}");
    assert!(
        text.contains("<seg>&lt;b&gt;Gras&lt;/b&gt;</seg>"),
        "{text}"
    );
    let lint = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(tmx_dir().join("tmx14.dtd"))
        .arg(&tmx)
        .output()
        .expect("xmllint (libxml2-utils) is needed");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    // And back: the score returns to its column.
    let back = dir.path().join("back.tsv");
    bitext()
        .args(["convert", "--columns", "score"])
        .arg(&tmx)
        .arg(&back)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&back).unwrap(),
        "en-GB\tfr-FR\tscore\nFish & chips.\tFish & chips.\t0.91\n<b>Bold</b>\t<b>Gras</b>\t0.5\n"
    );
}

#[test]
fn tmx_to_tmx_reports_what_it_changed_and_dropped() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out.tmx");
    bitext()
        .arg("convert")
        .arg(tmx_dir().join("heartsome_tmserver_utf16le_srcall.tmx"))
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("attribute ph@id dropped ×1"));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("srclang=\"*all*\""), "{text}");
    bitext()
        .arg("convert")
        .arg(tmx_dir().join("lisakit_ImportTest1L_utf8bom.tmx"))
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "not kept (no place in a unit): tu@creationtool ×1",
        ));
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("<note xml:lang=\"en-us\">Text of header note 2</note>"),
        "{text}"
    );
}

#[test]
fn standard_input_is_sniffed() {
    let tmx = fs::read(tmx_dir().join("lisakit_ImportTest1G_utf16be.tmx")).unwrap();
    let out = bitext()
        .args(["convert", "-", "-", "--to", "tsv"])
        .write_stdin(tmx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tsv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tsv.lines().next(), Some("en-US\ten-GB"));
    assert!(
        tsv.contains("à=agrave, é=eacute, æ=aelig\tà=agrave, é=eacute, æ=aelig"),
        "{tsv}"
    );
}

#[cfg(unix)]
#[test]
fn output_gets_normal_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("a.csv");
    fs::write(&csv, "en,fr\na,b\n").unwrap();
    let out = dir.path().join("a.tmx");
    bitext()
        .arg("convert")
        .arg(&csv)
        .arg(&out)
        .assert()
        .success();
    // The same as any new file here (0666 less the umask), not owner-only.
    let plain = dir.path().join("plain");
    fs::File::create(&plain).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), mode(&plain));
}

/// Issue 18, item 12: counts of one are singular ("1 unit read", not "1 units read";
/// "1 field", not "1 fields").
#[test]
fn counts_of_one_are_singular() {
    let dir = crate::util::tempdir();
    let one = dir.path().join("one.csv");
    std::fs::write(&one, "en,fr\nOne,Un\n").unwrap();
    let out = crate::util::bitext()
        .args(["convert", "--to", "tsv"])
        .arg(&one)
        .arg("-")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(": 1 unit read, 1 written, 0 skipped"),
        "{stderr}"
    );
    let tm = dir.path().join("tm.sqlite");
    let out = crate::util::tm_cmd(&tm)
        .args(["import"])
        .arg(&one)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = crate::util::bitext()
        .env("BITEXT_TM", &tm)
        .args(["import"])
        .arg(&one)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(": 1 unit read, 0 imported"), "{stderr}");
    let out = crate::util::bitext()
        .env("BITEXT_TM", &tm)
        .args(["export", "-", "--to", "tsv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("export: 1 unit written"), "{stderr}");
    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "en,fr\nOne\n").unwrap();
    let out = crate::util::bitext()
        .args(["convert", "--to", "tsv"])
        .arg(&ragged)
        .arg("-")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 field in this row, but 2 columns (en, fr)"),
        "{stderr}"
    );
}
