//! `bitext align` and `bitext eval align`: formats, options, errors, batches, the
//! quality floors on the dev sets and agreement with the reference scorer.

use std::path::Path;
use std::process::Command as Process;

use crate::util::{bitext, json_lines, repo, shared, tempdir};

fn read_beads(text: &str) -> Vec<(Vec<usize>, Vec<usize>)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let groups: Vec<Vec<usize>> = l
                .split(']')
                .filter_map(|g| g.split('[').nth(1))
                .map(|g| {
                    g.split(',')
                        .filter(|x| !x.trim().is_empty())
                        .map(|x| x.trim().parse().unwrap())
                        .collect()
                })
                .collect();
            (groups[0].clone(), groups[1].clone())
        })
        .collect()
}

fn gold(name: &str) -> Vec<(Vec<usize>, Vec<usize>)> {
    read_beads(&std::fs::read_to_string(repo(name)).unwrap())
}

#[test]
fn samples_are_aligned_exactly_from_sentences_and_from_running_text() {
    for lang in ["ru", "zh"] {
        let want = gold(&format!("samples/en-{lang}.gold"));
        let out = bitext()
            .args(["align", "samples/en.sent", &format!("samples/{lang}.sent")])
            .args(["--segmented", "--format", "beads"])
            .assert()
            .success();
        let got = read_beads(&String::from_utf8_lossy(&out.get_output().stdout));
        assert_eq!(got, want, "en-{lang} from sentences");
        // Raw text: split by the segmenter (which reproduces the .sent files), with
        // paragraphs as anchors.
        let out = bitext()
            .args(["align", "samples/en.txt", &format!("samples/{lang}.txt")])
            .args(["--src-lang", "en", "--tgt-lang", lang, "-f", "beads"])
            .assert()
            .success();
        let got = read_beads(&String::from_utf8_lossy(&out.get_output().stdout));
        assert_eq!(got, want, "en-{lang} from running text");
    }
}

#[test]
fn samples_score_one_with_eval() {
    for lang in ["ru", "zh"] {
        let out = bitext()
            .args(["eval", "align", "-f", "json", "--src", "samples/en.sent"])
            .args(["--tgt", &format!("samples/{lang}.sent")])
            .args(["--gold", &format!("samples/en-{lang}.gold")])
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(report[0]["f1_strict"], 1.0, "en-{lang}: {report}");
    }
}

#[test]
fn tsv_and_jsonl_outputs() {
    let out = bitext()
        .args(["align", "samples/en.sent", "samples/ru.sent", "--segmented"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 25);
    for line in &lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line}");
        let score: f64 = fields[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&score));
    }
    assert!(lines[0].starts_with("Putin to discuss the situation in Afghanistan"));
    assert!(lines[0].contains("\tПутин обсудит ситуацию"));

    let out = bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/zh.sent",
            "--segmented",
            "-f",
            "jsonl",
        ])
        .assert()
        .success();
    let records = json_lines(&out.get_output().stdout);
    assert_eq!(records.len(), 25);
    let (mut next_src, mut next_tgt) = (0, 0);
    for r in &records {
        for id in r["src"].as_array().unwrap() {
            assert_eq!(id.as_u64().unwrap(), next_src);
            next_src += 1;
        }
        for id in r["tgt"].as_array().unwrap() {
            assert_eq!(id.as_u64().unwrap(), next_tgt);
            next_tgt += 1;
        }
        assert!(r["source"].is_string() && r["target"].is_string());
        assert!(r["score"].as_f64().unwrap() <= 1.0);
    }
    assert_eq!((next_src, next_tgt), (27, 27));
}

#[test]
fn tmx_and_csv_units_read_back() {
    let dir = tempdir();
    let tmx = dir.path().join("en-ru.tmx");
    bitext()
        .args(["align", "samples/en.sent", "samples/ru.sent", "--segmented"])
        .args(["--src-lang", "en", "--tgt-lang", "ru", "-f", "tmx", "-o"])
        .arg(&tmx)
        .assert()
        .success();
    let units: Vec<bitext::unit::TranslationUnit> =
        bitext::formats::open(&tmx, &bitext::formats::ReadOptions::default())
            .unwrap()
            .map(|u| u.unwrap())
            .collect();
    assert_eq!(units.len(), 25);
    let en = bitext::text::LangTag::parse("en").unwrap();
    let ru = bitext::text::LangTag::parse("ru").unwrap();
    assert_eq!(units[1].variant(&en).unwrap().text, "23 August 2021");
    assert_eq!(units[1].variant(&ru).unwrap().text, "23 августа 2021 г.");
    assert!(units
        .iter()
        .all(|u| u.origin.score.is_some_and(|s| s > 0.0 && s <= 1.0)));
    assert_eq!(units[0].origin.file.as_deref(), Some("en.sent"));
    assert_eq!(
        units[1].context.prev.as_deref(),
        Some(units[0].variant(&en).unwrap().text.as_str())
    );

    let out = bitext()
        .args(["align", "samples/en.sent", "samples/zh.sent", "--segmented"])
        .args(["--src-lang", "en", "--tgt-lang", "zh", "-f", "csv"])
        .assert()
        .success();
    let csv = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(csv.starts_with("en,zh,score\n"), "{csv}");
    assert_eq!(csv.lines().count(), 26);
    // -s/-t, as in the memory commands.
    let short = bitext()
        .args(["align", "samples/en.sent", "samples/zh.sent", "--segmented"])
        .args(["-s", "en", "-t", "zh", "-f", "csv"])
        .assert()
        .success();
    assert_eq!(String::from_utf8_lossy(&short.get_output().stdout), csv);
    // Units need languages.
    let out = bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/zh.sent",
            "--segmented",
            "-f",
            "tmx",
        ])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("--src-lang"));
}

#[test]
fn output_file_and_min_score() {
    let dir = tempdir();
    let path = dir.path().join("out.tsv");
    let out = bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/ru.sent",
            "--segmented",
            "-o",
        ])
        .arg(&path)
        .assert()
        .success();
    assert!(out.get_output().stdout.is_empty());
    let all = std::fs::read_to_string(&path).unwrap();
    assert_eq!(all.lines().count(), 25);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let out = bitext()
        .args(["align", "samples/en.sent", "samples/zh.sent", "--segmented"])
        .args(["--min-score", "0.99", "-f", "beads"])
        .assert()
        .success();
    let kept = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(kept.lines().count() < 25);
    for line in kept.lines() {
        let score: f64 = line.rsplit(':').next().unwrap().parse().unwrap();
        assert!(score >= 0.99, "{line}");
    }
    bitext()
        .args(["align", "samples/en.sent", "samples/zh.sent", "--segmented"])
        .args(["--min-score", "1.5"])
        .assert()
        .code(2);
}

#[test]
fn dictionary_files() {
    let dir = tempdir();
    let hunalign = dir.path().join("dict.txt");
    std::fs::write(&hunalign, "ситуация @ situation\nпрезидент @ president\n").unwrap();
    let tsv = dir.path().join("dict.tsv");
    std::fs::write(
        &tsv,
        "situation\tситуация\n# comment\n\nsecurity\tбезопасность\n",
    )
    .unwrap();
    for dict in [&hunalign, &tsv] {
        let out = bitext()
            .args([
                "align",
                "samples/en.sent",
                "samples/ru.sent",
                "--segmented",
                "-f",
            ])
            .args(["beads", "--dict"])
            .arg(dict)
            .assert()
            .success();
        let got = read_beads(&String::from_utf8_lossy(&out.get_output().stdout));
        assert_eq!(got, gold("samples/en-ru.gold"));
    }
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "fine\tok\nno separator here\n").unwrap();
    let out = bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/ru.sent",
            "--segmented",
            "--dict",
        ])
        .arg(&bad)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("bad.txt:2"), "{stderr}");
}

#[test]
fn clear_errors() {
    // Raw text needs languages.
    let out = bitext()
        .args(["align", "samples/en.txt", "samples/ru.txt"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("--src-lang"), "{stderr}");
    // A missing file is named.
    let out = bitext()
        .args([
            "align",
            "samples/en.sent",
            "no/such/file.txt",
            "--segmented",
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("no/such/file.txt"), "{stderr}");
    // Bad bytes are located.
    let dir = tempdir();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"first line\nsecond \xe9t\xe9\n").unwrap();
    let out = bitext()
        .args(["align", "samples/en.sent"])
        .arg(&latin1)
        .arg("--segmented")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("latin1.txt:2:8"), "{stderr}");
    // Nothing is written when the run fails.
    let target = dir.path().join("never.tsv");
    bitext()
        .args([
            "align",
            "samples/en.sent",
            "missing.txt",
            "--segmented",
            "-o",
        ])
        .arg(&target)
        .assert()
        .code(1);
    assert!(!target.exists());
    // Unknown formats are refused by the argument parser.
    bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/ru.sent",
            "--segmented",
            "-f",
            "xml",
        ])
        .assert()
        .code(2);
}

#[test]
fn batch_reports_a_failing_pair_and_does_the_rest() {
    let dir = tempdir();
    let list = dir.path().join("pairs.tsv");
    let abs = |p: &str| repo(p).display().to_string();
    std::fs::write(
        &list,
        format!(
            "{}\t{}\n# a comment\n{}\t{}\nmissing.en\t{}\n",
            abs("samples/en.sent"),
            abs("samples/ru.sent"),
            abs("samples/zh.sent"),
            abs("samples/en.sent"),
            abs("samples/ru.sent"),
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = bitext()
        .args([
            "align",
            "--segmented",
            "-f",
            "beads",
            "--threads",
            "2",
            "--batch",
        ])
        .arg(&list)
        .arg("--out-dir")
        .arg(&out_dir)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("missing.en"), "{stderr}");
    assert!(stderr.contains("1 of 3"), "{stderr}");
    let en_ru = std::fs::read_to_string(out_dir.join("en.sent.beads")).unwrap();
    assert_eq!(read_beads(&en_ru), gold("samples/en-ru.gold"));
    let zh_en = read_beads(&std::fs::read_to_string(out_dir.join("zh.sent.beads")).unwrap());
    let covered: (usize, usize) = zh_en
        .iter()
        .fold((0, 0), |(s, t), (a, b)| (s + a.len(), t + b.len()));
    assert_eq!(covered, (27, 27));
    // Two pairs writing the same file name are refused up front.
    std::fs::write(
        &list,
        format!(
            "{}\t{}\n{}\t{}\n",
            abs("samples/en.sent"),
            abs("samples/ru.sent"),
            abs("samples/en.sent"),
            abs("samples/zh.sent"),
        ),
    )
    .unwrap();
    let out = bitext()
        .args(["align", "--segmented", "--batch"])
        .arg(&list)
        .arg("--out-dir")
        .arg(&out_dir)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("lines 1 and 2"));
}

/// Quality floors on the four dev sets (a little under the figures in
/// docs/align.md), calibrated scores, and `bitext eval align` agreeing with
/// `align_score.py` on the hypotheses it wrote.
#[test]
fn dev_set_floors_and_agreement_with_the_reference_scorer() {
    shared("data/align/README.md");
    let dir = tempdir();
    let out = bitext()
        .args([
            "eval",
            "align",
            "--sets",
            "bench/align_sets.tsv",
            "--set",
            "textberg-dev",
            "--set",
            "parice-en-is",
            "--set",
            "transread-dev",
            "--set",
            "hunalign-dtm-hu-en",
            "-f",
            "json",
            "--calibration",
            "--out-dir",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let report: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let floors = [
        ("textberg-dev", 0.87),
        ("parice-en-is", 0.915),
        ("transread-dev", 0.905),
        ("hunalign-dtm-hu-en", 0.978),
    ];
    for (set, floor) in floors {
        let row = report.iter().find(|r| r["set"] == set).unwrap();
        let f1 = row["f1_strict"].as_f64().unwrap();
        assert!(
            f1 >= floor,
            "{set}: strict F1 {f1:.4} below the floor {floor}"
        );
    }
    // Scores are calibrated (beads scored about p are right with frequency about p),
    // and dropping the lowest-scored tenth lifts precision (docs/align.md).
    let all = report.iter().find(|r| r["set"] == "ALL (micro)").unwrap();
    for bin in all["score_bins"].as_array().unwrap() {
        let mean = bin["mean_score"].as_f64().unwrap();
        let precision = bin["precision"].as_f64().unwrap();
        if bin["beads"].as_u64().unwrap() >= 100 {
            assert!((mean - precision).abs() <= 0.1, "not calibrated: {bin}");
        }
    }
    let tenth = all["calibration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| (r["dropped_share"].as_f64().unwrap() - 0.1).abs() < 1e-9)
        .unwrap();
    assert!(
        tenth["kept_precision"].as_f64().unwrap() >= 0.945,
        "{tenth}"
    );
    assert!(
        tenth["oracle_dropped_precision"].as_f64().unwrap()
            <= tenth["dropped_precision"].as_f64().unwrap()
    );
    // The reference scorer on the same hypothesis files, set by set.
    let listing = std::fs::read_to_string(repo("bench/align_sets.tsv")).unwrap();
    for (set, _) in floors {
        let mut golds = Vec::new();
        let mut hyps = Vec::new();
        for line in listing.lines().filter(|l| l.starts_with(set)) {
            let f: Vec<&str> = line.split('\t').collect();
            golds.push(repo("bench").join(f[3]));
            let name = Path::new(f[1])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            hyps.push(dir.path().join(format!("{name}.beads")));
        }
        let py = Process::new("python3")
            .arg(shared("bench/align_score.py"))
            .arg("--json")
            .arg("-g")
            .args(&golds)
            .arg("-t")
            .args(&hyps)
            .output()
            .expect("python3 runs");
        assert!(
            py.status.success(),
            "{}",
            String::from_utf8_lossy(&py.stderr)
        );
        let reference: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
        let ours = report.iter().find(|r| r["set"] == set).unwrap();
        for key in [
            "precision_strict",
            "recall_strict",
            "f1_strict",
            "precision_lax",
            "recall_lax",
            "f1_lax",
        ] {
            let (a, b) = (
                ours[key].as_f64().unwrap(),
                reference[key].as_f64().unwrap(),
            );
            assert!(
                (a - b).abs() < 1e-12,
                "{set} {key}: ours {a}, align_score.py {b}"
            );
        }
        assert_eq!(ours["counts"]["hyp_beads"], reference["hyp_beads"]);
        assert_eq!(
            ours["counts"]["gold_beads_scored"],
            reference["gold_beads_scored"]
        );
        // The --gold/--hyp mode scores the same files the same way.
        let out = bitext()
            .args(["eval", "align", "-f", "json", "--gold"])
            .args(&golds)
            .arg("--hyp")
            .args(&hyps)
            .assert()
            .success();
        let again: Vec<serde_json::Value> =
            serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(again[0]["f1_strict"], ours["f1_strict"]);
        assert_eq!(again[0]["f1_lax"], ours["f1_lax"]);
    }
}

#[test]
fn eval_needs_matching_file_lists() {
    let out = bitext()
        .args([
            "eval",
            "align",
            "--gold",
            "samples/en-ru.gold",
            "samples/en-zh.gold",
        ])
        .args(["--hyp", "samples/en-ru.gold"])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("2 gold files but 1"));
    let dir = tempdir();
    let bad = dir.path().join("bad.beads");
    std::fs::write(&bad, "[0]:[0]\n0 0\n").unwrap();
    let out = bitext()
        .args(["eval", "align", "--gold", "samples/en-ru.gold", "--hyp"])
        .arg(&bad)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("bad.beads:2"));
}

#[test]
fn into_a_memory_stores_pairs_with_context() {
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let run = || {
        bitext()
            .args([
                "align",
                "samples/en.txt",
                "samples/ru.txt",
                "--src-lang",
                "en",
                "--tgt-lang",
                "ru",
                "--into",
            ])
            .arg(&tm)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        first.stdout.is_empty(),
        "--into without -o writes nothing else"
    );
    let report = String::from_utf8_lossy(&first.stderr);
    assert!(report.contains("25 pairs: 25 stored"), "{report}");
    // The same alignment again merges into the stored units.
    let second = run();
    assert!(String::from_utf8_lossy(&second.stderr).contains("0 stored, 25 merged"));
    // The stored context gives an in-context (101 %) match.
    let query = r#"{"text": "About the situation in Afghanistan", "prev": "What kind of humiliating approach to this question is this?,\" said the President.", "next": "The situation in Afghanistan became aggravated when in April the US president announced about the decision to finish the operation in Afghanistan."}"#;
    let out = bitext()
        .args([
            "lookup",
            "--queries",
            "-",
            "-s",
            "en",
            "-t",
            "ru",
            "--format",
            "jsonl",
            "--max",
            "1",
            "--tm",
        ])
        .arg(&tm)
        .write_stdin(format!("{query}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = json_lines(&out.stdout);
    let best = &records[0]["matches"][0];
    assert_eq!(best["target"]["text"], "О ситуации в Афганистане");
    assert_eq!(best["score"]["percent"], 101, "{best}");
}

#[test]
fn into_needs_languages() {
    let dir = tempdir();
    bitext()
        .args([
            "align",
            "samples/en.sent",
            "samples/ru.sent",
            "--segmented",
            "--into",
        ])
        .arg(dir.path().join("tm.sqlite"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--into needs --src-lang and --tgt-lang",
        ));
    assert!(!dir.path().join("tm.sqlite").exists());
}

#[test]
fn pairs_only_needs_calibration() {
    bitext()
        .args([
            "eval",
            "align",
            "--sets",
            "bench/align_sets.tsv",
            "--pairs-only",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--calibration"));
}
