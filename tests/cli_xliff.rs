//! `bitext import` of XLIFF: every real file of `../shared/data/xliff/real/` (Trados,
//! memoQ, Okapi, OmegaT, Angular, Xcode, Memsource…), its counts and texts, and the
//! memory exported to TMX valid against the TMX 1.4 DTD.

use std::fs;
use std::process::Command;

use crate::util::{json_lines, shared, tempdir, tm_cmd};

/// Segments imported from each file with the default `--state`: counted by a separate
/// reading of the files (Python's ElementTree: a segment counts when its unit is not
/// `translate="no"`, source and target have text outside native codes, and its state is
/// translated, signed-off, final, reviewed, none, or the unit is approved; Trados
/// confirmation levels and memoQ statuses as docs/xliff.md maps them).
const EXPECTED: [(&str, u64); 19] = [
    ("24xliff_BUGS1221_de-DE_en-GB.xlf", 4),
    ("angular-xliff2_ngExtractedMaster1_de.xlf", 0),
    ("angular-xliffmerge_messages_en-ru.xlf", 110),
    ("madcap-lingo11_review-tool_en-us_zh-cn.xlf", 0),
    ("matecat-converter_jsont_en-GB_it-IT.xliff", 25),
    ("memoq4_MQ-12-Test01_en-fr.xlf", 0),
    ("memsource-xliff2_louvre_en-us_ar.xlf", 11),
    ("oasis-xliff2_withMatches_en-fr.xlf", 1),
    ("okapi-filters_calibre.docx_en-id.xliff", 236),
    ("okapi-rainbow_RB-12-Test02_en-fr.xlf", 7),
    ("okapi-states_all-1.2-states_en-it.xliff", 3),
    ("omegat_RFE1506-translated_en-ja.xliff", 4),
    ("ontram_alttrans_de-DE_en-US.xlf", 0),
    ("trados-studio_confirmation-levels_it-IT_en-US.sdlxliff", 3),
    ("trados-studio_okapi_intro_en-US_es-ES.sdlxliff", 0),
    ("weblate-symfony_kimai_messages_en-ja.xlf", 218),
    ("xcode11_XliffTool_en-zh-Hans.xliff", 639),
    ("xliff2_cms-pcec_en-GB_de.xlf", 0),
    ("xtm_StatusSample.docx_en-US_pl-PL.xlf", 3),
];

fn real(name: &str) -> std::path::PathBuf {
    shared("data/xliff/real").join(name)
}

/// The unit exported from `file` with id `id`.
fn unit<'a>(units: &'a [serde_json::Value], file: &str, id: &str) -> &'a serde_json::Value {
    units
        .iter()
        .find(|u| {
            u["id"] == id
                && u["origin"]["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with(file))
        })
        .unwrap_or_else(|| panic!("no unit {id} of {file}"))
}

fn text(unit: &serde_json::Value, k: usize) -> &str {
    unit["variants"][k]["text"].as_str().unwrap()
}

fn markup(unit: &serde_json::Value, k: usize) -> &str {
    unit["variants"][k]["markup"].as_str().unwrap_or("")
}

#[test]
fn every_real_file_imports_with_its_counts_and_texts() {
    let dir = tempdir();
    let tm = dir.path().join("tm.db");
    let mut total = 0;
    for (name, expected) in EXPECTED {
        let out = tm_cmd(&tm)
            .args(["import", "--format", "jsonl"])
            .arg(real(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = &json_lines(&out.stdout)[0];
        assert_eq!(report["format"], "xliff", "{name}");
        assert_eq!(report["read"], expected, "{name}: {report}");
        assert_eq!(report["skipped"], 0, "{name}: {report}");
        total += expected;
    }
    assert!(total > 1200);

    let out = tm_cmd(&tm)
        .args(["export", "-", "--to", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let units = json_lines(&out.stdout);

    // OmegaT: approved="yes" counts whatever the state; needs-translation does not.
    let omegat = "omegat_RFE1506-translated_en-ja.xliff";
    let u = unit(&units, omegat, "5090");
    assert_eq!((text(u, 0), text(u, 1)), ("Create", "作成"));
    assert_eq!(u["variants"][1]["lang"], "ja");
    let u = unit(&units, omegat, "5088");
    assert_eq!((text(u, 0), text(u, 1)), ("Organizations list", "組織"));
    assert!(!units
        .iter()
        .any(|u| u["id"] == "5078" && u["origin"]["file"].as_str().unwrap().ends_with(omegat)));

    // Okapi: <g> and <x> as TMX codes holding the XLIFF tags as written in the file.
    let rainbow = "okapi-rainbow_RB-12-Test02_en-fr.xlf";
    let raw = fs::read_to_string(real(rainbow)).unwrap_or_else(|_| {
        // windows-1252: the tags are ASCII.
        String::from_utf8_lossy(&fs::read(real(rainbow)).unwrap()).into_owned()
    });
    assert!(raw.contains(r#"Text with <g id="1">code</g> and <g id="2">bold</g>."#));
    let u = unit(&units, rainbow, "4");
    assert_eq!(text(u, 0), "Text with code and bold.");
    assert_eq!(
        markup(u, 0),
        r#"Text with <bpt i="1">&lt;g id="1"&gt;</bpt>code<ept i="1">&lt;/g&gt;</ept> and <bpt i="2">&lt;g id="2"&gt;</bpt>bold<ept i="2">&lt;/g&gt;</ept>."#
    );

    // Trados: the segments whose confirmation level is Translated, ApprovedTranslation
    // or ApprovedSignOff and whose target has text, found by reading the file.
    let trados = "trados-studio_confirmation-levels_it-IT_en-US.sdlxliff";
    let raw = fs::read_to_string(real(trados)).unwrap();
    let mut confirmed = Vec::new();
    for tu in raw.split("<trans-unit").skip(1) {
        let Some(conf) = tu
            .split("conf=\"")
            .nth(1)
            .map(|c| &c[..c.find('"').unwrap()])
        else {
            continue;
        };
        let target = tu.split("<target>").nth(1).unwrap_or("");
        // The text of `<mrk mtype="seg" mid="N">text</mrk>` (blank after an empty `<mrk/>`).
        let Some(text) = target
            .split('>')
            .nth(1)
            .map(|t| t[..t.find('<').unwrap()].trim())
        else {
            continue;
        };
        if ["Translated", "ApprovedTranslation", "ApprovedSignOff"].contains(&conf)
            && !text.is_empty()
        {
            confirmed.push(text.to_string());
        }
    }
    let mut imported: Vec<String> = units
        .iter()
        .filter(|u| u["origin"]["file"].as_str().unwrap().ends_with(trados))
        .map(|u| text(u, 1).to_string())
        .collect();
    imported.sort();
    confirmed.sort();
    assert_eq!(imported, confirmed);
    assert_eq!(imported.len(), 3);

    // Memsource (XLIFF 2.0): a one-segment unit has the unit's id, a unit of several
    // segments unit/segment ids; <ph> codes as TMX <ph>.
    let memsource = "memsource-xliff2_louvre_en-us_ar.xlf";
    let first = unit(&units, memsource, "0");
    let third = unit(&units, memsource, "1/3");
    assert!(
        markup(third, 0).contains(r#"we<ph>&lt;ph id="source3""#),
        "{}",
        markup(third, 0)
    );
    assert_eq!(
        text(first, 0),
        "Lifebuoy or Jif disinfecting supplies in your next ride"
    );
    assert_eq!(
        text(first, 1),
        "تعقيم Lifebuoy أو Jif تعقيم المستلزمات في مشوارك التالي"
    );
    assert_eq!(first["variants"][1]["lang"], "ar");

    // Weblate/Symfony: resname kept as a property.
    let kimai = units
        .iter()
        .find(|u| {
            u["origin"]["file"]
                .as_str()
                .unwrap()
                .ends_with("kimai_messages_en-ja.xlf")
        })
        .unwrap();
    assert!(kimai["props"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["kind"] == "x-xliff-resname"));

    // The memory exported to TMX is valid TMX 1.4.
    let tmx = dir.path().join("out.tmx");
    tm_cmd(&tm).arg("export").arg(&tmx).assert().success();
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(shared("data/tmx/tmx14.dtd"))
        .arg(&tmx)
        .output()
        .expect("xmllint (libxml2-utils) is needed");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
}

#[test]
fn state_chooses_what_counts_and_left_out_segments_are_reported() {
    let dir = tempdir();
    let tm = dir.path().join("tm.db");
    let file = real("okapi-states_all-1.2-states_en-it.xliff");
    let out = tm_cmd(&tm)
        .args(["import", "--format", "jsonl", "--state", "any"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_lines(&out.stdout)[0]["read"], 10);
    let tm2 = dir.path().join("tm2.db");
    let out = tm_cmd(&tm2)
        .args(["import", "--format", "jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    let report = &json_lines(&out.stdout)[0];
    assert_eq!(report["read"], 3);
    assert_eq!(
        report["left_out"]["state needs-review-translation (not chosen by --state)"],
        1
    );
    // The text report says it too.
    let out = crate::util::bitext()
        .env("BITEXT_TM", dir.path().join("tm3.db"))
        .args(["import"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("left out 7 segments"), "{stderr}");
    // An unknown state is refused before anything is read.
    let out = tm_cmd(&tm)
        .args(["import", "--state", "done"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown XLIFF state \"done\""));
}
