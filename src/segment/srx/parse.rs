//! The SRX parser: reads the XML (any encoding an XML declaration names), checks that
//! each element is where SRX puts it, and compiles the patterns, keeping every one
//! that does not compile as a [`RuleProblem`] with its rule and location.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::model::{Doc, LanguageMap, LanguageRule, Rule};
use super::{RuleProblem, SrxHeader};
use crate::error::{Error, Location, Result};
use crate::segment::regex::{Anchor, Regex};

/// The SRX namespaces (`http://www.lisa.org/srx20`, and 1.0's `…/srx`).
const SRX_NAMESPACE: &str = "http://www.lisa.org/srx";

/// Elements nested deeper than this are refused (SRX needs six levels).
const MAX_DEPTH: usize = 256;

/// Text of an SRX file: UTF-8 (BOM or not), UTF-16, or the encoding the XML
/// declaration names, as [`text::input`](crate::text::input) reads any XML. Its
/// warning (a byte-order mark that contradicts the declaration, which the mark wins)
/// is not passed on: the rules either parse as SRX or are refused.
pub(super) fn decode(bytes: &[u8]) -> Result<String> {
    crate::text::input::decode_xml_all(bytes.to_vec(), None).map(|(text, _)| text)
}

/// Turns byte offsets into 1-based line and column numbers, moving forward.
struct Lines<'t> {
    text: &'t str,
    pos: usize,
    line: u64,
    line_start: usize,
}

impl<'t> Lines<'t> {
    fn locate(&mut self, pos: usize) -> (u64, u64) {
        let pos = pos.min(self.text.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
            self.line_start = 0;
        }
        let bytes = self.text.as_bytes();
        for p in memchr::memchr_iter(b'\n', &bytes[self.pos..pos]) {
            self.line += 1;
            self.line_start = self.pos + p + 1;
        }
        self.pos = pos;
        let mut start = pos;
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let column = self.text[self.line_start..start].chars().count() as u64 + 1;
        (self.line, column)
    }
}

/// Where the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Srx,
    Header,
    Body,
    LanguageRules,
    LanguageRule,
    Rule,
    Before,
    After,
    MapRules,
    MapRule,
    /// Elements we do not interpret (foreign namespaces, header extensions).
    Ignored,
}

/// A pattern read from the file, before compiling.
struct PatternText {
    text: String,
    location: Location,
}

pub(super) struct Parser<'t> {
    xml: NsReader<&'t [u8]>,
    lines: Lines<'t>,
    origin: Option<PathBuf>,
    stack: Vec<Ctx>,
    version: String,
    header: SrxHeader,
    language_rules: Vec<LanguageRule>,
    /// (pattern, language rule name, location) in file order.
    maps: Vec<(PatternText, String, Location)>,
    /// Which maprule's languagemaps are used (SRX 1.0 may have several).
    maprule_count: usize,
    problems: Vec<RuleProblem>,
    // The rule being read.
    rule_is_break: bool,
    rule_location: Location,
    before: Option<PatternText>,
    after: Option<PatternText>,
    text: String,
    text_location: Location,
    compiled: HashMap<(String, bool), Arc<Regex>>,
    patterns: usize,
    backtracking: usize,
}

type Attrs = Vec<(String, String)>;

impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str, origin: Option<&Path>) -> Parser<'t> {
        let mut xml = NsReader::from_reader(text.as_bytes());
        let config = xml.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Parser {
            xml,
            lines: Lines {
                text,
                pos: 0,
                line: 1,
                line_start: 0,
            },
            origin: origin.map(Path::to_path_buf),
            stack: Vec::new(),
            version: String::new(),
            header: SrxHeader::default(),
            language_rules: Vec::new(),
            maps: Vec::new(),
            maprule_count: 0,
            problems: Vec::new(),
            rule_is_break: true,
            rule_location: Location::default(),
            before: None,
            after: None,
            text: String::new(),
            text_location: Location::default(),
            compiled: HashMap::new(),
            patterns: 0,
            backtracking: 0,
        }
    }

    fn location(&mut self, pos: u64) -> Location {
        let (line, column) = self.lines.locate(pos as usize);
        Location {
            path: self.origin.clone(),
            line: Some(line),
            column: Some(column),
            unit: None,
        }
    }

    pub(super) fn parse(mut self) -> Result<(Doc, Vec<RuleProblem>)> {
        let mut seen_root = false;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let start = self.xml.buffer_position();
            let (ns, event) = match self.xml.read_resolved_event_into(&mut buf) {
                Ok((ns, event)) => (namespace_kind(&ns), event.into_owned()),
                Err(e) => {
                    let at = self.xml.error_position();
                    let location = self.location(at);
                    return Err(Error::syntax(format!("malformed XML: {e}"), location));
                }
            };
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(e) | Event::Empty(e) if self.stack.is_empty() => {
                    if seen_root {
                        let location = self.location(start);
                        return Err(Error::syntax("more than one root element", location));
                    }
                    seen_root = true;
                    let location = self.location(start);
                    self.open_root(&e, ns, &location, empty)?;
                }
                Event::Start(e) => {
                    let location = self.location(start);
                    let ctx = self.open(&e, ns, &location)?;
                    self.stack.push(ctx);
                    if self.stack.len() > MAX_DEPTH {
                        return Err(Error::syntax(
                            format!("elements nested more than {MAX_DEPTH} deep"),
                            location,
                        ));
                    }
                }
                Event::Empty(e) => {
                    let location = self.location(start);
                    let ctx = self.open(&e, ns, &location)?;
                    self.stack.push(ctx);
                    self.close()?;
                }
                Event::End(_) => {
                    self.close()?;
                }
                Event::Text(t) => {
                    if self.in_pattern() {
                        self.text.push_str(&t.xml10_content());
                    }
                }
                Event::CData(c) => {
                    if self.in_pattern() {
                        self.text.push_str(&c.xml10_content());
                    }
                }
                Event::GeneralRef(r) => self.reference(&r, start)?,
                Event::Eof => {
                    if !self.stack.is_empty() {
                        let location = self.location(start);
                        return Err(Error::syntax(
                            "the file ends inside an element: it is truncated or not well-formed",
                            location,
                        ));
                    }
                    if !seen_root {
                        let location = self.location(start);
                        return Err(Error::syntax("no <srx> element: not an SRX file", location));
                    }
                    break;
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
            }
        }
        self.finish()
    }

    /// The root element: `<srx>` and its version.
    fn open_root(
        &mut self,
        e: &BytesStart<'_>,
        ns: Ns,
        location: &Location,
        empty: bool,
    ) -> Result<()> {
        if local_name(e) != "srx" || ns == Ns::Foreign {
            return Err(Error::syntax(
                format!(
                    "not an SRX file: the root element is <{}>, not <srx>",
                    e.name().as_ref()
                ),
                location.clone(),
            ));
        }
        let attrs = self.attributes(e, location)?;
        self.version = attr(&attrs, "version").unwrap_or("").to_string();
        if !empty {
            self.stack.push(Ctx::Srx);
        }
        Ok(())
    }

    /// A reference (at decoded offset `start`): a character reference or one of the
    /// XML entities, part of the pattern being read.
    fn reference(&mut self, r: &BytesRef<'_>, start: u64) -> Result<()> {
        let resolved = match r.resolve_char_ref() {
            Ok(Some(c)) => Some(c.to_string()),
            Ok(None) => quick_xml::escape::resolve_predefined_entity(r).map(str::to_string),
            Err(_) => None,
        };
        let Some(resolved) = resolved else {
            let location = self.location(start);
            return Err(Error::syntax(
                format!(
                    "unknown or invalid entity &{};: SRX files use only the XML entities and character references",
                    &**r
                ),
                location,
            ));
        };
        if self.in_pattern() {
            self.text.push_str(&resolved);
        }
        Ok(())
    }

    fn in_pattern(&self) -> bool {
        matches!(self.stack.last(), Some(Ctx::Before | Ctx::After))
    }

    fn attributes(&self, e: &BytesStart<'_>, location: &Location) -> Result<Attrs> {
        let mut out = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| {
                Error::syntax(format!("malformed XML attribute: {err}"), location.clone())
            })?;
            if a.key.prefix().is_some() {
                continue;
            }
            let name = a.key.local_name().as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| Error::syntax(format!("attribute {name}: {err}"), location.clone()))?
                .into_owned();
            out.push((name, value));
        }
        Ok(out)
    }

    /// An element opens in the current context: checks it belongs there and reads its
    /// attributes. Returns its context.
    fn open(&mut self, e: &BytesStart<'_>, ns: Ns, location: &Location) -> Result<Ctx> {
        let parent = *self.stack.last().unwrap_or(&Ctx::Srx);
        let name = local_name(e);
        let unexpected = |what: &str| {
            Error::syntax(format!("unexpected <{name}> in <{what}>"), location.clone())
        };
        if parent == Ctx::Ignored || ns == Ns::Foreign {
            return Ok(Ctx::Ignored);
        }
        let ctx = match (parent, name.as_str()) {
            (Ctx::Srx, "header") => {
                let attrs = self.attributes(e, location)?;
                self.header.segment_subflows = yes_no(&attrs, "segmentsubflows", true, location)?;
                self.header.cascade = yes_no(&attrs, "cascade", false, location)?;
                Ctx::Header
            }
            (Ctx::Srx, "body") => Ctx::Body,
            (Ctx::Srx, _) => Ctx::Ignored,
            (Ctx::Header, "formathandle") => {
                let attrs = self.attributes(e, location)?;
                let kind = attr(&attrs, "type").unwrap_or("").to_string();
                let default = kind == "end";
                let include = yes_no(&attrs, "include", default, location)?;
                self.header.format_handles.push((kind, include));
                Ctx::Ignored
            }
            (Ctx::Header, _) => Ctx::Ignored,
            (Ctx::Body, "languagerules") => Ctx::LanguageRules,
            (Ctx::Body, "maprules") => Ctx::MapRules,
            (Ctx::Body, _) => return Err(unexpected("body")),
            (Ctx::LanguageRules, "languagerule") => self.open_language_rule(e, location)?,
            (Ctx::LanguageRules, _) => return Err(unexpected("languagerules")),
            (Ctx::LanguageRule, "rule") => self.open_rule(e, location)?,
            (Ctx::LanguageRule, _) => return Err(unexpected("languagerule")),
            (Ctx::Rule, "beforebreak" | "afterbreak") => self.open_pattern(&name, location)?,
            (Ctx::Rule, _) => return Err(unexpected("rule")),
            (Ctx::Before | Ctx::After, _) => {
                return Err(Error::syntax(
                    format!("unexpected <{name}> inside a pattern (write < as &lt;)"),
                    location.clone(),
                ))
            }
            (Ctx::MapRules, "maprule") => {
                self.maprule_count += 1;
                Ctx::MapRule
            }
            (Ctx::MapRules | Ctx::MapRule, "languagemap") => {
                self.read_language_map(e, parent, location)?
            }
            (Ctx::MapRules, _) => return Err(unexpected("maprules")),
            (Ctx::MapRule, _) => return Err(unexpected("maprule")),
            (Ctx::Ignored, _) => Ctx::Ignored,
        };
        Ok(ctx)
    }

    /// `<languagerule>`: a new language rule, its name unique.
    fn open_language_rule(&mut self, e: &BytesStart<'_>, location: &Location) -> Result<Ctx> {
        let attrs = self.attributes(e, location)?;
        let Some(rule_name) = attr(&attrs, "languagerulename") else {
            return Err(Error::syntax(
                "<languagerule> without a languagerulename",
                location.clone(),
            ));
        };
        if self.language_rules.iter().any(|lr| lr.name == rule_name) {
            return Err(Error::syntax(
                format!("a second languagerule named \"{rule_name}\""),
                location.clone(),
            ));
        }
        self.language_rules.push(LanguageRule {
            name: rule_name.to_string(),
            rules: Vec::new(),
        });
        Ok(Ctx::LanguageRule)
    }

    /// `<rule>`: its break attribute; its patterns follow.
    fn open_rule(&mut self, e: &BytesStart<'_>, location: &Location) -> Result<Ctx> {
        let attrs = self.attributes(e, location)?;
        self.rule_is_break = yes_no(&attrs, "break", true, location)?;
        self.rule_location = location.clone();
        self.before = None;
        self.after = None;
        // Counted now so that problems report the rule's number as written.
        if let Some(lr) = self.language_rules.last_mut() {
            lr.rules.push(Rule {
                is_break: self.rule_is_break,
                ok: true,
                before: None,
                after: None,
            });
        }
        Ok(Ctx::Rule)
    }

    /// `<beforebreak>` or `<afterbreak>` (`name`): at most one of each a rule.
    fn open_pattern(&mut self, name: &str, location: &Location) -> Result<Ctx> {
        let is_before = name == "beforebreak";
        if (is_before && self.before.is_some()) || (!is_before && self.after.is_some()) {
            return Err(Error::syntax(
                format!("a second <{name}> in one <rule>"),
                location.clone(),
            ));
        }
        self.text.clear();
        self.text_location = location.clone();
        Ok(if is_before { Ctx::Before } else { Ctx::After })
    }

    /// `<languagemap>` (in `parent`): a language pattern and the language rule it names.
    fn read_language_map(
        &mut self,
        e: &BytesStart<'_>,
        parent: Ctx,
        location: &Location,
    ) -> Result<Ctx> {
        let attrs = self.attributes(e, location)?;
        if parent == Ctx::MapRule && self.maprule_count > 1 {
            // SRX 1.0: the first maprule is the one used.
            return Ok(Ctx::Ignored);
        }
        let (Some(pattern), Some(rule_name)) = (
            attr(&attrs, "languagepattern"),
            attr(&attrs, "languagerulename"),
        ) else {
            return Err(Error::syntax(
                "<languagemap> needs languagepattern and languagerulename",
                location.clone(),
            ));
        };
        self.maps.push((
            PatternText {
                text: pattern.to_string(),
                location: location.clone(),
            },
            rule_name.to_string(),
            location.clone(),
        ));
        Ok(Ctx::Ignored)
    }

    /// The current element closes.
    fn close(&mut self) -> Result<()> {
        match self.stack.pop() {
            Some(Ctx::Before) => {
                self.before = Some(PatternText {
                    text: std::mem::take(&mut self.text),
                    location: self.text_location.clone(),
                })
            }
            Some(Ctx::After) => {
                self.after = Some(PatternText {
                    text: std::mem::take(&mut self.text),
                    location: self.text_location.clone(),
                })
            }
            Some(Ctx::Rule) => self.finish_rule(),
            _ => {}
        }
        Ok(())
    }

    /// Compiles a pattern (shared between rules that use the same one).
    fn compile(&mut self, java: &str, anchor: Anchor) -> std::result::Result<Arc<Regex>, String> {
        let key = (java.to_string(), anchor == Anchor::End);
        if anchor != Anchor::Whole {
            if let Some(re) = self.compiled.get(&key) {
                self.patterns += 1;
                self.backtracking += usize::from(re.is_backtracking());
                return Ok(re.clone());
            }
        }
        let re = Arc::new(Regex::new(java, anchor)?);
        self.patterns += 1;
        self.backtracking += usize::from(re.is_backtracking());
        if anchor != Anchor::Whole {
            self.compiled.insert(key, re.clone());
        }
        Ok(re)
    }

    fn finish_rule(&mut self) {
        let Some(lr) = self.language_rules.last() else {
            return;
        };
        let lr_name = lr.name.clone();
        let number = lr.rules.len();
        let mut ok = true;
        let mut compiled = [None, None];
        let parts = [
            (self.before.take(), Anchor::End, "beforebreak"),
            (self.after.take(), Anchor::Start, "afterbreak"),
        ];
        for (slot, (pattern, anchor, part)) in compiled.iter_mut().zip(parts) {
            let Some(pattern) = pattern else { continue };
            if pattern.text.is_empty() {
                continue;
            }
            match self.compile(&pattern.text, anchor) {
                Ok(re) => *slot = Some(re),
                Err(message) => {
                    ok = false;
                    self.problems.push(RuleProblem {
                        location: pattern.location,
                        language_rule: Some(lr_name.clone()),
                        number,
                        part,
                        pattern: pattern.text,
                        message,
                    });
                }
            }
        }
        let [before, after] = compiled;
        if let Some(rule) = self
            .language_rules
            .last_mut()
            .and_then(|lr| lr.rules.last_mut())
        {
            rule.ok = ok;
            rule.before = before;
            rule.after = after;
        }
    }

    fn finish(mut self) -> Result<(Doc, Vec<RuleProblem>)> {
        let mut maps = Vec::new();
        let raw_maps = std::mem::take(&mut self.maps);
        for (number, (pattern, rule_name, location)) in raw_maps.into_iter().enumerate() {
            let Some(rule) = self
                .language_rules
                .iter()
                .position(|lr| lr.name == rule_name)
            else {
                self.problems.push(RuleProblem {
                    location,
                    language_rule: None,
                    number: number + 1,
                    part: "languagerulename",
                    pattern: rule_name.clone(),
                    message: format!("there is no languagerule named \"{rule_name}\""),
                });
                continue;
            };
            match self.compile(&pattern.text, Anchor::Whole) {
                Ok(re) => maps.push(LanguageMap { pattern: re, rule }),
                Err(message) => self.problems.push(RuleProblem {
                    location: pattern.location,
                    language_rule: None,
                    number: number + 1,
                    part: "languagepattern",
                    pattern: pattern.text,
                    message,
                }),
            }
        }
        // Drop the rules that did not compile (kept so far for their numbers).
        for lr in &mut self.language_rules {
            lr.rules.retain(|r| r.ok);
        }
        let mut problems = std::mem::take(&mut self.problems);
        problems.sort_by_key(|p| (p.location.line, p.location.column));
        Ok((
            Doc {
                version: self.version,
                header: self.header,
                language_rules: self.language_rules,
                maps,
                patterns: self.patterns,
                backtracking: self.backtracking,
            },
            problems,
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Srx,
    Foreign,
}

fn namespace_kind(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Unbound => Ns::Srx,
        ResolveResult::Bound(ns) if ns.0.starts_with(SRX_NAMESPACE) => Ns::Srx,
        _ => Ns::Foreign,
    }
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn yes_no(attrs: &Attrs, name: &str, default: bool, location: &Location) -> Result<bool> {
    match attr(attrs, name).map(str::trim) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("yes") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("no") => Ok(false),
        Some(v) => Err(Error::syntax(
            format!("{name}=\"{v}\": expected \"yes\" or \"no\""),
            location.clone(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::split;
    use super::super::{InvalidRules, SrxRules};

    #[test]
    fn invalid_patterns_are_listed_with_rule_and_line() {
        let text = r#"<srx version="2.0"><header/><body><languagerules>
<languagerule languagerulename="X">
<rule><beforebreak>ok\.</beforebreak></rule>
<rule><beforebreak>(unclosed</beforebreak></rule>
<rule break="no"><afterbreak>[z-a]</afterbreak></rule>
</languagerule></languagerules>
<maprules><languagemap languagepattern=".*" languagerulename="X"/></maprules></body></srx>"#;
        let err = SrxRules::from_str(text).unwrap_err().to_string();
        assert!(err.contains("2 rules do not compile"), "{err}");
        assert!(
            err.contains("line 4:7: languagerule \"X\", rule 2, beforebreak `(unclosed`"),
            "{err}"
        );
        assert!(
            err.contains("line 5:18: languagerule \"X\", rule 3, afterbreak `[z-a]`"),
            "{err}"
        );
        let (loaded, problems) =
            SrxRules::from_bytes(text.as_bytes(), None, InvalidRules::Skip).unwrap();
        assert_eq!(problems.len(), 2);
        assert_eq!(loaded.rule_count(), 1);
    }

    #[test]
    fn malformed_xml_names_line_and_column() {
        let err = SrxRules::from_str("<srx>\n<header>\n</body></srx>")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = SrxRules::from_str("<tmx version=\"1.4\"/>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an SRX file"), "{err}");
        let err = SrxRules::from_str("<srx><body><languagerules><languagerule languagerulename=\"a\"><rule break=\"maybe\"/>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected \"yes\" or \"no\""), "{err}");
    }

    #[test]
    fn entities_and_foreign_elements() {
        let text = r#"<srx xmlns="http://www.lisa.org/srx20" xmlns:o="urn:x"><header><o:options a="b"/></header><body><languagerules>
<languagerule languagerulename="A"><rule><beforebreak>&lt;br&gt;</beforebreak><afterbreak/></rule></languagerule>
</languagerules><maprules><languagemap languagepattern=".*" languagerulename="A"/></maprules></body></srx>"#;
        let r = SrxRules::from_str(text).unwrap();
        assert_eq!(split(&r, "en", "a<br>b"), ["a<br>", "b"]);
        assert!(SrxRules::from_str(&text.replace("&lt;br", "&foo;br")).is_err());
    }
}
