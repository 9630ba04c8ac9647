//! Exchange formats: TMX 1.4b, delimited text (CSV and TSV) and JSON Lines, read and
//! written one [`TranslationUnit`] at a time so that files of any size stream through
//! in constant memory; XLIFF 1.2 and 2.x (the bilingual files of CAT tools), read.
//!
//! Reading: [`open`] a file (or [`Reader::from_reader`] any byte stream) and iterate.
//! Every error names the file, line, column and unit. A unit that is well-formed but
//! unusable (a `<tu>` without `<tuv>`, an invalid language tag, a ragged CSV row) is
//! an error too, unless [`ReadOptions::skip_invalid`] is set: then it is skipped and
//! listed in the [`ReadReport`] with its line and the reason.
//!
//! ```
//! use bitext::formats::{self, Format, ReadOptions, UnitWriter, UnitWriteOptions};
//!
//! let csv = "en-US,ru-RU\nHello,Привет\n";
//! let mut options = ReadOptions::default();
//! options.format = Some(Format::Csv);
//! let reader = formats::Reader::from_reader(csv.as_bytes(), None, &options).unwrap();
//! let mut writer = UnitWriter::new(Format::Tmx, Vec::new(), &UnitWriteOptions::default()).unwrap();
//! for unit in reader {
//!     writer.write_unit(&unit.unwrap()).unwrap();
//! }
//! let tmx = String::from_utf8(writer.finish().unwrap()).unwrap();
//! assert!(tmx.contains(r#"<header creationtool="bitext""#));
//! assert!(tmx.contains(r#"<tuv xml:lang="ru-RU"><seg>Привет</seg></tuv>"#));
//! ```
//!
//! Writing: [`UnitWriter::new`] over any `io::Write`, [`UnitWriter::write_unit`] for each unit,
//! then [`UnitWriter::finish`] (which writes the TMX footer and flushes). The CLI gives it
//! a temporary file that is renamed over the target only after `finish` succeeded.

pub mod delimited;
pub mod jsonl;
pub mod tmx;
pub mod xliff;
pub(crate) mod xml;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::text::{input, LangTag};
use crate::unit::TranslationUnit;

pub use delimited::Column;
pub use tmx::{InlineMode, TmxHeader};
pub use xliff::StateFilter;

/// An exchange format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// TMX (Translation Memory eXchange) 1.4b; 1.1 to 1.4 are read.
    Tmx,
    /// Comma-separated values (RFC 4180), a header row naming the columns.
    Csv,
    /// Tab-separated values, a header row naming the columns; also the aligner's
    /// headerless `source<TAB>target<TAB>score`.
    Tsv,
    /// JSON Lines: one unit a line.
    Jsonl,
    /// XLIFF 1.2 or 2.x (read only): the segments a translator finished.
    Xliff,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 5] = [
        Format::Tmx,
        Format::Csv,
        Format::Tsv,
        Format::Jsonl,
        Format::Xliff,
    ];

    /// The format's name as the CLI spells it (`tmx`, `csv`, `tsv`, `jsonl`, `xliff`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Tmx => "tmx",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Xliff => "xliff",
        }
    }

    /// The format a file name's extension stands for (`.tmx`, `.csv`, `.tsv`/`.tab`,
    /// `.jsonl`/`.ndjson`/`.json`, `.xlf`/`.xliff`/`.sdlxliff`/`.mqxliff`/`.xlf2`),
    /// case-insensitively.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tmx" => Some(Format::Tmx),
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "xlf" | "xliff" | "sdlxliff" | "mqxliff" | "xlf2" => Some(Format::Xliff),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of a file: `<` starts XML (XLIFF if the
    /// root element is `<xliff>`, else TMX), `{` JSON Lines; otherwise a tab in the first line means TSV and a comma or
    /// semicolon CSV. `None` for binary data or anything else.
    pub fn sniff(prefix: &[u8]) -> Option<Format> {
        let text = input::prefix_text(prefix);
        if text.contains('\0') {
            return None;
        }
        let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        match trimmed.chars().next()? {
            '<' if root_element(trimmed).is_some_and(|r| r.rsplit(':').next() == Some("xliff")) => {
                Some(Format::Xliff)
            }
            '<' => Some(Format::Tmx),
            '{' => Some(Format::Jsonl),
            _ => {
                let first_line = trimmed.lines().next().unwrap_or("");
                if first_line.contains('\t') {
                    Some(Format::Tsv)
                } else if first_line.contains(',') || first_line.contains(';') {
                    Some(Format::Csv)
                } else {
                    None
                }
            }
        }
    }
}

/// The name of the root element of XML text (its start), skipping the declaration,
/// comments, processing instructions and a DOCTYPE.
fn root_element(mut text: &str) -> Option<&str> {
    loop {
        text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        let rest = text.strip_prefix('<')?;
        let skip_to = |rest: &str, end: &str| rest.find(end).map(|i| i + end.len());
        let consumed = if rest.starts_with('?') {
            skip_to(rest, "?>")?
        } else if rest.starts_with("!--") {
            skip_to(rest, "-->")?
        } else if rest.starts_with('!') {
            // A DOCTYPE, perhaps with an internal subset.
            match (rest.find('['), rest.find('>')) {
                (Some(open), Some(close)) if open < close => skip_to(rest, "]>")?,
                (_, Some(close)) => close + 1,
                _ => return None,
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            return Some(&rest[..end]);
        };
        text = &rest[consumed..];
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "tmx" => Ok(Format::Tmx),
            "csv" => Ok(Format::Csv),
            "tsv" | "tab" => Ok(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            "xliff" | "xlf" => Ok(Format::Xliff),
            _ => Err(Error::invalid(format!(
                "unknown format {s:?} (expected tmx, csv, tsv, jsonl or xliff)"
            ))),
        }
    }
}

/// Whether a delimited file starts with a header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// A first row made of column names (language tags, `note`, `id`, …) is the
    /// header; a file without one needs the languages from the caller.
    #[default]
    Auto,
    /// The first row is the header.
    Present,
    /// There is no header row; the caller gives the languages.
    Absent,
}

/// How to read an input.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The format; `None` = by extension, else by content.
    pub format: Option<Format>,
    /// The source language: for delimited files the column that is the source (default
    /// the first language column) and the first column of a headerless file; for JSON
    /// Lines records without `src_lang`; for TMX units whose file names none
    /// (`srclang="*all*"`), if they have a variant in it.
    pub source_lang: Option<LangTag>,
    /// The target language: second column of a headerless delimited file; JSON Lines
    /// records without `tgt_lang`.
    pub target_lang: Option<LangTag>,
    /// Languages of the columns of a headerless delimited file, in order (overrides
    /// `source_lang`/`target_lang` for that purpose).
    pub langs: Vec<LangTag>,
    /// Delimited files: header row or not.
    pub header: HeaderMode,
    /// Delimited files: whether `"` quotes fields (RFC 4180). `None` = yes, except in a
    /// headerless TSV (the aligner's output), where a quote is just a character.
    pub quotes: Option<bool>,
    /// Skip invalid units (listing them in the report) instead of failing.
    pub skip_invalid: bool,
    /// XLIFF: the states whose segments are read (`None`: [`StateFilter::default`]).
    pub xliff_states: Option<StateFilter>,
    /// The input's encoding when it is not UTF-8 (see [`crate::text::encoding_for_label`]); a
    /// byte-order mark must agree with it. For TMX it overrides the XML declaration.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl ReadOptions {
    /// The column languages the caller named: `langs`, else source and target.
    pub(crate) fn caller_langs(&self) -> Vec<LangTag> {
        if !self.langs.is_empty() {
            return self.langs.clone();
        }
        self.source_lang
            .iter()
            .chain(self.target_lang.iter())
            .cloned()
            .collect()
    }
}

/// Something noteworthy at a place in the input: a skipped unit or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Where (file, line, unit).
    pub location: Location,
    /// What and why.
    pub message: String,
}

impl Notice {
    fn new(location: Location, message: impl Into<String>) -> Notice {
        Notice {
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// At most this many skips and warnings are listed one by one (all are counted).
pub const MAX_LISTED: usize = 1000;

/// Counts one more skip or warning, and lists it while fewer than [`MAX_LISTED`] are:
/// a report counts them all but keeps only the first (a bad file can have millions).
pub fn count_listed<T>(count: &mut u64, listed: &mut Vec<T>, item: impl FnOnce() -> T) {
    *count += 1;
    if listed.len() < MAX_LISTED {
        listed.push(item());
    }
}

/// Writes the skips listed, one a line (`  skipped …`), and how many more of the
/// `skipped` counted were not listed: the text reports of an import and a conversion.
pub fn write_skips<T: std::fmt::Display>(out: &mut String, listed: &[T], skipped: u64) {
    use std::fmt::Write as _;
    for skip in listed {
        let _ = writeln!(out, "  skipped {skip}");
    }
    let more = skipped.saturating_sub(listed.len() as u64);
    if more > 0 {
        let _ = writeln!(out, "  … and {more} more skipped");
    }
}

/// At most this many names are counted one by one in [`ReadReport::not_kept`].
const MAX_NOT_KEPT_NAMES: usize = 256;

/// What a reader did: units read, skipped (with the reason and place of each) and
/// warnings (values that could not be kept, such as an unreadable date).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadReport {
    /// Units handed out.
    pub units: u64,
    /// Units skipped (invalid, with `skip_invalid`; or empty rows).
    pub skipped: u64,
    /// The first [`MAX_LISTED`] skips.
    pub skips: Vec<Notice>,
    /// Warnings.
    pub warned: u64,
    /// The first [`MAX_LISTED`] warnings.
    pub warnings: Vec<Notice>,
    /// Attributes and elements of the input that have no place in a unit, by name
    /// (`tu@datatype`, `tuv@o-encoding`, `foreign element`), with how often each was met.
    pub not_kept: BTreeMap<String, u64>,
    /// XLIFF: segments left out by design, not for a fault (untranslated, a state not
    /// chosen, `translate="no"`), by reason, with how many each.
    pub left_out: BTreeMap<String, u64>,
}

impl ReadReport {
    pub(crate) fn skip(&mut self, location: Location, message: impl Into<String>) {
        count_listed(&mut self.skipped, &mut self.skips, || {
            Notice::new(location, message)
        });
    }

    pub(crate) fn warn(&mut self, location: Location, message: impl Into<String>) {
        count_listed(&mut self.warned, &mut self.warnings, || {
            Notice::new(location, message)
        });
    }

    pub(crate) fn not_kept(&mut self, what: &str) {
        count_bounded(&mut self.not_kept, what);
    }

    pub(crate) fn leave_out(&mut self, why: &str) {
        count_bounded(&mut self.left_out, why);
    }

    /// Adds another report's warnings and not-kept counts (from reading a header).
    pub(crate) fn absorb(&mut self, other: ReadReport) {
        for notice in other.warnings {
            self.warn(notice.location, notice.message);
        }
        for (what, n) in other.not_kept {
            *self.not_kept.entry(what).or_insert(0) += n;
        }
        for (why, n) in other.left_out {
            *self.left_out.entry(why).or_insert(0) += n;
        }
    }
}

/// Counts `what` in `map`; beyond [`MAX_NOT_KEPT_NAMES`] names, under `(other names)`:
/// a file full of made-up names must not grow the report without bound.
fn count_bounded(map: &mut BTreeMap<String, u64>, what: &str) {
    if let Some(n) = map.get_mut(what) {
        *n += 1;
    } else if map.len() < MAX_NOT_KEPT_NAMES {
        map.insert(what.to_string(), 1);
    } else {
        *map.entry("(other names)".to_string()).or_insert(0) += 1;
    }
}

/// What a format reader produces next.
#[allow(clippy::large_enum_variant)] // one at a time, moved straight out
pub(crate) enum Item {
    /// A unit.
    Unit(TranslationUnit),
    /// A unit that cannot be used; the reader can go on after it.
    Invalid(Error),
    /// An error after which the input cannot be read further.
    Fatal(Error),
    /// The input ends in the middle (it was cut off): the units before were complete.
    /// With `skip_invalid` they are kept and the cut is reported; else an error.
    Truncated(Error),
}

/// A format's reader, behind [`Reader`].
pub(crate) trait Source: Send {
    /// The next unit, or `None` at the end.
    fn next_item(&mut self, report: &mut ReadReport) -> Option<Item>;

    /// The TMX header, for TMX.
    fn tmx_header(&self) -> Option<&TmxHeader> {
        None
    }
}

/// Reads units from a file or stream of any supported format; an iterator of
/// `Result<TranslationUnit>` that stops after the first error.
pub struct Reader {
    source: Box<dyn Source>,
    format: Format,
    path: Option<PathBuf>,
    report: ReadReport,
    skip_invalid: bool,
    bytes_read: Arc<AtomicU64>,
    done: bool,
    stopped_at_invalid: bool,
}

/// Opens a file for reading (`-` is standard input); see [`Reader::open`].
pub fn open(path: &Path, options: &ReadOptions) -> Result<Reader> {
    Reader::open(path, options)
}

impl Reader {
    /// Opens a file (`-` = standard input) and reads its beginning to tell the format
    /// (unless given) and the encoding; a TMX header is read at once.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Reader> {
        if path.as_os_str() == "-" {
            return Reader::from_reader(io::stdin(), None, options);
        }
        if path.is_dir() {
            return Err(Error::invalid("is a directory, not a file").in_file(path));
        }
        let file = File::open(path).map_err(|e| Error::io(e, Some(path)))?;
        let mut options = options.clone();
        if options.format.is_none() {
            options.format = Format::from_path(path);
        }
        Reader::from_reader(file, Some(path), &options)
    }

    /// Reads from any byte stream; `name` is used in messages. Without
    /// `options.format` the format is guessed from the content.
    pub fn from_reader<R: Read + Send + 'static>(
        reader: R,
        name: Option<&Path>,
        options: &ReadOptions,
    ) -> Result<Reader> {
        let path = name.map(Path::to_path_buf);
        let in_file = |e: Error| match name {
            Some(p) => e.in_file(p),
            None => e,
        };
        let (counting, bytes_read) = Counting::new(reader);
        let (prefix, head) =
            input::peek(counting, input::PEEK_LEN).map_err(|e| Error::io(e, name))?;
        if prefix.is_empty()
            || input::prefix_text(&prefix)
                .trim_start_matches('\u{FEFF}')
                .is_empty()
        {
            return Err(in_file(Error::invalid("the file is empty")));
        }
        if looks_binary(&prefix) {
            return Err(in_file(Error::invalid(
                "this is a binary file, not TMX, XLIFF, CSV, TSV or JSON Lines text",
            )));
        }
        let format = match options.format {
            Some(f) => f,
            None => Format::sniff(&prefix).ok_or_else(|| {
                in_file(Error::invalid(
                    "cannot tell the format (TMX, XLIFF, CSV, TSV or JSON Lines); name it with --from",
                ))
            })?,
        };
        let source: Box<dyn Source> = match format {
            Format::Tmx => Box::new(tmx::reader::TmxReader::new(
                &prefix,
                head,
                path.clone(),
                options,
            )?),
            Format::Csv | Format::Tsv => Box::new(delimited::DelimitedReader::new(
                &prefix,
                head,
                format,
                path.clone(),
                options,
            )?),
            Format::Jsonl => Box::new(jsonl::JsonlReader::new(
                &prefix,
                head,
                path.clone(),
                options,
            )?),
            Format::Xliff => Box::new(xliff::XliffSource::new(
                &prefix,
                head,
                path.clone(),
                options,
            )?),
        };
        Ok(Reader {
            source,
            format,
            path,
            report: ReadReport::default(),
            skip_invalid: options.skip_invalid,
            bytes_read,
            done: false,
            stopped_at_invalid: false,
        })
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file being read, if it is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Counts so far (complete once the iterator has ended).
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// The TMX header (tool, languages, header props and notes), for TMX input.
    pub fn tmx_header(&self) -> Option<&TmxHeader> {
        self.source.tmx_header()
    }

    /// True if the iterator stopped at a unit that could have been skipped with
    /// [`ReadOptions::skip_invalid`] (as opposed to input that cannot be read on).
    pub fn stopped_at_invalid_unit(&self) -> bool {
        self.stopped_at_invalid
    }

    /// Raw bytes read from the input so far, for progress bars.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

/// Many NUL and control bytes in text that is not UTF-16: a binary file (an image, an
/// archive, a database). A stray NUL in text is left to the reader, which names its
/// line.
fn looks_binary(prefix: &[u8]) -> bool {
    let controls = prefix
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    input::sniff_bom(prefix).is_none()
        && input::utf16_without_bom(prefix).is_none()
        && prefix.contains(&0)
        && controls >= 4
        && controls * 20 > prefix.len()
}

impl Iterator for Reader {
    type Item = Result<TranslationUnit>;

    fn next(&mut self) -> Option<Result<TranslationUnit>> {
        if self.done {
            return None;
        }
        loop {
            match self.source.next_item(&mut self.report) {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Item::Unit(unit)) => {
                    self.report.units += 1;
                    return Some(Ok(unit));
                }
                Some(Item::Invalid(err)) if self.skip_invalid => {
                    let message = error_message(&err);
                    self.report.skip(err.location().clone(), message);
                }
                Some(Item::Invalid(err)) => {
                    self.done = true;
                    self.stopped_at_invalid = true;
                    return Some(Err(err));
                }
                Some(Item::Fatal(err)) => {
                    self.done = true;
                    return Some(Err(err));
                }
                Some(Item::Truncated(err)) => {
                    self.done = true;
                    // The input ended: all of it was read.
                    let bytes = self.bytes_read();
                    let units = self.report.units;
                    let message = error_message(&err);
                    let complete = match units {
                        1 => "1 complete unit".to_string(),
                        n => format!("{n} complete units"),
                    };
                    if self.skip_invalid {
                        let what =
                            format!("{message}; cut off at byte {bytes}: kept the {complete} before the cut");
                        let location = err.location().clone();
                        if location.unit.is_some() {
                            self.report
                                .skip(location, format!("{what}, lost the unit cut in two"));
                        } else {
                            self.report.warn(location, what);
                        }
                        return None;
                    }
                    return Some(Err(Error::syntax(
                        format!(
                            "{message}; cut off at byte {bytes}, after {complete} \
                             (--skip-invalid keeps the complete units)"
                        ),
                        err.location().clone(),
                    )));
                }
            }
        }
    }
}

/// The message of an error without its location.
pub fn error_message(err: &Error) -> String {
    err.kind().to_string()
}

/// How to write units.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UnitWriteOptions {
    /// The source language: TMX `srclang` (default: the TMX header given, else the first
    /// unit's source language, else `*all*`); the first column of delimited output.
    pub source_lang: Option<LangTag>,
    /// Delimited output: the language columns in order (default: the first unit's
    /// languages, source first). JSON Lines `simple`: the pair `[source, target]`.
    pub langs: Vec<LangTag>,
    /// Delimited output: more columns after the languages (`note`, `id`, `created`, …).
    pub columns: Vec<Column>,
    /// Delimited output: start with a UTF-8 byte-order mark (for spreadsheets).
    pub bom: bool,
    /// JSON Lines: write `{"source","target","src_lang","tgt_lang"}` records instead
    /// of whole units.
    pub jsonl_simple: bool,
    /// TMX: header properties, notes and settings to carry over (e.g. from the TMX
    /// being converted).
    pub tmx_header: Option<TmxHeader>,
    /// TMX: how inline markup is written.
    pub inline: InlineMode,
}

/// What a writer did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteReport {
    /// Units written.
    pub units: u64,
    /// Units not written because the format has no place for them (e.g. none of the
    /// CSV columns' languages).
    pub skipped: u64,
    /// The first [`MAX_LISTED`] skips.
    pub skips: Vec<Notice>,
    /// Variants left out because their language has no column (delimited output) or
    /// repeats one already written.
    pub variants_dropped: u64,
    /// Variants whose inline markup was left out (delimited and simple JSON output
    /// carry plain text only).
    pub markup_dropped: u64,
    /// TMX output: inline markup changed to be valid TMX 1.4 (foreign elements turned
    /// into `<ph>`/`<bpt>`/`<ept>`, attributes the DTD lacks dropped), by what was done.
    pub markup_changes: BTreeMap<String, u64>,
}

impl WriteReport {
    pub(crate) fn skip(&mut self, location: Location, message: impl Into<String>) {
        count_listed(&mut self.skipped, &mut self.skips, || {
            Notice::new(location, message)
        });
    }
}

/// Writes units in one of the formats to any `io::Write`.
#[allow(clippy::large_enum_variant)]
pub enum UnitWriter<W: Write> {
    /// TMX 1.4b.
    Tmx(tmx::writer::TmxWriter<W>),
    /// CSV or TSV.
    Delimited(delimited::DelimitedWriter<W>),
    /// JSON Lines.
    Jsonl(jsonl::JsonlWriter<W>),
}

impl<W: Write> UnitWriter<W> {
    /// A writer of `format` to `out`. Nothing is written before the first unit (or
    /// `finish`).
    pub fn new(format: Format, out: W, options: &UnitWriteOptions) -> Result<UnitWriter<W>> {
        Ok(match format {
            Format::Tmx => UnitWriter::Tmx(tmx::writer::TmxWriter::new(out, options)),
            Format::Csv | Format::Tsv => {
                UnitWriter::Delimited(delimited::DelimitedWriter::new(out, format, options)?)
            }
            Format::Jsonl => UnitWriter::Jsonl(jsonl::JsonlWriter::new(out, options)),
            Format::Xliff => {
                return Err(Error::invalid(
                    "writing XLIFF is not supported yet: XLIFF is read (import, convert from it)",
                ))
            }
        })
    }

    /// Writes one unit. `Ok(false)`: the unit was skipped (see the report). An error
    /// of kind `Invalid` concerns this unit only (nothing of it was written, the
    /// writer can go on); any other error means the output is broken.
    pub fn write_unit(&mut self, unit: &TranslationUnit) -> Result<bool> {
        match self {
            UnitWriter::Tmx(w) => w.write_unit(unit),
            UnitWriter::Delimited(w) => w.write_unit(unit),
            UnitWriter::Jsonl(w) => w.write_unit(unit),
        }
    }

    /// Writes one unit of a memory, `id` its number there: CSV/TSV write it in the
    /// `id` column (the number `lookup` shows); TMX and JSON Lines keep the unit's
    /// own id (`tuid`), as [`write_unit`](Self::write_unit) does.
    pub fn write_stored_unit(&mut self, unit: &TranslationUnit, id: i64) -> Result<bool> {
        match self {
            UnitWriter::Delimited(w) => w.write_stored_unit(unit, id),
            _ => self.write_unit(unit),
        }
    }

    /// Completes the output (TMX: closes `<body>` and `<tmx>`), flushes it and gives
    /// the underlying writer back.
    pub fn finish(self) -> Result<W> {
        match self {
            UnitWriter::Tmx(w) => w.finish(),
            UnitWriter::Delimited(w) => w.finish(),
            UnitWriter::Jsonl(w) => w.finish(),
        }
    }

    /// Counts so far.
    pub fn report(&self) -> &WriteReport {
        match self {
            UnitWriter::Tmx(w) => w.report(),
            UnitWriter::Delimited(w) => w.report(),
            UnitWriter::Jsonl(w) => w.report(),
        }
    }
}

/// Where unit number `ordinal` (1-based) is, named by its id when it has one.
pub(crate) fn unit_location(unit: &TranslationUnit, ordinal: u64) -> Location {
    Location::default().with_unit(match &unit.id {
        Some(id) => id.clone(),
        None => format!("#{ordinal}"),
    })
}

/// Counts the raw bytes read from the input, for progress reporting.
pub(crate) struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    pub(crate) fn new(inner: R) -> (Counting<R>, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counting {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_kept_names_are_bounded() {
        let mut report = ReadReport::default();
        for i in 0..10_000 {
            report.not_kept(&format!("<x{i}> in <tu>"));
        }
        assert_eq!(report.not_kept.len(), MAX_NOT_KEPT_NAMES + 1);
        assert_eq!(report.not_kept.values().sum::<u64>(), 10_000);
    }

    #[test]
    fn readers_and_writers_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<Reader>();
        send::<UnitWriter<std::fs::File>>();
    }

    #[test]
    fn format_from_extension_and_name() {
        assert_eq!(Format::from_path(Path::new("a/b.TMX")), Some(Format::Tmx));
        assert_eq!(Format::from_path(Path::new("b.tab")), Some(Format::Tsv));
        assert_eq!(
            Format::from_path(Path::new("b.ndjson")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("b.txt")), None);
        assert_eq!("JSONL".parse::<Format>().unwrap(), Format::Jsonl);
        assert_eq!("xliff".parse::<Format>().unwrap(), Format::Xliff);
        assert_eq!(
            Format::from_path(Path::new("a.SDLXLIFF")),
            Some(Format::Xliff)
        );
        assert_eq!(
            Format::from_path(Path::new("a.mqxliff")),
            Some(Format::Xliff)
        );
        assert!("po".parse::<Format>().is_err());
    }

    #[test]
    fn format_sniffing() {
        assert_eq!(
            Format::sniff(b"\xEF\xBB\xBF<?xml version"),
            Some(Format::Tmx)
        );
        assert_eq!(Format::sniff(b"  \n<tmx>"), Some(Format::Tmx));
        assert_eq!(
            Format::sniff(
                b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<xliff version=\"1.2\">"
            ),
            Some(Format::Xliff)
        );
        assert_eq!(
            Format::sniff(b"<!DOCTYPE x [<!ENTITY a \"b\">]><xlf:xliff>"),
            Some(Format::Xliff)
        );
        assert_eq!(Format::sniff(b"{\"source\":1}\n"), Some(Format::Jsonl));
        assert_eq!(
            Format::sniff(b"en\tfr\nHello\tBonjour\n"),
            Some(Format::Tsv)
        );
        assert_eq!(Format::sniff(b"en,fr\n"), Some(Format::Csv));
        assert_eq!(Format::sniff(b"hello world"), None);
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n\0\0"), None);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("en\tfr\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(Format::sniff(&utf16), Some(Format::Tsv));
    }
}
