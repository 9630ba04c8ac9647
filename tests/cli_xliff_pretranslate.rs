//! `bitext pretranslate file.xlf`: targets filled from the memory with their inline
//! codes, matches recorded (1.2 alt-trans, 2.x mtc:match), every other byte as it was;
//! output valid against the OASIS schemas; real files unchanged when nothing matches.

use std::fs;
use std::path::{Path, PathBuf};

use bitext::formats::xliff::{Content, Match, XliffDocument};

use crate::util::{bitext, shared, tempdir, tm_cmd, write_file, xmllint};

pub(crate) const MEM_12: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file source-language="en" target-language="fr" datatype="plaintext" original="mem.txt"><body>
<trans-unit id="1"><source>Click <g id="1">here</g> to open the <x id="2"/> file.</source><target state="translated">Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</target></trans-unit>
<trans-unit id="2"><source>The printer is out of paper.</source><target state="translated">L'imprimante n'a plus de papier.</target></trans-unit>
<trans-unit id="3"><source>Save the document before closing.</source><target state="translated">Enregistrez le document avant de fermer.</target></trans-unit>
</body></file></xliff>
"##;

pub(crate) const DOC_12: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" target-language="fr" datatype="plaintext" original="doc.txt">
    <body>
      <trans-unit id="a">
        <source>Click <g id="1">here</g> to open the <x id="2"/> file.</source>
      </trans-unit>
      <trans-unit id="b">
        <source>The printer is out of ink.</source>
        <target/>
      </trans-unit>
      <trans-unit id="c">
        <source>Save the document before closing.</source>
        <target state="translated">Sauvez.</target>
      </trans-unit>
      <trans-unit id="d">
        <source>Something entirely different here.</source>
        <target state="new"></target>
      </trans-unit>
    </body>
  </file>
</xliff>
"##;

const OUT_12: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" target-language="fr" datatype="plaintext" original="doc.txt">
    <body>
      <trans-unit id="a">
        <source>Click <g id="1">here</g> to open the <x id="2"/> file.</source>
        <target state="translated" state-qualifier="exact-match">Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</target>
        <alt-trans match-quality="100" origin="bitext:mem"><source>Click <g id="1">here</g> to open the <x id="2"/> file.</source><target>Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</target></alt-trans>
      </trans-unit>
      <trans-unit id="b">
        <source>The printer is out of ink.</source>
        <target state="needs-review-translation" state-qualifier="fuzzy-match">L'imprimante n'a plus de papier.</target>
        <alt-trans match-quality="85" origin="bitext:mem"><source>The printer is out of paper.</source><target>L'imprimante n'a plus de papier.</target></alt-trans>
      </trans-unit>
      <trans-unit id="c">
        <source>Save the document before closing.</source>
        <target state="translated">Sauvez.</target>
      </trans-unit>
      <trans-unit id="d">
        <source>Something entirely different here.</source>
        <target state="new"></target>
      </trans-unit>
    </body>
  </file>
</xliff>
"##;

pub(crate) const MEM_2: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
<file id="f1"><unit id="u1"><segment state="translated"><source>Press <pc id="1">Start</pc> and wait<ph id="2"/>.</source><target>Drücken Sie <pc id="1">Start</pc> und warten Sie<ph id="2"/>.</target></segment></unit>
<unit id="u2"><segment state="translated"><source>The printer is out of paper.</source><target>Der Drucker hat kein Papier mehr.</target></segment></unit>
<unit id="u3"><segment state="translated"><source><sc id="7"/>Open<ec startRef="7"/> the file.</source><target><sc id="7"/>Öffnen<ec startRef="7"/> Sie die Datei.</target></segment></unit>
</file></xliff>
"##;

pub(crate) const DOC_2: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
  <file id="f1">
    <unit id="u1">
      <segment id="s1">
        <source>Press <pc id="1">Start</pc> and wait<ph id="2"/>.</source>
      </segment>
    </unit>
    <unit id="u2">
      <notes><note>printer</note></notes>
      <segment>
        <source>The printer is out of ink.</source>
        <target></target>
      </segment>
      <segment state="final">
        <source>Done.</source>
        <target>Fertig.</target>
      </segment>
    </unit>
    <unit id="u3"><segment id="s3"><source><sc id="7"/>Open<ec startRef="7"/> the file.</source></segment></unit>
  </file>
</xliff>
"##;

const OUT_2: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
  <file id="f1">
    <unit id="u1">
      <mtc:matches xmlns:mtc="urn:oasis:names:tc:xliff:matches:2.0">
        <mtc:match ref="#s1" similarity="100" matchQuality="100" origin="bitext:mem" type="tm"><source>Press <pc id="1">Start</pc> and wait<ph id="2"/>.</source><target>Drücken Sie <pc id="1">Start</pc> und warten Sie<ph id="2"/>.</target></mtc:match>
      </mtc:matches>
      <segment id="s1" state="translated">
        <source>Press <pc id="1">Start</pc> and wait<ph id="2"/>.</source>
        <target>Drücken Sie <pc id="1">Start</pc> und warten Sie<ph id="2"/>.</target>
      </segment>
    </unit>
    <unit id="u2">
      <mtc:matches xmlns:mtc="urn:oasis:names:tc:xliff:matches:2.0">
        <mtc:match ref="#bitext-s1" similarity="85" matchQuality="85" origin="bitext:mem" type="tm"><source>The printer is out of paper.</source><target>Der Drucker hat kein Papier mehr.</target></mtc:match>
      </mtc:matches>
      <notes><note>printer</note></notes>
      <segment id="bitext-s1" state="initial">
        <source>The printer is out of ink.</source>
        <target>Der Drucker hat kein Papier mehr.</target>
      </segment>
      <segment state="final">
        <source>Done.</source>
        <target>Fertig.</target>
      </segment>
    </unit>
    <unit id="u3"><mtc:matches xmlns:mtc="urn:oasis:names:tc:xliff:matches:2.0"><mtc:match ref="#s3" similarity="100" matchQuality="100" origin="bitext:mem" type="tm"><source><sc id="7"/>Open<ec startRef="7"/> the file.</source><target><sc id="7"/>Öffnen<ec startRef="7"/> Sie die Datei.</target></mtc:match></mtc:matches><segment id="s3" state="translated"><source><sc id="7"/>Open<ec startRef="7"/> the file.</source><target><sc id="7"/>Öffnen<ec startRef="7"/> Sie die Datei.</target></segment></unit>
  </file>
</xliff>
"##;

fn schemas(rel: &str) -> String {
    shared("data/xliff/schemas").join(rel).display().to_string()
}

/// A schema of XLIFF 2.0 core with the matches module, in `dir`.
pub(crate) fn schema_2(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("xliff2-mtc.xsd");
    fs::write(
        &path,
        format!(
            r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:bitext:test">
  <xs:import namespace="urn:oasis:names:tc:xliff:document:2.0" schemaLocation="{}"/>
  <xs:import namespace="urn:oasis:names:tc:xliff:matches:2.0" schemaLocation="{}"/>
</xs:schema>
"#,
            schemas("xliff_core_2.0.xsd"),
            schemas("matches.xsd")
        ),
    )
    .unwrap();
    path
}

/// A memory `mem.sqlite` in `dir` filled from the XLIFF `xlf`.
pub(crate) fn memory(dir: &Path, xlf: &str) -> std::path::PathBuf {
    let tm = dir.join("mem.sqlite");
    fs::write(dir.join("mem.xlf"), xlf).unwrap();
    tm_cmd(&tm)
        .arg("import")
        .arg(dir.join("mem.xlf"))
        .assert()
        .success();
    tm
}

/// Pre-translates `doc` (written as `dir/name`) from a memory of `mem` (`dir/mem.sqlite`)
/// with `--min 70`: the input's and the output's paths.
pub(crate) fn pretranslated(dir: &Path, mem: &str, name: &str, doc: &str) -> (PathBuf, PathBuf) {
    let tm = memory(dir, mem);
    let input = dir.join(name);
    fs::write(&input, doc).unwrap();
    let out = dir.join(format!("out-{name}"));
    tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&input)
        .args(["--min", "70", "-o"])
        .arg(&out)
        .assert()
        .success();
    (input, out)
}

#[test]
fn xliff_1_2_exact_and_fuzzy_with_codes() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let doc = write_file(dir.path(), "doc.xlf", DOC_12);
    let out = dir.path().join("out.xlf");
    let assert = bitext()
        .env_remove("BITEXT_USER")
        .arg("pretranslate")
        .arg(&doc)
        .arg("--tm")
        .arg(&tm)
        .args(["--min", "70", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("filled 2 targets (1 exact, 1 fuzzy, --min 70)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left as is: 1 segments: already translated"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no match             1         4"),
        "{stderr}"
    );
    // The whole file: changed elements as expected, every other byte as it was.
    assert_eq!(fs::read_to_string(&out).unwrap(), OUT_12);
    let strict = shared("data/xliff/schemas/xliff-core-1.2-strict.xsd");
    xmllint(&strict, &out).unwrap();
    // The default --min is 100: the fuzzy match is a candidate only.
    let out100 = tm_cmd(&tm).arg("pretranslate").arg(&doc).output().unwrap();
    assert!(out100.status.success());
    let text = String::from_utf8(out100.stdout).unwrap();
    assert!(text.contains(r#"<target state="translated" state-qualifier="exact-match">"#));
    assert!(
        text.contains("<target/>\n        <alt-trans match-quality=\"85\" origin=\"bitext:mem\">")
    );
}

#[test]
fn xliff_1_2_codes_not_mapped_leave_the_target() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let doc = write_file(
        dir.path(),
        "doc.xlf",
        DOC_12.replace(
            r#"Click <g id="1">here</g> to open the <x id="2"/> file."#,
            "Click here to open the file.",
        ),
    );
    let out = bitext()
        .env_remove("BITEXT_USER")
        .arg("pretranslate")
        .arg(&doc)
        .arg("--tm")
        .arg(&tm)
        .args(["--min", "70"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("left as is: 1 segments: codes not mapped"),
        "{stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // No target for unit a; the match is offered with its own codes.
    assert!(text.contains(
        "<source>Click here to open the file.</source>\n        <alt-trans match-quality="
    ));
    assert!(
        text.contains(
            r#"<target>Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</target></alt-trans>"#
        ),
        "{text}"
    );
}

#[test]
fn xliff_2_fills_segments_and_records_matches() {
    let dir = tempdir();
    let (_, out) = pretranslated(dir.path(), MEM_2, "doc.xlf", DOC_2);
    assert_eq!(fs::read_to_string(&out).unwrap(), OUT_2);
    xmllint(&schema_2(dir.path()), &out).unwrap();
}

#[test]
fn xliff_2_namespace_declared_once() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_2);
    let doc = write_file(
        dir.path(),
        "doc.xlf",
        DOC_2.replace(
            "trgLang=\"de\">",
            "trgLang=\"de\" xmlns:m=\"urn:oasis:names:tc:xliff:matches:2.0\">",
        ),
    );
    let out = tm_cmd(&tm).arg("pretranslate").arg(&doc).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("urn:oasis:names:tc:xliff:matches:2.0").count(),
        1
    );
    assert!(text.contains("<m:matches>"), "{text}");
    assert!(text.contains("</m:match></m:matches>"), "{text}");
}

#[test]
fn windows_1252_written_back_in_its_encoding() {
    let dir = tempdir();
    let tm = memory(
        dir.path(),
        &MEM_12.replace(
            "Enregistrez le document avant de fermer.",
            "Enregistrez le café (5 €, łódź) avant de fermer.",
        ),
    );
    let text = DOC_12
        .replace("UTF-8", "windows-1252")
        .replace("Something entirely", "Caf\u{e9} entirely");
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!bad);
    let bytes = bytes.into_owned();
    let doc = write_file(dir.path(), "doc.xlf", &bytes);
    // The translated unit c is emptied, to be filled.
    let doc_bytes = {
        let s = encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned();
        let s = s.replace("<target state=\"translated\">Sauvez.</target>", "<target/>");
        encoding_rs::WINDOWS_1252.encode(&s).0.into_owned()
    };
    fs::write(&doc, &doc_bytes).unwrap();
    let out = tm_cmd(&tm).arg("pretranslate").arg(&doc).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (decoded, _, bad) = encoding_rs::WINDOWS_1252.decode(&out.stdout);
    assert!(!bad);
    assert!(
        decoded.contains(
            "Enregistrez le caf\u{e9} (5 \u{20ac}, &#322;\u{f3}d&#378;) avant de fermer.</target>"
        ),
        "{decoded}"
    );
    assert!(decoded.contains("Caf\u{e9} entirely"));
    // Bytes before the first change (after unit a's source) are the input's.
    let at = doc_bytes
        .windows(9)
        .position(|w| w == b"</source>")
        .unwrap()
        + 9;
    assert_eq!(out.stdout[..at], doc_bytes[..at]);
}

#[test]
fn nothing_written_on_error() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let doc = write_file(dir.path(), "doc.xlf", &DOC_12[..DOC_12.len() - 40]);
    let out = dir.path().join("out.xlf");
    let result = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("doc.xlf"));
    assert!(!out.exists());
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".bitext-"), "{name} left behind");
    }
}

fn real_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(shared("data/xliff/real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 19);
    files
}

/// With a memory that matches nothing, every real file comes out byte for byte.
#[test]
fn real_files_unchanged_when_nothing_matches() {
    let dir = tempdir();
    let langs = [
        "de-DE",
        "en-GB",
        "de",
        "en",
        "ru-google",
        "en-US",
        "zh-CN",
        "it-IT",
        "fr",
        "ar",
        "id",
        "it",
        "ja",
        "es-ES",
        "zh-Hans",
        "pl-PL",
    ];
    let tuvs: String = langs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(r#"<tuv xml:lang="{l}"><seg>Qwzx vlorp {i} unrelated placeholder</seg></tuv>"#)
        })
        .collect();
    let tmx = dir.path().join("unrelated.tmx");
    fs::write(
        &tmx,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="*all*" datatype="plaintext"/><body><tu>{tuvs}</tu></body></tmx>
"#
        ),
    )
    .unwrap();
    let tm = dir.path().join("mem.sqlite");
    tm_cmd(&tm).arg("import").arg(&tmx).assert().success();
    for file in real_files() {
        let out = dir.path().join("out.xlf");
        let mut cmd = tm_cmd(&tm);
        cmd.arg("pretranslate").arg(&file).arg("-o").arg(&out);
        if file.to_string_lossy().contains("angular-xliff2") {
            cmd.args(["-t", "en"]);
        }
        let result = cmd.output().unwrap();
        assert!(
            result.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&result.stderr)
        );
        assert!(
            fs::read(&out).unwrap() == fs::read(&file).unwrap(),
            "{} changed",
            file.display()
        );
    }
}

/// Every fillable segment of every real file filled (its source as the target, one
/// candidate): only target elements (or a target segment's `mrk`), the start tags that
/// hold a state (2.x segment, Trados sdl:seg, memoQ trans-unit) and insertions change,
/// the output reads back with the new targets, and files valid before stay valid.
#[test]
fn real_files_filled_change_only_their_targets() {
    let dir = tempdir();
    let schema_1 = shared("data/xliff/schemas/xliff-core-1.2-transitional.xsd");
    let schema_2 = schema_2(dir.path());
    let mut filled_files = 0;
    let mut filled_names = Vec::new();
    for file in real_files() {
        let raw = fs::read(&file).unwrap();
        let mut doc = XliffDocument::parse(raw.clone(), Some(&file)).unwrap();
        let mut filled = Vec::new();
        for u in 0..doc.units().len() {
            for s in 0..doc.units()[u].segments.len() {
                if doc.fillable(u, s).is_err() {
                    continue;
                }
                let source = doc.units()[u].segments[s].source.clone();
                let best = Match {
                    percent: 100,
                    source: source.clone(),
                    target: source.clone(),
                    origin: "bitext:test".into(),
                };
                let other = Match {
                    percent: 80,
                    target: Content {
                        text: format!("<{}>", source.text),
                        markup: None,
                    },
                    ..best.clone()
                };
                if doc.fill(u, s, Some(&best), &[other]).unwrap().is_ok() {
                    filled.push((u, s, source.text.clone()));
                }
            }
        }
        // Changes are offsets in the text: the file decoded (windows-1252) or as it is.
        let decode = |bytes: &[u8], encoding: Option<&str>| match encoding {
            Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
                .unwrap()
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            None => String::from_utf8(bytes.to_vec()).unwrap(),
        };
        let encoding = doc.encoding();
        let (out, changes) = doc.output_and_changes().unwrap();
        // The output is the input with the changes spliced in ...
        let text = decode(&raw, encoding);
        let mut spliced = String::new();
        let mut pos = 0;
        for change in &changes {
            spliced.push_str(&text[pos..change.range.start]);
            spliced.push_str(&change.text);
            pos = change.range.end;
            // ... each replacing one <target> element or a <segment> start tag.
            let old = &text[change.range.clone()];
            if !old.is_empty() {
                let name = old[1..]
                    .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
                    .unwrap();
                let local = name.rsplit(':').next().unwrap();
                match local {
                    // The whole element, or its start tag (state) when its segments'
                    // mrks are changed.
                    "target" => assert!(
                        old.matches('<').count() == 1 || old.ends_with(&format!("</{name}>")),
                        "{}: {old}",
                        file.display()
                    ),
                    // 2.x segment start tags (state); Trados sdl:seg and memoQ
                    // trans-unit start tags (the tools' status).
                    "segment" | "seg" | "trans-unit" => {
                        assert_eq!(old.matches('<').count(), 1, "{}: {old}", file.display());
                        assert!(
                            local != "trans-unit" || old.contains("mq:status"),
                            "{}: {old}",
                            file.display()
                        );
                    }
                    // A target segment of a <seg-source> unit.
                    "mrk" => assert!(old.contains("mtype=\"seg\""), "{}: {old}", file.display()),
                    _ => panic!("{}: changed {old}", file.display()),
                }
            }
        }
        spliced.push_str(&text[pos..]);
        assert_eq!(spliced, decode(&out, encoding), "{}", file.display());
        eprintln!("{}: {} segments filled", file.display(), filled.len());
        if filled.is_empty() {
            assert_eq!(out, raw);
            continue;
        }
        filled_files += 1;
        filled_names.push(file.file_name().unwrap().to_string_lossy().into_owned());
        // Read back: the filled segments have their source as target.
        let again = XliffDocument::parse(out.clone(), Some(&file)).unwrap();
        for (u, s, source) in &filled {
            let target = again.units()[*u].segments[*s].target.as_ref().unwrap();
            assert_eq!(&target.text, source, "{}", file.display());
        }
        // Valid before, valid after.
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let before = dir.path().join(format!("in-{name}"));
        let after = dir.path().join(format!("out-{name}"));
        fs::write(&before, &raw).unwrap();
        fs::write(&after, &out).unwrap();
        let schema = if text.contains("urn:oasis:names:tc:xliff:document:2.0") {
            &schema_2
        } else {
            &schema_1
        };
        if xmllint(schema, &before).is_ok() {
            xmllint(schema, &after).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    assert!(
        filled_files >= 9,
        "only {filled_files} files had segments to fill"
    );
    // The files segmented with <seg-source> that have empty segments are filled.
    for name in [
        "trados-studio_okapi_intro",
        "trados-studio_confirmation-levels",
        "madcap-lingo11",
        "okapi-rainbow",
    ] {
        assert!(
            filled_names.iter().any(|n| n.starts_with(name)),
            "{name} not filled: {filled_names:?}"
        );
    }
}

/// Units segmented with `<seg-source>`: a Trados one (status in `sdl:seg`) with empty
/// target `mrk`s, one without a target (made from the seg-source), one whose target
/// has its `mrk` (Okapi): the text goes into the `mrk` of the same `mid`.
pub(crate) const DOC_SEG: &str = r##"<?xml version="1.0" encoding="utf-8"?>
<xliff xmlns:sdl="http://sdl.com/FileTypes/SdlXliff/1.0" xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2" sdl:version="1.0">
<file original="a.txt" datatype="x-sdlfilterframework2" source-language="en" target-language="fr"><body>
<trans-unit id="t1"><source>Click <g id="1">here</g> to open the <x id="2"/> file. The printer is out of ink.</source><seg-source><mrk mtype="seg" mid="1">Click <g id="1">here</g> to open the <x id="2"/> file.</mrk> <mrk mtype="seg" mid="2">The printer is out of ink.</mrk></seg-source><target><mrk mtype="seg" mid="1"/> <mrk mtype="seg" mid="2"/></target><sdl:seg-defs><sdl:seg id="1" conf="Draft" locked="false" origin="not-translated"/><sdl:seg id="2"/></sdl:seg-defs></trans-unit>
<trans-unit id="t2">
  <source>Save the document before closing. Something else.</source>
  <seg-source><mrk mid="0" mtype="seg">Save the document before closing.</mrk> <mrk mid="1" mtype="seg">Something entirely different here.</mrk></seg-source>
</trans-unit>
<trans-unit id="t3" xml:space="preserve">
<source>The printer is out of paper.</source>
<seg-source><mrk mid="0" mtype="seg">The printer is out of paper.</mrk></seg-source>
<target xml:lang="fr" state="new"><mrk mid="0" mtype="seg"></mrk></target>
</trans-unit>
</body></file></xliff>
"##;

const OUT_SEG: &str = r##"<?xml version="1.0" encoding="utf-8"?>
<xliff xmlns:sdl="http://sdl.com/FileTypes/SdlXliff/1.0" xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2" sdl:version="1.0">
<file original="a.txt" datatype="x-sdlfilterframework2" source-language="en" target-language="fr"><body>
<trans-unit id="t1"><source>Click <g id="1">here</g> to open the <x id="2"/> file. The printer is out of ink.</source><seg-source><mrk mtype="seg" mid="1">Click <g id="1">here</g> to open the <x id="2"/> file.</mrk> <mrk mtype="seg" mid="2">The printer is out of ink.</mrk></seg-source><target><mrk mtype="seg" mid="1">Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</mrk> <mrk mtype="seg" mid="2">L'imprimante n'a plus de papier.</mrk></target><alt-trans mid="1" match-quality="100" origin="bitext:mem"><source>Click <g id="1">here</g> to open the <x id="2"/> file.</source><target>Cliquez <g id="1">ici</g> pour ouvrir le fichier <x id="2"/>.</target></alt-trans><alt-trans mid="2" match-quality="85" origin="bitext:mem"><source>The printer is out of paper.</source><target>L'imprimante n'a plus de papier.</target></alt-trans><sdl:seg-defs><sdl:seg id="1" conf="Translated" locked="false" origin="tm" origin-system="bitext:mem" percent="100"/><sdl:seg id="2" conf="Draft" origin="tm" origin-system="bitext:mem" percent="85"/></sdl:seg-defs></trans-unit>
<trans-unit id="t2">
  <source>Save the document before closing. Something else.</source>
  <seg-source><mrk mid="0" mtype="seg">Save the document before closing.</mrk> <mrk mid="1" mtype="seg">Something entirely different here.</mrk></seg-source>
  <target state="needs-translation" state-qualifier="exact-match"><mrk mid="0" mtype="seg">Enregistrez le document avant de fermer.</mrk> <mrk mid="1" mtype="seg"/></target>
  <alt-trans mid="0" match-quality="100" origin="bitext:mem"><source>Save the document before closing.</source><target>Enregistrez le document avant de fermer.</target></alt-trans>
</trans-unit>
<trans-unit id="t3" xml:space="preserve">
<source>The printer is out of paper.</source>
<seg-source><mrk mid="0" mtype="seg">The printer is out of paper.</mrk></seg-source>
<target xml:lang="fr" state="translated" state-qualifier="exact-match"><mrk mid="0" mtype="seg">L'imprimante n'a plus de papier.</mrk></target>
<alt-trans mid="0" match-quality="100" origin="bitext:mem"><source>The printer is out of paper.</source><target>L'imprimante n'a plus de papier.</target></alt-trans>
</trans-unit>
</body></file></xliff>
"##;

#[test]
fn segmented_units_filled_in_their_mrks_with_tool_status() {
    let dir = tempdir();
    let (_, out) = pretranslated(dir.path(), MEM_12, "doc.sdlxliff", DOC_SEG);
    let tm = dir.path().join("mem.sqlite");
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(text, OUT_SEG);
    let transitional = shared("data/xliff/schemas/xliff-core-1.2-transitional.xsd");
    xmllint(&transitional, &out).unwrap();
    // Read back: the segments have their text, Trados's status says Draft/Translated.
    let again = XliffDocument::parse(text.into_bytes(), Some(&out)).unwrap();
    let seg = |u: usize, s: usize| &again.units()[u].segments[s];
    assert_eq!(
        seg(0, 0).target.as_ref().unwrap().text,
        "Cliquez ici pour ouvrir le fichier ."
    );
    assert_eq!(seg(0, 0).state.state.as_deref(), Some("translated"));
    assert_eq!(
        seg(0, 1).state.state.as_deref(),
        Some("needs-review-translation")
    );
    assert_eq!(
        seg(1, 0).target.as_ref().unwrap().text,
        "Enregistrez le document avant de fermer."
    );
    assert!(seg(1, 1).target.as_ref().unwrap().is_empty());
    assert_eq!(seg(2, 0).state.state.as_deref(), Some("translated"));
    // Pre-translating again changes nothing.
    let twice = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&out)
        .args(["--min", "70", "--candidates", "0"])
        .output()
        .unwrap();
    assert_eq!(twice.stdout, fs::read(&out).unwrap());
}

/// memoQ keeps its own status on the unit: `mq:status="Pretranslated"`, `mq:percent`.
#[test]
fn memoq_status_recorded() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let doc = dir.path().join("doc.xlf");
    fs::write(
        &doc,
        r#"<?xml version="1.0" encoding="utf-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:mq="MQXliff">
<file original="a.txt" datatype="plaintext" source-language="en" target-language="fr"><body>
<trans-unit id="1" mq:status="NotStarted" mq:segmentguid="f9ac"><source>The printer is out of ink.</source><target></target></trans-unit>
</body></file></xliff>
"#,
    )
    .unwrap();
    let out = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc)
        .args(["--min", "70", "--candidates", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            r#"<trans-unit id="1" mq:status="Pretranslated" mq:segmentguid="f9ac" mq:percent="85"><source>The printer is out of ink.</source><target state="needs-review-translation" state-qualifier="fuzzy-match">L'imprimante n'a plus de papier.</target><alt-trans match-quality="85""#
        ),
        "{text}"
    );
}

/// Candidates whose codes have no counterpart in the segment keep them as XLIFF codes
/// of their own (1.2 native codes; 2.x sc/ec/ph), not as plain text.
#[test]
fn candidate_codes_written_as_elements() {
    let dir = tempdir();
    let tm = dir.path().join("mem.sqlite");
    let tmx = dir.path().join("m.tmx");
    fs::write(
        &tmx,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="en" datatype="plaintext"/><body>
<tu><tuv xml:lang="en"><seg>Open the <bpt i="1">&lt;b&gt;</bpt>big<ept i="1">&lt;/b&gt;</ept> file now<ph>&lt;br/&gt;</ph></seg></tuv><tuv xml:lang="fr"><seg>Ouvrez le <bpt i="1">&lt;b&gt;</bpt>gros<ept i="1">&lt;/b&gt;</ept> fichier<ph>&lt;br/&gt;</ph></seg></tuv></tu>
</body></tmx>
"#,
    )
    .unwrap();
    tm_cmd(&tm).arg("import").arg(&tmx).assert().success();
    let doc1 = write_file(
        dir.path(),
        "d1.xlf",
        r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="a" datatype="plaintext" source-language="en" target-language="fr"><body><trans-unit id="1"><source>Open the big file now</source></trans-unit></body></file></xliff>"#,
    );
    let out = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc1)
        .args(["--candidate-min", "50"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(
        r#"<target>Ouvrez le <bpt id="1">&lt;b&gt;</bpt>gros<ept id="1">&lt;/b&gt;</ept> fichier<ph id="2">&lt;br/&gt;</ph></target></alt-trans>"#
    ), "{text}");
    let doc2 = write_file(
        dir.path(),
        "d2.xlf",
        r#"<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="fr"><file id="f"><unit id="u"><segment id="s"><source>Open the big file now</source></segment></unit></file></xliff>"#,
    );
    let out2 = dir.path().join("o2.xlf");
    tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc2)
        .args(["--candidate-min", "50", "-o"])
        .arg(&out2)
        .assert()
        .success();
    let text = fs::read_to_string(&out2).unwrap();
    assert!(text.contains(
        r#"<target>Ouvrez le <sc id="1"/>gros<ec startRef="1"/> fichier<ph id="2"/></target></mtc:match>"#
    ), "{text}");
    xmllint(&schema_2(dir.path()), &out2).unwrap();
}

/// A file of many units goes through in batches: the same output as one read whole.
#[test]
fn big_file_streams_in_batches() {
    let dir = tempdir();
    let tm = memory(dir.path(), MEM_12);
    let unit_in = |k: usize| {
        format!(
            "      <trans-unit id=\"a{k}\">\n        <source>Click <g id=\"1\">here</g> to open the <x id=\"2\"/> file.</source>\n      </trans-unit>\n      <trans-unit id=\"b{k}\">\n        <source>The printer is out of ink.</source>\n        <target/>\n      </trans-unit>\n"
        )
    };
    let unit_out = |k: usize| {
        format!(
            "      <trans-unit id=\"a{k}\">\n        <source>Click <g id=\"1\">here</g> to open the <x id=\"2\"/> file.</source>\n        <target state=\"translated\" state-qualifier=\"exact-match\">Cliquez <g id=\"1\">ici</g> pour ouvrir le fichier <x id=\"2\"/>.</target>\n        <alt-trans match-quality=\"100\" origin=\"bitext:mem\"><source>Click <g id=\"1\">here</g> to open the <x id=\"2\"/> file.</source><target>Cliquez <g id=\"1\">ici</g> pour ouvrir le fichier <x id=\"2\"/>.</target></alt-trans>\n      </trans-unit>\n      <trans-unit id=\"b{k}\">\n        <source>The printer is out of ink.</source>\n        <target state=\"needs-review-translation\" state-qualifier=\"fuzzy-match\">L'imprimante n'a plus de papier.</target>\n        <alt-trans match-quality=\"85\" origin=\"bitext:mem\"><source>The printer is out of paper.</source><target>L'imprimante n'a plus de papier.</target></alt-trans>\n      </trans-unit>\n"
        )
    };
    let head = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xliff version=\"1.2\" xmlns=\"urn:oasis:names:tc:xliff:document:1.2\">\n  <file source-language=\"en\" target-language=\"fr\" datatype=\"plaintext\" original=\"doc.txt\">\n    <body>\n";
    let tail = "    </body>\n  </file>\n</xliff>\n<!-- end -->\n";
    let n = 700;
    let input: String = head.to_string() + &(0..n).map(unit_in).collect::<String>() + tail;
    let expected: String = head.to_string() + &(0..n).map(unit_out).collect::<String>() + tail;
    let doc = write_file(dir.path(), "big.xlf", &input);
    let out = dir.path().join("out.xlf");
    let result = bitext()
        .env_remove("BITEXT_USER")
        .env("BITEXT_TM", &tm)
        .arg("pretranslate")
        .arg(&doc)
        .args(["--min", "70", "--candidates", "0", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("filled {} targets ({n} exact, {n} fuzzy", 2 * n)),
        "{stderr}"
    );
    assert!(
        fs::read_to_string(&out).unwrap() == expected,
        "the streamed output differs"
    );
    // A file truncated after its first batches: an error, nothing written.
    fs::write(&doc, &input[..input.len() - 200]).unwrap();
    fs::remove_file(&out).unwrap();
    let result = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(!out.exists());
}

/// Every real file pre-translates with a memory of its own targets (segments whose
/// source repeats or resembles a translated one get filled), and comes out byte for
/// byte with an empty memory.
#[test]
fn real_files_pretranslate_from_their_own_memory() {
    let dir = tempdir();
    let mut filled_total = 0;
    for file in real_files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let tm = dir.path().join(format!("{name}.sqlite"));
        let langs: &[&str] = if name.contains("angular-xliff2") {
            &["-t", "en"]
        } else {
            &[]
        };
        tm_cmd(&tm)
            .arg("import")
            .arg(&file)
            .args(["--state", "any"])
            .args(langs)
            .assert()
            .success();
        let out = dir.path().join(format!("out-{name}"));
        let stats = dir.path().join(format!("{name}.json"));
        let result = tm_cmd(&tm)
            .arg("pretranslate")
            .arg(&file)
            .args(langs)
            .args(["--min", "70", "-o"])
            .arg(&out)
            .arg("--stats-json")
            .arg(&stats)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&stats).unwrap()).unwrap();
        let filled =
            json["filled"]["exact"].as_u64().unwrap() + json["filled"]["fuzzy"].as_u64().unwrap();
        filled_total += filled;
        let raw = fs::read(&file).unwrap();
        let bytes = fs::read(&out).unwrap();
        if filled == 0
            && json["left"]
                .as_object()
                .unwrap()
                .keys()
                .all(|k| !k.contains("codes"))
        {
            // Nothing filled: at most candidates were added.
            assert!(bytes.len() >= raw.len(), "{name}");
        }
        // The output reads back, with as many units.
        let again = XliffDocument::parse(bytes, Some(&out)).unwrap();
        let before = XliffDocument::parse(raw.clone(), Some(&file)).unwrap();
        assert_eq!(again.units().len(), before.units().len(), "{name}");
        // An empty memory: the file as it was.
        let empty = dir.path().join("empty.sqlite");
        if !empty.exists() {
            let tmx = dir.path().join("empty.tmx");
            fs::write(
                &tmx,
                r#"<?xml version="1.0"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="en" datatype="plaintext"/><body/></tmx>
"#,
            )
            .unwrap();
            tm_cmd(&empty).arg("import").arg(&tmx).assert().success();
        }
        let result = tm_cmd(&empty)
            .arg("pretranslate")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert!(result.stdout == raw, "{name} changed with an empty memory");
    }
    assert!(filled_total >= 15, "only {filled_total} segments filled");
}
