//! Text documents to XLIFF and back: `convert doc.txt doc.xlf` (1.2 and 2.0) valid
//! against the OASIS schemas, back to the same bytes when nothing is translated;
//! `--tm` pre-translates; `pretranslate doc.txt --to txt` writes the translated text;
//! XLIFF from other tools and bad input are refused with nothing written.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{bitext, repo, shared, tempdir, tm_cmd, write_file, xmllint};

fn schema(name: &str) -> PathBuf {
    shared("data/xliff/schemas").join(name)
}

/// A document with what a round trip must keep: a title, blank lines (two and three),
/// a sentence wrapped over lines with CRLF, double spaces, indentation, a tab, CJK
/// sentences without spaces, no final line end.
const DOC: &str = "The printer manual\n\nThe printer is out of paper.  Save the document before \
closing.\r\nThis sentence is\nwrapped over two lines.\n\n\n   Indented paragraph.\tAfter a tab.\n\n\
打印机没纸了。请保存文件。";

/// A memory `mem.sqlite` in `dir` with English-French units.
fn memory(dir: &Path) -> PathBuf {
    let tm = dir.join("mem.sqlite");
    let tsv = write_file(
        dir,
        "mem.tsv",
        "en\tfr\nThe printer manual\tLe manuel de l'imprimante\n\
         The printer is out of paper.\tL'imprimante n'a plus de papier.\n\
         Save the document before closing time.\tEnregistrez le document avant la fermeture.\n",
    );
    tm_cmd(&tm).arg("import").arg(&tsv).assert().success();
    tm
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `bitext convert INPUT OUTPUT ARGS…`, checks that it fails and returns its
/// standard error.
fn convert_refused(input: &Path, output: &Path, args: &[&str]) -> String {
    let out = bitext()
        .arg("convert")
        .arg(input)
        .arg(output)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", input.display());
    stderr(&out)
}

#[test]
fn text_to_xliff_and_back_is_byte_identical_and_valid() {
    let dir = tempdir();
    let doc = write_file(dir.path(), "doc.txt", DOC);
    for (name, to, schema_name, units) in [
        (
            "doc.xlf",
            None,
            "xliff-core-1.2-strict.xsd",
            "<trans-unit id=",
        ),
        ("doc.xlf2", None, "xliff_core_2.0.xsd", "<segment id="),
        (
            "doc.v2.xlf",
            Some("xliff2"),
            "xliff_core_2.0.xsd",
            "<segment id=",
        ),
    ] {
        let xlf = dir.path().join(name);
        let mut cmd = bitext();
        cmd.arg("convert")
            .arg(&doc)
            .arg(&xlf)
            .args(["-s", "en", "-t", "fr"]);
        if let Some(to) = to {
            cmd.args(["--to", to]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("4 paragraphs, 8 segments"),
            "{}",
            stderr(&out)
        );
        let text = fs::read_to_string(&xlf).unwrap();
        assert_eq!(text.matches(units).count(), 8, "{text}");
        xmllint(&schema(schema_name), &xlf).unwrap();
        if schema_name.starts_with("xliff-core-1.2") {
            xmllint(&schema("xliff-core-1.2-transitional.xsd"), &xlf).unwrap();
        }
        let back = dir.path().join(format!("{name}.txt"));
        let out = bitext()
            .arg("convert")
            .arg(&xlf)
            .arg(&back)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fs::read(&back).unwrap(), DOC.as_bytes(), "{name}");
        assert!(
            stderr(&out).contains("8 segments without a translation kept in the source language"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn sample_article_round_trips_through_standard_streams() {
    let article = fs::read(repo("samples/en.txt")).unwrap();
    let xlf = bitext()
        .args(["--quiet", "convert", "-", "-", "--to", "xliff", "-s", "en"])
        .write_stdin(article.clone())
        .output()
        .unwrap();
    assert!(xlf.status.success(), "{}", stderr(&xlf));
    let back = bitext()
        .args(["--quiet", "convert", "-", "-", "--to", "txt"])
        .write_stdin(xlf.stdout)
        .output()
        .unwrap();
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(back.stdout, article);
}

#[test]
fn srx_rules_decide_the_segments() {
    let dir = tempdir();
    let doc = write_file(dir.path(), "doc.txt", "One. Two. Three.\n");
    let srx = dir.path().join("rules.srx");
    // Breaks only after "Two.".
    fs::write(
        &srx,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<srx xmlns="http://www.lisa.org/srx20" version="2.0">
  <header segmentsubflows="yes" cascade="yes"/>
  <body>
    <languagerules>
      <languagerule languagerulename="en">
        <rule break="yes"><beforebreak>Two\.</beforebreak><afterbreak>\s</afterbreak></rule>
      </languagerule>
    </languagerules>
    <maprules><languagemap languagepattern=".*" languagerulename="en"/></maprules>
  </body>
</srx>
"#,
    )
    .unwrap();
    let xlf = dir.path().join("doc.xlf");
    bitext()
        .args(["--quiet", "convert"])
        .arg(&doc)
        .arg(&xlf)
        .args(["-s", "en", "--srx"])
        .arg(&srx)
        .assert()
        .success();
    let text = fs::read_to_string(&xlf).unwrap();
    assert!(text.contains("<source>One. Two.</source>"), "{text}");
    assert!(text.contains("<source>Three.</source>"), "{text}");
}

#[test]
fn convert_with_a_memory_pretranslates_and_the_translation_comes_back() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let doc = write_file(dir.path(), "doc.txt", DOC);
    // 1.2, exact matches only (the default --min 100).
    let xlf = dir.path().join("doc.fr.xlf");
    let out = bitext()
        .env_remove("BITEXT_USER")
        .arg("convert")
        .arg(&doc)
        .arg(&xlf)
        .args(["-s", "en", "-t", "fr", "--tm"])
        .arg(&tm)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("analysis of"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("filled 2 targets (2 exact, 0 fuzzy, --min 100)"),
        "{}",
        stderr(&out)
    );
    let text = fs::read_to_string(&xlf).unwrap();
    assert!(
        text.contains(
            "<target state=\"translated\" state-qualifier=\"exact-match\">L'imprimante n'a plus de papier.</target>"
        ),
        "{text}"
    );
    xmllint(&schema("xliff-core-1.2-strict.xsd"), &xlf).unwrap();
    let back = dir.path().join("doc.fr.txt");
    bitext()
        .args(["--quiet", "convert"])
        .arg(&xlf)
        .arg(&back)
        .assert()
        .success();
    let expected = DOC
        .replace("The printer manual", "Le manuel de l'imprimante")
        .replace(
            "The printer is out of paper.",
            "L'imprimante n'a plus de papier.",
        );
    assert_eq!(fs::read_to_string(&back).unwrap(), expected);

    // 2.0 with fuzzy matches: valid with the matches module, the fuzzy target counted
    // as not confirmed when converted back.
    let xlf2 = dir.path().join("doc.fr.xlf2");
    let out = bitext()
        .env_remove("BITEXT_USER")
        .args(["--quiet", "convert"])
        .arg(&doc)
        .arg(&xlf2)
        .args(["-s", "en", "-t", "fr", "--min", "80", "--tm"])
        .arg(&tm)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&xlf2).unwrap();
    assert!(text.contains("<mtc:match "), "{text}");
    xmllint(&schema("matches.xsd"), &xlf2).unwrap();
    let out = bitext()
        .arg("convert")
        .arg(&xlf2)
        .arg(dir.path().join("doc.fr2.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("1 segment written from targets not confirmed as translated: initial ×1"),
        "{}",
        stderr(&out)
    );
    let text = fs::read_to_string(dir.path().join("doc.fr2.txt")).unwrap();
    assert!(
        text.contains("Enregistrez le document avant la fermeture.\r\n"),
        "{text}"
    );
}

#[test]
fn pretranslate_writes_the_translated_text() {
    let dir = tempdir();
    let tm = memory(dir.path());
    let doc = write_file(dir.path(), "doc.txt", DOC);
    let out_path = dir.path().join("doc.fr.txt");
    let out = bitext()
        .env_remove("BITEXT_USER")
        .arg("pretranslate")
        .arg(&doc)
        .args(["--to", "txt", "--min", "80", "-o"])
        .arg(&out_path)
        .arg("--tm")
        .arg(&tm)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("100                  2"), "{err}");
    assert!(err.contains("85-94                1"), "{err}");
    assert!(
        err.contains("filled 3 targets (2 exact, 1 fuzzy, --min 80)"),
        "{err}"
    );
    let expected = DOC
        .replace("The printer manual", "Le manuel de l'imprimante")
        .replace(
            "The printer is out of paper.",
            "L'imprimante n'a plus de papier.",
        )
        .replace(
            "Save the document before closing.",
            "Enregistrez le document avant la fermeture.",
        );
    assert_eq!(fs::read_to_string(&out_path).unwrap(), expected);
    // To standard output, the default --min 100: the fuzzy match stays English.
    let out = tm_cmd(&tm)
        .arg("pretranslate")
        .arg(&doc)
        .args(["--to", "txt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Save the document before closing.\r\n"),
        "{text}"
    );
    assert!(text.starts_with("Le manuel de l'imprimante\n\n"), "{text}");
}

#[test]
fn xliff_from_other_tools_is_refused_and_nothing_written() {
    let dir = tempdir();
    let out_path = dir.path().join("out.txt");
    let real = shared("data/xliff/real");
    let mut files: Vec<PathBuf> = fs::read_dir(&real)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 19);
    for file in files {
        let err = convert_refused(&file, &out_path, &[]);
        assert!(
            err.contains("not made from a text document by bitext"),
            "{}: {err}",
            file.display()
        );
        assert!(!out_path.exists(), "{}", file.display());
    }
}

#[test]
fn bad_input_is_located_and_nothing_is_written() {
    let dir = tempdir();
    let xlf = dir.path().join("doc.xlf");
    let doc = write_file(dir.path(), "doc.txt", "Fine.\nA bell\x07 rings.\n");
    let err = convert_refused(&doc, &xlf, &["-s", "en"]);
    assert!(
        err.contains("doc.txt:2:7: character U+0007 cannot be written in XLIFF"),
        "{err}"
    );
    assert!(!xlf.exists());
    // No language: the segmenter needs one.
    fs::write(&doc, "Fine.\n").unwrap();
    let err = convert_refused(&doc, &xlf, &[]);
    assert!(err.contains("-s/--src-lang"), "{err}");
    assert!(!xlf.exists());
    // A unit removed by hand: the document cannot be rebuilt.
    fs::write(&doc, "One. Two.\n").unwrap();
    bitext()
        .args(["--quiet", "convert"])
        .arg(&doc)
        .arg(&xlf)
        .args(["-s", "en"])
        .assert()
        .success();
    let text = fs::read_to_string(&xlf).unwrap();
    let start = text.find("        <trans-unit id=\"s2\"").unwrap();
    let end = text[start..].find("</trans-unit>\n").unwrap() + start + "</trans-unit>\n".len();
    fs::write(&xlf, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let back = dir.path().join("back.txt");
    let err = convert_refused(&xlf, &back, &[]);
    assert!(
        err.contains("unit \"s2\" of the document's skeleton is not in the file"),
        "{err}"
    );
    assert!(!back.exists());
    // Units are not a document.
    let tmx = write_file(
        dir.path(),
        "m.tmx",
        "<tmx version=\"1.4\"><header/><body/></tmx>",
    );
    let err = convert_refused(&tmx, &xlf, &["-s", "en"]);
    assert!(err.contains("XLIFF is made from text documents"), "{err}");
}

/// OmegaT 3.6 as the CAT tool: it opens the XLIFF bitext made from a text and
/// pre-translated (`--copy-source`: OmegaT translates the content of `<target>`s, a unit
/// without one is invisible to it), `console-translate` fills a target from its own
/// memory, and bitext turns OmegaT's target file into the translated text, the
/// pre-translated sentence included. Fails (does not skip) without OmegaT.
#[test]
fn omegat_translates_the_xliff_and_bitext_rebuilds_the_text() {
    let jar = crate::cli_omegat::omegat_jar();
    let dir = tempdir();
    // An English (EN-US) to Russian (RU-RU) project.
    let project = crate::cli_omegat::Project::empty(dir.path());
    let tsv = write_file(
        dir.path(),
        "mem.tsv",
        "en\tru\nThe printer is out of paper.\tВ принтере нет бумаги.\n",
    );
    let tm = dir.path().join("mem.sqlite");
    tm_cmd(&tm).arg("import").arg(&tsv).assert().success();
    // OmegaT's own memory knows another sentence.
    let omegat_tsv = write_file(
        dir.path(),
        "omegat.tsv",
        "en-US\tru-RU\nOpen the tray and add paper.\tОткройте лоток и добавьте бумагу.\n",
    );
    bitext()
        .args(["--quiet", "convert"])
        .arg(&omegat_tsv)
        .arg(project.path("tm/auto/omegat.tmx"))
        .assert()
        .success();
    let doc = dir.path().join("doc.txt");
    let text = "Paper\n\nThe printer is out of paper. Open the tray and add paper.\n\
                Save the document before closing.\n";
    fs::write(&doc, text).unwrap();
    let xlf = project.path("source/doc.xlf");
    tm_cmd(&tm)
        .arg("convert")
        .arg(&doc)
        .arg(&xlf)
        .args(["-s", "en", "-t", "ru", "--copy-source", "--tm"])
        .arg(&tm)
        .assert()
        .success();
    xmllint(&schema("xliff-core-1.2-strict.xsd"), &xlf).unwrap();
    let output = project.translate(&jar);
    let translated = project.path("target/doc.xlf");
    assert!(
        translated.exists(),
        "OmegaT wrote no target file:\n{output}"
    );
    let back = dir.path().join("doc.ru.txt");
    let out = bitext()
        .arg("convert")
        .arg(&translated)
        .arg(&back)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&back).unwrap(),
        "Paper\n\nВ принтере нет бумаги. Откройте лоток и добавьте бумагу.\n\
         Save the document before closing.\n"
    );
    assert!(
        stderr(&out).contains("4 segments: 2 from their target, 2 kept in the source language"),
        "{}",
        stderr(&out)
    );
}
