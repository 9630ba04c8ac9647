//! Pre-translating an XLIFF file in place: targets filled and matches recorded by
//! splicing new elements into the file's own bytes at the places the reader gave
//! ([`TargetPlace`], the start tags of units and 2.x segments). Nothing else is
//! re-serialised, so every byte outside the changed elements stays as it was.
//!
//! The memory's inline markup (TMX codes) goes back to the file's own inline elements
//! by matching each code of a match with a code of the segment's source: first by its
//! content (a memory filled from XLIFF holds the XLIFF tags themselves), then by its
//! place among the codes of the match's source. The target gets the source's elements
//! (1.2 `g x bx ex bpt ept ph it`, 2.x `pc ph sc ec`) as written there, so ids agree.
//! A match whose codes cannot all be placed fills nothing ([`NotFilled::Codes`]).
//!
//! What is written (see `docs/xliff.md`):
//! - 1.2: `<target state="translated" state-qualifier="exact-match">` for 100 and 101 %,
//!   `state="needs-review-translation" state-qualifier="fuzzy-match"` below; then an
//!   `<alt-trans match-quality origin>` per match (the one used first).
//! - 2.x: `<segment state="translated">` for 100 and 101 %, `state="initial"` below;
//!   the matches as `<mtc:match ref similarity matchQuality origin type="tm">` in an
//!   `<mtc:matches>` at the start of the unit (the namespace declared on the root when
//!   it is not already).

use std::collections::HashMap;
use std::io::Cursor;
use std::ops::Range;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use quick_xml::events::Event;

use super::inline::{Content, Version};
use super::reader::XliffReader;
use super::{TargetPlace, XliffUnit};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::formats::input;
use crate::formats::tmx::inline::{escape_attr, escape_text, resolve_reference, TagKind};
use crate::formats::tmx::reader::parse_attributes;
use crate::formats::ReadReport;

/// The matches module's namespace.
pub const MTC_NS: &str = "urn:oasis:names:tc:xliff:matches:2.0";

/// A translation the memory offers for a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The match percentage (0–101).
    pub percent: u32,
    /// The stored source.
    pub source: Content,
    /// Its translation.
    pub target: Content,
    /// Where it comes from (`bitext:MEMORY`), written as `origin`.
    pub origin: String,
}

/// Why a segment's target was not filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFilled {
    /// The codes of the match cannot be placed: what went wrong.
    Codes(String),
}

impl std::fmt::Display for NotFilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFilled::Codes(why) => write!(f, "codes not mapped: {why}"),
        }
    }
}

/// Why a segment is not to be filled at all (see [`XliffDocument::fillable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `translate="no"`.
    NotTranslatable,
    /// Its state is translated or beyond (`translated`, `signed-off`, `final`,
    /// `reviewed`), or the unit is `approved="yes"`.
    Translated,
    /// The target has text already.
    HasTarget,
    /// A 1.2 unit segmented with `<seg-source>` (not written yet).
    Segmented,
    /// The source has no text.
    EmptySource,
}

impl Skip {
    /// A short reason, for reports.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::NotTranslatable => "translate=\"no\"",
            Skip::Translated => "already translated (state)",
            Skip::HasTarget => "target not empty",
            Skip::Segmented => "segmented unit (<seg-source>), not written yet",
            Skip::EmptySource => "no text in the source",
        }
    }
}

struct Edit {
    range: Range<usize>,
    text: String,
}

/// An XLIFF file read whole, its units, and the changes made to it.
pub struct XliffDocument {
    path: Option<PathBuf>,
    raw: Vec<u8>,
    /// The file as text: its bytes for UTF-8, else decoded.
    text: String,
    /// `Some` when the file is not UTF-8: offsets are in `text`, output is re-encoded.
    encoding: Option<&'static Encoding>,
    version: Version,
    units: Vec<XliffUnit>,
    report: ReadReport,
    edits: Vec<Edit>,
    /// Units (by index) given `<mtc:matches>`, with their matches' XML.
    mtc: HashMap<usize, Vec<String>>,
}

fn located(path: Option<&Path>, e: Error) -> Error {
    match path {
        Some(p) => e.in_file(p),
        None => e,
    }
}

fn internal(path: Option<&Path>, message: String) -> Error {
    let error = Error::invalid(message);
    located(path, error)
}

impl XliffDocument {
    /// Reads an XLIFF file (bytes) whole. Units that cannot be used (no source) are
    /// counted in the report's skips and left as they are.
    pub fn parse(raw: Vec<u8>, path: Option<&Path>) -> Result<XliffDocument> {
        let (prefix, head) =
            input::peek(Cursor::new(raw.clone()), input::PEEK_LEN).map_err(|e| {
                located(
                    path,
                    Error::io(e, path).at(Location::default().with_line(1)),
                )
            })?;
        // The file is rewritten in its own encoding: the declaration or a byte-order mark
        // says which (--encoding is for plain text).
        let mut reader = XliffReader::new(&prefix, head, path.map(Path::to_path_buf), None)?;
        let mut report = reader.take_early().unwrap_or_default();
        let mut units = Vec::new();
        while let Some(unit) = reader.next_unit(&mut report) {
            match unit {
                Ok(unit) => units.push(unit),
                Err(e) if matches!(e.kind(), ErrorKind::Invalid(_)) => {
                    let location = e.location().clone();
                    report.skip(location, e.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        let version = reader.version();
        let (text, encoding) = if reader.spans_are_file_offsets() {
            let text = String::from_utf8(raw.clone()).map_err(|_| {
                internal(
                    path,
                    "the file is not valid UTF-8 although it says so".into(),
                )
            })?;
            (text, None)
        } else {
            let encoding = file_encoding(&raw).ok_or_else(|| {
                internal(
                    path,
                    "cannot write this file back in its own encoding (UTF-16 or unknown): \
                     re-save it as UTF-8 to pre-translate it"
                        .into(),
                )
            })?;
            let (text, _) = encoding.decode_without_bom_handling(&raw);
            (text.into_owned(), Some(encoding))
        };
        Ok(XliffDocument {
            path: path.map(Path::to_path_buf),
            raw,
            text,
            encoding,
            version,
            units,
            report,
            edits: Vec::new(),
            mtc: HashMap::new(),
        })
    }

    /// XLIFF 1.x or 2.x.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The units, in file order.
    pub fn units(&self) -> &[XliffUnit] {
        &self.units
    }

    /// What reading met (skipped units, warnings).
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// The file's encoding when it is not UTF-8.
    pub fn encoding(&self) -> Option<&'static str> {
        self.encoding.map(Encoding::name)
    }

    /// Whether segment `seg` of unit `unit` is to be filled: translatable, its target
    /// missing or empty, its state not translated or beyond.
    pub fn fillable(&self, unit: usize, seg: usize) -> std::result::Result<(), Skip> {
        let u = &self.units[unit];
        let s = &u.segments[seg];
        if !u.translate {
            return Err(Skip::NotTranslatable);
        }
        let state = s.state.state.as_deref().unwrap_or("");
        if s.state.approved == Some(true)
            || matches!(state, "translated" | "signed-off" | "final" | "reviewed")
        {
            return Err(Skip::Translated);
        }
        if s.target.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(Skip::HasTarget);
        }
        if u.version == Version::V1 && (u.segments.len() > 1 || s.id.is_some()) {
            return Err(Skip::Segmented);
        }
        if s.source.text.trim().is_empty() {
            return Err(Skip::EmptySource);
        }
        Ok(())
    }

    /// Fills segment `seg` of unit `unit` with `best` (when given) and records
    /// `candidates` (alt-trans / mtc:match). Returns whether the target was filled;
    /// when `best`'s codes cannot be placed the target is left as it was and the
    /// candidates are still recorded.
    pub fn fill(
        &mut self,
        unit: usize,
        seg: usize,
        best: Option<&Match>,
        candidates: &[Match],
    ) -> Result<std::result::Result<(), NotFilled>> {
        let version = self.version;
        let source_markup = {
            let s = &self.units[unit].segments[seg];
            s.source.markup.clone()
        };
        let (content, outcome) =
            match best.map(|m| map_target(source_markup.as_deref(), m, version)) {
                Some(Ok(content)) => (Some(content), Ok(())),
                Some(Err(why)) => (None, Err(why)),
                None => (None, Ok(())),
            };
        let all: Vec<&Match> = best.into_iter().chain(candidates.iter()).collect();
        match version {
            Version::V1 => self.fill_1(unit, seg, best, content.as_deref(), &all)?,
            Version::V2 => self.fill_2(unit, seg, best, content.as_deref(), &all)?,
        }
        Ok(outcome)
    }

    fn offset(&self, at: u64) -> usize {
        at as usize
    }

    fn check_tag(&self, at: usize, local: &str) -> Result<StartTag> {
        start_tag_at(&self.text, at)
            .filter(|t| t.local() == local)
            .ok_or_else(|| {
                internal(
                    self.path.as_deref(),
                    format!(
                        "internal error: no <{local}> at offset {at} of the file; \
                         nothing written"
                    ),
                )
            })
    }

    fn fill_1(
        &mut self,
        unit: usize,
        seg: usize,
        best: Option<&Match>,
        content: Option<&str>,
        all: &[&Match],
    ) -> Result<()> {
        let place = self.units[unit].segments[seg].target_place.clone();
        let source_markup = self.units[unit].segments[seg].source.markup.clone();
        let prefix = self.core_prefix();
        let mut alts = String::new();
        for m in all {
            let target = map_target(source_markup.as_deref(), m, Version::V1)
                .unwrap_or_else(|_| escaped(&m.target.text));
            alts.push_str(&format!(
                "<{prefix}alt-trans match-quality=\"{}\" origin=\"{}\"><{prefix}source>{}</{prefix}source><{prefix}target>{target}</{prefix}target></{prefix}alt-trans>",
                m.percent,
                attr(&m.origin),
                source_of(source_markup.as_deref(), m, Version::V1),
            ));
        }
        let (range, mut indent, old) = match place {
            TargetPlace::Element(r) => {
                let start = self.offset(r.start);
                let end = self.offset(r.end);
                let tag = self.check_tag(start, "target")?;
                let indent = line_indent(&self.text, start).map(|i| format!("\n{i}"));
                (start..end, indent, Some(tag))
            }
            TargetPlace::Missing { at } => {
                let at = self.offset(at);
                let indent = own_line_indent(&self.text, at).map(|i| format!("\n{i}"));
                (at..at, indent, None)
            }
        };
        let sep = indent.take().unwrap_or_default();
        let mut text = String::new();
        match (content, best) {
            (Some(content), Some(m)) => {
                let (state, qualifier) = if m.percent >= 100 {
                    ("translated", "exact-match")
                } else {
                    ("needs-review-translation", "fuzzy-match")
                };
                let (name, attrs) = match &old {
                    Some(tag) => (tag.name.clone(), tag.attrs.clone()),
                    None => {
                        text.push_str(&sep);
                        (format!("{prefix}target"), Vec::new())
                    }
                };
                text.push('<');
                text.push_str(&name);
                for (k, v) in attrs
                    .iter()
                    .filter(|(k, _)| k != "state" && k != "state-qualifier")
                {
                    text.push_str(&format!(" {k}=\"{}\"", attr(v)));
                }
                text.push_str(&format!(
                    " state=\"{state}\" state-qualifier=\"{qualifier}\">{content}</{name}>"
                ));
            }
            _ => {
                // The target stays as it is.
                text.push_str(&self.text[range.clone()]);
            }
        }
        if !alts.is_empty() {
            // After the target (or where it would go): one alt-trans per match.
            for piece in split_alts(&alts) {
                text.push_str(&sep);
                text.push_str(piece);
            }
        }
        if text != self.text[range.clone()] {
            self.edits.push(Edit { range, text });
        }
        Ok(())
    }

    fn fill_2(
        &mut self,
        unit: usize,
        seg: usize,
        best: Option<&Match>,
        content: Option<&str>,
        all: &[&Match],
    ) -> Result<()> {
        let prefix = self.core_prefix();
        let segment = self.units[unit].segments[seg].clone();
        let seg_tag = segment.start_tag.clone().ok_or_else(|| {
            internal(
                self.path.as_deref(),
                "internal error: a 2.x segment without its start tag".into(),
            )
        })?;
        let tag_range = self.offset(seg_tag.start)..self.offset(seg_tag.end);
        let tag = self.check_tag(tag_range.start, "segment")?;
        let mut id = segment.id.clone();
        let mut new_attrs = tag.attrs.clone();
        if id.is_none() && !all.is_empty() {
            let fresh = format!("bitext-s{}", seg + 1);
            new_attrs.push(("id".into(), fresh.clone()));
            id = Some(fresh);
        }
        if let (Some(content), Some(m)) = (content, best) {
            let state = if m.percent >= 100 {
                "translated"
            } else {
                "initial"
            };
            new_attrs.retain(|(k, _)| k != "state" && k != "subState");
            new_attrs.push(("state".into(), state.into()));
            let (range, text) = match &segment.target_place {
                TargetPlace::Element(r) => {
                    let range = self.offset(r.start)..self.offset(r.end);
                    let old = self.check_tag(range.start, "target")?;
                    let mut text = format!("<{}", old.name);
                    for (k, v) in &old.attrs {
                        text.push_str(&format!(" {k}=\"{}\"", attr(v)));
                    }
                    text.push_str(&format!(">{content}</{}>", old.name));
                    (range, text)
                }
                TargetPlace::Missing { at } => {
                    let at = self.offset(*at);
                    let sep = own_line_indent(&self.text, at)
                        .map(|i| format!("\n{i}"))
                        .unwrap_or_default();
                    (
                        at..at,
                        format!("{sep}<{prefix}target>{content}</{prefix}target>"),
                    )
                }
            };
            self.edits.push(Edit { range, text });
        }
        if new_attrs != tag.attrs {
            let mut text = format!("<{}", tag.name);
            for (k, v) in &new_attrs {
                text.push_str(&format!(" {k}=\"{}\"", attr(v)));
            }
            text.push_str(if tag.empty { "/>" } else { ">" });
            self.edits.push(Edit {
                range: tag_range,
                text,
            });
        }
        if !all.is_empty() {
            let mut matches = Vec::new();
            for m in all {
                let pct = m.percent.min(100);
                matches.push(format!(
                    "<mtc:match ref=\"#{}\" similarity=\"{pct}\" matchQuality=\"{pct}\" origin=\"{}\" type=\"tm\"><{prefix}source>{}</{prefix}source><{prefix}target>{}</{prefix}target></mtc:match>",
                    attr(id.as_deref().unwrap_or_default()),
                    attr(&m.origin),
                    escaped(&m.source.text),
                    escaped(&m.target.text),
                ));
            }
            self.mtc.entry(unit).or_default().extend(matches);
        }
        Ok(())
    }

    /// The prefix of the XLIFF core elements (`""` or `xlf:`), from the root.
    fn core_prefix(&self) -> String {
        match root_tag(&self.text) {
            Some((_, tag)) => match tag.name.split_once(':') {
                Some((p, _)) => format!("{p}:"),
                None => String::new(),
            },
            None => String::new(),
        }
    }

    /// Whether anything was changed.
    pub fn is_changed(&self) -> bool {
        !self.edits.is_empty() || !self.mtc.is_empty()
    }

    /// The file with the changes spliced in. Unchanged: the input, byte for byte.
    pub fn output(self) -> Result<Vec<u8>> {
        self.output_and_changes().map(|(bytes, _)| bytes)
    }

    /// The output and the changes made: each range of the input (byte offsets for
    /// UTF-8 files, else offsets in the decoded text) and what replaced it, in order.
    /// Every byte of the input outside these ranges is in the output as it was.
    pub fn output_and_changes(mut self) -> Result<(Vec<u8>, Vec<Change>)> {
        let mut mtc: Vec<(usize, Vec<String>)> =
            std::mem::take(&mut self.mtc).into_iter().collect();
        mtc.sort_by_key(|(u, _)| *u);
        if !mtc.is_empty() {
            let (root_range, root) = root_tag(&self.text).ok_or_else(|| {
                internal(
                    self.path.as_deref(),
                    "internal error: no root element".into(),
                )
            })?;
            let declared = root
                .attrs
                .iter()
                .find(|(k, v)| k.starts_with("xmlns:") && v == MTC_NS)
                .map(|(k, _)| k["xmlns:".len()..].to_string());
            let mtc_prefix = declared.clone().unwrap_or_else(|| "mtc".to_string());
            if declared.is_none() {
                let end = root_range.end - if root.empty { 2 } else { 1 };
                self.edits.push(Edit {
                    range: end..end,
                    text: format!(" xmlns:mtc=\"{MTC_NS}\""),
                });
            }
            for (u, matches) in mtc {
                let unit = &self.units[u];
                let at = unit.start_tag.end as usize;
                let first_seg = unit.segments[0]
                    .start_tag
                    .as_ref()
                    .map_or(at, |r| r.start as usize);
                let between = &self.text[at..first_seg.max(at)];
                if between.contains(":matches") || between.contains("<matches") {
                    // The unit has its own <mtc:matches>: a second one is not allowed.
                    continue;
                }
                let indent = line_indent(&self.text, first_seg);
                let (sep, inner) = match &indent {
                    Some(i) => (format!("\n{i}"), format!("\n{i}  ")),
                    None => (String::new(), String::new()),
                };
                let mut text = format!("{sep}<{mtc_prefix}:matches>");
                for m in matches {
                    text.push_str(&inner);
                    text.push_str(
                        &m.replace("mtc:match ", &format!("{mtc_prefix}:match "))
                            .replace("</mtc:match>", &format!("</{mtc_prefix}:match>")),
                    );
                }
                text.push_str(&sep);
                text.push_str(&format!("</{mtc_prefix}:matches>"));
                self.edits.push(Edit {
                    range: at..at,
                    text,
                });
            }
        }
        self.edits.sort_by_key(|e| (e.range.start, e.range.end));
        for pair in self.edits.windows(2) {
            if pair[0].range.end > pair[1].range.start {
                return Err(internal(
                    self.path.as_deref(),
                    "internal error: overlapping changes; nothing written".into(),
                ));
            }
        }
        match self.encoding {
            None => {
                let mut out = Vec::with_capacity(self.raw.len() + self.edits.len() * 64);
                let mut pos = 0;
                for edit in &self.edits {
                    out.extend_from_slice(&self.raw[pos..edit.range.start]);
                    out.extend_from_slice(edit.text.as_bytes());
                    pos = edit.range.end;
                }
                out.extend_from_slice(&self.raw[pos..]);
                Ok((out, self.changes()))
            }
            Some(encoding) => {
                let mut out = Vec::with_capacity(self.raw.len() + self.edits.len() * 64);
                let mut pos = 0;
                let mut file_pos = 0;
                let path = self.path.clone();
                let mismatch = || {
                    internal(
                        path.as_deref(),
                        format!(
                            "cannot write the file back in {} byte for byte; nothing written \
                             (re-save it as UTF-8)",
                            encoding.name()
                        ),
                    )
                };
                let ends = self
                    .edits
                    .iter()
                    .map(|e| (e.range.clone(), Some(e.text.as_str())))
                    .chain(std::iter::once((self.text.len()..self.text.len(), None)));
                for (range, text) in ends {
                    let (same, _, bad) = encoding.encode(&self.text[pos..range.start]);
                    let original = self.raw.get(file_pos..file_pos + same.len());
                    if bad || original != Some(&same[..]) {
                        return Err(mismatch());
                    }
                    out.extend_from_slice(&same);
                    file_pos += same.len();
                    let (old, _, _) = encoding.encode(&self.text[range.clone()]);
                    file_pos += old.len();
                    if let Some(text) = text {
                        let (new, _, _) = encoding.encode(text);
                        out.extend_from_slice(&new);
                    }
                    pos = range.end;
                }
                if file_pos != self.raw.len() {
                    return Err(mismatch());
                }
                Ok((out, self.changes()))
            }
        }
    }
}

/// A change [`XliffDocument::output_and_changes`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What of the input was replaced (empty: an insertion).
    pub range: Range<usize>,
    /// What replaced it.
    pub text: String,
}

impl XliffDocument {
    fn changes(&self) -> Vec<Change> {
        self.edits
            .iter()
            .map(|e| Change {
                range: e.range.clone(),
                text: e.text.clone(),
            })
            .collect()
    }
}

/// Splits the concatenated alt-trans elements (each starts with `<` and a name
/// ending in `alt-trans`).
fn split_alts(alts: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = alts;
    while !rest.is_empty() {
        let close = rest.find("alt-trans>").map(|k| k + "alt-trans>".len());
        // The first "alt-trans>" is the end tag's (the start tag has attributes).
        match close {
            Some(end) => {
                out.push(&rest[..end]);
                rest = &rest[end..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out
}

fn escaped(text: &str) -> String {
    let mut out = String::new();
    escape_text(text, &mut out);
    out
}

fn attr(text: &str) -> String {
    let mut out = String::new();
    escape_attr(text, &mut out);
    out
}

/// The encoding of a file that is not UTF-8, when it can be written back: from its
/// declaration (a byte-order mark means UTF-16 or UTF-8, neither handled here).
fn file_encoding(raw: &[u8]) -> Option<&'static Encoding> {
    if input::sniff_bom(raw).is_some() || input::utf16_without_bom(raw).is_some() {
        return None;
    }
    let head = String::from_utf8_lossy(&raw[..raw.len().min(512)]).into_owned();
    let decl = head.strip_prefix("<?xml")?.split("?>").next()?.to_string();
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next()?;
    let label = rest[1..].split(quote).next()?;
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    (encoding.output_encoding() == encoding && encoding != encoding_rs::UTF_8).then_some(encoding)
}

/// A start tag read from the file.
#[derive(Debug, Clone)]
struct StartTag {
    name: String,
    attrs: Vec<(String, String)>,
    empty: bool,
}

impl StartTag {
    fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }
}

fn start_tag_at(text: &str, at: usize) -> Option<StartTag> {
    let mut reader = quick_xml::Reader::from_str(text.get(at..)?);
    reader.config_mut().expand_empty_elements = false;
    let (e, empty) = match reader.read_event().ok()? {
        Event::Start(e) => (e, false),
        Event::Empty(e) => (e, true),
        _ => return None,
    };
    let name = e.name().0.to_string();
    let raw = e.to_string();
    let attrs = parse_attributes(&raw, name.len()).ok()?;
    Some(StartTag { name, attrs, empty })
}

/// The root element's start tag and its range.
fn root_tag(text: &str) -> Option<(Range<usize>, StartTag)> {
    // quick-xml skips a byte-order mark without counting it.
    let bom = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let (whole, text) = (text, &text[bom..]);
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().expand_empty_elements = false;
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event().ok()? {
            Event::Start(_) | Event::Empty(_) => {
                let after = reader.buffer_position() as usize;
                // `before` may point at white space before the tag.
                let start = before + text[before..].find('<')?;
                return Some((start + bom..after + bom, start_tag_at(whole, start + bom)?));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The white space before `at` on its line, if only white space precedes it there.
fn line_indent(text: &str, at: usize) -> Option<&str> {
    let start = text[..at].rfind('\n').map_or(0, |k| k + 1);
    let lead = &text[start..at];
    (start > 0 && lead.chars().all(|c| c == ' ' || c == '\t')).then_some(lead)
}

/// For an insertion right after an element ending at `at`: the indentation of the
/// line it ends on, when that line starts with a tag (the element has its own line).
fn own_line_indent(text: &str, at: usize) -> Option<&str> {
    let start = text[..at].rfind('\n')? + 1;
    let line = &text[start..at];
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    let name = line[lead..]
        .strip_prefix('<')?
        .split([' ', '\t', '>', '/'])
        .next()?;
    // The element that ends at `at` (a source) starts the line, and ends it.
    name.ends_with("source").then_some(&line[..lead])
}

/// A code of the memory's inline markup.
#[derive(Debug, Clone)]
struct Code {
    kind: TagKind,
    i: Option<String>,
    x: Option<String>,
    pos: Option<String>,
    ty: Option<String>,
    /// Its content as written (escaped; may hold `<sub>`).
    inner: String,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Code(Code),
}

/// The pieces of TMX inline markup; `Err` for what XLIFF cannot take back (foreign
/// elements, `<ut>`, `<sub>` outside a code).
fn pieces(markup: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut reader = quick_xml::Reader::from_str(markup);
    reader.config_mut().expand_empty_elements = false;
    let mut out = Vec::new();
    let mut text = String::new();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.to_string();
                text.push(resolve_reference(&name)?);
            }
            Event::Start(e) | Event::Empty(e) if e.name().0 == "hi" => {}
            Event::End(e) if e.name().0 == "hi" => {}
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name().0.to_string();
                let kind = TagKind::of(&name);
                if !matches!(
                    kind,
                    TagKind::Bpt | TagKind::Ept | TagKind::It | TagKind::Ph
                ) {
                    return Err(format!("<{name}> has no XLIFF counterpart"));
                }
                let raw = e.to_string();
                let attrs = parse_attributes(&raw, name.len())?;
                let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                let start = reader.buffer_position() as usize;
                let mut end = start;
                if !empty {
                    let mut depth = 0usize;
                    loop {
                        let before = reader.buffer_position() as usize;
                        match reader.read_event().map_err(|e| e.to_string())? {
                            Event::Start(_) => depth += 1,
                            Event::End(_) if depth == 0 => {
                                end = before;
                                break;
                            }
                            Event::End(_) => depth -= 1,
                            Event::Eof => return Err("unclosed code".into()),
                            _ => {}
                        }
                    }
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Code(Code {
                    kind,
                    i: get("i"),
                    x: get("x"),
                    pos: get("pos"),
                    ty: get("type"),
                    inner: markup[start..end].to_string(),
                }));
            }
            Event::End(_) => {}
            Event::Eof => break,
            _ => {}
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

fn codes(pieces: &[Piece]) -> Vec<Code> {
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Code(c) => Some(c.clone()),
            Piece::Text(_) => None,
        })
        .collect()
}

fn is_xliff_tag(tag: &str, version: Version) -> bool {
    let Some(inner) = tag.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name: String = inner
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
        .collect();
    let local = name.rsplit(':').next().unwrap_or(&name);
    match version {
        Version::V1 => matches!(local, "g" | "x" | "bx" | "ex"),
        Version::V2 => matches!(local, "pc" | "ph" | "cp" | "sc" | "ec"),
    }
}

/// The XLIFF element(s) a source code stands for, as written in the file.
fn xliff_of(codes: &[Code], k: usize, version: Version) -> Option<String> {
    let code = &codes[k];
    if !code.inner.contains('<') {
        let tag = quick_xml::escape::unescape(&code.inner).ok()?;
        if is_xliff_tag(&tag, version) {
            return Some(tag.into_owned());
        }
    }
    if version == Version::V2 {
        return None;
    }
    // A 1.2 native code: rebuilt with its numeric id (TMX `x`).
    let id = match code.kind {
        TagKind::Ept => codes
            .iter()
            .find(|c| c.kind == TagKind::Bpt && c.i == code.i)
            .and_then(|c| c.x.clone())?,
        _ => code.x.clone()?,
    };
    let ctype = code
        .ty
        .as_ref()
        .map(|t| format!(" ctype=\"{}\"", attr(t)))
        .unwrap_or_default();
    let inner = &code.inner;
    Some(match code.kind {
        TagKind::Bpt => format!("<bpt id=\"{id}\"{ctype}>{inner}</bpt>"),
        TagKind::Ept => format!("<ept id=\"{id}\">{inner}</ept>"),
        TagKind::Ph => format!("<ph id=\"{id}\"{ctype}>{inner}</ph>"),
        TagKind::It => {
            let pos = if code.pos.as_deref() == Some("end") {
                "close"
            } else {
                "open"
            };
            format!("<it id=\"{id}\" pos=\"{pos}\"{ctype}>{inner}</it>")
        }
        _ => return None,
    })
}

/// The match's source as XLIFF inline content (the codes of the segment's source),
/// else as plain text.
fn source_of(source_markup: Option<&str>, m: &Match, version: Version) -> String {
    let as_target = Match {
        target: m.source.clone(),
        ..m.clone()
    };
    map_target(source_markup, &as_target, version).unwrap_or_else(|_| escaped(&m.source.text))
}

/// The match's target as XLIFF inline content, its codes taken from the source's.
fn map_target(
    source_markup: Option<&str>,
    m: &Match,
    version: Version,
) -> std::result::Result<String, NotFilled> {
    let codes_err = |s: String| NotFilled::Codes(s);
    let target = match &m.target.markup {
        Some(markup) => pieces(markup).map_err(codes_err)?,
        None => return Ok(escaped(&m.target.text)),
    };
    let src = match source_markup {
        Some(markup) => codes(&pieces(markup).map_err(codes_err)?),
        None => Vec::new(),
    };
    let hit_src = match &m.source.markup {
        Some(markup) => codes(&pieces(markup).map_err(codes_err)?),
        None => Vec::new(),
    };
    let mut used = vec![false; src.len()];
    let mut used_hit = vec![false; hit_src.len()];
    let mut pairs: HashMap<Option<String>, usize> = HashMap::new();
    let mut out = String::new();
    for piece in &target {
        let code = match piece {
            Piece::Text(t) => {
                escape_text(t, &mut out);
                continue;
            }
            Piece::Code(c) => c,
        };
        let free = |k: usize, used: &[bool]| !used[k] && src[k].kind == code.kind;
        let mut found = None;
        if code.kind == TagKind::Ept {
            if let Some(&b) = pairs.get(&code.i) {
                found = (0..src.len()).find(|&k| free(k, &used) && src[k].i == src[b].i);
            }
        }
        if found.is_none() && code.kind != TagKind::Ept
            || found.is_none() && !pairs.contains_key(&code.i)
        {
            found = (0..src.len()).find(|&k| free(k, &used) && src[k].inner == code.inner);
        }
        if found.is_none() {
            // By place: the code of the match's source it corresponds to.
            let same = |c: &Code| match code.kind {
                TagKind::Bpt | TagKind::Ept => c.kind == code.kind && c.i == code.i,
                _ => c.kind == code.kind && c.inner == code.inner,
            };
            if let Some(p) = (0..hit_src.len()).find(|&p| !used_hit[p] && same(&hit_src[p])) {
                used_hit[p] = true;
                let ordinal = hit_src[..p].iter().filter(|c| c.kind == code.kind).count();
                found = (0..src.len())
                    .filter(|&k| src[k].kind == code.kind)
                    .nth(ordinal)
                    .filter(|&k| !used[k]);
            }
        }
        let k = found.ok_or_else(|| {
            NotFilled::Codes(format!(
                "a <{}> of the match has no counterpart in the source",
                code.kind.name()
            ))
        })?;
        used[k] = true;
        if code.kind == TagKind::Bpt {
            pairs.insert(code.i.clone(), k);
        }
        let element = xliff_of(&src, k, version).ok_or_else(|| {
            NotFilled::Codes(format!(
                "a <{}> of the source cannot be written back",
                code.kind.name()
            ))
        })?;
        out.push_str(&element);
    }
    // Paired codes must come out whole and nested.
    for (k, c) in src.iter().enumerate() {
        if used[k] && matches!(c.kind, TagKind::Bpt | TagKind::Ept) {
            let partner = src.iter().enumerate().any(|(j, d)| {
                j != k && used[j] && d.i == c.i && matches!(d.kind, TagKind::Bpt | TagKind::Ept)
            });
            if !partner {
                return Err(NotFilled::Codes("a paired code without its partner".into()));
            }
        }
    }
    let mut reader = quick_xml::Reader::from_str(&out);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(_) => return Err(NotFilled::Codes("the match's codes overlap".into())),
        }
        if depth < 0 {
            return Err(NotFilled::Codes("the match's codes overlap".into()));
        }
    }
    if depth != 0 {
        return Err(NotFilled::Codes("the match's codes overlap".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str, markup: Option<&str>) -> Content {
        Content {
            text: text.into(),
            markup: markup.map(str::to_string),
        }
    }

    #[test]
    fn codes_map_back_by_content_and_by_place() {
        let src = r#"Click <bpt i="1">&lt;g id="1"&gt;</bpt>here<ept i="1">&lt;/g&gt;</ept><ph>&lt;x id="2"/&gt;</ph>."#;
        let m = Match {
            percent: 90,
            source: content(
                "Press here.",
                Some(
                    r#"Press <bpt i="1">&lt;g id="1"&gt;</bpt>here<ept i="1">&lt;/g&gt;</ept><ph>&lt;x id="2"/&gt;</ph>."#,
                ),
            ),
            target: content(
                "Cliquez ici.",
                Some(
                    r#"<ph>&lt;x id="2"/&gt;</ph>Cliquez <bpt i="1">&lt;g id="1"&gt;</bpt>ici<ept i="1">&lt;/g&gt;</ept>."#,
                ),
            ),
            origin: "bitext:m".into(),
        };
        assert_eq!(
            map_target(Some(src), &m, Version::V1).unwrap(),
            r#"<x id="2"/>Cliquez <g id="1">ici</g>."#
        );
        // A memory from TMX: other code contents, found by their place.
        let m = Match {
            source: content(
                "Press here.",
                Some(r#"Press <bpt i="1">&lt;b&gt;</bpt>here<ept i="1">&lt;/b&gt;</ept>."#),
            ),
            target: content(
                "Cliquez ici.",
                Some(r#"Cliquez <bpt i="1">&lt;b&gt;</bpt>ici<ept i="1">&lt;/b&gt;</ept>."#),
            ),
            ..m
        };
        assert_eq!(
            map_target(Some(src), &m, Version::V1).unwrap(),
            r#"Cliquez <g id="1">ici</g>."#
        );
        // No codes in the source: not placed.
        assert!(map_target(None, &m, Version::V1).is_err());
    }

    #[test]
    fn native_codes_come_back_with_their_ids() {
        let src = r#"a <bpt i="1" x="3">&lt;b&gt;</bpt>b<ept i="1">&lt;/b&gt;</ept>"#;
        let m = Match {
            percent: 100,
            source: content("a b", Some(src)),
            target: content(
                "A B",
                Some(r#"A <bpt i="1" x="3">&lt;b&gt;</bpt>B<ept i="1">&lt;/b&gt;</ept>"#),
            ),
            origin: "bitext:m".into(),
        };
        assert_eq!(
            map_target(Some(src), &m, Version::V1).unwrap(),
            r#"A <bpt id="3">&lt;b&gt;</bpt>B<ept id="3">&lt;/b&gt;</ept>"#
        );
    }

    #[test]
    fn indentation_helpers() {
        let t = "<a>\n  <source>x</source>\n</a>";
        assert_eq!(line_indent(t, 6), Some("  "));
        assert_eq!(own_line_indent(t, 24), Some("  "));
        assert_eq!(own_line_indent("<a>\n  <u><source>x</source>", 27), None);
        assert_eq!(line_indent("<a><b/></a>", 3), None);
    }
}
