//! Concordance search: units whose text contains a word or phrase, in any script.
//!
//! The candidates come from an FTS5 trigram index over every variant's text (a
//! substring of three or more characters is found whatever the script); each is then
//! checked, case-insensitively, in Rust, which also finds where to highlight. The
//! trigram index is not maintained by imports (it would triple their time): the
//! first concordance search after a write indexes the new variants, and texts not
//! indexed yet (a read-only file) are scanned. Terms shorter than three characters
//! use the fuzzy index's tokens when they are one token, else a scan.

use rusqlite::OptionalExtension;
use rustc_hash::FxHashSet;
use serde::Serialize;

use super::schema::db_error;
use super::store::{self, primary_tag};
use super::tokens::{fold, nfc, Analyzed};
use super::Memory;
use crate::error::{Error, Result};
use crate::text::{LangTag, Span};
use crate::unit::Variant;

/// How to search.
#[derive(Debug, Clone, Default)]
pub struct ConcordanceOptions {
    /// Search only texts in this language (and its more specific forms).
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

impl Memory {
    /// How many variants the concordance index has not seen yet (at most; fewer if
    /// some were deleted since). Cheap: no scan.
    pub fn concordance_pending(&self) -> Result<i64> {
        let upto = self.concordance_upto()?;
        let last: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM variants", [], |r| r.get(0))
            .map_err(db_error)?;
        Ok((last.unwrap_or(0) - upto).max(0))
    }

    fn concordance_upto(&self) -> Result<i64> {
        Ok(store::meta_get(&self.conn, "concordance_upto")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Adds the variants written since the last update to the concordance index, in
    /// one transaction; calls `progress(done)` now and then. Returns how many.
    pub fn update_concordance(&mut self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let upto: i64 = store::meta_get(&tx, "concordance_upto")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut after = upto;
        let mut done = 0u64;
        loop {
            let last: Option<i64> = tx
                .query_row(
                    "SELECT max(id) FROM (SELECT id FROM variants WHERE id > ?1 ORDER BY id LIMIT 20000)",
                    [after],
                    |r| r.get(0),
                )
                .map_err(db_error)?;
            let Some(last) = last else { break };
            let n = tx
                .execute(
                    "INSERT INTO concordance(rowid, text) SELECT id, text FROM variants WHERE id > ?1 AND id <= ?2",
                    [after, last],
                )
                .map_err(db_error)?;
            done += n as u64;
            after = last;
            progress(done);
        }
        if after != upto {
            store::meta_set(&tx, "concordance_upto", &after.to_string())?;
        }
        tx.commit().map_err(db_error)?;
        Ok(done)
    }

    /// Units containing `term` (case-insensitive, in NFC), newest first.
    pub fn concordance(
        &self,
        term: &str,
        options: &ConcordanceOptions,
    ) -> Result<Vec<ConcordanceHit>> {
        let _snapshot = self.read_snapshot()?;
        let term = nfc(term.trim()).into_owned();
        if term.is_empty() {
            return Err(Error::invalid("the search term is empty"));
        }
        let needle = fold(&term);
        let langs: Option<FxHashSet<i64>> = options.lang.as_ref().map(|l| {
            self.langs
                .matching(l, options.strict_lang)
                .into_iter()
                .collect()
        });
        let targets: Option<Vec<i64>> = options
            .target
            .as_ref()
            .map(|l| self.langs.matching(l, options.strict_lang));
        let max = if options.max == 0 {
            usize::MAX
        } else {
            options.max
        };
        let upto = self.concordance_upto()?;
        let mut hits = Vec::new();
        let mut units = FxHashSet::default();
        // Not yet indexed (newest) first: scan them.
        let mut tail = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id FROM variants WHERE id > ?1 ORDER BY id DESC")
                .map_err(db_error)?;
            let rows = stmt
                .query_map([upto], |r| r.get::<_, i64>(0))
                .map_err(db_error)?;
            for id in rows {
                tail.push(id.map_err(db_error)?);
            }
        }
        self.check_candidates(&tail, &needle, &langs, &targets, max, &mut hits, &mut units)?;
        if hits.len() >= max {
            return Ok(hits);
        }
        let chars: Vec<char> = needle.chars().collect();
        if chars.len() >= 3 {
            let query = chars
                .windows(3)
                .map(|w| {
                    let tri: String = w.iter().collect();
                    format!("\"{}\"", tri.replace('"', "\"\""))
                })
                .collect::<FxHashSet<String>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(" AND ");
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT rowid FROM concordance WHERE concordance MATCH ?1 ORDER BY rowid DESC",
                )
                .map_err(db_error)?;
            let mut rows = stmt.query([query]).map_err(db_error)?;
            let mut batch = Vec::with_capacity(256);
            while let Some(row) = rows.next().map_err(db_error)? {
                let id: i64 = row.get(0).map_err(db_error)?;
                if id > upto {
                    continue;
                }
                batch.push(id);
                if batch.len() == 256 {
                    self.check_candidates(
                        &batch, &needle, &langs, &targets, max, &mut hits, &mut units,
                    )?;
                    batch.clear();
                    if hits.len() >= max {
                        return Ok(hits);
                    }
                }
            }
            self.check_candidates(
                &batch, &needle, &langs, &targets, max, &mut hits, &mut units,
            )?;
        } else {
            let candidates = self.short_term_candidates(&term, upto, options.lang.as_ref())?;
            self.check_candidates(
                &candidates,
                &needle,
                &langs,
                &targets,
                max,
                &mut hits,
                &mut units,
            )?;
        }
        Ok(hits)
    }

    /// Candidates for a term too short for trigrams: the postings of its token when it
    /// is one, else every indexed variant.
    fn short_term_candidates(
        &self,
        term: &str,
        upto: i64,
        lang: Option<&LangTag>,
    ) -> Result<Vec<i64>> {
        let analyzed = Analyzed::new(term);
        if analyzed.len() == 1 {
            let token = analyzed.folded(&analyzed.tokens[0]).to_string();
            let groups: Vec<i64> = match lang {
                Some(l) => self.langs.id(primary_tag(l).as_str()).into_iter().collect(),
                None => {
                    let mut stmt = self
                        .conn
                        .prepare_cached("SELECT DISTINCT grp FROM terms WHERE token = ?1")
                        .map_err(db_error)?;
                    let rows = stmt.query_map([&token], |r| r.get(0)).map_err(db_error)?;
                    rows.collect::<rusqlite::Result<_>>().map_err(db_error)?
                }
            };
            let mut ids = Vec::new();
            for g in groups {
                let term: Option<i64> = self
                    .conn
                    .prepare_cached("SELECT id FROM terms WHERE grp = ?1 AND token = ?2")
                    .map_err(db_error)?
                    .query_row((g, &token), |r| r.get(0))
                    .optional()
                    .map_err(db_error)?;
                if let Some(term) = term {
                    let lo = term << 20;
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
                        super::postings::for_each_posting(data, |p| {
                            if p.variant as i64 <= upto {
                                ids.push(p.variant as i64)
                            }
                        });
                    }
                }
            }
            // Also substrings inside longer tokens would need a scan; a one-token term
            // is searched as a whole word (documented).
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.dedup();
            return Ok(ids);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM variants WHERE id <= ?1 ORDER BY id DESC")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([upto], |r| r.get::<_, i64>(0))
            .map_err(db_error)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db_error)
    }

    #[allow(clippy::too_many_arguments)]
    fn check_candidates(
        &self,
        ids: &[i64],
        needle: &str,
        langs: &Option<FxHashSet<i64>>,
        targets: &Option<Vec<i64>>,
        max: usize,
        hits: &mut Vec<ConcordanceHit>,
        units: &mut FxHashSet<i64>,
    ) -> Result<()> {
        for &id in ids {
            if hits.len() >= max {
                break;
            }
            let row: Option<(i64, i64, String)> = self
                .conn
                .prepare_cached("SELECT unit, lang, text FROM variants WHERE id = ?1")
                .map_err(db_error)?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(db_error)?;
            let Some((unit, lang, text)) = row else {
                continue;
            };
            if langs.as_ref().is_some_and(|l| !l.contains(&lang)) || units.contains(&unit) {
                continue;
            }
            let spans = find_all(&text, needle);
            if spans.is_empty() {
                continue;
            }
            let Some(row) = store::read_unit(&self.conn, &self.langs, unit)? else {
                continue;
            };
            let index = (id - row.first_variant) as usize;
            let Some(matched) = row.unit.variants.get(index).cloned() else {
                continue;
            };
            let others: Vec<Variant> = row
                .unit
                .variants
                .iter()
                .enumerate()
                .filter(|(i, v)| {
                    *i != index
                        && match targets {
                            Some(t) => self
                                .langs
                                .id(v.lang.as_str())
                                .is_some_and(|id| t.contains(&id)),
                            None => true,
                        }
                })
                .map(|(_, v)| v.clone())
                .collect();
            if targets.is_some() && others.is_empty() {
                continue;
            }
            units.insert(unit);
            hits.push(ConcordanceHit {
                unit,
                matched,
                highlights: spans,
                others,
            });
        }
        Ok(())
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
