//! SRX 2.0 segmentation rules (Segmentation Rules eXchange, LISA/GALA), the format
//! CAT tools (OmegaT, Okapi, Trados, memoQ) and LanguageTool keep their sentence
//! rules in, as an alternative rule set for the [`Segmenter`](super::Segmenter).
//!
//! An SRX file holds named *language rules*, each an ordered list of rules
//! `<rule break="yes|no">` with a `beforebreak` and an `afterbreak` regular
//! expression, and *map rules* that say which language rules apply to a language
//! (`<languagemap languagepattern="EN.*" languagerulename="English"/>`). With
//! `cascade="no"` the first matching map decides; with `cascade="yes"` every matching
//! map adds its language rule, in map order.
//!
//! Semantics: at each position of a paragraph, the rules of the applicable language
//! rules are tried in order; the first whose `beforebreak` matches text ending there
//! and whose `afterbreak` matches text starting there decides: a break with
//! `break="yes"`, none with `break="no"` (so exceptions listed before a break rule
//! win). Where no rule matches there is no break. An empty or missing pattern
//! matches everywhere. Language patterns must match the whole language tag and
//! ignore case (BCP 47 tags are case-insensitive: OmegaT writes `EN.*`).
//!
//! The segmenter's guarantees hold: paragraphs (blank lines) always end sentences,
//! and sentences are whitespace-trimmed spans that cover every other character.
//! Rules see one paragraph at a time. The header's `segmentsubflows` and
//! `formathandle` concern inline markup; they are read and kept but plain text has
//! neither subflows nor format codes.
//!
//! Patterns are Java regular expressions (see `src/segment/regex.rs` for the
//! translation). A pattern that does not compile is never dropped silently:
//! [`SrxRules::load`] refuses the file and lists every such rule with its language
//! rule, number, line and pattern; [`SrxRules::load_skipping_invalid`] skips the
//! rules and returns the list for the caller to report.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::regex::{Anchor, Prefilter, Regex};
use crate::error::{Error, Location, Result};
use crate::text::{LangTag, Span};

/// The SRX namespaces (`http://www.lisa.org/srx20`, and 1.0's `…/srx`).
const SRX_NAMESPACE: &str = "http://www.lisa.org/srx";

/// Elements nested deeper than this are refused (SRX needs six levels).
const MAX_DEPTH: usize = 256;

/// What to do with rules whose patterns do not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidRules {
    /// Refuse the file, listing every invalid rule.
    Reject,
    /// Leave those rules out and return them as [`RuleProblem`]s.
    Skip,
}

/// A rule (or language map) left out because a pattern does not compile, or a map
/// naming a language rule that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where the pattern is: file, line and column of its element.
    pub location: Location,
    /// The language rule the rule belongs to (`None` for a language map).
    pub language_rule: Option<String>,
    /// The rule's 1-based number in its language rule (for a map, in the map rules).
    pub number: usize,
    /// `beforebreak`, `afterbreak`, `languagepattern` or `languagerulename`.
    pub part: &'static str,
    /// The pattern as written in the file.
    pub pattern: String,
    /// Why it was refused.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        match &self.language_rule {
            Some(name) => write!(f, "languagerule \"{name}\", rule {}", self.number)?,
            None => write!(f, "languagemap {}", self.number)?,
        }
        write!(f, ", {} `{}`: {}", self.part, self.pattern, self.message)
    }
}

/// The header of an SRX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrxHeader {
    /// `segmentsubflows`: whether text inside inline codes is segmented separately.
    pub segment_subflows: bool,
    /// `cascade`: whether every matching language map applies (or only the first).
    pub cascade: bool,
    /// `formathandle` elements: (type, include) for `start`, `end` and `isolated` codes.
    pub format_handles: Vec<(String, bool)>,
}

impl Default for SrxHeader {
    fn default() -> SrxHeader {
        SrxHeader {
            segment_subflows: true,
            cascade: false,
            format_handles: Vec::new(),
        }
    }
}

/// Counts for one language rule, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageRuleInfo {
    /// Its `languagerulename`.
    pub name: String,
    /// Rules with `break="yes"`.
    pub breaks: usize,
    /// Rules with `break="no"`.
    pub exceptions: usize,
}

/// One `<rule>`.
#[derive(Debug, Clone)]
struct Rule {
    is_break: bool,
    /// Its patterns compiled (rules that did not are removed after numbering).
    ok: bool,
    /// `None`: empty, matches everywhere.
    before: Option<Arc<Regex>>,
    after: Option<Arc<Regex>>,
}

#[derive(Debug)]
struct LanguageRule {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct LanguageMap {
    pattern: Arc<Regex>,
    /// Index into `Doc::language_rules`.
    rule: usize,
}

#[derive(Debug)]
struct Doc {
    version: String,
    header: SrxHeader,
    language_rules: Vec<LanguageRule>,
    maps: Vec<LanguageMap>,
    patterns: usize,
    backtracking: usize,
}

/// What a loaded SRX file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrxStats {
    /// Language rules.
    pub language_rules: usize,
    /// Language maps.
    pub language_maps: usize,
    /// Rules loaded (in all language rules).
    pub rules: usize,
    /// Non-empty patterns compiled: `beforebreak`, `afterbreak` and `languagepattern`.
    pub patterns: usize,
    /// Of these, the patterns that need the backtracking engine (look-around,
    /// back-references, atomic groups, possessive quantifiers).
    pub backtracking: usize,
}

/// A loaded SRX rule file. Cheap to clone; give it to
/// [`SegmenterBuilder::srx`](super::SegmenterBuilder::srx).
///
/// ```
/// use bitext::segment::{Segmenter, SrxRules};
/// use bitext::text::LangTag;
///
/// let srx = SrxRules::from_str(r#"<srx xmlns="http://www.lisa.org/srx20" version="2.0">
///   <header cascade="no"/>
///   <body>
///     <languagerules>
///       <languagerule languagerulename="Default">
///         <rule break="no"><beforebreak>\bDr\.</beforebreak><afterbreak>\s</afterbreak></rule>
///         <rule break="yes"><beforebreak>[.?!]+</beforebreak><afterbreak>\s</afterbreak></rule>
///       </languagerule>
///     </languagerules>
///     <maprules><languagemap languagepattern=".*" languagerulename="Default"/></maprules>
///   </body>
/// </srx>"#).unwrap();
/// let en = LangTag::parse("en").unwrap();
/// let segmenter = Segmenter::builder(&en).srx(srx).build();
/// let text = "Dr. Watson came. He sat down.";
/// let sentences: Vec<&str> = segmenter.segment(text).iter().map(|s| s.span.slice(text)).collect();
/// assert_eq!(sentences, ["Dr. Watson came.", "He sat down."]);
/// ```
#[derive(Debug, Clone)]
pub struct SrxRules(Arc<Doc>);

impl SrxRules {
    /// Loads an SRX file; refuses it if any pattern does not compile (the error lists
    /// every such rule).
    pub fn load(path: &Path) -> Result<SrxRules> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
        SrxRules::from_bytes(&bytes, Some(path), InvalidRules::Reject).map(|(rules, _)| rules)
    }

    /// Loads an SRX file, leaving out the rules whose patterns do not compile; returns
    /// them so the caller can report them.
    pub fn load_skipping_invalid(path: &Path) -> Result<(SrxRules, Vec<RuleProblem>)> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
        SrxRules::from_bytes(&bytes, Some(path), InvalidRules::Skip)
    }

    /// Reads SRX from text; refuses it if any pattern does not compile.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<SrxRules> {
        SrxRules::from_bytes(text.as_bytes(), None, InvalidRules::Reject).map(|(rules, _)| rules)
    }

    /// Reads SRX from bytes (UTF-8, UTF-16 with a byte-order mark, or the encoding the
    /// XML declaration names). `origin` names the file in errors.
    pub fn from_bytes(
        bytes: &[u8],
        origin: Option<&Path>,
        invalid: InvalidRules,
    ) -> Result<(SrxRules, Vec<RuleProblem>)> {
        let located = |e: Error| match origin {
            Some(p) => e.in_file(p),
            None => e,
        };
        let text = decode(bytes).map_err(located)?;
        let (doc, problems) = Parser::new(&text, origin).parse().map_err(located)?;
        if invalid == InvalidRules::Reject && !problems.is_empty() {
            let mut message = if problems.len() == 1 {
                "1 rule does not compile (nothing was loaded):".to_string()
            } else {
                format!(
                    "{} rules do not compile (nothing was loaded):",
                    problems.len()
                )
            };
            for p in &problems {
                message.push_str("\n  ");
                message.push_str(&p.to_string());
            }
            let location = origin.map(Location::file).unwrap_or_default();
            return Err(Error::syntax(message, location));
        }
        Ok((SrxRules(Arc::new(doc)), problems))
    }

    /// The header.
    pub fn header(&self) -> &SrxHeader {
        &self.0.header
    }

    /// The `version` attribute of the root element.
    pub fn version(&self) -> &str {
        &self.0.version
    }

    /// The language rules in file order, with their counts of rules as loaded.
    pub fn language_rules(&self) -> Vec<LanguageRuleInfo> {
        self.0
            .language_rules
            .iter()
            .map(|lr| LanguageRuleInfo {
                name: lr.name.clone(),
                breaks: lr.rules.iter().filter(|r| r.is_break).count(),
                exceptions: lr.rules.iter().filter(|r| !r.is_break).count(),
            })
            .collect()
    }

    /// Number of rules loaded (all language rules).
    pub fn rule_count(&self) -> usize {
        self.0.language_rules.iter().map(|lr| lr.rules.len()).sum()
    }

    /// Counts of what was loaded.
    pub fn stats(&self) -> SrxStats {
        SrxStats {
            language_rules: self.0.language_rules.len(),
            language_maps: self.0.maps.len(),
            rules: self.rule_count(),
            patterns: self.0.patterns,
            backtracking: self.0.backtracking,
        }
    }

    /// Names of the language rules that apply to `lang`, in the order they apply.
    pub fn rules_for(&self, lang: &LangTag) -> Vec<&str> {
        self.applicable(lang)
            .into_iter()
            .map(|i| self.0.language_rules[i].name.as_str())
            .collect()
    }

    fn applicable(&self, lang: &LangTag) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for map in &self.0.maps {
            if map.pattern.matches_whole(lang.as_str()) {
                if !out.contains(&map.rule) {
                    out.push(map.rule);
                }
                if !self.0.header.cascade {
                    break;
                }
            }
        }
        out
    }

    /// The rule engine for one language.
    pub(crate) fn engine(&self, lang: &LangTag) -> SrxEngine {
        let mut rules = Vec::new();
        for i in self.applicable(lang) {
            rules.extend(self.0.language_rules[i].rules.iter().cloned());
        }
        SrxEngine::new(lang.as_str(), self.rules_for(lang).join(", "), rules)
    }
}

/// The rules that apply to one language, ready to split paragraphs.
pub(crate) struct SrxEngine {
    lang: String,
    names: String,
    rules: Vec<Rule>,
    /// Indexes of the break rules.
    breaks: Vec<usize>,
    /// All `beforebreak` patterns at once, to rule out most rules at a position.
    prefilter: Option<Prefilter>,
    /// The rules the prefilter does not cover (always tried), in order.
    always: Vec<usize>,
}

/// Buffers reused from paragraph to paragraph.
#[derive(Default)]
struct Scratch {
    reversed: String,
    set: Option<regex_automata::PatternSet>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl fmt::Debug for SrxEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrxEngine")
            .field("lang", &self.lang)
            .field("language_rules", &self.names)
            .field("rules", &self.rules.len())
            .field("breaks", &self.breaks.len())
            .finish()
    }
}

impl Rule {
    /// The cheap test: can this rule match at a position between `prev` and `next`?
    #[inline]
    fn may_match(&self, prev: char, next: Option<char>) -> bool {
        let edge_ok =
            |re: &Option<Arc<Regex>>, c: Option<char>| match re.as_deref().and_then(Regex::edge) {
                None => true,
                Some(set) => c.is_some_and(|c| set.contains(c)),
            };
        edge_ok(&self.before, Some(prev)) && edge_ok(&self.after, next)
    }

    #[inline]
    fn matches(&self, text: &str, reversed: &str, pos: usize) -> bool {
        self.before
            .as_deref()
            .is_none_or(|re| re.matches_ending_at(text, reversed, pos))
            && self
                .after
                .as_deref()
                .is_none_or(|re| re.matches_at(text, pos))
    }
}

impl SrxEngine {
    fn new(lang: &str, names: String, rules: Vec<Rule>) -> SrxEngine {
        let breaks = (0..rules.len()).filter(|&i| rules[i].is_break).collect();
        let prefilter = Prefilter::new(
            rules
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.before.as_deref().map(|re| (i, re))),
        );
        let covered = prefilter.as_ref().map_or(&[][..], |p| p.covers());
        let always = (0..rules.len()).filter(|i| !covered.contains(i)).collect();
        SrxEngine {
            lang: lang.to_string(),
            names,
            rules,
            breaks,
            prefilter,
            always,
        }
    }

    /// Splits one paragraph; appends the sentence spans (relative to `text`, trimmed,
    /// non-empty) to `out`.
    pub(crate) fn split_paragraph(&self, text: &str, out: &mut dyn FnMut(Span)) {
        let mut start = 0;
        let emit = |from: usize, to: usize, out: &mut dyn FnMut(Span)| {
            let piece = &text[from..to];
            let trimmed = piece.trim_start();
            let s = from + (piece.len() - trimmed.len());
            let e = s + trimmed.trim_end().len();
            if e > s {
                out(Span::new(s, e));
            }
        };
        if !self.breaks.is_empty() {
            let mut breaks = Vec::new();
            // Reuse this thread's buffers unless a caller's callback re-entered us.
            SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => self.find_breaks(text, &mut scratch, &mut breaks),
                Err(_) => self.find_breaks(text, &mut Scratch::default(), &mut breaks),
            });
            for pos in breaks {
                emit(start, pos, out);
                start = pos;
            }
        }
        emit(start, text.len(), out);
    }
}

impl SrxEngine {
    /// The break positions of `text` (byte offsets, ascending).
    fn find_breaks(&self, text: &str, scratch: &mut Scratch, breaks: &mut Vec<usize>) {
        let mut reversed_ready = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, prev)) = chars.next() {
            let pos = i + prev.len_utf8();
            let Some(&(_, next)) = chars.peek() else {
                break;
            };
            let next = Some(next);
            if !self
                .breaks
                .iter()
                .any(|&b| self.rules[b].may_match(prev, next))
            {
                continue;
            }
            if !reversed_ready {
                scratch.reversed.clear();
                scratch.reversed.extend(text.chars().rev());
                reversed_ready = true;
            }
            let rev = scratch.reversed.as_str();
            let try_rule = |i: usize| {
                let r = &self.rules[i];
                r.may_match(prev, next) && r.matches(text, rev, pos)
            };
            let decision = match &self.prefilter {
                Some(p) => {
                    let set = match &mut scratch.set {
                        Some(set) if set.capacity() == p.covers().len() => set,
                        slot => slot.insert(p.new_set()),
                    };
                    p.candidates(rev, pos, set);
                    // The rules the prefilter admits, merged in order with the rules it
                    // does not cover.
                    let covered = p.covers();
                    let mut admitted = set.iter().map(|id| covered[id.as_usize()]).peekable();
                    let mut always = self.always.iter().copied().peekable();
                    loop {
                        let next_rule = match (admitted.peek(), always.peek()) {
                            (Some(&a), Some(&b)) if a < b => admitted.next(),
                            (Some(_), Some(_)) | (None, Some(_)) => always.next(),
                            (Some(_), None) => admitted.next(),
                            (None, None) => None,
                        };
                        match next_rule {
                            Some(i) if try_rule(i) => break Some(i),
                            Some(_) => continue,
                            None => break None,
                        }
                    }
                }
                None => (0..self.rules.len()).find(|&i| try_rule(i)),
            };
            if decision.is_some_and(|i| self.rules[i].is_break) {
                breaks.push(pos);
            }
        }
    }
}

/// Text of an SRX file: UTF-8 (BOM or not), UTF-16, or the encoding the XML
/// declaration names, as [`text::input`](crate::text::input) reads any XML. Its
/// warning (a byte-order mark that contradicts the declaration, which the mark wins)
/// is not passed on: the rules either parse as SRX or are refused.
fn decode(bytes: &[u8]) -> Result<String> {
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

struct Parser<'t> {
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
    fn new(text: &'t str, origin: Option<&Path>) -> Parser<'t> {
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

    fn parse(mut self) -> Result<(Doc, Vec<RuleProblem>)> {
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
                    if local_name(&e) != "srx" || ns == Ns::Foreign {
                        return Err(Error::syntax(
                            format!(
                                "not an SRX file: the root element is <{}>, not <srx>",
                                e.name().as_ref()
                            ),
                            location,
                        ));
                    }
                    let attrs = self.attributes(&e, &location)?;
                    self.version = attr(&attrs, "version").unwrap_or("").to_string();
                    if !empty {
                        self.stack.push(Ctx::Srx);
                    }
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
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string)
                        }
                        Err(_) => None,
                    };
                    let Some(resolved) = resolved else {
                        let location = self.location(start);
                        return Err(Error::syntax(
                            format!(
                                "unknown or invalid entity &{};: SRX files use only the XML entities and character references",
                                &*r
                            ),
                            location,
                        ));
                    };
                    if self.in_pattern() {
                        self.text.push_str(&resolved);
                    }
                }
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
            (Ctx::LanguageRules, "languagerule") => {
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
                Ctx::LanguageRule
            }
            (Ctx::LanguageRules, _) => return Err(unexpected("languagerules")),
            (Ctx::LanguageRule, "rule") => {
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
                Ctx::Rule
            }
            (Ctx::LanguageRule, _) => return Err(unexpected("languagerule")),
            (Ctx::Rule, "beforebreak" | "afterbreak") => {
                let is_before = name == "beforebreak";
                if (is_before && self.before.is_some()) || (!is_before && self.after.is_some()) {
                    return Err(Error::syntax(
                        format!("a second <{name}> in one <rule>"),
                        location.clone(),
                    ));
                }
                self.text.clear();
                self.text_location = location.clone();
                if is_before {
                    Ctx::Before
                } else {
                    Ctx::After
                }
            }
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
                Ctx::Ignored
            }
            (Ctx::MapRules, _) => return Err(unexpected("maprules")),
            (Ctx::MapRule, _) => return Err(unexpected("maprule")),
            (Ctx::Ignored, _) => Ctx::Ignored,
        };
        Ok(ctx)
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
    use super::*;

    fn rules(body: &str, cascade: bool) -> SrxRules {
        let text = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<srx xmlns="http://www.lisa.org/srx20" version="2.0">
<header segmentsubflows="yes" cascade="{}"/>
<body>
{body}
</body>
</srx>"#,
            if cascade { "yes" } else { "no" }
        );
        SrxRules::from_str(&text).unwrap()
    }

    fn split(rules: &SrxRules, lang: &str, text: &str) -> Vec<String> {
        let engine = rules.engine(&LangTag::parse(lang).unwrap());
        let mut out = Vec::new();
        engine.split_paragraph(text, &mut |s: Span| out.push(s.slice(text).to_string()));
        out
    }

    const BASIC: &str = r#"<languagerules>
<languagerule languagerulename="English">
<rule break="no"><beforebreak>\bMr\.</beforebreak><afterbreak>\s</afterbreak></rule>
</languagerule>
<languagerule languagerulename="Default">
<rule break="yes"><beforebreak>[.?!]+</beforebreak><afterbreak>\s+\p{Lu}</afterbreak></rule>
<rule break="no"><beforebreak>\bDr\.</beforebreak><afterbreak>\s</afterbreak></rule>
</languagerule>
</languagerules>
<maprules>
<languagemap languagepattern="EN.*" languagerulename="English"/>
<languagemap languagepattern=".*" languagerulename="Default"/>
</maprules>"#;

    #[test]
    fn first_matching_rule_decides_and_cascade_adds_rules() {
        let cascading = rules(BASIC, true);
        let text = "Mr. Smith met Dr. Who. Fine!";
        // English: Mr. is an exception; Dr. comes after the break rule, so it breaks.
        assert_eq!(
            split(&cascading, "en-GB", text),
            ["Mr. Smith met Dr.", "Who.", "Fine!"]
        );
        assert_eq!(
            cascading.rules_for(&LangTag::parse("en").unwrap()),
            ["English", "Default"]
        );
        // Without cascade, English alone applies: no break rule at all.
        let first_only = rules(BASIC, false);
        assert_eq!(split(&first_only, "en", text), [text]);
        assert_eq!(
            split(&first_only, "de", text),
            ["Mr.", "Smith met Dr.", "Who.", "Fine!"]
        );
    }

    #[test]
    fn segmenters_with_srx_rules_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<crate::segment::Segmenter>();
        shareable::<SrxRules>();
    }

    #[test]
    fn spans_are_trimmed_and_cover_the_text() {
        let r = rules(BASIC, true);
        let text = "  One.   Two!\n Three  ";
        assert_eq!(split(&r, "fr", text), ["One.", "Two!", "Three"]);
    }

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
