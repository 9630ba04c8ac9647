//! XLIFF inline codes turned into the memory's inline markup: TMX 1.4 elements, so a
//! segment read from XLIFF holds the same kinds of tags as one read from TMX and
//! [`crate::formats::tmx::inline::tag_difference`] counts them the same way.
//!
//! | XLIFF 1.2 | XLIFF 2.x | memory (TMX) |
//! |---|---|---|
//! | `<g>…</g>` | `<pc>…</pc>` | `<bpt i>`…`<ept i>`, the XLIFF tags escaped inside |
//! | `<bx/>`…`<ex/>` in one segment | `<sc/>`…`<ec/>` in one segment | `<bpt i>`…`<ept i>` |
//! | `<bx/>` or `<ex/>` alone | `<sc/>`, `<ec/>` alone or `isolated="yes"` | `<it pos="begin"\|"end">` |
//! | `<x/>` | `<ph/>`, `<cp/>` | `<ph>` |
//! | `<bpt>`, `<ept>`, `<it>`, `<ph>` (native code inside) | — | the same TMX element, native code kept |
//! | `<mrk>…</mrk>` | `<mrk>…</mrk>` | `<hi type>`…`</hi>` |
//! | — | `<sm/>`, `<em/>` | left out (an annotation's ends; its text stays) |
//! | `<sub>` in a code | — | `<sub>` |
//!
//! Codes without native data (`g`, `x`, `bx`, `ex`; 2.x `pc`, `sc`, `ec`, `ph`) keep
//! their XLIFF tag as written, escaped, as the content of the TMX code, so nothing of
//! them is lost and a writer can put them back. Elements of other namespaces stay as
//! they are (foreign elements, as in TMX). Comments and processing instructions are
//! dropped. Outside `xml:space="preserve"` runs of white space in the text collapse
//! to one space and the segment's ends are trimmed, as XLIFF allows a reader to do.

use std::collections::HashMap;

use crate::formats::tmx::inline::{escape_attr, escape_text, plain_text};

/// XLIFF's version family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// XLIFF 1.0, 1.1 or 1.2.
    V1,
    /// XLIFF 2.0 or 2.1.
    V2,
}

pub(crate) use crate::formats::xml::Elem;

/// A piece of a segment's content as read.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Character data, references resolved, line ends normalised.
    Text(String),
    Start(Elem),
    /// An end tag, with the name as written.
    End(String),
    Empty(Elem),
    /// A comment or processing instruction.
    Other,
}

/// A segment's text: plain, and as the memory's inline markup when it has tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    /// The plain text (code content left out), as TMX's
    /// [`plain_text`](crate::formats::tmx::inline::plain_text) makes it.
    pub text: String,
    /// TMX inline markup, when the segment holds codes or annotations.
    pub markup: Option<String>,
}

impl Content {
    /// No text and no codes.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.markup.is_none()
    }
}

/// What a code element does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Paired tags around text: 1.2 `g`, 2.x `pc`.
    Paired,
    /// The start of a pair given as two empty elements: 1.2 `bx`, 2.x `sc`.
    Begin,
    /// Its end: 1.2 `ex`, 2.x `ec`.
    End,
    /// A standalone code without native data: 1.2 `x`, 2.x `ph` and `cp`.
    Standalone,
    /// 1.2 native codes: `bpt`, `ept`, `ph`, `it` (their content is native code).
    NativeBpt,
    NativeEpt,
    NativePh,
    NativeIt,
    /// An annotation around text: `mrk`.
    Annotation,
    /// An annotation's start or end marker: 2.x `sm`, `em`.
    Marker,
    /// `sub` inside a native code.
    Sub,
    /// Anything else: kept as a foreign element.
    Foreign,
}

fn role(elem: &Elem, version: Version) -> Role {
    if !elem.ours {
        return Role::Foreign;
    }
    match (version, elem.local()) {
        (Version::V1, "g") | (Version::V2, "pc") => Role::Paired,
        (Version::V1, "bx") | (Version::V2, "sc") => Role::Begin,
        (Version::V1, "ex") | (Version::V2, "ec") => Role::End,
        (Version::V1, "x") | (Version::V2, "ph" | "cp") => Role::Standalone,
        (Version::V1, "bpt") => Role::NativeBpt,
        (Version::V1, "ept") => Role::NativeEpt,
        (Version::V1, "ph") => Role::NativePh,
        (Version::V1, "it") => Role::NativeIt,
        (_, "mrk") => Role::Annotation,
        (Version::V2, "sm" | "em") => Role::Marker,
        (Version::V1, "sub") => Role::Sub,
        _ => Role::Foreign,
    }
}

/// The key that pairs a begin with its end, and which family it belongs to.
fn pair_key(elem: &Elem, role: Role, version: Version) -> Option<(u8, bool, String)> {
    let attrs = elem.attributes();
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let isolated = get("isolated").as_deref() == Some("yes");
    match (version, role) {
        (Version::V1, Role::Begin | Role::End) => {
            Some((0, role == Role::Begin, get("rid").or(get("id"))?))
        }
        (Version::V1, Role::NativeBpt) => Some((1, true, get("rid").or(get("id"))?)),
        (Version::V1, Role::NativeEpt) => Some((1, false, get("rid").or(get("id"))?)),
        (Version::V2, Role::Begin) if !isolated => Some((0, true, get("id")?)),
        (Version::V2, Role::End) if !isolated => Some((0, false, get("startRef")?)),
        _ => None,
    }
}

/// Pairs begins with their ends inside the segment: node index → TMX `i`.
fn pair_up(nodes: &[Node], version: Version) -> (HashMap<usize, u32>, u32) {
    let mut open: HashMap<(u8, String), Vec<usize>> = HashMap::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (k, node) in nodes.iter().enumerate() {
        let (Node::Start(e) | Node::Empty(e)) = node else {
            continue;
        };
        let Some((family, begin, key)) = pair_key(e, role(e, version), version) else {
            continue;
        };
        if begin {
            open.entry((family, key)).or_default().push(k);
        } else if let Some(start) = open.get_mut(&(family, key)).and_then(|v| v.pop()) {
            pairs.push((start, k));
        }
    }
    pairs.sort_unstable();
    let mut map = HashMap::new();
    let mut i = 0;
    for (a, b) in pairs {
        i += 1;
        map.insert(a, i);
        map.insert(b, i);
    }
    (map, i)
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Collapses white space in text outside native codes and trims the segment's ends.
fn normalize_space(nodes: &mut [Node], version: Version) {
    let mut code_depth = 0usize;
    let mut stack: Vec<bool> = Vec::new();
    for node in nodes.iter_mut() {
        match node {
            Node::Start(e) => {
                let code = matches!(
                    role(e, version),
                    Role::NativeBpt | Role::NativeEpt | Role::NativePh | Role::NativeIt
                );
                code_depth += code as usize;
                stack.push(code);
            }
            Node::End(_) if stack.pop() == Some(true) => code_depth -= 1,
            Node::Text(t) if code_depth == 0 => {
                let mut out = String::with_capacity(t.len());
                let mut space = false;
                for c in t.chars() {
                    if is_xml_space(c) {
                        space = true;
                    } else {
                        if space {
                            out.push(' ');
                        }
                        space = false;
                        out.push(c);
                    }
                }
                if space {
                    out.push(' ');
                }
                *t = out;
            }
            _ => {}
        }
    }
    // Adjacent text pieces (split by a reference or a dropped comment) may now meet
    // with a space each: collapse again across them, then trim the ends.
    let mut last_space = true;
    for node in nodes.iter_mut() {
        match node {
            Node::Text(t) => {
                if last_space && t.starts_with(' ') {
                    t.remove(0);
                }
                if !t.is_empty() {
                    last_space = t.ends_with(' ');
                }
            }
            Node::Other => {}
            _ => last_space = false,
        }
    }
    for node in nodes.iter_mut().rev() {
        match node {
            Node::Text(t) => {
                let trimmed = t.trim_end_matches(' ').len();
                t.truncate(trimmed);
                if !t.is_empty() {
                    break;
                }
            }
            Node::Other => {}
            _ => break,
        }
    }
}

/// How an element's start was written, to close it the same way.
enum Close {
    /// `<ept i=N>` holding the escaped end tag.
    Ept(u32),
    /// A TMX element's end tag (`bpt`, `ph`, `hi`, `sub`…) or a foreign one.
    Tag(String),
    /// An element written as escaped text inside a native code.
    Escaped(String),
    /// A code without native data written with content (`<x>…</x>`): its escaped end
    /// tag, then the TMX element's end tag.
    EscapedIn(String, &'static str),
    /// Nothing (the start wrote nothing either).
    Nothing,
}

fn escaped_tag(raw: &str, empty: bool, out: &mut String) {
    out.push_str("&lt;");
    escape_text(raw, out);
    out.push_str(if empty { "/&gt;" } else { "&gt;" });
}

/// Writes an XLIFF tag (escaped) as the content of the TMX code `tmx` just opened;
/// closes the code unless the XLIFF element has content to come.
fn code_holding(elem: &Elem, empty: bool, tmx: &'static str, out: &mut String) -> Close {
    escaped_tag(&elem.raw, empty, out);
    if empty {
        out.push_str("</");
        out.push_str(tmx);
        out.push('>');
        Close::Nothing
    } else {
        Close::EscapedIn(elem.name().to_string(), tmx)
    }
}

fn type_attr(elem: &Elem, version: Version, out: &mut String) {
    let kind = match version {
        Version::V1 => elem.attr("ctype"),
        Version::V2 => elem.attr("type"),
    };
    if let Some(kind) = kind.filter(|k| !k.is_empty()) {
        out.push_str(" type=\"");
        escape_attr(&kind, out);
        out.push('"');
    }
}

/// The 1.2 `id` of a code as TMX's `x` (an integer there), when it is one.
fn x_attr(elem: &Elem, out: &mut String) {
    if let Some(id) = elem.attr("id") {
        if !id.is_empty() && id.len() < 10 && id.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(" x=\"");
            out.push_str(&id);
            out.push('"');
        }
    }
}

/// What rendering met that has no place in the markup, by name, for the read report.
pub(crate) type Dropped = Vec<&'static str>;

/// Turns a segment's content into plain text and TMX inline markup.
pub(crate) fn render(
    mut nodes: Vec<Node>,
    version: Version,
    preserve: bool,
    dropped: &mut Dropped,
) -> Content {
    if !preserve {
        normalize_space(&mut nodes, version);
    }
    let has_tags = nodes
        .iter()
        .any(|n| matches!(n, Node::Start(_) | Node::Empty(_) | Node::Other));
    if !has_tags {
        let mut text = String::new();
        for node in &nodes {
            if let Node::Text(t) = node {
                text.push_str(t);
            }
        }
        return Content { text, markup: None };
    }
    let (pairs, mut next_i) = pair_up(&nodes, version);
    let mut out = String::new();
    let mut stack: Vec<Close> = Vec::new();
    // Whether each open element holds native code (text written as is, elements
    // other than `sub` escaped).
    let mut code: Vec<bool> = Vec::new();
    let mut tags = false;
    for (k, node) in nodes.iter().enumerate() {
        let in_code = code.last() == Some(&true);
        match node {
            Node::Text(t) => escape_text(t, &mut out),
            Node::Other => dropped.push("comment or processing instruction in a segment"),
            Node::End(_) => {
                code.pop();
                match stack.pop() {
                    Some(Close::Ept(i)) => {
                        out.push_str(&format!("<ept i=\"{i}\">"));
                        if let Some(Node::End(name)) = nodes.get(k) {
                            out.push_str("&lt;/");
                            escape_text(name, &mut out);
                            out.push_str("&gt;");
                        }
                        out.push_str("</ept>");
                    }
                    Some(Close::Tag(name)) => {
                        out.push_str("</");
                        out.push_str(&name);
                        out.push('>');
                    }
                    Some(Close::Escaped(name)) => {
                        out.push_str("&lt;/");
                        escape_text(&name, &mut out);
                        out.push_str("&gt;");
                    }
                    Some(Close::EscapedIn(name, tmx)) => {
                        out.push_str("&lt;/");
                        escape_text(&name, &mut out);
                        out.push_str("&gt;</");
                        out.push_str(tmx);
                        out.push('>');
                    }
                    Some(Close::Nothing) | None => {}
                }
            }
            Node::Start(e) | Node::Empty(e) => {
                let empty = matches!(node, Node::Empty(_));
                let role = role(e, version);
                if in_code && role != Role::Sub {
                    escaped_tag(&e.raw, empty, &mut out);
                    if !empty {
                        stack.push(Close::Escaped(e.name().to_string()));
                        code.push(true);
                    }
                    continue;
                }
                tags = true;
                let (close, native) = match role {
                    Role::Paired if !empty => {
                        next_i += 1;
                        out.push_str(&format!("<bpt i=\"{next_i}\""));
                        type_attr(e, version, &mut out);
                        out.push('>');
                        escaped_tag(&e.raw, false, &mut out);
                        out.push_str("</bpt>");
                        (Close::Ept(next_i), false)
                    }
                    Role::Begin | Role::End if pairs.contains_key(&k) => {
                        let i = pairs[&k];
                        let name = if role == Role::Begin { "bpt" } else { "ept" };
                        out.push_str(&format!("<{name} i=\"{i}\""));
                        if role == Role::Begin {
                            type_attr(e, version, &mut out);
                        }
                        out.push('>');
                        (code_holding(e, empty, name, &mut out), true)
                    }
                    Role::Begin | Role::End => {
                        let pos = if role == Role::Begin { "begin" } else { "end" };
                        out.push_str(&format!("<it pos=\"{pos}\""));
                        type_attr(e, version, &mut out);
                        out.push('>');
                        (code_holding(e, empty, "it", &mut out), true)
                    }
                    Role::Paired | Role::Standalone => {
                        out.push_str("<ph");
                        type_attr(e, version, &mut out);
                        out.push('>');
                        (code_holding(e, empty, "ph", &mut out), true)
                    }
                    Role::NativeBpt | Role::NativeEpt | Role::NativeIt
                        if pairs.contains_key(&k) || role == Role::NativeIt =>
                    {
                        let name = match role {
                            Role::NativeBpt => "bpt",
                            Role::NativeEpt => "ept",
                            _ => "it",
                        };
                        out.push('<');
                        out.push_str(name);
                        match role {
                            Role::NativeIt => {
                                let pos = match e.attr("pos").as_deref() {
                                    Some("close") => "end",
                                    _ => "begin",
                                };
                                out.push_str(&format!(" pos=\"{pos}\""));
                                x_attr(e, &mut out);
                            }
                            _ => {
                                out.push_str(&format!(" i=\"{}\"", pairs[&k]));
                                if role == Role::NativeBpt {
                                    x_attr(e, &mut out);
                                }
                            }
                        }
                        if role != Role::NativeEpt {
                            type_attr(e, version, &mut out);
                        }
                        if empty {
                            out.push_str("/>");
                        } else {
                            out.push('>');
                        }
                        (Close::Tag(name.to_string()), true)
                    }
                    Role::NativeBpt | Role::NativeEpt | Role::NativeIt => {
                        // Its partner is in another segment: isolated, as TMX says it.
                        let pos = if role == Role::NativeBpt {
                            "begin"
                        } else {
                            "end"
                        };
                        out.push_str(&format!("<it pos=\"{pos}\""));
                        x_attr(e, &mut out);
                        type_attr(e, version, &mut out);
                        out.push_str(if empty { "/>" } else { ">" });
                        (Close::Tag("it".to_string()), true)
                    }
                    Role::NativePh => {
                        out.push_str("<ph");
                        x_attr(e, &mut out);
                        type_attr(e, version, &mut out);
                        out.push_str(if empty { "/>" } else { ">" });
                        (Close::Tag("ph".to_string()), true)
                    }
                    Role::Annotation => {
                        let kind = match version {
                            Version::V1 => e.attr("mtype"),
                            Version::V2 => e.attr("type"),
                        };
                        if empty {
                            (Close::Nothing, false)
                        } else {
                            out.push_str("<hi");
                            if let Some(kind) = kind.filter(|k| !k.is_empty()) {
                                out.push_str(" type=\"");
                                escape_attr(&kind, &mut out);
                                out.push('"');
                            }
                            out.push('>');
                            (Close::Tag("hi".to_string()), false)
                        }
                    }
                    Role::Marker => {
                        dropped.push("annotation marker <sm>/<em> (its text is kept)");
                        (Close::Nothing, false)
                    }
                    Role::Sub => {
                        out.push_str(if empty { "<sub/>" } else { "<sub>" });
                        (Close::Tag("sub".to_string()), false)
                    }
                    Role::Foreign => {
                        out.push('<');
                        out.push_str(&e.raw);
                        out.push_str(if empty { "/>" } else { ">" });
                        (Close::Tag(e.name().to_string()), false)
                    }
                };
                if !empty {
                    stack.push(close);
                    code.push(native);
                }
            }
        }
    }
    if !tags {
        // Only comments or processing instructions: plain text.
        let text = plain_text(&out).unwrap_or_default();
        return Content { text, markup: None };
    }
    // The markup is well-formed by construction; the plain text is what TMX makes of it.
    let text = plain_text(&out).unwrap_or_default();
    Content {
        text,
        markup: Some(out),
    }
}
