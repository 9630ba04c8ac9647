//! The aligner on what derails aligners: long unevenly split books, partial
//! translations, missing and moved blocks, texts that are not translations of each
//! other. Quality floors a little under the measured figures (docs/align.md), and
//! the self-check: it warns exactly where an alignment is off.

use std::path::Path;

use crate::util::{bitext, repo, shared, stress_sets, tempdir};

/// Runs `eval align -f json` on a listing and returns the report.
fn eval(listing: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = bitext()
        .args(["eval", "align", "-f", "json", "--sets"])
        .arg(listing)
        .args(extra)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn row<'a>(report: &'a [serde_json::Value], set: &str) -> &'a serde_json::Value {
    report
        .iter()
        .find(|r| r["set"] == set)
        .unwrap_or_else(|| panic!("no set {set} in the report"))
}

/// Every set of a report: the warning fires on a set exactly when its strict F1 is
/// below 0.5, and F1 is at least its floor.
fn check_floors(report: &[serde_json::Value], floors: &[(&str, f64)]) {
    for r in report.iter().filter(|r| r["set"] != "ALL (micro)") {
        let set = r["set"].as_str().unwrap();
        let f1 = r["f1_strict"].as_f64().unwrap();
        let warned = r["warned"].as_u64().unwrap();
        assert_eq!(
            warned > 0,
            f1 < 0.5,
            "{set}: strict F1 {f1:.4}, {warned} documents warned about: {}",
            r["checks"]
        );
    }
    for &(set, floor) in floors {
        let f1 = row(report, set)["f1_strict"].as_f64().unwrap();
        assert!(
            f1 >= floor,
            "{set}: strict F1 {f1:.4} below the floor {floor}"
        );
    }
}

#[test]
fn stress_sets_keep_their_way_and_warn_only_where_off() {
    stress_sets();
    let report = eval(&repo("bench/align_sets.tsv"), &[]);
    check_floors(
        &report,
        &[
            ("mac-dev", 0.80),
            ("long-en-ru-split", 0.975),
            ("long-en-zh-split", 0.56),
            ("partial-candide-en-fr-tgt3", 0.90),
            ("partial-candide-en-fr-src3", 0.88),
            ("partial-candide-en-fr-tgt30", 0.94),
            ("partial-candide-en-fr-src30", 0.93),
            ("partial-candide-en-fr-tgt70", 0.95),
            ("partial-candide-en-fr-src70", 0.94),
            ("partial-mac-en-zh-tgt3", 0.86),
            ("partial-mac-en-zh-src3", 0.81),
            ("partial-mac-en-zh-tgt30", 0.66),
            ("partial-mac-en-zh-src30", 0.79),
            ("gap-en-fr-src200", 0.91),
            ("gap-en-fr-tgt200", 0.90),
            ("swap-en-fr", 0.90),
            ("swap-en-zh", 0.72),
        ],
    );
    // The long sets find their way: nearly every bead at least overlaps its gold one.
    for (set, lax) in [("long-en-ru-split", 0.99), ("long-en-zh-split", 0.92)] {
        let f1 = row(&report, set)["f1_lax"].as_f64().unwrap();
        assert!(f1 >= lax, "{set}: lax F1 {f1:.4} below {lax}");
    }
    // The self-check's figures are in the report.
    let check = &row(&report, "partial-candide-en-fr-tgt3")["checks"][0];
    assert!(check["unpaired_src"].as_f64().unwrap() > 0.9, "{check}");
    assert!(check["suspect"].as_array().unwrap().is_empty(), "{check}");
}

/// The Bible in English and Spanish (Debian's SWORD modules, which scripts/test
/// installs): one side a verse a line, the other split into sentences and clauses,
/// or enciphered so that no word is shared (as English and Chinese).
#[test]
fn bible_with_verse_gold_keeps_its_way() {
    assert!(
        Path::new("/usr/share/sword/mods.d/engKJV2006eb.conf").exists()
            && Path::new("/usr/share/sword/mods.d/spaRV1909eb.conf").exists()
            && std::process::Command::new("/usr/bin/python3")
                .args(["-c", "import Sword"])
                .status()
                .is_ok_and(|s| s.success()),
        "the SWORD Bible modules are missing: apt-get install python3-sword sword-text-kjv \
         sword-text-sparv (scripts/test installs them when it may)"
    );
    let dir = tempdir();
    let made = std::process::Command::new("python3")
        .arg(repo("bench/align_bible.py"))
        .arg(dir.path())
        .args(["--sizes", "all"])
        .output()
        .expect("python3 runs bench/align_bible.py");
    assert!(
        made.status.success(),
        "bench/align_bible.py failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listing = dir.path().join("bible_sets.tsv");
    let sets = [
        ("bible-en-es-all", 0.97),
        ("bible-en-es-all-clauses", 0.95),
        ("bible-en-es-all-cipher", 0.95),
        ("bible-es-en-all-cipher", 0.945),
    ];
    let mut args = Vec::new();
    for (set, _) in sets {
        args.extend(["--set", set]);
    }
    let report = eval(&listing, &args);
    check_floors(&report, &sets);
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn texts_that_are_not_translations_are_flagged() {
    let candide = shared("data/align/transread-dev/Candide.en-fr.en");
    let french = lines(&shared("data/align/transread-dev/Candide.en-fr.fr"));
    let dir = tempdir();
    // The French sentences in another order (every 7th, from each offset in turn).
    let shuffled: Vec<&str> = (0..7)
        .flat_map(|k| french.iter().skip(k).step_by(7).map(String::as_str))
        .collect();
    let tgt = dir.path().join("shuffled.fr");
    std::fs::write(&tgt, shuffled.join("\n") + "\n").unwrap();
    let out = bitext()
        .args(["align", "--segmented", "-f", "beads"])
        .arg(&candide)
        .arg(&tgt)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("looks derailed"), "{stderr}");
    assert!(stderr.contains("in the same order"), "{stderr}");
    // --strict: an error, nothing written.
    let file = dir.path().join("out.tsv");
    let out = bitext()
        .args(["align", "--segmented", "--strict", "-o"])
        .arg(&file)
        .arg(&candide)
        .arg(&tgt)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("--strict: nothing written"), "{stderr}");
    assert!(!file.exists());
    // Blocks of 50 sentences reordered (even blocks first, then odd ones): what can
    // be paired in order is, and the anchors the rest holds are missed.
    let blocks: Vec<&[String]> = french.chunks(50).collect();
    let reordered: Vec<&str> = blocks
        .iter()
        .step_by(2)
        .chain(blocks.iter().skip(1).step_by(2))
        .flat_map(|b| b.iter().map(String::as_str))
        .collect();
    let moved = dir.path().join("moved.fr");
    std::fs::write(&moved, reordered.join("\n") + "\n").unwrap();
    let out = bitext()
        .args(["align", "--segmented", "-f", "beads"])
        .arg(&candide)
        .arg(&moved)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("numbers and names found once"), "{stderr}");
    // -v prints the check's figures.
    let out = bitext()
        .args(["align", "--segmented", "-v", "-f", "beads"])
        .arg(&candide)
        .arg(&tgt)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("check: "), "{stderr}");
    assert!(stderr.contains("scored below 0.5"), "{stderr}");
}

#[test]
fn translations_get_no_warning() {
    let out = bitext()
        .args(["align", "--segmented", "--strict", "-f", "beads"])
        .arg(shared("data/align/transread-dev/Candide.en-fr.en"))
        .arg(shared("data/align/transread-dev/Candide.en-fr.fr"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A draft that translates only the beginning: the first 100 sentences of Candide
/// against the first 3 of its French translation.
#[test]
fn a_partial_translation_pairs_what_is_translated() {
    let dir = tempdir();
    let en = lines(&shared("data/align/transread-dev/Candide.en-fr.en"));
    let fr = lines(&shared("data/align/transread-dev/Candide.en-fr.fr"));
    let (src, tgt) = (dir.path().join("c.en"), dir.path().join("c.fr"));
    std::fs::write(&src, en[..100].join("\n") + "\n").unwrap();
    std::fs::write(&tgt, fr[..3].join("\n") + "\n").unwrap();
    for (a, b, swapped) in [(&src, &tgt, false), (&tgt, &src, true)] {
        let out = bitext()
            .args(["align", "--segmented", "-f", "beads"])
            .arg(a)
            .arg(b)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(!stderr.contains("warning"), "{stderr}");
        let beads: Vec<String> = String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .map(|l| l.rsplit_once(':').unwrap().0.to_string())
            .collect();
        assert_eq!(beads.len(), 100);
        for (k, bead) in beads.iter().enumerate().take(3) {
            assert_eq!(bead, &format!("[{k}]:[{k}]"));
        }
        for (k, bead) in beads.iter().enumerate().skip(3) {
            let alone = if swapped {
                format!("[]:[{k}]")
            } else {
                format!("[{k}]:[]")
            };
            assert_eq!(bead, &alone);
        }
    }
}
