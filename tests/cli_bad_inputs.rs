//! The catalogue of bad inputs (issue 6), for the exchange formats: each is refused
//! by `bitext convert` with one clear message naming the file and the line or unit,
//! exit status 1, no panic, and nothing written at the output path (nor a temporary
//! file left beside it).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use tempfile::TempDir;

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_inputs")
        .join(name)
}

/// Runs `bitext convert INPUT OUT EXTRA…` with OUT in a fresh directory and checks
/// the refusal; returns stderr.
fn refuse(input: &Path, out_name: &str, extra: &[&str], expected: &[&str]) -> String {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join(out_name);
    let output = cargo_bin_cmd!("bitext")
        .arg("convert")
        .arg(input)
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}: expected exit status 1, stderr: {stderr}",
        input.display()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("bitext: error: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    for part in expected {
        assert!(stderr.contains(part), "{:?} not in: {stderr}", part);
    }
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    stderr
}

fn refuse_file(name: &str, expected: &[&str]) -> String {
    let mut all = vec![name];
    all.extend_from_slice(expected);
    refuse(&bad(name), "out.tmx", &[], &all)
}

#[test]
fn malformed_xml() {
    refuse_file("malformed.tmx", &[":12:5:", "malformed XML", "</tuv>"]);
}

#[test]
fn tmx_truncated_mid_unit() {
    refuse_file("truncated.tmx", &[":11:", "ends inside <seg>", "truncated"]);
}

#[test]
fn tmx_truncated_mid_tag() {
    // The cut is named with its byte; the complete units are kept only when asked.
    let stderr = refuse_file(
        "truncated-mid-tag.tmx",
        &[
            ":14:",
            "(unit 3)",
            "cut off at byte 474",
            "after 2 complete units",
        ],
    );
    assert!(stderr.contains("--skip-invalid keeps"), "{stderr}");
}

#[test]
fn skip_invalid_keeps_the_units_before_a_cut() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out.jsonl");
    let output = cargo_bin_cmd!("bitext")
        .args(["convert", "--skip-invalid"])
        .arg(bad("truncated.tmx"))
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 unit read, 1 written, 1 skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("truncated.tmx:11:33 (unit 2): the file ends inside <seg>"),
        "{stderr}"
    );
    assert!(stderr.contains("cut off at byte 414"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 1);
}

#[test]
fn declared_utf16_but_utf8() {
    refuse_file(
        "declared-utf16-is-utf8.tmx",
        &[":1:", "encoding=\"UTF-16\"", "not UTF-16"],
    );
}

#[test]
fn declared_utf8_but_utf16() {
    refuse_file(
        "declared-utf8-is-utf16.tmx",
        &[":1:", "UTF-16LE", "declares encoding=\"UTF-8\""],
    );
}

#[test]
fn invalid_utf8() {
    refuse_file("invalid-utf8.tmx", &[":10:33:", "not valid UTF-8"]);
    refuse(
        &bad("invalid-utf8.csv"),
        "out.tsv",
        &[],
        &["invalid-utf8.csv:3:7:", "not valid UTF-8"],
    );
}

#[test]
fn nul_bytes() {
    refuse_file("nul-byte.tmx", &[":10:33:", "NUL byte"]);
    refuse(
        &bad("nul-byte.csv"),
        "out.tsv",
        &[],
        &["nul-byte.csv:3:7:", "NUL byte"],
    );
}

#[test]
fn utf16_text_without_byte_order_mark() {
    refuse(
        &bad("utf16-without-bom.csv"),
        "out.tsv",
        &[],
        &[":1:", "UTF-16LE without a byte-order mark"],
    );
}

#[test]
fn xml_control_character() {
    refuse_file("control-char.tmx", &[":10:33:", "U+0007"]);
}

#[test]
fn binary_file() {
    refuse_file("binary.tmx", &["binary file"]);
    // Without an extension to go by, too.
    let dir = TempDir::new().unwrap();
    let copy = dir.path().join("picture");
    fs::copy(bad("binary.tmx"), &copy).unwrap();
    refuse(&copy, "out.tmx", &[], &["picture", "binary file"]);
}

#[test]
fn empty_files() {
    refuse_file("empty.tmx", &["the file is empty"]);
    // A byte-order mark alone is empty too.
    refuse(
        &bad("empty.csv"),
        "out.tmx",
        &[],
        &["empty.csv", "the file is empty"],
    );
}

#[test]
fn tu_without_tuv() {
    refuse_file(
        "tu-without-tuv.tmx",
        &[":9:5", "(unit 2)", "<tu> has no <tuv>", "--skip-invalid"],
    );
}

#[test]
fn unknown_or_empty_language_tag() {
    refuse_file(
        "bad-lang.tmx",
        &[":9:5", "(unit 2)", "\"français\"", "not a language tag"],
    );
    refuse_file("empty-lang.tmx", &[":9:5", "(unit 2)", "empty xml:lang"]);
    refuse(
        &bad("bad-lang.jsonl"),
        "out.tmx",
        &[],
        &["bad-lang.jsonl:1:", "invalid language tag \"f r\""],
    );
}

#[test]
fn xxe_is_never_read() {
    let stderr = refuse_file(
        "xxe.tmx",
        &[":9:", "undefined entity &xxe;", "never expanded"],
    );
    assert!(!stderr.contains("root:"), "{stderr}");
}

#[test]
fn billion_laughs_never_expands() {
    let started = std::time::Instant::now();
    refuse_file("billion-laughs.tmx", &[":18:", "undefined entity &lol9;"]);
    // Expanding would take minutes and gigabytes; refusing takes milliseconds.
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn ten_thousand_deep_nesting() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("deep.tmx");
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<tmx version=\"1.4\"><header/><body><tu><tuv xml:lang=\"en\"><seg>",
    );
    xml.push_str(&"<hi>".repeat(10_000));
    xml.push('x');
    xml.push_str(&"</hi>".repeat(10_000));
    xml.push_str("</seg></tuv></tu></body></tmx>\n");
    fs::write(&path, xml).unwrap();
    refuse(
        &path,
        "out.tmx",
        &[],
        &["deep.tmx:2:", "nested more than 1000 deep"],
    );
}

#[test]
fn csv_ragged_rows_and_unterminated_quotes() {
    refuse(
        &bad("ragged.csv"),
        "out.tmx",
        &[],
        &["ragged.csv:3:", "3 fields in this row, but 2 columns"],
    );
    refuse(
        &bad("unterminated-quote.csv"),
        "out.tmx",
        &[],
        &["unterminated-quote.csv:3:", "never closed"],
    );
}

#[test]
fn mismatched_language_columns() {
    refuse(
        &bad("mismatched-columns.csv"),
        "out.tmx",
        &["--src-lang", "en", "--tgt-lang", "fr"],
        &[
            "mismatched-columns.csv:1:",
            "mismatched language columns",
            "de, it",
            "en, fr",
        ],
    );
}

#[test]
fn bad_json_line() {
    refuse(
        &bad("bad-json.jsonl"),
        "out.tmx",
        &[],
        &["bad-json.jsonl:2:", "not a valid JSON record"],
    );
}

#[test]
fn not_a_tmx_file() {
    refuse(
        &bad("not-tmx.xlf"),
        "out.tmx",
        &["--from", "tmx"],
        &["not-tmx.xlf:2:", "root element is <xliff>"],
    );
    refuse(
        &bad("ragged.csv"),
        "out.tsv",
        &["--from", "tmx"],
        &["ragged.csv:1:", "not an XML file"],
    );
}

#[test]
fn unknown_declared_encoding() {
    refuse_file(
        "unknown-encoding.tmx",
        &[":1:", "unknown encoding \"EBCDIC-Klingon\""],
    );
}

#[test]
fn text_xml_cannot_hold() {
    refuse(
        &bad("control-char.jsonl"),
        "out.tmx",
        &[],
        &[
            "unit #1 of",
            "control-char.jsonl",
            "U+0007",
            "--skip-invalid",
        ],
    );
}

#[test]
fn missing_file() {
    refuse(
        &bad("no-such-file.tmx"),
        "out.tmx",
        &[],
        &["no-such-file.tmx", "No such file"],
    );
}

#[test]
fn directory_given_as_a_file() {
    refuse(&bad(""), "out.tmx", &[], &["bad_inputs", "is a directory"]);
    // As the output too.
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("out.tmx")).unwrap();
    let output = cargo_bin_cmd!("bitext")
        .arg("convert")
        .arg(bad("ragged.csv"))
        .arg(dir.path().join("out.tmx"))
        .arg("--skip-invalid")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");
}

#[test]
fn output_in_a_missing_directory() {
    refuse(
        &bad("ragged.csv"),
        "missing/dir/out.tmx",
        &["--skip-invalid"],
        &["missing/dir", "does not exist"],
    );
}

#[test]
fn disk_full_during_export() {
    // `ulimit -f` makes writing past 64 blocks fail (EFBIG), as a full disk does
    // (ENOSPC): the export stops with a message and leaves no file.
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("big.tsv");
    let mut text = String::from("en\tfr\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "Sentence number {i} of a long file.\tPhrase numéro {i} d'un long fichier.\n"
        ));
    }
    fs::write(&input, text).unwrap();
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 64 && exec \"$0\" convert \"$1\" \"$2\"")
        .arg(assert_cmd::cargo::cargo_bin!("bitext"))
        .arg(&input)
        .arg(out_dir.join("big.tmx"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("big.tmx"), "{stderr}");
    assert!(
        stderr.contains("too large") || stderr.contains("No space"),
        "{stderr}"
    );
    let left: Vec<_> = fs::read_dir(&out_dir).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn skip_invalid_keeps_the_good_units() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out.jsonl");
    let output = cargo_bin_cmd!("bitext")
        .args(["convert", "--skip-invalid"])
        .arg(bad("tu-without-tuv.tmx"))
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 unit read, 1 written, 1 skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tu-without-tuv.tmx:9:5 (unit 2): <tu> has no <tuv>"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 1);
}

#[test]
fn non_ascii_in_a_date_is_a_warning() {
    // Found by fuzzing (the TMX and CSV readers both panicked on it).
    let dir = TempDir::new().unwrap();
    let tmx = dir.path().join("date.tmx");
    fs::write(
        &tmx,
        "<tmx version=\"1.4\"><header/><body><tu creationdate=\"2019\u{FEFF}2T110506Z\">\
         <tuv xml:lang=\"en\"><seg>a</seg></tuv></tu></body></tmx>",
    )
    .unwrap();
    let out = dir.path().join("out.jsonl");
    let output = cargo_bin_cmd!("bitext")
        .arg("convert")
        .arg(&tmx)
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("is not a date"), "{stderr}");
    let csv = dir.path().join("date.csv");
    fs::write(&csv, "en,fr,created\na,b,10100050T00\u{470D8}\n").unwrap();
    refuse(&csv, "out.tmx", &[], &["date.csv:2:", "unreadable date"]);
}

#[test]
fn xliff_billion_laughs_never_expands() {
    refuse_file("billion-laughs.xlf", &[":18:", "undefined entity &lol9;"]);
}

#[test]
fn xliff_external_entity_is_never_fetched() {
    let stderr = refuse_file("xxe.xlf", &[":10:", "undefined entity &secret;"]);
    assert!(!stderr.contains("root:"), "{stderr}");
}

#[test]
fn xliff_truncated_mid_unit() {
    refuse_file(
        "truncated.xlf",
        &[":11:", "ends inside <source>", "truncated"],
    );
}

#[test]
fn xliff_unit_without_source() {
    refuse_file(
        "xliff-unit-without-source.xlf",
        &[":5:", "unit 1", "no <source>", "--skip-invalid"],
    );
}

/// Issue 18, item 11: text in a legacy encoding is refused with a hint at
/// `--encoding`, and read with it by every command that reads text: convert and
/// import (CSV, TMX), segment, align, lookup's query files. A byte-order mark that
/// contradicts `--encoding` is refused, an unknown label too.
#[test]
fn legacy_encodings_are_read_with_encoding() {
    let csv = bad("windows-1252.csv");
    let hint = "say which with --encoding, e.g. --encoding windows-1252";
    refuse(
        &csv,
        "out.tsv",
        &[],
        &["windows-1252.csv:2:11:", "byte 0xE9", hint],
    );
    let converted = cargo_bin_cmd!("bitext")
        .args(["convert", "--to", "tsv", "--encoding", "windows-1252"])
        .arg(&csv)
        .arg("-")
        .output()
        .unwrap();
    assert!(converted.status.success(), "{converted:?}");
    assert_eq!(
        String::from_utf8(converted.stdout).unwrap(),
        "en\tfr\nCoffee\tCafé\nSummer\tÉté\nPrice: 5 euros\tPrix\u{a0}: 5 €\n"
    );
    // A byte-order mark that says otherwise.
    refuse(
        &bad("utf8-bom.csv"),
        "out.tsv",
        &["--encoding", "latin1"],
        &[
            "utf8-bom.csv:1:",
            "UTF-8 byte-order mark",
            "--encoding says windows-1252",
        ],
    );
    // One that agrees is fine.
    cargo_bin_cmd!("bitext")
        .args(["convert", "--to", "tsv", "--encoding", "utf-8"])
        .arg(bad("utf8-bom.csv"))
        .arg("-")
        .assert()
        .success()
        .stdout("en\tfr\nCoffee\tCafé\n");
    let unknown = cargo_bin_cmd!("bitext")
        .args(["convert", "--to", "tsv", "--encoding", "klingon"])
        .arg(&csv)
        .arg("-")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown encoding \"klingon\""));

    // import, then a query file in KOI8-R.
    let dir = TempDir::new().unwrap();
    let tm = dir.path().join("tm.sqlite");
    let koi8 = dir.path().join("ru.tsv");
    let (ru, _, _) = encoding_rs::KOI8_R.encode("ru\ten\nПривет, мир.\tHello, world.\n");
    fs::write(&koi8, &ru).unwrap();
    let (query, _, _) = encoding_rs::KOI8_R.encode("Привет, мир.\n");
    let queries = dir.path().join("queries.txt");
    fs::write(&queries, &query).unwrap();
    let tm_cmd = || {
        let mut cmd = cargo_bin_cmd!("bitext");
        cmd.env("BITEXT_TM", &tm).env_remove("BITEXT_USER");
        cmd
    };
    tm_cmd()
        .args(["--quiet", "import", "--encoding", "koi8-r"])
        .arg(&koi8)
        .assert()
        .success();
    let lookup = tm_cmd()
        .args(["lookup", "-s", "ru", "-t", "en", "--queries"])
        .arg(&queries)
        .output()
        .unwrap();
    assert_eq!(lookup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&lookup.stderr).contains(hint));
    tm_cmd()
        .args([
            "lookup",
            "-s",
            "ru",
            "-t",
            "en",
            "--encoding",
            "koi8-r",
            "--queries",
        ])
        .arg(&queries)
        .assert()
        .success()
        .stdout(predicates::str::contains("Hello, world."));

    // Documents: segment and align.
    let doc = bad("windows-1252.txt");
    let segment = cargo_bin_cmd!("bitext")
        .args(["segment", "-l", "fr"])
        .arg(&doc)
        .output()
        .unwrap();
    assert_eq!(segment.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&segment.stderr);
    assert!(
        stderr.contains("windows-1252.txt:1:4:") && stderr.contains(hint),
        "{stderr}"
    );
    cargo_bin_cmd!("bitext")
        .args(["segment", "-l", "fr", "--encoding", "windows-1252"])
        .arg(&doc)
        .assert()
        .success()
        .stdout("Café au lait.\nUn été chaud.\n\nLe président a parlé.\n");
    let align = cargo_bin_cmd!("bitext")
        .args(["align", "--src-lang", "fr", "--tgt-lang", "fr"])
        .arg(&doc)
        .arg(&doc)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&align.stderr).contains(hint));
    let align = cargo_bin_cmd!("bitext")
        .args([
            "align",
            "--src-lang",
            "fr",
            "--tgt-lang",
            "fr",
            "--encoding",
            "cp1252",
        ])
        .arg(&doc)
        .arg(&doc)
        .output()
        .unwrap();
    assert!(align.status.success(), "{align:?}");
    assert!(String::from_utf8_lossy(&align.stdout).starts_with("Café au lait.\tCafé au lait.\t"));
}
