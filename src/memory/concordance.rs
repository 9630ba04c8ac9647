//! Concordance search: units whose text contains a word or phrase, in any script.
//!
//! The candidates come from an FTS5 trigram index (a substring of three or more
//! characters is found whatever the script) whose rows are blocks of eight units: the
//! case-folded texts of their variants. Each unit of a matching block is then
//! checked, case-insensitively, in Rust, which also finds where to highlight. The
//! trigram index is not maintained by imports (it would triple their time): the
//! first concordance search after a write indexes the new blocks, and units not
//! indexed yet (the last, incomplete block; a read-only file) are scanned. Units
//! deleted after being indexed stay in the index until `bitext reindex` (they are
//! never found: the check reads the units). Terms shorter than three characters
//! use the fuzzy index's tokens when they are one token, else a scan.

use rusqlite::OptionalExtension;
use rustc_hash::FxHashSet;
use serde::Serialize;

use super::counts;
use super::db::DbResultExt;
use super::index;
use super::postings::{text_id, text_index, text_unit, Posting};
use super::store::{self, primary_tag, variant_at, StoredVariant, VariantsBlob};
use super::tokens::{fold, nfc, Analyzed};
use super::Memory;
use crate::error::{Error, Result};
use crate::text::{LangTag, Span};
use crate::unit::Variant;

/// How to search.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConcordanceOptions {
    /// Search only texts in this language (its more specific forms and its other
    /// variants too: `en` and `en-US` for `en-GB`, unless `strict_lang`).
    pub lang: Option<LangTag>,
    /// Show the translation in this language (default: every other variant).
    pub target: Option<LangTag>,
    /// The most hits returned (newest units first).
    pub max: usize,
    /// Match language tags exactly.
    pub strict_lang: bool,
}

/// Where a hit is in a text.
pub type Highlight = Span;

/// A unit containing the term.
#[derive(Debug, Clone, Serialize)]
pub struct ConcordanceHit {
    /// The unit's id.
    pub unit: i64,
    /// The variant that contains the term.
    pub matched: Variant,
    /// Byte spans of the term in `matched.text`.
    pub highlights: Vec<Highlight>,
    /// The other variants shown with it (the target language's, or all others).
    pub others: Vec<Variant>,
}

/// A text folded for searching, with the original byte offset of every folded byte.
struct Folded {
    text: String,
    origin: Vec<usize>,
}

fn fold_with_offsets(text: &str) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len() + 1),
    };
    let mut buf = [0u8; 4];
    for (i, c) in text.char_indices() {
        let f = fold(c.encode_utf8(&mut buf));
        for _ in 0..f.len() {
            out.origin.push(i);
        }
        out.text.push_str(&f);
    }
    out.origin.push(text.len());
    out
}

/// Byte spans of `needle` (folded) in `text`.
fn find_all(text: &str, needle: &str) -> Vec<Span> {
    if needle.is_empty() {
        return Vec::new();
    }
    let folded = fold_with_offsets(text);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = folded.text[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        // Map back; an end inside a folded character extends to its end.
        let s = folded.origin[start];
        let mut e = folded.origin[end];
        if e <= s {
            e = text[s..].chars().next().map_or(s, |c| s + c.len_utf8());
        }
        out.push(Span::new(s, e));
        from = end;
    }
    out
}

/// Units per row of the concordance index: row `b` holds units `8b .. 8b + 7`.
const BLOCK_BITS: u32 = 3;

/// [`Memory::concordance_pending`].
pub(super) fn pending(memory: &Memory) -> Result<i64> {
    let _snapshot = memory.read_snapshot()?;
    let total = counts::concordance_pending(&memory.conn)?;
    if total == 0 {
        return Ok(0);
    }
    // Units of the last, incomplete block are searched without the index.
    let (_, end) = concordance_range(memory)?;
    let mut tail = 0i64;
    let mut stmt = memory
        .conn
        .prepare_cached("SELECT variants FROM units WHERE id > ?1")
        .db()?;
    let mut rows = stmt.query([end]).db()?;
    while let Some(row) = rows.next().db()? {
        let blob = row.get_ref(0).db()?.as_blob().db()?;
        tail += VariantsBlob::new(blob).count() as i64;
    }
    Ok((total - tail).max(0))
}

/// (last unit in the index, last unit the index could hold now: the end of the
/// last block whose unit ids are all taken).
fn concordance_range(memory: &Memory) -> Result<(i64, i64)> {
    let upto = concordance_upto(memory)?;
    let next_unit: i64 =
        match store::meta_get(&memory.conn, "next_unit")?.and_then(|v| v.parse().ok()) {
            Some(n) => n,
            None => memory
                .conn
                .query_row("SELECT coalesce(max(id), 0) + 1 FROM units", [], |r| {
                    r.get(0)
                })
                .db()?,
        };
    let end = ((next_unit >> BLOCK_BITS) << BLOCK_BITS) - 1;
    Ok((upto, end.max(upto)))
}

fn concordance_upto(memory: &Memory) -> Result<i64> {
    Ok(store::meta_get(&memory.conn, "concordance_upto")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// [`Memory::update_concordance`], or with `max_units` [`Memory::update_concordance_some`].
pub(super) fn update(
    memory: &mut Memory,
    max_units: Option<u64>,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let (upto, mut end) = concordance_range(memory)?;
    if let Some(n) = max_units {
        // Whole blocks only: up to the last block end within `n` ids (at least one).
        let n = i64::try_from(n).unwrap_or(i64::MAX).max(2 << BLOCK_BITS);
        let cap = ((upto.saturating_add(1).saturating_add(n) >> BLOCK_BITS) << BLOCK_BITS) - 1;
        end = end.min(cap);
    }
    if end <= upto {
        return Ok(0);
    }
    let tx = memory
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .db()?;
    // Read again inside the write transaction: another process may have done it.
    let upto: i64 = store::meta_get(&tx, "concordance_upto")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut done = 0u64;
    if end > upto {
        let mut select = tx
            .prepare("SELECT id, variants FROM units WHERE id > ?1 AND id <= ?2 ORDER BY id")
            .db()?;
        let mut insert = tx
            .prepare("INSERT INTO concordance(rowid, text) VALUES(?1, ?2)")
            .db()?;
        let mut rows = select.query([upto, end]).db()?;
        let mut block = -1i64;
        let mut text = String::new();
        while let Some(row) = rows.next().db()? {
            let id: i64 = row.get(0).db()?;
            let b = id >> BLOCK_BITS;
            if b != block {
                if !text.is_empty() {
                    insert.execute(rusqlite::params![block, text]).db()?;
                    text.clear();
                    if block % 1024 == 0 {
                        progress(done);
                    }
                }
                block = b;
            }
            let blob = row.get_ref(1).db()?.as_blob().db()?;
            for v in VariantsBlob::new(blob) {
                let v = v.map_err(|e| store::damaged_unit(id, e))?;
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&fold(v.text));
                done += 1;
            }
        }
        if !text.is_empty() {
            insert.execute(rusqlite::params![block, text]).db()?;
        }
        drop(rows);
        store::meta_set(&tx, "concordance_upto", &end.to_string())?;
        counts::concordance_indexed(&tx, done as i64)?;
    }
    tx.commit().db()?;
    progress(done);
    Ok(done)
}

/// [`Memory::concordance`].
pub(super) fn concordance(
    memory: &Memory,
    term: &str,
    options: &ConcordanceOptions,
) -> Result<Vec<ConcordanceHit>> {
    let _snapshot = memory.read_snapshot()?;
    let term = nfc(term.trim()).into_owned();
    if term.is_empty() {
        return Err(Error::invalid("the search term is empty"));
    }
    // Every variant of a language (`en` and `en-US` for `en-GB`), as lookups.
    let lang_ids = |l: &LangTag| -> Vec<i64> {
        memory
            .langs()
            .variants(l, options.strict_lang)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    let search = Search {
        needle: fold(&term),
        langs: options
            .lang
            .as_ref()
            .map(|l| lang_ids(l).into_iter().collect()),
        targets: options.target.as_ref().map(lang_ids),
        max: if options.max == 0 {
            usize::MAX
        } else {
            options.max
        },
    };
    let upto = concordance_upto(memory)?;
    let mut hits = Vec::new();
    // Not yet indexed (newest) first: scan them.
    check_units(memory, upto + 1, i64::MAX, &search, &mut hits)?;
    if hits.len() >= search.max {
        return Ok(hits);
    }
    // Trigrams of the term as given, not only of its folded form: FTS5 folds the query
    // as it folded the indexed texts, which Rust's lower-casing does not always
    // match (`İ` lower-cases to two characters), and would then find nothing.
    let chars: Vec<char> = term.chars().collect();
    if chars.len() >= 3 {
        // FTS5 reads its query as a C string: a trigram with U+0000 cannot be in it.
        // Left out, it only widens the candidates, which are verified anyway.
        let query = chars
            .windows(3)
            .filter(|w| !w.contains(&'\0'))
            .map(|w| {
                let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
                let tri: String = w.iter().collect();
                let folded = fold(&tri);
                // Also the folded form when it is a trigram too (`ẞ` → `ß`, which
                // FTS5's folding may not know).
                if folded != tri && folded.chars().count() == 3 {
                    format!("({} OR {})", quote(&tri), quote(&folded))
                } else {
                    quote(&tri)
                }
            })
            .collect::<FxHashSet<String>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" AND ");
        if query.is_empty() {
            // Every trigram has a U+0000 (no text stored now can contain one; a file
            // from before that rule may): every unit is a candidate.
            check_units(memory, 0, upto, &search, &mut hits)?;
            return Ok(hits);
        }
        let mut stmt = memory
            .conn
            .prepare_cached(
                "SELECT rowid FROM concordance WHERE concordance MATCH ?1 ORDER BY rowid DESC",
            )
            .db()?;
        let mut rows = stmt.query([query]).db()?;
        while let Some(row) = rows.next().db()? {
            let block: i64 = row.get(0).db()?;
            let first = block << BLOCK_BITS;
            let last = (first + (1 << BLOCK_BITS) - 1).min(upto);
            check_units(memory, first, last, &search, &mut hits)?;
            if hits.len() >= search.max {
                return Ok(hits);
            }
        }
    } else {
        let candidates = short_term_candidates(memory, &term, upto, options.lang.as_ref())?;
        let mut reader = store::VariantsReader::new(&memory.conn)?;
        for text in candidates {
            if hits.len() >= search.max {
                break;
            }
            let unit = text_unit(text);
            if hits.iter().any(|h: &ConcordanceHit| h.unit == unit) {
                continue;
            }
            let matches = reader.read(unit, |_, blob| {
                variant_at(blob, text_index(text)).is_ok_and(|v| search.matches(&v))
            })?;
            if matches == Some(true) {
                push_hit(memory, unit, text_index(text), &search, &mut hits)?;
            }
        }
    }
    Ok(hits)
}

/// Checks the units with ids in `first ..= last`, newest first (and in each, the
/// last variants first), adding a hit per unit that contains the term.
fn check_units(
    memory: &Memory,
    first: i64,
    last: i64,
    search: &Search,
    hits: &mut Vec<ConcordanceHit>,
) -> Result<()> {
    if first > last {
        return Ok(());
    }
    let mut stmt = memory
        .conn
        .prepare_cached(
            "SELECT id, variants FROM units WHERE id >= ?1 AND id <= ?2 ORDER BY id DESC",
        )
        .db()?;
    let mut rows = stmt.query([first, last]).db()?;
    while let Some(row) = rows.next().db()? {
        if hits.len() >= search.max {
            break;
        }
        let id: i64 = row.get(0).db()?;
        let blob = row.get_ref(1).db()?.as_blob().db()?;
        let variants: Vec<StoredVariant<'_>> =
            VariantsBlob::new(blob).filter_map(|v| v.ok()).collect();
        for k in (0..variants.len()).rev() {
            if search.matches(&variants[k]) && push_hit(memory, id, k, search, hits)? {
                break;
            }
        }
    }
    Ok(())
}

/// Reads unit `unit` and adds its hit (its variant `index` contains the term), if
/// it has a translation to show; true if it did.
fn push_hit(
    memory: &Memory,
    unit: i64,
    index: usize,
    search: &Search,
    hits: &mut Vec<ConcordanceHit>,
) -> Result<bool> {
    let Some(row) = store::read_unit(&memory.conn, &memory.langs(), unit)? else {
        return Ok(false);
    };
    let Some(matched) = row.unit.variants.get(index).cloned() else {
        return Ok(false);
    };
    let others: Vec<Variant> = row
        .unit
        .variants
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            *i != index
                && match &search.targets {
                    Some(t) => t.contains(&row.langs[*i]),
                    None => true,
                }
        })
        .map(|(_, v)| v.clone())
        .collect();
    if search.targets.is_some() && others.is_empty() {
        return Ok(false);
    }
    hits.push(ConcordanceHit {
        unit,
        highlights: find_all(&matched.text, &search.needle),
        matched,
        others,
    });
    Ok(true)
}

/// Candidates for a term too short for trigrams, newest first: the texts whose
/// tokens include the term when it is one token, else every indexed text.
fn short_term_candidates(
    memory: &Memory,
    term: &str,
    upto: i64,
    lang: Option<&LangTag>,
) -> Result<Vec<i64>> {
    let analyzed = Analyzed::new(term);
    let mut ids = Vec::new();
    if analyzed.len() == 1 {
        let token = analyzed.folded(&analyzed.tokens[0]).to_string();
        let groups: Vec<i64> = match lang {
            Some(l) => memory
                .langs()
                .id(primary_tag(l).as_str())
                .into_iter()
                .collect(),
            None => {
                let mut stmt = memory
                    .conn
                    .prepare_cached("SELECT DISTINCT grp FROM terms WHERE token = ?1")
                    .db()?;
                let rows = stmt.query_map([&token], |r| r.get(0)).db()?;
                rows.collect::<rusqlite::Result<_>>().db()?
            }
        };
        let segments: Vec<i64> = index::segments(&memory.conn)?
            .iter()
            .map(|s| s.id)
            .collect();
        for g in groups {
            let term: Option<i64> = memory
                .conn
                .prepare_cached("SELECT id FROM terms WHERE grp = ?1 AND token = ?2")
                .db()?
                .query_row((g, &token), |r| r.get(0))
                .optional()
                .db()?;
            if let Some(term) = term {
                index::visit_postings(
                    &memory.conn,
                    &segments,
                    term as u32,
                    index::ALL_CLASSES,
                    |p: Posting| {
                        if text_unit(p.variant as i64) <= upto {
                            ids.push(p.variant as i64)
                        }
                    },
                )?;
            }
        }
        // Substrings inside longer tokens would need a scan; a one-token term is
        // searched as a whole word (documented).
    } else {
        let mut stmt = memory
            .conn
            .prepare_cached("SELECT id, variants FROM units WHERE id <= ?1")
            .db()?;
        let mut rows = stmt.query([upto]).db()?;
        while let Some(row) = rows.next().db()? {
            let id: i64 = row.get(0).db()?;
            let blob = row.get_ref(1).db()?.as_blob().db()?;
            let n = VariantsBlob::new(blob).count();
            ids.extend((0..n).map(|k| text_id(id, k)));
        }
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    Ok(ids)
}

/// What a concordance search looks for.
struct Search {
    /// The term, folded.
    needle: String,
    /// Only texts in these languages.
    langs: Option<FxHashSet<i64>>,
    /// Show translations in these languages (and skip units without one).
    targets: Option<Vec<i64>>,
    max: usize,
}

impl Search {
    fn matches(&self, v: &StoredVariant<'_>) -> bool {
        self.langs.as_ref().is_none_or(|l| l.contains(&v.lang))
            && !find_all(v.text, &self.needle).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_case_insensitively_with_original_offsets() {
        let text = "Der STRAẞENBAU und der Straßenbau";
        let spans = find_all(text, &fold("straßenbau"));
        let hits: Vec<&str> = spans.iter().map(|s| s.slice(text)).collect();
        assert_eq!(hits, ["STRAẞENBAU", "Straßenbau"]);
        let text = "Кошка и кошка";
        let hits: Vec<&str> = find_all(text, &fold("КОШК"))
            .iter()
            .map(|s| s.slice(text))
            .collect();
        assert_eq!(hits, ["Кошк", "кошк"]);
    }
}
