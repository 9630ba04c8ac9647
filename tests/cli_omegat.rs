//! OmegaT as a real client: OmegaT 3.6 (Debian's `omegat` package) translates a small
//! project from the TMX bitext writes, and bitext reads every TMX file OmegaT writes.
//!
//! The project (see docs/omegat.md) has two source files: `doc.txt`, the sample article
//! (samples/en.txt without its date line), and `doc.html`, a few of its sentences with
//! bold, italic and link tags. `tm/auto/` holds two memories made by bitext: the
//! English-Russian alignment of the samples written by `bitext align --format tmx`
//! (checked against the gold alignment) and four tagged units
//! (tests/data/omegat/tagged.jsonl, through `bitext convert`). OmegaT runs in
//! console-translate mode, which inserts the exact matches of `tm/auto/` and writes
//! `target/` and the three exports; a script also makes it write
//! `omegat/project_save.tmx`. A second project then translates the same sources from
//! OmegaT's level-2 export after a trip through bitext (TMX → bitext → TMX), and must
//! produce the same target files.
//!
//! OmegaT must be installed: this test fails (it does not skip) when it is missing.
//! scripts/test installs it when run as root.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{bitext, json_lines, repo, shared, tempdir};

/// Where Debian's `omegat` package puts OmegaT; `BITEXT_OMEGAT_JAR` overrides it.
const DEBIAN_OMEGAT_JAR: &str = "/usr/share/omegat/OmegaT.jar";

/// OmegaT starts in about 2 s; a run that takes this long has hung.
const OMEGAT_TIMEOUT: Duration = Duration::from_secs(180);

/// The project name (OmegaT names its exports after the project directory).
const PROJECT: &str = "csto";

fn data(name: &str) -> PathBuf {
    repo("tests/data/omegat").join(name)
}

/// The OmegaT jar, or a failure that says how to get it.
pub(crate) fn omegat_jar() -> PathBuf {
    let jar = std::env::var_os("BITEXT_OMEGAT_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEBIAN_OMEGAT_JAR));
    assert!(
        jar.is_file(),
        "OmegaT is needed for this test but {} does not exist. Install it with \
         `apt-get install --no-install-recommends omegat` (scripts/test does so when run as \
         root with apt-get), or set BITEXT_OMEGAT_JAR to an OmegaT 3.6 OmegaT.jar.",
        jar.display()
    );
    let java = Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        matches!(java, Ok(s) if s.success()),
        "OmegaT needs Java, but `java -version` does not run: install a JRE (Debian: \
         default-jre-headless)"
    );
    jar
}

/// A minimal OmegaT project directory with the test's sources and settings.
pub(crate) struct Project {
    root: PathBuf,
    config: PathBuf,
}

impl Project {
    /// Creates an empty project `dir/csto` (with every folder OmegaT 3.6 insists on,
    /// English to Russian) and a config dir.
    pub(crate) fn empty(dir: &Path) -> Project {
        let root = dir.join(PROJECT);
        for sub in [
            "source",
            "target",
            "tm/auto",
            "omegat",
            "glossary",
            "dictionary",
        ] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        fs::copy(data("omegat.project"), root.join("omegat.project")).unwrap();
        let config = dir.join("omegat-config");
        fs::create_dir_all(&config).unwrap();
        fs::copy(data("omegat.prefs"), config.join("omegat.prefs")).unwrap();
        Project { root, config }
    }

    /// An empty project with the test's text and HTML documents as its sources.
    fn create(dir: &Path, source_txt: &str) -> Project {
        let project = Project::empty(dir);
        fs::write(project.path("source/doc.txt"), source_txt).unwrap();
        fs::copy(data("doc.html"), project.path("source/doc.html")).unwrap();
        project
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel))
            .unwrap_or_else(|e| panic!("OmegaT did not write {rel}: {e}"))
    }

    /// Runs OmegaT in console-translate mode; returns what it printed.
    pub(crate) fn translate(&self, jar: &Path) -> String {
        let mut child = Command::new("java")
            .arg("-Djava.awt.headless=true")
            .arg("-jar")
            .arg(jar)
            .arg(&self.root)
            .arg("--mode=console-translate")
            .arg(format!("--config-dir={}", self.config.display()))
            .arg("--disable-project-locking")
            .arg("--no-team")
            .arg("--quiet")
            .arg(format!(
                "--script={}",
                data("save_project.groovy").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("java starts");
        // Both pipes are read on threads so that a chatty OmegaT cannot block on them.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).ok();
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).ok();
            s
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > OMEGAT_TIMEOUT {
                child.kill().ok();
                child.wait().ok();
                panic!("OmegaT did not finish in {OMEGAT_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = format!("{}{}", out.join().unwrap(), err.join().unwrap());
        assert!(status.success(), "OmegaT failed ({status}):\n{log}");
        // OmegaT reports most problems (an unreadable TMX, a failing script) as
        // "Error:" lines and still exits 0.
        assert!(
            !log.contains("Error:") && !log.contains("Exception"),
            "OmegaT reported an error:\n{log}"
        );
        assert!(log.contains("Finished"), "OmegaT did not finish:\n{log}");
        log
    }
}

/// The sample article and its gold alignment, as the pairs a translator would load.
struct Samples {
    en_text: String,
    en: Vec<String>,
    /// For each bead: English sentence ids and the Russian text.
    beads: Vec<(Vec<usize>, String)>,
}

impl Samples {
    fn load() -> Samples {
        let lines = |name: &str| -> Vec<String> {
            fs::read_to_string(repo("samples").join(name))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        };
        let en = lines("en.sent");
        let ru = lines("ru.sent");
        let ids = |list: &str| -> Vec<usize> {
            list.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|n| n.trim().parse().unwrap())
                .collect()
        };
        let beads = lines("en-ru.gold")
            .iter()
            .map(|bead| {
                let (src, tgt) = bead.split_once(':').unwrap();
                let target: Vec<&str> = ids(tgt).iter().map(|&j| ru[j].as_str()).collect();
                (ids(src), target.join(" "))
            })
            .collect();
        Samples {
            en_text: fs::read_to_string(repo("samples/en.txt")).unwrap(),
            en,
            beads,
        }
    }

    /// One `english<TAB>russian` line a bead, the sentences of a side joined by a
    /// space: the headerless TSV the aligner writes.
    fn pairs_tsv(&self) -> String {
        self.beads
            .iter()
            .map(|(src, target)| {
                let source: Vec<&str> = src.iter().map(|&i| self.en[i].as_str()).collect();
                format!("{}\t{}\n", source.join(" "), target)
            })
            .collect()
    }

    /// The English sentences that are a whole bead's source, with their translation:
    /// what an exact match can give for a sentence OmegaT segments alone. (A sentence
    /// that shares a bead with another is part of a longer TMX source and gets none.)
    fn sentence_translations(&self) -> HashMap<&str, &str> {
        self.beads
            .iter()
            .filter(|(src, _)| src.len() == 1)
            .map(|(src, target)| (self.en[src[0]].as_str(), target.as_str()))
            .collect()
    }
}

/// OmegaT's default segmentation rules split the date line "23 August 2021" after
/// the number ("23" | "August 2021"), so it can never match the TMX unit; the
/// project's text leaves it out. Every other sentence is segmented as in en.sent.
const DATE_LINE: &str = "23 August 2021\n";

fn source_txt(samples: &Samples) -> String {
    assert!(samples.en_text.contains(DATE_LINE));
    samples.en_text.replacen(DATE_LINE, "", 1)
}

/// The translated doc.txt expected from the exact matches: each sentence of the source
/// replaced by its translation when it has one, everything between sentences kept.
fn expected_target_txt(samples: &Samples, source: &str) -> String {
    let translations = samples.sentence_translations();
    let mut out = String::new();
    let mut pos = 0;
    for sentence in &samples.en {
        let Some(at) = source[pos..].find(sentence.as_str()) else {
            assert_eq!(format!("{sentence}\n"), DATE_LINE);
            continue;
        };
        out.push_str(&source[pos..pos + at]);
        out.push_str(
            translations
                .get(sentence.as_str())
                .unwrap_or(&sentence.as_str()),
        );
        pos += at + sentence.len();
    }
    out.push_str(&source[pos..]);
    out
}

/// The `<body>` of the translated doc.html.
const EXPECTED_HTML_BODY: &str = r#"<body>
<h1>О ситуации в <i>Афганистане</i></h1>
<p><b>Президент Ашраф Гани</b> сложил с себя полномочия главы государства и покинул страну.</p>
<p><a href="https://en.odkb-csto.org/">Договор о коллективной безопасности</a> был подписан в 1992 г. в <b>Ташкенте</b>.</p>
<p>Фото: <img src="kremlin.png"> официальный сайт президента Российской Федерации</p>
<p>По материалам ТАСС</p>
</body>"#;

fn html_body(html: &str) -> &str {
    let start = html.find("<body>").expect("a <body>");
    let end = html.find("</body>").expect("a </body>") + "</body>".len();
    &html[start..end]
}

/// `bitext convert IN OUT` with extra arguments; asserts it succeeds with nothing
/// skipped and returns its report line.
fn convert(input: &Path, output: &Path, args: &[&str]) -> String {
    let out = bitext()
        .arg("convert")
        .args(args)
        .arg(input)
        .arg(output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "bitext convert failed:\n{stderr}");
    assert!(stderr.contains(" 0 skipped"), "{stderr}");
    stderr
}

/// A unit read back from OmegaT, as bitext's JSON Lines give it.
#[derive(Debug)]
struct ReadUnit {
    source: String,
    target: String,
    source_markup: Option<String>,
    target_markup: Option<String>,
}

/// Reads a TMX file OmegaT wrote with `bitext convert FILE x.jsonl`.
fn read_back(tmx: &Path, dir: &Path) -> Vec<ReadUnit> {
    let jsonl = dir.join(format!(
        "{}.jsonl",
        tmx.file_name().unwrap().to_string_lossy()
    ));
    let report = convert(tmx, &jsonl, &[]);
    let units: Vec<ReadUnit> = json_lines(&fs::read(&jsonl).unwrap())
        .iter()
        .map(|unit| {
            assert_eq!(unit["source_lang"], "en-US", "{unit}");
            let variants = unit["variants"].as_array().unwrap();
            assert_eq!(variants.len(), 2, "{unit}");
            assert_eq!(variants[0]["lang"], "en-US", "{unit}");
            assert_eq!(variants[1]["lang"], "ru-RU", "{unit}");
            let text = |v: &Value| v["text"].as_str().unwrap().to_string();
            let markup = |v: &Value| v["markup"].as_str().map(str::to_string);
            ReadUnit {
                source: text(&variants[0]),
                target: text(&variants[1]),
                source_markup: markup(&variants[0]),
                target_markup: markup(&variants[1]),
            }
        })
        .collect();
    let expected = format!("{n} units read, {n} written, 0 skipped", n = units.len());
    assert!(report.contains(&expected), "{report}");
    units
}

fn find<'u>(units: &'u [ReadUnit], source: &str) -> &'u ReadUnit {
    let found: Vec<&ReadUnit> = units.iter().filter(|u| u.source == source).collect();
    assert_eq!(
        found.len(),
        1,
        "one unit with source {source:?} in {units:#?}"
    );
    found[0]
}

fn xmllint_valid(tmx: &Path) {
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(shared("data/tmx/tmx14.dtd"))
        .arg(tmx)
        .output()
        .expect("xmllint (libxml2-utils) is needed");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
}

#[test]
fn omegat_translates_from_bitext_tmx_and_bitext_reads_omegat_tmx() {
    let jar = omegat_jar();
    let dir = tempdir();
    let samples = Samples::load();
    let source = source_txt(&samples);

    // 1. bitext writes the memories: the seed article aligned by `bitext align
    //    --format tmx` (its beads are the gold ones: tests/cli_align.rs), and the tagged
    //    units (JSON Lines with TMX markup, through `bitext convert`).
    let first = Project::create(&dir.path().join("first"), &source);
    let aligned = bitext()
        .args([
            "align",
            "samples/en.txt",
            "samples/ru.txt",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
        ])
        .args(["--format", "tmx", "-o"])
        .arg(first.path("tm/auto/aligned.tmx"))
        .output()
        .unwrap();
    assert!(
        aligned.status.success(),
        "{}",
        String::from_utf8_lossy(&aligned.stderr)
    );
    let tmx = first.read("tm/auto/aligned.tmx");
    assert_eq!(
        tmx.matches("<tu>").count(),
        25,
        "one unit per bead with both sides"
    );
    // The same pairs written from the gold alignment by `bitext convert` give the same
    // texts: the aligner's TMX is what a hand-checked memory would be.
    let pairs = dir.path().join("pairs.tsv");
    fs::write(&pairs, samples.pairs_tsv()).unwrap();
    let gold_tmx = dir.path().join("gold.tmx");
    let report = convert(&pairs, &gold_tmx, &["--src-lang", "en", "--tgt-lang", "ru"]);
    assert!(report.contains("25 units read, 25 written"), "{report}");
    assert_eq!(segs(&tmx), segs(&fs::read_to_string(&gold_tmx).unwrap()));
    convert(
        &data("tagged.jsonl"),
        &first.path("tm/auto/tagged.tmx"),
        &[],
    );

    // 2. OmegaT translates with them.
    let log = first.translate(&jar);
    assert!(log.contains("Created by: bitext"), "{log}");

    // Every sentence with a translation of its own got it, the rest kept their
    // English text; the layout (blank lines, the NBSP-only lines, no final newline)
    // is untouched.
    let target_txt = first.read("target/doc.txt");
    let expected = expected_target_txt(&samples, &source);
    assert_eq!(target_txt, expected);
    let translations = samples.sentence_translations();
    assert_eq!(translations.len(), 23); // 21 1-1 beads and 2 1-2 beads
    let untranslated: Vec<&str> = samples
        .en
        .iter()
        .filter(|s| target_txt.contains(s.as_str()))
        .map(String::as_str)
        .collect();
    // The two sentences of each 2-1 bead, which only exist joined in the TMX.
    assert_eq!(untranslated.len(), 4, "{untranslated:#?}");
    assert!(target_txt.contains("По материалам ТАСС"));

    // The tagged units matched the HTML segments: the tags are where the Russian
    // puts them, and the title (not in any memory) stays English.
    let target_html = first.read("target/doc.html");
    assert_eq!(html_body(&target_html), EXPECTED_HTML_BODY);
    assert!(target_html.contains("<title>CSTO</title>"), "{target_html}");

    // 3. bitext reads what OmegaT wrote. One unit per translated segment (a default
    //    translation belongs to the source text): 22 from doc.txt and the 4 tagged
    //    HTML segments ("Based on materials from TASS" is in both files).
    let exports = [
        "omegat/project_save.tmx",
        "csto-omegat.tmx",
        "csto-level1.tmx",
        "csto-level2.tmx",
    ];
    let mut read = HashMap::new();
    for name in exports {
        let units = read_back(&first.path(name), dir.path());
        assert_eq!(units.len(), 26, "{name}: {units:#?}");
        // The plain sentences come back as they went in. (In level 1 and level 2,
        // whose text has no tags, two of the tagged HTML segments read the same as
        // their doc.txt sentence, with the same translation.)
        for (en, ru) in &translations {
            if source.contains(en) {
                let targets: Vec<&str> = units
                    .iter()
                    .filter(|u| u.source == *en)
                    .map(|u| u.target.as_str())
                    .collect();
                assert!(!targets.is_empty(), "{name}: no unit for {en:?}");
                assert!(
                    targets.iter().all(|t| t == ru),
                    "{name}: {en:?} → {targets:?}"
                );
            }
        }
        read.insert(name, units);
    }
    let header = bitext::formats::open(
        &first.path("csto-omegat.tmx"),
        &bitext::formats::ReadOptions::default(),
    )
    .unwrap();
    let header = header.tmx_header().unwrap();
    assert_eq!(header.creation_tool.as_deref(), Some("OmegaT"));
    assert_eq!(header.version.as_deref(), Some("1.1"));

    // How each file carries the tags of "<b>President Ashraf Ghani</b> resigned…":
    // project_save.tmx and -omegat.tmx as OmegaT's own tags in the text (TMX 1.1,
    // `lang`), level 1 without tags, level 2 as TMX inline codes holding OmegaT's tags.
    let ghani = "President Ashraf Ghani resigned as head of state and left the country.";
    let ghani_ru =
        "Президент Ашраф Гани сложил с себя полномочия главы государства и покинул страну.";
    for name in ["omegat/project_save.tmx", "csto-omegat.tmx"] {
        let unit = find(
            &read[name],
            "<b0>President Ashraf Ghani</b0> resigned as head of state and left the country.",
        );
        assert_eq!(
            unit.target,
            "<b0>Президент Ашраф Гани</b0> сложил с себя полномочия главы государства и покинул страну."
        );
        assert_eq!(unit.source_markup, None);
    }
    let level1: Vec<&ReadUnit> = read["csto-level1.tmx"]
        .iter()
        .filter(|u| u.source == ghani)
        .collect();
    // The doc.txt sentence and the tagged HTML one, now with the same text.
    assert_eq!(level1.len(), 2);
    assert!(level1
        .iter()
        .all(|u| u.target == ghani_ru && u.source_markup.is_none()));
    let level2: Vec<&ReadUnit> = read["csto-level2.tmx"]
        .iter()
        .filter(|u| u.source == ghani)
        .collect();
    assert_eq!(level2.len(), 2);
    let tagged = level2
        .iter()
        .find(|u| u.source_markup.is_some())
        .expect("the tagged unit keeps its markup");
    assert_eq!(
        tagged.source_markup.as_deref(),
        Some(
            r#"<bpt i="0" x="0">&lt;b0&gt;</bpt>President Ashraf Ghani<ept i="0">&lt;/b0&gt;</ept> resigned as head of state and left the country."#
        )
    );
    assert_eq!(
        tagged.target_markup.as_deref(),
        Some(
            r#"<bpt i="0" x="0">&lt;b0&gt;</bpt>Президент Ашраф Гани<ept i="0">&lt;/b0&gt;</ept> сложил с себя полномочия главы государства и покинул страну."#
        )
    );
    assert_eq!(tagged.target, ghani_ru);
    let photo = read["csto-level2.tmx"]
        .iter()
        .find(|u| {
            u.source_markup
                .as_deref()
                .is_some_and(|m| m.contains("Photo:"))
        })
        .expect("the Photo segment");
    assert_eq!(
        photo.source_markup.as_deref(),
        Some(
            r#"Photo: <it pos="begin" x="0">&lt;i0&gt;</it> official website of the President of the Russian Federation"#
        )
    );

    // 4. bitext writes OmegaT's level-2 inline codes back exactly: the same <seg>s,
    //    in a valid TMX 1.4b file.
    let level2_copy = dir.path().join("level2-via-bitext.tmx");
    convert(&first.path("csto-level2.tmx"), &level2_copy, &[]);
    xmllint_valid(&level2_copy);
    assert_eq!(
        segs(&fs::read_to_string(&level2_copy).unwrap()),
        segs(&first.read("csto-level2.tmx"))
    );

    // 5. And back into OmegaT: its project memory, through bitext (TMX 1.4b, valid), is
    //    a memory OmegaT translates a fresh copy of the project from, tags and all.
    //    (Not the level-2 export: see docs/omegat.md on OmegaT 3.6 and `x`.)
    let second = Project::create(&dir.path().join("second"), &source);
    let via_bitext = second.path("tm/auto/from-omegat.tmx");
    convert(&first.path("omegat/project_save.tmx"), &via_bitext, &[]);
    xmllint_valid(&via_bitext);
    let written = fs::read_to_string(&via_bitext).unwrap();
    assert!(
        written.contains(
            "<seg>&lt;b0&gt;President Ashraf Ghani&lt;/b0&gt; resigned as head of state and left the country.</seg>"
        ),
        "{written}"
    );
    second.translate(&jar);
    assert_eq!(second.read("target/doc.txt"), target_txt);
    assert_eq!(second.read("target/doc.html"), target_html);
}

/// The `<seg>` elements of a TMX file as written, sorted.
fn segs(tmx: &str) -> Vec<&str> {
    let mut segs: Vec<&str> = tmx
        .match_indices("<seg>")
        .map(|(at, _)| {
            let end = tmx[at..].find("</seg>").expect("</seg>") + "</seg>".len();
            &tmx[at..at + end]
        })
        .collect();
    segs.sort_unstable();
    segs
}
