//! Pre-translating an XLIFF file in place: targets filled and matches recorded by
//! splicing new elements into the file's own bytes at the places the reader gave
//! ([`TargetPlace`], the start tags of units and 2.x segments). Nothing else is
//! re-serialised, so every byte outside the changed elements stays as it was.
//!
//! An [`XliffDocument`] is the whole file ([`XliffDocument::parse`]) or a window of it
//! (a batch of units from [`super::stream::XliffStream`], which streams big files):
//! offsets stay file offsets, the window knows where it starts.
//!
//! The memory's inline markup (TMX codes) goes back to the file's own inline elements
//! by matching each code of a match with a code of the segment's source: first by its
//! content (a memory filled from XLIFF holds the XLIFF tags themselves), then by its
//! place among the codes of the match's source. The target gets the source's elements
//! (1.2 `g x bx ex bpt ept ph it`, 2.x `pc ph sc ec`) as written there, so ids agree.
//! A match whose codes cannot all be placed fills nothing ([`NotFilled::Codes`]); as a
//! candidate it is still written, its own codes as XLIFF codes.
//!
//! What is written (see `docs/xliff.md`):
//! - 1.2: `<target state="translated" state-qualifier="exact-match">` for 100 and 101 %,
//!   `state="needs-review-translation" state-qualifier="fuzzy-match"` below; then an
//!   `<alt-trans match-quality origin>` per match (the one used first). Units
//!   segmented with `<seg-source>` get the text in the target's `<mrk mtype="seg">`
//!   of the same `mid` (the target and its `mrk`s made after the `<seg-source>` when
//!   missing), `alt-trans mid`, and the tools' own status: Trados `<sdl:seg conf
//!   origin="tm" percent>`, memoQ `mq:status="Pretranslated" mq:percent`, MadCap
//!   `MadCap:matchPercent`.
//! - 2.x: `<segment state="translated">` for 100 and 101 %, `state="initial"` below;
//!   the matches as `<mtc:match ref similarity matchQuality origin type="tm">` in an
//!   `<mtc:matches>` at the start of the unit (the namespace declared there when the
//!   root does not bind it).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::ops::Range;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use quick_xml::events::Event;

use super::inline::{Content, Elem, Version};
use super::reader::XliffReader;
use super::{TargetPlace, XliffUnit};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::formats::tmx::inline::{escape_attr, escape_text, resolve_reference, TagKind};
use crate::formats::xml::parse_attributes;
use crate::formats::ReadReport;
use crate::text::input;

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
    /// A `<seg-source>` segment whose `mid` the target's `<mrk mtype="seg">`s lack.
    NoTargetSegment(String),
}

impl std::fmt::Display for NotFilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFilled::Codes(why) => write!(f, "codes not mapped: {why}"),
            NotFilled::NoTargetSegment(_) => {
                write!(
                    f,
                    "the target has no <mrk mtype=\"seg\"> of the segment's mid"
                )
            }
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
            Skip::EmptySource => "no text in the source",
        }
    }
}

struct Edit {
    range: Range<usize>,
    text: String,
}

/// What [`XliffDocument::fill`] writes into segment `seg` of unit `unit`, in either
/// version: the best match with its target content (its codes placed; `None` when
/// they could not be), and every match to record as a candidate, the best first.
struct SegmentFill<'a> {
    unit: usize,
    seg: usize,
    best: Option<&'a Match>,
    content: Option<String>,
    all: Vec<&'a Match>,
}

/// A `<seg-source>` segment filled or given candidates; a unit's segments are
/// written together (they share its `<target>`) when the output is made.
struct SegFill {
    seg: usize,
    mid: String,
    /// The target's content and the match percentage, when filled.
    filled: Option<(String, u32)>,
    origin: String,
    alts: Vec<String>,
}

/// What the root element says that written elements depend on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Root {
    /// The prefix of the XLIFF core elements (`""` or `xlf:`).
    prefix: String,
    /// The prefix the root binds to the matches namespace.
    mtc: Option<String>,
}

impl Root {
    pub(crate) fn of(elem: Option<&Elem>) -> Root {
        let Some(elem) = elem else {
            return Root::default();
        };
        let prefix = match elem.name().split_once(':') {
            Some((p, _)) => format!("{p}:"),
            None => String::new(),
        };
        let mtc = elem
            .attributes()
            .into_iter()
            .find(|(k, v)| k.starts_with("xmlns:") && v == MTC_NS)
            .map(|(k, _)| k["xmlns:".len()..].to_string());
        Root { prefix, mtc }
    }
}

/// An XLIFF file (or a window of it: a batch of units), its units, and the changes
/// made to it.
pub struct XliffDocument {
    path: Option<PathBuf>,
    raw: Vec<u8>,
    /// The window as text: its bytes for UTF-8, else decoded.
    text: String,
    /// The offset in the file of the window's first byte.
    base: usize,
    /// `Some` when the file is not UTF-8: offsets are in `text`, output is re-encoded.
    encoding: Option<&'static Encoding>,
    version: Version,
    units: Vec<XliffUnit>,
    report: ReadReport,
    edits: Vec<Edit>,
    /// Units (by index) given `<mtc:matches>`, with their matches' XML.
    mtc: BTreeMap<usize, Vec<String>>,
    /// `<seg-source>` units (by index) with segments to write.
    segmented: BTreeMap<usize, Vec<SegFill>>,
    root: Root,
    /// The file and source of the first segment after the window, if any.
    next_source: Option<(usize, String)>,
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
        let root = Root::of(reader.root_elem());
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
        let mut doc = XliffDocument::window(path, raw, text, 0, version, units, root);
        doc.encoding = encoding;
        doc.report = report;
        Ok(doc)
    }

    /// A window of a UTF-8 file starting at file offset `base`, holding `units`.
    pub(crate) fn window(
        path: Option<&Path>,
        raw: Vec<u8>,
        text: String,
        base: usize,
        version: Version,
        units: Vec<XliffUnit>,
        root: Root,
    ) -> XliffDocument {
        XliffDocument {
            path: path.map(Path::to_path_buf),
            raw,
            text,
            base,
            encoding: None,
            version,
            units,
            report: ReadReport::default(),
            edits: Vec::new(),
            mtc: BTreeMap::new(),
            segmented: BTreeMap::new(),
            root,
            next_source: None,
        }
    }

    /// The file is in `encoding`, not UTF-8: offsets are in `text`, the decoded `raw`.
    pub(crate) fn set_encoding(&mut self, encoding: &'static Encoding) {
        self.encoding = Some(encoding);
    }

    pub(crate) fn set_next_source(&mut self, next: Option<(usize, String)>) {
        self.next_source = next;
    }

    /// XLIFF 1.x or 2.x.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The units, in file order.
    pub fn units(&self) -> &[XliffUnit] {
        &self.units
    }

    /// The `<file>` (its index) and source of the first segment after these units,
    /// when this is a batch of a streamed file and more follow; for in-context
    /// lookups of the last segment.
    pub fn next_source(&self) -> Option<(usize, &str)> {
        self.next_source.as_ref().map(|(f, s)| (*f, s.as_str()))
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
        let (source_markup, segmented) = {
            let u = &self.units[unit];
            let s = &u.segments[seg];
            let segmented = version == Version::V1 && (u.segments.len() > 1 || s.id.is_some());
            (s.source.markup.clone(), segmented)
        };
        let (content, outcome) =
            match best.map(|m| map_target(source_markup.as_deref(), m, version)) {
                Some(Ok(content)) => (Some(content), Ok(())),
                Some(Err(why)) => (None, Err(why)),
                None => (None, Ok(())),
            };
        let fill = SegmentFill {
            unit,
            seg,
            best,
            content,
            all: best.into_iter().chain(candidates.iter()).collect(),
        };
        match version {
            Version::V1 if segmented => {
                if let Err(why) = self.fill_1_seg(fill)? {
                    return Ok(Err(why));
                }
            }
            Version::V1 => self.fill_1(&fill)?,
            Version::V2 => self.fill_2(&fill)?,
        }
        Ok(outcome)
    }

    /// The window offset of a file offset.
    fn offset(&self, at: u64) -> usize {
        at as usize - self.base
    }

    fn check_tag(&self, at: usize, local: &str) -> Result<StartTag> {
        start_tag_at(&self.text, at)
            .filter(|t| t.local() == local)
            .ok_or_else(|| {
                internal(
                    self.path.as_deref(),
                    format!(
                        "internal error: no <{local}> at offset {} of the file; \
                         nothing written",
                        at + self.base
                    ),
                )
            })
    }

    /// The `<alt-trans>` elements of the matches (`mid`: of a `<seg-source>` segment).
    fn alt_trans(
        &self,
        source_markup: Option<&str>,
        all: &[&Match],
        mid: Option<&str>,
    ) -> Vec<String> {
        let prefix = &self.root.prefix;
        let mid = mid
            .map(|m| format!(" mid=\"{}\"", attr(m)))
            .unwrap_or_default();
        all.iter()
            .map(|m| {
                format!(
                    "<{prefix}alt-trans{mid} match-quality=\"{}\" origin=\"{}\"><{prefix}source>{}</{prefix}source><{prefix}target>{}</{prefix}target></{prefix}alt-trans>",
                    m.percent,
                    attr(&m.origin),
                    candidate(source_markup, m, true, Version::V1),
                    candidate(source_markup, m, false, Version::V1),
                )
            })
            .collect()
    }

    fn fill_1(&mut self, fill: &SegmentFill) -> Result<()> {
        let SegmentFill {
            unit,
            seg,
            best,
            ref content,
            ref all,
        } = *fill;
        let content = content.as_deref();
        let place = self.units[unit].segments[seg].target_place.clone();
        let source_markup = self.units[unit].segments[seg].source.markup.clone();
        let prefix = self.root.prefix.clone();
        let alts = self.alt_trans(source_markup.as_deref(), all, None);
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
                let exact = m.percent >= 100;
                let (state, qualifier) = state_1(exact, exact);
                let (name, attrs) = match &old {
                    Some(tag) => (tag.name.clone(), tag.attrs.clone()),
                    None => {
                        text.push_str(&sep);
                        (format!("{prefix}target"), Vec::new())
                    }
                };
                text.push_str(&start_tag(
                    &name,
                    &with_attrs(&attrs, &[("state", state), ("state-qualifier", qualifier)]),
                    false,
                ));
                text.push_str(content);
                text.push_str(&format!("</{name}>"));
                self.memoq_status(unit, m.percent, exact)?;
            }
            _ => {
                // The target stays as it is.
                text.push_str(&self.text[range.clone()]);
            }
        }
        // After the target (or where it would go): one alt-trans per match.
        for alt in &alts {
            text.push_str(&sep);
            text.push_str(alt);
        }
        if text != self.text[range.clone()] {
            self.edits.push(Edit { range, text });
        }
        Ok(())
    }

    /// memoQ's own status on the unit (`mq:status`) with the match's `mq:percent`:
    /// `ManuallyConfirmed` (memoQ's "confirmed") when the target is confirmed as
    /// `translated` (exact matches filling the whole unit), else `Pretranslated` (memoQ
    /// reads it as to be reviewed). The two statuses agree with the target's `state`,
    /// so the file says one thing to memoQ and to XLIFF readers.
    fn memoq_status(&mut self, unit: usize, percent: u32, confirmed: bool) -> Result<()> {
        let range = self.units[unit].start_tag.clone();
        let range = self.offset(range.start)..self.offset(range.end);
        let tag = self.check_tag(range.start, "trans-unit")?;
        if !tag.attrs.iter().any(|(k, _)| k == "mq:status") {
            return Ok(());
        }
        let percent = percent.to_string();
        let attrs = with_attrs(
            &tag.attrs,
            &[
                (
                    "mq:status",
                    if confirmed {
                        "ManuallyConfirmed"
                    } else {
                        "Pretranslated"
                    },
                ),
                ("mq:percent", &percent),
            ],
        );
        self.edits.push(Edit {
            range,
            text: start_tag(&tag.name, &attrs, tag.empty),
        });
        Ok(())
    }

    /// A segment of a `<seg-source>` unit: checked now, written with the unit's other
    /// segments by [`XliffDocument::write_segmented`].
    fn fill_1_seg(&mut self, fill: SegmentFill) -> Result<std::result::Result<(), NotFilled>> {
        let SegmentFill {
            unit,
            seg,
            best,
            content,
            ref all,
        } = fill;
        let segment = &self.units[unit].segments[seg];
        let mid = segment.id.clone().unwrap_or_default();
        let source_markup = segment.source.markup.clone();
        let filled = content.zip(best.map(|m| m.percent));
        if filled.is_some() {
            if let TargetPlace::Element(r) = &segment.target_place {
                let r = self.offset(r.start)..self.offset(r.end);
                let mrks = seg_mrks_in(&self.text, r);
                if !mrks.is_empty() && !mrks.iter().any(|f| f.tag.attr("mid") == Some(&mid)) {
                    self.push_seg(unit, seg, mid.clone(), None, all, source_markup.as_deref());
                    return Ok(Err(NotFilled::NoTargetSegment(mid)));
                }
            }
        }
        self.push_seg(unit, seg, mid, filled, all, source_markup.as_deref());
        Ok(Ok(()))
    }

    /// Whether the `<seg-source>` of unit `u` has the `<mrk mtype="seg" mid>` as a
    /// child: the 1.2 schema's keys see only those, so an `alt-trans mid` may name
    /// only those (Trados wraps some in `<g>`).
    fn mid_in_seg_source(&self, u: usize, mid: &str) -> bool {
        let unit = &self.units[u];
        let Some(first) = unit.segments.first() else {
            return false;
        };
        let limit = match &first.target_place {
            TargetPlace::Element(r) => self.offset(r.start),
            TargetPlace::Missing { at } => self.offset(*at),
        };
        let body = self.offset(unit.start_tag.end)..limit;
        let Some(inner) = find_elements(&self.text, body, &|t| t.local() == "seg-source")
            .into_iter()
            .next()
            .and_then(|f| f.inner)
        else {
            return false;
        };
        // Every element is picked, so only the children come back.
        find_elements(&self.text, inner, &|_| true).iter().any(|f| {
            f.tag.local() == "mrk"
                && f.tag.attr("mtype") == Some("seg")
                && f.tag.attr("mid") == Some(mid)
        })
    }

    fn push_seg(
        &mut self,
        unit: usize,
        seg: usize,
        mid: String,
        filled: Option<(String, u32)>,
        all: &[&Match],
        source_markup: Option<&str>,
    ) {
        // A candidate names its segment (`mid`) when the unit has several. The 1.2
        // schema's key sees only the `mrk`s that are children of the `<seg-source>`, so
        // the `mid` of a lone segment nested in a `<g>` (Trados) is left out: the
        // candidate is the unit's, which is that segment's, and the file stays valid.
        let several = self.units[unit].segments.len() > 1;
        let named = (several || self.mid_in_seg_source(unit, &mid)).then_some(mid.as_str());
        let alts = self.alt_trans(source_markup, all, named);
        let origin = all.first().map(|m| m.origin.clone()).unwrap_or_default();
        if filled.is_none() && alts.is_empty() {
            return;
        }
        self.segmented.entry(unit).or_default().push(SegFill {
            seg,
            mid,
            filled,
            origin,
            alts,
        });
    }

    /// Writes the filled segments of each `<seg-source>` unit: the text into the
    /// target's `<mrk mtype="seg" mid>` (the target and its `mrk`s made from the
    /// `<seg-source>` when it has none), the target's state (unless Trados keeps it in
    /// `sdl:seg`), the tools' own status, the `alt-trans`.
    fn write_segmented(&mut self) -> Result<()> {
        let units = std::mem::take(&mut self.segmented);
        for (u, fills) in units {
            let unit = &self.units[u];
            let Some(first) = unit.segments.first() else {
                continue;
            };
            let place = first.target_place.clone();
            let unit_end = self.offset(unit.end).min(self.text.len());
            let body_start = self.offset(unit.start_tag.end);
            // Trados: the segments' sdl:seg elements, after the target.
            let after_target = match &place {
                TargetPlace::Element(r) => self.offset(r.end),
                TargetPlace::Missing { at } => self.offset(*at),
            };
            let sdl: Vec<Found> = find_elements(&self.text, after_target..unit_end, &|t| {
                t.name.contains(':') && t.local() == "seg" && t.attr("id").is_some()
            });
            let trados = !sdl.is_empty();
            let filled: BTreeMap<&str, (&str, u32)> = fills
                .iter()
                .filter_map(|f| {
                    f.filled
                        .as_ref()
                        .map(|(c, p)| (f.mid.as_str(), (c.as_str(), *p)))
                })
                .collect();
            let any_filled = !filled.is_empty();
            // The target's state: all segments now have text?
            let complete = unit.segments.iter().enumerate().all(|(k, s)| {
                s.target.as_ref().is_some_and(|t| !t.is_empty())
                    || fills.iter().any(|f| f.seg == k && f.filled.is_some())
            });
            let had_text = unit
                .segments
                .iter()
                .any(|s| s.target.as_ref().is_some_and(|t| !t.is_empty()));
            let exact = fills
                .iter()
                .filter_map(|f| f.filled.as_ref())
                .all(|(_, p)| *p >= 100);
            let (state, qualifier) = if complete {
                state_1(exact && !had_text, exact)
            } else {
                (
                    "needs-translation",
                    if exact { "exact-match" } else { "fuzzy-match" },
                )
            };
            let state_attrs: Vec<(&str, &str)> = if trados || !any_filled {
                Vec::new()
            } else {
                vec![("state", state), ("state-qualifier", qualifier)]
            };
            let alts: Vec<String> = fills.iter().flat_map(|f| f.alts.clone()).collect();
            let mut new_target = None;
            let sep;
            match &place {
                TargetPlace::Element(r) if any_filled => {
                    let r = self.offset(r.start)..self.offset(r.end);
                    let tag = self.check_tag(r.start, "target")?;
                    sep = line_indent(&self.text, r.start)
                        .map(|i| format!("\n{i}"))
                        .unwrap_or_default();
                    let mrks = seg_mrks_in(&self.text, r.clone());
                    if mrks.is_empty() {
                        // An empty target: made again from the seg-source.
                        let inner = self.mirror(u, body_start..r.start, &filled)?;
                        let mut text =
                            start_tag(&tag.name, &with_attrs(&tag.attrs, &state_attrs), false);
                        text.push_str(&inner);
                        text.push_str(&format!("</{}>", tag.name));
                        new_target = Some((r.clone(), text));
                    } else {
                        if !state_attrs.is_empty() {
                            let attrs = with_attrs(&tag.attrs, &state_attrs);
                            self.edits.push(Edit {
                                range: r.start..r.start + tag.len,
                                text: start_tag(&tag.name, &attrs, tag.empty),
                            });
                        }
                        for mrk in &mrks {
                            let Some(mid) = mrk.tag.attr("mid") else {
                                continue;
                            };
                            if let Some((content, percent)) = filled.get(mid) {
                                self.edits.push(Edit {
                                    range: mrk.range.clone(),
                                    text: target_mrk(&mrk.tag, content, *percent),
                                });
                            }
                        }
                    }
                }
                TargetPlace::Element(r) => {
                    sep = line_indent(&self.text, self.offset(r.start))
                        .map(|i| format!("\n{i}"))
                        .unwrap_or_default();
                }
                TargetPlace::Missing { at } => {
                    let at = self.offset(*at);
                    sep = own_line_indent(&self.text, at)
                        .map(|i| format!("\n{i}"))
                        .unwrap_or_default();
                    if any_filled {
                        let inner = self.mirror(u, body_start..at, &filled)?;
                        let name = format!("{}target", self.root.prefix);
                        let mut text = sep.clone();
                        text.push_str(&start_tag(&name, &with_attrs(&[], &state_attrs), false));
                        text.push_str(&inner);
                        text.push_str(&format!("</{name}>"));
                        new_target = Some((at..at, text));
                    }
                }
            }
            if let Some((range, mut text)) = new_target {
                for alt in &alts {
                    text.push_str(&sep);
                    text.push_str(alt);
                }
                self.edits.push(Edit { range, text });
            } else if !alts.is_empty() {
                let mut text = String::new();
                for alt in &alts {
                    text.push_str(&sep);
                    text.push_str(alt);
                }
                self.edits.push(Edit {
                    range: after_target..after_target,
                    text,
                });
            }
            // Trados records the match on each segment's sdl:seg.
            for seg in &sdl {
                let Some(id) = seg.tag.attr("id") else {
                    continue;
                };
                let Some((_, percent)) = filled.get(id) else {
                    continue;
                };
                let origin = fills
                    .iter()
                    .find(|f| f.mid == id)
                    .map(|f| f.origin.clone())
                    .unwrap_or_default();
                let conf = if *percent >= 100 {
                    "Translated"
                } else {
                    "Draft"
                };
                let shown = percent.min(&100).to_string();
                let mut set = vec![
                    ("conf", conf),
                    ("origin", "tm"),
                    ("origin-system", origin.as_str()),
                    ("percent", shown.as_str()),
                ];
                if *percent > 100 {
                    set.push(("text-match", "SourceAndTarget"));
                }
                let mut attrs = with_attrs(&seg.tag.attrs, &set);
                if *percent <= 100 {
                    attrs.retain(|(k, _)| k != "text-match");
                }
                let start = seg.range.start;
                self.edits.push(Edit {
                    range: start..start + seg.tag.len,
                    text: start_tag(&seg.tag.name, &attrs, seg.tag.empty),
                });
            }
            if let Some(percent) = filled.values().map(|(_, p)| *p).min() {
                self.memoq_status(u, percent, complete && state == "translated")?;
            }
        }
        Ok(())
    }

    /// The content of a new target for unit `u`: its `<seg-source>`'s content (in
    /// `within`) with each `<mrk mtype="seg">` holding its filled text, or empty.
    fn mirror(
        &self,
        u: usize,
        within: Range<usize>,
        filled: &BTreeMap<&str, (&str, u32)>,
    ) -> Result<String> {
        let seg_source = find_elements(&self.text, within, &|t| t.local() == "seg-source")
            .into_iter()
            .next()
            .and_then(|f| f.inner)
            .ok_or_else(|| {
                internal(
                    self.path.as_deref(),
                    format!(
                        "internal error: no <seg-source> in unit {}; nothing written",
                        self.units[u].id.as_deref().unwrap_or("?")
                    ),
                )
            })?;
        let mut out = String::new();
        let mut pos = seg_source.start;
        for mrk in seg_mrks_in(&self.text, seg_source.clone()) {
            out.push_str(&self.text[pos..mrk.range.start]);
            let attrs: Vec<(String, String)> = mrk
                .tag
                .attrs
                .iter()
                .filter(|(k, _)| k == "mtype" || k == "mid")
                .cloned()
                .collect();
            let name = &mrk.tag.name;
            match mrk.tag.attr("mid").and_then(|m| filled.get(m)) {
                Some((content, _)) => {
                    out.push_str(&start_tag(name, &attrs, false));
                    out.push_str(content);
                    out.push_str(&format!("</{name}>"));
                }
                None => out.push_str(&start_tag(name, &attrs, true)),
            }
            pos = mrk.range.end;
        }
        out.push_str(&self.text[pos..seg_source.end]);
        Ok(out)
    }

    fn fill_2(&mut self, fill: &SegmentFill) -> Result<()> {
        let prefix = self.root.prefix.clone();
        let segment = self.units[fill.unit].segments[fill.seg].clone();
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
        if id.is_none() && !fill.all.is_empty() {
            let fresh = format!("bitext-s{}", fill.seg + 1);
            new_attrs.push(("id".into(), fresh.clone()));
            id = Some(fresh);
        }
        if let (Some(content), Some(m)) = (&fill.content, fill.best) {
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
                    let mut text = start_tag(&old.name, &old.attrs, false);
                    text.push_str(&format!("{content}</{}>", old.name));
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
            self.edits.push(Edit {
                range: tag_range,
                text: start_tag(&tag.name, &new_attrs, tag.empty),
            });
        }
        if !fill.all.is_empty() {
            let source_markup = segment.source.markup.as_deref();
            let data = self.original_data(fill.unit);
            let mut matches = Vec::new();
            for m in &fill.all {
                let pct = m.percent.min(100);
                let source = candidate(source_markup, m, true, Version::V2);
                let target = candidate(source_markup, m, false, Version::V2);
                // Codes that point at original data (`dataRef`…) take it along: a
                // match's codes refer to the match's own <originalData>.
                let mut refs = data_refs(&source);
                refs.extend(data_refs(&target));
                let kept: Vec<&str> = data
                    .iter()
                    .filter(|(id, _)| refs.contains(id))
                    .map(|(_, element)| element.as_str())
                    .collect();
                let original = if kept.is_empty() {
                    String::new()
                } else {
                    format!(
                        "<{prefix}originalData>{}</{prefix}originalData>",
                        kept.concat()
                    )
                };
                matches.push(format!(
                    "<MTC:match ref=\"#{}\" similarity=\"{pct}\" matchQuality=\"{pct}\" origin=\"{}\" type=\"tm\">{original}<{prefix}source>{source}</{prefix}source><{prefix}target>{target}</{prefix}target></MTC:match>",
                    attr(id.as_deref().unwrap_or_default()),
                    attr(&m.origin),
                ));
            }
            self.mtc.entry(fill.unit).or_default().extend(matches);
        }
        Ok(())
    }

    /// The `<data id>` elements of a 2.x unit's `<originalData>`, as written: (id,
    /// element). Those inside matches the file has (`<mtc:matches>`) are not the unit's.
    fn original_data(&self, u: usize) -> Vec<(String, String)> {
        let unit = &self.units[u];
        let body = self.offset(unit.start_tag.end)..self.offset(unit.end).min(self.text.len());
        let blocks = find_elements(&self.text, body, &|t| {
            t.local() == "originalData" || t.local() == "matches"
        });
        let mut out = Vec::new();
        for block in blocks.iter().filter(|b| b.tag.local() == "originalData") {
            let Some(inner) = block.inner.clone() else {
                continue;
            };
            for data in find_elements(&self.text, inner, &|t| t.local() == "data") {
                if let Some(id) = data.tag.attr("id") {
                    out.push((id.to_string(), self.text[data.range.clone()].to_string()));
                }
            }
        }
        out
    }

    /// Whether anything was changed.
    pub fn is_changed(&self) -> bool {
        !self.edits.is_empty() || !self.mtc.is_empty() || !self.segmented.is_empty()
    }

    /// The file with the changes spliced in. Unchanged: the input, byte for byte.
    pub fn output(self) -> Result<Vec<u8>> {
        self.output_and_changes().map(|(bytes, _)| bytes)
    }

    /// The `<mtc:matches>` of each unit given matches, first in the unit.
    fn write_mtc(&mut self) {
        let mtc = std::mem::take(&mut self.mtc);
        let (mtc_prefix, declare) = match &self.root.mtc {
            Some(p) => (p.clone(), String::new()),
            None => ("mtc".to_string(), format!(" xmlns:mtc=\"{MTC_NS}\"")),
        };
        for (u, matches) in mtc {
            let unit = &self.units[u];
            let at = self.offset(unit.start_tag.end);
            let first_seg = unit.segments[0]
                .start_tag
                .as_ref()
                .map_or(at, |r| self.offset(r.start));
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
            let mut text = format!("{sep}<{mtc_prefix}:matches{declare}>");
            for m in matches {
                text.push_str(&inner);
                text.push_str(
                    &m.replacen("<MTC:match ", &format!("<{mtc_prefix}:match "), 1)
                        .replace("</MTC:match>", &format!("</{mtc_prefix}:match>")),
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

    /// The output and the changes made: each range of the input (byte offsets for
    /// UTF-8 files, else offsets in the decoded text; in a window, from its start)
    /// and what replaced it, in order. Every byte of the input outside these ranges
    /// is in the output as it was.
    pub fn output_and_changes(mut self) -> Result<(Vec<u8>, Vec<Change>)> {
        let mut out = Vec::with_capacity(self.raw.len() + self.edits.len() * 64);
        let changes = self.write_to(&mut out)?;
        Ok((out, changes))
    }

    /// Writes the window with the changes spliced in to `out`; returns the changes.
    pub(crate) fn write_to(&mut self, out: &mut Vec<u8>) -> Result<Vec<Change>> {
        self.write_segmented()?;
        self.write_mtc();
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
                let mut pos = 0;
                for edit in &self.edits {
                    out.extend_from_slice(&self.raw[pos..edit.range.start]);
                    out.extend_from_slice(edit.text.as_bytes());
                    pos = edit.range.end;
                }
                out.extend_from_slice(&self.raw[pos..]);
                Ok(self.changes())
            }
            Some(encoding) => {
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
                Ok(self.changes())
            }
        }
    }
}

/// The 1.2 state and qualifier of a target filled with an exact (100 %, 101 %) or
/// fuzzy match; `confirmed`: exact and nothing else in the target.
fn state_1(confirmed: bool, exact: bool) -> (&'static str, &'static str) {
    match (confirmed, exact) {
        (true, _) => ("translated", "exact-match"),
        (false, true) => ("needs-review-translation", "exact-match"),
        (false, false) => ("needs-review-translation", "fuzzy-match"),
    }
}

/// `attrs` with each of `set` replaced in place, or added at the end.
fn with_attrs(attrs: &[(String, String)], set: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = attrs.to_vec();
    for (k, v) in set {
        match out.iter_mut().find(|(a, _)| a == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => out.push((k.to_string(), v.to_string())),
        }
    }
    out
}

/// A start tag written anew (attribute values escaped, double quotes).
fn start_tag(name: &str, attrs: &[(String, String)], empty: bool) -> String {
    let mut text = format!("<{name}");
    for (k, v) in attrs {
        text.push_str(&format!(" {k}=\"{}\"", attr(v)));
    }
    text.push_str(if empty { "/>" } else { ">" });
    text
}

/// A target `<mrk mtype="seg">` holding `content`: its attributes kept, MadCap
/// Lingo's set where the file has them: `MadCap:matchPercent`, and
/// `MadCap:segmentStatus="Translated"` for an exact match (a fuzzy one keeps its status,
/// `Untranslated` in Lingo's files: not confirmed; its percentage says it is a match).
fn target_mrk(tag: &StartTag, content: &str, percent: u32) -> String {
    let shown = percent.min(100).to_string();
    let mut attrs = tag.attrs.clone();
    if tag.attr("MadCap:matchPercent").is_some() {
        attrs = with_attrs(&attrs, &[("MadCap:matchPercent", &shown)]);
    }
    if tag.attr("MadCap:segmentStatus").is_some() && percent >= 100 {
        attrs = with_attrs(&attrs, &[("MadCap:segmentStatus", "Translated")]);
    }
    format!(
        "{}{content}</{}>",
        start_tag(&tag.name, &attrs, false),
        tag.name
    )
}

/// An element found in the text.
struct Found {
    /// The whole element.
    range: Range<usize>,
    tag: StartTag,
    /// Its content, `None` for an empty element.
    inner: Option<Range<usize>>,
}

/// The elements in `text[within]` that `want` picks, at any depth, not inside one
/// picked before.
fn find_elements(text: &str, within: Range<usize>, want: &dyn Fn(&StartTag) -> bool) -> Vec<Found> {
    let base = within.start;
    let Some(frag) = text.get(within) else {
        return Vec::new();
    };
    let mut reader = quick_xml::Reader::from_str(frag);
    let config = reader.config_mut();
    config.expand_empty_elements = false;
    config.check_end_names = false;
    let mut out = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let (empty, start) = match reader.read_event() {
            Ok(Event::Start(_)) => (false, before),
            Ok(Event::Empty(_)) => (true, before),
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        let Some(start) = frag[start..].find('<').map(|k| start + k) else {
            break;
        };
        let Some(tag) = start_tag_at(frag, start) else {
            break;
        };
        if !want(&tag) {
            continue;
        }
        let after = reader.buffer_position() as usize;
        if empty {
            out.push(Found {
                range: base + start..base + after,
                tag,
                inner: None,
            });
            continue;
        }
        let mut depth = 0usize;
        loop {
            match reader.read_event() {
                Ok(Event::Start(_)) => depth += 1,
                Ok(Event::End(_)) if depth == 0 => {
                    let end = reader.buffer_position() as usize;
                    let inner_end = frag[..end].rfind("</").unwrap_or(end);
                    out.push(Found {
                        range: base + start..base + end,
                        tag,
                        inner: Some(base + after..base + inner_end),
                    });
                    break;
                }
                Ok(Event::End(_)) => depth -= 1,
                Ok(Event::Eof) | Err(_) => return out,
                Ok(_) => {}
            }
        }
    }
    out
}

/// The `<mrk mtype="seg">` elements in `text[within]`.
fn seg_mrks_in(text: &str, within: Range<usize>) -> Vec<Found> {
    find_elements(text, within, &|t| {
        t.local() == "mrk" && t.attr("mtype") == Some("seg")
    })
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
pub(crate) fn file_encoding(raw: &[u8]) -> Option<&'static Encoding> {
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
    /// Its length in bytes.
    len: usize,
}

impl StartTag {
    fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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
    let len = reader.buffer_position() as usize;
    Some(StartTag {
        name,
        attrs,
        empty,
        len,
    })
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

/// A match's source (`source`) or target as XLIFF inline content for a candidate:
/// its codes mapped to the segment's source's elements as for a target, else its own
/// codes written as XLIFF codes (see [`own_codes`]).
fn candidate(source_markup: Option<&str>, m: &Match, source: bool, version: Version) -> String {
    let as_target;
    let m = if source {
        as_target = Match {
            target: m.source.clone(),
            ..m.clone()
        };
        &as_target
    } else {
        m
    };
    map_target(source_markup, m, version).unwrap_or_else(|_| own_codes(&m.target, version))
}

/// Content whose codes have no counterpart in the segment's source, its codes written
/// as XLIFF codes of their own: the XLIFF tag a code holds (`<g id="1">`…), else 1.2
/// native codes (`bpt`, `ept`, `ph`, `it`, the TMX
/// content kept); 2.x `sc`/`ec` pairs, `ph`, isolated `sc`/`ec` (the native code is
/// not kept: 2.x keeps it out of the content). Annotations are dropped, their text
/// kept. Plain text when the markup cannot be read.
fn own_codes(content: &Content, version: Version) -> String {
    let Some(pieces) = content.markup.as_deref().and_then(|m| pieces(m).ok()) else {
        return escaped(&content.text);
    };
    // Codes that hold an XLIFF tag of this version (a memory filled from XLIFF) are
    // that tag again, when the tags nest; else codes of their own.
    let tags = own_codes_with(&pieces, version, true);
    if well_formed(&tags) {
        tags
    } else {
        own_codes_with(&pieces, version, false)
    }
}

fn own_codes_with(pieces: &[Piece], version: Version, xliff_tags: bool) -> String {
    let numeric = |i: &Option<String>| i.as_deref().and_then(|i| i.parse::<u64>().ok());
    let mut next = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Code(c) => numeric(&c.i),
            Piece::Text(_) => None,
        })
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for piece in pieces {
        let code = match piece {
            Piece::Text(t) => {
                escape_text(t, &mut out);
                continue;
            }
            Piece::Code(c) => c,
        };
        if xliff_tags && !code.inner.contains('<') {
            if let Ok(tag) = quick_xml::escape::unescape(&code.inner) {
                if is_xliff_tag(&tag, version) {
                    out.push_str(&tag);
                    continue;
                }
            }
        }
        let id = match (code.kind, numeric(&code.i)) {
            (TagKind::Bpt | TagKind::Ept, Some(i)) => i,
            _ => {
                next += 1;
                next
            }
        };
        let inner = &code.inner;
        let ctype = |name: &str| {
            code.ty
                .as_ref()
                .map(|t| format!(" {name}=\"{}\"", attr(t)))
                .unwrap_or_default()
        };
        let end = code.pos.as_deref() == Some("end");
        let text = match (version, code.kind) {
            (Version::V1, TagKind::Bpt) => {
                format!("<bpt id=\"{id}\"{}>{inner}</bpt>", ctype("ctype"))
            }
            (Version::V1, TagKind::Ept) => format!("<ept id=\"{id}\">{inner}</ept>"),
            (Version::V1, TagKind::It) => format!(
                "<it id=\"{id}\" pos=\"{}\"{}>{inner}</it>",
                if end { "close" } else { "open" },
                ctype("ctype")
            ),
            (Version::V1, _) => format!("<ph id=\"{id}\"{}>{inner}</ph>", ctype("ctype")),
            // 2.x `type` takes a closed list of values: TMX's are not written.
            (Version::V2, TagKind::Bpt) => format!("<sc id=\"{id}\"/>"),
            (Version::V2, TagKind::Ept) => format!("<ec startRef=\"{id}\"/>"),
            (Version::V2, TagKind::It) if end => format!("<ec id=\"{id}\" isolated=\"yes\"/>"),
            (Version::V2, TagKind::It) => format!("<sc id=\"{id}\" isolated=\"yes\"/>"),
            (Version::V2, _) => format!("<ph id=\"{id}\"/>"),
        };
        out.push_str(&text);
    }
    out
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
    if !well_formed(&out) {
        return Err(NotFilled::Codes("the match's codes overlap".into()));
    }
    Ok(out)
}

/// The original data 2.x inline content refers to: its `dataRef`, `dataRefStart` and
/// `dataRefEnd` values.
fn data_refs(content: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(content);
    reader.config_mut().expand_empty_elements = false;
    let mut refs = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let raw = e.to_string();
                let Ok(attrs) = parse_attributes(&raw, e.name().0.len()) else {
                    continue;
                };
                refs.extend(
                    attrs
                        .into_iter()
                        .filter(|(k, _)| {
                            matches!(k.as_str(), "dataRef" | "dataRefStart" | "dataRefEnd")
                        })
                        .map(|(_, v)| v),
                );
            }
            Ok(Event::Eof) | Err(_) => return refs,
            Ok(_) => {}
        }
    }
}

/// Whether inline content's elements nest (each end tag closes the last start).
fn well_formed(content: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(content);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return depth == 0,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
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
