//! Pre-translating a big XLIFF file in bounded memory: units are read a batch at a
//! time, each batch is an [`XliffDocument`] over its own bytes of the file (a
//! window), and each window is written out with its changes before the next is read.
//! Memory is bounded by the batch (and the largest unit), not by the file.
//!
//! Two readers go through the file side by side: the XLIFF reader, which gives the
//! units and their byte offsets, and a plain byte reader that copies the bytes up to
//! the end of each batch's last unit. Every change made to a unit lies inside it,
//! so a window holds everything its changes touch.
//!
//! Files in a single-byte encoding (`windows-1252`, `ISO-8859-*`, `KOI8-R`…) stream
//! the same way: the reader's offsets are in the decoded text, so the byte reader
//! decodes as it goes (one byte is one character), and each window holds its bytes and
//! their text; its unchanged text is checked to encode back to those bytes. Files in a
//! multi-byte legacy encoding (Shift_JIS, GBK, Big5, EUC-*) are read whole as one
//! window: where a window ends in bytes cannot be told from a decoded offset without
//! decoding them again, and such XLIFF files are rare and small.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

use super::inline::Version;
use super::patch::{file_encoding, Root, XliffDocument};
use super::reader::XliffReader;
use super::XliffUnit;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::formats::ReadReport;
use crate::text::input;

/// A batch ends after this many segments…
pub const BATCH_SEGMENTS: usize = 256;
/// … or once its window holds this many bytes.
pub const BATCH_BYTES: u64 = 4 << 20;

/// An XLIFF file read in batches of units for pre-translation.
pub struct XliffStream {
    path: PathBuf,
    reader: XliffReader,
    /// The file's bytes, read alongside.
    raw: BufReader<File>,
    /// The offset of the next byte of `raw` (every byte before it is written): in the
    /// file, or in its decoded text for a single-byte encoding.
    raw_pos: u64,
    /// A file in a single-byte encoding: it, and the character of each byte.
    single_byte: Option<(&'static Encoding, Box<[char; 256]>)>,
    /// The next unit, read ahead (for the context of a batch's last segment).
    ahead: Option<XliffUnit>,
    report: ReadReport,
    root: Root,
    version: Version,
    /// A file not in UTF-8: read whole, handed out as one batch.
    whole: Option<XliffDocument>,
    whole_mode: bool,
    ended: bool,
}

impl XliffStream {
    /// Opens an XLIFF file and reads up to its root element.
    pub fn open(path: &Path) -> Result<XliffStream> {
        let open = || File::open(path).map_err(|e| Error::io(e, Some(path)));
        let (prefix, head) = input::peek(open()?, input::PEEK_LEN)
            .map_err(|e| Error::io(e, Some(path)).at(Location::default().with_line(1)))?;
        let mut reader = XliffReader::new(&prefix, head, Some(path.to_path_buf()), None)?;
        let report = reader.take_early().unwrap_or_default();
        let version = reader.version();
        let root = super::patch::Root::of(reader.root_elem());
        let mut raw = BufReader::with_capacity(1 << 16, open()?);
        let (single_byte, whole) = if reader.spans_are_file_offsets() {
            (None, None)
        } else {
            let mut head = Vec::new();
            (&mut raw)
                .take(512)
                .read_to_end(&mut head)
                .map_err(|e| Error::io(e, Some(path)))?;
            raw = BufReader::with_capacity(1 << 16, open()?);
            match file_encoding(&head).and_then(single_byte_table) {
                Some(table) => (Some(table), None),
                None => {
                    let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
                    (None, Some(XliffDocument::parse(bytes, Some(path))?))
                }
            }
        };
        Ok(XliffStream {
            path: path.to_path_buf(),
            reader,
            raw,
            raw_pos: 0,
            single_byte,
            ahead: None,
            report,
            root,
            version,
            ended: whole.is_some(),
            whole_mode: whole.is_some(),
            whole,
        })
    }

    /// XLIFF 1.x or 2.x.
    pub fn version(&self) -> Version {
        self.version
    }

    /// What reading met so far (skipped units, warnings).
    pub fn report(&self) -> &ReadReport {
        self.whole
            .as_ref()
            .map_or(&self.report, |whole| whole.report())
    }

    /// The next unit, unusable ones (no source) counted in the report's skips.
    fn next_unit(&mut self) -> Result<Option<XliffUnit>> {
        if let Some(unit) = self.ahead.take() {
            return Ok(Some(unit));
        }
        while !self.ended {
            match self.reader.next_unit(&mut self.report) {
                None => self.ended = true,
                Some(Ok(unit)) => return Ok(Some(unit)),
                Some(Err(e)) if matches!(e.kind(), ErrorKind::Invalid(_)) => {
                    let location = e.location().clone();
                    self.report.skip(location, e.to_string());
                }
                Some(Err(e)) => return Err(e),
            }
        }
        Ok(None)
    }

    /// The next batch of units (at least one, up to [`BATCH_SEGMENTS`] segments or
    /// [`BATCH_BYTES`] of file), `None` after the last unit. Each batch must be
    /// written with [`XliffStream::write_batch`] before the next is asked for.
    pub fn next_batch(&mut self) -> Result<Option<XliffDocument>> {
        if let Some(whole) = self.whole.take() {
            return Ok(Some(whole));
        }
        let mut units = Vec::new();
        let mut segments = 0;
        while let Some(unit) = self.next_unit()? {
            segments += unit.segments.len();
            let end = unit.end;
            units.push(unit);
            if segments >= BATCH_SEGMENTS || end - self.raw_pos >= BATCH_BYTES {
                break;
            }
        }
        let Some(last) = units.last() else {
            return Ok(None);
        };
        let end = last.end;
        self.ahead = self.next_unit()?;
        let next = self.ahead.as_ref().and_then(|u| {
            let s = u.segments.first()?;
            Some((u.file_index, s.source.text.clone()))
        });
        let (raw, text) = match &self.single_byte {
            None => {
                let mut raw = vec![0; (end - self.raw_pos) as usize];
                self.raw.read_exact(&mut raw).map_err(|e| self.io(e))?;
                let text = String::from_utf8(raw.clone()).map_err(|_| {
                    Error::invalid("the file is not valid UTF-8 although it says so")
                        .in_file(&self.path)
                })?;
                (raw, text)
            }
            Some((_, table)) => {
                // Bytes are decoded one by one until the text reaches the window's end.
                let want = (end - self.raw_pos) as usize;
                let mut raw = Vec::with_capacity(want);
                let mut text = String::with_capacity(want);
                let mut byte = [0u8];
                while text.len() < want {
                    self.raw.read_exact(&mut byte).map_err(|e| self.io(e))?;
                    raw.push(byte[0]);
                    text.push(table[byte[0] as usize]);
                }
                if text.len() != want {
                    return Err(Error::invalid(
                        "internal error: a window does not end between characters; \
                         nothing written",
                    )
                    .in_file(&self.path));
                }
                (raw, text)
            }
        };
        let base = self.raw_pos as usize;
        self.raw_pos = end;
        let mut doc = XliffDocument::window(
            Some(&self.path),
            raw,
            text,
            base,
            self.version,
            units,
            self.root.clone(),
        );
        if let Some((encoding, _)) = &self.single_byte {
            doc.set_encoding(encoding);
        }
        doc.set_next_source(next);
        Ok(Some(doc))
    }

    fn io(&self, e: io::Error) -> Error {
        Error::io(e, Some(&self.path))
    }

    /// Reads the file to its end (a truncated or malformed end is an error) and gives
    /// its bytes after the last unit (the closing tags), to be copied out as they are.
    pub fn finish(mut self) -> Result<impl Read> {
        while self.next_unit()?.is_some() {}
        // A file read whole was written whole with its batch.
        let rest = if self.whole_mode { 0 } else { u64::MAX };
        Ok(self.raw.take(rest))
    }
}

/// The character of each byte in a single-byte encoding; `None` for other encodings.
fn single_byte_table(encoding: &'static Encoding) -> Option<(&'static Encoding, Box<[char; 256]>)> {
    if !encoding.is_single_byte() {
        return None;
    }
    let mut table = Box::new(['\0'; 256]);
    for (b, slot) in table.iter_mut().enumerate() {
        let byte = [b as u8];
        let (text, _) = encoding.decode_without_bom_handling(&byte);
        let mut chars = text.chars();
        *slot = chars.next()?;
        if chars.next().is_some() {
            return None;
        }
    }
    Some((encoding, table))
}
