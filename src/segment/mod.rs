//! Sentence segmentation in many languages and scripts.
//!
//! A [`Segmenter`] splits text into sentences without losing a character: every
//! [`Sentence`] is a byte [`Span`] of the input, the spans are in order, and together
//! they cover every non-whitespace character exactly once. Paragraphs (text between
//! blank lines) never share a sentence, and each sentence knows its paragraph.
//!
//! The boundaries are those of UAX #29 (terminal punctuation of every script), refined
//! by language rules: abbreviations, initials, ordinals, ellipses, quotations, lists,
//! headings, and the conventions of scripts such as CJK (no space after `。`), Armenian
//! (`:` as full stop) or Greek (`;` as question mark). Languages without rules of their
//! own get the generic set.
//!
//! ```
//! use bitext::segment::Segmenter;
//! use bitext::text::LangTag;
//!
//! let de = Segmenter::new(&LangTag::parse("de").unwrap());
//! let text = "Wir treffen uns am 15. August im 6. Stock, z. B. um 9 Uhr. Kommst du?";
//! let sentences: Vec<&str> = de.segment(text).iter().map(|s| s.span.slice(text)).collect();
//! assert_eq!(sentences, ["Wir treffen uns am 15. August im 6. Stock, z. B. um 9 Uhr.", "Kommst du?"]);
//! ```

mod chars;
mod reader;
mod regex;
pub mod rules;
mod split;
pub mod srx;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

pub use reader::{OwnedSentence, SentenceStream};
pub use rules::AbbreviationKind;
pub use srx::{InvalidRules, RuleProblem, SrxRules, SrxStats};

use crate::error::{Error, Result};
use crate::text::{LangTag, Span};
use rules::LangRules;

/// One sentence of a segmented text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sentence {
    /// Its bytes in the input (no leading or trailing whitespace).
    pub span: Span,
    /// Index of its paragraph (0-based; paragraphs are separated by blank lines).
    pub paragraph: usize,
}

/// Splits text into sentences for one language. Cheap to clone; share it across
/// threads freely.
#[derive(Debug, Clone)]
pub struct Segmenter {
    lang: LangTag,
    rules: Arc<LangRules>,
    /// SRX rules, which replace the built-in ones when set.
    srx: Option<Arc<srx::SrxEngine>>,
}

impl Segmenter {
    /// A segmenter with the built-in rules for `lang` (its primary subtag decides:
    /// `de-AT` uses the German rules). Unknown languages get the generic rules.
    pub fn new(lang: &LangTag) -> Segmenter {
        Segmenter {
            lang: lang.clone(),
            rules: rules::builtin(lang.primary()),
            srx: None,
        }
    }

    /// A builder, to add abbreviations to the built-in rules or to use SRX rules.
    pub fn builder(lang: &LangTag) -> SegmenterBuilder {
        SegmenterBuilder {
            lang: lang.clone(),
            extra: Vec::new(),
            srx: None,
        }
    }

    /// The language this segmenter is for.
    pub fn lang(&self) -> &LangTag {
        &self.lang
    }

    /// Segments a whole text held in memory. For large files use [`Segmenter::stream`].
    pub fn segment(&self, text: &str) -> Vec<Sentence> {
        let mut out = Vec::new();
        self.segment_into(text, 0, &mut out);
        out
    }

    /// Segments `text`, numbering its paragraphs from `first_paragraph`, and appends the
    /// sentences to `out`. Returns the number of paragraphs that had any text.
    pub fn segment_into(
        &self,
        text: &str,
        first_paragraph: usize,
        out: &mut Vec<Sentence>,
    ) -> usize {
        let mut paragraph = first_paragraph;
        for (start, end) in paragraphs(text) {
            let before = out.len();
            self.split_paragraph_with(&text[start..end], &mut |span: Span| {
                out.push(Sentence {
                    span: span.shifted(start),
                    paragraph,
                })
            });
            if out.len() > before {
                paragraph += 1;
            }
        }
        paragraph - first_paragraph
    }

    /// Segments text read from `reader` paragraph by paragraph, so a file of any size
    /// is never held in memory whole. UTF-8 (with or without BOM) and UTF-16 with BOM
    /// are accepted; spans are byte offsets into the input as UTF-8.
    pub fn stream<R: Read>(&self, reader: R) -> SentenceStream<R> {
        SentenceStream::new(self.clone(), reader)
    }

    pub(crate) fn split_paragraph(&self, paragraph: &str, out: &mut Vec<Span>) {
        self.split_paragraph_with(paragraph, &mut |span| out.push(span));
    }

    fn split_paragraph_with(&self, paragraph: &str, out: &mut dyn FnMut(Span)) {
        match &self.srx {
            Some(engine) => engine.split_paragraph(paragraph, out),
            None => split::split_paragraph(&self.rules, paragraph, out),
        }
    }
}

/// Builds a [`Segmenter`] with extra abbreviations, or with SRX rules.
#[derive(Debug, Clone)]
pub struct SegmenterBuilder {
    lang: LangTag,
    extra: Vec<(String, AbbreviationKind)>,
    srx: Option<SrxRules>,
}

impl SegmenterBuilder {
    /// Adds one abbreviation (with or without its final period; `z. B.` and `z.B.`
    /// are the same).
    pub fn abbreviation(mut self, word: &str, kind: AbbreviationKind) -> SegmenterBuilder {
        self.extra.push((word.to_string(), kind));
        self
    }

    /// Adds the abbreviations listed in a file: one or more a line, `#` starts a
    /// comment. Without a section header they never end a sentence; the sections of
    /// the built-in rule files (`[prefix]`, `[inner]`, `[numeric]`, `[final]`) say
    /// otherwise.
    pub fn abbreviations_file(self, path: &Path) -> Result<SegmenterBuilder> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
        let text = crate::text::input::decode_all(bytes, None, Some(path))?;
        self.abbreviations_text(&text, &path.display().to_string())
    }

    /// Like [`SegmenterBuilder::abbreviations_file`], from text; `origin` names it in errors.
    pub fn abbreviations_text(mut self, text: &str, origin: &str) -> Result<SegmenterBuilder> {
        let mut kind = AbbreviationKind::Inner;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                kind = match name.trim() {
                    "prefix" => AbbreviationKind::Prefix,
                    "inner" => AbbreviationKind::Inner,
                    "numeric" => AbbreviationKind::Numeric,
                    "final" => AbbreviationKind::Final,
                    "time" => AbbreviationKind::Time,
                    other => {
                        let loc = crate::error::Location::file(origin).with_line(n as u64 + 1);
                        return Err(Error::syntax(
                            format!("unknown section [{other}] (expected prefix, inner, numeric or final)"),
                            loc,
                        ));
                    }
                };
                continue;
            }
            self.extra
                .extend(line.split_whitespace().map(|w| (w.to_string(), kind)));
        }
        Ok(self)
    }

    /// Segments with the rules of an SRX file instead of the built-in rules (see
    /// [`srx`]); abbreviations added to the builder do not apply to them.
    pub fn srx(mut self, rules: SrxRules) -> SegmenterBuilder {
        self.srx = Some(rules);
        self
    }

    /// Loads an SRX file ([`SrxRules::load`]) and segments with its rules.
    pub fn srx_file(self, path: &Path) -> Result<SegmenterBuilder> {
        Ok(self.srx(SrxRules::load(path)?))
    }

    /// The segmenter.
    pub fn build(self) -> Segmenter {
        if let Some(srx) = &self.srx {
            return Segmenter {
                srx: Some(Arc::new(srx.engine(&self.lang))),
                ..Segmenter::new(&self.lang)
            };
        }
        if self.extra.is_empty() {
            return Segmenter::new(&self.lang);
        }
        let mut rules = rules::builtin_owned(self.lang.primary());
        for (word, kind) in &self.extra {
            rules.add_abbreviation(word, *kind);
        }
        Segmenter {
            lang: self.lang,
            rules: Arc::new(rules),
            srx: None,
        }
    }
}

/// Byte ranges of the paragraphs of `text`: runs of lines separated by blank lines.
fn paragraphs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        // Skip blank lines.
        loop {
            if pos >= text.len() {
                return None;
            }
            let line_end = text[pos..].find('\n').map_or(text.len(), |p| pos + p + 1);
            if text[pos..line_end].trim().is_empty() {
                pos = line_end;
            } else {
                break;
            }
        }
        let start = pos;
        loop {
            let line_end = text[pos..].find('\n').map_or(text.len(), |p| pos + p + 1);
            if text[pos..line_end].trim().is_empty() {
                break;
            }
            pos = line_end;
            if pos >= text.len() {
                break;
            }
        }
        Some((start, pos))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(lang: &str, text: &str) -> Vec<(String, usize)> {
        let s = Segmenter::new(&LangTag::parse(lang).unwrap());
        s.segment(text)
            .iter()
            .map(|x| (x.span.slice(text).to_string(), x.paragraph))
            .collect()
    }

    #[test]
    fn blank_lines_end_sentences_and_number_paragraphs() {
        let got = seg(
            "en",
            "Title without stop\n\nFirst sentence. Second one\n \ncontinues here.",
        );
        assert_eq!(
            got,
            [
                ("Title without stop".to_string(), 0),
                ("First sentence.".to_string(), 1),
                ("Second one".to_string(), 1),
                ("continues here.".to_string(), 2)
            ]
        );
    }

    #[test]
    fn user_abbreviations() {
        let lang = LangTag::parse("en").unwrap();
        let text = "See Abs. Three for details.";
        assert_eq!(Segmenter::new(&lang).segment(text).len(), 2);
        let custom = Segmenter::builder(&lang)
            .abbreviations_text("Abs.\n", "test")
            .unwrap()
            .build();
        assert_eq!(custom.segment(text).len(), 1);
    }

    /// Checks the lossless property: spans are in order, do not overlap, start and end
    /// on non-whitespace, and cover every non-whitespace character.
    fn assert_lossless(lang: &str, text: &str) {
        let s = Segmenter::new(&LangTag::parse(lang).unwrap());
        let sentences = s.segment(text);
        let mut covered = vec![false; text.len()];
        let mut last_end = 0;
        let mut last_para = 0;
        for sent in &sentences {
            let span = sent.span;
            assert!(
                span.start >= last_end,
                "overlap or disorder at {span:?} in {text:?}"
            );
            assert!(span.end > span.start, "empty span in {text:?}");
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            let slice = span.slice(text);
            assert_eq!(slice.trim(), slice, "untrimmed span {slice:?}");
            assert!(sent.paragraph >= last_para);
            last_para = sent.paragraph;
            covered[span.start..span.end]
                .iter_mut()
                .for_each(|c| *c = true);
            last_end = span.end;
        }
        for (i, c) in text.char_indices() {
            if !c.is_whitespace() {
                assert!(covered[i], "char {c:?} at {i} lost in {text:?}");
            }
        }
    }

    const LANGS: &[&str] = &[
        "en", "de", "fr", "ru", "el", "hy", "ar", "zh", "ja", "hi", "xx",
    ];

    proptest! {
        #![proptest_config(crate::test_support::proptest_cases(2000))]

        #[test]
        fn lossless_on_arbitrary_unicode(text in "\\PC{0,200}", lang in 0..LANGS.len()) {
            assert_lossless(LANGS[lang], &text);
        }

        #[test]
        fn lossless_on_punctuation_heavy_text(
            text in "([a-zA-Zа-яА-Я0-9 \\n]|[.!?;:…。！？؟։»«”“\"'()\\[\\]•-]){0,120}",
            lang in 0..LANGS.len(),
        ) {
            assert_lossless(LANGS[lang], &text);
        }
    }
}
