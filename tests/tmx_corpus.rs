//! The 26 real TMX files in ../shared/data/tmx: every unit, language, inline element,
//! prop and note is read (counts checked against an independent XML parse, see the
//! README there); write -> read gives the same units; the output is valid TMX 1.4.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bitext::formats::tmx::inline;
use bitext::formats::{
    self, Format, InlineMode, ReadOptions, TmxHeader, UnitWriteOptions, UnitWriter,
};
use bitext::unit::TranslationUnit;

pub fn tmx_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tmx")
}

/// Per file: units; variants per language (as normalised); inline elements by kind;
/// props at header, tu, tuv level; notes at header, tu, tuv level.
type Expected = (
    &'static str,
    usize,
    &'static [(&'static str, usize)],
    &'static [(&'static str, usize)],
    [usize; 3],
    [usize; 3],
);

const EXPECTED: &[Expected] = &[
    (
        "dejavu4_zh-cn_en-us.tmx",
        2,
        &[("en-US", 2), ("zh-CN", 2)],
        &[],
        [0, 8, 4],
        [0, 0, 0],
    ),
    (
        "heartsome_ImportTMXTest_en-US_zh-CN.tmx",
        314,
        &[("en-US", 314), ("zh-CN", 314)],
        &[("bpt", 773), ("ept", 773)],
        [0, 127, 0],
        [0, 0, 0],
    ),
    (
        "heartsome_tmserver_utf16le_srcall.tmx",
        2,
        &[("en-US", 2), ("zh", 2)],
        &[("ph", 1)],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "intertext_v14b_toh729_bo_en.tmx",
        3,
        &[("bo", 3), ("en", 3)],
        &[("foreign", 8)],
        [0, 6, 0],
        [0, 0, 0],
    ),
    (
        "lisakit_ImportTest1A_utf16le.tmx",
        2,
        &[("en-US", 2), ("fr-CA", 2)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "lisakit_ImportTest1G_utf16be.tmx",
        3,
        &[("en-GB", 3), ("en-US", 3)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "lisakit_ImportTest1L_utf8bom.tmx",
        1,
        &[("en-GB", 1), ("en-US", 1), ("fr", 1)],
        &[],
        [1, 1, 5],
        [2, 2, 6],
    ),
    (
        "lisakit_ImportTest2A_level2_utf16le.tmx",
        7,
        &[("en-US", 7), ("fr-CA", 7)],
        &[("bpt", 18), ("ept", 18), ("hi", 2), ("it", 4), ("ph", 2)],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "matecat_cattool_it-IT_en-GB.tmx",
        2,
        &[("en-GB", 2), ("it-IT", 2)],
        &[],
        [0, 8, 0],
        [0, 0, 0],
    ),
    (
        "monlam_ns_tei_bo_en.tmx",
        4,
        &[("bo", 4), ("en", 4)],
        &[("foreign", 5)],
        [0, 4, 0],
        [0, 0, 0],
    ),
    (
        "okapi_header_with_prop_and_note.tmx",
        1,
        &[("en-US", 1), ("fr", 1)],
        &[
            ("bpt", 2),
            ("ept", 2),
            ("hi", 2),
            ("it", 2),
            ("ph", 2),
            ("sub", 2),
        ],
        [1, 0, 0],
        [1, 0, 0],
    ),
    (
        "okapi_html_test.tmx",
        11,
        &[("en-US", 11), ("fr-FR", 11)],
        &[("bpt", 8), ("ept", 8), ("it", 2), ("ph", 12)],
        [2, 0, 0],
        [0, 0, 0],
    ),
    (
        "okapi_spec_sample14b.tmx",
        25,
        &[("de-DE", 25), ("en-US", 25)],
        &[("ph", 2)],
        [0, 75, 0],
        [0, 0, 0],
    ),
    (
        "omegat36_gms1_en-US_zh-CN_v11.tmx",
        2698,
        &[("en-US", 2698), ("zh-CN", 2698)],
        &[],
        [0, 3, 0],
        [0, 2, 0],
    ),
    (
        "omegat61_libreoffice_calc01_help_en-US_pt-BR.tmx",
        3290,
        &[("en-US", 3290), ("pt-BR", 3290)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "omegat_localized_creationtool_level2_cs-CZ.tmx",
        170,
        &[("cs-CZ", 170), ("en-US", 170)],
        &[("ph", 494)],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "omegat_test-SMP_v11.tmx",
        1,
        &[("be", 1), ("en", 1)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "openxliff_tmxvalidator_en_es.tmx",
        35,
        &[("en", 35), ("es", 35)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "other_test-level2_inline.tmx",
        4,
        &[("be", 4), ("en", 4)],
        &[("bpt", 2), ("ept", 2), ("it", 1), ("ph", 2)],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "pontoon_3lang_en-US_ca_es.tmx",
        3,
        &[("ca", 2), ("en-US", 3), ("es", 1)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "pontoon_intro_en-US_ca.tmx",
        59,
        &[("ca", 59), ("en-US", 59)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "sdl_languageplatform8_utf8bom.tmx",
        19,
        &[("de-DE", 19), ("en-US", 19)],
        &[("bpt", 34), ("ept", 34)],
        [5, 63, 0],
        [0, 0, 0],
    ),
    (
        "trados_workbench_utf16le_rtf.tmx",
        2,
        &[("de-DE", 2), ("en-US", 2)],
        &[("bpt", 2), ("ept", 2)],
        [2, 4, 0],
        [0, 0, 0],
    ),
    (
        "ttk250_po2tmx_qgis_general_tools_en_ja.tmx",
        940,
        &[("en", 940), ("ja", 940)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "ttk_match-stat_en-ca.tmx",
        259,
        &[("ca", 259), ("en", 259)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
    (
        "ttk_multilingual_en-US_en-GB_fr_sr.tmx",
        1,
        &[("en-GB", 1), ("en-US", 1), ("fr", 1), ("sr", 1)],
        &[],
        [0, 0, 0],
        [0, 0, 0],
    ),
];

/// The files whose inline markup is not valid TMX 1.4 as it stands (foreign TEI
/// elements, a `ph` with an `id` attribute), so the default writer rewrites it.
const REWRITTEN: &[&str] = &[
    "heartsome_tmserver_utf16le_srcall.tmx",
    "intertext_v14b_toh729_bo_en.tmx",
    "monlam_ns_tei_bo_en.tmx",
];

pub fn read_file(path: &Path) -> (Vec<TranslationUnit>, TmxHeader) {
    let mut reader = formats::open(path, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(reader.format(), Format::Tmx);
    let units: Vec<TranslationUnit> = reader
        .by_ref()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.report().skipped, 0, "{}", path.display());
    (units, reader.tmx_header().unwrap().clone())
}

fn read_bytes(bytes: Vec<u8>) -> (Vec<TranslationUnit>, TmxHeader) {
    let mut options = ReadOptions::default();
    options.format = Some(Format::Tmx);
    let mut reader = formats::Reader::from_reader(std::io::Cursor::new(bytes), None, &options)
        .unwrap_or_else(|e| panic!("{e}"));
    let units: Vec<TranslationUnit> = reader
        .by_ref()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    (units, reader.tmx_header().unwrap().clone())
}

fn write(units: &[TranslationUnit], header: &TmxHeader, inline: InlineMode) -> Vec<u8> {
    let mut options = UnitWriteOptions::default();
    options.tmx_header = Some(header.clone());
    options.inline = inline;
    let mut writer = UnitWriter::new(Format::Tmx, Vec::new(), &options).unwrap();
    for unit in units {
        assert!(writer.write_unit(unit).unwrap());
    }
    writer.finish().unwrap()
}

#[test]
fn every_file_reads_with_nothing_lost() {
    assert_eq!(EXPECTED.len(), 26);
    for (name, n_units, langs, inline_counts, props, notes) in EXPECTED {
        let (units, header) = read_file(&tmx_dir().join(name));
        assert_eq!(units.len(), *n_units, "{name}: units");
        let mut by_lang: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        let mut got_props = [header.props.len(), 0, 0];
        let mut got_notes = [header.notes.len(), 0, 0];
        for unit in &units {
            got_props[1] += unit.props.len();
            got_notes[1] += unit.notes.len();
            for v in &unit.variants {
                *by_lang.entry(v.lang.to_string()).or_default() += 1;
                got_props[2] += v.props.len();
                got_notes[2] += v.notes.len();
                if let Some(markup) = &v.markup {
                    for tag in inline::tags(markup).unwrap() {
                        *by_kind.entry(tag.kind.name()).or_default() += 1;
                    }
                    assert_eq!(inline::plain_text(markup).unwrap(), v.text, "{name}");
                }
            }
        }
        let want: BTreeMap<String, usize> =
            langs.iter().map(|(l, n)| (l.to_string(), *n)).collect();
        assert_eq!(by_lang, want, "{name}: variants per language");
        let want: BTreeMap<&str, usize> = inline_counts.iter().copied().collect();
        assert_eq!(by_kind, want, "{name}: inline elements");
        assert_eq!(got_props, *props, "{name}: props (header, tu, tuv)");
        assert_eq!(got_notes, *notes, "{name}: notes (header, tu, tuv)");
    }
}

#[test]
fn tolerated_quirks_read_as_expected() {
    let dir = tmx_dir();
    // srclang="*all*", UTF-16LE, no version, doubly escaped markup.
    let (units, header) = read_file(&dir.join("heartsome_tmserver_utf16le_srcall.tmx"));
    assert_eq!(header.src_lang.as_deref(), Some("*all*"));
    assert_eq!(header.version, None);
    assert_eq!(units[0].source_lang, None);
    assert_eq!(
        units[1].variants[0].text,
        "&lt;syntaxhighlight lang=\"java\"&gt;"
    );
    assert_eq!(
        units[0].variants[0].markup.as_deref(),
        Some("<ph id='1'>&amp;lt;toggledisplay</ph> status=\"show\" showtext=\"[Show Source]\" hidetext=\"[Hide Source]\"&amp;gt;")
    );
    // TMX 1.1 `lang`, characters beyond the BMP.
    let (units, header) = read_file(&dir.join("omegat_test-SMP_v11.tmx"));
    assert_eq!(header.version.as_deref(), Some("1.1"));
    assert_eq!(units[0].variants[1].lang.as_str(), "be");
    assert_eq!(units[0].variants[0].text, "𝐀𝐁𝐂");
    // Default namespace, tu@id, empty <seg/>, foreign elements.
    let (units, _) = read_file(&dir.join("monlam_ns_tei_bo_en.tmx"));
    assert_eq!(units[0].id.as_deref(), Some("UT22084-090-025-TU-1"));
    assert_eq!(units[0].variants[0].text, "");
    assert_eq!(units[0].variants[0].markup, None);
    assert!(units[0].variants[1]
        .text
        .ends_with("The Dhāraṇī for Obtaining the Ten Perfections"));
    // Mixed-case languages, a unit lacking a language, hi kept as text.
    let (units, _) = read_file(&dir.join("lisakit_ImportTest2A_level2_utf16le.tmx"));
    assert_eq!(units[5].variants[0].lang.as_str(), "en-US");
    assert_eq!(units[5].variants[1].lang.as_str(), "fr-CA");
    assert_eq!(
        units[6].variants[1].text,
        "Some text with a part highlighted."
    );
    assert_eq!(
        units[6].source_lang.as_ref().map(|l| l.as_str()),
        Some("en-US")
    );
    // Numeric character references; whitespace kept exactly.
    let (units, _) = read_file(&dir.join("lisakit_ImportTest1A_utf16le.tmx"));
    assert_eq!(units[0].variants[0].text, "First segment with [\t\t   ]");
    let (units, _) = read_file(&dir.join("lisakit_ImportTest1G_utf16be.tmx"));
    assert_eq!(units[0].variants[0].text, units[0].variants[1].text);
    // Provenance on tu and tuv, usage counts; header metadata.
    let (units, header) = read_file(&dir.join("lisakit_ImportTest1L_utf8bom.tmx"));
    let unit = &units[0];
    assert_eq!(unit.id.as_deref(), Some("tu001"));
    assert_eq!(unit.provenance.usage_count, Some(100));
    assert_eq!(unit.provenance.created_by.as_deref(), Some("ys"));
    assert_eq!(
        unit.provenance.last_used.unwrap().to_string(),
        "2002-05-23T09:12:00Z"
    );
    assert_eq!(
        unit.variants[1].provenance.changed_by.as_deref(),
        Some("ys")
    );
    assert_eq!(header.creation_tool.as_deref(), Some("myTool"));
    assert_eq!(header.udes.len(), 1);
    assert!(header.udes[0].contains("<map unicode=\"#xF8FF\""));
    assert_eq!(header.notes[1].text, "Text of header note 2");
}

#[test]
fn write_then_read_gives_the_same_units() {
    for (name, ..) in EXPECTED {
        let (units, header) = read_file(&tmx_dir().join(name));
        // Exactly as kept.
        let (again, header2) = read_bytes(write(&units, &header, InlineMode::Verbatim));
        assert_eq!(again, units, "{name}: verbatim round trip");
        assert_eq!(header2.props, header.props, "{name}");
        assert_eq!(header2.notes, header.notes, "{name}");
        assert_eq!(header2.udes, header.udes, "{name}");
        // Valid TMX: the same, but for the markup that had to be rewritten.
        let valid = write(&units, &header, InlineMode::Valid);
        let (again, _) = read_bytes(valid.clone());
        if REWRITTEN.contains(name) {
            assert_ne!(again, units, "{name} should have been rewritten");
            for (a, b) in again.iter().zip(&units) {
                let mut a = a.clone();
                for (va, vb) in a.variants.iter_mut().zip(&b.variants) {
                    assert_eq!(va.text, vb.text, "{name}: text");
                    if let Some(markup) = &vb.markup {
                        let mut changes = Vec::new();
                        let expected = inline::sanitize(markup, &mut changes).unwrap();
                        assert_eq!(va.markup.as_deref(), Some(&*expected), "{name}");
                        va.markup = vb.markup.clone();
                    }
                }
                assert_eq!(&a, b, "{name}: all but markup");
            }
            // A second round changes nothing.
            let (units2, header2) = read_bytes(valid.clone());
            assert_eq!(write(&units2, &header2, InlineMode::Valid), valid, "{name}");
        } else {
            assert_eq!(again, units, "{name}: valid round trip");
        }
    }
}

fn xmllint() -> &'static str {
    let found = Command::new("xmllint").arg("--version").output();
    assert!(
        found.is_ok(),
        "xmllint is missing: install libxml2-utils (scripts/test installs it when run as root)"
    );
    "xmllint"
}

#[test]
fn output_is_valid_against_the_tmx14_dtd() {
    let xmllint = xmllint();
    let dir = tempfile::TempDir::new().unwrap();
    let mut files = Vec::new();
    for (name, ..) in EXPECTED {
        let (units, header) = read_file(&tmx_dir().join(name));
        let path = dir.path().join(name);
        std::fs::write(&path, write(&units, &header, InlineMode::Valid)).unwrap();
        files.push(path);
    }
    // Units with every kind of metadata.
    let jsonl = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/metadata.jsonl");
    let mut reader = formats::open(&jsonl, &ReadOptions::default()).unwrap();
    let units: Vec<TranslationUnit> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    let path = dir.path().join("metadata.tmx");
    std::fs::write(
        &path,
        write(&units, &TmxHeader::default(), InlineMode::Valid),
    )
    .unwrap();
    files.push(path);
    let out = Command::new(xmllint)
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(tmx_dir().join("tmx14.dtd"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn caller_source_language_fills_in_for_all() {
    let mut options = ReadOptions::default();
    options.source_lang = Some(bitext::text::LangTag::parse("en").unwrap());
    let path = tmx_dir().join("heartsome_tmserver_utf16le_srcall.tmx");
    let units: Vec<TranslationUnit> = formats::open(&path, &options)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(units[0].source_lang.as_ref().unwrap().as_str(), "en-US");
}
