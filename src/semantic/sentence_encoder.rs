//! Text in, sentence vectors out: the tokenizer and the network of one model file
//! together, and the vectors of spans of consecutive sentences (the aligner's merged
//! beads) from their sentences' features, so each sentence is encoded once.

use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;

use super::encoder::{Encoder, Junctions, SentenceFeatures, SpanFeatures, DIM};
use super::model_file::ModelFile;
use super::sentencepiece::Tokenizer;
use crate::error::Result;

/// The languages the model was trained on (primary subtags; `zh` covers zh-TW).
pub const LANGUAGES: [&str; 15] = [
    "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
];

/// True if the model covers the language with this primary subtag (`en`, `zh`).
pub fn covers(primary: &str) -> bool {
    LANGUAGES.contains(&primary.to_ascii_lowercase().as_str())
}

/// Spans of up to this many sentences get the vector of their text joined by a
/// space (see [`SentenceEncoder::embed_spans`]); the aligner's beads have at most 5
/// sentences a side (1-5 and 5-1, the default with `--semantic`).
pub const JOINED_SPAN: usize = 5;

/// Sentences encoded this many at a time when spans are wanted: the summed features
/// (5 KB a sentence) of one chunk are kept, not of the whole text.
const CHUNK: usize = 2048;

/// The model, ready to encode text.
pub struct SentenceEncoder {
    tokenizer: Tokenizer,
    encoder: Encoder,
}

impl SentenceEncoder {
    /// Loads the model found by [`ModelFile::open`] (`path`, else `$BITEXT_MODEL`,
    /// else bitext's cache directory); the error says how to download it.
    pub fn load(path: Option<&Path>) -> Result<SentenceEncoder> {
        let model = ModelFile::open(path)?;
        let tokenizer = Tokenizer::from_model_bytes(&model.sentencepiece_model()?)?;
        let encoder = Encoder::from_model(&model)?;
        Ok(SentenceEncoder { tokenizer, encoder })
    }

    /// The L2-normalised vector of each text.
    pub fn embed(&self, texts: &[&str]) -> Vec<[f32; DIM]> {
        let ids = self.ids(texts);
        let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        self.encoder.embed_ids(&refs)
    }

    /// The vector of each span of consecutive `sentences` (non-empty ranges within
    /// them). A span of up to [`JOINED_SPAN`] sentences gets the vector of their text
    /// joined by a space (what Vecalign does), built from the span one sentence
    /// shorter and the few tokens at the new junction ([`Encoder::joined_features`],
    /// exact); a longer one the sum of its sentences' features, as if their tokens
    /// had no neighbours across sentences. Either way each sentence is encoded once,
    /// and a span costs one junction (about 2·[`super::encoder::REACH`] tokens).
    ///
    /// Why joined: with joined pairs and summed longer spans, the aligner scored
    /// 0.871 / 0.894 / 0.721 strict F1 on textberg-dev / mac-dev / Emma en–fr; with
    /// 3-spans joined too 0.881 / 0.887 / 0.696; with all joined 0.895 / 0.893 /
    /// 0.701 (Candide en–es and en–fr 0.934 → 0.939, 0.955 → 0.960).
    pub fn embed_spans(&self, sentences: &[&str], spans: &[Range<usize>]) -> Vec<[f32; DIM]> {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&s| spans[s].start);
        let mut out = vec![[0.0f32; DIM]; spans.len()];
        let mut next = 0;
        while next < order.len() {
            // The spans starting in the next CHUNK sentences, and the sentences they
            // cover.
            let first = spans[order[next]].start;
            let mut end = next;
            let mut reach = first;
            while end < order.len() && spans[order[end]].start < first + CHUNK {
                reach = reach.max(spans[order[end]].end);
                end += 1;
            }
            let ids = self.ids(&sentences[first..reach]);
            let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
            let features = self.encoder.features_with_edges(&refs);
            let wanted = &order[next..end];
            let local = |s: usize| spans[s].start - first..spans[s].end - first;
            let mut embed = |items: &[(usize, &SentenceFeatures)]| {
                let refs: Vec<&SentenceFeatures> = items.iter().map(|&(_, f)| f).collect();
                for (&(s, _), v) in items.iter().zip(self.encoder.embed_many_features(&refs)) {
                    out[s] = v;
                }
            };
            // Single sentences.
            let items: Vec<(usize, &SentenceFeatures)> = wanted
                .iter()
                .filter(|&&s| spans[s].len() == 1)
                .map(|&s| (s, features[local(s).start].features()))
                .collect();
            embed(&items);
            // Joined spans, one sentence longer at each round, from the starts that
            // a wanted span of that length or longer has.
            let mut longest = vec![0; reach - first];
            for &s in wanted {
                let l = &mut longest[local(s).start];
                *l = (*l).max(spans[s].len().min(JOINED_SPAN));
            }
            let mut prefixes: Vec<Option<SpanFeatures>> = vec![None; reach - first];
            let mut junctions = Junctions::default();
            for len in 2..=JOINED_SPAN {
                let starts: Vec<usize> =
                    (0..longest.len()).filter(|&i| longest[i] >= len).collect();
                if starts.is_empty() {
                    break;
                }
                let joins: Vec<(Range<usize>, &SpanFeatures)> = starts
                    .iter()
                    .map(|&i| {
                        let prefix = match &prefixes[i] {
                            Some(p) => p,
                            None => features[i].span(),
                        };
                        (i..i + len, prefix)
                    })
                    .collect();
                let joined = self
                    .encoder
                    .joined_features(&refs, &features, &joins, &mut junctions);
                for (&i, j) in starts.iter().zip(joined) {
                    prefixes[i] = Some(j);
                }
                let items: Vec<(usize, &SentenceFeatures)> = wanted
                    .iter()
                    .filter(|&&s| spans[s].len() == len)
                    .map(|&s| {
                        let p = prefixes[local(s).start].as_ref();
                        (s, p.expect("a joined span per wanted start").features())
                    })
                    .collect();
                embed(&items);
            }
            drop((prefixes, junctions));
            // Longer spans: their sentences' features summed, a few at a time (they
            // are 5 KB each).
            let longer: Vec<usize> = wanted
                .iter()
                .copied()
                .filter(|&s| spans[s].len() > JOINED_SPAN)
                .collect();
            for chunk in longer.chunks(256) {
                let merged: Vec<SentenceFeatures> = chunk
                    .par_iter()
                    .map(|&s| {
                        let span = local(s);
                        features[span.clone()]
                            .iter()
                            .skip(1)
                            .fold(features[span.start].features().clone(), |sum, part| {
                                sum.merge(part.features())
                            })
                    })
                    .collect();
                let items: Vec<(usize, &SentenceFeatures)> =
                    chunk.iter().copied().zip(&merged).collect();
                embed(&items);
            }
            next = end;
        }
        out
    }

    fn ids(&self, texts: &[&str]) -> Vec<Vec<u32>> {
        texts.par_iter().map(|t| self.tokenizer.encode(t)).collect()
    }
}
