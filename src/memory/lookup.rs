//! Fuzzy lookup in a memory file: the SQLite side of [`super::search`], plus exact and
//! same-words matches, scoring and the hits' contents.

use rusqlite::{Connection, OptionalExtension};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::postings::{decode_ids, for_each_posting, Posting};
use super::schema::db_error;
use super::score::{diff, inline_tags, score, DiffPiece, Score, Side, MAX_FUZZY};
use super::search::{self, SearchStats, TermStat, TokenIndex};
use super::store::{self, primary_tag};
use super::tokens::{words_key, Analyzed};
use super::Memory;
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::{Origin, Provenance, Variant};

/// A text to look up.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The text (plain).
    pub text: String,
    /// Its language.
    pub lang: LangTag,
    /// Its inline markup, if any (tags in it are compared with the stored ones).
    pub markup: Option<String>,
    /// The source segment before it in its document (for 101 % matches).
    pub prev: Option<String>,
    /// The source segment after it.
    pub next: Option<String>,
}

impl Query {
    /// A query without markup or context.
    pub fn new(text: impl Into<String>, lang: LangTag) -> Query {
        Query {
            text: text.into(),
            lang,
            markup: None,
            prev: None,
            next: None,
        }
    }
}

/// How to look up.
#[derive(Debug, Clone)]
pub struct LookupOptions {
    /// The language of the translations wanted.
    pub target: LangTag,
    /// The lowest match percentage returned (1–101).
    pub min_percent: u32,
    /// The most matches returned.
    pub max: usize,
    /// Match language tags exactly (`en` finds only `en`, not `en-US`).
    pub strict_lang: bool,
    /// Compare with every stored text instead of using the index (slow; the ground
    /// truth for tests and benchmarks).
    pub exhaustive: bool,
}

impl LookupOptions {
    /// Defaults: at least 70 %, at most 5 matches, `en` also finds `en-US`.
    pub fn new(target: LangTag) -> LookupOptions {
        LookupOptions {
            target,
            min_percent: 70,
            max: 5,
            strict_lang: false,
            exhaustive: false,
        }
    }
}

/// One match.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The unit's id in the memory.
    pub unit: i64,
    /// The match percentage and how it was reached.
    pub score: Score,
    /// The stored source that matched.
    pub source: Variant,
    /// Its translation.
    pub target: Variant,
    /// Which words of the stored source differ from the query.
    pub diff: Vec<DiffPiece>,
    /// When and by whom the unit was made and changed; how often it was used.
    pub provenance: Provenance,
    /// Where the unit came from.
    pub origin: Origin,
}

/// The storage side of the search.
struct SqliteIndex<'c> {
    conn: &'c Connection,
}

impl TokenIndex for SqliteIndex<'_> {
    fn postings(&mut self, term: u32, visit: &mut dyn FnMut(Posting)) -> Result<()> {
        let lo = i64::from(term) << 20;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM postings WHERE key >= ?1 AND key < ?2")
            .map_err(db_error)?;
        let mut rows = stmt.query([lo, lo + (1 << 20)]).map_err(db_error)?;
        while let Some(row) = rows.next().map_err(db_error)? {
            let data = row
                .get_ref(0)
                .map_err(db_error)?
                .as_blob()
                .map_err(|e| db_error(e.into()))?;
            if !for_each_posting(data, &mut *visit) {
                return Err(Error::invalid(format!(
                    "the memory's index is damaged (postings of term {term}); run `bitext \
                     reindex`"
                )));
            }
        }
        Ok(())
    }

    fn tokens(&mut self, id: i64, tokens: &mut Vec<u32>) -> Result<Option<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT lang, tokens FROM variants WHERE id = ?1")
            .map_err(db_error)?;
        let mut rows = stmt.query([id]).map_err(db_error)?;
        let Some(row) = rows.next().map_err(db_error)? else {
            return Ok(None);
        };
        let lang: i64 = row.get(0).map_err(db_error)?;
        let blob = row
            .get_ref(1)
            .map_err(db_error)?
            .as_blob()
            .map_err(|e| db_error(e.into()))?;
        if !decode_ids(blob, tokens) {
            return Err(Error::invalid(format!(
                "the memory's index is damaged (tokens of variant {id}); run `bitext reindex`"
            )));
        }
        Ok(Some(lang))
    }
}

/// A scored candidate before its unit is read.
#[derive(Debug, Clone, Copy)]
struct Scored {
    variant: i64,
    score: Score,
}

impl Memory {
    /// The best matches for `query` in `options.target`, best first: every stored
    /// source scoring at least `options.min_percent` is considered (exact recall), at
    /// most `options.max` are returned, one per unit.
    pub fn lookup(&self, query: &Query, options: &LookupOptions) -> Result<Vec<Hit>> {
        self.lookup_with_stats(query, options, &mut SearchStats::default())
    }

    /// [`Memory::lookup`], also counting the work done.
    pub fn lookup_with_stats(
        &self,
        query: &Query,
        options: &LookupOptions,
        stats: &mut SearchStats,
    ) -> Result<Vec<Hit>> {
        // One read transaction: one consistent snapshot, and no locking per statement.
        let _snapshot = self.read_snapshot()?;
        let analyzed = Analyzed::new(&query.text);
        if analyzed.is_empty() {
            return Err(Error::invalid("the query is empty"));
        }
        let sources: FxHashSet<i64> = self
            .langs
            .matching(&query.lang, options.strict_lang)
            .into_iter()
            .collect();
        let targets = self.langs.matching(&options.target, options.strict_lang);
        if sources.is_empty() || targets.is_empty() || options.max == 0 {
            return Ok(Vec::new());
        }
        let min = options.min_percent.clamp(1, 101);
        let primary = primary_tag(&query.lang);
        let key = words_key(primary.as_str(), &analyzed);
        let qtags = inline_tags(query.markup.as_deref());
        let qside = Side {
            text: &analyzed,
            tags: &qtags,
            prev: query.prev.as_deref(),
            next: query.next.as_deref(),
        };

        let mut found = self.same_words(key, &sources, qside, min)?;
        let same: FxHashSet<i64> = self.variants_with_key(key)?;
        // Same-words matches score 95 or more, fuzzy ones at most 94: when the former
        // fill the list already, no fuzzy match can enter it.
        if !options.exhaustive && !found.is_empty() && min <= MAX_FUZZY {
            found.sort_by(|a, b| a.score.better(&b.score).then(b.variant.cmp(&a.variant)));
            let hits = self.hits(
                &analyzed,
                found.clone(),
                &targets,
                &options.target,
                options.max,
            )?;
            if hits.len() >= options.max {
                return Ok(hits);
            }
        }
        if min <= MAX_FUZZY {
            let group = self.langs.group(&query.lang);
            if let Some(group) = group {
                let terms = self.term_stats(group, &analyzed)?;
                let n = analyzed.len();
                if options.exhaustive {
                    self.scan_all(&terms, &sources, &same, min, &mut found)?;
                } else {
                    let mut index = SqliteIndex { conn: &self.conn };
                    let candidates = search::find(
                        &mut index,
                        &terms,
                        min,
                        &|lang| sources.contains(&lang),
                        &|id| same.contains(&id),
                        stats,
                    )?;
                    for c in candidates {
                        found.push(Scored {
                            variant: c.id,
                            score: Score::fuzzy(c.edits, n, c.len),
                        });
                    }
                }
            }
        }
        found.retain(|s| s.score.percent >= min);
        // Best first; among equals, the newest unit first.
        found.sort_by(|a, b| a.score.better(&b.score).then(b.variant.cmp(&a.variant)));
        self.hits(&analyzed, found, &targets, &options.target, options.max)
    }

    /// The stored texts with the query's words key, scored from their text.
    fn same_words(
        &self,
        key: i64,
        sources: &FxHashSet<i64>,
        query: Side<'_>,
        min: u32,
    ) -> Result<Vec<Scored>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT v.id, v.lang, v.text, v.markup, u.prev, u.next
                 FROM variants v JOIN units u ON u.id = v.unit WHERE v.words_key = ?1",
            )
            .map_err(db_error)?;
        let mut rows = stmt.query([key]).map_err(db_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let lang: i64 = row.get(1).map_err(db_error)?;
            if !sources.contains(&lang) {
                continue;
            }
            let id: i64 = row.get(0).map_err(db_error)?;
            let text: String = row.get(2).map_err(db_error)?;
            let markup: Option<String> = row.get(3).map_err(db_error)?;
            let prev: Option<String> = row.get(4).map_err(db_error)?;
            let next: Option<String> = row.get(5).map_err(db_error)?;
            let analyzed = Analyzed::new(&text);
            let tags = inline_tags(markup.as_deref());
            let s = score(
                query,
                Side {
                    text: &analyzed,
                    tags: &tags,
                    prev: prev.as_deref(),
                    next: next.as_deref(),
                },
            );
            if s.percent >= min {
                out.push(Scored {
                    variant: id,
                    score: s,
                });
            }
        }
        Ok(out)
    }

    fn variants_with_key(&self, key: i64) -> Result<FxHashSet<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM variants WHERE words_key = ?1")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([key], |r| r.get::<_, i64>(0))
            .map_err(db_error)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db_error)
    }

    /// Each query token's term in the dictionary of `group`, or `None`.
    fn term_stats(&self, group: i64, analyzed: &Analyzed) -> Result<Vec<Option<TermStat>>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, df FROM terms WHERE grp = ?1 AND token = ?2")
            .map_err(db_error)?;
        let mut seen: FxHashMap<&str, Option<TermStat>> = FxHashMap::default();
        let mut out = Vec::with_capacity(analyzed.len());
        for token in analyzed.folded_tokens() {
            let stat = match seen.get(token) {
                Some(s) => *s,
                None => {
                    let s = stmt
                        .query_row((group, token), |r| {
                            Ok(TermStat {
                                id: r.get::<_, i64>(0)? as u32,
                                df: r.get::<_, i64>(1)?.max(0) as u64,
                            })
                        })
                        .optional()
                        .map_err(db_error)?;
                    seen.insert(token, s);
                    s
                }
            };
            out.push(stat);
        }
        Ok(out)
    }

    /// The exhaustive path: every stored text of a source language, compared by its
    /// stored tokens (texts sharing the words key were scored from their text).
    fn scan_all(
        &self,
        terms: &[Option<TermStat>],
        sources: &FxHashSet<i64>,
        same: &FxHashSet<i64>,
        min: u32,
        found: &mut Vec<Scored>,
    ) -> Result<()> {
        let query: Vec<u32> = terms
            .iter()
            .map(|t| t.map_or(search::UNKNOWN, |t| t.id))
            .collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, lang, tokens FROM variants")
            .map_err(db_error)?;
        let mut rows = stmt.query([]).map_err(db_error)?;
        let mut tokens = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let id: i64 = row.get(0).map_err(db_error)?;
            let lang: i64 = row.get(1).map_err(db_error)?;
            if !sources.contains(&lang) || same.contains(&id) {
                continue;
            }
            let blob = row
                .get_ref(2)
                .map_err(db_error)?
                .as_blob()
                .map_err(|e| db_error(e.into()))?;
            if !decode_ids(blob, &mut tokens) {
                continue;
            }
            // The bound only stops the work early: the distance is exact when within it,
            // and texts beyond it score below `min`.
            let bound = super::score::max_edits(query.len(), tokens.len(), min);
            if let Some(edits) = super::distance::bounded_levenshtein(&query, &tokens, bound) {
                found.push(Scored {
                    variant: id,
                    score: Score::fuzzy(edits, query.len(), tokens.len()),
                });
            }
        }
        Ok(())
    }

    /// Reads the units of the best candidates until `max` have a translation in a
    /// target language.
    fn hits(
        &self,
        query: &Analyzed,
        found: Vec<Scored>,
        targets: &[i64],
        target: &LangTag,
        max: usize,
    ) -> Result<Vec<Hit>> {
        let mut hits: Vec<Hit> = Vec::new();
        let mut units_seen = FxHashSet::default();
        for s in found {
            if hits.len() >= max {
                break;
            }
            let Some(unit_id) = self
                .conn
                .prepare_cached("SELECT unit FROM variants WHERE id = ?1")
                .map_err(db_error)?
                .query_row([s.variant], |r| r.get::<_, i64>(0))
                .optional()
                .map_err(db_error)?
            else {
                continue;
            };
            if !units_seen.insert(unit_id) {
                continue;
            }
            let Some(row) = store::read_unit(&self.conn, &self.langs, unit_id)? else {
                continue;
            };
            let index = (s.variant - row.first_variant) as usize;
            let Some(source) = row.unit.variants.get(index).cloned() else {
                continue;
            };
            let pick = row
                .unit
                .variants
                .iter()
                .enumerate()
                .filter(|(i, v)| {
                    *i != index
                        && self
                            .langs
                            .id(v.lang.as_str())
                            .is_some_and(|id| targets.contains(&id))
                })
                .min_by_key(|(_, v)| v.lang != *target);
            let Some((_, target_variant)) = pick else {
                continue;
            };
            let diff = diff(&Analyzed::new(&source.text), query);
            hits.push(Hit {
                unit: unit_id,
                score: s.score,
                target: target_variant.clone(),
                source,
                diff,
                provenance: row.unit.provenance,
                origin: row.unit.origin,
            });
        }
        Ok(hits)
    }
}
