//! A document to align: its sentences, with paragraph numbers when known.

use std::path::Path;

use super::Sentence;
use crate::error::Result;
use crate::text::Span;

/// The sentences of one side of a document pair, owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    sentences: Vec<String>,
    paragraphs: Vec<usize>,
    has_paragraphs: bool,
}

impl Document {
    /// One sentence a line; blank lines separate paragraphs (as `bitext segment`
    /// writes them) and are not sentences. Paragraphs are only reported if there is
    /// at least one blank line between sentences.
    pub fn from_lines(text: &str) -> Document {
        let mut doc = Document::default();
        let mut paragraph = 0;
        let mut blank_before = false;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                blank_before = true;
                continue;
            }
            if blank_before && !doc.sentences.is_empty() {
                paragraph += 1;
                doc.has_paragraphs = true;
            }
            blank_before = false;
            doc.sentences.push(line.trim().to_string());
            doc.paragraphs.push(paragraph);
        }
        doc
    }

    /// Sentences given as byte spans of `text` with their paragraph numbers (what the
    /// segmenter returns). Line breaks inside a sentence become spaces.
    pub fn from_spans(text: &str, spans: impl IntoIterator<Item = (Span, usize)>) -> Document {
        let mut doc = Document::default();
        for (span, paragraph) in spans {
            let s = span.slice(text);
            let s: String = s
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .collect();
            if doc.paragraphs.last().is_some_and(|&p| p != paragraph) {
                doc.has_paragraphs = true;
            }
            doc.sentences.push(s);
            doc.paragraphs.push(paragraph);
        }
        doc
    }

    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    /// True if there are no sentences.
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// Sentence `i`.
    pub fn sentence(&self, i: usize) -> &str {
        &self.sentences[i]
    }

    /// The sentences `range` as one text: joined by a space, except between two
    /// sentences of Chinese or Japanese, which follow each other without one.
    pub fn joined(&self, range: &std::ops::Range<usize>) -> String {
        let mut out = String::new();
        for s in &self.sentences[range.clone()] {
            let glue = match (out.chars().last(), s.chars().next()) {
                (Some(a), Some(b)) => {
                    !(crate::text::joins_without_space(a) && crate::text::joins_without_space(b))
                }
                _ => false,
            };
            if glue {
                out.push(' ');
            }
            out.push_str(s);
        }
        out
    }

    /// The sentences as aligner input (with paragraphs if the document has more than
    /// one).
    pub fn sentences(&self) -> Vec<Sentence<'_>> {
        self.sentences
            .iter()
            .zip(&self.paragraphs)
            .map(|(s, &p)| Sentence {
                text: s,
                paragraph: self.has_paragraphs.then_some(p),
            })
            .collect()
    }
}

/// Decodes a text file's bytes: UTF-8 (BOM optional) or UTF-16 with a BOM (see
/// [`text::input`](crate::text::input)). Invalid text or a NUL byte is an error
/// naming the line and column.
pub fn decode_text(bytes: Vec<u8>, path: &Path) -> Result<String> {
    crate::text::input::decode_all(bytes, None, Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_paragraphs() {
        let d = Document::from_lines("A.\nB.\n\n\nC.\n");
        assert_eq!(d.len(), 3);
        let s = d.sentences();
        assert_eq!(s[2].text, "C.");
        assert_eq!(
            s.iter().map(|x| x.paragraph).collect::<Vec<_>>(),
            [Some(0), Some(0), Some(1)]
        );
        let flat = Document::from_lines("A.\nB.\n");
        assert!(flat.sentences().iter().all(|s| s.paragraph.is_none()));
    }

    #[test]
    fn joining_puts_spaces_only_where_the_script_has_them() {
        let d = Document::from_lines("A.\nB.\n今日は晴れ。\n明日も。\n");
        assert_eq!(d.joined(&(0..2)), "A. B.");
        assert_eq!(d.joined(&(2..4)), "今日は晴れ。明日も。");
        assert_eq!(d.joined(&(1..3)), "B. 今日は晴れ。");
        assert_eq!(d.joined(&(1..1)), "");
    }

    #[test]
    fn decoding() {
        let p = Path::new("x.txt");
        assert_eq!(decode_text(b"\xEF\xBB\xBFhi".to_vec(), p).unwrap(), "hi");
        assert_eq!(
            decode_text(vec![0xFF, 0xFE, b'h', 0, b'i', 0], p).unwrap(),
            "hi"
        );
        let err = decode_text(b"ok\nbad \xFF".to_vec(), p).unwrap_err();
        assert!(err.to_string().starts_with("x.txt:2:5"), "{err}");
    }
}
