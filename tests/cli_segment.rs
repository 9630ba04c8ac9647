//! `bitext segment`: output formats, inputs, and errors.

use std::io::{Read, Write};
use std::process::Stdio;

use predicates::prelude::*;

use crate::util::{bitext, json_lines, repo, tempdir};

fn sentences_of(sent_file: &str) -> Vec<String> {
    std::fs::read_to_string(repo(sent_file))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn samples_are_segmented_exactly_as_the_gold_files() {
    for lang in ["en", "ru", "zh"] {
        let out = bitext()
            .args(["segment", &format!("samples/{lang}.txt"), "--lang", lang])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(
            got,
            sentences_of(&format!("samples/{lang}.sent")),
            "samples/{lang}.txt"
        );
    }
}

#[test]
fn lines_format_separates_paragraphs_with_an_empty_line() {
    bitext()
        .args(["segment", "--lang", "en"])
        .write_stdin("Title\n\nOne sentence. Another one.\nWrapped line\ncontinues here.\n\nLast.")
        .assert()
        .success()
        .stdout("Title\n\nOne sentence.\nAnother one.\nWrapped line continues here.\n\nLast.\n");
}

#[test]
fn jsonl_spans_point_into_the_input() {
    let input = std::fs::read_to_string(repo("samples/ru.txt")).unwrap();
    let out = bitext()
        .args([
            "segment",
            "samples/ru.txt",
            "--lang",
            "ru",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), sentences_of("samples/ru.sent").len());
    let mut last_para = 0;
    for r in &records {
        let (start, end) = (
            r["span"][0].as_u64().unwrap() as usize,
            r["span"][1].as_u64().unwrap() as usize,
        );
        assert_eq!(&input[start..end], r["text"].as_str().unwrap());
        let para = r["paragraph"].as_u64().unwrap();
        assert!(para >= last_para);
        last_para = para;
    }
    assert!(last_para > 5, "paragraphs are counted");
}

#[test]
fn several_files_are_named_in_jsonl() {
    let out = bitext()
        .args([
            "segment",
            "samples/en.txt",
            "samples/en.txt",
            "--lang",
            "en",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    let records = json_lines(&out.stdout);
    assert!(records.iter().all(|r| r["file"] == "samples/en.txt"));
    assert_eq!(records.len(), 2 * sentences_of("samples/en.sent").len());
}

#[test]
fn jsonl_records_in_jsonl_records_out() {
    let input = concat!(
        r#"{"id": 1, "lang": "de", "text": "Am 15. August kam er. Er blieb."}"#,
        "\n",
        r#"{"id": "b", "text": "Hello there. Bye."}"#,
        "\n"
    );
    let out = bitext()
        .args(["segment", "--from", "jsonl", "--lang", "en"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], 1);
    assert_eq!(records[0]["lang"], "de");
    assert_eq!(
        records[0]["sentences"],
        serde_json::json!(["Am 15. August kam er.", "Er blieb."])
    );
    assert_eq!(records[0]["spans"], serde_json::json!([[0, 21], [22, 31]]));
    assert_eq!(records[1]["lang"], "en");
}

#[test]
fn user_abbreviations_file() {
    let dir = tempdir();
    let list = dir.path().join("abbr.txt");
    std::fs::write(&list, "# our house abbreviations\nAbs. Ziff.\n").unwrap();
    bitext()
        .args(["segment", "--lang", "en", "--abbreviations"])
        .arg(&list)
        .write_stdin("See Abs. Three of the contract. Then sign.")
        .assert()
        .success()
        .stdout("See Abs. Three of the contract.\nThen sign.\n");
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempdir();
    let target = dir.path().join("out.txt");
    bitext()
        .args(["segment", "samples/en.txt", "--lang", "en", "-o"])
        .arg(&target)
        .assert()
        .success()
        .stdout("");
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        written.lines().filter(|l| !l.is_empty()).count(),
        sentences_of("samples/en.sent").len()
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file is left behind"
    );
}

#[test]
fn closed_stdout_pipe_exits_quietly() {
    // Like `bitext segment big.txt | head -1`.
    let big = "A sentence that repeats. ".repeat(200_000);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bitext"))
        .args(["segment", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(big.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    writer.join().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status:?}, stderr {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn missing_file_is_named() {
    bitext()
        .args(["segment", "no/such/file.txt", "--lang", "en"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/file.txt"));
}

#[test]
fn directory_is_not_a_file() {
    bitext()
        .args(["segment", "samples", "--lang", "en"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("samples: is a directory"));
}

#[test]
fn invalid_utf8_names_file_line_and_column() {
    let dir = tempdir();
    let path = dir.path().join("latin1.txt");
    std::fs::write(&path, b"First line.\nCaf\xe9 au lait.\n").unwrap();
    bitext()
        .args(["segment", "--lang", "fr"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("latin1.txt:2:4: bytes that are not valid UTF-8 (byte 0xE9); if the file is in a legacy encoding, say which with --encoding"));
}

#[test]
fn binary_input_is_rejected() {
    let dir = tempdir();
    let path = dir.path().join("blob.bin");
    std::fs::write(&path, b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
    bitext()
        .args(["segment", "--lang", "en"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("blob.bin:1").and(predicate::str::contains("NUL byte")));
}

#[test]
fn missing_or_bad_language_is_explained() {
    bitext()
        .args(["segment", "samples/en.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--lang is required"));
    bitext()
        .args(["segment", "samples/en.txt", "--lang", "e n"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid language tag"));
}

#[test]
fn unknown_language_uses_generic_rules() {
    bitext()
        .args(["segment", "--lang", "tlh"])
        .write_stdin("Qapla'. nuqneH?")
        .assert()
        .success();
}

#[test]
fn bad_abbreviation_file_names_its_line() {
    let dir = tempdir();
    let list = dir.path().join("abbr.txt");
    std::fs::write(&list, "Abs.\n[sometimes]\nZiff.\n").unwrap();
    bitext()
        .args([
            "segment",
            "samples/en.txt",
            "--lang",
            "en",
            "--abbreviations",
        ])
        .arg(&list)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "abbr.txt:2: unknown section [sometimes]",
        ));
}

#[test]
fn output_in_missing_directory_fails_cleanly() {
    let dir = tempdir();
    let target = dir.path().join("missing").join("out.txt");
    bitext()
        .args(["segment", "samples/en.txt", "--lang", "en", "-o"])
        .arg(&target)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write"));
    assert!(!target.exists());
}

#[test]
fn bad_jsonl_record_names_its_line() {
    bitext()
        .args(["segment", "--from", "jsonl", "--lang", "en"])
        .write_stdin("{\"id\": 1, \"text\": \"ok.\"}\nnot json\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("<stdin>:2"));
}
