//! The SRX parser and rule compiler, then segmentation with what was loaded.
//!
//! The first byte chooses the input: `P` makes the rest one Java pattern, put into
//! a rule (as beforebreak, afterbreak and languagepattern) so the regex translation
//! is fuzzed without XML in the way; anything else is a whole SRX file. Whatever
//! loads must segment a text (the rest of the input, and a fixed sample) without
//! panicking, and the spans must keep the segmenter's guarantees.

use bitext::segment::{InvalidRules, Segmenter, SrxRules};
use bitext::text::LangTag;

const SAMPLE: &str = "Mr. Smith met Dr. Jones at 5 p.m. «Yes!» he said… No. 5 is next.\n\
                      Це було у 2001 р. Він пішов. 今日は。ありがとう！ Ἀθῆναι; 3. Mai z. B.\n\n\u{2029}Ende";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn check_segments(rules: &SrxRules, text: &str, langs: &[&str]) {
    for tag in langs {
        let lang = LangTag::parse(tag).unwrap();
        let segmenter = Segmenter::builder(&lang).srx(rules.clone()).build();
        let mut last = 0;
        for s in segmenter.segment(text) {
            assert!(s.span.start >= last && s.span.end > s.span.start);
            let slice = s.span.slice(text);
            assert_eq!(slice.trim(), slice);
            last = s.span.end;
        }
    }
}

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    if let Some(pattern) = data.strip_prefix(b"P") {
        let Ok(pattern) = std::str::from_utf8(pattern) else {
            return;
        };
        let p = escape(pattern);
        let srx = format!(
            r#"<srx version="2.0"><header cascade="yes"/><body><languagerules>
<languagerule languagerulename="A">
<rule break="no"><beforebreak>{p}</beforebreak><afterbreak>\s</afterbreak></rule>
<rule><beforebreak>[.!?]</beforebreak><afterbreak>{p}</afterbreak></rule>
<rule><beforebreak>{p}</beforebreak></rule>
</languagerule></languagerules>
<maprules><languagemap languagepattern="{p}" languagerulename="A"/>
<languagemap languagepattern=".*" languagerulename="A"/></maprules></body></srx>"#
        );
        if let Ok((rules, _)) = SrxRules::from_bytes(srx.as_bytes(), None, InvalidRules::Skip) {
            check_segments(&rules, SAMPLE, &["en", "xx"]);
            check_segments(&rules, pattern, &["en"]);
        }
        return;
    }
    if let Ok((rules, _)) = SrxRules::from_bytes(data, None, InvalidRules::Skip) {
        let langs = ["en", "uk", "de-AT", "ja", "xx"];
        check_segments(&rules, SAMPLE, &langs);
        check_segments(&rules, &String::from_utf8_lossy(data), &langs);
    }
}
