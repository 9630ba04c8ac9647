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

mod engine;
mod model;
mod parse;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::text::LangTag;
use model::Doc;

pub(crate) use engine::SrxEngine;

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
        let text = parse::decode(bytes).map_err(located)?;
        let (doc, problems) = parse::Parser::new(&text, origin).parse().map_err(located)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Span;

    /// The rules of an SRX file whose body is `body`.
    pub(super) fn rules(body: &str, cascade: bool) -> SrxRules {
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

    /// The sentences `rules` make of `text` in `lang`.
    pub(super) fn split(rules: &SrxRules, lang: &str, text: &str) -> Vec<String> {
        let engine = rules.engine(&LangTag::parse(lang).unwrap());
        let mut out = Vec::new();
        engine.split_paragraph(text, &mut |s: Span| out.push(s.slice(text).to_string()));
        out
    }

    pub(super) const BASIC: &str = r#"<languagerules>
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
}
