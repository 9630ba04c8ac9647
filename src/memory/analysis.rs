//! The CPU-heavy part of adding units, which needs no database and runs on all cores
//! while the writer stores the previous batch: tokens, words keys, text hashes, and a
//! vocabulary of the batch's distinct terms, so that the writer looks each term up
//! once per batch rather than once per occurrence.
//!
//! A batch keeps its tokens and postings in a few flat arrays (variants hold ranges
//! into them): an import analyses millions of texts, and a handful of allocations per
//! text would cost as much as the analysis itself.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::postings::{MAX_LEN, MAX_VARIANTS};
use super::store::primary_tag;
use super::tokens::{text_hash, words_key, Analyzed};
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// Units analysed for storage; see [`AnalyzedBatch::of`].
pub struct AnalyzedBatch {
    pub(crate) units: Vec<Result<AnalyzedUnit>>,
    variants: Vec<AnalyzedVariant>,
    /// The distinct terms of the batch; [`AnalyzedBatch::tokens`] index it.
    pub(crate) vocab: Vec<VocabTerm>,
    /// The primary languages (term groups) of the batch: [`VocabTerm::group`] indexes
    /// it.
    groups: Vec<LangTag>,
    /// The languages of the batch's variants: [`AnalyzedVariant::lang`] indexes it.
    pub(crate) langs: Vec<LangTag>,
    /// The vocabulary's tokens, end to end.
    vocab_text: String,
    tokens: Vec<u32>,
    postings: Vec<(u32, u32)>,
}

impl std::fmt::Debug for AnalyzedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AnalyzedBatch({} units, {} terms)",
            self.units.len(),
            self.vocab.len()
        )
    }
}

/// A term of a batch's vocabulary.
#[derive(Debug)]
pub(crate) struct VocabTerm {
    /// Its primary language (the term's group), an index in the batch's groups.
    group: u32,
    /// The folded token: a range of the batch's vocabulary text (of a chunk's
    /// folded tokens while the chunk is being tokenised).
    token: Range<u32>,
    /// Its fingerprint (see [`fingerprint`]).
    pub fp: u128,
}

/// Adds a new term to a vocabulary (its folded token appended to `text`); its id.
fn push_term(
    text: &mut String,
    vocab: &mut Vec<VocabTerm>,
    group: u32,
    token: &str,
    fp: u128,
) -> u32 {
    let from = text.len() as u32;
    text.push_str(token);
    vocab.push(VocabTerm {
        group,
        token: from..text.len() as u32,
        fp,
    });
    vocab.len() as u32 - 1
}

/// A unit's texts analysed for storage.
pub(crate) struct AnalyzedUnit {
    /// The index of its source variant.
    pub source: usize,
    /// Its variants in the batch.
    variants: Range<u32>,
}

/// One variant analysed for storage.
pub(crate) struct AnalyzedVariant {
    /// Its language, an index in the batch's languages.
    pub lang: u32,
    /// The text in NFC when it differs from the unit's text.
    pub nfc: Option<String>,
    /// The words key (see [`words_key`]).
    pub key: i64,
    /// The hash of the NFC text (see [`text_hash`]).
    pub hash: u64,
    /// Its tokens in the batch's token array.
    tokens: Range<u32>,
    /// Its postings in the batch's postings array.
    postings: Range<u32>,
}

impl AnalyzedVariant {
    /// The NFC text (`original` is the unit's text).
    pub fn text<'a>(&'a self, original: &'a str) -> &'a str {
        self.nfc.as_deref().unwrap_or(original)
    }

    /// The token count as stored in postings.
    pub fn stored_len(&self) -> u32 {
        (self.tokens.end - self.tokens.start).min(MAX_LEN)
    }
}

impl AnalyzedBatch {
    /// Refuses unit `i` of the batch with `err` unless its analysis already failed:
    /// the writer reports `err` as that unit's outcome and stores nothing of it.
    pub fn refuse(&mut self, i: usize, err: Error) {
        if let Some(unit @ Ok(_)) = self.units.get_mut(i) {
            *unit = Err(err);
        }
    }

    /// Analyses `units` on all cores.
    pub fn of(units: &[TranslationUnit]) -> AnalyzedBatch {
        use rayon::prelude::*;
        let (langs, groups, group_of) = batch_groups(units);
        let seeds: Vec<[u64; 2]> = groups
            .iter()
            .map(|g| fingerprint_seed(g.as_str()))
            .collect();
        let chunks: Vec<Chunk> = if units.len() < 2 * CHUNK {
            vec![tokenise_chunk(units, &groups, &seeds, &group_of)]
        } else {
            units
                .par_chunks(CHUNK)
                .map(|chunk| tokenise_chunk(chunk, &groups, &seeds, &group_of))
                .collect()
        };
        drop(group_of);
        let mut batch = AnalyzedBatch {
            units: Vec::with_capacity(units.len()),
            variants: Vec::with_capacity(units.len() * 2),
            vocab: Vec::new(),
            groups,
            langs,
            vocab_text: String::new(),
            tokens: Vec::with_capacity(chunks.iter().map(|c| c.tokens.len()).sum()),
            postings: Vec::with_capacity(chunks.iter().map(|c| c.distinct.len()).sum()),
        };
        // About one distinct term in four tokens: room for them, so the map rarely
        // grows.
        let mut index: FxHashMap<u128, u32> =
            FxHashMap::with_capacity_and_hasher(batch.tokens.capacity() / 4, Default::default());
        let mut batch_ids = Vec::new();
        for chunk in chunks {
            batch.add_chunk(chunk, &mut index, &mut batch_ids);
        }
        batch
    }

    /// Moves a chunk's results into the batch: its terms looked up in (or added to)
    /// the batch vocabulary by fingerprint, once each; `batch_ids` is scratch space.
    fn add_chunk(
        &mut self,
        chunk: Chunk,
        index: &mut FxHashMap<u128, u32>,
        batch_ids: &mut Vec<u32>,
    ) {
        batch_ids.clear();
        for term in &chunk.vocab {
            let id = *index.entry(term.fp).or_insert_with(|| {
                let token = &chunk.folded[term.token.start as usize..term.token.end as usize];
                push_term(
                    &mut self.vocab_text,
                    &mut self.vocab,
                    term.group,
                    token,
                    term.fp,
                )
            });
            batch_ids.push(id);
        }
        let mut variants = chunk.variants.into_iter();
        let (mut token, mut distinct) = (0usize, 0usize);
        for unit in chunk.units {
            let (source, count) = match unit {
                Ok(ok) => ok,
                Err(e) => {
                    self.units.push(Err(e));
                    continue;
                }
            };
            let first = self.variants.len() as u32;
            for t in variants.by_ref().take(count) {
                let tokens_from = self.tokens.len() as u32;
                let tokens = &chunk.tokens[token..token + t.tokens as usize];
                self.tokens
                    .extend(tokens.iter().map(|&local| batch_ids[local as usize]));
                let postings_from = self.postings.len() as u32;
                let postings = &chunk.distinct[distinct..distinct + t.distinct as usize];
                self.postings.extend(
                    postings
                        .iter()
                        .map(|&(local, at)| (batch_ids[local as usize], at)),
                );
                token += t.tokens as usize;
                distinct += t.distinct as usize;
                self.variants.push(AnalyzedVariant {
                    lang: t.lang,
                    nfc: t.nfc,
                    key: t.key,
                    hash: t.hash,
                    tokens: tokens_from..self.tokens.len() as u32,
                    postings: postings_from..self.postings.len() as u32,
                });
            }
            self.units.push(Ok(AnalyzedUnit {
                source,
                variants: first..self.variants.len() as u32,
            }));
        }
    }

    /// The number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True if there is no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// A unit's variants.
    pub(crate) fn variants(&self, unit: &AnalyzedUnit) -> &[AnalyzedVariant] {
        &self.variants[unit.variants.start as usize..unit.variants.end as usize]
    }

    /// A variant's tokens, as indexes in the vocabulary.
    pub(crate) fn tokens(&self, variant: &AnalyzedVariant) -> &[u32] {
        &self.tokens[variant.tokens.start as usize..variant.tokens.end as usize]
    }

    /// A variant's postings: one per distinct term, (vocabulary index, 1 + its
    /// position when it occurs once, else 0).
    pub(crate) fn postings(&self, variant: &AnalyzedVariant) -> &[(u32, u32)] {
        &self.postings[variant.postings.start as usize..variant.postings.end as usize]
    }

    /// A vocabulary term's folded token.
    pub(crate) fn token(&self, term: &VocabTerm) -> &str {
        &self.vocab_text[term.token.start as usize..term.token.end as usize]
    }

    /// A vocabulary term's group (primary language).
    pub(crate) fn group(&self, term: &VocabTerm) -> &LangTag {
        &self.groups[term.group as usize]
    }
}

/// Units tokenised by one task.
const CHUNK: usize = 128;

/// The languages of a batch, their primary languages, and the index in them of each
/// language tag: (language, group).
#[allow(clippy::type_complexity)]
fn batch_groups(
    units: &[TranslationUnit],
) -> (Vec<LangTag>, Vec<LangTag>, FxHashMap<&str, (u32, u32)>) {
    let (mut langs, mut groups) = (Vec::new(), Vec::<LangTag>::new());
    let mut by_tag: FxHashMap<&str, (u32, u32)> = FxHashMap::default();
    for v in units.iter().flat_map(|u| &u.variants) {
        by_tag.entry(v.lang.as_str()).or_insert_with(|| {
            langs.push(v.lang.clone());
            let primary = primary_tag(&v.lang);
            let group = match groups.iter().position(|g| *g == primary) {
                Some(i) => i as u32,
                None => {
                    groups.push(primary);
                    groups.len() as u32 - 1
                }
            };
            (langs.len() as u32 - 1, group)
        });
    }
    (langs, groups, by_tag)
}

/// What tokenising a run of units gives, in flat arrays (one allocation each per
/// chunk, not per text).
struct Chunk {
    /// Per unit: (source index, number of variants) or why it is refused.
    units: Vec<Result<(usize, usize)>>,
    variants: Vec<TokenisedVariant>,
    /// The distinct terms of the chunk; `tokens` and `distinct` index them.
    vocab: Vec<VocabTerm>,
    /// The folded tokens of `vocab`, end to end.
    folded: String,
    /// The term of each token.
    tokens: Vec<u32>,
    /// One entry per distinct term of a variant: (term, 1 + its position when it
    /// occurs once, else 0).
    distinct: Vec<(u32, u32)>,
}

/// A variant of a [`Chunk`].
struct TokenisedVariant {
    lang: u32,
    nfc: Option<String>,
    key: i64,
    hash: u64,
    /// Its number of tokens and of distinct terms in the chunk's arrays.
    tokens: u32,
    distinct: u32,
}

/// Tokenises `units`; `groups` and `group_of` are [`batch_groups`]', `seeds` the
/// fingerprint seed of each group.
fn tokenise_chunk(
    units: &[TranslationUnit],
    groups: &[LangTag],
    seeds: &[[u64; 2]],
    group_of: &FxHashMap<&str, (u32, u32)>,
) -> Chunk {
    // Sized from the text so the arrays rarely grow (each growth copies them): about
    // one token per 4 bytes, the folded tokens no longer than the text.
    let text_bytes: usize = units
        .iter()
        .flat_map(|u| &u.variants)
        .map(|v| v.text.len())
        .sum();
    let mut chunk = Chunk {
        units: Vec::with_capacity(units.len()),
        variants: Vec::with_capacity(units.len() * 2),
        vocab: Vec::with_capacity(text_bytes / 8),
        folded: String::with_capacity(text_bytes / 2),
        tokens: Vec::with_capacity(text_bytes / 4),
        distinct: Vec::with_capacity(text_bytes / 4),
    };
    let mut terms: FxHashMap<u128, u32> =
        FxHashMap::with_capacity_and_hasher(text_bytes / 8, Default::default());
    let mut analyzed = Analyzed::default();
    let mut pairs: Vec<u64> = Vec::new();
    for unit in units {
        if let Err(e) = check(unit) {
            chunk.units.push(Err(e));
            continue;
        }
        for v in &unit.variants {
            let (lang, group) = group_of[v.lang.as_str()];
            let primary = groups[group as usize].as_str();
            let changed = analyzed.set(&v.text);
            let key = words_key(primary, &analyzed);
            let seed = seeds[group as usize];
            let token_from = chunk.tokens.len();
            for t in analyzed.folded_tokens() {
                let fp = fingerprint(seed, t);
                let id = *terms.entry(fp).or_insert_with(|| {
                    push_term(&mut chunk.folded, &mut chunk.vocab, group, t, fp)
                });
                chunk.tokens.push(id);
            }
            let distinct_from = chunk.distinct.len();
            distinct_terms(&chunk.tokens[token_from..], &mut pairs, &mut chunk.distinct);
            let nfc = changed.then(|| analyzed.text.clone());
            let hash = text_hash(nfc.as_deref().unwrap_or(&v.text));
            chunk.variants.push(TokenisedVariant {
                lang,
                nfc,
                key,
                hash,
                tokens: (chunk.tokens.len() - token_from) as u32,
                distinct: (chunk.distinct.len() - distinct_from) as u32,
            });
        }
        chunk
            .units
            .push(Ok((source_index(unit), unit.variants.len())));
    }
    chunk
}

/// Appends to `distinct` one entry per distinct term of a text's `tokens` (term
/// ids): (term, 1 + its position when it occurs once, else 0), in term order. `pairs`
/// is scratch space.
fn distinct_terms(tokens: &[u32], pairs: &mut Vec<u64>, distinct: &mut Vec<(u32, u32)>) {
    // Term and position in one word: one sort of plain integers.
    pairs.clear();
    pairs.extend(
        tokens
            .iter()
            .enumerate()
            .map(|(i, &term)| (u64::from(term) << 32) | i as u64),
    );
    pairs.sort_unstable();
    let mut i = 0;
    while i < pairs.len() {
        let term = (pairs[i] >> 32) as u32;
        let at_first = pairs[i] as u32;
        let mut j = i + 1;
        while j < pairs.len() && (pairs[j] >> 32) as u32 == term {
            j += 1;
        }
        let at = if j - i == 1 && at_first < MAX_LEN {
            at_first + 1
        } else {
            0
        };
        distinct.push((term, at));
        i = j;
    }
}

/// Whether a variant has content: text, or inline markup alone (a segment that holds
/// only an inline code, common in CAT tools' memories, is still a segment).
pub fn has_content(v: &crate::unit::Variant) -> bool {
    v.text.chars().any(|c| !c.is_whitespace()) || v.markup.as_deref().is_some_and(|m| !m.is_empty())
}

/// Checks that a unit can be stored.
fn check(unit: &TranslationUnit) -> Result<()> {
    let filled = unit.variants.iter().filter(|v| has_content(v)).count();
    if filled < 2 {
        return Err(Error::invalid(
            "a unit needs text in at least two languages",
        ));
    }
    if filled < unit.variants.len() {
        return Err(Error::invalid("a unit has a variant with empty text"));
    }
    if unit.variants.len() > MAX_VARIANTS {
        return Err(Error::invalid(format!(
            "a unit has {} variants; a memory keeps at most {MAX_VARIANTS} per unit",
            unit.variants.len()
        )));
    }
    super::limits::check_unit(unit)
}

/// The seed of the fingerprints of a language group's terms.
pub(crate) fn fingerprint_seed(primary: &str) -> [u64; 2] {
    [
        mix(0x243f_6a88_85a3_08d3, primary.as_bytes()),
        mix(0x1319_8a2e_0370_7344, primary.as_bytes()),
    ]
}

/// A 128-bit fingerprint of a term (its group's seed and folded token), for the
/// writer's term cache: two 64-bit hashes with independent seeds and multipliers, so
/// distinct terms share one with a probability of about 2^-100 even in a cache of
/// millions. Never stored: it may change between versions.
pub(crate) fn fingerprint(seed: [u64; 2], token: &str) -> u128 {
    let bytes = token.as_bytes();
    (u128::from(mix(seed[0], bytes)) << 64) | u128::from(mix2(seed[1], bytes))
}

/// A fast hash of `bytes`, 8 at a time.
fn mix(seed: u64, bytes: &[u8]) -> u64 {
    hash_words(seed, 0x9e37_79b9_7f4a_7c15, bytes)
}

/// [`mix`] with another multiplier.
fn mix2(seed: u64, bytes: &[u8]) -> u64 {
    hash_words(seed, 0xc2b2_ae3d_27d4_eb4f, bytes)
}

fn hash_words(seed: u64, k: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(k);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(k).rotate_left(29);
    }
    h = (h ^ super::tokens::le_tail(chunks.remainder())).wrapping_mul(k);
    h ^= h >> 32;
    h = h.wrapping_mul(k);
    h ^ (h >> 29)
}

/// The index of a unit's source variant: the first in its source language, else the
/// first.
pub(crate) fn source_index(unit: &TranslationUnit) -> usize {
    unit.source_lang
        .as_ref()
        .and_then(|sl| unit.variants.iter().position(|v| v.lang == *sl))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct(tokens: &[u32]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        distinct_terms(tokens, &mut Vec::new(), &mut out);
        out
    }

    #[test]
    fn distinct_terms_give_each_term_once_with_its_single_position() {
        // Terms 7 (twice), 5, 9: in term order 5, 7, 9.
        assert_eq!(distinct(&[7, 5, 7, 9]), vec![(5, 2), (7, 0), (9, 4)]);
        assert_eq!(distinct(&[]), vec![]);
        assert_eq!(distinct(&[u32::MAX, 0]), vec![(0, 2), (u32::MAX, 1)]);
    }

    #[test]
    fn a_batch_maps_chunk_terms_to_one_vocabulary() {
        use crate::text::LangTag;
        let (en, ru) = (LangTag::parse("en").unwrap(), LangTag::parse("ru").unwrap());
        // More than two chunks, so the terms of several chunks are merged.
        let units: Vec<TranslationUnit> = (0..3 * CHUNK)
            .map(|i| {
                TranslationUnit::pair(
                    en.clone(),
                    format!("The file {i} is open, the file."),
                    ru.clone(),
                    "Файл открыт.",
                )
            })
            .collect();
        let batch = AnalyzedBatch::of(&units);
        let term = |t: u32| batch.token(&batch.vocab[t as usize]).to_string();
        let mut seen = std::collections::HashSet::new();
        for t in &batch.vocab {
            assert!(
                seen.insert((t.group, batch.token(t).to_string())),
                "one entry per term"
            );
        }
        for (k, unit) in batch.units.iter().enumerate() {
            let unit = unit.as_ref().unwrap();
            let [source, target] = batch.variants(unit) else {
                panic!()
            };
            let words: Vec<String> = batch.tokens(source).iter().map(|&t| term(t)).collect();
            assert_eq!(
                words,
                [
                    "the",
                    "file",
                    &k.to_string(),
                    "is",
                    "open",
                    ",",
                    "the",
                    "file",
                    "."
                ]
            );
            let postings: Vec<(String, u32)> = batch
                .postings(source)
                .iter()
                .map(|&(t, at)| (term(t), at))
                .collect();
            assert_eq!(postings.len(), 7, "{postings:?}");
            assert!(postings.contains(&("the".to_string(), 0)));
            assert!(postings.contains(&("open".to_string(), 5)));
            let words: Vec<String> = batch.tokens(target).iter().map(|&t| term(t)).collect();
            assert_eq!(words, ["файл", "открыт", "."]);
        }
    }
}
