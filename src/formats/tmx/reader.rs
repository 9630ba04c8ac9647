//! The streaming TMX reader: one `<tu>` at a time, memory bounded by the largest unit.
//!
//! Tolerates what real files do (see `docs/formats.md`): TMX 1.1/1.2 `lang`,
//! `srclang="*all*"`, a missing or odd `version`, the tmx14 default namespace and
//! foreign-namespace elements, `tu@id`, mixed-case language codes, empty `<seg/>`,
//! units lacking the source language or repeating a language, a DOCTYPE (never
//! fetched), character references beyond the BMP. Never expands an entity a DTD
//! declares (so no XXE, no entity bombs) and refuses nesting deeper than
//! [`MAX_DEPTH`].

use std::io::Read;
use std::path::PathBuf;

use super::inline::{self, resolve_reference};
use super::{parse_tmx_date, TmxHeader};
use crate::error::{Error, Location, Result};
use crate::formats::xml::normalize_eol;
use crate::formats::xml::{Elem, Ev, XmlEvents};
use crate::formats::{Item, ReadOptions, ReadReport, Source};
use crate::text::input::{self, Head};
use crate::text::LangTag;
use crate::unit::{Note, Prop, Provenance, TranslationUnit, Variant};

pub use crate::formats::xml::MAX_DEPTH;

/// Namespaces starting with this are TMX's (`http://www.lisa.org/tmx14`).
const TMX_NAMESPACE: &str = "http://www.lisa.org/tmx";

/// Property types the writer uses for unit fields TMX has no attribute for; read back
/// into those fields.
pub(crate) const PROP_ORIGIN: &str = "x-bitext-origin";
pub(crate) const PROP_SCORE: &str = "x-bitext-score";
pub(crate) const PROP_CONTEXT_PREV: &str = "x-bitext-context-prev";
pub(crate) const PROP_CONTEXT_NEXT: &str = "x-bitext-context-next";

/// Reads TMX.
pub(crate) struct TmxReader {
    xml: XmlEvents,
    header: TmxHeader,
    header_src: Option<LangTag>,
    /// The caller's source language, for units the file gives none (`*all*`).
    fallback_src: Option<LangTag>,
    /// Depth of the element whose children are the units (`body`).
    body_depth: usize,
    ordinal: u64,
    finished: bool,
    /// The name of the unit being read (`tuid`, else `#ordinal`), for a cut inside it.
    current: Option<String>,
    /// Warnings and not-kept counts from reading the header.
    early: Option<ReadReport>,
}

impl TmxReader {
    pub(crate) fn new<R: Read + Send + 'static>(
        prefix: &[u8],
        head: Head<R>,
        path: Option<PathBuf>,
        options: &ReadOptions,
    ) -> Result<TmxReader> {
        let located = |e: Error| match &path {
            Some(p) => e.in_file(p),
            None => e,
        };
        let (text, warning) = input::decode_xml(prefix, head, options.encoding).map_err(located)?;
        let xml = XmlEvents::new(text, path, TMX_NAMESPACE, "a translation memory", false);
        let mut reader = TmxReader {
            xml,
            header: TmxHeader::default(),
            header_src: None,
            fallback_src: options.source_lang.clone(),
            body_depth: 0,
            ordinal: 0,
            finished: false,
            current: None,
            early: Some(ReadReport::default()),
        };
        if let Some(w) = warning {
            let location = reader.xml.location_at(0);
            reader.early_report().warn(location, w);
        }
        reader.read_prolog()?;
        Ok(reader)
    }

    fn early_report(&mut self) -> &mut ReadReport {
        self.early.get_or_insert_with(ReadReport::default)
    }

    /// Reads up to the start of `<body>`, taking in the root and the header.
    fn read_prolog(&mut self) -> Result<()> {
        let (root, empty) = self.xml.root_element(
            "tmx",
            "a TMX file",
            "malformed XML: an end tag with no start",
        )?;
        if empty {
            return Err(self.xml.syntax("<tmx/> is empty: no header and no body"));
        }
        let attrs = root.try_attributes().map_err(|m| self.xml.syntax(m))?;
        for (key, value) in attrs {
            if key == "version" {
                self.header.version = Some(value);
            } else {
                self.header.other_attributes.push((key, value));
            }
        }
        let mut saw_header = false;
        loop {
            match self.xml.next_event()? {
                Ev::Start(e) if e.is("header") => {
                    saw_header = true;
                    self.read_header(&e, false)?;
                }
                Ev::Empty(e) if e.is("header") => {
                    saw_header = true;
                    self.read_header(&e, true)?;
                }
                Ev::Start(e) if e.is("body") => {
                    self.body_depth = self.xml.depth;
                    break;
                }
                Ev::Empty(e) if e.is("body") => {
                    self.finished = true;
                    self.xml.finish_document("tmx")?;
                    break;
                }
                Ev::Start(e) => {
                    let what = format!("<{}> in <tmx>", e.name());
                    self.early_report().not_kept(&what);
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) => {
                    let what = format!("<{}> in <tmx>", e.name());
                    self.early_report().not_kept(&what);
                }
                Ev::End(_) => {
                    // </tmx> without a body: no units.
                    self.finished = true;
                    self.xml.finish_document("tmx")?;
                    let location = self.xml.here();
                    self.early_report().warn(location, "the file has no <body>");
                    break;
                }
                Ev::Eof => return Err(self.xml.truncated("tmx")),
                _ => {}
            }
        }
        if !saw_header {
            let location = self.xml.location_at(0);
            self.early_report()
                .warn(location, "the file has no <header> (read anyway)");
        }
        self.header_src = self.header.source_lang();
        if let Some(src) = self.header.src_lang.clone() {
            if self.header_src.is_none() && src.trim() != "*all*" {
                let location = self.xml.location_at(0);
                self.early_report().warn(
                    location,
                    format!("the header's srclang {src:?} is not a language tag (ignored)"),
                );
            }
        }
        Ok(())
    }

    fn read_header(&mut self, elem: &Elem, empty: bool) -> Result<()> {
        let attrs = elem.try_attributes().map_err(|m| self.xml.syntax(m))?;
        let location = self.xml.here();
        let mut provenance = Provenance::default();
        for (key, value) in attrs {
            let h = &mut self.header;
            match key.as_str() {
                "creationtool" => h.creation_tool = Some(value),
                "creationtoolversion" => h.creation_tool_version = Some(value),
                "segtype" => h.seg_type = Some(value),
                "o-tmf" => h.o_tmf = Some(value),
                "adminlang" => h.admin_lang = Some(value),
                "srclang" => h.src_lang = Some(value),
                "datatype" => h.data_type = Some(value),
                "o-encoding" => h.o_encoding = Some(value),
                "creationdate" | "changedate" | "creationid" | "changeid" => {
                    let report = self.early.get_or_insert_with(ReadReport::default);
                    set_provenance(&mut provenance, &key, value, &location, report);
                }
                _ => h.other_attributes.push((key, value)),
            }
        }
        self.header.provenance = provenance;
        if empty {
            return Ok(());
        }
        loop {
            match self.xml.next_event()? {
                Ev::Start(e) if e.is("prop") => {
                    let prop = self.read_prop(&e, false)?;
                    self.header.props.push(prop);
                }
                Ev::Empty(e) if e.is("prop") => {
                    let prop = self.read_prop(&e, true)?;
                    self.header.props.push(prop);
                }
                Ev::Start(e) if e.is("note") => {
                    let note = self.read_note(&e, false)?;
                    self.header.notes.push(note);
                }
                Ev::Empty(e) if e.is("note") => {
                    let note = self.read_note(&e, true)?;
                    self.header.notes.push(note);
                }
                Ev::Start(e) if e.is("ude") => {
                    let inner = self.capture("ude")?;
                    self.header
                        .udes
                        .push(format!("<{}>{}</{}>", e.raw, inner.raw, e.name()));
                }
                Ev::Empty(e) if e.is("ude") => self.header.udes.push(format!("<{}/>", e.raw)),
                Ev::Start(e) => {
                    let what = format!("<{}> in <header>", e.name());
                    self.early_report().not_kept(&what);
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) => {
                    let what = format!("<{}> in <header>", e.name());
                    self.early_report().not_kept(&what);
                }
                Ev::End(_) => return Ok(()),
                Ev::Eof => return Err(self.xml.truncated("header")),
                _ => {}
            }
        }
    }

    fn read_prop(&mut self, elem: &Elem, empty: bool) -> Result<Prop> {
        let attrs = elem.try_attributes().map_err(|m| self.xml.syntax(m))?;
        let mut prop = Prop {
            kind: String::new(),
            value: String::new(),
            lang: None,
        };
        let mut lang = None;
        for (key, value) in attrs {
            match key.as_str() {
                "type" => prop.kind = value,
                "xml:lang" => prop.lang = Some(value),
                "lang" => lang = Some(value),
                _ => {}
            }
        }
        prop.lang = prop.lang.or(lang);
        if !empty {
            prop.value = self.xml.read_text("prop")?;
        }
        Ok(prop)
    }

    fn read_note(&mut self, elem: &Elem, empty: bool) -> Result<Note> {
        let attrs = elem.try_attributes().map_err(|m| self.xml.syntax(m))?;
        let mut note = Note {
            text: String::new(),
            lang: None,
        };
        let mut lang = None;
        for (key, value) in attrs {
            match key.as_str() {
                "xml:lang" => note.lang = Some(value),
                "lang" => lang = Some(value),
                _ => {}
            }
        }
        note.lang = note.lang.or(lang);
        if !empty {
            note.text = self.xml.read_text("note")?;
        }
        Ok(note)
    }

    /// The content of the element just started, exactly as written, with its plain
    /// text when it holds only text and references.
    fn capture(&mut self, inside: &str) -> Result<Captured> {
        let depth = self.xml.depth;
        let mut captured = Captured::default();
        loop {
            match self.xml.next_event()? {
                Ev::Text(t) => {
                    captured.raw.push_str(&t);
                    normalize_eol(&t, &mut captured.text);
                }
                Ev::Ref(r) => {
                    let ch = resolve_reference(&r).map_err(|m| self.xml.syntax(m))?;
                    captured.raw.push('&');
                    captured.raw.push_str(&r);
                    captured.raw.push(';');
                    captured.text.push(ch);
                }
                Ev::CData(c) => {
                    captured.markup = true;
                    captured.raw.push_str("<![CDATA[");
                    captured.raw.push_str(&c);
                    captured.raw.push_str("]]>");
                }
                Ev::Start(e) => {
                    e.try_attributes().map_err(|m| self.xml.syntax(m))?;
                    captured.markup = true;
                    captured.raw.push('<');
                    captured.raw.push_str(&e.raw);
                    captured.raw.push('>');
                }
                Ev::Empty(e) => {
                    e.try_attributes().map_err(|m| self.xml.syntax(m))?;
                    captured.markup = true;
                    captured.raw.push('<');
                    captured.raw.push_str(&e.raw);
                    captured.raw.push_str("/>");
                }
                Ev::End(name) => {
                    if self.xml.depth < depth {
                        return Ok(captured);
                    }
                    captured.raw.push_str("</");
                    captured.raw.push_str(&name);
                    captured.raw.push('>');
                }
                Ev::Other(raw) => {
                    captured.markup = true;
                    captured.raw.push_str(&raw);
                }
                Ev::Prolog => {}
                Ev::Eof => return Err(self.xml.truncated(inside)),
            }
        }
    }

    /// Reads a `<tu>` whose start tag was just read.
    fn read_tu(&mut self, elem: &Elem, report: &mut ReadReport) -> Item {
        match self.read_tu_inner(elem, report) {
            Ok(item) => item,
            Err(e) => {
                self.finished = true;
                match (self.xml.cut.get(), self.current.take()) {
                    (true, Some(unit)) if e.location().unit.is_none() => {
                        let location = e.location().clone().with_unit(unit);
                        Item::Fatal(e.at(location))
                    }
                    _ => Item::Fatal(e),
                }
            }
        }
    }

    fn read_tu_inner(&mut self, elem: &Elem, report: &mut ReadReport) -> Result<Item> {
        self.ordinal += 1;
        let mut location = self.xml.here();
        let attrs = elem.try_attributes().map_err(|m| self.xml.syntax(m))?;
        let mut unit = TranslationUnit::default();
        let mut tu_src: Option<String> = None;
        let mut id_attr = None;
        for (key, value) in attrs {
            match key.as_str() {
                "tuid" => unit.id = Some(value),
                "id" => id_attr = Some(value),
                "srclang" => tu_src = Some(value),
                "creationdate" | "changedate" | "lastusagedate" | "creationid" | "changeid"
                | "usagecount" => {
                    set_provenance(&mut unit.provenance, &key, value, &location, report)
                }
                k if k.starts_with("xmlns") => {}
                k => report.not_kept(&format!("tu@{k}")),
            }
        }
        if unit.id.is_none() {
            unit.id = id_attr;
        }
        location = location.with_unit(match &unit.id {
            Some(id) => id.clone(),
            None => format!("#{}", self.ordinal),
        });
        self.current = location.unit.clone();
        let mut problem: Option<String> = None;
        fn note_problem(p: String, problem: &mut Option<String>) {
            if problem.is_none() {
                *problem = Some(p);
            }
        }
        loop {
            match self.xml.next_event()? {
                Ev::Start(e) if e.is("tuv") => match self.read_tuv(&e, false, report)? {
                    Ok(v) => unit.variants.push(v),
                    Err(p) => note_problem(p, &mut problem),
                },
                Ev::Empty(e) if e.is("tuv") => {
                    let _ = self.read_tuv(&e, true, report)?;
                    note_problem("a <tuv> has no <seg>".into(), &mut problem)
                }
                Ev::Start(e) if e.is("prop") => {
                    let prop = self.read_prop(&e, false)?;
                    unit_prop(&mut unit, prop, &location, report);
                }
                Ev::Empty(e) if e.is("prop") => {
                    let prop = self.read_prop(&e, true)?;
                    unit_prop(&mut unit, prop, &location, report);
                }
                Ev::Start(e) if e.is("note") => {
                    let note = self.read_note(&e, false)?;
                    unit.notes.push(note);
                }
                Ev::Empty(e) if e.is("note") => {
                    let note = self.read_note(&e, true)?;
                    unit.notes.push(note);
                }
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <tu>", e.name()));
                    self.xml.skip_subtree()?;
                }
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <tu>", e.name())),
                Ev::End(_) => break,
                Ev::Eof => {
                    return Err(self.xml.truncated("tu").at(Location {
                        unit: location.unit.clone(),
                        ..self.xml.here()
                    }))
                }
                _ => {}
            }
        }
        if let Some(p) = problem {
            return Ok(Item::Invalid(Error::invalid(p).at(location)));
        }
        if unit.variants.is_empty() {
            return Ok(Item::Invalid(
                Error::invalid("<tu> has no <tuv>").at(location),
            ));
        }
        unit.source_lang = match tu_src.as_deref().map(str::trim) {
            None => self.header_src.clone(),
            // Any of the unit's languages may be the source.
            Some("*all*") => None,
            Some(raw) => match LangTag::parse(raw) {
                Ok(tag) => Some(tag),
                Err(_) => {
                    report.warn(
                        location.clone(),
                        format!("srclang {raw:?} is not a language tag (the header's is used)"),
                    );
                    self.header_src.clone()
                }
            },
        };
        if unit.source_lang.is_none() {
            if let Some(src) = &self.fallback_src {
                unit.source_lang = unit
                    .variants
                    .iter()
                    .find(|v| v.lang == *src || v.lang.matches(src))
                    .map(|v| v.lang.clone());
            }
        }
        Ok(Item::Unit(unit))
    }

    /// Reads a `<tuv>`; the inner result is the variant or why the unit is unusable.
    fn read_tuv(
        &mut self,
        elem: &Elem,
        empty: bool,
        report: &mut ReadReport,
    ) -> Result<std::result::Result<Variant, String>> {
        let location = self.xml.here();
        let attrs = elem.try_attributes().map_err(|m| self.xml.syntax(m))?;
        let mut lang_attr: Option<String> = None;
        let mut old_lang: Option<String> = None;
        let mut provenance = Provenance::default();
        for (key, value) in attrs {
            match key.as_str() {
                "xml:lang" => lang_attr = Some(value),
                "lang" => old_lang = Some(value),
                "creationdate" | "changedate" | "lastusagedate" | "creationid" | "changeid"
                | "usagecount" => set_provenance(&mut provenance, &key, value, &location, report),
                k if k.starts_with("xmlns") => {}
                k => report.not_kept(&format!("tuv@{k}")),
            }
        }
        let lang = match lang_attr.or(old_lang) {
            None => Err("a <tuv> has no xml:lang".to_string()),
            Some(raw) => LangTag::parse(&raw).map_err(|e| {
                if raw.trim().is_empty() {
                    "a <tuv> has an empty xml:lang".to_string()
                } else {
                    format!(
                        "a <tuv> has xml:lang {raw:?}, which is not a language tag ({})",
                        crate::formats::error_message(&e)
                    )
                }
            }),
        };
        let mut props = Vec::new();
        let mut notes = Vec::new();
        let mut seg: Option<Captured> = None;
        let mut segs = 0;
        if !empty {
            loop {
                match self.xml.next_event()? {
                    Ev::Start(e) if e.is("seg") => {
                        segs += 1;
                        let seg_start = self.xml.here();
                        let mut captured = self.capture("seg")?;
                        if captured.markup {
                            captured.text =
                                inline::plain_text(&captured.raw).map_err(|e| e.at(seg_start))?;
                        }
                        seg.get_or_insert(captured);
                    }
                    Ev::Empty(e) if e.is("seg") => {
                        e.try_attributes().map_err(|m| self.xml.syntax(m))?;
                        segs += 1;
                        seg.get_or_insert_with(Captured::default);
                    }
                    Ev::Start(e) if e.is("prop") => props.push(self.read_prop(&e, false)?),
                    Ev::Empty(e) if e.is("prop") => props.push(self.read_prop(&e, true)?),
                    Ev::Start(e) if e.is("note") => notes.push(self.read_note(&e, false)?),
                    Ev::Empty(e) if e.is("note") => notes.push(self.read_note(&e, true)?),
                    Ev::Start(e) => {
                        report.not_kept(&format!("<{}> in <tuv>", e.name()));
                        self.xml.skip_subtree()?;
                    }
                    Ev::Empty(e) => report.not_kept(&format!("<{}> in <tuv>", e.name())),
                    Ev::End(_) => break,
                    Ev::Eof => return Err(self.xml.truncated("tuv")),
                    _ => {}
                }
            }
        }
        let lang = match lang {
            Ok(lang) => lang,
            Err(p) => return Ok(Err(p)),
        };
        let Some(seg) = seg else {
            return Ok(Err(format!("the <tuv> in {lang} has no <seg>")));
        };
        if segs > 1 {
            return Ok(Err(format!(
                "the <tuv> in {lang} has {segs} <seg> elements"
            )));
        }
        Ok(Ok(Variant {
            lang,
            text: seg.text,
            markup: seg.markup.then_some(seg.raw),
            provenance,
            props,
            notes,
        }))
    }
}

#[derive(Default)]
struct Captured {
    raw: String,
    text: String,
    /// Holds more than text and references.
    markup: bool,
}

fn set_provenance(
    provenance: &mut Provenance,
    key: &str,
    value: String,
    location: &Location,
    report: &mut ReadReport,
) {
    let date = |value: &str, report: &mut ReadReport| {
        let parsed = parse_tmx_date(value);
        if parsed.is_none() {
            report.warn(
                location.clone(),
                format!("{key}={value:?} is not a date (YYYYMMDDThhmmssZ); left out"),
            );
        }
        parsed
    };
    match key {
        "creationdate" => provenance.created = date(&value, report),
        "changedate" => provenance.changed = date(&value, report),
        "lastusagedate" => provenance.last_used = date(&value, report),
        "creationid" => provenance.created_by = Some(value),
        "changeid" => provenance.changed_by = Some(value),
        "usagecount" => match value.trim().parse() {
            Ok(n) => provenance.usage_count = Some(n),
            Err(_) => report.warn(
                location.clone(),
                format!("usagecount={value:?} is not a count; left out"),
            ),
        },
        _ => {}
    }
}

/// A unit-level prop, or one of the writer's own props for unit fields.
fn unit_prop(unit: &mut TranslationUnit, prop: Prop, location: &Location, report: &mut ReadReport) {
    match prop.kind.as_str() {
        PROP_ORIGIN => unit.origin.file = Some(prop.value),
        PROP_CONTEXT_PREV => unit.context.prev = Some(prop.value),
        PROP_CONTEXT_NEXT => unit.context.next = Some(prop.value),
        PROP_SCORE => match prop.value.trim().parse::<f64>() {
            Ok(score) if score.is_finite() => unit.origin.score = Some(score),
            _ => {
                report.warn(
                    location.clone(),
                    format!(
                        "{PROP_SCORE} {:?} is not a number; kept as a prop",
                        prop.value
                    ),
                );
                unit.props.push(prop);
            }
        },
        _ => unit.props.push(prop),
    }
}

impl Source for TmxReader {
    fn next_item(&mut self, report: &mut ReadReport) -> Option<Item> {
        match self.next_item_inner(report) {
            Some(Item::Fatal(e)) if self.xml.cut.get() => Some(Item::Truncated(e)),
            item => item,
        }
    }

    fn tmx_header(&self) -> Option<&TmxHeader> {
        Some(&self.header)
    }
}

impl TmxReader {
    fn next_item_inner(&mut self, report: &mut ReadReport) -> Option<Item> {
        if let Some(early) = self.early.take() {
            report.absorb(early);
        }
        if self.finished {
            return None;
        }
        loop {
            let event = match self.xml.next_event() {
                Ok(ev) => ev,
                Err(e) => {
                    self.finished = true;
                    return Some(Item::Fatal(e));
                }
            };
            match event {
                Ev::Start(e) if e.is("tu") => return Some(self.read_tu(&e, report)),
                Ev::Empty(e) if e.is("tu") => {
                    self.ordinal += 1;
                    let id = e.try_attributes().ok().and_then(|attrs| {
                        attrs
                            .into_iter()
                            .find(|(k, _)| k == "tuid" || k == "id")
                            .map(|(_, v)| v)
                    });
                    let location = self
                        .xml
                        .here()
                        .with_unit(id.unwrap_or_else(|| format!("#{}", self.ordinal)));
                    return Some(Item::Invalid(
                        Error::invalid("<tu> has no <tuv>").at(location),
                    ));
                }
                Ev::Start(e) => {
                    report.not_kept(&format!("<{}> in <body>", e.name()));
                    if let Err(err) = self.xml.skip_subtree() {
                        self.finished = true;
                        return Some(Item::Fatal(err));
                    }
                }
                Ev::Empty(e) => report.not_kept(&format!("<{}> in <body>", e.name())),
                Ev::End(_) if self.xml.depth < self.body_depth => {
                    self.finished = true;
                    return match self.xml.finish_document("tmx") {
                        Ok(()) => None,
                        Err(e) => Some(Item::Fatal(e)),
                    };
                }
                Ev::Eof => {
                    self.finished = true;
                    return Some(Item::Fatal(self.xml.truncated("body")));
                }
                _ => {}
            }
        }
    }
}
