//! SRX rules through the library: the three real rule files in ../shared/data/srx
//! (LanguageTool, OmegaT, Okapi) load completely, and segmenting with them keeps the
//! segmenter's guarantees (lossless, trimmed spans, paragraphs, streaming).

use std::sync::OnceLock;

use bitext::segment::{Segmenter, SrxRules, SrxStats};
use bitext::text::LangTag;
use proptest::prelude::*;

use crate::util::{repo, shared};

fn load(name: &str) -> SrxRules {
    let path = shared(&format!("data/srx/{name}"));
    // Strict loading: any pattern that does not compile is an error listing it.
    SrxRules::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn languagetool() -> &'static SrxRules {
    static RULES: OnceLock<SrxRules> = OnceLock::new();
    RULES.get_or_init(|| load("languagetool_segment.srx"))
}

fn lang(tag: &str) -> LangTag {
    LangTag::parse(tag).unwrap()
}

/// Every rule of the three files compiles, after translating the Java idioms (`\h`,
/// `\v`, `\Q…\E`, lenient ranges such as `[\d-–]`); the counts are those of the
/// files (`grep -c '<rule '`, non-empty `beforebreak`/`afterbreak` patterns plus the
/// `languagepattern`s), and the look-around patterns go to the backtracking engine.
#[test]
fn every_rule_of_the_real_files_compiles() {
    let expected = [
        (
            "languagetool_segment.srx",
            SrxStats {
                language_rules: 32,
                language_maps: 36,
                rules: 1549,
                patterns: 1998 + 36,
                backtracking: 12,
            },
        ),
        (
            "omegat_defaultRules.srx",
            SrxStats {
                language_rules: 18,
                language_maps: 18,
                rules: 2772,
                patterns: 5544 + 18,
                backtracking: 0,
            },
        ),
        (
            "okapi_defaultSegmentation.srx",
            SrxStats {
                language_rules: 3,
                language_maps: 3,
                rules: 10,
                patterns: 18 + 3,
                backtracking: 0,
            },
        ),
    ];
    for (file, stats) in expected {
        let path = shared(&format!("data/srx/{file}"));
        let (rules, problems) = SrxRules::load_skipping_invalid(&path).unwrap();
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        assert_eq!(rules.stats(), stats, "{file}");
        assert_eq!(rules.version(), "2.0");
    }
}

#[test]
fn headers_and_maps_of_the_real_files() {
    let lt = languagetool();
    assert!(lt.header().cascade);
    assert!(lt.header().segment_subflows);
    assert_eq!(lt.header().format_handles.len(), 3);
    assert_eq!(
        lt.rules_for(&lang("pl")),
        ["GeneralImportant", "Polish", "Default"]
    );
    // Languages LanguageTool has no rules for get only the generic ones, which break
    // at no full stop: their UD F1 is 0 (docs/srx.md).
    for tag in ["hy", "bg", "zh", "mr", "ur"] {
        assert_eq!(
            lt.rules_for(&lang(tag)),
            ["GeneralImportant", "Default"],
            "{tag}"
        );
    }
    let omegat = load("omegat_defaultRules.srx");
    // OmegaT writes upper-case patterns (EN.*); language tags ignore case.
    assert_eq!(
        omegat.rules_for(&lang("en-GB")),
        ["English", "Default", "Text", "HTML"]
    );
    let okapi = load("okapi_defaultSegmentation.srx");
    assert!(!okapi.header().cascade);
    assert_eq!(okapi.rules_for(&lang("th")), ["Thai"]);
    assert_eq!(okapi.rules_for(&lang("km")), ["Khmer"]);
    assert_eq!(okapi.rules_for(&lang("en")), ["Default"]);
}

fn sentences(segmenter: &Segmenter, text: &str) -> Vec<String> {
    segmenter
        .segment(text)
        .iter()
        .map(|s| s.span.slice(text).to_string())
        .collect()
}

#[test]
fn languagetool_rules_segment_like_languagetool() {
    let en = Segmenter::builder(&lang("en"))
        .srx(languagetool().clone())
        .build();
    assert_eq!(
        sentences(&en, "Mr. Smith arrived at 5 p.m. on Monday. He left!"),
        ["Mr. Smith arrived at 5 p.m. on Monday.", "He left!"]
    );
    let pl = Segmenter::builder(&lang("pl"))
        .srx(languagetool().clone())
        .build();
    assert_eq!(
        sentences(&pl, "Spotkał prof. Nowaka, tj. kolegę. Potem wyszedł."),
        ["Spotkał prof. Nowaka, tj. kolegę.", "Potem wyszedł."]
    );
    // Ukrainian rules use look-around (fancy-regex): "р." not after a number is
    // "river" (no break before the name), after a number it is "year" (a break).
    let uk = Segmenter::builder(&lang("uk"))
        .srx(languagetool().clone())
        .build();
    assert_eq!(
        sentences(
            &uk,
            "Місто стоїть на р. Дніпро. Це було у 2001 р. Він пішов."
        ),
        [
            "Місто стоїть на р. Дніпро.",
            "Це було у 2001 р.",
            "Він пішов."
        ]
    );
}

#[test]
fn paragraphs_and_streaming_are_kept() {
    let de = Segmenter::builder(&lang("de"))
        .srx_file(&repo("tests/data/srx/demo.srx"))
        .unwrap()
        .build();
    let text = "Titel ohne Punkt\n\nWir treffen uns am 3. Mai, z. B. um 9 Uhr. Gut!\nZweite\nZeile.\n\n\nEnde.\n";
    let got: Vec<(String, usize)> = de
        .segment(text)
        .iter()
        .map(|s| (s.span.slice(text).to_string(), s.paragraph))
        .collect();
    assert_eq!(
        got,
        [
            ("Titel ohne Punkt".to_string(), 0),
            ("Wir treffen uns am 3. Mai, z. B. um 9 Uhr.".to_string(), 1),
            ("Gut!".to_string(), 1),
            ("Zweite\nZeile.".to_string(), 1),
            ("Ende.".to_string(), 2),
        ]
    );
    let streamed: Vec<_> = de
        .stream(text.as_bytes())
        .map(|s| {
            let s = s.unwrap();
            (s.text, s.paragraph)
        })
        .collect();
    assert_eq!(got, streamed);
}

/// Checks the segmenter's guarantees: spans in order, non-empty, trimmed, on char
/// boundaries, every non-whitespace character covered exactly once.
fn assert_lossless(segmenter: &Segmenter, text: &str) {
    let mut covered = vec![false; text.len()];
    let mut last_end = 0;
    let mut last_paragraph = 0;
    for s in segmenter.segment(text) {
        let (a, b) = (s.span.start, s.span.end);
        assert!(a >= last_end && b > a, "bad span {a}..{b} in {text:?}");
        assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
        let slice = &text[a..b];
        assert_eq!(slice.trim(), slice, "untrimmed {slice:?}");
        assert!(s.paragraph >= last_paragraph);
        last_paragraph = s.paragraph;
        covered[a..b].iter_mut().for_each(|c| *c = true);
        last_end = b;
    }
    for (i, c) in text.char_indices() {
        assert!(
            c.is_whitespace() || covered[i],
            "{c:?} at {i} lost in {text:?}"
        );
    }
}

const LANGS: &[&str] = &["en", "pl", "uk", "de", "ru", "el", "ja", "ar", "fa", "xx"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn srx_segmentation_is_lossless_on_arbitrary_text(
        text in "\\PC{0,160}",
        l in 0..LANGS.len(),
    ) {
        let s = Segmenter::builder(&lang(LANGS[l])).srx(languagetool().clone()).build();
        assert_lossless(&s, &text);
    }

    #[test]
    fn srx_segmentation_is_lossless_on_punctuation_heavy_text(
        text in "([a-zA-Zа-яА-ЯіїєІЇЄ0-9 \\n\\u{A0}\\u{202F}]|[.!?;:…。！？»«”“\"'()\\[\\]-]|р\\.|z\\. B\\.|Mr\\.){0,80}",
        l in 0..LANGS.len(),
    ) {
        let s = Segmenter::builder(&lang(LANGS[l])).srx(languagetool().clone()).build();
        assert_lossless(&s, &text);
    }
}

/// The SRX file the fuzz target (fuzz/fuzz_targets/srx.rs) makes of a pattern: the
/// pattern as an exception's beforebreak, a break rule's afterbreak, a break rule's
/// beforebreak and a languagepattern.
fn srx_of_pattern(pattern: &str) -> String {
    let p = pattern
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        r#"<srx version="2.0"><header cascade="yes"/><body><languagerules>
<languagerule languagerulename="A">
<rule break="no"><beforebreak>{p}</beforebreak><afterbreak>\s</afterbreak></rule>
<rule><beforebreak>[.!?]</beforebreak><afterbreak>{p}</afterbreak></rule>
<rule><beforebreak>{p}</beforebreak></rule>
</languagerule></languagerules>
<maprules><languagemap languagepattern="{p}" languagerulename="A"/>
<languagemap languagepattern=".*" languagerulename="A"/></maprules></body></srx>"#
    )
}

/// A fuzzing find, rebuilt without the rule file it came from: a back-reference to a
/// group of a thousand alternatives (LanguageTool's English abbreviation list, mutated)
/// made every position cost a full backtracking search. Bounded now by the step limit.
#[test]
fn backtracking_patterns_stay_bounded() {
    let words: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "{}{}",
                ["Ab", "Ac", "Bo", "Cr", "De"][i % 5],
                "x".repeat(i % 7 + 1)
            )
        })
        .collect();
    let pattern = format!(r"\b(a(?:{})|A)(\.)<<\2}}.\s", words.join("|"));
    let srx = srx_of_pattern(&pattern);
    let (rules, _) =
        SrxRules::from_bytes(srx.as_bytes(), None, bitext::segment::InvalidRules::Skip).unwrap();
    let text = format!("{pattern} {pattern}. Next. And so on.");
    for tag in ["en", "xx"] {
        let s = Segmenter::builder(&lang(tag)).srx(rules.clone()).build();
        assert_lossless(&s, &text);
    }
}

/// Fuzzing regressions: inputs that once took too long (a 2.5 KB pattern with a
/// back-reference, tried by the backtracking engine at every position of itself).
#[test]
fn fuzz_regressions() {
    let dir = repo("tests/data/srx/fuzz");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for path in names {
        let data = std::fs::read(&path).unwrap();
        let (srx, text) = match data.strip_prefix(b"P") {
            Some(p) => {
                let p = String::from_utf8_lossy(p).into_owned();
                (srx_of_pattern(&p).into_bytes(), p)
            }
            None => (data.clone(), String::from_utf8_lossy(&data).into_owned()),
        };
        let Ok((rules, _)) = SrxRules::from_bytes(&srx, None, bitext::segment::InvalidRules::Skip)
        else {
            continue;
        };
        for tag in ["en", "uk", "xx"] {
            let s = Segmenter::builder(&lang(tag)).srx(rules.clone()).build();
            assert_lossless(&s, &text);
        }
    }
}
