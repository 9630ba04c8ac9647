//! `bitext eval segment`: quality floors on the gold data in ../shared, and agreement
//! with the reference scorer `shared/bench/segment_score.py`.

use crate::util::{bitext, repo, shared, tempdir};

fn eval_json(files: &[std::path::PathBuf], by: &str) -> serde_json::Value {
    let out = bitext()
        .args(["eval", "segment", "-f", "json", "--by", by])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn group<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn ud_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(shared("data/segment/ud"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_rules_floor() {
    let report = eval_json(&[shared("data/segment/golden_rules.jsonl")], "lang");
    let exact = report["overall"]["exact"].as_f64().unwrap();
    assert!(exact >= 0.99, "Golden Rules exact {exact:.3} < 0.99");
    assert_eq!(
        group(&report, "en")["exact"].as_f64().unwrap(),
        1.0,
        "English Golden Rules must all pass"
    );
}

#[test]
fn golden_rules_extra_floor() {
    let report = eval_json(&[shared("data/segment/golden_rules_extra.jsonl")], "lang");
    let exact = report["overall"]["exact"].as_f64().unwrap();
    assert!(exact >= 0.92, "Golden Rules extra exact {exact:.3} < 0.92");
}

#[test]
fn samples_are_perfect() {
    let report = eval_json(&[repo("samples/segment_gold.jsonl")], "lang");
    assert_eq!(report["overall"]["exact"].as_f64().unwrap(), 1.0);
}

/// Floors on each UD dev treebank: at least the best peer of `peer_scores_dev.tsv`, and a
/// little under the F1 reached (the micro F1 too).
#[test]
fn ud_dev_floors() {
    let report = eval_json(&ud_files(), "file");
    let micro = report["overall"]["f1"].as_f64().unwrap();
    assert!(micro >= 0.963, "UD micro F1 {micro:.4} < 0.963");
    let floors = [
        ("UD_Armenian-ArmTDP", 0.980),
        ("UD_Bulgarian-BTB", 0.935),
        ("UD_Chinese-GSD", 0.992),
        ("UD_Danish-DDT", 0.955),
        ("UD_Dutch-Alpino", 0.995),
        ("UD_English-EWT", 0.875),
        ("UD_English-GUM", 0.969),
        ("UD_French-GSD", 0.980),
        ("UD_German-GSD", 0.976),
        ("UD_Greek-GDT", 0.955),
        ("UD_Italian-ISDT", 0.950),
        ("UD_Japanese-GSD", 0.995),
        ("UD_Marathi-UFAL", 0.980),
        ("UD_Persian-Seraji", 0.990),
        ("UD_Polish-PDB", 0.975),
        ("UD_Russian-GSD", 0.979),
        ("UD_Slovak-SNK", 0.905),
        ("UD_Spanish-GSD", 0.990),
        ("UD_Urdu-UDTB", 0.989),
    ];
    let mut low = Vec::new();
    for (name, floor) in floors {
        let f1 = group(&report, name)["f1"].as_f64().unwrap();
        if f1 < floor {
            low.push(format!("{name}: {f1:.4} < {floor}"));
        }
    }
    assert!(low.is_empty(), "below the floor: {low:?}");
}

/// `bitext eval segment` and `segment_score.py` on `bitext segment --from jsonl`
/// output give the same numbers.
#[test]
fn scores_agree_with_the_reference_scorer() {
    let dir = tempdir();
    for gold in [
        shared("data/segment/golden_rules.jsonl"),
        shared("data/segment/ud/UD_English-EWT.dev.jsonl"),
    ] {
        let hyp = dir.path().join("hyp.jsonl");
        let out = bitext()
            .args(["segment", "--from", "jsonl", "-o"])
            .arg(&hyp)
            .arg(&gold)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = dir.path().join("score.json");
        let status = std::process::Command::new("python3")
            .arg(shared("bench/segment_score.py"))
            .arg(&gold)
            .arg(&hyp)
            .arg("--json")
            .arg(&json)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("python3 runs the reference scorer");
        assert!(status.success());
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let ours = eval_json(std::slice::from_ref(&gold), "lang");
        for key in ["exact", "precision", "recall", "f1"] {
            let (a, b) = (
                ours["overall"][key].as_f64().unwrap(),
                reference["overall"][key].as_f64().unwrap(),
            );
            assert!(
                (a - b).abs() < 1e-9,
                "{}: {key} ours {a} reference {b}",
                gold.display()
            );
        }
        for key in ["tp", "fp", "fn"] {
            assert_eq!(
                ours["overall"][key],
                reference["overall"][key],
                "{}: {key}",
                gold.display()
            );
        }
    }
}
