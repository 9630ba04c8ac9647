//! Streaming segmentation: reads a text paragraph by paragraph, so memory stays
//! bounded by the longest paragraph, not the file.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use serde::Serialize;

use super::Segmenter;
use crate::error::{Error, Location, Result};
use crate::text::input::{self, Charset, Decoded, Head, TextInput};
use crate::text::Span;

/// A sentence with its own text, as produced by [`SentenceStream`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnedSentence {
    /// The sentence.
    pub text: String,
    /// Its bytes in the input (as UTF-8).
    pub span: Span,
    /// Index of its paragraph.
    pub paragraph: usize,
}

/// An iterator over the sentences of a stream; see [`Segmenter::stream`].
pub struct SentenceStream<R: Read> {
    segmenter: Segmenter,
    /// The reader before its first bytes were looked at.
    raw: Option<R>,
    input: Option<Input<R>>,
    /// Bytes of (UTF-8) input consumed so far.
    offset: usize,
    /// 1-based number of the next line to read.
    line: u64,
    paragraph: usize,
    para: String,
    para_start: usize,
    pending: VecDeque<OwnedSentence>,
    spans: Vec<Span>,
    line_buf: Vec<u8>,
}

/// The input as checked UTF-8 (see [`text::input`](crate::text::input)).
type Input<R> = TextInput<Decoded<Head<R>>>;

impl<R: Read> SentenceStream<R> {
    pub(crate) fn new(segmenter: Segmenter, reader: R) -> SentenceStream<R> {
        SentenceStream {
            segmenter,
            raw: Some(reader),
            input: None,
            offset: 0,
            line: 1,
            paragraph: 0,
            para: String::new(),
            para_start: 0,
            pending: VecDeque::new(),
            spans: Vec::new(),
            line_buf: Vec::new(),
        }
    }

    /// Looks at the first bytes: a UTF-16 byte-order mark switches to transcoding, a
    /// UTF-8 one is skipped (and counted in the offsets); UTF-16 without a mark is
    /// refused.
    fn sniff(&mut self) -> Result<()> {
        let Some(raw) = self.raw.take() else {
            return Ok(());
        };
        let (prefix, head) = input::peek(raw, 4)?;
        let encoding = input::text_encoding(&prefix, None)?;
        if input::sniff_bom(&prefix) == Some((encoding_rs::UTF_8, 3)) {
            self.offset = 3;
        }
        self.input = Some(TextInput::new(
            input::decoded(&prefix, head, encoding),
            Charset::Text,
        ));
        Ok(())
    }

    /// Reads until at least one sentence is pending or the input ends.
    fn fill(&mut self) -> Result<()> {
        if self.raw.is_some() {
            self.sniff()?;
        }
        while self.pending.is_empty() {
            let Some(reader) = self.input.as_mut() else {
                return Ok(());
            };
            self.line_buf.clear();
            let n = reader
                .read_until(b'\n', &mut self.line_buf)
                .map_err(|e| input::io_error(e, None))?;
            if n == 0 {
                self.input = None;
                self.flush();
                return Ok(());
            }
            // Checked by the input: whole lines of valid UTF-8.
            let line = std::str::from_utf8(&self.line_buf)
                .map_err(|e| Error::encoding(e.to_string(), Location::line(self.line)))?;
            let blank = line.trim().is_empty();
            if blank {
                self.flush();
            } else {
                if self.para.is_empty() {
                    self.para_start = self.offset;
                }
                self.para.push_str(line);
            }
            self.offset += n;
            self.line += 1;
        }
        Ok(())
    }

    fn flush(&mut self) {
        if self.para.is_empty() {
            return;
        }
        self.spans.clear();
        self.segmenter.split_paragraph(&self.para, &mut self.spans);
        if !self.spans.is_empty() {
            for span in &self.spans {
                self.pending.push_back(OwnedSentence {
                    text: span.slice(&self.para).to_string(),
                    span: span.shifted(self.para_start),
                    paragraph: self.paragraph,
                });
            }
            self.paragraph += 1;
        }
        self.para.clear();
    }
}

impl<R: Read> Iterator for SentenceStream<R> {
    type Item = Result<OwnedSentence>;

    fn next(&mut self) -> Option<Result<OwnedSentence>> {
        if self.pending.is_empty() {
            if let Err(e) = self.fill() {
                self.input = None;
                self.para.clear();
                return Some(Err(e));
            }
        }
        self.pending.pop_front().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LangTag;

    fn stream(bytes: &[u8]) -> Vec<Result<OwnedSentence>> {
        let seg = Segmenter::new(&LangTag::parse("en").unwrap());
        seg.stream(bytes).collect()
    }

    #[test]
    fn matches_in_memory_segmentation() {
        let text = "Heading\n\nOne. Two three.\nFour five six seven.\n\n\nLast.\n";
        let seg = Segmenter::new(&LangTag::parse("en").unwrap());
        let whole: Vec<_> = seg
            .segment(text)
            .into_iter()
            .map(|s| (s.span, s.paragraph))
            .collect();
        let streamed: Vec<_> = stream(text.as_bytes())
            .into_iter()
            .map(|s| {
                let s = s.unwrap();
                assert_eq!(s.text, s.span.slice(text));
                (s.span, s.paragraph)
            })
            .collect();
        assert_eq!(whole, streamed);
    }

    #[test]
    fn utf8_bom_is_skipped_and_counted() {
        let got: Vec<_> = stream(b"\xEF\xBB\xBFHello there. Bye.")
            .into_iter()
            .map(|s| s.unwrap())
            .collect();
        assert_eq!(got[0].text, "Hello there.");
        assert_eq!(got[0].span, Span::new(3, 15));
    }

    #[test]
    fn utf16_is_transcoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Hi there. Bye.".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let got: Vec<_> = stream(&bytes)
            .into_iter()
            .map(|s| s.unwrap().text)
            .collect();
        assert_eq!(got, ["Hi there.", "Bye."]);
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let got = stream(b"fine line.\nbad \xFF byte.\n");
        let err = got.into_iter().find_map(|r| r.err()).unwrap();
        assert_eq!(err.to_string().split(':').next().unwrap(), "line 2");
        assert!(
            err.to_string()
                .starts_with("line 2:5: bytes that are not valid UTF-8 (byte 0xFF)"),
            "{err}"
        );
    }

    #[test]
    fn nul_bytes_are_rejected() {
        let got = stream(b"abc\x00def");
        assert!(got
            .into_iter()
            .any(|r| r.is_err_and(|e| e.to_string().contains("NUL byte"))));
    }
}
