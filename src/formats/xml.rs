//! The XML plumbing the TMX and XLIFF readers share: a pull reader over decoded text
//! that hands out owned events (so the reader can be used while handling one), counts
//! the depth (nesting deeper than [`MAX_DEPTH`] is refused), knows the line and column
//! of each event for located errors, skips subtrees, reads an element's text and
//! checks the end of the document. No entity a DTD declares is ever expanded: an
//! unknown reference is an error. Each format's reader holds one and does only its
//! format's work.

use std::cell::Cell;
use std::io::Read;
use std::path::PathBuf;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::{Error, Location, Result};
use crate::formats::tmx::inline::{is_xml_char, raw_event, resolve_reference};
use crate::text::input::{self, TextInput};

/// Elements nested deeper than this are refused (real files need about ten levels).
pub const MAX_DEPTH: usize = 1000;

/// Decoded, checked text.
pub(crate) type Input = TextInput<Box<dyn Read + Send>>;

/// An element's start tag, owned.
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    /// In the format's namespace (or in none).
    pub(crate) ours: bool,
    /// The content between `<` and `>` (or `/>`).
    pub(crate) raw: String,
    pub(crate) name_len: usize,
}

impl Elem {
    pub(crate) fn name(&self) -> &str {
        &self.raw[..self.name_len]
    }

    pub(crate) fn local(&self) -> &str {
        let name = self.name();
        name.rsplit(':').next().unwrap_or(name)
    }

    /// The format's element named `local`.
    pub(crate) fn is(&self, local: &str) -> bool {
        self.ours && self.local() == local
    }

    /// Its attributes (an error, the message, for a malformed one).
    pub(crate) fn try_attributes(&self) -> std::result::Result<Vec<(String, String)>, String> {
        parse_attributes(&self.raw, self.name_len)
    }

    /// Its attributes, when they were checked as the element was read (errors give
    /// none).
    pub(crate) fn attributes(&self) -> Vec<(String, String)> {
        self.try_attributes().unwrap_or_default()
    }

    pub(crate) fn attr(&self, name: &str) -> Option<String> {
        self.attributes()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// An XML event, owned.
pub(crate) enum Ev {
    Start(Elem),
    Empty(Elem),
    End(String),
    Text(String),
    Ref(String),
    CData(String),
    /// A comment or processing instruction, as written.
    Other(String),
    Prolog,
    Eof,
}

/// The attributes of a start tag's content (`raw`: between `<` and `>`, the name
/// `name_len` bytes long), values normalised; an undefined entity or a character XML
/// 1.0 does not allow is an error (the message).
pub(crate) fn parse_attributes(
    raw: &str,
    name_len: usize,
) -> std::result::Result<Vec<(String, String)>, String> {
    let start = BytesStart::from_content(raw, name_len);
    let mut out = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("malformed attribute: {e}"))?;
        let value =
            attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => format!(
                        "undefined entity &{name}; (entities declared in a DTD are never expanded)"
                    ),
                    e => format!("bad attribute value: {e}"),
                })?;
        if let Some(c) = value.chars().find(|&c| !is_xml_char(c)) {
            return Err(format!(
                "attribute {} holds U+{:04X}, which XML 1.0 does not allow",
                attr.key.0, c as u32
            ));
        }
        out.push((attr.key.0.to_string(), value.into_owned()));
    }
    Ok(out)
}

/// Appends `text` with its line ends (`\r\n`, `\r`) made `\n`, as XML parsers do.
pub(crate) fn normalize_eol(text: &str, out: &mut String) {
    if text.contains('\r') {
        out.push_str(&text.replace("\r\n", "\n").replace('\r', "\n"));
    } else {
        out.push_str(text);
    }
}

/// The events of one XML document, with depth and positions.
pub(crate) struct XmlEvents {
    xml: NsReader<Input>,
    buf: Vec<u8>,
    path: Option<PathBuf>,
    /// Namespaces starting with this are the format's.
    namespace: &'static str,
    /// What a too deeply nested file is not ("a translation memory").
    not_a: &'static str,
    /// Whether start tags' attributes are checked as they are read (else when used).
    check_attributes: bool,
    /// Open elements.
    pub(crate) depth: usize,
    /// Where the last event started (decoded bytes).
    pub(crate) event_start: u64,
    /// Set when the input ended in the middle of the document (it was cut off).
    pub(crate) cut: Cell<bool>,
}

impl XmlEvents {
    /// Events of `text`; elements in no namespace or one starting with `namespace` are
    /// the format's ([`Elem::ours`]).
    pub(crate) fn new(
        text: Input,
        path: Option<PathBuf>,
        namespace: &'static str,
        not_a: &'static str,
        check_attributes: bool,
    ) -> XmlEvents {
        let mut xml = NsReader::from_reader(text);
        let config = xml.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        config.allow_dangling_amp = false;
        XmlEvents {
            xml,
            buf: Vec::with_capacity(4096),
            path,
            namespace,
            not_a,
            check_attributes,
            depth: 0,
            event_start: 0,
            cut: Cell::new(false),
        }
    }

    /// The decoded offset the reader has reached.
    pub(crate) fn position(&self) -> u64 {
        self.xml.buffer_position()
    }

    pub(crate) fn location_at(&self, pos: u64) -> Location {
        let (line, column) = self.xml.get_ref().position(pos);
        Location {
            path: self.path.clone(),
            line: Some(line),
            column,
            unit: None,
        }
    }

    /// Where the last event started.
    pub(crate) fn here(&self) -> Location {
        self.location_at(self.event_start)
    }

    pub(crate) fn syntax(&self, message: impl Into<String>) -> Error {
        Error::syntax(message, self.here())
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
            other => {
                if let quick_xml::Error::Syntax(e) = &other {
                    use quick_xml::errors::SyntaxError as S;
                    // Each of these means the input ended inside a piece of markup.
                    if !matches!(e, S::InvalidBangMarkup) {
                        self.cut.set(true);
                    }
                }
                Error::syntax(
                    format!("malformed XML: {other}"),
                    self.location_at(self.xml.error_position()),
                )
            }
        }
    }

    pub(crate) fn next_event(&mut self) -> Result<Ev> {
        self.buf.clear();
        self.event_start = self.xml.buffer_position();
        let (ns, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
            Ok(pair) => pair,
            Err(e) => return Err(self.xml_error(e)),
        };
        let ours = match ns {
            ResolveResult::Unbound => true,
            ResolveResult::Bound(ns) => ns.0.starts_with(self.namespace),
            ResolveResult::Unknown(_) => false,
        };
        let elem = |e: &BytesStart<'_>| Elem {
            ours,
            raw: e.to_string(),
            name_len: e.name().0.len(),
        };
        let ev = match event {
            Event::Start(e) => {
                let elem = elem(&e);
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.syntax(format!(
                        "elements nested more than {MAX_DEPTH} deep: not {}",
                        self.not_a
                    )));
                }
                if self.check_attributes {
                    elem.try_attributes().map_err(|m| self.syntax(m))?;
                }
                Ev::Start(elem)
            }
            Event::Empty(e) => {
                let elem = elem(&e);
                if self.check_attributes {
                    elem.try_attributes().map_err(|m| self.syntax(m))?;
                }
                Ev::Empty(elem)
            }
            Event::End(e) => {
                self.depth = self.depth.saturating_sub(1);
                Ev::End(e.name().0.to_string())
            }
            Event::Text(t) => Ev::Text(t.to_string()),
            Event::GeneralRef(r) => Ev::Ref(r.to_string()),
            Event::CData(c) => Ev::CData(c.to_string()),
            Event::Comment(_) | Event::PI(_) => Ev::Other(raw_event(&event)),
            Event::Decl(_) | Event::DocType(_) => Ev::Prolog,
            Event::Eof => Ev::Eof,
        };
        Ok(ev)
    }

    pub(crate) fn truncated(&self, inside: &str) -> Error {
        self.cut.set(true);
        self.syntax(format!(
            "the file ends inside <{inside}>: it is truncated or not well-formed"
        ))
    }

    /// Reads past the end of the element just started.
    pub(crate) fn skip_subtree(&mut self) -> Result<()> {
        let depth = self.depth;
        while self.depth >= depth {
            if let Ev::Eof = self.next_event()? {
                return Err(self.truncated("an element"));
            }
        }
        Ok(())
    }

    /// The root element, read past the prolog, comments and white space, and whether it
    /// is empty (`<root/>`). Another root than `<name>` is an error (the file is not
    /// `what`: "a TMX file"), as are text before it, an end tag (`end_tag` words that
    /// error, each format its own way) or no element at all.
    pub(crate) fn root_element(
        &mut self,
        name: &str,
        what: &str,
        end_tag: &str,
    ) -> Result<(Elem, bool)> {
        loop {
            match self.next_event()? {
                Ev::Prolog | Ev::Other(_) => {}
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) => {
                    return Err(self.syntax("text before the root element: not an XML file"))
                }
                Ev::Start(root) | Ev::Empty(root) if root.local() != name => {
                    return Err(self.syntax(format!(
                        "not {what}: the root element is <{}>, not <{name}>",
                        root.name()
                    )))
                }
                Ev::Start(root) => return Ok((root, false)),
                Ev::Empty(root) => return Ok((root, true)),
                Ev::End(_) => return Err(self.syntax(end_tag)),
                Ev::Eof => return Err(self.syntax("no root element: not an XML document")),
            }
        }
    }

    /// After the root's content: the rest must be well-formed up to the end (`root`:
    /// the root element's name, for messages).
    pub(crate) fn finish_document(&mut self, root: &str) -> Result<()> {
        loop {
            match self.next_event()? {
                Ev::Eof => {
                    if self.depth > 0 {
                        return Err(self.truncated(root));
                    }
                    return Ok(());
                }
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) | Ev::Ref(_) | Ev::CData(_) if self.depth == 0 => {
                    return Err(self.syntax("text after the root element"))
                }
                // (A start tag has already been counted in the depth.)
                Ev::Start(_) if self.depth == 1 => {
                    return Err(self.syntax(format!("a second root element after </{root}>")))
                }
                Ev::Empty(_) if self.depth == 0 => {
                    return Err(self.syntax(format!("a second root element after </{root}>")))
                }
                _ => {}
            }
        }
    }

    /// The text content of the element just started (references resolved, line ends
    /// normalised); nested elements contribute their text.
    pub(crate) fn read_text(&mut self, inside: &str) -> Result<String> {
        let check = !self.check_attributes;
        self.read_text_within(inside, usize::MAX, |xml, ev| match ev {
            Ev::Start(e) if check => e.try_attributes().map(drop).map_err(|m| xml.syntax(m)),
            _ => Ok(()),
        })
    }

    /// The text content of the element just started, as [`XmlEvents::read_text`]
    /// reads it, up to `max` bytes (more is an error); each nested element's start
    /// ([`Ev::Start`] or [`Ev::Empty`]) is shown to `nested` first, which may refuse
    /// it.
    pub(crate) fn read_text_within(
        &mut self,
        inside: &str,
        max: usize,
        mut nested: impl FnMut(&XmlEvents, &Ev) -> Result<()>,
    ) -> Result<String> {
        let depth = self.depth;
        let mut text = String::new();
        loop {
            match self.next_event()? {
                Ev::Text(t) | Ev::CData(t) => normalize_eol(&t, &mut text),
                Ev::Ref(r) => text.push(resolve_reference(&r).map_err(|m| self.syntax(m))?),
                ev @ (Ev::Start(_) | Ev::Empty(_)) => nested(self, &ev)?,
                Ev::End(_) if self.depth < depth => return Ok(text),
                Ev::Eof => return Err(self.truncated(inside)),
                _ => {}
            }
            if text.len() > max {
                return Err(self.syntax(format!("a <{inside}> longer than {} MB", max >> 20)));
            }
        }
    }
}
