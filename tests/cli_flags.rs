//! One spelling for one thing across subcommands (issue 18): -f/--format is the
//! output's format, --from the input's, -l/--lang one language, `--columns id` the
//! number `lookup` shows. Old spellings still work, with a note on stderr.

use predicates::prelude::*;

use crate::util::{bitext, json_lines, repo, tempdir, tm_cmd};

const SEED: &str = "memories/seed-en-ru.tmx";

/// `import --report jsonl` prints the report on stdout; the old `-f jsonl` still
/// does, and says it is deprecated (not under --quiet).
#[test]
fn import_report_format_is_report_and_old_f_is_deprecated() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let out = bitext()
        .args(["import", SEED, "--report", "jsonl", "--tm"])
        .arg(&tm)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_lines(&out.stdout)[0]["imported"], 25);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    for old in ["-f", "--format"] {
        let out = bitext()
            .args(["import", SEED, old, "jsonl", "--tm"])
            .arg(&tm)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(json_lines(&out.stdout)[0]["merged"], 25);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("warning: import -f/--format is deprecated")
                && stderr.contains("use --report"),
            "{stderr}"
        );
    }
    tm_cmd(&tm)
        .args(["import", SEED, "-f", "jsonl"])
        .assert()
        .success()
        .stderr(predicate::str::contains("deprecated").not());
    // A data format given to -f is refused by clap, not taken for the report.
    bitext()
        .args(["import", SEED, "-f", "tmx", "--tm"])
        .arg(&tm)
        .assert()
        .code(2);
}

/// export and convert: -f/--format is the output format, --to its alias.
#[test]
fn export_and_convert_take_f_format_and_to() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    tm_cmd(&tm).args(["import", SEED]).assert().success();
    for flag in ["-f", "--format", "--to"] {
        let out = tm_cmd(&tm)
            .args(["export", "-", flag, "tsv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("en\tru\n"));
        let out = bitext()
            .args(["convert", SEED, "-", flag, "csv", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("en,ru\n"));
    }
    tm_cmd(&tm)
        .args(["export", "-"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("-f/--format"));
}

/// `export --columns id` is the unit number that lookup and concordance show;
/// `tuid` the id from the TMX file.
#[test]
fn export_id_column_is_the_number_lookup_shows() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let tmx = dir.path().join("ids.tmx");
    std::fs::write(
        &tmx,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="en" datatype="plaintext"/><body>
<tu tuid="alpha"><tuv xml:lang="en"><seg>Open the file.</seg></tuv><tuv xml:lang="ru"><seg>Откройте файл.</seg></tuv></tu>
<tu><tuv xml:lang="en"><seg>Close the window.</seg></tuv><tuv xml:lang="ru"><seg>Закройте окно.</seg></tuv></tu>
</body></tmx>
"#,
    )
    .unwrap();
    tm_cmd(&tm).arg("import").arg(&tmx).assert().success();
    let out = tm_cmd(&tm)
        .args([
            "lookup",
            "Close the window.",
            "-s",
            "en",
            "-t",
            "ru",
            "-f",
            "jsonl",
        ])
        .output()
        .unwrap();
    let unit = json_lines(&out.stdout)[0]["matches"][0]["unit"].clone();
    assert_eq!(unit, 2);
    let out = tm_cmd(&tm)
        .args(["export", "-", "-f", "csv", "--columns", "id,tuid"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "en,ru,id,tuid\nOpen the file.,Откройте файл.,1,alpha\nClose the window.,Закройте окно.,2,\n"
    );
    // Read back, `id` and `tuid` are the unit's file id; converting a file writes
    // its own ids under either name.
    let out = bitext()
        .arg("convert")
        .arg(&tmx)
        .args(["-", "-f", "tsv", "--columns", "id,tuid", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "en\tru\tid\ttuid\nOpen the file.\tОткройте файл.\talpha\talpha\nClose the window.\tЗакройте окно.\t\t\n"
    );
}

/// segment and lookup read their input's format from --from; the old names work
/// with a note.
#[test]
fn input_formats_are_from_and_old_names_are_deprecated() {
    let record = "{\"id\":1,\"lang\":\"en\",\"text\":\"One. Two.\"}\n";
    for (flag, deprecated) in [("--from", false), ("--input-format", true)] {
        bitext()
            .args(["segment", flag, "jsonl"])
            .write_stdin(record)
            .assert()
            .success()
            .stdout(predicate::str::contains(r#""sentences":["One.","Two."]"#))
            .stderr(if deprecated {
                predicate::str::contains("--input-format is deprecated").boxed()
            } else {
                predicate::str::is_empty().boxed()
            });
    }
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    tm_cmd(&tm).args(["import", SEED]).assert().success();
    for (flag, deprecated) in [("--from", false), ("--queries-format", true)] {
        let out = bitext()
            .args(["lookup", "--queries", "-", flag, "lines", "-f", "jsonl"])
            .args(["-s", "en", "-t", "ru", "--tm"])
            .arg(&tm)
            .write_stdin("23 August 2021\n")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            json_lines(&out.stdout)[0]["matches"][0]["score"]["percent"],
            100
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("--queries-format is deprecated"),
            deprecated,
            "{stderr}"
        );
    }
}

/// eval prints JSON with -f json; --json still does, with a note.
#[test]
fn eval_format_is_f_json() {
    let gold = repo("samples/segment_gold.jsonl");
    for args in [&["-f", "json"][..], &["--json"][..]] {
        let out = bitext()
            .args(["eval", "segment"])
            .arg(&gold)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["macro_f1"].as_f64().is_some());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let noted = stderr.contains("--json is deprecated and will be removed; use -f json");
        assert_eq!(noted, args[0] == "--json", "{stderr}");
    }
}

/// `delete -l` is `--lang`, as in segment.
#[test]
fn delete_takes_l_for_its_one_language() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    tm_cmd(&tm).args(["import", SEED]).assert().success();
    tm_cmd(&tm)
        .args(["delete", "-l", "ru", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("would delete 25 units"));
}
