//! Text input shared by the readers: byte-order marks, declared encodings, transcoding
//! to UTF-8, validation (no invalid UTF-8, no NUL bytes, for XML no other control
//! characters), and the line and column of any byte position for error messages.
//!
//! The pipeline is `raw bytes -> [Transcoder] -> TextInput`; every reader reads
//! UTF-8 from a `TextInput`, which checks each byte once before handing it out and
//! keeps a little history so positions slightly behind the reader still resolve.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::Path;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{Error, ErrorKind, Location};

/// How many bytes are looked at to tell the format and encoding of an input.
pub(crate) const PEEK_LEN: usize = 8192;

/// A reader with the bytes read while peeking put back in front.
pub(crate) type Head<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads up to `len` bytes from the start of `reader` and returns them along with a
/// reader that still yields every byte from the start.
pub(crate) fn peek<R: Read>(mut reader: R, len: usize) -> io::Result<(Vec<u8>, Head<R>)> {
    let mut prefix = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match reader.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    prefix.truncate(filled);
    Ok((prefix.clone(), io::Cursor::new(prefix).chain(reader)))
}

/// The encoding given by a byte-order mark at the start of `bytes`, and the mark's length.
pub(crate) fn sniff_bom(bytes: &[u8]) -> Option<(&'static Encoding, usize)> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some((UTF_8, 3))
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Some((UTF_16LE, 2))
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some((UTF_16BE, 2))
    } else {
        None
    }
}

/// The beginning of an input as text, for sniffing its format: decoded by its
/// byte-order mark (or as UTF-16 if it plainly is), lossily, possibly cut short.
pub(crate) fn prefix_text(prefix: &[u8]) -> String {
    let (encoding, skip) = match sniff_bom(prefix) {
        Some(found) => found,
        None => match utf16_without_bom(prefix) {
            Some(enc) => (enc, 0),
            None => (UTF_8, 0),
        },
    };
    let (text, _) = encoding.decode_without_bom_handling(&prefix[skip..]);
    text.into_owned()
}

/// UTF-16 without a byte-order mark, recognised by `<` or `{` (or any ASCII) followed
/// or preceded by a zero byte, as XML's appendix F does for `<?`.
pub(crate) fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 {
        return None;
    }
    let ascii = |b: u8| b.is_ascii() && b != 0;
    if ascii(bytes[0]) && bytes[1] == 0 && ascii(bytes[2]) && bytes[3] == 0 {
        Some(UTF_16LE)
    } else if bytes[0] == 0 && ascii(bytes[1]) && bytes[2] == 0 && ascii(bytes[3]) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// A problem found in the bytes of an input, with its position in the decoded text.
/// Travels inside an `io::Error` through the CSV and XML parsers and comes out as an
/// [`Error`] of kind `Encoding` (or `Syntax`).
#[derive(Debug)]
pub(crate) struct InputError {
    pub(crate) message: String,
    pub(crate) line: u64,
    pub(crate) column: Option<u64>,
    pub(crate) syntax: bool,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Bytes that are not valid in the encoding being decoded, found by the [`Transcoder`]
/// (which does not know lines; [`TextInput`] adds them).
#[derive(Debug)]
struct MalformedInput {
    encoding: &'static str,
    offset: u64,
}

impl fmt::Display for MalformedInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bytes that are not valid {} (at byte {} of the file)",
            self.encoding, self.offset
        )
    }
}

impl std::error::Error for MalformedInput {}

/// Converts an `io::Error` from reading an input into the library's error, keeping
/// the position an `InputError` carries.
pub fn io_error(err: io::Error, path: Option<&Path>) -> Error {
    located_input_error(&err, path).unwrap_or_else(|| Error::io(err, path))
}

/// The syntax or encoding error, with its position, that an `InputError` inside
/// `err` describes; `None` for other I/O errors.
pub fn located_input_error(err: &io::Error, path: Option<&Path>) -> Option<Error> {
    let input = err.get_ref()?.downcast_ref::<InputError>()?;
    let location = Location {
        path: path.map(Path::to_path_buf),
        line: Some(input.line),
        column: input.column,
        unit: None,
    };
    let kind = if input.syntax {
        ErrorKind::Syntax(input.message.clone())
    } else {
        ErrorKind::Encoding(input.message.clone())
    };
    Some(Error::new(kind, location))
}

/// Decodes any encoding `encoding_rs` knows into UTF-8, strictly: malformed input is
/// an error, never a silent U+FFFD.
pub(crate) struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    /// Raw bytes given to the decoder so far.
    offset: u64,
    eof: bool,
    finished: bool,
    /// An error to return once the text decoded before it has been read.
    pending: Option<io::Error>,
}

impl<R: Read> Transcoder<R> {
    /// Decodes `inner` (which must not start with a byte-order mark any more) from
    /// `encoding`.
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> Transcoder<R> {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding,
            input: vec![0; 1 << 15].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            offset: 0,
            eof: false,
            finished: false,
            pending: None,
        }
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(err) = self.pending.take() {
            return Err(err);
        }
        if self.finished || out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = 0;
                match self.inner.read(&mut self.input) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.in_end = n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_start..self.in_end],
                out,
                self.eof,
            );
            self.in_start += read;
            self.offset += read as u64;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    if self.eof {
                        self.finished = true;
                        return Ok(written);
                    }
                    if written > 0 {
                        return Ok(written);
                    }
                }
                encoding_rs::DecoderResult::OutputFull => {
                    if written > 0 {
                        return Ok(written);
                    }
                    return Err(io::Error::other("output buffer too small to transcode"));
                }
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    let err = io::Error::new(
                        io::ErrorKind::InvalidData,
                        MalformedInput {
                            encoding: self.encoding.name(),
                            offset: self.offset,
                        },
                    );
                    self.finished = true;
                    if written > 0 {
                        self.pending = Some(err);
                        return Ok(written);
                    }
                    return Err(err);
                }
            }
        }
    }
}

/// Which characters a [`TextInput`] refuses besides invalid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    /// Any Unicode text but NUL.
    Text,
    /// XML 1.0 characters: no C0 controls but tab, line feed and carriage return, and
    /// no U+FFFE or U+FFFF.
    Xml,
}

/// How much already-consumed text is kept so that positions a little behind the
/// reader (where a parser reports an error) still get an exact line and column.
const HISTORY: usize = 16 * 1024;
const CHUNK: usize = 64 * 1024;

/// Validated UTF-8 text with positions: a `BufRead` that hands out only bytes it has
/// checked, and knows the line and column of any byte near the read position.
pub(crate) struct TextInput<R> {
    inner: R,
    buf: Vec<u8>,
    /// First byte of kept history.
    hist: usize,
    /// Next byte to hand out.
    start: usize,
    /// End of the checked bytes.
    checked: usize,
    /// End of the bytes read.
    end: usize,
    /// Absolute offset of `buf[start]` in the decoded text.
    consumed: u64,
    /// 1-based line of `buf[start]`.
    line: u64,
    /// Characters between the start of that line and `buf[start]`.
    column_chars: u64,
    eof: bool,
    error: Option<io::Error>,
    charset: Charset,
}

/// The first byte of valid UTF-8 `text` that starts a character XML 1.0 does not
/// allow: a C0 control other than tab, line feed and carriage return, or U+FFFE/U+FFFF
/// (EF BF BE / EF BF BF).
fn first_non_xml_byte(text: &[u8]) -> Option<usize> {
    let control = text
        .iter()
        .position(|&b| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r');
    let limit = control.unwrap_or(text.len());
    let nonchar = memchr::memchr_iter(0xEF, &text[..limit])
        .find(|&i| text.get(i + 1) == Some(&0xBF) && matches!(text.get(i + 2), Some(0xBE | 0xBF)));
    nonchar.or(control)
}

fn count_chars(bytes: &[u8]) -> u64 {
    // Bytes that are not UTF-8 continuation bytes (10xxxxxx) start characters.
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

impl<R: Read> TextInput<R> {
    pub(crate) fn new(inner: R, charset: Charset) -> TextInput<R> {
        TextInput {
            inner,
            buf: vec![0; HISTORY + CHUNK],
            hist: 0,
            start: 0,
            checked: 0,
            end: 0,
            consumed: 0,
            line: 1,
            column_chars: 0,
            eof: false,
            error: None,
            charset,
        }
    }

    /// True if a problem was found in the bytes after those handed out so far.
    #[cfg_attr(not(feature = "formats"), allow(dead_code))]
    pub(crate) fn has_error(&self) -> bool {
        self.error.is_some()
    }

    /// Bytes of decoded text handed out so far.
    #[cfg(test)]
    pub(crate) fn offset(&self) -> u64 {
        self.consumed
    }

    /// The 1-based line and column (in characters) of the byte at absolute offset `pos`
    /// of the decoded text. Exact within the kept history and the read-ahead; further
    /// back only the current line is known.
    pub(crate) fn position(&self, pos: u64) -> (u64, Option<u64>) {
        let oldest = self.consumed - (self.start - self.hist) as u64;
        let newest = self.consumed + (self.end - self.start) as u64;
        if pos < oldest || pos > newest {
            return (self.line, None);
        }
        let idx = self.start - (self.consumed - pos.min(self.consumed)) as usize
            + (pos.saturating_sub(self.consumed)) as usize;
        if idx >= self.start {
            let ahead = &self.buf[self.start..idx];
            let newlines = memchr::memchr_iter(b'\n', ahead).count() as u64;
            match memchr::memrchr(b'\n', ahead) {
                Some(nl) => (
                    self.line + newlines,
                    Some(count_chars(&ahead[nl + 1..]) + 1),
                ),
                None => (self.line, Some(self.column_chars + count_chars(ahead) + 1)),
            }
        } else {
            let behind = &self.buf[idx..self.start];
            let newlines = memchr::memchr_iter(b'\n', behind).count() as u64;
            let line = self.line - newlines;
            let column = if newlines == 0 {
                Some(self.column_chars.saturating_sub(count_chars(behind)) + 1)
            } else {
                match memchr::memrchr(b'\n', &self.buf[self.hist..idx]) {
                    Some(nl) => Some(count_chars(&self.buf[self.hist + nl + 1..idx]) + 1),
                    // The history reaches back to the start of the text.
                    None if oldest == 0 => Some(count_chars(&self.buf[self.hist..idx]) + 1),
                    None => None,
                }
            };
            (line, column)
        }
    }

    fn error_at(&self, pos: u64, message: String) -> io::Error {
        let (line, column) = self.position(pos);
        InputError {
            message,
            line,
            column,
            syntax: false,
        }
        .into_io()
    }

    /// Moves history and unread bytes to the front so there is room to read.
    fn make_room(&mut self) {
        let keep_from = self.start.saturating_sub(HISTORY).max(self.hist);
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.end, 0);
            self.hist = 0;
            self.start -= keep_from;
            self.checked -= keep_from;
            self.end -= keep_from;
        }
        if self.buf.len() - self.end < CHUNK / 2 {
            let len = self.buf.len();
            self.buf.resize(len + CHUNK, 0);
        }
    }

    /// Checks the bytes read but not yet checked; stops at the first bad one and
    /// keeps the error for when the good bytes before it have been read.
    fn check(&mut self) {
        let new = &self.buf[self.checked..self.end];
        let (valid_len, utf8_problem) = match simdutf8::compat::from_utf8(new) {
            Ok(_) => (new.len(), None),
            Err(e) => (e.valid_up_to(), Some(e.error_len())),
        };
        let valid = &new[..valid_len];
        let bad_char = match self.charset {
            Charset::Text => memchr::memchr(0, valid),
            Charset::Xml => first_non_xml_byte(valid),
        };
        if let Some(at) = bad_char {
            let pos = self.consumed + (self.checked + at - self.start) as u64;
            let message = match valid[at] {
                0 => "a NUL byte: this is a binary file, or UTF-16 text without a byte-order mark"
                    .to_string(),
                0xEF => "a noncharacter (U+FFFE or U+FFFF), which XML does not allow".to_string(),
                b => format!("the control character U+{b:04X}, which XML 1.0 does not allow"),
            };
            self.error = Some(self.error_at(pos, message));
            self.checked += at;
            self.end = self.checked;
            return;
        }
        match utf8_problem {
            None => self.checked = self.end,
            Some(None) if !self.eof => self.checked += valid_len,
            Some(_) => {
                let pos = self.consumed + (self.checked + valid_len - self.start) as u64;
                let message = if self.eof && utf8_problem == Some(None) {
                    CUT_CHARACTER.to_string()
                } else {
                    not_utf8(new[valid_len])
                };
                self.error = Some(self.error_at(pos, message));
                self.checked += valid_len;
                self.end = self.checked;
            }
        }
    }

    fn locate_inner_error(&self, err: io::Error) -> io::Error {
        if let Some(m) = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<MalformedInput>())
        {
            let pos = self.consumed + (self.end - self.start) as u64;
            return self.error_at(pos, m.to_string());
        }
        err
    }
}

impl<R: Read> BufRead for TextInput<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.start == self.checked {
            if let Some(err) = self.error.take() {
                return Err(err);
            }
            if self.eof {
                return Ok(&[]);
            }
            self.make_room();
            let end = self.end;
            match self.inner.read(&mut self.buf[end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let err = self.locate_inner_error(e);
                    // Whatever was checked before is still handed out first.
                    self.eof = true;
                    self.check();
                    self.error = Some(err);
                    continue;
                }
            }
            self.check();
        }
        Ok(&self.buf[self.start..self.checked])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.checked - self.start);
        let taken = &self.buf[self.start..self.start + amt];
        match memchr::memrchr(b'\n', taken) {
            Some(nl) => {
                self.line += memchr::memchr_iter(b'\n', taken).count() as u64;
                self.column_chars = count_chars(&taken[nl + 1..]);
            }
            None => self.column_chars += count_chars(taken),
        }
        self.start += amt;
        self.consumed += amt as u64;
    }
}

impl<R: Read> Read for TextInput<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// A decoded, checked input as the readers take it.
pub(crate) type Text = TextInput<Box<dyn Read + Send>>;

/// What bytes that are not UTF-8 are called, with how to read a file in another
/// encoding (the line and column come with the error's location).
pub(crate) fn not_utf8(byte: u8) -> String {
    format!(
        "bytes that are not valid UTF-8 (byte 0x{byte:02X}); if the file is in a legacy \
         encoding, say which with --encoding, e.g. --encoding windows-1252"
    )
}

/// What a text that stops inside a UTF-8 character is called.
const CUT_CHARACTER: &str = "the text ends in the middle of a UTF-8 character";

/// What is wrong with `bytes`, which `err` found not to be UTF-8, in the words of
/// every reader (the line and column come with the error's location).
#[cfg_attr(not(feature = "formats"), allow(dead_code))]
pub(crate) fn not_utf8_text(bytes: &[u8], err: &std::str::Utf8Error) -> String {
    match err.error_len() {
        None => CUT_CHARACTER.to_string(),
        Some(_) => not_utf8(bytes[err.valid_up_to()]),
    }
}

/// The encoding a WHATWG label names (`windows-1252`, `latin1`, `iso-8859-2`,
/// `shift_jis`, `gbk`, `gb18030`, `big5`, `koi8-r`, `euc-kr`, `utf-16le`…), as given
/// with `--encoding`.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, Error> {
    let encoding =
        Encoding::for_label_no_replacement(label.trim().as_bytes()).ok_or_else(|| {
            Error::invalid(format!(
                "unknown encoding {label:?}: give a WHATWG label such as windows-1252, \
             iso-8859-2, koi8-r, shift_jis, gbk, big5, euc-kr or utf-16le"
            ))
        })?;
    // Encoding labels `utf-16` name little-endian; an output-only `x-user-defined`
    // would read any bytes, which is no check at all.
    if encoding == encoding_rs::X_USER_DEFINED {
        return Err(Error::invalid(format!(
            "encoding {label:?} is not a text encoding bitext reads"
        )));
    }
    Ok(encoding)
}

/// The encoding to decode an input with: a byte-order mark's, else the one given
/// (`--encoding`), else `None` (the format's default). A mark that contradicts the
/// given encoding is an error rather than a guess either way.
pub(crate) fn given_encoding(
    prefix: &[u8],
    given: Option<&'static Encoding>,
) -> Result<Option<&'static Encoding>, Error> {
    match (sniff_bom(prefix), given) {
        (Some((bom, _)), Some(given)) if bom != given => Err(Error::encoding(
            format!(
                "the file starts with a {} byte-order mark but --encoding says {}: the mark \
                 is right unless the file is damaged; leave out --encoding for this file",
                bom.name(),
                given.name()
            ),
            Location::default().with_line(1),
        )),
        (Some((bom, _)), _) => Ok(Some(bom)),
        (None, given) => Ok(given),
    }
}

/// Any byte stream as UTF-8 text: decoded from `encoding` (a byte-order mark must agree
/// with it, and is skipped), strictly: bytes not valid in it are an error. For the
/// readers of plain text and documents (segmenting, aligning, queries).
pub fn decoding_reader<R: Read + Send + 'static>(
    reader: R,
    encoding: &'static Encoding,
) -> Result<Box<dyn Read + Send>, Error> {
    Ok(Box::new(open_text(reader, Some(encoding))?))
}

/// Any byte stream as checked UTF-8 text (no NUL bytes): a byte-order mark's
/// encoding, else the one given (`--encoding`), else UTF-8.
pub fn open_text<R: Read + Send + 'static>(
    reader: R,
    given: Option<&'static Encoding>,
) -> Result<impl BufRead + Send, Error> {
    let (prefix, head) = peek(reader, 4).map_err(|e| Error::io(e, None))?;
    decode_text(&prefix, head, given)
}

/// A whole text in `bytes` as UTF-8 (as [`open_text`] reads it: a byte-order mark, else
/// `given`, else UTF-8; no NUL bytes); an error names the file, line and column.
pub fn decode_all(
    bytes: Vec<u8>,
    given: Option<&'static Encoding>,
    path: Option<&Path>,
) -> Result<String, Error> {
    let mut text = String::new();
    let in_file = |e: Error| match path {
        Some(p) => e.in_file(p),
        None => e,
    };
    open_text(io::Cursor::new(bytes), given)
        .map_err(in_file)?
        .read_to_string(&mut text)
        .map_err(|e| io_error(e, path))?;
    Ok(text)
}

/// A whole XML document in `bytes` as UTF-8 (see [`decode_xml`]), with the warning
/// about an encoding the file contradicts, if any.
pub(crate) fn decode_xml_all(
    bytes: Vec<u8>,
    path: Option<&Path>,
) -> Result<(String, Option<String>), Error> {
    let in_file = |e: Error| match path {
        Some(p) => e.in_file(p),
        None => e,
    };
    let (prefix, head) = peek(io::Cursor::new(bytes), PEEK_LEN).map_err(|e| Error::io(e, path))?;
    let (mut input, warning) = decode_xml(&prefix, head, None).map_err(in_file)?;
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| io_error(e, path))?;
    Ok((text, warning))
}

/// The encoding of plain text (CSV, TSV, JSON Lines, documents, queries): UTF-8 unless
/// a byte-order mark says UTF-16 (what spreadsheets save as "Unicode text") or the
/// caller gives the encoding (`--encoding`). UTF-16 without a mark is refused rather
/// than guessed. `None` is UTF-8.
pub(crate) fn text_encoding(
    prefix: &[u8],
    given: Option<&'static Encoding>,
) -> Result<Option<&'static Encoding>, Error> {
    if let Some(encoding) = given_encoding(prefix, given)? {
        return Ok(Some(encoding));
    }
    if let Some(encoding) = utf16_without_bom(prefix) {
        return Err(Error::encoding(
            format!(
                "the text is {} without a byte-order mark: save it as UTF-8, or as UTF-16 \
                 with a byte-order mark (\"Unicode text\")",
                encoding.name()
            ),
            Location::default().with_line(1),
        ));
    }
    Ok(None)
}

/// Opens plain text (see [`text_encoding`]); a UTF-8 mark is skipped.
pub(crate) fn decode_text<R: Read + Send + 'static>(
    prefix: &[u8],
    head: R,
    given: Option<&'static Encoding>,
) -> Result<Text, Error> {
    let encoding = text_encoding(prefix, given)?;
    Ok(decode_as(prefix, head, encoding, Charset::Text))
}

/// Bytes as UTF-8: passed through, or transcoded.
pub(crate) enum Decoded<R> {
    /// Already UTF-8 (checked later, by [`TextInput`]).
    Utf8(R),
    /// Any other encoding.
    Transcoded(Transcoder<R>),
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Utf8(r) => r.read(buf),
            Decoded::Transcoded(r) => r.read(buf),
        }
    }
}

/// `head` (which starts with `prefix`) decoded from `encoding`, or the one a
/// byte-order mark gives (the mark is skipped), else UTF-8.
pub(crate) fn decoded<R: Read>(
    prefix: &[u8],
    mut head: R,
    encoding: Option<&'static Encoding>,
) -> Decoded<R> {
    let bom = sniff_bom(prefix);
    let skip = bom.map_or(0, |(_, len)| len);
    if skip > 0 {
        let mut mark = [0u8; 3];
        // The prefix was peeked from `head`, so these bytes are there.
        let _ = head.read_exact(&mut mark[..skip]);
    }
    let encoding = bom.map(|(e, _)| e).or(encoding).unwrap_or(UTF_8);
    if encoding == UTF_8 {
        Decoded::Utf8(head)
    } else {
        Decoded::Transcoded(Transcoder::new(head, encoding))
    }
}

/// Opens with a known encoding (or the one a byte-order mark gives).
pub(crate) fn decode_as<R: Read + Send + 'static>(
    prefix: &[u8],
    head: R,
    encoding: Option<&'static Encoding>,
    charset: Charset,
) -> Text {
    TextInput::new(Box::new(decoded(prefix, head, encoding)), charset)
}

/// The `encoding` of an XML declaration at the start of `text`, if there is one.
fn declared_encoding(text: &str) -> Option<String> {
    let text = text.trim_start_matches('\u{FEFF}');
    let decl = text.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|&q| q == '"' || q == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].trim().to_string())
}

fn is_utf16(encoding: &'static Encoding) -> bool {
    encoding == UTF_16LE || encoding == UTF_16BE
}

/// Opens XML: the encoding comes from a byte-order mark, else from the first bytes
/// (UTF-16 without a mark) and the declaration's `encoding`, as XML's appendix F
/// says. Contradictions that would garble the text are errors; a byte-order mark that
/// disagrees with the declaration wins, with a warning (returned).
///
/// An encoding given by the caller (`--encoding`) overrides the declaration (with a
/// warning if they disagree), not a byte-order mark.
pub(crate) fn decode_xml<R: Read + Send + 'static>(
    prefix: &[u8],
    head: R,
    given: Option<&'static Encoding>,
) -> Result<(Text, Option<String>), Error> {
    let line_1 = || Location::default().with_line(1);
    let label_encoding = |label: &str| Encoding::for_label(label.as_bytes());
    if let (None, Some(given)) = (sniff_bom(prefix), given) {
        let declared = declared_encoding(&prefix_text(prefix));
        let warning = declared.and_then(|label| match label_encoding(&label) {
            Some(e) if e == given => None,
            _ => Some(format!(
                "the XML declaration says encoding=\"{label}\"; read as {} (--encoding)",
                given.name()
            )),
        });
        return Ok((decode_as(prefix, head, Some(given), Charset::Xml), warning));
    }
    given_encoding(prefix, given)?;
    if let Some((encoding, _)) = sniff_bom(prefix) {
        let declared = declared_encoding(&prefix_text(prefix));
        let warning = declared.and_then(|label| match label_encoding(&label) {
            Some(e) if e == encoding || (is_utf16(e) && is_utf16(encoding)) => None,
            _ => Some(format!(
                "the byte-order mark says {} but the XML declaration says encoding=\"{label}\"; \
                 read as {}",
                encoding.name(),
                encoding.name()
            )),
        });
        return Ok((
            decode_as(prefix, head, Some(encoding), Charset::Xml),
            warning,
        ));
    }
    if let Some(encoding) = utf16_without_bom(prefix) {
        let declared = declared_encoding(&prefix_text(prefix));
        return match declared {
            Some(label) if label_encoding(&label).is_some_and(is_utf16) => {
                Ok((decode_as(prefix, head, Some(encoding), Charset::Xml), None))
            }
            Some(label) => Err(Error::encoding(
                format!(
                    "the file is {} (without a byte-order mark) but declares \
                     encoding=\"{label}\": fix the declaration or re-save the file",
                    encoding.name()
                ),
                line_1(),
            )),
            None => Ok((
                decode_as(prefix, head, Some(encoding), Charset::Xml),
                Some(format!(
                    "no byte-order mark and no declared encoding, but the bytes are {}; read as {}",
                    encoding.name(),
                    encoding.name()
                )),
            )),
        };
    }
    let declared = declared_encoding(&String::from_utf8_lossy(prefix));
    let encoding = match declared {
        None => UTF_8,
        Some(label) => match label_encoding(&label) {
            Some(e) if is_utf16(e) => {
                return Err(Error::encoding(
                    format!(
                        "the XML declaration says encoding=\"{label}\" but the file is not \
                         UTF-16 (no byte-order mark, and it reads as 8-bit text such as UTF-8): \
                         fix the declaration (encoding=\"UTF-8\") or re-save the file as UTF-16"
                    ),
                    line_1(),
                ))
            }
            Some(e) => e,
            None => {
                return Err(Error::encoding(
                    format!("unknown encoding \"{label}\" in the XML declaration"),
                    line_1(),
                ))
            }
        },
    };
    Ok((decode_as(prefix, head, Some(encoding), Charset::Xml), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &mut TextInput<impl Read>) -> io::Result<String> {
        let mut s = String::new();
        input.read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn utf16_is_transcoded_and_bom_skipped() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<a>é 😀</a>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (prefix, head) = peek(io::Cursor::new(bytes), PEEK_LEN).unwrap();
        let mut input = decode_text(&prefix, head, None).unwrap();
        assert_eq!(read_all(&mut input).unwrap(), "<a>é 😀</a>");
    }

    #[test]
    fn invalid_utf8_is_reported_with_line_and_column() {
        let bytes = b"one\ntw\xFFo\n".to_vec();
        let mut input = TextInput::new(io::Cursor::new(bytes), Charset::Text);
        let err = read_all(&mut input).unwrap_err();
        let e = io_error(err, Some(Path::new("x.csv")));
        assert_eq!(e.location().line, Some(2));
        assert_eq!(e.location().column, Some(3));
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn nul_and_xml_controls_are_refused() {
        let mut input = TextInput::new(io::Cursor::new(b"ab\0c".to_vec()), Charset::Text);
        let e = io_error(read_all(&mut input).unwrap_err(), None);
        assert!(e.to_string().contains("NUL"), "{e}");
        assert_eq!(e.location().column, Some(3));

        let mut input = TextInput::new(io::Cursor::new(b"a\x07b".to_vec()), Charset::Text);
        assert_eq!(read_all(&mut input).unwrap(), "a\x07b");
        let mut input = TextInput::new(io::Cursor::new(b"a\x07b".to_vec()), Charset::Xml);
        let e = io_error(read_all(&mut input).unwrap_err(), None);
        assert!(e.to_string().contains("U+0007"), "{e}");
        let mut input = TextInput::new(
            io::Cursor::new("a\u{FFFF}b".as_bytes().to_vec()),
            Charset::Xml,
        );
        assert!(read_all(&mut input).is_err());
        let mut input = TextInput::new(
            io::Cursor::new("aꝏ\u{FFFD}b".as_bytes().to_vec()),
            Charset::Xml,
        );
        assert_eq!(read_all(&mut input).unwrap(), "aꝏ\u{FFFD}b");
    }

    #[test]
    fn truncated_character_at_end_is_an_error() {
        let mut input = TextInput::new(io::Cursor::new(b"ab\xE2\x82".to_vec()), Charset::Text);
        let e = io_error(read_all(&mut input).unwrap_err(), None);
        assert!(e.to_string().contains("middle of a UTF-8"), "{e}");
    }

    /// Text checked after it was read (a line of a document) says what is wrong in
    /// the words the reader uses.
    #[test]
    fn text_checked_later_has_the_readers_wording() {
        for bytes in [&b"one\ntw\xFFo"[..], &b"ab\xE2\x82"[..]] {
            let mut input = TextInput::new(io::Cursor::new(bytes.to_vec()), Charset::Text);
            let from_reader = io_error(read_all(&mut input).unwrap_err(), None).to_string();
            let err = std::str::from_utf8(bytes).unwrap_err();
            let message = not_utf8_text(bytes, &err);
            assert!(from_reader.ends_with(&message), "{from_reader} / {message}");
        }
    }

    #[test]
    fn characters_split_across_reads_are_fine() {
        // A reader that returns one byte at a time splits every multi-byte character.
        struct OneByte(io::Cursor<Vec<u8>>);
        impl Read for OneByte {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let text = "Привет, 世界 😀\nzweite Zeile";
        let mut input = TextInput::new(
            OneByte(io::Cursor::new(text.as_bytes().to_vec())),
            Charset::Xml,
        );
        assert_eq!(read_all(&mut input).unwrap(), text);
    }

    #[test]
    fn positions_behind_and_ahead() {
        let text = "ab\ncdé\nfgh";
        let mut input = TextInput::new(io::Cursor::new(text.as_bytes().to_vec()), Charset::Text);
        input.fill_buf().unwrap();
        assert_eq!(input.position(0), (1, Some(1)));
        assert_eq!(input.position(5), (2, Some(3)));
        input.consume(8); // past "ab\ncdé" (é is 2 bytes) and the second newline
        assert_eq!(input.offset(), 8);
        assert_eq!(input.position(8), (3, Some(1)));
        assert_eq!(input.position(7), (2, Some(4)));
        assert_eq!(input.position(9), (3, Some(2)));
        assert_eq!(input.position(4), (2, Some(2)));
        assert_eq!(input.position(1), (1, Some(2)));
    }

    fn xml(bytes: &[u8]) -> Result<String, Error> {
        let (prefix, head) = peek(io::Cursor::new(bytes.to_vec()), PEEK_LEN).unwrap();
        let (mut input, _) = decode_xml(&prefix, head, None)?;
        read_all(&mut input).map_err(|e| io_error(e, None))
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { vec![] };
        bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        bytes
    }

    #[test]
    fn xml_encodings_and_contradictions() {
        let decl16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>é</a>";
        assert_eq!(xml(&utf16le(decl16, true)).unwrap(), decl16);
        assert_eq!(xml(&utf16le(decl16, false)).unwrap(), decl16);
        let err = xml(decl16.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("not UTF-16"), "{err}");
        let decl8 = "<?xml version='1.0' encoding='utf-8'?><a/>";
        let err = xml(&utf16le(decl8, false)).unwrap_err();
        assert!(
            err.to_string().contains("declares encoding=\"utf-8\""),
            "{err}"
        );
        // A byte-order mark wins over the declaration.
        assert_eq!(xml(&utf16le(decl8, true)).unwrap(), decl8);
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9</a>";
        assert!(xml(latin1).unwrap().ends_with("<a>é</a>"));
        let err = xml(b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>").unwrap_err();
        assert!(err.to_string().contains("unknown encoding"), "{err}");
    }

    #[test]
    fn malformed_utf16_is_an_error_not_a_replacement() {
        // An unpaired high surrogate.
        let bytes = vec![0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0];
        let (prefix, head) = peek(io::Cursor::new(bytes), PEEK_LEN).unwrap();
        let mut input = decode_text(&prefix, head, None).unwrap();
        let e = io_error(read_all(&mut input).unwrap_err(), None);
        assert!(e.to_string().contains("not valid UTF-16"), "{e}");
    }
}
