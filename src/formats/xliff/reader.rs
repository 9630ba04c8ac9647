//! The streaming XLIFF reader: one unit (`trans-unit` or `unit`) at a time, memory
//! bounded by the largest unit. The same discipline as the TMX reader: no entity a
//! DTD declares is expanded (no XXE, no entity bombs), nesting deeper than
//! [`MAX_DEPTH`] is refused, every error names its line and column.

use std::io::Read;
use std::path::PathBuf;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::inline::{render, Dropped, Elem, Node, Version};
use super::{SegmentState, TargetPlace, XliffSegment, XliffUnit};
use crate::error::{Error, Location, Result};
use crate::formats::input::{self, Head, TextInput};
use crate::formats::tmx::inline::resolve_reference;
use crate::formats::tmx::parse_tmx_date;
use crate::formats::tmx::reader::{normalize_eol, parse_attributes};
use crate::formats::ReadReport;
use crate::text::LangTag;
use crate::unit::{Note, Provenance};

/// Elements nested deeper than this are refused.
pub const MAX_DEPTH: usize = 1000;

/// Units larger than this (decoded bytes) are refused: a unit is held whole.
pub const MAX_UNIT_BYTES: u64 = 64 * 1024 * 1024;

type Input = TextInput<Box<dyn Read + Send>>;

enum Ev {
    Start(Elem),
    Empty(Elem),
    End(String),
    Text(String),
    Ref(String),
    CData(String),
    Other,
    Prolog,
    Eof,
}

/// Where the units are: the file and the groups around them.
#[derive(Debug, Clone)]
struct Frame {
    depth: usize,
    translate: Option<bool>,
    preserve: Option<bool>,
}

/// Reads XLIFF 1.x or 2.x.
pub struct XliffReader {
    xml: NsReader<Input>,
    buf: Vec<u8>,
    path: Option<PathBuf>,
    version: Version,
    depth: usize,
    event_start: u64,
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
        let mut xml = NsReader::from_reader(text);
        let config = xml.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        config.allow_dangling_amp = false;
        let mut reader = XliffReader {
            xml,
            buf: Vec::with_capacity(4096),
            path,
            version: Version::V1,
            depth: 0,
            event_start: 0,
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
            let location = reader.location_at(0);
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

    fn location_at(&self, pos: u64) -> Location {
        let (line, column) = self.xml.get_ref().position(pos);
        Location {
            path: self.path.clone(),
            line: Some(line),
            column,
            unit: None,
        }
    }

    fn here(&self) -> Location {
        self.location_at(self.event_start)
    }

    fn syntax(&self, message: impl Into<String>) -> Error {
        Error::syntax(message, self.here())
    }

    /// The file offset of a decoded offset.
    fn offset(&self, pos: u64) -> u64 {
        if self.spans_in_file {
            pos + self.offset_base
        } else {
            pos
        }
    }

    fn xml_error(&self, err: quick_xml::Error) -> Error {
        match err {
            quick_xml::Error::Io(io) => {
                if let Some(located) = input::located_input_error(&io, self.path.as_deref()) {
                    return located;
                }
                Error::io(
                    std::io::Error::new(io.kind(), io.to_string()),
                    self.path.as_deref(),
                )
            }
            other => Error::syntax(
                format!("malformed XML: {other}"),
                self.location_at(self.xml.error_position()),
            ),
        }
    }

    fn next_event(&mut self) -> Result<Ev> {
        self.buf.clear();
        self.event_start = self.xml.buffer_position();
        let (ns, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
            Ok(pair) => pair,
            Err(e) => return Err(self.xml_error(e)),
        };
        let xliff = match ns {
            ResolveResult::Unbound => true,
            ResolveResult::Bound(ns) => ns.0.starts_with("urn:oasis:names:tc:xliff:document:"),
            ResolveResult::Unknown(_) => false,
        };
        let elem = |e: &BytesStart<'_>| Elem {
            xliff,
            raw: e.to_string(),
            name_len: e.name().0.len(),
        };
        let ev = match event {
            Event::Start(e) => {
                let elem = elem(&e);
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.syntax(format!(
                        "elements nested more than {MAX_DEPTH} deep: not a translatable document"
                    )));
                }
                parse_attributes(&elem.raw, elem.name_len).map_err(|m| self.syntax(m))?;
                Ev::Start(elem)
            }
            Event::Empty(e) => {
                let elem = elem(&e);
                parse_attributes(&elem.raw, elem.name_len).map_err(|m| self.syntax(m))?;
                Ev::Empty(elem)
            }
            Event::End(e) => {
                self.depth = self.depth.saturating_sub(1);
                Ev::End(e.name().0.to_string())
            }
            Event::Text(t) => Ev::Text(t.to_string()),
            Event::GeneralRef(r) => Ev::Ref(r.to_string()),
            Event::CData(c) => Ev::CData(c.to_string()),
            Event::Comment(_) | Event::PI(_) => Ev::Other,
            Event::Decl(_) | Event::DocType(_) => Ev::Prolog,
            Event::Eof => Ev::Eof,
        };
        Ok(ev)
    }

    fn truncated(&self, inside: &str) -> Error {
        self.syntax(format!(
            "the file ends inside <{inside}>: it is truncated or not well-formed"
        ))
    }

    /// Reads up to the root's start tag and takes in its attributes.
    fn read_root(&mut self) -> Result<()> {
        loop {
            match self.next_event()? {
                Ev::Prolog | Ev::Other => {}
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) => {
                    return Err(self.syntax("text before the root element: not an XML file"))
                }
                Ev::Start(e) | Ev::Empty(e) if e.local() != "xliff" => {
                    return Err(self.syntax(format!(
                        "not an XLIFF file: the root element is <{}>, not <xliff>",
                        e.name()
                    )))
                }
                Ev::Start(e) => {
                    self.root(&e)?;
                    return Ok(());
                }
                Ev::Empty(e) => {
                    self.root(&e)?;
                    self.finished = true;
                    return self.finish_document();
                }
                Ev::End(_) => return Err(self.syntax("an end tag before the root element")),
                Ev::Eof => return Err(self.syntax("no root element: not an XML document")),
            }
        }
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
                return Err(self.syntax(format!(
                    "XLIFF version {v:?} is not one this reader knows (1.0 to 1.2, 2.0, 2.1)"
                )))
            }
            None => Version::V1,
        };
        self.frames.push(Frame {
            depth: self.depth,
            translate: None,
            preserve: e.attr("xml:space").as_deref().and_then(space),
        });
        Ok(())
    }

    fn skip_subtree(&mut self) -> Result<()> {
        let depth = self.depth;
        while self.depth >= depth {
            if let Ev::Eof = self.next_event()? {
                return Err(self.truncated("an element"));
            }
        }
        Ok(())
    }

    fn finish_document(&mut self) -> Result<()> {
        loop {
            match self.next_event()? {
                Ev::Eof => {
                    if self.depth > 0 {
                        return Err(self.truncated("xliff"));
                    }
                    return Ok(());
                }
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) if self.depth == 0 => {
                    return Err(self.syntax("text after the root element"))
                }
                Ev::Start(_) if self.depth == 1 => {
                    return Err(self.syntax("a second root element after </xliff>"))
                }
                Ev::Empty(_) if self.depth == 0 => {
                    return Err(self.syntax("a second root element after </xliff>"))
                }
                _ => {}
            }
        }
    }

    /// The text content of the element just started; nested elements give their text.
    fn read_text(&mut self, inside: &str) -> Result<String> {
        let depth = self.depth;
        let mut text = String::new();
        loop {
            match self.next_event()? {
                Ev::Text(t) | Ev::CData(t) => normalize_eol(&t, &mut text),
                Ev::Ref(r) => text.push(resolve_reference(&r).map_err(|m| self.syntax(m))?),
                Ev::End(_) if self.depth < depth => return Ok(text),
                Ev::Eof => return Err(self.truncated(inside)),
                _ => {}
            }
        }
    }

    /// The content of the element just started, as nodes.
    fn capture(&mut self, inside: &str, start: u64) -> Result<Vec<Node>> {
        let depth = self.depth;
        let mut nodes = Vec::new();
        loop {
            if self.xml.buffer_position() - start > MAX_UNIT_BYTES {
                return Err(self.syntax(format!(
                    "a <{inside}> longer than {} MB: not a translatable segment",
                    MAX_UNIT_BYTES >> 20
                )));
            }
            let node = match self.next_event()? {
                Ev::Text(t) | Ev::CData(t) => {
                    let mut text = String::new();
                    normalize_eol(&t, &mut text);
                    Node::Text(text)
                }
                Ev::Ref(r) => Node::Text(
                    resolve_reference(&r)
                        .map_err(|m| self.syntax(m))?
                        .to_string(),
                ),
                Ev::Start(e) => Node::Start(e),
                Ev::Empty(e) => Node::Empty(e),
                Ev::End(name) => {
                    if self.depth < depth {
                        return Ok(nodes);
                    }
                    Node::End(name)
                }
                Ev::Other => Node::Other,
                Ev::Prolog => continue,
                Ev::Eof => return Err(self.truncated(inside)),
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
            depth: self.depth,
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
            match self.next_event()? {
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
                        self.here().with_unit(
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
                    self.skip_subtree()?;
                }
                Ev::Empty(e) => {
                    if !e.is("group") && !e.is("file") && !e.is("body") {
                        report.not_kept(&format!("<{}> outside units", e.name()));
                    }
                }
                Ev::End(_) => {
                    while self.frames.last().is_some_and(|f| f.depth > self.depth) {
                        self.frames.pop();
                    }
                    if self.depth == 0 {
                        self.finish_document()?;
                        return Ok(None);
                    }
                }
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) => {
                    report.not_kept("text outside units");
                }
                Ev::Other | Ev::Prolog => {}
                Ev::Eof => return Err(self.truncated("xliff")),
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
            start_tag: self.offset(self.event_start)..self.offset(self.xml.buffer_position()),
            end: 0,
        }
    }

    fn read_unit_1(&mut self, e: &Elem, report: &mut ReadReport) -> Result<XliffUnit> {
        let location = self.here();
        let unit_start = self.event_start;
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
        let depth = self.depth;
        loop {
            if self.xml.buffer_position() - unit_start > MAX_UNIT_BYTES {
                return Err(self.syntax(format!(
                    "a <trans-unit> longer than {} MB",
                    MAX_UNIT_BYTES >> 20
                )));
            }
            let ev = self.next_event()?;
            let start = self.event_start;
            match ev {
                Ev::Start(e) if e.is("source") || e.is("seg-source") || e.is("target") => {
                    let p = e
                        .attr("xml:space")
                        .as_deref()
                        .and_then(space)
                        .unwrap_or(preserve);
                    let nodes = self.capture(e.local(), start)?;
                    let end = self.xml.buffer_position();
                    match e.local() {
                        "source" => {
                            source = Some((nodes, p));
                            after_source = after_source.max(end);
                        }
                        "seg-source" => {
                            seg_source = Some((nodes, p));
                            after_source = after_source.max(end);
                        }
                        _ => {
                            target_attrs = e.attributes();
                            target = Some((nodes, p));
                            place =
                                Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                        }
                    }
                }
                Ev::Empty(e) if e.is("source") || e.is("seg-source") || e.is("target") => {
                    let end = self.xml.buffer_position();
                    match e.local() {
                        "source" => {
                            source = Some((Vec::new(), preserve));
                            after_source = after_source.max(end);
                        }
                        "seg-source" => after_source = after_source.max(end),
                        _ => {
                            target_attrs = e.attributes();
                            target = Some((Vec::new(), preserve));
                            place =
                                Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                        }
                    }
                }
                Ev::Start(e) if e.is("note") => {
                    let lang = e.attr("xml:lang");
                    let text = self.read_text("note")?;
                    unit.notes.push(Note { text, lang });
                }
                Ev::Start(e) if !e.xliff && e.local() == "seg-defs" => {
                    sdl = self.read_sdl_segs(report)?;
                }
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <trans-unit>", e.name()));
                    self.skip_subtree()?;
                }
                Ev::Empty(e) if e.is("note") => {}
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <trans-unit>", e.name())),
                Ev::End(_) if self.depth < depth => break,
                Ev::Eof => return Err(self.truncated("trans-unit")),
                _ => {}
            }
        }
        unit.end = self.offset(self.xml.buffer_position());
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
            for (mid, nodes) in source_segs {
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
                let target_nodes = if single {
                    target.as_ref().map(|(n, _)| n.clone())
                } else {
                    target_mrks
                        .iter()
                        .find(|(m, _)| *m == mid)
                        .map(|(_, n)| n.clone())
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
        let depth = self.depth;
        let mut segs = Vec::new();
        loop {
            match self.next_event()? {
                Ev::Start(e) | Ev::Empty(e)
                    if !e.xliff && e.local() == "seg" && self.depth <= depth + 1 =>
                {
                    let empty = self.depth == depth;
                    let mut seg = SdlSeg {
                        id: e.attr("id").unwrap_or_default(),
                        conf: e.attr("conf"),
                        provenance: Provenance::default(),
                    };
                    if !empty {
                        let seg_depth = self.depth;
                        loop {
                            match self.next_event()? {
                                Ev::Start(v)
                                    if !v.xliff
                                        && v.local() == "value"
                                        && self.depth == seg_depth + 1 =>
                                {
                                    let key = v.attr("key").unwrap_or_default();
                                    let value = self.read_text("sdl:value")?;
                                    let p = &mut seg.provenance;
                                    match key.as_str() {
                                        "created_on" => p.created = sdl_date(&value),
                                        "modified_on" => p.changed = sdl_date(&value),
                                        "created_by" => p.created_by = Some(value),
                                        "last_modified_by" => p.changed_by = Some(value),
                                        _ => report.not_kept(&format!("sdl:value {key}")),
                                    }
                                }
                                Ev::End(_) if self.depth < seg_depth => break,
                                Ev::Eof => return Err(self.truncated("sdl:seg")),
                                _ => {}
                            }
                        }
                    }
                    segs.push(seg);
                }
                Ev::End(_) if self.depth < depth => return Ok(segs),
                Ev::Eof => return Err(self.truncated("sdl:seg-defs")),
                _ => {}
            }
        }
    }

    fn read_unit_2(&mut self, e: &Elem, report: &mut ReadReport) -> Result<XliffUnit> {
        let location = self.here();
        let unit_start = self.event_start;
        let mut unit = self.new_unit(e, &location);
        let mut preserve = self.preserve();
        if let Some(t) = e.attr("translate").as_deref().and_then(yes_no) {
            unit.translate = t;
        }
        if let Some(p) = e.attr("xml:space").as_deref().and_then(space) {
            preserve = p;
        }
        let depth = self.depth;
        let mut dropped = Dropped::new();
        loop {
            if self.xml.buffer_position() - unit_start > MAX_UNIT_BYTES {
                return Err(
                    self.syntax(format!("a <unit> longer than {} MB", MAX_UNIT_BYTES >> 20))
                );
            }
            match self.next_event()? {
                Ev::Start(e) if e.is("notes") => {
                    let notes_depth = self.depth;
                    loop {
                        match self.next_event()? {
                            Ev::Start(n) if n.is("note") => {
                                let lang = n.attr("xml:lang");
                                let text = self.read_text("note")?;
                                unit.notes.push(Note { text, lang });
                            }
                            Ev::Start(n) => {
                                report.not_kept(&format!("<{}> in <notes>", n.name()));
                                self.skip_subtree()?;
                            }
                            Ev::End(_) if self.depth < notes_depth => break,
                            Ev::Eof => return Err(self.truncated("notes")),
                            _ => {}
                        }
                    }
                }
                Ev::Start(e) if e.is("segment") => {
                    let segment = self.read_segment_2(&e, preserve, &mut dropped)?;
                    unit.segments.push(segment);
                }
                // Text between segments that is not to be translated.
                Ev::Start(e) if e.is("ignorable") => self.skip_subtree()?,
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <unit>", e.name()));
                    self.skip_subtree()?;
                }
                Ev::Empty(e) if e.is("segment") || e.is("ignorable") || e.is("notes") => {}
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <unit>", e.name())),
                Ev::End(_) if self.depth < depth => break,
                Ev::Eof => return Err(self.truncated("unit")),
                _ => {}
            }
        }
        unit.end = self.offset(self.xml.buffer_position());
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
        let location = self.here();
        let start_tag = self.offset(self.event_start)..self.offset(self.xml.buffer_position());
        let mut state = SegmentState::default();
        for (key, value) in e.attributes() {
            match key.as_str() {
                "state" => state.state = Some(value.trim().to_string()),
                "subState" => state.qualifier = Some(value),
                _ => {}
            }
        }
        let id = e.attr("id");
        let depth = self.depth;
        let mut source = None;
        let mut target = None;
        let mut place = None;
        let mut after_source = 0;
        loop {
            let ev = self.next_event()?;
            let start = self.event_start;
            match ev {
                Ev::Start(e) if e.is("source") || e.is("target") => {
                    let p = e
                        .attr("xml:space")
                        .as_deref()
                        .and_then(space)
                        .unwrap_or(preserve);
                    let nodes = self.capture(e.local(), start)?;
                    let end = self.xml.buffer_position();
                    let content = render(nodes, Version::V2, p, dropped);
                    if e.local() == "source" {
                        source = Some(content);
                        after_source = end;
                    } else {
                        target = Some(content);
                        place = Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                    }
                }
                Ev::Empty(e) if e.is("source") || e.is("target") => {
                    let end = self.xml.buffer_position();
                    if e.local() == "source" {
                        source = Some(Default::default());
                        after_source = end;
                    } else {
                        target = Some(Default::default());
                        place = Some(TargetPlace::Element(self.offset(start)..self.offset(end)));
                    }
                }
                Ev::Start(_) => self.skip_subtree()?,
                Ev::End(_) if self.depth < depth => break,
                Ev::Eof => return Err(self.truncated("segment")),
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

fn is_seg_mrk(e: &Elem) -> bool {
    e.is("mrk") && e.attr("mtype").as_deref() == Some("seg")
}

/// The `<mrk mtype="seg">` segments of 1.2 content, at any depth: (mid, content).
fn seg_mrks(nodes: &[Node]) -> Vec<(Option<String>, Vec<Node>)> {
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
                out.push((e.attr("mid"), inner));
            }
            Node::Empty(e) if is_seg_mrk(e) => out.push((e.attr("mid"), Vec::new())),
            _ => {}
        }
        k += 1;
    }
    out
}
