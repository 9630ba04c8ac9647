//! Lexical evidence: which words of one side can stand for which words of the other,
//! and how much a match between two sentences says about them being translations.
//!
//! Evidence comes from *links* between word types of the two sides:
//!
//! * identical tokens after folding: numbers, URLs, names, acronyms, the punctuation
//!   classes of [`super::tokens`];
//! * cognates: words whose [skeletons](super::translit::skeleton) are close by
//!   normalised edit distance (`Westphalia` ~ `Vesfalia`, `Putin` ~ `Путин`);
//! * a user dictionary ([`Dictionary`]);
//! * the lexicon learned from the document pair itself ([`super::model1`]).
//!
//! Each link says "if `s` is in a sentence, its translation contains `t` with
//! probability p". Against a random target sentence, which contains `t` with
//! probability q (its document frequency), a match is worth log(p/q) and the absence
//! of every counterpart costs log((1-p)/(1-q)): a naive-Bayes log-likelihood ratio.
//! Both directions are counted with weight ½, so the score does not depend on which
//! side is called the source.

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use super::tokens::{tokenize, tokenize_with, TokenKind};
use super::translit::{fold, skeleton};
use crate::error::{Error, Location, Result};

/// A type of the vocabulary of one side.
#[derive(Debug, Clone)]
pub(crate) struct TypeInfo {
    pub key: String,
    pub kind: TokenKind,
    pub folded: String,
    /// Skeleton as characters (empty for non-words).
    pub skeleton: Vec<char>,
}

/// The token types of one language side of a batch.
#[derive(Debug, Default)]
pub(crate) struct Vocab {
    map: FxHashMap<String, u32>,
    pub types: Vec<TypeInfo>,
}

impl Vocab {
    #[cfg(test)]
    pub fn intern(&mut self, token: super::tokens::Token) -> u32 {
        self.intern_str(token.kind, &token.key)
    }

    pub fn intern_str(&mut self, kind: TokenKind, key: &str) -> u32 {
        if let Some(&id) = self.map.get(key) {
            return id;
        }
        let id = self.types.len() as u32;
        let folded = match kind {
            TokenKind::Word => fold(hangul_stem(key)),
            TokenKind::Ideograph => fold(key),
            _ => key.to_string(),
        };
        let skeleton = match kind {
            TokenKind::Word => skeleton(&folded).chars().collect(),
            _ => Vec::new(),
        };
        self.types.push(TypeInfo {
            key: key.to_string(),
            kind,
            folded,
            skeleton,
        });
        self.map.insert(key.to_string(), id);
        id
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }
}

/// Sentence indices per type, for one side of one document.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    /// Type → (list number, start in `flat`, length).
    index: FxHashMap<u32, (u32, u32, u32)>,
    flat: Vec<u32>,
    lists: u32,
    /// The type of each list, and its length (lists are numbered by type).
    list_type: Vec<u32>,
    list_len: Vec<u32>,
}

impl Postings {
    fn build(types: &[Vec<u32>]) -> Postings {
        // Counting sort by type: sentences come out ascending within each list.
        let top = types
            .iter()
            .flatten()
            .copied()
            .max()
            .map_or(0, |t| t as usize + 1);
        let mut count = vec![0u32; top];
        for &t in types.iter().flatten() {
            count[t as usize] += 1;
        }
        let mut index = FxHashMap::default();
        let mut next = vec![0u32; top];
        let (mut start, mut lists) = (0u32, 0u32);
        let (mut list_type, mut list_len) = (Vec::new(), Vec::new());
        for (t, &c) in count.iter().enumerate() {
            if c > 0 {
                index.insert(t as u32, (lists, start, c));
                list_type.push(t as u32);
                list_len.push(c);
                next[t] = start;
                start += c;
                lists += 1;
            }
        }
        let mut flat = vec![0u32; start as usize];
        for (i, ts) in types.iter().enumerate() {
            for &t in ts {
                flat[next[t as usize] as usize] = i as u32;
                next[t as usize] += 1;
            }
        }
        Postings {
            index,
            flat,
            lists,
            list_type,
            list_len,
        }
    }

    /// The list number of type `t`, if it occurs.
    fn list_of(&self, t: u32) -> Option<u32> {
        self.index.get(&t).map(|&(list, _, _)| list)
    }

    /// Number of lists (types), for [`Postings::cursors`].
    pub fn cursors(&self) -> Vec<u32> {
        vec![0; self.lists as usize]
    }

    /// Where the sentences of `t` are stored (for [`Postings::within_forward`]).
    fn locate(&self, t: u32) -> (u32, u32, u32) {
        self.index.get(&t).copied().unwrap_or((0, 0, 0))
    }

    /// The sentences of a counterpart within `[lo, hi)`, for windows that only move
    /// forward: `cursors` (from
    /// [`Postings::cursors`]) remembers where each list's last window started, and
    /// the search gallops on from there.
    #[inline]
    pub fn within_forward(
        &self,
        c: &Counterpart,
        lo: usize,
        hi: usize,
        cursors: &mut [u32],
    ) -> &[u32] {
        let all = &self.flat[c.start as usize..(c.start + c.len) as usize];
        let cur = &mut cursors[c.list as usize];
        let mut a = (*cur as usize).min(all.len());
        if a > 0 && (all[a - 1] as usize) >= lo {
            // The window moved back (cannot happen in order, but stay correct).
            a = all[..a].partition_point(|&x| (x as usize) < lo);
        } else if a < all.len() && (all[a] as usize) < lo {
            // The window moved past the cursor: gallop.
            let mut step = 1;
            while a + step <= all.len() && (all[a + step - 1] as usize) < lo {
                a += step;
                step *= 2;
            }
            a += all[a..(a + step).min(all.len())].partition_point(|&x| (x as usize) < lo);
        }
        *cur = a as u32;
        let mut b = a;
        while b < all.len() && (all[b] as usize) < hi {
            b += 1;
        }
        &all[a..b]
    }
}

/// One side of one document, ready for alignment.
#[derive(Debug, Default)]
pub(crate) struct Side {
    /// Characters (not whitespace) per sentence.
    pub len: Vec<u32>,
    /// The same weighted by how much text a character holds
    /// ([`super::length::char_weight`]), summed over the side.
    pub weighted_len: f64,
    /// Paragraph index per sentence, if known.
    pub paragraph: Option<Vec<usize>>,
    /// Distinct token types per sentence, sorted.
    pub types: Vec<Vec<u32>>,
    /// The same as numbers of this side's postings lists (dense, in the same order):
    /// what per-document tables are indexed by.
    pub lists: Vec<Vec<u32>>,
    pub postings: Postings,
}

impl Side {
    /// Tokenises `sentences`, interning their tokens in `vocab`.
    pub fn new<'a>(
        sentences: impl Iterator<Item = (&'a str, Option<usize>)>,
        vocab: &mut Vocab,
    ) -> Side {
        let mut side = Side::default();
        let mut paragraphs = Vec::new();
        let mut all_have_paragraphs = true;
        let mut ids: Vec<u32> = Vec::new();
        for (text, paragraph) in sentences {
            let (len, weighted) = super::tokens::char_len_weighted(text);
            side.len.push(len);
            side.weighted_len += weighted;
            match paragraph {
                Some(p) => paragraphs.push(p),
                None => all_have_paragraphs = false,
            }
            ids.clear();
            tokenize_with(text, &mut |kind, key| ids.push(vocab.intern_str(kind, key)));
            ids.sort_unstable();
            ids.dedup();
            // A copy of the scratch list: one allocation of the exact size.
            side.types.push(ids.to_vec());
        }
        if all_have_paragraphs && !side.len.is_empty() {
            side.paragraph = Some(paragraphs);
        }
        side.postings = Postings::build(&side.types);
        side.lists = side
            .types
            .iter()
            .map(|ts| {
                ts.iter()
                    .map(|&t| side.postings.list_of(t).unwrap_or(0))
                    .collect()
            })
            .collect();
        side
    }

    pub fn n(&self) -> usize {
        self.len.len()
    }

    /// Characters per unit of weighted length ([`super::length::char_weight`]): 1
    /// for alphabets, about 0.3 for Chinese.
    pub fn char_density(&self) -> Option<f64> {
        let total: f64 = self.len.iter().map(|&l| l as f64).sum();
        (total > 0.0 && self.weighted_len > 0.0).then(|| total / self.weighted_len)
    }
}

/// Pairs (source sentence, target sentence) that share a number, URL or identical
/// word found in no other sentence of either side: anchors an alignment should
/// keep. Sorted by source sentence.
pub(crate) fn unique_matches(src: &Side, tgt: &Side, links: &[Vec<Link>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, types) in src.types.iter().enumerate() {
        for &s in types {
            if src.postings.locate(s).2 != 1 {
                continue;
            }
            for link in links.get(s as usize).into_iter().flatten() {
                if !matches!(
                    link.kind,
                    LinkKind::Number | LinkKind::Url | LinkKind::Identical
                ) {
                    continue;
                }
                let (_, start, len) = tgt.postings.locate(link.other);
                if len == 1 {
                    out.push((i, tgt.postings.flat[start as usize] as usize));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a link rests on; each kind has its own match probability, estimated from the
/// document pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub(crate) enum LinkKind {
    Number = 0,
    Question,
    Exclaim,
    Quote,
    Paren,
    Colon,
    Ellipsis,
    Symbol,
    Url,
    #[default]
    Identical,
    Cognate,
    Dictionary,
    Learned,
}

/// Number of link kinds.
pub(crate) const LINK_KINDS: usize = 13;

impl LinkKind {
    pub const ALL: [LinkKind; LINK_KINDS] = [
        LinkKind::Number,
        LinkKind::Question,
        LinkKind::Exclaim,
        LinkKind::Quote,
        LinkKind::Paren,
        LinkKind::Colon,
        LinkKind::Ellipsis,
        LinkKind::Symbol,
        LinkKind::Url,
        LinkKind::Identical,
        LinkKind::Cognate,
        LinkKind::Dictionary,
        LinkKind::Learned,
    ];

    /// The probability, before any estimate, that a counterpart of this kind is found
    /// in the translation.
    pub fn prior_p(self) -> f64 {
        match self {
            LinkKind::Number => 0.8,
            LinkKind::Question => 0.7,
            LinkKind::Exclaim => 0.5,
            LinkKind::Quote => 0.5,
            LinkKind::Paren => 0.6,
            LinkKind::Colon => 0.4,
            LinkKind::Ellipsis => 0.4,
            LinkKind::Symbol => 0.7,
            LinkKind::Url => 0.9,
            LinkKind::Identical => 0.6,
            LinkKind::Cognate => 0.45,
            LinkKind::Dictionary => 0.5,
            LinkKind::Learned => 0.5,
        }
    }

    fn of_token(info: &TypeInfo) -> LinkKind {
        match info.kind {
            TokenKind::Number => LinkKind::Number,
            TokenKind::Url => LinkKind::Url,
            TokenKind::Word | TokenKind::Ideograph => LinkKind::Identical,
            TokenKind::Punct => match info.key.as_str() {
                "?" => LinkKind::Question,
                "!" => LinkKind::Exclaim,
                "\"" => LinkKind::Quote,
                "(" => LinkKind::Paren,
                ":" => LinkKind::Colon,
                "…" => LinkKind::Ellipsis,
                _ => LinkKind::Symbol,
            },
        }
    }
}

/// A link from a type of one side to a type of the other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub other: u32,
    pub kind: LinkKind,
    /// For learned links, the probability that the counterpart is present; for the
    /// others a similarity in (0, 1] that scales the kind's probability.
    pub strength: f32,
}

/// Links between the two vocabularies of a batch, both directions.
#[derive(Debug, Default, Clone)]
pub(crate) struct Lexicon {
    /// Source type → target types.
    pub fwd: Vec<Vec<Link>>,
    /// Target type → source types.
    pub bwd: Vec<Vec<Link>>,
}

/// A Korean word without the particle written onto its end (트럼프는 → 트럼프), so
/// that names and loanwords meet their spelling in the other text; other words as
/// they are. Only cognates and identity see the stem: a native word losing a last
/// syllable that only looks like a particle matches nothing in a Latin text anyway.
fn hangul_stem(word: &str) -> &str {
    const PARTICLES: [&str; 27] = [
        "에서는",
        "에게서",
        "으로서",
        "으로써",
        "이라고",
        "에서",
        "에게",
        "으로",
        "까지",
        "부터",
        "처럼",
        "보다",
        "라고",
        "한테",
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "와",
        "과",
        "도",
        "로",
        "만",
    ];
    let is_syllable = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c);
    if !word.chars().last().is_some_and(is_syllable) {
        return word;
    }
    for particle in PARTICLES {
        if let Some(stem) = word.strip_suffix(particle) {
            if stem.chars().filter(|&c| is_syllable(c)).count() >= 2 {
                return stem;
            }
        }
    }
    word
}

/// Minimum skeleton length for cognates.
const COGNATE_MIN_LEN: usize = 5;
/// Minimum similarity (1 - normalised edit distance of skeletons) for cognates; words
/// of up to 7 letters may differ by one edit only.
const COGNATE_MIN_SIM: f64 = 0.72;

/// How much more often than its counterpart's frequency allows a word may be matched
/// (translations vary: a name may be repeated on one side, a pronoun on the other).
const FREQ_SLACK: f64 = 2.0;
/// Words seen fewer times than this are too rare to judge by their frequency.
const FREQ_FREE: f64 = 30.0;

/// Least consonants for a consonant-skeleton cognate.
const CONSONANT_MIN_LEN: usize = 4;
/// Strength of a consonant-skeleton cognate (a share of the cognate kind's match
/// probability).
const CONSONANT_STRENGTH: f32 = 0.8;

/// The consonants of a skeleton, if there are enough of them to be distinctive.
fn consonants(skeleton: &[char]) -> Option<String> {
    let key: String = skeleton
        .iter()
        .filter(|c| !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u'))
        .collect();
    (key.chars().count() >= CONSONANT_MIN_LEN).then_some(key)
}

/// The skeleton lengths a cognate of a skeleton of `len` letters can have: any
/// other is too long or too short for [`cognate_threshold`] whatever its letters.
fn cognate_lengths(len: usize) -> (usize, usize) {
    let lo = ((len as f64 * COGNATE_MIN_SIM).floor() as usize).min(len.saturating_sub(1));
    let hi = ((len as f64 / COGNATE_MIN_SIM).ceil() as usize).max(len + 1);
    (lo, hi)
}

fn cognate_threshold(len: usize) -> f64 {
    if len <= 7 {
        1.0 - 1.0 / len as f64 - 1e-9
    } else {
        COGNATE_MIN_SIM
    }
}

impl Lexicon {
    /// Links by identity, cognateness and the dictionary between `src` and `tgt`.
    pub fn surface(src: &Vocab, tgt: &Vocab, dict: Option<&Dictionary>) -> Lexicon {
        let mut lex = Lexicon {
            fwd: vec![Vec::new(); src.len()],
            bwd: vec![Vec::new(); tgt.len()],
        };
        let mut by_folded: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
        // Target word types by the first two letters of their skeleton, each list in
        // order of skeleton length (a cognate's length is within a window of ours).
        let mut by_prefix: FxHashMap<(char, char), Vec<(u32, u32)>> = FxHashMap::default();
        let mut by_consonants: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        for (t, info) in tgt.types.iter().enumerate() {
            by_folded.entry(&info.folded).or_default().push(t as u32);
            if let Some(key) = consonants(&info.skeleton) {
                by_consonants.entry(key).or_default().push(t as u32);
            }
            if info.skeleton.len() >= COGNATE_MIN_LEN {
                by_prefix
                    .entry((info.skeleton[0], info.skeleton[1]))
                    .or_default()
                    .push((info.skeleton.len() as u32, t as u32));
            }
        }
        for list in by_prefix.values_mut() {
            list.sort_unstable();
        }
        let mut cognates: Vec<(u32, f64)> = Vec::new();
        for (s, info) in src.types.iter().enumerate() {
            let s = s as u32;
            let mut linked: FxHashSet<u32> = FxHashSet::default();
            if let Some(ts) = by_folded.get(info.folded.as_str()) {
                for &t in ts {
                    let tinfo = &tgt.types[t as usize];
                    let ok = match (info.kind, tinfo.kind) {
                        (TokenKind::Word, TokenKind::Word) => {
                            info.folded.chars().count() >= 2 || info.key.chars().count() >= 2
                        }
                        (a, b) => a == b,
                    };
                    if ok {
                        lex.add(s, t, LinkKind::of_token(info), 1.0);
                        linked.insert(t);
                    }
                }
            }
            if info.skeleton.len() >= COGNATE_MIN_LEN {
                let pattern = Pattern::new(&info.skeleton);
                if let Some(ts) = by_prefix.get(&(info.skeleton[0], info.skeleton[1])) {
                    let (lo, hi) = cognate_lengths(info.skeleton.len());
                    let from = ts.partition_point(|&(len, _)| (len as usize) < lo);
                    let to = ts.partition_point(|&(len, _)| (len as usize) <= hi);
                    cognates.clear();
                    for &(_, t) in &ts[from..to] {
                        let other = &tgt.types[t as usize].skeleton;
                        let sim = similarity(&info.skeleton, other, pattern.as_ref());
                        if sim >= cognate_threshold(info.skeleton.len().max(other.len()))
                            && !linked.contains(&t)
                        {
                            cognates.push((t, sim));
                        }
                    }
                    // In target order, as the links of every other kind.
                    cognates.sort_unstable_by_key(|&(t, _)| t);
                    for &(t, sim) in &cognates {
                        lex.add(s, t, LinkKind::Cognate, sim as f32);
                        linked.insert(t);
                    }
                }
            }
            // Vowels differ most between languages (Denmark ~ Danmörk, Finland ~
            // Finnland): the same consonants in the same order also make cognates.
            if let Some(key) = consonants(&info.skeleton) {
                if let Some(ts) = by_consonants.get(&key) {
                    for &t in ts {
                        if linked.insert(t) {
                            lex.add(s, t, LinkKind::Cognate, CONSONANT_STRENGTH);
                        }
                    }
                }
            }
            if let Some(dict) = dict {
                if let Some(ts) = dict.entries.get(info.folded.as_str()) {
                    for folded in ts {
                        if let Some(tt) = by_folded.get(folded.as_str()) {
                            for &t in tt {
                                if linked.insert(t) {
                                    lex.add(s, t, LinkKind::Dictionary, 1.0);
                                }
                            }
                        }
                    }
                }
            }
        }
        lex
    }

    fn add(&mut self, s: u32, t: u32, kind: LinkKind, strength: f32) {
        self.fwd[s as usize].push(Link {
            other: t,
            kind,
            strength,
        });
        self.bwd[t as usize].push(Link {
            other: s,
            kind,
            strength,
        });
    }
}

/// Match masks of a pattern of at most 64 ASCII characters, for [`myers`].
struct Pattern {
    peq: [u64; 128],
    len: usize,
}

impl Pattern {
    fn new(chars: &[char]) -> Option<Pattern> {
        if chars.is_empty() || chars.len() > 64 || !chars.iter().all(char::is_ascii) {
            return None;
        }
        let mut peq = [0u64; 128];
        for (i, &c) in chars.iter().enumerate() {
            peq[c as usize] |= 1 << i;
        }
        Some(Pattern {
            peq,
            len: chars.len(),
        })
    }

    /// Levenshtein distance to `text` (bit-parallel, Myers 1999 / Hyyrö 2003), or
    /// `None` if `text` is not ASCII.
    fn distance(&self, text: &[char]) -> Option<usize> {
        let last = 1u64 << (self.len - 1);
        let (mut pv, mut mv) = (!0u64, 0u64);
        let mut score = self.len;
        for &c in text {
            if !c.is_ascii() {
                return None;
            }
            let eq = self.peq[c as usize];
            let xv = eq | mv;
            let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
            let mut ph = mv | !(xh | pv);
            let mut mh = pv & xh;
            if ph & last != 0 {
                score += 1;
            }
            if mh & last != 0 {
                score -= 1;
            }
            ph = (ph << 1) | 1;
            mh <<= 1;
            pv = mh | !(xv | ph);
            mv = ph & xv;
        }
        Some(score)
    }
}

/// 1 - normalised Levenshtein distance between two character slices (`pattern`:
/// `a` prepared for the fast path, if it qualifies).
fn similarity(a: &[char], b: &[char], pattern: Option<&Pattern>) -> f64 {
    let (la, lb) = (a.len(), b.len());
    let longest = la.max(lb);
    if longest == 0 {
        return 1.0;
    }
    if (la.abs_diff(lb) as f64) > (1.0 - COGNATE_MIN_SIM) * longest as f64 {
        return 0.0;
    }
    if let Some(d) = pattern.and_then(|p| p.distance(b)) {
        return 1.0 - d as f64 / longest as f64;
    }
    levenshtein_similarity(a, b)
}

/// 1 - normalised Levenshtein distance between two character slices: strsim's
/// distance, for the skeletons [`Pattern`] cannot take (non-ASCII, longer than 64),
/// and the reference the bit-parallel one is tested against.
fn levenshtein_similarity(a: &[char], b: &[char]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - crate::text::distance::levenshtein(a, b) as f64 / longest as f64
}

/// A counterpart of a type in the other side of a document: where its sentences are
/// stored in the other side's [`Postings`], and what a match adds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counterpart {
    list: u32,
    start: u32,
    len: u32,
    /// What a match adds (already net of the absence penalty).
    pub gain: f32,
}

/// Evidence one type gives in one document.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeEvidence {
    /// Counterparts on the other side.
    pub links: Vec<Counterpart>,
    /// What the absence of every counterpart costs (≤ 0).
    pub pen: f32,
    /// ln(2 − q)/ln 2, for q the share of the other side's sentences holding a
    /// counterpart: a match anywhere in b units is likelier by chance than in one by
    /// about ln(b) times this (computed once here, not per occurrence).
    pub spread: f32,
    /// The kind that decided the match probability (for re-estimation).
    pub kind: LinkKind,
}

/// The evidence of every type of one side of a document, by postings list number
/// ([`Side::lists`]).
#[derive(Debug, Default)]
pub(crate) struct Evidence {
    by_list: Vec<Option<TypeEvidence>>,
}

/// Counterparts kept per type (the strongest).
const MAX_LINKS: usize = 6;
/// The largest share of sentences a counterpart may appear in and still count.
const MAX_Q: f64 = 0.4;
/// Match probabilities are kept in [P_MIN, P_MAX] so that one token never decides alone.
const P_MAX: f64 = 0.95;

impl Evidence {
    /// The evidence of the types of `side`, whose links (`links[type]`) point into
    /// `other`. `kind_p` is the match probability per link kind. `block`: sentences
    /// are grouped in blocks of this many (a random block holds a word more often
    /// than a random sentence).
    pub fn build(
        side: &Side,
        other: &Side,
        links: &[Vec<Link>],
        kind_p: &[f64; LINK_KINDS],
        block: usize,
    ) -> Evidence {
        let block = block.max(1) as f64;
        let m = other.n().max(1);
        let n = side.n().max(1);
        let mut by_list: Vec<Option<TypeEvidence>> =
            Vec::with_capacity(side.postings.lists as usize);
        for (&s, &f_s) in side.postings.list_type.iter().zip(&side.postings.list_len) {
            by_list.push(None);
            {
                let Some(ls) = links.get(s as usize) else {
                    continue;
                };
                if ls.is_empty() {
                    continue;
                }
                // Share of `other`'s units holding none of the counterparts, assuming
                // they occur independently.
                let mut none = 1.0f64;
                let mut p_any: f64 = 0.0;
                let mut best_kind = LinkKind::Identical;
                let mut out = Vec::new();
                for link in ls {
                    let (list, start, len) = other.postings.locate(link.other);
                    if len == 0 {
                        continue;
                    }
                    let q_t = (block * len as f64 / m as f64).min(1.0);
                    if q_t > MAX_Q {
                        continue;
                    }
                    // Of a word in f_s of this side's n sentences, at most the share
                    // its counterpart's frequency allows can be matched: `la` in most
                    // Vietnamese sentences and in a few English ones is a spelling
                    // coincidence, not evidence wherever a Vietnamese `la` is.
                    let f_s = f_s.max(1) as f64;
                    let cap = if f_s < FREQ_FREE {
                        1.0
                    } else {
                        FREQ_SLACK * (len as f64 / m as f64) / (f_s / n as f64)
                    };
                    let p = match link.kind {
                        LinkKind::Learned => link.strength as f64,
                        k => kind_p[k as usize] * link.strength as f64,
                    }
                    .min(P_MAX)
                    .min(cap);
                    if p <= q_t {
                        continue;
                    }
                    none *= 1.0 - q_t;
                    if p > p_any {
                        p_any = p;
                        best_kind = link.kind;
                    }
                    out.push((list, start, len, (p / q_t).ln()));
                }
                if out.is_empty() {
                    continue;
                }
                let q_any = (1.0 - none).min(0.99);
                if p_any <= q_any || q_any > MAX_Q {
                    continue;
                }
                let pen = ((1.0 - p_any) / (1.0 - q_any)).ln();
                // The strongest counterparts carry the evidence; weak extra ones cost
                // time and add little.
                if out.len() > MAX_LINKS {
                    out.sort_by(|a, b| b.3.total_cmp(&a.3));
                    out.truncate(MAX_LINKS);
                }
                let links = out
                    .into_iter()
                    .map(|(list, start, len, w)| Counterpart {
                        list,
                        start,
                        len,
                        gain: (w - pen) as f32,
                    })
                    .collect();
                *by_list.last_mut().expect("pushed") = Some(TypeEvidence {
                    links,
                    pen: pen as f32,
                    spread: (2.0 - q_any as f32).ln() / std::f32::consts::LN_2,
                    kind: best_kind,
                });
            }
        }
        Evidence { by_list }
    }

    /// The evidence of the type with list number `list` (see [`Side::lists`]), if any.
    #[inline]
    pub fn get(&self, list: u32) -> Option<&TypeEvidence> {
        self.by_list.get(list as usize).and_then(Option::as_ref)
    }
}

/// A bilingual dictionary: source words and their possible translations, both folded.
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    entries: FxHashMap<String, Vec<String>>,
}

impl Dictionary {
    /// An empty dictionary.
    pub fn new() -> Dictionary {
        Dictionary::default()
    }

    /// Adds a pair. Only single-token entries are used (multi-word phrases are kept
    /// out: their words are rarely translations of each other one by one).
    pub fn insert(&mut self, source: &str, target: &str) {
        let one = |text: &str| -> Option<String> {
            let mut toks = Vec::new();
            tokenize(text, &mut toks);
            match toks.as_slice() {
                [t] if matches!(t.kind, TokenKind::Word | TokenKind::Ideograph) => {
                    Some(fold(&t.key))
                }
                _ => None,
            }
        };
        if let (Some(s), Some(t)) = (one(source), one(target)) {
            let list = self.entries.entry(s).or_default();
            if !list.contains(&t) {
                list.push(t);
            }
        }
    }

    /// Number of source words.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parses a dictionary: hunalign's `target @ source` lines, or `source<TAB>target`
    /// lines. Empty lines and lines starting with `#` are skipped. `origin` names the
    /// input in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Dictionary> {
        let mut dict = Dictionary::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((src, tgt)) = line.split_once('\t') {
                let tgt = tgt.split('\t').next().unwrap_or("");
                if src.trim().is_empty() || tgt.trim().is_empty() {
                    return Err(Error::syntax(
                        "empty side in a `source<TAB>target` line",
                        Location::file(origin).with_line(n as u64 + 1),
                    ));
                }
                dict.insert(src.trim(), tgt.trim());
            } else if let Some((tgt, src)) = line.split_once(" @ ") {
                dict.insert(src.trim(), tgt.trim());
            } else {
                return Err(Error::syntax(
                    "expected `target @ source` (hunalign) or `source<TAB>target`",
                    Location::file(origin).with_line(n as u64 + 1),
                ));
            }
        }
        Ok(dict)
    }

    /// Reads a dictionary file (see [`Dictionary::parse`]).
    pub fn from_file(path: &Path) -> Result<Dictionary> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
        let text = crate::text::input::decode_all(bytes, None, Some(path))?;
        Dictionary::parse(&text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[&str]) -> Vocab {
        let mut v = Vocab::default();
        for w in words {
            let mut t = Vec::new();
            tokenize(w, &mut t);
            for tok in t {
                v.intern(tok);
            }
        }
        v
    }

    #[test]
    fn surface_links() {
        let src = vocab(&["Westphalia", "1956", "?", "Putin", "house"]);
        let tgt = vocab(&["Βεστφαλία", "1956", "?", "Путин", "σπίτι"]);
        let lex = Lexicon::surface(&src, &tgt, None);
        let kinds: Vec<Vec<LinkKind>> = lex
            .fwd
            .iter()
            .map(|l| l.iter().map(|x| x.kind).collect())
            .collect();
        assert_eq!(kinds[0], [LinkKind::Cognate]);
        assert_eq!(kinds[1], [LinkKind::Number]);
        assert_eq!(kinds[2], [LinkKind::Question]);
        assert_eq!(kinds[3], [LinkKind::Identical]);
        assert!(kinds[4].is_empty());
    }

    #[test]
    fn names_and_loanwords_in_indic_kana_and_hangul_are_linked() {
        let src = vocab(&[
            "Chennai", "America", "computer", "house", "Canada", "Seoul", "Trump",
        ]);
        let tgt = vocab(&[
            "சென்னை",
            "अमेरिका",
            "कम्प्यूटर",
            "घर",
            "カナダ",
            "서울에서",
            "트럼프는",
        ]);
        let lex = Lexicon::surface(&src, &tgt, None);
        let cases = [
            (0, Some(0)),
            (1, Some(1)),
            (2, Some(2)),
            (3, None),
            (4, Some(4)),
            (5, Some(5)),
            (6, Some(6)),
        ];
        for (i, want) in cases {
            let links: Vec<u32> = lex.fwd[i].iter().map(|l| l.other).collect();
            assert_eq!(links, want.into_iter().collect::<Vec<u32>>(), "source {i}");
        }
    }

    #[test]
    fn korean_particles_are_cut_off_for_matching() {
        assert_eq!(hangul_stem("트럼프는"), "트럼프");
        assert_eq!(hangul_stem("서울에서"), "서울");
        assert_eq!(hangul_stem("오바마"), "오바마");
        // A stem keeps at least two syllables; other scripts are left alone.
        assert_eq!(hangul_stem("나는"), "나는");
        assert_eq!(hangul_stem("Seoulin"), "Seoulin");
    }

    #[test]
    fn bit_parallel_distance_equals_the_table() {
        let words = [
            "vestfalia",
            "vesfalia",
            "kantite",
            "kantiti",
            "a",
            "abcdefgh",
            "hgfedcba",
            "aaaa",
            "aaab",
            "putin",
            "rakhmon",
            "raxmon",
            "xyz",
            "yxz",
        ];
        for a in words {
            for b in words {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let p = Pattern::new(&ca).unwrap();
                let d = p.distance(&cb).unwrap();
                let want = levenshtein_similarity(&ca, &cb);
                let longest = ca.len().max(cb.len()) as f64;
                assert!((1.0 - d as f64 / longest - want).abs() < 1e-12, "{a} {b}");
            }
        }
    }

    #[test]
    fn dictionary_formats() {
        let d = Dictionary::parse("maison @ house\nchien\tdog\n# c\n\n", Path::new("d")).unwrap();
        assert_eq!(d.entries["house"], ["maison"]);
        assert_eq!(d.entries["chien"], ["dog"]);
        let err = Dictionary::parse("oops\n", Path::new("d.txt")).unwrap_err();
        assert!(err.to_string().contains("d.txt:1"), "{err}");
        let mut src = vocab(&["house"]);
        let tgt = vocab(&["Maison"]);
        src.intern(crate::align::tokens::Token {
            key: "x".into(),
            kind: TokenKind::Word,
        });
        let lex = Lexicon::surface(&src, &tgt, Some(&d));
        assert_eq!(lex.fwd[0][0].kind, LinkKind::Dictionary);
    }
}
