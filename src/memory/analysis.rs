//! The CPU-heavy part of adding units, which needs no database and runs on all cores
//! while the writer stores the previous batch: tokens, words keys, text hashes, and a
//! vocabulary of the batch's distinct terms, so that the writer looks each term up
//! once per batch rather than once per occurrence.

use rustc_hash::FxHashMap;

use super::postings::{MAX_LEN, MAX_VARIANTS};
use super::store::primary_tag;
use super::tokens::{text_hash, words_key, Analyzed, StableHasher};
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// Units analysed for storage; see [`AnalyzedBatch::of`].
pub struct AnalyzedBatch {
    pub(crate) units: Vec<Result<AnalyzedUnit>>,
    /// The distinct terms of the batch; [`AnalyzedVariant::tokens`] index it.
    pub(crate) vocab: Vec<VocabTerm>,
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
    /// The primary language (the term's group).
    pub primary: LangTag,
    /// The folded token.
    pub token: Box<str>,
    /// Its fingerprint (see [`fingerprint`]).
    pub fp: u128,
}

/// A unit's texts analysed for storage.
pub(crate) struct AnalyzedUnit {
    /// The index of its source variant.
    pub source: usize,
    pub variants: Vec<AnalyzedVariant>,
}

/// One variant analysed for storage.
pub(crate) struct AnalyzedVariant {
    /// The text in NFC when it differs from the unit's text.
    pub nfc: Option<String>,
    /// The words key (see [`words_key`]).
    pub key: i64,
    /// The hash of the NFC text (see [`text_hash`]).
    pub hash: u64,
    /// Its tokens as indexes in the batch vocabulary.
    pub tokens: Vec<u32>,
    /// One entry per distinct term: (vocabulary index, 1 + its position when it occurs
    /// once, else 0).
    pub postings: Vec<(u32, u32)>,
}

impl AnalyzedVariant {
    /// The NFC text (`original` is the unit's text).
    pub fn text<'a>(&'a self, original: &'a str) -> &'a str {
        self.nfc.as_deref().unwrap_or(original)
    }

    /// The token count as stored in postings.
    pub fn stored_len(&self) -> u32 {
        (self.tokens.len() as u32).min(MAX_LEN)
    }
}

/// Per-variant results of the parallel phase, before the vocabulary is built.
struct Tokenised {
    nfc: Option<String>,
    primary: LangTag,
    key: i64,
    hash: u64,
    /// Fingerprint of each token.
    fps: Vec<u128>,
    /// The folded tokens, end to end, with their ends (for new vocabulary entries).
    folded: String,
    ends: Vec<u32>,
    /// One entry per distinct term: (index of a token with this term, at).
    distinct: Vec<(u32, u32)>,
}

impl AnalyzedBatch {
    /// Analyses `units` on all cores.
    pub fn of(units: &[TranslationUnit]) -> AnalyzedBatch {
        use rayon::prelude::*;
        let tokenised: Vec<Result<(usize, Vec<Tokenised>)>> = if units.len() < 64 {
            units.iter().map(tokenise_unit).collect()
        } else {
            units
                .par_iter()
                .with_min_len(32)
                .map(tokenise_unit)
                .collect()
        };
        let mut vocab: Vec<VocabTerm> = Vec::new();
        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        let units = tokenised
            .into_iter()
            .map(|unit| {
                let (source, variants) = unit?;
                let variants = variants
                    .into_iter()
                    .map(|t| {
                        let tokens: Vec<u32> = t
                            .fps
                            .iter()
                            .enumerate()
                            .map(|(i, &fp)| {
                                *index.entry(fp).or_insert_with(|| {
                                    let start = if i == 0 { 0 } else { t.ends[i - 1] as usize };
                                    vocab.push(VocabTerm {
                                        primary: t.primary.clone(),
                                        token: t.folded[start..t.ends[i] as usize].into(),
                                        fp,
                                    });
                                    vocab.len() as u32 - 1
                                })
                            })
                            .collect();
                        let postings = t
                            .distinct
                            .iter()
                            .map(|&(i, at)| (tokens[i as usize], at))
                            .collect();
                        AnalyzedVariant {
                            nfc: t.nfc,
                            key: t.key,
                            hash: t.hash,
                            tokens,
                            postings,
                        }
                    })
                    .collect();
                Ok(AnalyzedUnit { source, variants })
            })
            .collect();
        AnalyzedBatch { units, vocab }
    }

    /// The number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True if there is no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// A 128-bit fingerprint of a term (primary language and folded token), for the
/// writer's term cache: two independent 64-bit hashes, so distinct terms share one
/// with a probability of about 2^-100 even in a cache of millions.
pub(crate) fn fingerprint(primary: &str, token: &str) -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut fx = rustc_hash::FxBuildHasher.build_hasher();
    fx.write(primary.as_bytes());
    fx.write_u8(0xff);
    fx.write(token.as_bytes());
    let mut fnv = StableHasher::new();
    fnv.write(primary.as_bytes());
    fnv.write(&[0xff]);
    fnv.write(token.as_bytes());
    (u128::from(fx.finish()) << 64) | u128::from(fnv.finish() as u64)
}

/// Checks a unit and tokenises its variants: (source index, variants).
fn tokenise_unit(unit: &TranslationUnit) -> Result<(usize, Vec<Tokenised>)> {
    let filled = unit
        .variants
        .iter()
        .filter(|v| !v.text.trim().is_empty())
        .count();
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
    super::limits::check_unit(unit)?;
    let mut pairs: Vec<(u128, u32)> = Vec::new();
    let variants = unit
        .variants
        .iter()
        .map(|v| {
            let primary = primary_tag(&v.lang);
            let mut analyzed = Analyzed::new(&v.text);
            let key = words_key(primary.as_str(), &analyzed);
            let mut folded = String::with_capacity(v.text.len());
            let mut ends = Vec::with_capacity(analyzed.len());
            let fps: Vec<u128> = analyzed
                .folded_tokens()
                .map(|t| {
                    folded.push_str(t);
                    ends.push(folded.len() as u32);
                    fingerprint(primary.as_str(), t)
                })
                .collect();
            pairs.clear();
            pairs.extend(fps.iter().enumerate().map(|(i, &fp)| (fp, i as u32)));
            pairs.sort_unstable();
            let mut distinct = Vec::with_capacity(pairs.len());
            let mut i = 0;
            while i < pairs.len() {
                let (fp, first) = pairs[i];
                let mut j = i + 1;
                while j < pairs.len() && pairs[j].0 == fp {
                    j += 1;
                }
                let at = if j - i == 1 && first < MAX_LEN {
                    first + 1
                } else {
                    0
                };
                distinct.push((first, at));
                i = j;
            }
            let nfc_text = (analyzed.text != v.text).then(|| std::mem::take(&mut analyzed.text));
            let hash = text_hash(nfc_text.as_deref().unwrap_or(&v.text));
            Tokenised {
                nfc: nfc_text,
                primary,
                key,
                hash,
                fps,
                folded,
                ends,
                distinct,
            }
        })
        .collect();
    Ok((source_index(unit), variants))
}

/// The index of a unit's source variant: the first in its source language, else the
/// first.
pub(crate) fn source_index(unit: &TranslationUnit) -> usize {
    unit.source_lang
        .as_ref()
        .and_then(|sl| unit.variants.iter().position(|v| v.lang == *sl))
        .unwrap_or(0)
}
