//! `bitext segment --srx` and `bitext eval segment --srx`: a small hand-written SRX
//! file (tests/data/srx/demo.srx), bad SRX files, and the UD scores with
//! LanguageTool's rules.

use predicates::prelude::*;

use crate::util::{bitext, shared, tempdir};

const DEMO: &str = "tests/data/srx/demo.srx";

fn segment(lang: &str, srx: &str, input: &str) -> String {
    let out = bitext()
        .args(["segment", "--lang", lang, "--srx", srx])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn exceptions_before_a_break_rule_win_and_after_it_do_not() {
    // English (cascade): the English exceptions, then the Default rules. "No. 5" is an
    // exception listed after the break rule, so it never applies.
    assert_eq!(
        segment(
            "en-US",
            DEMO,
            "Mr. Smith met Dr. Jones. They talked, e.g. about work! No. 5 is next.\n\nBye."
        ),
        "Mr. Smith met Dr. Jones.\nThey talked, e.g. about work!\nNo.\n5 is next.\n\nBye.\n"
    );
}

#[test]
fn map_rules_choose_the_language_rules() {
    // German: its own exceptions (z. B., ordinals before months) and the Default rules.
    assert_eq!(
        segment(
            "de",
            DEMO,
            "Wir treffen uns am 3. Mai, z. B. um 9 Uhr. Das ist Nr. 5. Gut!"
        ),
        "Wir treffen uns am 3. Mai, z. B. um 9 Uhr.\nDas ist Nr. 5.\nGut!\n"
    );
    // French: only the Default rules (no title exceptions).
    assert_eq!(
        segment("fr", DEMO, "Mr. Smith est venu. Bien!"),
        "Mr.\nSmith est venu.\nBien!\n"
    );
}

#[test]
fn without_cascade_only_the_first_matching_map_applies() {
    let dir = tempdir();
    let path = dir.path().join("first-only.srx");
    let text = std::fs::read_to_string(crate::util::repo(DEMO)).unwrap();
    std::fs::write(&path, text.replace(r#"cascade="yes""#, r#"cascade="no""#)).unwrap();
    let path = path.to_str().unwrap();
    // English now gets its exceptions only: no break rule, one sentence a paragraph.
    assert_eq!(
        segment("en", path, "Mr. Smith came. He sat down.\n\nNext."),
        "Mr. Smith came. He sat down.\n\nNext.\n"
    );
    // Others still reach Default.
    assert_eq!(segment("it", path, "Ciao. Bene."), "Ciao.\nBene.\n");
}

#[test]
fn a_language_no_map_matches_is_reported() {
    let dir = tempdir();
    let path = dir.path().join("english-only.srx");
    let text = std::fs::read_to_string(crate::util::repo(DEMO)).unwrap();
    std::fs::write(
        &path,
        text.replace(r#"languagepattern=".*""#, r#"languagepattern="xx""#),
    )
    .unwrap();
    bitext()
        .args(["segment", "--lang", "ru", "--srx"])
        .arg(&path)
        .write_stdin("Один. Два.")
        .assert()
        .success()
        .stdout("Один. Два.\n")
        .stderr(predicate::str::contains("no languagemap in"))
        .stderr(predicate::str::contains("matches language ru"));
}

#[test]
fn jsonl_records_are_segmented_with_the_srx_rules_of_their_language() {
    let out = bitext()
        .args(["segment", "--from", "jsonl", "--srx", DEMO])
        .write_stdin(
            "{\"id\":1,\"lang\":\"en\",\"text\":\"Dr. No. Yes.\"}\n{\"id\":2,\"lang\":\"de\",\"text\":\"Dr. No. Yes.\"}\n",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let records = crate::util::json_lines(&out.stdout);
    assert_eq!(
        records[0]["sentences"],
        serde_json::json!(["Dr. No.", "Yes."])
    );
    assert_eq!(
        records[1]["sentences"],
        serde_json::json!(["Dr. No.", "Yes."])
    );
}

#[test]
fn an_invalid_pattern_is_reported_with_its_rule_and_nothing_is_written() {
    let dir = tempdir();
    let out_path = dir.path().join("out.txt");
    let out = bitext()
        .args([
            "segment",
            "--lang",
            "en",
            "--srx",
            "tests/bad_inputs/srx-invalid-pattern.srx",
            "-o",
        ])
        .arg(&out_path)
        .write_stdin("One. Two.")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("bitext: error: --srx: "), "{stderr}");
    assert!(
        stderr.contains("2 rules do not compile (nothing was loaded)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "srx-invalid-pattern.srx:12:11: languagerule \"Default\", rule 2, beforebreak `[.?!](`: unclosed group"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("srx-invalid-pattern.srx:17:11: languagerule \"Default\", rule 3, afterbreak `\\p{InGreek}`: Unicode blocks"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn invalid_rules_can_be_skipped_with_a_warning_each() {
    let out = bitext()
        .args([
            "segment",
            "--lang",
            "en",
            "--srx",
            "tests/bad_inputs/srx-invalid-pattern.srx",
            "--srx-skip-invalid",
        ])
        .write_stdin("Dr. Who.\nThen")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("bitext: warning: rule left out: ").count(),
        2,
        "{stderr}"
    );
    // The remaining rules: the exception only; no break rule is left.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Dr. Who. Then\n");
}

#[test]
fn malformed_srx_names_file_line_and_column() {
    bitext()
        .args([
            "segment",
            "--lang",
            "en",
            "--srx",
            "tests/bad_inputs/srx-malformed.srx",
        ])
        .write_stdin("One.")
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("bitext: error: --srx: "))
        .stderr(predicate::str::contains("srx-malformed.srx:8:"))
        .stderr(predicate::str::contains("malformed XML"));
    bitext()
        .args([
            "segment",
            "--lang",
            "en",
            "--srx",
            "tests/bad_inputs/no-such-file.srx",
        ])
        .write_stdin("One.")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no-such-file.srx"));
}

#[test]
fn abbreviations_do_not_combine_with_srx() {
    bitext()
        .args([
            "segment",
            "--lang",
            "en",
            "--srx",
            DEMO,
            "--abbreviations",
            DEMO,
        ])
        .write_stdin("One.")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

/// UD dev treebanks with LanguageTool's rules: boundary F1 per treebank, floors a
/// little under the measured values (docs/srx.md has the table and the command).
#[test]
fn ud_scores_with_languagetool_rules() {
    let mut files: Vec<_> = std::fs::read_dir(shared("data/segment/ud"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let out = bitext()
        .args([
            "eval", "segment", "-f", "json", "--by", "file", "--quiet", "--srx",
        ])
        .arg(shared("data/srx/languagetool_segment.srx"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let floors = [
        ("UD_Danish-DDT", 0.94),
        ("UD_Dutch-Alpino", 0.93),
        ("UD_English-EWT", 0.88),
        ("UD_English-GUM", 0.945),
        ("UD_French-GSD", 0.97),
        ("UD_German-GSD", 0.97),
        ("UD_Greek-GDT", 0.90),
        ("UD_Italian-ISDT", 0.92),
        ("UD_Japanese-GSD", 0.97),
        ("UD_Persian-Seraji", 0.97),
        ("UD_Polish-PDB", 0.965),
        ("UD_Russian-GSD", 0.965),
        ("UD_Slovak-SNK", 0.875),
        ("UD_Spanish-GSD", 0.96),
    ];
    let groups = report["groups"].as_array().unwrap();
    for (name, floor) in floors {
        let g = groups
            .iter()
            .find(|g| g["group"] == name)
            .unwrap_or_else(|| panic!("no {name}"));
        let f1 = g["f1"].as_f64().unwrap();
        assert!(f1 >= floor, "{name}: F1 {f1:.4} < {floor}");
    }
    // Languages LanguageTool has no rules for: its rules break nowhere in them.
    for name in ["UD_Armenian-ArmTDP", "UD_Chinese-GSD", "UD_Urdu-UDTB"] {
        let g = groups.iter().find(|g| g["group"] == name).unwrap();
        assert_eq!(g["fp"], 0, "{name}");
        assert_eq!(g["tp"], 0, "{name}");
    }
}
