//! Streaming segmentation: reads a text paragraph by paragraph, so memory stays
//! bounded by the longest paragraph, not the file.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

use super::Segmenter;
use crate::error::{Error, Location, Result};
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

/// The reader with the bytes read while sniffing put back in front.
type Head<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

enum Input<R: Read> {
    Utf8(BufReader<Head<R>>),
    Transcoded(BufReader<encoding_rs_io::DecodeReaderBytes<Head<R>, Vec<u8>>>),
}

impl<R: Read> Input<R> {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        match self {
            Input::Utf8(r) => r.read_until(b'\n', buf),
            Input::Transcoded(r) => r.read_until(b'\n', buf),
        }
    }
}

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
    /// UTF-8 one is skipped (and counted in the offsets).
    fn sniff(&mut self) -> Result<()> {
        let Some(mut raw) = self.raw.take() else {
            return Ok(());
        };
        let mut head = Vec::with_capacity(3);
        let mut byte = [0u8; 1];
        while head.len() < 3 {
            match raw.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => head.push(byte[0]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .strip_bom(true)
                .build(std::io::Cursor::new(head).chain(raw));
            self.input = Some(Input::Transcoded(BufReader::with_capacity(
                1 << 16,
                decoder,
            )));
            return Ok(());
        }
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            head.clear();
            self.offset = 3;
        }
        self.input = Some(Input::Utf8(BufReader::with_capacity(
            1 << 16,
            std::io::Cursor::new(head).chain(raw),
        )));
        Ok(())
    }

    /// Reads until at least one sentence is pending or the input ends.
    fn fill(&mut self) -> Result<()> {
        if self.raw.is_some() {
            self.sniff()?;
        }
        while self.pending.is_empty() {
            let Some(input) = self.input.as_mut() else {
                return Ok(());
            };
            self.line_buf.clear();
            let n = input.read_line(&mut self.line_buf).map_err(|e| {
                if let Some(located) = crate::formats::input::located_input_error(&e, None) {
                    located
                } else if e.kind() == std::io::ErrorKind::InvalidData {
                    Error::encoding(format!("not valid UTF-16: {e}"), Location::line(self.line))
                } else {
                    Error::from(e)
                }
            })?;
            if n == 0 {
                self.input = None;
                self.flush();
                return Ok(());
            }
            if let Some(pos) = memchr::memchr(0, &self.line_buf) {
                let column = String::from_utf8_lossy(&self.line_buf[..pos])
                    .chars()
                    .count() as u64
                    + 1;
                return Err(Error::encoding(
                    "NUL byte in text input (is this a binary file?)",
                    Location::line(self.line).with_column(column),
                ));
            }
            let line = std::str::from_utf8(&self.line_buf).map_err(|e| {
                let column = String::from_utf8_lossy(&self.line_buf[..e.valid_up_to()])
                    .chars()
                    .count() as u64
                    + 1;
                Error::encoding(
                    crate::formats::input::not_utf8(self.line_buf[e.valid_up_to()]),
                    Location::line(self.line).with_column(column),
                )
            })?;
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
