//! Inline markup inside `<seg>`: the plain text matching uses, the tags it holds,
//! and the rewrite that makes any kept markup valid TMX 1.4.
//!
//! [`crate::unit::Variant::markup`] keeps the content of `<seg>` exactly as the file
//! had it (XML, entities and all) whenever it holds more than text: an element, a
//! comment, a CDATA section or a processing instruction. [`plain_text`] derives
//! `Variant::text` from it by one rule: **the character data of the segment, minus
//! whatever is inside a code element** (`bpt`, `ept`, `it`, `ph`, `ut`, which hold the
//! native codes of the original format, `<sub>` flows inside them included). Tags
//! leave nothing behind: `Click <ph>&lt;img/&gt;</ph> here` is `Click  here`, `a<hi>b</hi>c`
//! is `abc`, and a foreign element (TEI, HTML…) keeps its text. Comments and
//! processing instructions are dropped; entities and character references are
//! resolved; line ends are normalised as XML does.
//!
//! Elements are recognised by name: `bpt ept it ph hi sub ut` without a namespace
//! prefix are TMX's, any other element is foreign.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, Location, Result};

/// The kind of an inline element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagKind {
    /// `<bpt>`: the beginning of a paired native code.
    Bpt,
    /// `<ept>`: the end of a paired native code.
    Ept,
    /// `<it>`: an isolated code whose partner is in another segment.
    It,
    /// `<ph>`: a standalone code (an image, a line break).
    Ph,
    /// `<hi>`: highlighted text (its content is text).
    Hi,
    /// `<sub>`: a sub-flow (such as the text of an ALT attribute) inside a code.
    Sub,
    /// `<ut>`: an unknown code (deprecated in TMX 1.4).
    Ut,
    /// Any element that is not TMX's (TEI, HTML, another namespace).
    Foreign,
}

impl TagKind {
    /// The kind of an element named `name` as written (with its prefix, if any).
    pub fn of(name: &str) -> TagKind {
        match name {
            "bpt" => TagKind::Bpt,
            "ept" => TagKind::Ept,
            "it" => TagKind::It,
            "ph" => TagKind::Ph,
            "hi" => TagKind::Hi,
            "sub" => TagKind::Sub,
            "ut" => TagKind::Ut,
            _ => TagKind::Foreign,
        }
    }

    /// True for the elements whose content is native code, not text.
    pub fn is_code(self) -> bool {
        matches!(
            self,
            TagKind::Bpt | TagKind::Ept | TagKind::It | TagKind::Ph | TagKind::Ut
        )
    }

    /// The TMX element name (`foreign` for foreign elements).
    pub fn name(self) -> &'static str {
        match self {
            TagKind::Bpt => "bpt",
            TagKind::Ept => "ept",
            TagKind::It => "it",
            TagKind::Ph => "ph",
            TagKind::Hi => "hi",
            TagKind::Sub => "sub",
            TagKind::Ut => "ut",
            TagKind::Foreign => "foreign",
        }
    }
}

/// An element found in inline markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Its kind.
    pub kind: TagKind,
    /// Its name as written (`bpt`, `tei:milestone`).
    pub name: String,
}

fn syntax(message: impl Into<String>) -> Error {
    Error::syntax(message, Location::default())
}

fn xml_error(err: quick_xml::Error) -> Error {
    syntax(format!("malformed inline markup: {err}"))
}

/// The character a reference (`amp`, `#x1F600`) stands for; an error for an entity
/// XML does not predefine (entities a DTD declares are never expanded) or a character
/// XML 1.0 does not allow.
pub(crate) fn resolve_reference(name: &str) -> std::result::Result<char, String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        }
        .map_err(|_| format!("invalid character reference &{name};"))?;
        let ch = char::from_u32(code)
            .filter(|&c| is_xml_char(c))
            .ok_or_else(|| {
                format!("character reference &{name}; is not a character XML 1.0 allows")
            })?;
        return Ok(ch);
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(format!(
            "undefined entity &{name}; (entities declared in a DTD are never expanded)"
        )),
    }
}

pub use crate::text::is_xml_char;

/// A leading U+FEFF is text in a segment, but quick-xml would drop it as a byte-order
/// mark: it is split off and handled by the callers. All of them are (fuzzing found
/// that splitting one let quick-xml drop the next).
fn split_leading_bom(markup: &str) -> (&str, &str) {
    let rest = markup.trim_start_matches('\u{FEFF}');
    (&markup[..markup.len() - rest.len()], rest)
}

fn new_reader(markup: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(markup.as_bytes());
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    reader
}

/// The plain text of a segment's inline markup (see the module documentation for
/// the rule).
pub fn plain_text(markup: &str) -> Result<String> {
    let (bom, markup) = split_leading_bom(markup);
    let mut reader = new_reader(markup);
    let mut text = String::with_capacity(markup.len() + bom.len());
    text.push_str(bom);
    let mut stack: Vec<bool> = Vec::new();
    let mut code_depth = 0usize;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) => {
                let code = TagKind::of(e.name().0).is_code();
                code_depth += code as usize;
                stack.push(code);
            }
            Event::End(_) if stack.pop() == Some(true) => code_depth -= 1,
            Event::Text(t) if code_depth == 0 => text.push_str(&t.xml10_content()),
            Event::CData(c) if code_depth == 0 => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                let ch = resolve_reference(&r).map_err(syntax)?;
                if code_depth == 0 {
                    text.push(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(syntax("malformed inline markup: an element is not closed"));
    }
    Ok(text)
}

/// The elements in a segment's inline markup, in order of their start tags. Matching
/// can compare these to charge a small penalty for a tag difference.
pub fn tags(markup: &str) -> Result<Vec<Tag>> {
    let mut reader = new_reader(split_leading_bom(markup).1);
    let mut tags = Vec::new();
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().0;
                tags.push(Tag {
                    kind: TagKind::of(name),
                    name: name.to_string(),
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(tags)
}

/// How many inline tags one segment has that the other lacks, for the small match
/// penalty a tag difference costs (the plain texts carry no trace of tags). A tag is
/// what a translator sees as one: a `bpt`/`ept` pair counts once (by its `bpt`), as
/// does each `it`, `ph`, `hi`, `ut` and foreign element; `sub` flows are part of their
/// code. Tags are compared by kind, regardless of order. `None` or text-only markup
/// has no tags; markup that is not well-formed counts as having none.
///
/// ```
/// use bitext::formats::tmx::inline::tag_difference;
/// let bold = r#"a <bpt i="1">&lt;b></bpt>b<ept i="1">&lt;/b></ept>"#;
/// assert_eq!(tag_difference(Some(bold), None), 1);
/// assert_eq!(tag_difference(Some(bold), Some(r#"<ph x="1"/>a b"#)), 2);
/// assert_eq!(tag_difference(Some(bold), Some(bold)), 0);
/// ```
pub fn tag_difference(a: Option<&str>, b: Option<&str>) -> usize {
    fn counts(markup: Option<&str>) -> [usize; 8] {
        let mut counts = [0; 8];
        if let Some(tags) = markup.and_then(|m| tags(m).ok()) {
            for tag in tags {
                if !matches!(tag.kind, TagKind::Ept | TagKind::Sub) {
                    counts[tag.kind as usize] += 1;
                }
            }
        }
        counts
    }
    let (a, b) = (counts(a), counts(b));
    a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y)).sum()
}

/// Escapes text for element content. `\r` becomes a reference so it survives XML's
/// line-end normalisation.
pub(crate) fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Escapes text for an attribute value in double quotes; tabs and line ends become
/// references so attribute-value normalisation keeps them.
pub(crate) fn escape_attr(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// The attributes the TMX 1.4 DTD declares for an inline element.
fn declared_attributes(kind: TagKind) -> &'static [&'static str] {
    match kind {
        TagKind::Bpt => &["i", "x", "type"],
        TagKind::Ept => &["i"],
        TagKind::It => &["pos", "x", "type"],
        TagKind::Ph => &["x", "assoc", "type"],
        TagKind::Hi => &["x", "type"],
        TagKind::Sub => &["datatype", "type"],
        TagKind::Ut => &["x"],
        TagKind::Foreign => &[],
    }
}

/// Where in the content models of the DTD an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// `seg`, `hi`, `sub`: text and the code elements and `hi` (no `sub`).
    Text,
    /// `bpt`, `ept`, `it`, `ph`, `ut`: text and `sub`.
    Code,
    /// Inside an element written out as text (native code).
    Escaped,
}

/// What became of an element's start tag, to close it the same way.
enum Closing {
    /// Written as is (or with fewer attributes): write its end tag.
    Tag(String),
    /// Foreign element turned into `<bpt i=N>`: close with `<ept i=N>`.
    Paired(u32),
    /// Written out as escaped text: write the end tag escaped.
    Escaped,
}

/// Rewrites inline markup so that it is valid against the TMX 1.4 DTD, changing as
/// little as possible; markup that is valid comes back unchanged (borrowed). The
/// rewrite keeps the plain text ([`plain_text`]) and every piece of the original:
///
/// * a foreign element (or a `<sub>` outside a code) where text is allowed becomes
///   a native code: `<ph type="x-NAME">` holding its XML as text if it is empty, else
///   `<bpt i="N" type="x-NAME">` with its start tag and `<ept i="N">` with its end tag
///   around its content (N above every `i` of the segment);
/// * any element inside a code element other than `<sub>` is written as text there
///   (it is native code);
/// * `<bpt>`/`<ept>` without `i` become `<it pos="begin">`/`<it pos="end">`, `<it>`
///   without a valid `pos` becomes `<ph>`;
/// * attributes the DTD does not declare for an element are dropped.
///
/// Each change is counted in `changes` by a short description.
pub fn sanitize<'m>(markup: &'m str, changes: &mut Vec<String>) -> Result<Cow<'m, str>> {
    // First pass: is anything to change, and which `i` values are taken?
    let (bom, rest) = split_leading_bom(markup);
    let mut max_i = 0u32;
    let mut needs_change = false;
    {
        let mut reader = new_reader(rest);
        let mut contexts = vec![Context::Text];
        loop {
            let event = reader.read_event().map_err(xml_error)?;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    for attr in e.attributes() {
                        let attr = attr.map_err(|e| xml_error(e.into()))?;
                        if attr.key.0 == "i" {
                            if let Ok(n) = attr.value.trim().parse::<u32>() {
                                max_i = max_i.max(n);
                            }
                        }
                    }
                    let ctx = *contexts.last().unwrap_or(&Context::Text);
                    let (valid, inner) = check_element(e, ctx)?;
                    needs_change |= !valid;
                    if matches!(event, Event::Start(_)) {
                        contexts.push(inner);
                    }
                }
                Event::End(_) => {
                    contexts.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if contexts.len() != 1 {
            return Err(syntax("malformed inline markup: an element is not closed"));
        }
    }
    if !needs_change {
        return Ok(Cow::Borrowed(markup));
    }

    let mut out = String::with_capacity(markup.len() + 64);
    out.push_str(bom);
    let mut reader = new_reader(rest);
    let mut contexts = vec![Context::Text];
    let mut closings: Vec<Closing> = Vec::new();
    let mut next_i = max_i + 1;
    loop {
        let event = reader.read_event().map_err(xml_error)?;
        let ctx = *contexts.last().unwrap_or(&Context::Text);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let raw = raw_tag(e, empty);
                let name = e.name().0.to_string();
                let kind = TagKind::of(&name);
                if ctx == Context::Escaped {
                    escape_text(&raw, &mut out);
                    if !empty {
                        contexts.push(Context::Escaped);
                        closings.push(Closing::Escaped);
                    }
                    continue;
                }
                let allowed = allowed_in(kind, ctx);
                if allowed {
                    let (tag_name, attrs) = valid_attributes(e, kind, changes)?;
                    out.push('<');
                    out.push_str(tag_name);
                    out.push_str(&attrs);
                    out.push_str(if empty { "/>" } else { ">" });
                    if !empty {
                        let inner = match TagKind::of(tag_name) {
                            k if k.is_code() => Context::Code,
                            _ => Context::Text,
                        };
                        contexts.push(inner);
                        closings.push(Closing::Tag(tag_name.to_string()));
                    }
                } else if ctx == Context::Text {
                    changes.push(format!("<{name}> became a native code"));
                    let type_attr = {
                        let mut s = String::new();
                        escape_attr(&format!("x-{name}"), &mut s);
                        s
                    };
                    if empty {
                        out.push_str(&format!("<ph type=\"{type_attr}\">"));
                        escape_text(&raw, &mut out);
                        out.push_str("</ph>");
                    } else {
                        let i = next_i;
                        next_i += 1;
                        out.push_str(&format!("<bpt i=\"{i}\" type=\"{type_attr}\">"));
                        escape_text(&raw, &mut out);
                        out.push_str("</bpt>");
                        contexts.push(Context::Text);
                        closings.push(Closing::Paired(i));
                    }
                } else {
                    changes.push(format!("<{name}> inside a code written as text"));
                    escape_text(&raw, &mut out);
                    if !empty {
                        contexts.push(Context::Escaped);
                        closings.push(Closing::Escaped);
                    }
                }
            }
            Event::End(ref e) => {
                contexts.pop();
                match closings.pop() {
                    Some(Closing::Tag(name)) => {
                        out.push_str("</");
                        out.push_str(&name);
                        out.push('>');
                    }
                    Some(Closing::Paired(i)) => {
                        out.push_str(&format!("<ept i=\"{i}\">"));
                        escape_text(&format!("</{}>", e.name().0), &mut out);
                        out.push_str("</ept>");
                    }
                    Some(Closing::Escaped) | None => {
                        escape_text(&format!("</{}>", e.name().0), &mut out);
                    }
                }
            }
            Event::Eof => break,
            other => {
                let raw = raw_event(&other);
                if ctx == Context::Escaped {
                    escape_text(&raw, &mut out);
                } else {
                    out.push_str(&raw);
                }
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Whether an element of `kind` may appear in `ctx`.
fn allowed_in(kind: TagKind, ctx: Context) -> bool {
    match ctx {
        Context::Text => matches!(
            kind,
            TagKind::Bpt | TagKind::Ept | TagKind::It | TagKind::Ph | TagKind::Hi | TagKind::Ut
        ),
        Context::Code => kind == TagKind::Sub,
        Context::Escaped => false,
    }
}

/// Whether the element is valid as it stands in `ctx`, and the context of its content.
fn check_element(e: &BytesStart<'_>, ctx: Context) -> Result<(bool, Context)> {
    let kind = TagKind::of(e.name().0);
    if ctx == Context::Escaped {
        return Ok((true, Context::Escaped));
    }
    if !allowed_in(kind, ctx) {
        let inner = if ctx == Context::Text {
            Context::Text
        } else {
            Context::Escaped
        };
        return Ok((false, inner));
    }
    let declared = declared_attributes(kind);
    let mut valid = true;
    let mut has_i = false;
    let mut pos_ok = false;
    for attr in e.attributes() {
        let attr = attr.map_err(|e| xml_error(e.into()))?;
        let key = attr.key.0;
        if !declared.contains(&key) {
            valid = false;
        }
        has_i |= key == "i";
        pos_ok |= key == "pos" && matches!(attr.value.trim(), "begin" | "end");
    }
    match kind {
        TagKind::Bpt | TagKind::Ept if !has_i => valid = false,
        TagKind::It if !pos_ok => valid = false,
        _ => {}
    }
    let inner = if kind.is_code() {
        Context::Code
    } else {
        Context::Text
    };
    Ok((valid, inner))
}

/// The element name and attribute text to write for an allowed element: attributes
/// the DTD lacks dropped, a missing required attribute handled by changing the element.
fn valid_attributes(
    e: &BytesStart<'_>,
    kind: TagKind,
    changes: &mut Vec<String>,
) -> Result<(&'static str, String)> {
    let mut has_i = false;
    let mut pos: Option<String> = None;
    for attr in e.attributes() {
        let attr = attr.map_err(|e| xml_error(e.into()))?;
        has_i |= attr.key.0 == "i";
        if attr.key.0 == "pos" {
            pos = Some(attr.value.trim().to_string());
        }
    }
    let pos_ok = matches!(pos.as_deref(), Some("begin" | "end"));
    let (target, extra): (TagKind, Option<(&str, &str)>) = match kind {
        TagKind::Bpt if !has_i => {
            changes.push("<bpt> without i became <it pos=\"begin\">".into());
            (TagKind::It, Some(("pos", "begin")))
        }
        TagKind::Ept if !has_i => {
            changes.push("<ept> without i became <it pos=\"end\">".into());
            (TagKind::It, Some(("pos", "end")))
        }
        TagKind::It if !pos_ok => {
            changes.push("<it> without a valid pos became <ph>".into());
            (TagKind::Ph, None)
        }
        k => (k, None),
    };
    let declared = declared_attributes(target);
    let mut attrs = String::new();
    if let Some((k, v)) = extra {
        attrs.push_str(&format!(" {k}=\"{v}\""));
    }
    for attr in e.attributes() {
        let attr = attr.map_err(|e| xml_error(e.into()))?;
        let key = attr.key.0;
        let replaced = extra.is_some_and(|(k, _)| k == key)
            // The invalid pos that turned <it> into <ph>.
            || (kind == TagKind::It && target == TagKind::Ph && key == "pos");
        if replaced {
            continue;
        }
        if !declared.contains(&key) {
            changes.push(format!("attribute {}@{key} dropped", kind.name()));
            continue;
        }
        // The raw value is already escaped XML; keep it, in double quotes.
        attrs.push(' ');
        attrs.push_str(key);
        attrs.push_str("=\"");
        attrs.push_str(&attr.value.replace('"', "&quot;"));
        attrs.push('"');
    }
    Ok((target.name(), attrs))
}

/// The start tag exactly as written.
fn raw_tag(e: &BytesStart<'_>, empty: bool) -> String {
    let inner: &str = e;
    if empty {
        format!("<{inner}/>")
    } else {
        format!("<{inner}>")
    }
}

/// An event other than a start or end tag exactly as written.
pub(crate) fn raw_event(event: &Event<'_>) -> String {
    match event {
        Event::Text(t) => t.to_string(),
        Event::CData(c) => format!("<![CDATA[{}]]>", &**c),
        Event::Comment(c) => format!("<!--{}-->", &**c),
        Event::PI(p) => format!("<?{}?>", &**p),
        Event::GeneralRef(r) => format!("&{};", &**r),
        Event::Decl(d) => format!("<?{}?>", &**d),
        Event::DocType(d) => format!("<!DOCTYPE {}>", &**d),
        Event::Start(e) => raw_tag(e, false),
        Event::Empty(e) => raw_tag(e, true),
        Event::End(e) => format!("</{}>", &**e),
        Event::Eof => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_codes_keeps_hi_and_foreign_text() {
        let markup = r#"<it x="1" pos="begin" type="italic">&lt;I></it><bpt x="2" i="1" type="bold">&lt;B></bpt>Click <ph x="3" type="image" assoc="b">&lt;IMG SRC="here.png" ALT="<sub>Start Here!</sub>"></ph> to <hi type="verb" x="4">start</hi>.<ept i="1">&lt;/B></ept>"#;
        assert_eq!(plain_text(markup).unwrap(), "Click  to start.");
        assert_eq!(
            plain_text("a <tei:note>b &amp; &#x1F600;</tei:note><!-- c --> d").unwrap(),
            "a b & 😀 d"
        );
        assert_eq!(plain_text("x<![CDATA[<y>]]>\r\nz").unwrap(), "x<y>\nz");
        assert!(plain_text("&nbsp;")
            .unwrap_err()
            .to_string()
            .contains("undefined entity"));
        assert!(plain_text("&#1;").is_err());
        assert!(plain_text("<b>x").is_err());
    }

    #[test]
    fn leading_zero_width_no_break_space_is_text() {
        // Found by fuzzing: quick-xml took a leading U+FEFF for a byte-order mark.
        let markup = "\u{FEFF}a<tei:x/>b";
        assert_eq!(plain_text(markup).unwrap(), "\u{FEFF}ab");
        let mut changes = Vec::new();
        let valid = sanitize(markup, &mut changes).unwrap();
        assert!(valid.starts_with("\u{FEFF}a<ph"), "{valid}");
        assert_eq!(plain_text(&valid).unwrap(), "\u{FEFF}ab");
        assert_eq!(tags(markup).unwrap().len(), 1);
        // And several: each one is text (found by fuzzing: the second was dropped).
        let markup = "\u{FEFF}\u{FEFF}\u{FEFF}F<V/>F<V/>";
        assert_eq!(plain_text(markup).unwrap(), "\u{FEFF}\u{FEFF}\u{FEFF}FF");
        let valid = sanitize(markup, &mut Vec::new()).unwrap();
        assert_eq!(plain_text(&valid).unwrap(), "\u{FEFF}\u{FEFF}\u{FEFF}FF");
    }

    #[test]
    fn tags_in_order() {
        let kinds: Vec<TagKind> = tags(r#"<bpt i="1">{</bpt>a<ept i="1">}</ept><tei:ref/>"#)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(kinds, [TagKind::Bpt, TagKind::Ept, TagKind::Foreign]);
    }

    #[test]
    fn valid_markup_is_unchanged() {
        let markup = r#"Le <bpt i = '3' type='ulined' x="3">&lt;u></bpt>chat<ept i="3">&lt;/u></ept> <ph x="3" type="image" assoc="b">&lt;IMG ALT="<sub>ici</sub>"></ph><hi x='1'>a<ph/></hi>"#;
        let mut changes = Vec::new();
        let out = sanitize(markup, &mut changes).unwrap();
        assert!(matches!(out, Cow::Borrowed(_)));
        assert!(changes.is_empty());
    }

    #[test]
    fn foreign_elements_become_native_codes() {
        let markup = "\n<tei:milestone xml:id=\"UT-19\"/>Homage <tei:note n=\"1\">to <b>the</b></tei:note> Jewels<bpt i=\"4\">{</bpt><ept i=\"4\">}</ept>";
        let mut changes = Vec::new();
        let out = sanitize(markup, &mut changes).unwrap();
        assert_eq!(
            out,
            "\n<ph type=\"x-tei:milestone\">&lt;tei:milestone xml:id=\"UT-19\"/&gt;</ph>Homage \
             <bpt i=\"5\" type=\"x-tei:note\">&lt;tei:note n=\"1\"&gt;</bpt>to \
             <bpt i=\"6\" type=\"x-b\">&lt;b&gt;</bpt>the<ept i=\"6\">&lt;/b&gt;</ept>\
             <ept i=\"5\">&lt;/tei:note&gt;</ept> Jewels<bpt i=\"4\">{</bpt><ept i=\"4\">}</ept>"
        );
        assert_eq!(plain_text(&out).unwrap(), plain_text(markup).unwrap());
        assert_eq!(changes.len(), 3);
        // Idempotent.
        let mut again = Vec::new();
        assert_eq!(sanitize(&out, &mut again).unwrap(), out);
        assert!(again.is_empty());
    }

    #[test]
    fn bad_attributes_and_nesting_are_fixed() {
        let mut changes = Vec::new();
        let out = sanitize(
            "<ph id='1'>&amp;lt;x</ph> <bpt>{</bpt><ept>}</ept><it>!</it><ph>a<b>c</b><sub>d</sub></ph>",
            &mut changes,
        )
        .unwrap();
        assert_eq!(
            out,
            "<ph>&amp;lt;x</ph> <it pos=\"begin\">{</it><it pos=\"end\">}</it><ph>!</ph>\
             <ph>a&lt;b&gt;c&lt;/b&gt;<sub>d</sub></ph>"
        );
        assert!(
            changes.contains(&"attribute ph@id dropped".to_string()),
            "{changes:?}"
        );
        assert_eq!(plain_text(&out).unwrap(), " ");
    }
}
