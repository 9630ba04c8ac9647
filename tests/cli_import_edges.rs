//! Issue 18 ("A new user's first hour"), the import, export and align edges: several
//! files with one failing, CAT-tool units that hold only inline codes, a truncated
//! TMX, a memory of several language pairs exported as CSV, an empty side to align.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{bitext, json_lines, repo, tempdir, tm_cmd};

fn bad(name: &str) -> PathBuf {
    repo("tests/bad_inputs").join(name)
}

fn tmx(dir: &Path, name: &str, en: &str, fr: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(
        &path,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\"><header \
             creationtool=\"t\" creationtoolversion=\"1\" segtype=\"sentence\" o-tmf=\"t\" \
             adminlang=\"en\" srclang=\"en\" datatype=\"plaintext\"/><body>\n<tu><tuv \
             xml:lang=\"en\"><seg>{en}</seg></tuv><tuv xml:lang=\"fr\"><seg>{fr}</seg></tuv>\
             </tu>\n</body></tmx>\n"
        ),
    )
    .unwrap();
    path
}

fn units(tm: &Path) -> u64 {
    let out = tm_cmd(tm).args(["stats", "-f", "jsonl"]).output().unwrap();
    assert!(out.status.success());
    json_lines(&out.stdout)[0]["units"].as_u64().unwrap()
}

/// Every file is tried; each failure is named with its place, the end says which
/// files were imported and which failed, and the exit status is 1.
#[test]
fn import_tries_every_file_and_lists_the_failed_ones() {
    let dir = tempdir();
    let a = tmx(dir.path(), "a.tmx", "Hello", "Bonjour");
    let c = tmx(dir.path(), "c.tmx", "Cat", "Chat");
    let b = bad("truncated.tmx");
    // Into a new memory whose first file fails: the next one makes it.
    let tm = dir.path().join("tm.sqlite");
    let out = bitext()
        .env("BITEXT_TM", &tm)
        .arg("import")
        .args([&b, &a, &c])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("truncated.tmx:11:"), "{stderr}");
    assert!(stderr.contains("nothing of"), "{stderr}");
    assert!(stderr.contains("import: "), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert!(last.contains("1 of 3 files failed"), "{stderr}");
    assert!(last.contains("truncated.tmx"), "{stderr}");
    assert!(last.contains("imported: "), "{stderr}");
    assert!(last.contains("a.tmx") && last.contains("c.tmx"), "{stderr}");
    assert_eq!(units(&tm), 2);
    // JSON Lines: one line per file, the failed one with its error.
    let tm2 = dir.path().join("tm2.sqlite");
    let out = tm_cmd(&tm2)
        .args(["import", "--report", "jsonl"])
        .args([&a, &b, &c])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["imported"], 1);
    assert!(lines[1]["file"]
        .as_str()
        .unwrap()
        .ends_with("truncated.tmx"));
    assert!(lines[1]["error"].as_str().unwrap().contains(":11:"));
    assert_eq!(lines[2]["imported"], 1);
    // Even --quiet says why the exit status is 1.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 3 files failed"), "{stderr}");
    assert_eq!(units(&tm2), 2);
}

/// An OmegaT 4.3 project memory: units whose segments hold only an inline code are
/// pairs and are kept (each its own unit, its codes written back); a unit with one
/// language is skipped and counted; --strict refuses either.
#[test]
fn a_cat_tool_memory_with_tags_only_units_imports() {
    let dir = tempdir();
    let file = bad("omegat-tags-only.tmx");
    let tm = dir.path().join("tm.sqlite");
    let out = tm_cmd(&tm)
        .args(["import", "--report", "jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(
        (
            r["read"].as_u64(),
            r["imported"].as_u64(),
            r["skipped"].as_u64(),
            r["one_language"].as_u64(),
            r["tags_only"].as_u64()
        ),
        (Some(4), Some(3), Some(1), Some(1), Some(2)),
        "{r}"
    );
    let skip = r["skips"][0].as_str().unwrap();
    assert!(
        skip.contains("(unit #4)") && skip.contains("one language"),
        "{r}"
    );
    // The codes round-trip.
    let out = tm_cmd(&tm)
        .args(["export", "-", "--to", "tmx"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("<seg><ph x=\"1\">&lt;b1/&gt;</ph></seg>")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("<seg><ph x=\"1\">&lt;i2/&gt;</ph></seg>")
            .count(),
        2,
        "{text}"
    );
    // Imported again: merged into the same units, not mixed up.
    let out = tm_cmd(&tm)
        .args(["import", "--report", "jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(json_lines(&out.stdout)[0]["merged"], 3);
    assert_eq!(units(&tm), 3);
    // The text report says so.
    let tm2 = dir.path().join("tm2.sqlite");
    let out = bitext()
        .env("BITEXT_TM", &tm2)
        .arg("import")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(unit #4): text in one language only (en"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 units kept with segments that hold only inline codes"),
        "{stderr}"
    );
    // --strict: an error naming the unit, nothing imported, no memory made.
    let tm3 = dir.path().join("tm3.sqlite");
    let out = tm_cmd(&tm3)
        .args(["import", "--strict"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("(unit #1): --strict: a segment holds only inline codes"),
        "{stderr}"
    );
    assert!(!tm3.exists());
    // --strict --skip-invalid: only the full pairs.
    let out = tm_cmd(&tm3)
        .args(["import", "--strict", "--skip-invalid", "--report", "jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(
        (r["imported"].as_u64(), r["skipped"].as_u64()),
        (Some(1), Some(3)),
        "{r}"
    );
}

/// A truncated TMX: without --skip-invalid the error says where the file was cut
/// and nothing is imported; with it the complete units before the cut are.
#[test]
fn a_truncated_tmx_is_salvaged_with_skip_invalid() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    for (name, line, complete) in [
        ("truncated.tmx", ":11:", 1),
        ("truncated-mid-tag.tmx", ":14:", 2),
    ] {
        let file = bad(name);
        let size = fs::metadata(&file).unwrap().len();
        let out = tm_cmd(&tm).arg("import").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&format!("{name}{line}")), "{stderr}");
        assert!(
            stderr.contains(&format!("cut off at byte {size}")),
            "{stderr}"
        );
        assert!(stderr.contains("--skip-invalid keeps"), "{stderr}");
        assert!(stderr.contains("nothing of"), "{stderr}");
        assert!(!tm.exists(), "{stderr}");
        let tm = dir.path().join(format!("{name}.sqlite"));
        let out = tm_cmd(&tm)
            .args(["import", "--skip-invalid", "--report", "jsonl"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = &json_lines(&out.stdout)[0];
        assert_eq!(r["imported"], complete, "{r}");
        let notice = r["skips"][0].as_str().unwrap();
        assert!(notice.contains(&format!("{name}{line}")), "{r}");
        assert!(notice.contains(&format!("cut off at byte {size}")), "{r}");
        assert_eq!(units(&tm), complete);
    }
}

/// A memory of several language pairs exported as CSV: one column per language,
/// every unit in; it reads back whole. JSON Lines --simple keeps each unit's pair.
#[test]
fn export_of_several_language_pairs_drops_nothing() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let files = [
        ("enfr.csv", "en,fr\nHello,Bonjour\nCat,Chat\n"),
        ("enru.csv", "en,ru\nDog,Собака\n"),
        ("deit.csv", "de,it\nHund,Cane\n"),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        tm_cmd(&tm).arg("import").arg(&path).assert().success();
    }
    let csv = dir.path().join("real.csv");
    let out = bitext()
        .env("BITEXT_TM", &tm)
        .arg("export")
        .arg(&csv)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("4 units written"), "{stderr}");
    assert!(
        stderr.contains("one column per language: en, fr, de, it, ru"),
        "{stderr}"
    );
    assert!(!stderr.contains("left out"), "{stderr}");
    let text = fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text,
        "en,fr,de,it,ru\nHello,Bonjour,,,\nCat,Chat,,,\nDog,,,,Собака\n,,Hund,Cane,\n"
    );
    let tm2 = dir.path().join("tm2.sqlite");
    tm_cmd(&tm2).arg("import").arg(&csv).assert().success();
    assert_eq!(units(&tm2), 4);
    // -s chooses the first column; -s and -t one pair.
    let out = tm_cmd(&tm)
        .args(["export", "-", "--to", "tsv", "-s", "ru"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("ru\ten\t"));
    let out = tm_cmd(&tm)
        .args(["export", "-", "--to", "jsonl", "--simple"])
        .output()
        .unwrap();
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["src_lang"], "de");
    assert_eq!(records[3]["tgt_lang"], "it");
}

/// An empty side: a warning naming the file, and nothing made (no memory, no
/// output file); --strict makes it an error; in a batch, the other pairs go on.
#[test]
fn align_with_an_empty_side_warns_and_writes_nothing() {
    let dir = tempdir();
    let blank = bad("blank.txt");
    let tm = dir.path().join("tm.sqlite");
    let out_file = dir.path().join("out.tsv");
    let out = bitext()
        .args(["align", "samples/en.txt"])
        .arg(&blank)
        .args(["--src-lang", "en", "--tgt-lang", "ru", "--into"])
        .arg(&tm)
        .arg("-o")
        .arg(&out_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("bitext: warning: "), "{stderr}");
    assert!(stderr.contains("blank.txt has no sentence"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!tm.exists() && !out_file.exists());
    let out = bitext()
        .args(["align", "--strict", "samples/en.txt"])
        .arg(&blank)
        .args(["--src-lang", "en", "--tgt-lang", "ru"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("blank.txt has no sentence"));
    // A batch: the empty pair warned and skipped, the other aligned.
    let list = dir.path().join("pairs.tsv");
    fs::write(
        &list,
        format!(
            "samples/en.txt\t{}\nsamples/zh.txt\tsamples/en.txt\n",
            blank.display()
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = bitext()
        .args(["align", "--src-lang", "en", "--tgt-lang", "ru", "--batch"])
        .arg(&list)
        .arg("--out-dir")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("blank.txt has no sentence"), "{stderr}");
    assert!(!out_dir.join("en.txt.tsv").exists());
    assert!(out_dir.join("zh.txt.tsv").exists());
}
