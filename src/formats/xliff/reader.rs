//! The streaming XLIFF reader: one unit (`trans-unit` or `unit`) at a time, memory
//! bounded by the largest unit. The same discipline as the TMX reader: no entity a
//! DTD declares is expanded (no XXE, no entity bombs), nesting deeper than
//! [`MAX_DEPTH`] is refused, every error names its line and column.

use std::io::Read;
use std::path::PathBuf;

use super::inline::{render, Dropped, Elem, Node, Version};
use super::{SegmentState, TargetPlace, XliffSegment, XliffUnit};
use crate::error::{Error, Location, Result};
use crate::formats::tmx::inline::resolve_reference;
use crate::formats::tmx::parse_tmx_date;
use crate::formats::xml::{normalize_eol, Ev, XmlEvents};
use crate::formats::ReadReport;
use crate::text::input::{self, Head};
use crate::text::LangTag;
use crate::unit::{Note, Provenance};

pub use crate::formats::xml::MAX_DEPTH;

/// The namespaces of XLIFF 1.x and 2.x start with this.
pub(crate) const NAMESPACE: &str = "urn:oasis:names:tc:xliff:document:";

/// Units larger than this (decoded bytes) are refused: a unit is held whole.
pub const MAX_UNIT_BYTES: u64 = 64 * 1024 * 1024;

/// Where the units are: the file and the groups around them.
#[derive(Debug, Clone)]
struct Frame {
    depth: usize,
    translate: Option<bool>,
    preserve: Option<bool>,
}

/// Reads XLIFF 1.x or 2.x.
pub struct XliffReader {
    xml: XmlEvents,
    version: Version,
    /// Added to decoded offsets to give file offsets (a UTF-8 byte-order mark).
    offset_base: u64,
    /// Spans are file byte offsets (the file is UTF-8).
    spans_in_file: bool,
    frames: Vec<Frame>,
    /// The root element's start tag.
    root: Option<Elem>,
    /// The root's languages (2.x).
    root_src: Option<String>,
    root_tgt: Option<String>,
    /// The current `<file>`.
    file_index: usize,
    file_original: Option<String>,
    file_src: Option<String>,
    file_tgt: Option<String>,
    file_date: Option<String>,
    finished: bool,
    early: Option<ReadReport>,
    ordinal: u64,
}

fn lang(raw: Option<&str>) -> Option<LangTag> {
    raw.and_then(|r| LangTag::parse(r.trim()).ok())
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

fn space(value: &str) -> Option<bool> {
    match value.trim() {
        "preserve" => Some(true),
        "default" => Some(false),
        _ => None,
    }
}

impl XliffReader {
    pub(crate) fn new<R: Read + Send + 'static>(
        prefix: &[u8],
        head: Head<R>,
        path: Option<PathBuf>,
        encoding: Option<&'static encoding_rs::Encoding>,
    ) -> Result<XliffReader> {
        let located = |e: Error| match &path {
            Some(p) => e.in_file(p),
            None => e,
        };
        let bom = input::sniff_bom(prefix);
        let utf8 = match bom {
            Some((encoding, _)) => encoding == encoding_rs::UTF_8,
            // --encoding overrides the declaration.
            None if encoding.is_some() => encoding == Some(encoding_rs::UTF_8),
            None => {
                input::utf16_without_bom(prefix).is_none() && {
                    let text = String::from_utf8_lossy(prefix);
                    let decl = text.split("?>").next().unwrap_or("");
                    !text.starts_with("<?xml")
                        || !decl.contains("encoding")
                        || decl.to_ascii_lowercase().contains("utf-8")
                        || decl.to_ascii_lowercase().contains("utf8")
                }
            }
        };
        let (text, warning) = input::decode_xml(prefix, head, encoding).map_err(located)?;
        let xml = XmlEvents::new(text, path, NAMESPACE, "a translatable document", true);
        let mut reader = XliffReader {
            xml,
            version: Version::V1,
            offset_base: bom.map_or(0, |(_, len)| len as u64),
            spans_in_file: utf8,
            frames: Vec::new(),
            root: None,
            root_src: None,
            root_tgt: None,
            file_index: 0,
            file_original: None,
            file_src: None,
            file_tgt: None,
            file_date: None,
            finished: false,
            early: Some(ReadReport::default()),
            ordinal: 0,
        };
        if let Some(w) = warning {
            let location = reader.xml.location_at(0);
            reader.early_report().warn(location, w);
        }
        reader.read_root()?;
        Ok(reader)
    }

    /// XLIFF 1.x or 2.x.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The root element's start tag.
    pub(crate) fn root_elem(&self) -> Option<&Elem> {
        self.root.as_ref()
    }

    /// True if the spans of [`TargetPlace`] are byte offsets in the file (it is
    /// UTF-8); otherwise they are offsets in its text decoded to UTF-8.
    pub fn spans_are_file_offsets(&self) -> bool {
        self.spans_in_file
    }

    fn early_report(&mut self) -> &mut ReadReport {
        self.early.get_or_insert_with(ReadReport::default)
    }

    pub(crate) fn take_early(&mut self) -> Option<ReadReport> {
        self.early.take()
    }

    /// The file offset of a decoded offset.
    fn offset(&self, pos: u64) -> u64 {
        if self.spans_in_file {
            pos + self.offset_base
        } else {
            pos
        }
    }

    /// Reads up to the root's start tag and takes in its attributes.
    fn read_root(&mut self) -> Result<()> {
        let (e, empty) = self.xml.root_element(
            "xliff",
            "an XLIFF file",
            "an end tag before the root element",
        )?;
        self.root(&e)?;
        if empty {
            self.finished = true;
            return self.xml.finish_document("xliff");
        }
        Ok(())
    }

    fn root(&mut self, e: &Elem) -> Result<()> {
        self.root = Some(e.clone());
        let mut version = None;
        for (key, value) in e.attributes() {
            match key.as_str() {
                "version" => version = Some(value),
                "srcLang" => self.root_src = Some(value),
                "trgLang" => self.root_tgt = Some(value),
                _ => {}
            }
        }
        let ns2 = e.raw.contains("urn:oasis:names:tc:xliff:document:2.");
        self.version = match version.as_deref().map(str::trim) {
            Some(v) if v.starts_with('2') => Version::V2,
            Some(v) if v.starts_with('1') => Version::V1,
            _ if ns2 => Version::V2,
            Some(v) => {
                return Err(self.xml.syntax(format!(
                    "XLIFF version {v:?} is not one this reader knows (1.0 to 1.2, 2.0, 2.1)"
                )))
            }
            None => Version::V1,
        };
        self.frames.push(Frame {
            depth: self.xml.depth,
            translate: None,
            preserve: e.attr("xml:space").as_deref().and_then(space),
        });
        Ok(())
    }

    /// The content of a `<source>`, `<seg-source>` or `<target>` that `ev` starts (at
    /// `start`; none if `ev` is the empty element), whether its white space is kept
    /// (its `xml:space`, else `preserve`), and the position after it.
    fn segment_content(
        &mut self,
        ev: &Ev,
        start: u64,
        preserve: bool,
    ) -> Result<((Vec<Node>, bool), u64)> {
        let content = match ev {
            Ev::Start(e) => {
                let p = e
                    .attr("xml:space")
                    .as_deref()
                    .and_then(space)
                    .unwrap_or(preserve);
                (self.capture(e.local(), start)?, p)
            }
            _ => (Vec::new(), preserve),
        };
        Ok((content, self.xml.position()))
    }

    /// The content of the element just started, as nodes.
    fn capture(&mut self, inside: &str, start: u64) -> Result<Vec<Node>> {
        let depth = self.xml.depth;
        let mut nodes = Vec::new();
        loop {
            if self.xml.position() - start > MAX_UNIT_BYTES {
                return Err(self.xml.syntax(format!(
                    "a <{inside}> longer than {} MB: not a translatable segment",
                    MAX_UNIT_BYTES >> 20
                )));
            }
            let node = match self.xml.next_event()? {
                Ev::Text(t) | Ev::CData(t) => {
                    let mut text = String::new();
                    normalize_eol(&t, &mut text);
                    Node::Text(text)
                }
                Ev::Ref(r) => Node::Text(
                    resolve_reference(&r)
                        .map_err(|m| self.xml.syntax(m))?
                        .to_string(),
                ),
                Ev::Start(e) => Node::Start(e),
                Ev::Empty(e) => Node::Empty(e),
                Ev::End(name) => {
                    if self.xml.depth < depth {
                        return Ok(nodes);
                    }
                    Node::End(name)
                }
                Ev::Other(_) => Node::Other,
                Ev::Prolog => continue,
                Ev::Eof => return Err(self.xml.truncated(inside)),
            };
            // Adjacent text (split by references) is one node.
            if let (Node::Text(t), Some(Node::Text(last))) = (&node, nodes.last_mut()) {
                last.push_str(t);
                continue;
            }
            nodes.push(node);
        }
    }

    fn translate(&self) -> bool {
        self.frames
            .iter()
            .rev()
            .find_map(|f| f.translate)
            .unwrap_or(true)
    }

    fn preserve(&self) -> bool {
        self.frames
            .iter()
            .rev()
            .find_map(|f| f.preserve)
            .unwrap_or(false)
    }

    fn push_frame(&mut self, e: &Elem) {
        self.frames.push(Frame {
            depth: self.xml.depth,
            translate: e.attr("translate").as_deref().and_then(yes_no),
            preserve: e.attr("xml:space").as_deref().and_then(space),
        });
    }

    fn start_file(&mut self, e: &Elem) {
        self.file_index += 1;
        self.file_original = None;
        self.file_src = None;
        self.file_tgt = None;
        self.file_date = None;
        for (key, value) in e.attributes() {
            match key.as_str() {
                "original" => self.file_original = Some(value),
                "source-language" => self.file_src = Some(value),
                "target-language" => self.file_tgt = Some(value),
                "date" => self.file_date = Some(value),
                _ => {}
            }
        }
        self.push_frame(e);
    }

    /// The next unit, `None` at the end.
    pub fn next_unit(&mut self, report: &mut ReadReport) -> Option<Result<XliffUnit>> {
        if self.finished {
            return None;
        }
        match self.next_unit_inner(report) {
            Ok(Some(unit)) => Some(Ok(unit)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                // After an unusable unit (read to its end) the file reads on.
                if !matches!(e.kind(), crate::error::ErrorKind::Invalid(_)) {
                    self.finished = true;
                }
                Some(Err(e))
            }
        }
    }

    fn next_unit_inner(&mut self, report: &mut ReadReport) -> Result<Option<XliffUnit>> {
        loop {
            match self.xml.next_event()? {
                Ev::Start(e) if e.is("file") => self.start_file(&e),
                Ev::Start(e) if e.is("group") => self.push_frame(&e),
                Ev::Start(e) if e.is("body") => {}
                Ev::Start(e) if e.is("trans-unit") && self.version == Version::V1 => {
                    return self.read_unit_1(&e, report).map(Some)
                }
                Ev::Start(e) if e.is("unit") && self.version == Version::V2 => {
                    return self.read_unit_2(&e, report).map(Some)
                }
                Ev::Empty(e) if e.is("trans-unit") || e.is("unit") => {
                    self.ordinal += 1;
                    report.skip(
                        self.xml.here().with_unit(
                            e.attr("id").unwrap_or_else(|| format!("#{}", self.ordinal)),
                        ),
                        format!("<{}/> has no source", e.name()),
                    );
                }
                // The 1.2 header (skeleton, tool, phases), 2.x file notes, skeletons,
                // modules: nothing for the memory.
                Ev::Start(e) => {
                    if !e.is("header") {
                        report.not_kept(&format!("<{}> outside units", e.name()));
                    }
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) => {
                    if !e.is("group") && !e.is("file") && !e.is("body") {
                        report.not_kept(&format!("<{}> outside units", e.name()));
                    }
                }
                Ev::End(_) => {
                    while self.frames.last().is_some_and(|f| f.depth > self.xml.depth) {
                        self.frames.pop();
                    }
                    if self.xml.depth == 0 {
                        self.xml.finish_document("xliff")?;
                        return Ok(None);
                    }
                }
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) => {
                    report.not_kept("text outside units");
                }
                Ev::Other(_) | Ev::Prolog => {}
                Ev::Eof => return Err(self.xml.truncated("xliff")),
            }
        }
    }

    fn new_unit(&mut self, e: &Elem, location: &Location) -> XliffUnit {
        self.ordinal += 1;
        let tgt = if self.version == Version::V2 {
            self.root_tgt.clone()
        } else {
            self.file_tgt.clone()
        };
        let src = if self.version == Version::V2 {
            self.root_src.clone()
        } else {
            self.file_src.clone()
        };
        let mut provenance = Provenance::default();
        if let Some(date) = &self.file_date {
            provenance.created = parse_tmx_date(date);
        }
        XliffUnit {
            version: self.version,
            line: location.line.unwrap_or(0),
            file_index: self.file_index,
            file_original: self.file_original.clone(),
            id: e.attr("id"),
            name: e
                .attr(if self.version == Version::V1 {
                    "resname"
                } else {
                    "name"
                })
                .filter(|n| !n.is_empty()),
            source_lang_raw: src.clone(),
            target_lang_raw: tgt.clone(),
            source_lang: lang(src.as_deref()),
            target_lang: lang(tgt.as_deref()),
            translate: self.translate(),
            notes: Vec::new(),
            segments: Vec::new(),
            provenance,
            start_tag: self.offset(self.xml.event_start)..self.offset(self.xml.position()),
            end: 0,
        }
    }

    fn read_unit_1(&mut self, e: &Elem, report: &mut ReadReport) -> Result<XliffUnit> {
        let location = self.xml.here();
        let unit_start = self.xml.event_start;
        let mut unit = self.new_unit(e, &location);
        let mut preserve = self.preserve();
        let mut approved = None;
        let mut tool_state = None;
        for (key, value) in e.attributes() {
            match key.as_str() {
                "translate" => {
                    if let Some(t) = yes_no(&value) {
                        unit.translate = t
                    }
                }
                "xml:space" => preserve = space(&value).unwrap_or(preserve),
                "approved" => approved = yes_no(&value),
                "mq:status" => tool_state = Some(value),
                "mq:lastchangedtimestamp" => {
                    unit.provenance.changed = parse_tmx_date(&value).or(unit.provenance.changed)
                }
                "mq:lastchanginguser" => unit.provenance.changed_by = Some(value),
                _ => {}
            }
        }
        let mut source: Option<(Vec<Node>, bool)> = None;
        let mut seg_source: Option<(Vec<Node>, bool)> = None;
        let mut target: Option<(Vec<Node>, bool)> = None;
        let mut target_attrs: Vec<(String, String)> = Vec::new();
        let mut place = None;
        let mut after_source = 0;
        let mut sdl: Vec<SdlSeg> = Vec::new();
        let depth = self.xml.depth;
        loop {
            if self.xml.position() - unit_start > MAX_UNIT_BYTES {
                return Err(self.xml.syntax(format!(
                    "a <trans-unit> longer than {} MB",
                    MAX_UNIT_BYTES >> 20
                )));
            }
            let ev = self.xml.next_event()?;
            let start = self.xml.event_start;
            match ev {
                Ev::Start(ref e) | Ev::Empty(ref e)
                    if e.is("source") || e.is("seg-source") || e.is("target") =>
                {
                    let (content, end) = self.segment_content(&ev, start, preserve)?;
                    match e.local() {
                        "source" => source = Some(content),
                        // An empty one says nothing: the unit is not segmented.
                        "seg-source" if matches!(ev, Ev::Empty(_)) => {}
                        "seg-source" => seg_source = Some(content),
                        _ => {
                            target_attrs = e.attributes();
                            target = Some(content);
                            place =
                                Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                        }
                    }
                    if e.local() != "target" {
                        after_source = after_source.max(end);
                    }
                }
                Ev::Start(e) if e.is("note") => {
                    let lang = e.attr("xml:lang");
                    let text = self.xml.read_text("note")?;
                    unit.notes.push(Note { text, lang });
                }
                Ev::Start(e) if !e.ours && e.local() == "seg-defs" => {
                    sdl = self.read_sdl_segs(report)?;
                }
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <trans-unit>", e.name()));
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) if e.is("note") => {}
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <trans-unit>", e.name())),
                Ev::End(_) if self.xml.depth < depth => break,
                Ev::Eof => return Err(self.xml.truncated("trans-unit")),
                _ => {}
            }
        }
        unit.end = self.offset(self.xml.position());
        let unit_location = location.clone().with_unit(
            unit.id
                .clone()
                .unwrap_or_else(|| format!("#{}", self.ordinal)),
        );
        let Some((source_nodes, source_preserve)) = source else {
            return Err(Error::invalid("a <trans-unit> has no <source>").at(unit_location));
        };
        let mut state = SegmentState {
            approved,
            ..SegmentState::default()
        };
        for (key, value) in &target_attrs {
            match key.as_str() {
                "state" => state.state = Some(value.trim().to_string()),
                "state-qualifier" => state.qualifier = Some(value.trim().to_string()),
                "xml:lang" => {
                    if let Some(tag) = lang(Some(value)) {
                        unit.target_lang = Some(tag);
                        unit.target_lang_raw = Some(value.clone());
                    }
                }
                _ => {}
            }
        }
        if let Some(mq) = tool_state {
            state.tool_state = Some(format!("mq:status={mq}"));
            if let Some(s) = memoq_state(&mq) {
                state.state = Some(s.to_string());
            }
        }
        let place = place.unwrap_or(TargetPlace::Missing {
            at: self.offset(after_source),
        });
        let mut dropped = Dropped::new();
        let source_segs = seg_source
            .as_ref()
            .map(|(n, _)| seg_mrks(n))
            .unwrap_or_default();
        if source_segs.is_empty() {
            unit.segments.push(XliffSegment {
                id: None,
                source: render(source_nodes, Version::V1, source_preserve, &mut dropped),
                target: target.map(|(nodes, p)| render(nodes, Version::V1, p, &mut dropped)),
                state,
                target_place: place,
                provenance: Provenance::default(),
                start_tag: None,
            });
        } else {
            let seg_preserve = seg_source.as_ref().is_some_and(|(_, p)| *p);
            let (target_mrks, target_preserve) = match &target {
                Some((nodes, p)) => (seg_mrks(nodes), *p),
                None => (Vec::new(), preserve),
            };
            let single = source_segs.len() == 1 && target_mrks.is_empty();
            for (mid, _, nodes) in source_segs {
                let mut seg_state = state.clone();
                let mut provenance = Provenance::default();
                if let Some(s) = sdl.iter().find(|s| Some(&s.id) == mid.as_ref()) {
                    seg_state.tool_state = Some(match &s.conf {
                        Some(c) => format!("sdl:conf={c}"),
                        None => "sdl:conf=(none)".to_string(),
                    });
                    seg_state.state = Some(sdl_state(s.conf.as_deref()).to_string());
                    provenance = s.provenance.clone();
                }
                let target_mrk = target_mrks.iter().find(|(m, _, _)| *m == mid);
                // MadCap Lingo's status of the segment, on its target mrk.
                if let Some(status) = target_mrk.and_then(|(_, s, _)| s.as_ref()) {
                    seg_state.tool_state = Some(format!("MadCap:segmentStatus={status}"));
                    if let Some(s) = madcap_state(status) {
                        seg_state.state = Some(s.to_string());
                    }
                }
                let target_nodes = if single {
                    target.as_ref().map(|(n, _)| n.clone())
                } else {
                    target_mrk.map(|(_, _, n)| n.clone())
                };
                unit.segments.push(XliffSegment {
                    id: mid,
                    source: render(nodes, Version::V1, seg_preserve, &mut dropped),
                    target: target_nodes
                        .map(|n| render(n, Version::V1, target_preserve, &mut dropped)),
                    state: seg_state,
                    target_place: place.clone(),
                    provenance,
                    start_tag: None,
                });
            }
        }
        for what in dropped {
            report.not_kept(what);
        }
        Ok(unit)
    }

    /// Trados's `<sdl:seg-defs>`: each segment's confirmation level and dates.
    fn read_sdl_segs(&mut self, report: &mut ReadReport) -> Result<Vec<SdlSeg>> {
        let depth = self.xml.depth;
        let mut segs = Vec::new();
        loop {
            match self.xml.next_event()? {
                Ev::Start(e) | Ev::Empty(e)
                    if !e.ours && e.local() == "seg" && self.xml.depth <= depth + 1 =>
                {
                    let empty = self.xml.depth == depth;
                    let mut seg = SdlSeg {
                        id: e.attr("id").unwrap_or_default(),
                        conf: e.attr("conf"),
                        provenance: Provenance::default(),
                    };
                    if !empty {
                        let seg_depth = self.xml.depth;
                        loop {
                            match self.xml.next_event()? {
                                Ev::Start(v)
                                    if !v.ours
                                        && v.local() == "value"
                                        && self.xml.depth == seg_depth + 1 =>
                                {
                                    let key = v.attr("key").unwrap_or_default();
                                    let value = self.xml.read_text("sdl:value")?;
                                    let p = &mut seg.provenance;
                                    match key.as_str() {
                                        "created_on" => p.created = sdl_date(&value),
                                        "modified_on" => p.changed = sdl_date(&value),
                                        "created_by" => p.created_by = Some(value),
                                        "last_modified_by" => p.changed_by = Some(value),
                                        _ => report.not_kept(&format!("sdl:value {key}")),
                                    }
                                }
                                Ev::End(_) if self.xml.depth < seg_depth => break,
                                Ev::Eof => return Err(self.xml.truncated("sdl:seg")),
                                _ => {}
                            }
                        }
                    }
                    segs.push(seg);
                }
                Ev::End(_) if self.xml.depth < depth => return Ok(segs),
                Ev::Eof => return Err(self.xml.truncated("sdl:seg-defs")),
                _ => {}
            }
        }
    }

    fn read_unit_2(&mut self, e: &Elem, report: &mut ReadReport) -> Result<XliffUnit> {
        let location = self.xml.here();
        let unit_start = self.xml.event_start;
        let mut unit = self.new_unit(e, &location);
        let mut preserve = self.preserve();
        if let Some(t) = e.attr("translate").as_deref().and_then(yes_no) {
            unit.translate = t;
        }
        if let Some(p) = e.attr("xml:space").as_deref().and_then(space) {
            preserve = p;
        }
        let depth = self.xml.depth;
        let mut dropped = Dropped::new();
        loop {
            if self.xml.position() - unit_start > MAX_UNIT_BYTES {
                return Err(self
                    .xml
                    .syntax(format!("a <unit> longer than {} MB", MAX_UNIT_BYTES >> 20)));
            }
            match self.xml.next_event()? {
                Ev::Start(e) if e.is("notes") => {
                    let notes_depth = self.xml.depth;
                    loop {
                        match self.xml.next_event()? {
                            Ev::Start(n) if n.is("note") => {
                                let lang = n.attr("xml:lang");
                                let text = self.xml.read_text("note")?;
                                unit.notes.push(Note { text, lang });
                            }
                            Ev::Start(n) => {
                                report.not_kept(&format!("<{}> in <notes>", n.name()));
                                self.xml.skip_subtree()?;
                            }
                            Ev::End(_) if self.xml.depth < notes_depth => break,
                            Ev::Eof => return Err(self.xml.truncated("notes")),
                            _ => {}
                        }
                    }
                }
                Ev::Start(e) if e.is("segment") => {
                    let segment = self.read_segment_2(&e, preserve, &mut dropped)?;
                    unit.segments.push(segment);
                }
                // Text between segments that is not to be translated.
                Ev::Start(e) if e.is("ignorable") => self.xml.skip_subtree()?,
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <unit>", e.name()));
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) if e.is("segment") || e.is("ignorable") || e.is("notes") => {}
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <unit>", e.name())),
                Ev::End(_) if self.xml.depth < depth => break,
                Ev::Eof => return Err(self.xml.truncated("unit")),
                _ => {}
            }
        }
        unit.end = self.offset(self.xml.position());
        for what in dropped {
            report.not_kept(what);
        }
        if unit.segments.is_empty() {
            let unit_location = location.with_unit(
                unit.id
                    .clone()
                    .unwrap_or_else(|| format!("#{}", self.ordinal)),
            );
            return Err(Error::invalid("a <unit> has no <segment>").at(unit_location));
        }
        Ok(unit)
    }

    fn read_segment_2(
        &mut self,
        e: &Elem,
        preserve: bool,
        dropped: &mut Dropped,
    ) -> Result<XliffSegment> {
        let location = self.xml.here();
        let start_tag = self.offset(self.xml.event_start)..self.offset(self.xml.position());
        let mut state = SegmentState::default();
        for (key, value) in e.attributes() {
            match key.as_str() {
                "state" => state.state = Some(value.trim().to_string()),
                "subState" => state.qualifier = Some(value),
                _ => {}
            }
        }
        let id = e.attr("id");
        let depth = self.xml.depth;
        let mut source = None;
        let mut target = None;
        let mut place = None;
        let mut after_source = 0;
        loop {
            let ev = self.xml.next_event()?;
            let start = self.xml.event_start;
            match ev {
                Ev::Start(ref e) | Ev::Empty(ref e) if e.is("source") || e.is("target") => {
                    let ((nodes, p), end) = self.segment_content(&ev, start, preserve)?;
                    let content = render(nodes, Version::V2, p, dropped);
                    if e.local() == "source" {
                        source = Some(content);
                        after_source = end;
                    } else {
                        target = Some(content);
                        place = Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                    }
                }
                Ev::Start(_) => self.xml.skip_subtree()?,
                Ev::End(_) if self.xml.depth < depth => break,
                Ev::Eof => return Err(self.xml.truncated("segment")),
                _ => {}
            }
        }
        let Some(source) = source else {
            return Err(Error::invalid("a <segment> has no <source>").at(location));
        };
        Ok(XliffSegment {
            id,
            source,
            target,
            state,
            target_place: place.unwrap_or(TargetPlace::Missing {
                at: self.offset(after_source),
            }),
            provenance: Provenance::default(),
            start_tag: Some(start_tag),
        })
    }
}

struct SdlSeg {
    id: String,
    conf: Option<String>,
    provenance: Provenance,
}

/// Trados's `MM/DD/YYYY hh:mm:ss` (local time, taken as UTC).
fn sdl_date(value: &str) -> Option<jiff::Timestamp> {
    let value = value.trim();
    let (date, time) = value.split_once(' ')?;
    let mut parts = date.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    parse_tmx_date(&format!("{y}-{m:0>2}-{d:0>2}T{time}")).or_else(|| parse_tmx_date(value))
}

/// Trados confirmation levels as XLIFF 1.2 states.
pub(crate) fn sdl_state(conf: Option<&str>) -> &'static str {
    match conf {
        Some("Translated") => "translated",
        Some("ApprovedTranslation") => "signed-off",
        Some("ApprovedSignOff") => "final",
        Some("Draft") => "needs-review-translation",
        Some("RejectedTranslation" | "RejectedSignOff") => "needs-translation",
        _ => "new",
    }
}

/// memoQ's `mq:status` as an XLIFF 1.2 state (`None`: unknown, the file's own state
/// stands).
pub(crate) fn memoq_state(status: &str) -> Option<&'static str> {
    Some(match status {
        "NotStarted" => "new",
        "Edited"
        | "PartiallyEdited"
        | "Pretranslated"
        | "MachineTranslated"
        | "AssembledFromFragments" => "needs-review-translation",
        "ManuallyConfirmed" | "Confirmed" => "translated",
        "Reviewer1Confirmed" | "Proofread" => "signed-off",
        "Reviewer2Confirmed" => "final",
        "Rejected" => "needs-translation",
        _ => return None,
    })
}

/// MadCap Lingo's `MadCap:segmentStatus` as an XLIFF 1.2 state (`None`: a value not
/// known here, the file's own state stands). Lingo's files show `Untranslated`;
/// `Translated` is what `pretranslate` writes for an exact match.
pub(crate) fn madcap_state(status: &str) -> Option<&'static str> {
    Some(match status {
        "Untranslated" => "needs-translation",
        "Translated" => "translated",
        _ => return None,
    })
}

fn is_seg_mrk(e: &Elem) -> bool {
    e.is("mrk") && e.attr("mtype").as_deref() == Some("seg")
}

/// A `<mrk mtype="seg">` segment of 1.2 content: its `mid`, MadCap Lingo's
/// `MadCap:segmentStatus` when it has one, its content.
type SegMrk = (Option<String>, Option<String>, Vec<Node>);

/// The `<mrk mtype="seg">` segments of 1.2 content, at any depth.
fn seg_mrks(nodes: &[Node]) -> Vec<SegMrk> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < nodes.len() {
        match &nodes[k] {
            Node::Start(e) if is_seg_mrk(e) => {
                let mut depth = 0usize;
                let mut inner = Vec::new();
                k += 1;
                while k < nodes.len() {
                    match &nodes[k] {
                        Node::Start(_) => depth += 1,
                        Node::End(_) if depth == 0 => break,
                        Node::End(_) => depth -= 1,
                        _ => {}
                    }
                    inner.push(nodes[k].clone());
                    k += 1;
                }
                out.push((e.attr("mid"), e.attr("MadCap:segmentStatus"), inner));
            }
            Node::Empty(e) if is_seg_mrk(e) => {
                out.push((e.attr("mid"), e.attr("MadCap:segmentStatus"), Vec::new()))
            }
            _ => {}
        }
        k += 1;
    }
    out
}
