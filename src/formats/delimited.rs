//! CSV and TSV: one unit a row, a header row naming the columns.
//!
//! Column names are language tags (`en-US`, `ru`, any case or `_`) or metadata:
//! `id` (also `tuid`, `key`), `note`, `created`, `created_by`, `changed`,
//! `changed_by`, `last_used`, `usage_count`, `score`, `origin`, `context_prev`,
//! `context_next`, and `prop:TYPE` for a property. Quoting follows RFC 4180 (the csv
//! crate); a quote that is never closed, text after a closing quote and a row with
//! the wrong number of fields are errors naming the line. Input may be UTF-8 with or
//! without a byte-order mark, or UTF-16 with one (a spreadsheet's "Unicode text").
//!
//! Without a header row (the aligner's `source<TAB>target<TAB>score`) the caller names
//! the column languages; a third column is the score.

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{unit_location, Format, HeaderMode, Item, ReadOptions, ReadReport, Source};
use super::{UnitWriteOptions, WriteReport};
use crate::error::{Error, Location, Result};
use crate::text::count;
use crate::text::input::{self, Head};
use crate::text::LangTag;
use crate::unit::{Note, Prop, TranslationUnit, Variant};

/// A column of a delimited file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The text in a language.
    Lang(LangTag),
    /// The unit's id: in an export of a memory, the number `lookup` and `concordance`
    /// show (`unit 17`), so rows can be traced back; elsewhere the file's own id
    /// (TMX `tuid`). Read as the unit's file id.
    Id,
    /// The unit's id in its exchange file (TMX `tuid`), kept through the memory.
    Tuid,
    /// A note on the unit (several notes are written joined by line breaks).
    Note,
    /// Creation date (RFC 3339, or TMX's `YYYYMMDDThhmmssZ`).
    Created,
    /// Who created the unit.
    CreatedBy,
    /// Last change date.
    Changed,
    /// Who changed it last.
    ChangedBy,
    /// When it was last used.
    LastUsed,
    /// How often it was used.
    UsageCount,
    /// The aligner's score.
    Score,
    /// The file it came from.
    Origin,
    /// The previous source segment.
    ContextPrev,
    /// The next source segment.
    ContextNext,
    /// A property of the given type.
    Prop(String),
}

impl Column {
    /// Parses a column name: metadata names first (case-insensitive, with aliases),
    /// then `prop:TYPE`, then a language tag. Note that `id` is the id column, not
    /// Indonesian (write `id-ID`).
    pub fn parse(name: &str) -> Result<Column> {
        let trimmed = name.trim();
        let lower = trimmed.to_ascii_lowercase();
        let column = match lower.as_str() {
            "id" | "key" => Column::Id,
            "tuid" => Column::Tuid,
            "note" | "notes" | "comment" => Column::Note,
            "created" | "creationdate" | "created_at" => Column::Created,
            "created_by" | "creator" | "creationid" => Column::CreatedBy,
            "changed" | "changedate" | "modified" => Column::Changed,
            "changed_by" | "changer" | "changeid" => Column::ChangedBy,
            "last_used" | "lastusagedate" => Column::LastUsed,
            "usage_count" | "usagecount" => Column::UsageCount,
            "score" => Column::Score,
            "origin" | "file" => Column::Origin,
            "context_prev" | "prev" => Column::ContextPrev,
            "context_next" | "next" => Column::ContextNext,
            _ => {
                if let Some(kind) = trimmed
                    .strip_prefix("prop:")
                    .or_else(|| trimmed.strip_prefix("PROP:"))
                {
                    if kind.is_empty() {
                        return Err(Error::invalid("empty property type in column \"prop:\""));
                    }
                    Column::Prop(kind.to_string())
                } else {
                    Column::Lang(LangTag::parse(trimmed).map_err(|_| {
                        Error::invalid(format!(
                            "column {name:?} is neither a language tag nor a known column \
                             (id, tuid, note, created, created_by, changed, changed_by, last_used, \
                             usage_count, score, origin, context_prev, context_next, prop:TYPE)"
                        ))
                    })?)
                }
            }
        };
        Ok(column)
    }

    /// The name written in a header row.
    pub fn name(&self) -> String {
        match self {
            Column::Lang(tag) => tag.to_string(),
            Column::Id => "id".into(),
            Column::Tuid => "tuid".into(),
            Column::Note => "note".into(),
            Column::Created => "created".into(),
            Column::CreatedBy => "created_by".into(),
            Column::Changed => "changed".into(),
            Column::ChangedBy => "changed_by".into(),
            Column::LastUsed => "last_used".into(),
            Column::UsageCount => "usage_count".into(),
            Column::Score => "score".into(),
            Column::Origin => "origin".into(),
            Column::ContextPrev => "context_prev".into(),
            Column::ContextNext => "context_next".into(),
            Column::Prop(kind) => format!("prop:{kind}"),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Column {
    type Err = Error;

    fn from_str(s: &str) -> Result<Column> {
        Column::parse(s)
    }
}

/// Parses a date as RFC 3339 or TMX's `YYYYMMDDThhmmssZ`.
pub(crate) fn parse_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    value
        .parse::<Timestamp>()
        .ok()
        .or_else(|| super::tmx::parse_tmx_date(value))
}

fn lang_columns(columns: &[Column]) -> Vec<&LangTag> {
    columns
        .iter()
        .filter_map(|c| match c {
            Column::Lang(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// A header row's columns, if every cell is a column name and one is a language.
fn parse_header(cells: &[String]) -> std::result::Result<Vec<Column>, String> {
    let mut columns = Vec::with_capacity(cells.len());
    for cell in cells {
        match Column::parse(cell) {
            Ok(c) => {
                if columns.contains(&c) {
                    return Err(format!("column {:?} appears twice in the header", c.name()));
                }
                columns.push(c)
            }
            Err(e) => return Err(super::error_message(&e)),
        }
    }
    if lang_columns(&columns).is_empty() {
        return Err("the header names no language column (e.g. en-US,ru-RU)".to_string());
    }
    Ok(columns)
}

/// Checks RFC 4180 quoting on the raw text as it streams to the csv parser: a quoted
/// field that never closes, or text after a closing quote, is an error at its line
/// (the csv crate accepts both silently, which mangles the data).
struct QuoteCheck<R> {
    inner: R,
    delimiter: u8,
    state: QuoteState,
    line: u64,
    open_line: u64,
    failed: bool,
    pending: Option<io::Error>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R: Read> QuoteCheck<R> {
    fn new(inner: R, delimiter: u8) -> QuoteCheck<R> {
        QuoteCheck {
            inner,
            delimiter,
            state: QuoteState::FieldStart,
            line: 1,
            open_line: 1,
            failed: false,
            pending: None,
        }
    }

    fn error(&self, line: u64, message: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            input::InputError {
                message,
                line,
                column: None,
                syntax: true,
            },
        )
    }
}

impl<R: Read> Read for QuoteCheck<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(err) = self.pending.take() {
            self.failed = true;
            return Err(err);
        }
        if self.failed {
            return Ok(0);
        }
        let n = self.inner.read(out)?;
        if n == 0 {
            if matches!(self.state, QuoteState::Quoted) {
                self.failed = true;
                let line = self.open_line;
                return Err(self.error(
                    line,
                    "a quoted field starts here and is never closed (unterminated quote)".into(),
                ));
            }
            return Ok(0);
        }
        for (i, &b) in out[..n].iter().enumerate() {
            let state = self.state;
            self.state = match state {
                QuoteState::FieldStart | QuoteState::Unquoted => {
                    if b == b'"' && state == QuoteState::FieldStart {
                        self.open_line = self.line;
                        QuoteState::Quoted
                    } else if b == self.delimiter || b == b'\n' || b == b'\r' {
                        QuoteState::FieldStart
                    } else {
                        QuoteState::Unquoted
                    }
                }
                QuoteState::Quoted => {
                    if b == b'"' {
                        QuoteState::QuoteInQuoted
                    } else {
                        QuoteState::Quoted
                    }
                }
                QuoteState::QuoteInQuoted => {
                    if b == b'"' {
                        QuoteState::Quoted
                    } else if b == self.delimiter || b == b'\n' || b == b'\r' {
                        QuoteState::FieldStart
                    } else {
                        let line = self.line;
                        let shown = if b.is_ascii_graphic() || b == b' ' {
                            format!("{:?}", b as char)
                        } else {
                            format!("byte 0x{b:02X}")
                        };
                        let err = self.error(
                            line,
                            format!(
                                "text ({shown}) after the closing quote of a quoted field; a quote \
                                 inside a quoted field is written twice (\"\"){}",
                                if self.delimiter == b'\t' {
                                    " — for TSV whose quotes are plain characters use --no-quotes"
                                } else {
                                    ""
                                }
                            ),
                        );
                        // Hand out the good part first; the error comes on the next read.
                        if i > 0 {
                            self.pending = Some(err);
                            return Ok(i);
                        }
                        self.failed = true;
                        return Err(err);
                    }
                }
            };
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(n)
    }
}

/// Reads units from CSV or TSV.
pub(crate) struct DelimitedReader {
    csv: csv::Reader<Box<dyn Read + Send>>,
    columns: Vec<Column>,
    source_lang: LangTag,
    record: csv::ByteRecord,
    path: Option<PathBuf>,
    /// Headerless: the first record decides whether a score column follows.
    awaiting_first: bool,
}

fn first_line(bytes: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', bytes) {
        Some(i) => &bytes[..i],
        None => bytes,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn split_first_row(line: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// True if `tag` names a language in a way a header would: a 2- or 3-letter code
/// (`en`, `yue`) or private use; longer primary subtags are almost never real codes
/// but are common words ("Hello" parses as a tag).
fn plausible_language(tag: &LangTag) -> bool {
    matches!(tag.primary().len(), 2 | 3) || matches!(tag.primary(), "x" | "i")
}

fn same_language(a: &LangTag, b: &LangTag) -> bool {
    a == b || a.matches(b) || b.matches(a)
}

impl DelimitedReader {
    pub(crate) fn new<R: Read + Send + 'static>(
        prefix: &[u8],
        head: Head<R>,
        format: Format,
        path: Option<PathBuf>,
        options: &ReadOptions,
    ) -> Result<DelimitedReader> {
        let located = |e: Error| match &path {
            Some(p) => e.in_file(p),
            None => e,
        };
        let at_line_1 = || Location::default().or_path(path.as_deref()).with_line(1);
        let mut text = input::decode_text(prefix, head, options.encoding).map_err(located)?;
        let io_error = |e| input::io_error(e, path.as_deref());
        let chunk = text.fill_buf().map_err(io_error)?;
        let first = first_line(chunk).to_vec();
        if !chunk.contains(&b'\n') && text.has_error() {
            // Bad bytes in the first line: report them, not a strange header.
            let mut sink = Vec::new();
            text.read_to_end(&mut sink).map_err(io_error)?;
        }
        let delimiter = match format {
            Format::Tsv => b'\t',
            _ if !first.contains(&b',') && first.contains(&b';') => b';',
            _ => b',',
        };
        let cells = split_first_row(&first, delimiter);
        let as_header = parse_header(&cells);
        let caller = options.caller_langs();
        let header =
            match options.header {
                HeaderMode::Present => match as_header {
                    Ok(columns) => Some(columns),
                    Err(why) => {
                        return Err(Error::syntax(
                            format!("not a header row: {why}"),
                            at_line_1(),
                        ))
                    }
                },
                HeaderMode::Absent => None,
                HeaderMode::Auto => match as_header {
                    Ok(columns) => {
                        let langs = lang_columns(&columns);
                        let all_found = caller
                            .iter()
                            .all(|c| langs.iter().any(|l| same_language(c, l)));
                        let plausible = langs.iter().all(|l| plausible_language(l));
                        if caller.is_empty() && !plausible {
                            return Err(Error::syntax(
                                format!(
                                "no header row naming the columns ({} do not look like language \
                                 codes); give the languages (--src-lang and --tgt-lang, or \
                                 --langs) to read a file without one, or use --header",
                                cells.join(", ")
                            ),
                                at_line_1(),
                            ));
                        }
                        if all_found {
                            Some(columns)
                        } else if plausible {
                            let missing: Vec<String> = caller
                                .iter()
                                .filter(|c| !langs.iter().any(|l| same_language(c, l)))
                                .map(|c| c.to_string())
                                .collect();
                            return Err(Error::invalid(format!(
                            "mismatched language columns: the header has {} but {} was asked for \
                             (if the first row is not a header, use --no-header)",
                            langs.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "),
                            missing.join(", ")
                        ))
                            .at(at_line_1()));
                        } else {
                            None
                        }
                    }
                    Err(why) => {
                        if caller.len() < 2 {
                            return Err(Error::syntax(
                                format!(
                                "no header row naming the columns ({why}); give the languages \
                                 (--src-lang and --tgt-lang, or --langs) to read a file without one"
                            ),
                                at_line_1(),
                            ));
                        }
                        None
                    }
                },
            };
        let headerless = header.is_none();
        let columns = match header {
            Some(columns) => columns,
            None => {
                if caller.len() < 2 {
                    return Err(located(Error::invalid(
                        "a file without a header row needs its languages \
                         (--src-lang and --tgt-lang, or --langs)",
                    )));
                }
                caller.iter().cloned().map(Column::Lang).collect()
            }
        };
        let source_lang =
            {
                let langs = lang_columns(&columns);
                match &options.source_lang {
                    Some(src) => {
                        match langs
                            .iter()
                            .find(|l| *l == &src)
                            .or_else(|| langs.iter().find(|l| same_language(src, l)))
                        {
                            Some(l) => (*l).clone(),
                            None => {
                                return Err(Error::invalid(format!(
                            "mismatched language columns: the source language {src} is not \
                             among the columns ({})",
                            langs.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                                .at(at_line_1()))
                            }
                        }
                    }
                    None => langs[0].clone(),
                }
            };
        let quotes = options
            .quotes
            .unwrap_or(!(format == Format::Tsv && headerless));
        let stream: Box<dyn Read + Send> = if quotes {
            Box::new(QuoteCheck::new(text, delimiter))
        } else {
            Box::new(text)
        };
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .quoting(quotes)
            .from_reader(stream);
        let mut record = csv::ByteRecord::new();
        if !headerless {
            csv.read_byte_record(&mut record)
                .map_err(|e| csv_error(e, path.as_deref()))?;
        }
        Ok(DelimitedReader {
            csv,
            columns,
            source_lang,
            record,
            path,
            awaiting_first: headerless,
        })
    }

    fn build(
        &self,
        line: u64,
        report: &mut ReadReport,
    ) -> std::result::Result<Option<TranslationUnit>, Error> {
        // Made only when needed: most records have nothing to report.
        let path = self.path.as_deref();
        let here = |id: Option<&str>| {
            let location = Location::default().or_path(path).with_line(line);
            match id {
                Some(id) => location.with_unit(id),
                None => location,
            }
        };
        let mut unit_id: Option<&str> = None;
        let mut unit = TranslationUnit {
            source_lang: Some(self.source_lang.clone()),
            ..TranslationUnit::default()
        };
        for (column, raw) in self.columns.iter().zip(self.record.iter()) {
            let field = utf8(raw)
                .ok_or_else(|| Error::encoding("bytes that are not valid UTF-8", here(unit_id)))?;
            if field.is_empty() {
                continue;
            }
            let value = field.trim();
            let bad = |what: &str| {
                Error::invalid(format!("{what} {value:?} in column {}", column.name()))
                    .at(here(unit_id))
            };
            match column {
                Column::Lang(tag) => unit.variants.push(Variant::new(tag.clone(), field)),
                Column::Id | Column::Tuid => {
                    unit.id = Some(value.to_string());
                    unit_id = Some(value);
                }
                Column::Note => unit.notes.push(Note {
                    text: field.to_string(),
                    lang: None,
                }),
                Column::Created => {
                    unit.provenance.created =
                        Some(parse_date(value).ok_or_else(|| bad("unreadable date"))?)
                }
                Column::Changed => {
                    unit.provenance.changed =
                        Some(parse_date(value).ok_or_else(|| bad("unreadable date"))?)
                }
                Column::LastUsed => {
                    unit.provenance.last_used =
                        Some(parse_date(value).ok_or_else(|| bad("unreadable date"))?)
                }
                Column::CreatedBy => unit.provenance.created_by = Some(value.to_string()),
                Column::ChangedBy => unit.provenance.changed_by = Some(value.to_string()),
                Column::UsageCount => {
                    unit.provenance.usage_count =
                        Some(value.parse().map_err(|_| bad("not a count:"))?)
                }
                Column::Score => {
                    let score: f64 = value.parse().map_err(|_| bad("not a number:"))?;
                    if !score.is_finite() {
                        return Err(bad("not a number:"));
                    }
                    unit.origin.score = Some(score);
                }
                Column::Origin => unit.origin.file = Some(value.to_string()),
                Column::ContextPrev => unit.context.prev = Some(field.to_string()),
                Column::ContextNext => unit.context.next = Some(field.to_string()),
                Column::Prop(kind) => unit.props.push(Prop {
                    kind: kind.clone(),
                    value: field.to_string(),
                    lang: None,
                }),
            }
        }
        if unit.variants.is_empty() {
            report.skip(here(unit_id), "no text in any language column");
            return Ok(None);
        }
        Ok(Some(unit))
    }
}

/// `bytes` as UTF-8, validated with SIMD (most of a big file is not ASCII in half of
/// its columns).
fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

fn csv_error(err: csv::Error, path: Option<&Path>) -> Error {
    let line = err.position().map(|p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(e) => input::io_error(e, path),
        other => {
            let mut location = Location::default().or_path(path);
            location.line = line;
            Error::syntax(format!("{other:?}"), location)
        }
    }
}

impl Source for DelimitedReader {
    fn next_item(&mut self, report: &mut ReadReport) -> Option<Item> {
        loop {
            match self.csv.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Item::Fatal(csv_error(e, self.path.as_deref()))),
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self.record.len() == 1 && self.record[0].is_empty() {
                continue;
            }
            let location = Location::default()
                .or_path(self.path.as_deref())
                .with_line(line);
            if self.awaiting_first {
                self.awaiting_first = false;
                if self.record.len() == self.columns.len() + 1 {
                    self.columns.push(Column::Score);
                }
            }
            if self.record.len() != self.columns.len() {
                let names: Vec<String> = self.columns.iter().map(Column::name).collect();
                return Some(Item::Invalid(Error::syntax(
                    format!(
                        "{} in this row, but {} ({})",
                        count(self.record.len() as u64, "field"),
                        count(self.columns.len() as u64, "column"),
                        names.join(", ")
                    ),
                    location,
                )));
            }
            match self.build(line, report) {
                Ok(Some(unit)) => return Some(Item::Unit(unit)),
                Ok(None) => continue,
                Err(e) => return Some(Item::Invalid(e)),
            }
        }
    }
}

/// Writes units as CSV or TSV with a header row.
pub struct DelimitedWriter<W: Write> {
    csv: csv::Writer<W>,
    columns: Option<Vec<Column>>,
    langs: Vec<LangTag>,
    extra: Vec<Column>,
    source_lang: Option<LangTag>,
    ordinal: u64,
    /// The memory id of the unit being written (see [`Column::Id`]).
    stored_id: Option<i64>,
    report: WriteReport,
}

impl<W: Write> DelimitedWriter<W> {
    pub(crate) fn new(
        mut out: W,
        format: Format,
        options: &UnitWriteOptions,
    ) -> Result<DelimitedWriter<W>> {
        if let Some(c) = options
            .columns
            .iter()
            .find(|c| matches!(c, Column::Lang(_)))
        {
            return Err(Error::invalid(format!(
                "{c} is a language: give languages with --langs, not as extra columns"
            )));
        }
        if options.bom {
            out.write_all("\u{FEFF}".as_bytes())?;
        }
        let csv = csv::WriterBuilder::new()
            .delimiter(if format == Format::Tsv { b'\t' } else { b',' })
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        Ok(DelimitedWriter {
            csv,
            columns: None,
            langs: options.langs.clone(),
            extra: options.columns.clone(),
            source_lang: options.source_lang.clone(),
            ordinal: 0,
            stored_id: None,
            report: WriteReport::default(),
        })
    }

    fn write_header(&mut self, columns: Vec<Column>) -> Result<()> {
        let names: Vec<String> = columns.iter().map(Column::name).collect();
        self.csv.write_record(&names).map_err(csv_write_error)?;
        self.columns = Some(columns);
        Ok(())
    }

    fn columns_for(&self, unit: &TranslationUnit) -> Vec<Column> {
        let mut langs: Vec<LangTag> = self.langs.clone();
        if langs.is_empty() {
            if let Some(src) = self.source_lang.as_ref().or(unit.source_lang.as_ref()) {
                langs.push(src.clone());
            }
            for v in &unit.variants {
                if !langs.contains(&v.lang) {
                    langs.push(v.lang.clone());
                }
            }
        }
        langs
            .into_iter()
            .map(Column::Lang)
            .chain(self.extra.iter().cloned())
            .collect()
    }

    /// Writes one unit of a memory, `id` its number there (the `id` column).
    pub fn write_stored_unit(&mut self, unit: &TranslationUnit, id: i64) -> Result<bool> {
        self.stored_id = Some(id);
        let written = self.write_unit(unit);
        self.stored_id = None;
        written
    }

    /// Writes one unit as a row; see [`super::UnitWriter::write_unit`].
    pub fn write_unit(&mut self, unit: &TranslationUnit) -> Result<bool> {
        self.ordinal += 1;
        if self.columns.is_none() {
            let columns = self.columns_for(unit);
            self.write_header(columns)?;
        }
        let columns = self.columns.as_ref().expect("header written");
        let mut used = vec![false; unit.variants.len()];
        let mut row: Vec<String> = Vec::with_capacity(columns.len());
        let mut texts = 0;
        let mut markup_dropped = 0;
        for column in columns {
            let cell = match column {
                Column::Lang(tag) => {
                    let found = unit
                        .variants
                        .iter()
                        .enumerate()
                        .find(|(i, v)| !used[*i] && v.lang == *tag)
                        .or_else(|| {
                            unit.variants
                                .iter()
                                .enumerate()
                                .find(|(i, v)| !used[*i] && v.lang.matches(tag))
                        });
                    match found {
                        Some((i, v)) => {
                            used[i] = true;
                            texts += 1;
                            if v.markup.is_some() {
                                markup_dropped += 1;
                            }
                            v.text.clone()
                        }
                        None => String::new(),
                    }
                }
                Column::Id => match self.stored_id {
                    Some(id) => id.to_string(),
                    None => unit.id.clone().unwrap_or_default(),
                },
                Column::Tuid => unit.id.clone().unwrap_or_default(),
                Column::Note => unit
                    .notes
                    .iter()
                    .map(|n| n.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                Column::Created => date_cell(unit.provenance.created),
                Column::Changed => date_cell(unit.provenance.changed),
                Column::LastUsed => date_cell(unit.provenance.last_used),
                Column::CreatedBy => unit.provenance.created_by.clone().unwrap_or_default(),
                Column::ChangedBy => unit.provenance.changed_by.clone().unwrap_or_default(),
                Column::UsageCount => unit
                    .provenance
                    .usage_count
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                Column::Score => unit.origin.score.map(|s| s.to_string()).unwrap_or_default(),
                Column::Origin => unit.origin.file.clone().unwrap_or_default(),
                Column::ContextPrev => unit.context.prev.clone().unwrap_or_default(),
                Column::ContextNext => unit.context.next.clone().unwrap_or_default(),
                Column::Prop(kind) => unit
                    .props
                    .iter()
                    .find(|p| &p.kind == kind)
                    .map(|p| p.value.clone())
                    .unwrap_or_default(),
            };
            row.push(cell);
        }
        if texts == 0 {
            let langs: Vec<String> = lang_columns(columns)
                .iter()
                .map(|l| l.to_string())
                .collect();
            self.report.skip(
                unit_location(unit, self.ordinal),
                format!(
                    "no variant in the columns' languages ({})",
                    langs.join(", ")
                ),
            );
            return Ok(false);
        }
        self.csv.write_record(&row).map_err(csv_write_error)?;
        self.report.units += 1;
        self.report.variants_dropped += used.iter().filter(|u| !**u).count() as u64;
        self.report.markup_dropped += markup_dropped;
        Ok(true)
    }

    /// Writes the header if no unit came and the languages are known, flushes, and
    /// returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        if self.columns.is_none() && !self.langs.is_empty() {
            let columns = self
                .langs
                .iter()
                .cloned()
                .map(Column::Lang)
                .chain(self.extra.iter().cloned())
                .collect();
            self.write_header(columns)?;
        }
        self.csv.flush()?;
        self.csv
            .into_inner()
            .map_err(|e| Error::from(io::Error::other(e.error().to_string())))
    }

    /// Counts so far.
    pub fn report(&self) -> &WriteReport {
        &self.report
    }
}

fn date_cell(date: Option<Timestamp>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

fn csv_write_error(err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Error::from(e),
        other => Error::from(io::Error::other(format!("{other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Reader;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    fn read(text: &[u8], format: Format, options: ReadOptions) -> Result<Vec<TranslationUnit>> {
        let options = ReadOptions {
            format: Some(format),
            ..options
        };
        Reader::from_reader(
            io::Cursor::new(text.to_vec()),
            Some(Path::new("t.csv")),
            &options,
        )?
        .collect()
    }

    #[test]
    fn header_names_languages_and_metadata() {
        let csv = "en_us,RU-ru,note,created,score,prop:x-domain\n\
                   \"Hello, world\",\"Привет, \"\"мир\"\"\",greeting,20240102T030405Z,0.5,IT\n";
        let units = read(csv.as_bytes(), Format::Csv, ReadOptions::default()).unwrap();
        assert_eq!(units.len(), 1);
        let u = &units[0];
        assert_eq!(u.source_lang, Some(tag("en-US")));
        assert_eq!(u.variants[0].text, "Hello, world");
        assert_eq!(u.variants[1].lang, tag("ru-RU"));
        assert_eq!(u.variants[1].text, "Привет, \"мир\"");
        assert_eq!(u.notes[0].text, "greeting");
        assert_eq!(
            u.provenance.created.unwrap().to_string(),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(u.origin.score, Some(0.5));
        assert_eq!(u.props[0].kind, "x-domain");
    }

    #[test]
    fn ragged_row_names_its_line() {
        let csv = b"en,fr\na,b\nc,d,e\n";
        let err = read(csv, Format::Csv, ReadOptions::default()).unwrap_err();
        assert_eq!(err.location().line, Some(3), "{err}");
        assert!(err.to_string().contains("3 fields"), "{err}");
        // With skip_invalid the row is listed and the rest read.
        let options = ReadOptions {
            format: Some(Format::Csv),
            skip_invalid: true,
            ..ReadOptions::default()
        };
        let mut reader = Reader::from_reader(
            io::Cursor::new(b"en,fr\na,b\nc,d,e\nf,g\n".to_vec()),
            None,
            &options,
        )
        .unwrap();
        let units: Vec<_> = reader.by_ref().collect::<Result<_>>().unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(reader.report().skipped, 1);
        assert_eq!(reader.report().skips[0].location.line, Some(3));
    }

    #[test]
    fn unterminated_quote_is_an_error_at_its_line() {
        let csv = b"en,fr\na,b\n\"c,d\ne,f\n";
        let err = read(csv, Format::Csv, ReadOptions::default()).unwrap_err();
        assert_eq!(err.location().line, Some(3), "{err}");
        assert!(err.to_string().contains("never closed"), "{err}");
        let csv = b"en,fr\n\"a\"x,b\n";
        let err = read(csv, Format::Csv, ReadOptions::default()).unwrap_err();
        assert_eq!(err.location().line, Some(2), "{err}");
        assert!(err.to_string().contains("after the closing quote"), "{err}");
    }

    #[test]
    fn headerless_tsv_with_score_and_literal_quotes() {
        let tsv = "\"Yes,\" he said.\t« Oui », dit-il.\t0.93\nNo.\tNon.\t0.5\n";
        let options = ReadOptions {
            source_lang: Some(tag("en")),
            target_lang: Some(tag("fr")),
            ..ReadOptions::default()
        };
        let units = read(tsv.as_bytes(), Format::Tsv, options).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].variants[0].text, "\"Yes,\" he said.");
        assert_eq!(units[0].origin.score, Some(0.93));
        assert_eq!(units[1].variants[1].lang, tag("fr"));
    }

    #[test]
    fn header_must_match_the_languages_asked_for() {
        let options = ReadOptions {
            source_lang: Some(tag("en")),
            target_lang: Some(tag("fr")),
            ..ReadOptions::default()
        };
        let err = read(b"de,it\na,b\n", Format::Csv, options.clone()).unwrap_err();
        assert!(
            err.to_string().contains("mismatched language columns"),
            "{err}"
        );
        // en matches en-GB.
        let units = read(b"en-GB,fr-FR\na,b\n", Format::Csv, options).unwrap();
        assert_eq!(units[0].variants[0].lang, tag("en-GB"));
        let err = read(b"Hello,Bonjour\n", Format::Csv, ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no header row"), "{err}");
        assert_eq!(err.location().line, Some(1));
    }

    #[test]
    fn utf16_with_bom_and_semicolons() {
        let text = "en;de\r\nOne;Eins\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let units = read(&bytes, Format::Csv, ReadOptions::default()).unwrap();
        assert_eq!(units[0].variants[1].text, "Eins");
    }

    #[test]
    fn writer_round_trips_quotes_and_newlines() {
        let mut unit = TranslationUnit::pair(tag("en"), "a \"b\",\nc", tag("fr"), "d\te");
        unit.notes.push(Note {
            text: "n".into(),
            lang: None,
        });
        for format in [Format::Csv, Format::Tsv] {
            let options = UnitWriteOptions {
                columns: vec![Column::Note],
                ..UnitWriteOptions::default()
            };
            let mut w = DelimitedWriter::new(Vec::new(), format, &options).unwrap();
            assert!(w.write_unit(&unit).unwrap());
            let out = w.finish().unwrap();
            let back = read(&out, format, ReadOptions::default()).unwrap();
            assert_eq!(
                back,
                vec![unit.clone()],
                "{}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}
