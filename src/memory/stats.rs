//! What a memory holds: counts, languages and pairs, dates and sizes (`bitext
//! stats`), read from the running totals of [`super::counts`] without a scan.

use serde::Serialize;

use super::counts::{COUNT_LANG, COUNT_PAIR, COUNT_TEXT_BYTES, COUNT_UNITS};
use super::db::DbResultExt;
use super::schema;
use super::store;
use super::Memory;
use crate::error::Result;
use crate::text::LangTag;

/// Units per language pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguagePairStats {
    /// The units' source language.
    pub source: String,
    /// A language they are translated into.
    pub target: String,
    /// How many units.
    pub units: u64,
}

/// The languages a memory holds (see [`Memory::languages`]).
#[derive(Debug, Clone, Serialize)]
pub struct Languages {
    /// Number of units.
    pub units: u64,
    /// Number of variants over all units.
    pub variants: u64,
    /// Bytes of stored text (all variants).
    pub text_bytes: u64,
    /// Variants per language tag, by tag.
    pub languages: Vec<(String, u64)>,
    /// Units per (source, target) language pair, most units first. A unit in more
    /// than two languages counts for its source language and each other one.
    pub pairs: Vec<LanguagePairStats>,
}

impl Languages {
    /// True if `pairs` lists every two languages some unit holds together: every
    /// unit has two variants.
    pub fn pairs_complete(&self) -> bool {
        self.variants == 2 * self.units
    }

    /// The language tags held, as tags.
    pub fn tags(&self) -> Vec<LangTag> {
        self.languages
            .iter()
            .filter_map(|(t, _)| LangTag::parse(t).ok())
            .collect()
    }

    /// True if some held language serves `asked`: itself, a more specific form, or
    /// another variant of the language (as lookups fall back).
    pub fn serves(&self, asked: &LangTag) -> bool {
        self.tags().iter().any(|held| serves(held, asked))
    }

    /// The languages held with their texts, for messages: `en (3), ru (3)`.
    pub fn languages_list(&self) -> String {
        if self.languages.is_empty() {
            return "none: the memory holds no units yet".to_string();
        }
        let list: Vec<String> = self
            .languages
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        list.join(", ")
    }

    /// The language pairs held with their units, for messages: `en -> ru (3 units)`.
    pub fn pairs_list(&self) -> String {
        if self.pairs.is_empty() {
            return "none: the memory holds no units yet".to_string();
        }
        let list: Vec<String> = self
            .pairs
            .iter()
            .map(|p| {
                let s = if p.units == 1 { "" } else { "s" };
                format!("{} -> {} ({} unit{s})", p.source, p.target, p.units)
            })
            .collect();
        list.join(", ")
    }

    /// The lookup directions (source, target) that fit the sides given, sorted: with
    /// neither, the pairs held; with one, every direction whose side serves it (a
    /// lookup goes either way), the given tag kept as given.
    pub fn pair_choices(
        &self,
        src: Option<&LangTag>,
        tgt: Option<&LangTag>,
    ) -> Vec<(LangTag, LangTag)> {
        let pairs = self.pair_tags();
        let mut choices: Vec<(LangTag, LangTag)> = if src.is_none() && tgt.is_none() {
            pairs
        } else {
            directions(&pairs)
                .filter(|(a, b)| {
                    src.is_none_or(|s| serves(a, s)) && tgt.is_none_or(|t| serves(b, t))
                })
                .map(|(a, b)| (src.unwrap_or(a).clone(), tgt.unwrap_or(b).clone()))
                .collect()
        };
        choices.sort();
        choices.dedup();
        choices
    }

    /// False if the memory certainly holds no `src` -> `tgt` units, either way round
    /// (a variant of a language counts for it). Units in three or more languages pair
    /// languages the totals do not list (only source -> each other): then only a
    /// language missing altogether is certain.
    pub fn may_hold_pair(&self, src: &LangTag, tgt: &LangTag) -> bool {
        let pairs = self.pair_tags();
        directions(&pairs).any(|(a, b)| serves(a, src) && serves(b, tgt))
            || (self.serves(src) && self.serves(tgt) && !self.pairs_complete())
    }

    fn pair_tags(&self) -> Vec<(LangTag, LangTag)> {
        self.pairs
            .iter()
            .filter_map(|p| {
                Some((
                    LangTag::parse(&p.source).ok()?,
                    LangTag::parse(&p.target).ok()?,
                ))
            })
            .collect()
    }
}

/// Does a stored tag serve the one asked for (itself, a more specific form, or
/// another variant of the language)?
fn serves(stored: &LangTag, asked: &LangTag) -> bool {
    stored.matches(asked) || stored.same_language(asked)
}

/// Every direction a lookup can take: each pair both ways.
fn directions(pairs: &[(LangTag, LangTag)]) -> impl Iterator<Item = (&LangTag, &LangTag)> {
    pairs.iter().flat_map(|(a, b)| [(a, b), (b, a)])
}

/// What a memory holds.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Number of units.
    pub units: u64,
    /// Number of variants (language versions) over all units.
    pub variants: u64,
    /// Variants per language tag.
    pub languages: Vec<(String, u64)>,
    /// Units per (source, target) language pair.
    pub pairs: Vec<LanguagePairStats>,
    /// Earliest and latest creation date.
    pub created: Option<(jiff::Timestamp, jiff::Timestamp)>,
    /// Earliest and latest change date.
    pub changed: Option<(jiff::Timestamp, jiff::Timestamp)>,
    /// Distinct terms in the fuzzy index.
    pub terms: u64,
    /// Variants the concordance index has not seen yet.
    pub concordance_pending: u64,
    /// Size of the file (and its write-ahead log) in bytes.
    pub file_bytes: u64,
    /// Of `file_bytes`, the write-ahead log's: a write in progress (an import) or
    /// pages not yet copied into the file.
    pub wal_bytes: u64,
    /// Bytes of stored text (all variants).
    pub text_bytes: u64,
    /// The schema version.
    pub schema_version: u32,
}

impl Stats {
    /// Every language of the memory, for the columns of a CSV/TSV export: `src` first
    /// (or the stored form of it: `en` puts `en-US` first), else the most frequent
    /// source language, then the others by how many variants they have. An error if
    /// the memory holds nothing in `src`.
    pub fn column_languages(&self, src: Option<&LangTag>) -> Result<Vec<LangTag>> {
        // A stored tag was checked when it was stored.
        let mut langs: Vec<(LangTag, u64)> = self
            .languages
            .iter()
            .filter_map(|(tag, n)| Some((LangTag::parse(tag).ok()?, *n)))
            .collect();
        let first = match src {
            Some(s) => Some(s.clone()),
            None => {
                let mut sources: Vec<(&str, u64)> = Vec::new();
                for pair in &self.pairs {
                    match sources.iter_mut().find(|(s, _)| *s == pair.source) {
                        Some((_, n)) => *n += pair.units,
                        None => sources.push((&pair.source, pair.units)),
                    }
                }
                sources
                    .iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                    .and_then(|(s, _)| LangTag::parse(s).ok())
            }
        };
        langs.sort_by(|a, b| {
            let is_first = |t: &LangTag| first.as_ref() == Some(t);
            is_first(&b.0)
                .cmp(&is_first(&a.0))
                .then(b.1.cmp(&a.1))
                .then(a.0.as_str().cmp(b.0.as_str()))
        });
        let mut out: Vec<LangTag> = langs.into_iter().map(|(t, _)| t).collect();
        if let Some(s) = src {
            let Some(p) = out.iter().position(|t| t == s || t.matches(s)) else {
                return Err(crate::Error::invalid(format!(
                    "the memory holds no unit in {s} (its languages: {})",
                    out.iter()
                        .map(LangTag::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            // `-s en` with units stored as en-US: that column first.
            let tag = out.remove(p);
            out.insert(0, tag);
        }
        Ok(out)
    }
}

/// [`Memory::stats`].
pub(super) fn stats(memory: &Memory) -> Result<Stats> {
    let _snapshot = memory.read_snapshot()?;
    let c = &memory.conn;
    let count = |sql: &str| -> Result<u64> {
        c.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|v| v.max(0) as u64)
            .db()
    };
    let terms = count("SELECT count(*) FROM terms")?;
    let Languages {
        units,
        variants,
        text_bytes,
        languages,
        pairs,
    } = languages(memory)?;
    let range = |col: &str| -> Result<Option<(jiff::Timestamp, jiff::Timestamp)>> {
        let (lo, hi): (Option<i64>, Option<i64>) = c
            .query_row(
                &format!("SELECT min({col}), max({col}) FROM units"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .db()?;
        Ok(store::from_seconds(lo).zip(store::from_seconds(hi)))
    };
    let (file_bytes, wal_bytes) = match &memory.path {
        Some(p) => {
            let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
            let wal = size(&std::path::PathBuf::from(format!("{}-wal", p.display())));
            (size(p) + wal, wal)
        }
        None => {
            let pages = count("PRAGMA page_count")?;
            let size = count("PRAGMA page_size")?;
            (pages * size, 0)
        }
    };
    Ok(Stats {
        units,
        variants,
        languages,
        pairs,
        created: range("created")?,
        changed: range("changed")?,
        terms,
        concordance_pending: memory.concordance_pending()?.max(0) as u64,
        file_bytes,
        wal_bytes,
        text_bytes,
        schema_version: schema::version(c)?,
    })
}

/// [`Memory::languages`]: no unit is read, however big the memory.
pub(super) fn languages(memory: &Memory) -> Result<Languages> {
    let _snapshot = memory.read_snapshot()?;
    let c = &memory.conn;
    let mut units = 0u64;
    let mut variants = 0u64;
    let mut text_bytes = 0u64;
    let mut languages = Vec::new();
    let mut pairs = Vec::new();
    {
        let mut stmt = c
            .prepare("SELECT kind, a, b, n FROM counts WHERE n > 0")
            .db()?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .db()?;
        for row in rows {
            let (kind, a, b, n) = row.db()?;
            match kind {
                COUNT_TEXT_BYTES => text_bytes = n as u64,
                COUNT_UNITS => units = n as u64,
                COUNT_LANG => {
                    variants += n as u64;
                    languages.push((tag_name(memory, a), n as u64))
                }
                COUNT_PAIR => pairs.push(LanguagePairStats {
                    source: tag_name(memory, a),
                    target: tag_name(memory, b),
                    units: n as u64,
                }),
                _ => {}
            }
        }
    }
    languages.sort();
    pairs.sort_by(|a, b| b.units.cmp(&a.units).then(a.source.cmp(&b.source)));
    Ok(Languages {
        units,
        variants,
        text_bytes,
        languages,
        pairs,
    })
}

fn tag_name(memory: &Memory, id: i64) -> String {
    memory
        .langs()
        .tag(id)
        .map_or_else(|| format!("#{id}"), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(pairs: &[(&str, &str, u64)], variants: u64) -> Languages {
        let mut languages: Vec<(String, u64)> = Vec::new();
        for &(s, t, n) in pairs {
            for tag in [s, t] {
                match languages.iter_mut().find(|(l, _)| l == tag) {
                    Some(l) => l.1 += n,
                    None => languages.push((tag.to_string(), n)),
                }
            }
        }
        let units = pairs.iter().map(|p| p.2).sum();
        Languages {
            units,
            variants,
            text_bytes: 0,
            languages,
            pairs: pairs
                .iter()
                .map(|&(s, t, n)| LanguagePairStats {
                    source: s.into(),
                    target: t.into(),
                    units: n,
                })
                .collect(),
        }
    }

    fn tag(t: &str) -> LangTag {
        LangTag::parse(t).unwrap()
    }

    fn stats(pairs: &[(&str, &str, u64)]) -> Stats {
        let held = held(pairs, 0);
        Stats {
            units: held.units,
            variants: held.variants,
            languages: held.languages,
            pairs: held.pairs,
            created: None,
            changed: None,
            terms: 0,
            concordance_pending: 0,
            file_bytes: 0,
            wal_bytes: 0,
            text_bytes: 0,
            schema_version: 0,
        }
    }

    #[test]
    fn column_languages_put_the_source_first() {
        let stats = stats(&[("en-US", "de", 5), ("fr", "de", 3), ("fr", "it", 1)]);
        let names = |langs: Vec<LangTag>| {
            langs
                .iter()
                .map(|t| t.as_str().to_string())
                .collect::<Vec<_>>()
        };
        // The most frequent source first (fr: 4 units as source, en-US 5), then by
        // variants.
        assert_eq!(
            names(stats.column_languages(None).unwrap()),
            ["en-US", "de", "fr", "it"]
        );
        // `en` finds the stored en-US; fr asked first.
        assert_eq!(
            names(stats.column_languages(Some(&tag("fr"))).unwrap()),
            ["fr", "de", "en-US", "it"]
        );
        assert_eq!(
            names(stats.column_languages(Some(&tag("en"))).unwrap())[0],
            "en-US"
        );
        let err = stats.column_languages(Some(&tag("ja"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the memory holds no unit in ja (its languages: de, en-US, fr, it)"
        );
    }

    #[test]
    fn choices_take_either_direction_and_keep_the_given_tag() {
        let two = held(&[("en", "ru", 3), ("en-GB", "is", 1)], 8);
        assert_eq!(two.pair_choices(None, None).len(), 2);
        assert_eq!(
            two.pair_choices(Some(&tag("ru")), None),
            vec![(tag("ru"), tag("en"))]
        );
        // en-US is served by en and by en-GB: one choice per target.
        assert_eq!(
            two.pair_choices(Some(&tag("en-US")), None),
            vec![(tag("en-US"), tag("is")), (tag("en-US"), tag("ru"))]
        );
        assert!(two.pair_choices(Some(&tag("de")), None).is_empty());
        assert_eq!(two.pairs_list(), "en -> ru (3 units), en-GB -> is (1 unit)");
        assert_eq!(two.languages_list(), "en (3), ru (3), en-GB (1), is (1)");
    }

    #[test]
    fn a_pair_is_refused_only_when_certainly_absent() {
        let two = held(&[("en", "ru", 3), ("en", "is", 1)], 8);
        assert!(two.may_hold_pair(&tag("ru"), &tag("en-US")));
        assert!(!two.may_hold_pair(&tag("ru"), &tag("is")));
        assert!(!two.may_hold_pair(&tag("en"), &tag("de")));
        // Units of three languages pair ru and is without the totals listing it.
        let three = held(&[("en", "ru", 3), ("en", "is", 3)], 9);
        assert!(three.may_hold_pair(&tag("ru"), &tag("is")));
        assert!(!three.may_hold_pair(&tag("ru"), &tag("de")));
        assert!(!held(&[], 0).serves(&tag("en")));
        assert_eq!(
            held(&[], 0).pairs_list(),
            "none: the memory holds no units yet"
        );
    }
}
