//! Fuzzy lookup in a memory file: the SQLite side of [`super::search`], plus exact and
//! same-words matches, scoring and the hits' contents.

use rusqlite::{Connection, OptionalExtension};

use super::index;
use super::postings::{len_classes, text_id, text_index, text_unit, words_key32};
use super::store::{variant_at, VariantsBlob};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::db::DbResultExt;
use super::postings::{decode_ids, Posting};
use super::score::{diff, inline_tags, score, DiffPiece, MatchKind, Score, Side, MAX_FUZZY};
use super::search::{self, SearchStats, TermStat, TokenIndex};
use super::store::{self, primary_tag};
use super::tokens::{words_key, Analyzed};
use super::Memory;
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::{Origin, Provenance, Variant};

/// A text to look up.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
            min_percent: super::LookupRequest::DEFAULT_MIN_PERCENT,
            max: super::LookupRequest::DEFAULT_MAX,
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
    segments: &'c [i64],
    variants: store::VariantsReader<'c>,
}

impl TokenIndex for SqliteIndex<'_> {
    fn postings<F: FnMut(Posting)>(
        &mut self,
        term: u32,
        lens: (usize, usize),
        visit: F,
    ) -> Result<()> {
        let classes = len_classes(lens.0, lens.1);
        index::visit_postings(self.conn, self.segments, term, classes, visit)
    }

    fn tokens(&mut self, id: i64, tokens: &mut Vec<u32>) -> Result<Option<i64>> {
        read_tokens(&mut self.variants, id, tokens)
    }
}

/// Loads the token ids of text `id`; returns its language id, or `None` if the text no
/// longer exists.
fn read_tokens(
    variants: &mut store::VariantsReader<'_>,
    id: i64,
    tokens: &mut Vec<u32>,
) -> Result<Option<i64>> {
    let damaged = || {
        Error::damaged(format!(
            "the memory's index is damaged (tokens of unit {}); run `bitext reindex`",
            text_unit(id)
        ))
    };
    let found = variants.read(text_unit(id), |_, blob| {
        match variant_at(blob, text_index(id)) {
            Ok(v) if decode_ids(v.tokens, tokens) => Ok(Some(v.lang)),
            Ok(_) => Err(damaged()),
            Err("no such variant") => Ok(None),
            Err(_) => Err(damaged()),
        }
    })?;
    found.unwrap_or(Ok(None))
}

/// A scored candidate before its unit is read.
#[derive(Debug, Clone, Copy)]
struct Scored {
    variant: i64,
    score: Score,
}

/// [`Memory::lookup_with_stats`].
pub(super) fn lookup(
    memory: &Memory,
    query: &Query,
    options: &LookupOptions,
    stats: &mut SearchStats,
) -> Result<Vec<Hit>> {
    // One read transaction: one consistent snapshot, and no locking per statement.
    let _snapshot = memory.read_snapshot()?;
    let analyzed = Analyzed::new(&query.text);
    if analyzed.is_empty() {
        return Err(Error::invalid("the query is empty"));
    }
    // The languages searched, each with its variant penalty (0 for the one asked
    // for and its more specific forms).
    let source_langs = memory.langs().variants(&query.lang, options.strict_lang);
    let sources: FxHashSet<i64> = source_langs.iter().map(|&(id, _)| id).collect();
    let targets = memory
        .langs()
        .variants(&options.target, options.strict_lang);
    let langs = LangPenalties {
        sources: &source_langs,
        targets: &targets,
    };
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

    let segments: Vec<i64> = index::segments(&memory.conn)?
        .iter()
        .map(|s| s.id)
        .collect();
    let (mut found, same) = same_words(memory, key, &segments, &sources, qside, min)?;
    // Same-words matches score 95 or more, fuzzy ones at most 94: when the former
    // fill the list already, no fuzzy match can enter it.
    // (A variant penalty can take a same-words match below 95: then not.)
    if !options.exhaustive && !found.is_empty() && min <= MAX_FUZZY {
        found.sort_by(|a, b| a.score.better(&b.score).then(b.variant.cmp(&a.variant)));
        let hits = hits(memory, &analyzed, found.clone(), langs, options, min)?;
        if hits.len() >= options.max && hits.iter().all(|h| h.score.percent > MAX_FUZZY) {
            return Ok(hits);
        }
    }
    if min <= MAX_FUZZY {
        let group = memory.langs().group(&query.lang);
        if let Some(group) = group {
            let terms = term_stats(memory, group, &analyzed)?;
            let n = analyzed.len();
            if options.exhaustive {
                scan_all(memory, &terms, &sources, &same, min, &mut found)?;
            } else {
                let mut index = SqliteIndex {
                    conn: &memory.conn,
                    segments: &segments,
                    variants: store::VariantsReader::new(&memory.conn)?,
                };
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
    hits(memory, &analyzed, found, langs, options, min)
}

/// The stored texts with the query's words key, scored from their text, and the
/// set of all texts with the same words (whatever their score), which the fuzzy
/// search then skips. Texts whose 32-bit key only collides with the query's are
/// left to the fuzzy search.
fn same_words(
    memory: &Memory,
    key: i64,
    segments: &[i64],
    sources: &FxHashSet<i64>,
    query: Side<'_>,
    min: u32,
) -> Result<(Vec<Scored>, FxHashSet<i64>)> {
    let mut entries = Vec::new();
    index::words_entries(&memory.conn, segments, words_key32(key), None, &mut entries)?;
    let mut out = Vec::new();
    let mut same = FxHashSet::default();
    let mut stmt = memory
        .conn
        .prepare_cached("SELECT prev, next, variants FROM units WHERE id = ?1")
        .db()?;
    for e in entries {
        let mut rows = stmt.query([text_unit(e.text)]).db()?;
        let Some(row) = rows.next().db()? else {
            continue;
        };
        let blob = row.get_ref(2).db()?.as_blob().db()?;
        let Ok(v) = variant_at(blob, text_index(e.text)) else {
            continue;
        };
        if !sources.contains(&v.lang) {
            continue;
        }
        let prev: Option<String> = row.get(0).db()?;
        let next: Option<String> = row.get(1).db()?;
        let analyzed = Analyzed::new(v.text);
        let tags = inline_tags(v.markup);
        let s = score(
            query,
            Side {
                text: &analyzed,
                tags: &tags,
                prev: prev.as_deref(),
                next: next.as_deref(),
            },
        );
        if s.kind == MatchKind::Fuzzy {
            continue;
        }
        same.insert(e.text);
        if s.percent >= min {
            out.push(Scored {
                variant: e.text,
                score: s,
            });
        }
    }
    Ok((out, same))
}

/// Each query token's term in the dictionary of `group`, or `None`.
fn term_stats(memory: &Memory, group: i64, analyzed: &Analyzed) -> Result<Vec<Option<TermStat>>> {
    let mut stmt = memory
        .conn
        .prepare_cached("SELECT id, df FROM terms WHERE grp = ?1 AND token = ?2")
        .db()?;
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
                    .db()?;
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
    memory: &Memory,
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
    let mut stmt = memory
        .conn
        .prepare_cached("SELECT id, variants FROM units")
        .db()?;
    let mut rows = stmt.query([]).db()?;
    let mut tokens = Vec::new();
    while let Some(row) = rows.next().db()? {
        let unit: i64 = row.get(0).db()?;
        let blob = row.get_ref(1).db()?.as_blob().db()?;
        for (k, v) in VariantsBlob::new(blob).enumerate() {
            let Ok(v) = v else { break };
            let id = text_id(unit, k);
            if !sources.contains(&v.lang) || same.contains(&id) {
                continue;
            }
            if !decode_ids(v.tokens, &mut tokens) {
                continue;
            }
            // The bound only stops the work early: the distance is exact when
            // within it, and texts beyond it score below `min`.
            let bound = super::score::max_edits(query.len(), tokens.len(), min);
            if let Some(edits) = super::distance::bounded_levenshtein(&query, &tokens, bound) {
                found.push(Scored {
                    variant: id,
                    score: Score::fuzzy(edits, query.len(), tokens.len()),
                });
            }
        }
    }
    Ok(())
}

/// Reads the units of the best candidates (`found`, best first) until `max` have a
/// translation in a target language, with the variant penalties of their languages.
fn hits(
    memory: &Memory,
    query: &Analyzed,
    found: Vec<Scored>,
    langs: LangPenalties<'_>,
    options: &LookupOptions,
    min: u32,
) -> Result<Vec<Hit>> {
    let (target, max) = (&options.target, options.max);
    let order = |a: &Scored, b: &Scored| a.score.better(&b.score).then(b.variant.cmp(&a.variant));
    // Each hit with its candidate, penalised.
    let mut hits: Vec<(Scored, Hit)> = Vec::new();
    let mut units_seen = FxHashSet::default();
    for s in found {
        if hits.len() >= max {
            // A penalty only lowers a score: once the list is full, a candidate
            // not better than its last cannot enter it (without penalties, no
            // candidate after the list is).
            if !langs.any() || order(&s, &hits[max - 1].0).is_ge() {
                break;
            }
        }
        let unit_id = text_unit(s.variant);
        if !units_seen.insert(unit_id) {
            continue;
        }
        let Some(row) = store::read_unit(&memory.conn, &memory.langs(), unit_id)? else {
            continue;
        };
        let index = text_index(s.variant);
        let Some(source) = row.unit.variants.get(index).cloned() else {
            continue;
        };
        // The translation in the language asked for, else a more specific form,
        // else another variant.
        let pick = row
            .unit
            .variants
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(i, v)| Some((langs.target(row.langs[i])?, v.lang != *target, v)))
            .min_by_key(|&(penalty, inexact, _)| (penalty, inexact));
        let Some((target_penalty, _, target_variant)) = pick else {
            continue;
        };
        let penalty = target_penalty + langs.source(row.langs[index]).unwrap_or(0);
        let scored = Scored {
            variant: s.variant,
            score: s.score.with_language_penalty(penalty),
        };
        if scored.score.percent < min {
            continue;
        }
        let diff = diff(&Analyzed::new(&source.text), query);
        let hit = Hit {
            unit: unit_id,
            score: scored.score,
            target: target_variant.clone(),
            source,
            diff,
            provenance: row.unit.provenance,
            origin: row.unit.origin,
        };
        let at = hits.partition_point(|(h, _)| order(h, &scored).is_le());
        hits.insert(at, (scored, hit));
        hits.truncate(max);
    }
    Ok(hits.into_iter().map(|(_, hit)| hit).collect())
}

/// The languages of a lookup with their variant penalties (see
/// [`super::store::LangCache::variants`]).
#[derive(Clone, Copy)]
struct LangPenalties<'a> {
    sources: &'a [(i64, u32)],
    targets: &'a [(i64, u32)],
}

impl LangPenalties<'_> {
    /// The penalty of a source language id, `None` if not searched.
    fn source(&self, id: i64) -> Option<u32> {
        self.sources.iter().find(|l| l.0 == id).map(|l| l.1)
    }

    /// The penalty of a target language id, `None` if not wanted.
    fn target(&self, id: i64) -> Option<u32> {
        self.targets.iter().find(|l| l.0 == id).map(|l| l.1)
    }

    /// True if some language has a penalty.
    fn any(&self) -> bool {
        self.sources.iter().chain(self.targets).any(|l| l.1 > 0)
    }
}
