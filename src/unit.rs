//! Translation units: what the aligner produces, the memory stores and the exchange
//! formats (TMX, CSV, JSON Lines) read and write. Modelled on TMX: a unit holds one
//! variant per language, plus metadata, properties and notes at both levels.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::LangTag;

/// A property (`<prop type="…">value</prop>` in TMX): tool-specific metadata kept as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prop {
    /// The property's type (`x-Domain`, `x-Client`, …).
    pub kind: String,
    /// Its value.
    pub value: String,
    /// Optional language of the value (`xml:lang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// A free-text note (`<note>` in TMX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The note's text.
    pub text: String,
    /// Optional language of the note (`xml:lang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Who made or changed something, and when; how often it was used. Shared by units and
/// variants, as TMX has these attributes on both `<tu>` and `<tuv>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When it was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Timestamp>,
    /// Who changed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// When it was last used (looked up and accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<Timestamp>,
    /// How many times it was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_count: Option<u64>,
}

/// One language's version of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Its language.
    pub lang: LangTag,
    /// Plain text: what a translator reads and what matching compares. Inline markup
    /// (tags of the original format) is not part of it.
    pub text: String,
    /// The segment exactly as the exchange format had it, inline markup included (for
    /// TMX: the XML content of `<seg>`), when it differs from `text`. Kept so an export
    /// restores what was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<String>,
    /// Creation and change metadata of this variant.
    #[serde(default, skip_serializing_if = "is_default")]
    pub provenance: Provenance,
    /// Properties of this variant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    /// Notes on this variant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl Variant {
    /// A variant with plain text and nothing else.
    pub fn new(lang: LangTag, text: impl Into<String>) -> Variant {
        Variant {
            lang,
            text: text.into(),
            markup: None,
            provenance: Provenance::default(),
            props: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The segments around a unit's source in its document, for in-context (101 %) matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The source segment before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The source segment after this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Where a unit came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// The file (or document name) it was imported or aligned from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The aligner's confidence in this pair, 0..=1, when it came from the aligner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A translation unit: the same content in two or more languages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranslationUnit {
    /// An identifier from the source format (`tuid`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The source language, if the format names one (TMX `srclang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_lang: Option<LangTag>,
    /// One variant per language (a format may repeat a language; it is kept).
    pub variants: Vec<Variant>,
    /// Creation and change metadata of the unit.
    #[serde(default, skip_serializing_if = "is_default")]
    pub provenance: Provenance,
    /// Where the unit came from.
    #[serde(default, skip_serializing_if = "is_default")]
    pub origin: Origin,
    /// The source segment's neighbours in its document.
    #[serde(default, skip_serializing_if = "is_default")]
    pub context: Context,
    /// Properties of the unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    /// Notes on the unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl TranslationUnit {
    /// A unit with a source and a target text and nothing else.
    pub fn pair(
        source_lang: LangTag,
        source: impl Into<String>,
        target_lang: LangTag,
        target: impl Into<String>,
    ) -> TranslationUnit {
        TranslationUnit {
            source_lang: Some(source_lang.clone()),
            variants: vec![
                Variant::new(source_lang, source),
                Variant::new(target_lang, target),
            ],
            ..TranslationUnit::default()
        }
    }

    /// With the segments around the source in its document (for 101 % matches).
    pub fn in_context(mut self, prev: Option<String>, next: Option<String>) -> TranslationUnit {
        self.context.prev = prev;
        self.context.next = next;
        self
    }

    /// With the name of the document it comes from.
    pub fn from_document(mut self, file: Option<String>) -> TranslationUnit {
        self.origin.file = file;
        self
    }

    /// Adds a property given by hand (`bitext add --prop`, the server's `props`): its
    /// type trimmed, a blank one refused (`Invalid`: TMX `<prop>` needs a type).
    pub fn add_prop(&mut self, kind: &str, value: impl Into<String>) -> Result<()> {
        let kind = kind.trim();
        if kind.is_empty() {
            return Err(Error::invalid("a property needs a type"));
        }
        self.props.push(Prop {
            kind: kind.to_string(),
            value: value.into(),
            lang: None,
        });
        Ok(())
    }

    /// Adds a note in no particular language.
    pub fn add_note(&mut self, text: impl Into<String>) {
        self.notes.push(Note {
            text: text.into(),
            lang: None,
        });
    }

    /// The first variant whose language is `lang` or a more specific form of it
    /// (`en` finds `en-US`).
    pub fn variant(&self, lang: &LangTag) -> Option<&Variant> {
        self.variants
            .iter()
            .find(|v| v.lang == *lang)
            .or_else(|| self.variants.iter().find(|v| v.lang.matches(lang)))
    }

    /// Keeps only the variants in `langs` (or a more specific form: `en` keeps
    /// `en-US`), those of `langs[0]` first, as an export of one language pair writes
    /// them. False when one of `langs` has no variant: the unit is not in the pair
    /// (and what is left of it is of no use).
    pub fn keep_languages(&mut self, langs: &[LangTag]) -> bool {
        let is = |v: &Variant, k: &LangTag| v.lang.matches(k);
        self.variants.retain(|v| langs.iter().any(|k| is(v, k)));
        if !langs.iter().all(|k| self.variants.iter().any(|v| is(v, k))) {
            return false;
        }
        if let Some(first) = langs.first() {
            self.variants.sort_by_key(|v| !is(v, first));
        }
        true
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    #[test]
    fn variant_lookup_prefers_exact_then_more_specific() {
        let mut unit = TranslationUnit::pair(tag("en-US"), "Hello", tag("ru"), "Привет");
        assert_eq!(unit.variant(&tag("en")).unwrap().text, "Hello");
        assert_eq!(unit.variant(&tag("ru")).unwrap().text, "Привет");
        assert!(unit.variant(&tag("fr")).is_none());
        unit.variants.push(Variant::new(tag("en"), "Hi"));
        assert_eq!(unit.variant(&tag("en")).unwrap().text, "Hi");
    }

    #[test]
    fn a_pair_given_by_hand_takes_its_details() {
        let mut unit = TranslationUnit::pair(tag("en"), "Open.", tag("ru"), "Откройте.")
            .in_context(Some("Before.".into()), None)
            .from_document(Some("manual.txt".into()));
        unit.add_prop(" domain ", "IT").unwrap();
        unit.add_note("checked");
        assert_eq!(unit.context.prev.as_deref(), Some("Before."));
        assert_eq!(unit.context.next, None);
        assert_eq!(unit.origin.file.as_deref(), Some("manual.txt"));
        assert_eq!(unit.origin.score, None);
        assert_eq!(
            (unit.props[0].kind.as_str(), unit.props[0].value.as_str()),
            ("domain", "IT")
        );
        assert_eq!(unit.props[0].lang, None);
        assert_eq!(
            (unit.notes[0].text.as_str(), unit.notes[0].lang.as_deref()),
            ("checked", None)
        );
        let err = unit.add_prop("  ", "x").unwrap_err();
        assert_eq!(err.kind().to_string(), "a property needs a type");
        assert_eq!(unit.props.len(), 1, "a refused property is not added");
    }

    #[test]
    fn keep_languages_keeps_one_pair_source_first() {
        let mut unit = TranslationUnit::pair(tag("de"), "Hallo", tag("en-US"), "Hello");
        unit.variants.push(Variant::new(tag("fr"), "Bonjour"));
        assert!(unit.keep_languages(&[tag("en"), tag("de")]));
        let langs: Vec<&str> = unit.variants.iter().map(|v| v.lang.as_str()).collect();
        assert_eq!(langs, ["en-US", "de"]);
        let mut unit = TranslationUnit::pair(tag("de"), "Hallo", tag("fr"), "Bonjour");
        assert!(!unit.keep_languages(&[tag("en"), tag("de")]));
    }

    #[test]
    fn json_skips_empty_metadata() {
        let unit = TranslationUnit::pair(tag("en"), "a", tag("de"), "b");
        let json = serde_json::to_string(&unit).unwrap();
        assert_eq!(
            json,
            r#"{"source_lang":"en","variants":[{"lang":"en","text":"a"},{"lang":"de","text":"b"}]}"#
        );
        let back: TranslationUnit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, unit);
    }
}
