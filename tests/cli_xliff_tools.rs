//! Pre-translated XLIFF as each tool records a match (MadCap Lingo, memoQ, Trados-style
//! nested segments, 2.x original data), files in a single-byte encoding streamed, and
//! standard output written only when the whole document is.

use std::fs;
use std::path::Path;

use bitext::formats::xliff::{XliffDocument, XliffStream};

use crate::cli_xliff_pretranslate::{memory, schema_2, DOC_12, MEM_12};
use crate::util::{bitext, shared, tempdir, tm_cmd, write_file, xmllint};

fn transitional() -> std::path::PathBuf {
    shared("data/xliff/schemas/xliff-core-1.2-transitional.xsd")
}

/// Pre-translates `doc` from `tm` with `--min 70` into `out`; returns the output.
fn pretranslate(tm: &Path, doc: &Path, out: &Path) -> String {
    let result = tm_cmd(tm)
        .arg("pretranslate")
        .arg(doc)
        .args(["--min", "70", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    fs::read_to_string(out).unwrap()
}

/// Makes a memory of `units` and `doc.xlf` of `xliff` in `dir`, and pre-translates it
/// into `out.xlf`: (memory, doc, out, the output).
fn pretranslate_doc(
    dir: &Path,
    units: &str,
    xliff: &str,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
) {
    let tm = memory(dir, units);
    let doc = write_file(dir, "doc.xlf", xliff);
    let out = dir.join("out.xlf");
    let text = pretranslate(&tm, &doc, &out);
    (tm, doc, out, text)
}

/// MadCap Lingo keeps each segment's status on the target `mrk`: an exact match
/// becomes `Translated` (and reads back as translated, so it is imported), a fuzzy one
/// stays `Untranslated` with its `MadCap:matchPercent`.
#[test]
fn madcap_segment_status_written_and_read() {
    let dir = tempdir();
    let tm = dir.path().join("mem.sqlite");
    for (en, zh) in [
        ("To activate the Review tool:", "要激活审阅工具："),
        (
            "To capture the Review tool images now:",
            "要立即捕获审阅工具图像：",
        ),
    ] {
        tm_cmd(&tm)
            .args(["add", en, zh, "-s", "en-US", "-t", "zh-CN"])
            .assert()
            .success();
    }
    let real = shared("data/xliff/real/madcap-lingo11_review-tool_en-us_zh-cn.xlf");
    let out = dir.path().join("out.xlf");
    let text = pretranslate(&tm, &real, &out);
    assert!(
        text.contains(r#"<mrk mtype="seg" mid="1" MadCap:segmentStatus="Translated" MadCap:matchPercent="100">要激活审阅工具：</mrk>"#),
        "{text}"
    );
    let fuzzy = regex_lite_find(
        &text,
        r#"MadCap:segmentStatus="Untranslated" MadCap:matchPercent=""#,
    );
    assert_eq!(fuzzy.len(), 1, "one fuzzy segment: {fuzzy:?}");
    assert!(
        fuzzy[0].ends_with("要立即捕获审阅工具图像：</mrk>"),
        "{fuzzy:?}"
    );
    xmllint(&transitional(), &out).unwrap();
    // Read back: the statuses are the segments' states.
    let again = XliffDocument::parse(text.into_bytes(), Some(&out)).unwrap();
    let state = |id: &str| {
        let unit = again
            .units()
            .iter()
            .find(|u| u.id.as_deref() == Some(id))
            .unwrap();
        let s = &unit.segments[0].state;
        (s.state.clone().unwrap(), s.tool_state.clone().unwrap())
    };
    assert_eq!(
        state("18"),
        (
            "translated".into(),
            "MadCap:segmentStatus=Translated".into()
        )
    );
    assert_eq!(
        state("56"),
        (
            "needs-translation".into(),
            "MadCap:segmentStatus=Untranslated".into()
        )
    );
    // Imported: the exact match only (the fuzzy one is not confirmed).
    let back = dir.path().join("back.sqlite");
    let import = tm_cmd(&back)
        .args(["import", "--format", "jsonl"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(import.status.success());
    let report: serde_json::Value =
        serde_json::from_slice(import.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(report["imported"], 1, "{report}");
}

/// The segments of `text` from each occurrence of `start` to the end of its `mrk`.
fn regex_lite_find(text: &str, start: &str) -> Vec<String> {
    text.match_indices(start)
        .map(|(at, _)| {
            let end = text[at..].find("</mrk>").map_or(text.len(), |k| at + k + 6);
            text[at..end].to_string()
        })
        .filter(|s| s.contains("\">") && !s.contains("\"0\""))
        .collect()
}

const DOC_MQ: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:mq="MQXliff">
<file original="a.txt" datatype="plaintext" source-language="en" target-language="fr"><body>
<trans-unit id="1" mq:status="NotStarted" mq:segmentguid="f9ac"><source>The printer is out of paper.</source><target></target></trans-unit>
<trans-unit id="2" mq:status="NotStarted" mq:segmentguid="d278"><source>The printer is out of ink.</source><target></target></trans-unit>
</body></file></xliff>
"#;

/// memoQ: an exact match is confirmed (`ManuallyConfirmed`, as the target's
/// `state="translated"` says), a fuzzy one `Pretranslated`; both with `mq:percent`.
/// Read back, the exact one counts as translated and is imported.
#[test]
fn memoq_exact_match_confirmed_fuzzy_pretranslated() {
    let dir = tempdir();
    let (_, _, out, text) = pretranslate_doc(dir.path(), MEM_12, DOC_MQ);
    assert!(text.contains(r#"<trans-unit id="1" mq:status="ManuallyConfirmed" mq:segmentguid="f9ac" mq:percent="100"><source>The printer is out of paper.</source><target state="translated" state-qualifier="exact-match">L'imprimante n'a plus de papier.</target>"#), "{text}");
    assert!(text.contains(r#"<trans-unit id="2" mq:status="Pretranslated" mq:segmentguid="d278" mq:percent="85"><source>The printer is out of ink.</source><target state="needs-review-translation" state-qualifier="fuzzy-match">"#), "{text}");
    let again = XliffDocument::parse(text.into_bytes(), Some(&out)).unwrap();
    let states: Vec<_> = again
        .units()
        .iter()
        .map(|u| u.segments[0].state.state.clone().unwrap())
        .collect();
    assert_eq!(states, ["translated", "needs-review-translation"]);
    let back = dir.path().join("back.sqlite");
    let import = tm_cmd(&back)
        .args(["import", "--format", "jsonl"])
        .arg(&out)
        .output()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(import.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(report["imported"], 1, "{report}");
}

const DOC_NESTED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<xliff xmlns:sdl="http://sdl.com/FileTypes/SdlXliff/1.0" xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2" sdl:version="1.0">
<file original="a.txt" datatype="x-sdlfilterframework2" source-language="en" target-language="fr"><body>
<trans-unit id="t1"><source>The printer is out of paper. The printer is out of ink.</source><seg-source><g id="1"><mrk mtype="seg" mid="1">The printer is out of paper.</mrk></g> <mrk mtype="seg" mid="2">The printer is out of ink.</mrk></seg-source><target><g id="1"><mrk mtype="seg" mid="1"/></g> <mrk mtype="seg" mid="2"/></target></trans-unit>
<trans-unit id="t2"><source>Save the document before closing.</source><seg-source><g id="5"><mrk mtype="seg" mid="3">Save the document before closing.</mrk></g></seg-source><target><g id="5"><mrk mtype="seg" mid="3"/></g></target></trans-unit>
</body></file></xliff>
"#;

/// A `<seg-source>` segment nested in a `<g>` (Trados): in a unit of several segments
/// each candidate names its segment (`mid`); the lone segment of a unit needs no `mid`
/// (the candidate is the unit's), which keeps the file valid against the schema.
#[test]
fn nested_segments_candidates_name_their_mid() {
    let dir = tempdir();
    let (tm, doc, _, text) = pretranslate_doc(dir.path(), MEM_12, DOC_NESTED);
    assert!(text.contains(r#"<target state="needs-review-translation" state-qualifier="fuzzy-match"><g id="1"><mrk mtype="seg" mid="1">L'imprimante n'a plus de papier.</mrk></g> <mrk mtype="seg" mid="2">L'imprimante n'a plus de papier.</mrk></target><alt-trans mid="1" match-quality="100" origin="bitext:mem">"#), "{text}");
    assert!(
        text.contains(r#"</alt-trans><alt-trans mid="2" match-quality="85" origin="bitext:mem">"#),
        "{text}"
    );
    assert!(text.contains(r#"Enregistrez le document avant de fermer.</mrk></g></target><alt-trans match-quality="100" origin="bitext:mem">"#), "{text}");
    // The lone nested segment's unit validates; the unit of two is checked apart
    // (the schema's key sees only the mrks that are children of the seg-source).
    let lone = DOC_NESTED.replace(
        &DOC_NESTED[DOC_NESTED.find("<trans-unit id=\"t1\"").unwrap()
            ..DOC_NESTED.find("<trans-unit id=\"t2\"").unwrap()],
        "",
    );
    fs::write(&doc, lone).unwrap();
    let out = dir.path().join("lone.xlf");
    pretranslate(&tm, &doc, &out);
    xmllint(&transitional(), &out).unwrap();
}

const MEM_2_DATA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
<file id="f1"><unit id="u1"><originalData><data id="d1">&lt;br/&gt;</data><data id="d2">&lt;b&gt;</data><data id="d3">&lt;/b&gt;</data></originalData><segment state="translated"><source>Press <pc id="1" dataRefStart="d2" dataRefEnd="d3">Start</pc> and wait<ph id="2" dataRef="d1"/>.</source><target>Drücken Sie <pc id="1" dataRefStart="d2" dataRefEnd="d3">Start</pc> und warten Sie<ph id="2" dataRef="d1"/>.</target></segment></unit>
</file></xliff>
"#;

const DOC_2_DATA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
  <file id="f1">
    <unit id="u1">
      <originalData>
        <data id="x1">&lt;br/&gt;</data>
        <data id="x2">&lt;b&gt;</data>
        <data id="x3">&lt;/b&gt;</data>
        <data id="x4">unused</data>
      </originalData>
      <segment id="s1">
        <source>Press <pc id="1" dataRefStart="x2" dataRefEnd="x3">Start</pc> now and wait<ph id="2" dataRef="x1"/>.</source>
      </segment>
    </unit>
  </file>
</xliff>
"#;

/// 2.x: a match's codes that point at original data carry it in the match's own
/// `<originalData>` (the spec resolves a match's `dataRef`s there), only what they use.
#[test]
fn xliff_2_match_carries_its_original_data() {
    let dir = tempdir();
    let (_, _, out, text) = pretranslate_doc(dir.path(), MEM_2_DATA, DOC_2_DATA);
    assert!(text.contains(r#"type="tm"><originalData><data id="x1">&lt;br/&gt;</data><data id="x2">&lt;b&gt;</data><data id="x3">&lt;/b&gt;</data></originalData><source>Press <pc id="1" dataRefStart="x2" dataRefEnd="x3">Start</pc> and wait<ph id="2" dataRef="x1"/>.</source><target>Drücken Sie <pc id="1" dataRefStart="x2" dataRefEnd="x3">Start</pc> und warten Sie<ph id="2" dataRef="x1"/>.</target></mtc:match>"#), "{text}");
    assert_eq!(text.matches("unused").count(), 1);
    xmllint(&schema_2(dir.path()), &out).unwrap();
    // Every dataRef of a match resolves in that match's originalData.
    for m in text.split("<mtc:match ").skip(1) {
        let m = &m[..m.find("</mtc:match>").unwrap()];
        for (at, _) in m.match_indices("dataRef") {
            let value = m[at..].split('"').nth(1).unwrap();
            assert!(
                m.contains(&format!("<data id=\"{value}\">")),
                "{value} in {m}"
            );
        }
    }
}

/// A file in windows-1252 streams in batches like a UTF-8 one (not read whole), with
/// the same output as the file read whole and written back in its encoding.
#[test]
fn single_byte_encoding_streams_in_batches() {
    let dir = tempdir();
    let tm = memory(
        dir.path(),
        &MEM_12.replace("L'imprimante", "L'imprimante (café €)"),
    );
    let units: String = (0..600)
        .map(|k| {
            format!(
                "      <trans-unit id=\"a{k}\">\n        <source>The printer is out of paper.</source>\n      </trans-unit>\n      <trans-unit id=\"b{k}\">\n        <source>Déjà vu {k} ¤.</source>\n        <target/>\n      </trans-unit>\n"
            )
        })
        .collect();
    let head = &DOC_12[..DOC_12.find("      <trans-unit").unwrap()];
    let tail = &DOC_12[DOC_12.find("    </body>").unwrap()..];
    let text = format!("{head}{units}{tail}").replace("UTF-8", "windows-1252");
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!bad);
    let doc = write_file(dir.path(), "doc.xlf", &bytes);
    let mut stream = XliffStream::open(&doc).unwrap();
    let mut batches = 0;
    while stream.next_batch().unwrap().is_some() {
        batches += 1;
    }
    assert!(batches >= 4, "{batches} batches");
    let out = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc)
        .args(["--min", "70"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (decoded, _, bad) = encoding_rs::WINDOWS_1252.decode(&out.stdout);
    assert!(!bad);
    let filled = "<target state=\"translated\" state-qualifier=\"exact-match\">L'imprimante (caf\u{e9} \u{20ac}) n'a plus de papier.</target>";
    assert_eq!(decoded.matches(filled).count(), 600);
    assert_eq!(decoded.matches("D\u{e9}j\u{e0} vu ").count(), 600);
    // The same bytes as the file read whole, filled the same way.
    let mut whole = XliffDocument::parse(bytes.into_owned(), Some(&doc)).unwrap();
    assert_eq!(whole.units().len(), 1200);
    let m = bitext::formats::xliff::Match {
        percent: 100,
        source: bitext::formats::xliff::Content {
            text: "The printer is out of paper.".into(),
            markup: None,
        },
        target: bitext::formats::xliff::Content {
            text: "L'imprimante (café €) n'a plus de papier.".into(),
            markup: None,
        },
        origin: "bitext:mem".into(),
    };
    for u in (0..1200).step_by(2) {
        whole.fill(u, 0, Some(&m), &[]).unwrap().unwrap();
    }
    let expected = whole.output().unwrap();
    let strip = |b: &[u8]| {
        let s = encoding_rs::WINDOWS_1252.decode(b).0.into_owned();
        s.lines()
            .filter(|l| !l.contains("<alt-trans"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&out.stdout), strip(&expected));
}

/// On standard output a document goes out whole or not at all: an error late in the
/// input (a truncated end, after several batches) leaves stdout empty.
#[test]
fn stdout_gets_nothing_on_a_late_error() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let units: String = (0..3000)
        .map(|k| {
            format!("<trans-unit id=\"a{k}\"><source>The printer is out of paper.</source></trans-unit>\n")
        })
        .collect();
    let head = &DOC_12[..DOC_12.find("      <trans-unit").unwrap()];
    let doc = dir.path().join("doc.xlf");
    // Truncated in the last unit.
    fs::write(&doc, format!("{head}{units}<trans-unit id=\"z\"><sour")).unwrap();
    let out = tm_cmd(&tm).arg("pretranslate").arg(&doc).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("doc.xlf"));
    assert!(
        out.stdout.is_empty(),
        "{} bytes on stdout",
        out.stdout.len()
    );
    // The same for XLIFF made by bitext turned back into text.
    let txt = dir.path().join("doc.txt");
    let sentences: String = (0..20000)
        .map(|k| format!("Sentence {k} is here. "))
        .collect();
    fs::write(&txt, format!("{sentences}\n")).unwrap();
    let xlf = dir.path().join("made.xlf");
    bitext()
        .args(["-q", "convert"])
        .arg(&txt)
        .arg(&xlf)
        .args(["-s", "en", "-t", "fr"])
        .assert()
        .success();
    let made = fs::read_to_string(&xlf).unwrap();
    fs::write(&xlf, &made[..made.len() - 30]).unwrap();
    let out = bitext()
        .args(["-q", "convert"])
        .arg(&xlf)
        .args(["-", "--to", "txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{} bytes on stdout",
        out.stdout.len()
    );
}
