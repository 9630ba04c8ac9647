//! The forward pass of Universal Sentence Encoder Multilingual v3: piece ids in,
//! 512-float L2-normalised sentence vectors out.
//!
//! Per token: the embedding row (6-bit quantised in 17 chunks, dequantised on the
//! fly), a projection to three 256-wide inputs with a layernorm, and three CNN
//! branches over 2-, 3- and 5-token windows (two convolutions each, ReLU and a
//! residual, zero padding at the sentence's ends). The 1,280 token features
//! `[embedding | cnn2 | cnn3 | cnn5]` are layernormed and summed per sentence; that
//! sum ([`SentenceFeatures`]) goes through a linear layer, is divided by √tokens and
//! passes a small dense network (ReLU, tanh) before the L2 norm.
//!
//! Because the sentence vector depends on its tokens only through the sum, the
//! features of two sentences add up to (nearly) those of their concatenation: an
//! aligner gets the vector of a 2-1 bead without encoding the joined text.
//!
//! Speed: the tokens of many sentences are processed together (a micro-batch of
//! about [`TOKEN_BUDGET`] tokens) so each weight matrix streams through the cache
//! once per micro-batch; micro-batches run in parallel on rayon's pool. What depends
//! on a piece alone is computed at load for the frequent pieces: the projection, and
//! the first convolutions' per-place terms, so that for most tokens only the second
//! convolutions are matrix products.

use std::collections::HashMap;
use std::ops::{Add, Range};

use rayon::prelude::*;

use super::gemm::{gemm, isa_name, PackedB};
use super::model_file::{read_zip_member, ModelFile};
use super::npy::Npy;
use crate::error::{Error, Location, Result};

/// Floats in a sentence vector.
pub const DIM: usize = 512;
/// Floats in a token's (and a sentence's summed) features.
pub const FEATURES: usize = EMB + 3 * CNN;

const CHUNKS: usize = 17;
const EMB: usize = 512;
const CNN: usize = 256;
const PROJ: usize = 3 * CNN;
const HIDDEN: usize = 320;
/// How far a token's features see: two convolutions of the widest window (5, two
/// tokens either side) reach four piece ids either side.
pub const REACH: usize = 4;

/// (window length, tokens to the left) of the three CNN branches.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
/// Tokens per micro-batch: enough rows to keep the matrix kernel busy, few enough
/// that the activations (about 9 KB a token) stay near the core's cache.
pub const TOKEN_BUDGET: usize = 256;
/// Pieces whose projection is computed at load (50 MB): the first 16,384 ids are
/// about 75 % of the tokens of text, and the projection a quarter of the work.
const PROJECTED_PIECES: usize = 16_384;
/// Pieces whose first-convolution terms are computed at load (84 MB): a window's
/// first convolution is a sum of one term per token, `x · W1[s]` for the token's
/// place s in the window, and a frequent piece's terms are looked up instead of
/// multiplied (half of the network's work for 75-85 % of the tokens of text).
const CONV_PIECES: usize = 8_192;
/// Most distinct pieces past the load-time tables that one [`Rare`] table holds
/// (13 KB each, so 27 MB): 2,048 sentences of a long novel have about 3,300, a text
/// of rare pieces (a script the model saw little of) could have ten times as many.
const RARE_CAP: usize = 2048;
/// Floats of a piece's first-convolution terms: 2 + 3 + 5 places of CNN each.
const CONV_ROW: usize = 10 * CNN;

/// One CNN branch: two convolutions over windows of `width` tokens.
#[derive(Debug)]
struct Branch {
    width: usize,
    left: usize,
    /// Where the branch's terms start in a row of the first-convolution table.
    offset: usize,
    /// The first convolution's weights, its `width` blocks of CNN rows side by side
    /// (CNN × width·CNN): one product gives a token's term for every place.
    w1: PackedB,
    b1: Vec<f32>,
    w2: PackedB,
    b2: Vec<f32>,
}

/// The sentence encoder, with its weights in memory (about 80 MB: the token table
/// stays 6-bit-in-a-byte quantised) and the tables of its frequent pieces (134 MB).
#[derive(Debug)]
pub struct Encoder {
    /// The 17 chunks of the token table; token `t` is row `t / 17` of chunk `t % 17`.
    chunks: Vec<Vec<u8>>,
    rows_per_chunk: usize,
    scale: [f32; CHUNKS],
    lo: [f32; CHUNKS],
    proj: PackedB,
    proj_b: Vec<f32>,
    proj_ln_g: Vec<f32>,
    proj_ln_b: Vec<f32>,
    branches: Vec<Branch>,
    ln_g: Vec<f32>,
    ln_b: Vec<f32>,
    cnn_w: PackedB,
    cnn_b: Vec<f32>,
    d0: PackedB,
    d1: PackedB,
    p1: PackedB,
    d2: PackedB,
    p3: PackedB,
    d3: PackedB,
    eps: f32,
    /// The projection (after its layernorm) of pieces `0..PROJECTED_PIECES`, PROJ
    /// floats each: it depends on the piece alone, and these are most tokens.
    projected: Vec<f32>,
    /// The first convolution's terms (CONV_ROW floats: per branch, per place in the
    /// window) of pieces `0..CONV_PIECES`.
    conv_terms: Vec<f32>,
}

/// A sentence's token features summed (after the per-token layernorm), and its
/// token count: everything the sentence vector depends on. Add two to get (nearly)
/// the features of the two sentences joined.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceFeatures {
    sum: Box<[f32]>,
    tokens: u32,
}

impl SentenceFeatures {
    /// The features of this sentence followed by `other`.
    pub fn merge(&self, other: &SentenceFeatures) -> SentenceFeatures {
        SentenceFeatures {
            sum: self
                .sum
                .iter()
                .zip(&other.sum[..])
                .map(|(a, b)| a + b)
                .collect(),
            tokens: self.tokens + other.tokens,
        }
    }

    /// Tokens counted (BOS and EOS included).
    pub fn tokens(&self) -> u32 {
        self.tokens
    }

    /// The summed features ([`FEATURES`] floats).
    pub fn sum(&self) -> &[f32] {
        &self.sum
    }
}

impl Add for &SentenceFeatures {
    type Output = SentenceFeatures;
    fn add(self, other: &SentenceFeatures) -> SentenceFeatures {
        self.merge(other)
    }
}

/// The features of a span of consecutive sentences encoded as one text (one
/// sentence, or several joined by [`Encoder::joined_features`]) and the summed
/// features of its last `REACH + 1` tokens: the tokens whose features change when
/// one more sentence is appended, so a span of k sentences is built from the span of
/// k − 1 at the cost of one junction.
#[derive(Debug, Clone)]
pub struct SpanFeatures {
    features: SentenceFeatures,
    tail: Box<[f32]>,
}

impl SpanFeatures {
    /// The whole span's features.
    pub fn features(&self) -> &SentenceFeatures {
        &self.features
    }
}

/// The junctions [`Encoder::joined_features`] has encoded, by their ids: a span's
/// last junction is the same as that of the pair of its last two sentences when the
/// sentence before the junction is longer than the window (most are), so the spans
/// of 3 and 4 sentences mostly reuse the pairs' work. One per text (or chunk of it):
/// it keeps about 5 KB per junction.
#[derive(Debug, Default)]
pub struct Junctions {
    /// (window ids, counted range) → the counted tokens' summed features, and the
    /// sum over the window's last `REACH + 1` tokens when the window reaches the
    /// span's end.
    done: HashMap<Window, Junction>,
}

/// What a junction's window gives: the counted tokens' summed features, and the sum
/// over its last `REACH + 1` tokens when it reaches the span's end.
#[derive(Debug)]
struct Junction {
    counted: SentenceFeatures,
    tail: Option<Box<[f32]>>,
}

/// A junction's window of ids and the range of them whose features count.
type Window = (Box<[u32]>, Range<usize>);

impl Junctions {
    /// Junctions encoded so far.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// True if none was encoded yet.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

/// A sentence's [`SpanFeatures`] and the summed features of its first `REACH + 1`
/// tokens (those that change when it is appended to a span). Kept from the
/// sentence's own pass, so a junction costs only the few tokens that really change.
#[derive(Debug, Clone)]
pub struct EdgedFeatures {
    span: SpanFeatures,
    head: Box<[f32]>,
}

impl EdgedFeatures {
    /// The whole sentence's features.
    pub fn features(&self) -> &SentenceFeatures {
        &self.span.features
    }

    /// The sentence as a span of one, to append others to.
    pub fn span(&self) -> &SpanFeatures {
        &self.span
    }
}

/// The summed features of a sentence's first and last `REACH + 1` tokens.
type Edges = (Box<[f32]>, Box<[f32]>);

/// Activation buffers of one micro-batch, reused across batches by one thread.
#[derive(Default)]
struct Scratch {
    /// Token features `[embedding | cnn2 | cnn3 | cnn5]`, FEATURES per wanted token.
    feats: Vec<f32>,
    /// The tokens whose features are wanted (all, or the counted ones), in order.
    rows: Vec<usize>,
    /// A branch's first convolution, CNN per token.
    h: Vec<f32>,
    /// Per token: the first token of its sentence and one past its last.
    bounds: Vec<(usize, usize)>,
    zero: Vec<f32>,
    /// Per token: its piece id, and its index among the [`Rare`] pieces (or
    /// `usize::MAX` for a piece of the load-time tables).
    ids: Vec<usize>,
    slot: Vec<usize>,
}

/// The projections and first-convolution terms of the pieces of one call's
/// sentences that the load-time tables lack, each computed once however often it
/// occurs (a text repeats its rarer pieces: 2,048 sentences of a long novel had
/// 12,815 such tokens but 3,278 distinct pieces).
struct Rare {
    /// Sorted piece ids.
    ids: Vec<u32>,
    /// PROJ floats per piece.
    x: Vec<f32>,
    /// CONV_ROW floats per piece.
    terms: Vec<f32>,
}

impl Rare {
    fn index(&self, id: usize) -> usize {
        self.ids
            .binary_search(&(id as u32))
            .expect("every rare piece of the call is in its table")
    }
}

impl Encoder {
    /// Loads the encoder from the verified model (its `weights.npz`).
    pub fn from_model(model: &ModelFile) -> Result<Encoder> {
        let bytes = model.weights()?;
        Encoder::from_weights_npz(&bytes).map_err(|e| {
            let location = e.location().clone();
            let inner = location.path.as_ref().map(|p| model.path().join(p));
            e.at(Location {
                path: inner.or_else(|| Some(model.path().to_path_buf())),
                ..location
            })
        })
    }

    /// Loads the encoder from the bytes of `weights.npz` (a zip of `.npy` arrays).
    pub fn from_weights_npz(bytes: &[u8]) -> Result<Encoder> {
        let load = |name: &str| -> Result<Npy> {
            let member = format!("{name}.npy");
            let where_ = format!("weights.npz/{member}");
            let data =
                read_zip_member(bytes, &member).map_err(|e| e.at(Location::file(&where_)))?;
            Npy::parse(&data, &where_)
        };
        let at = |name: &str| format!("weights.npz/{name}.npy");
        let f32s = |name: &str, shape: &[usize]| load(name)?.into_f32(shape, &at(name));
        let packed = |name: &str, k: usize, n: usize| -> Result<PackedB> {
            Ok(PackedB::new(&f32s(name, &[k, n])?, k, n))
        };

        // The token table: its chunks decompressed in parallel (most of the load time).
        let q1 = load("q1")?;
        let rows_per_chunk = match q1.shape[..] {
            [rows, EMB] if rows > 0 => rows,
            _ => {
                return Err(Error::invalid(format!(
                    "token table chunk has shape {:?}, expected [rows, {EMB}]",
                    q1.shape
                ))
                .at(Location::file(at("q1"))))
            }
        };
        let shape = [rows_per_chunk, EMB];
        let mut chunks = vec![q1.into_u8(&shape, &at("q1"))?];
        let rest: Vec<Vec<u8>> = (2..=CHUNKS)
            .into_par_iter()
            .map(|i| load(&format!("q{i}"))?.into_u8(&shape, &at(&format!("q{i}"))))
            .collect::<Result<_>>()?;
        chunks.extend(rest);
        let bits = load("bits")?.scalar(&at("bits"))?;
        if bits != 6.0 {
            return Err(Error::invalid(format!(
                "the token table is quantised to {bits} bits; this encoder reads 6"
            ))
            .at(Location::file(at("bits"))));
        }
        let scale: [f32; CHUNKS] = f32s("scale", &[CHUNKS])?.try_into().unwrap();
        let lo: [f32; CHUNKS] = f32s("lo", &[CHUNKS])?.try_into().unwrap();

        let mut proj = vec![0.0f32; EMB * PROJ];
        let (mut proj_b, mut proj_ln_g, mut proj_ln_b) = (vec![], vec![], vec![]);
        let mut branches = Vec::new();
        let mut offset = 0;
        for (i, &(n, left)) in ORDERS.iter().enumerate() {
            // The three projections side by side: one 512×768 product per token.
            let w = f32s(&format!("proj{n}"), &[EMB, CNN])?;
            for (row, src) in proj.chunks_exact_mut(PROJ).zip(w.chunks_exact(CNN)) {
                row[i * CNN..(i + 1) * CNN].copy_from_slice(src);
            }
            proj_b.extend(f32s(&format!("proj_b{n}"), &[CNN])?);
            proj_ln_g.extend(f32s(&format!("ln_g{n}"), &[CNN])?);
            proj_ln_b.extend(f32s(&format!("ln_b{n}"), &[CNN])?);
            // W1 is n·CNN × CNN (the window's places one under the other); side by
            // side it gives one place's term per CNN columns.
            let w1 = f32s(&format!("w1_{n}"), &[n * CNN, CNN])?;
            let mut side = vec![0.0f32; n * CNN * CNN];
            for (s, block) in w1.chunks_exact(CNN * CNN).enumerate() {
                for (row, src) in side.chunks_exact_mut(n * CNN).zip(block.chunks_exact(CNN)) {
                    row[s * CNN..(s + 1) * CNN].copy_from_slice(src);
                }
            }
            branches.push(Branch {
                width: n,
                left,
                offset,
                w1: PackedB::new(&side, CNN, n * CNN),
                b1: f32s(&format!("b1_{n}"), &[CNN])?,
                w2: packed(&format!("w2_{n}"), n * CNN, CNN)?,
                b2: f32s(&format!("b2_{n}"), &[CNN])?,
            });
            offset += n * CNN;
        }
        debug_assert_eq!(offset, CONV_ROW);
        let eps = load("eps")?.scalar(&at("eps"))? as f32;
        let mut encoder = Encoder {
            chunks,
            rows_per_chunk,
            scale,
            lo,
            proj: PackedB::new(&proj, EMB, PROJ),
            proj_b,
            proj_ln_g,
            proj_ln_b,
            branches,
            ln_g: f32s("ln_g", &[FEATURES])?,
            ln_b: f32s("ln_b", &[FEATURES])?,
            cnn_w: packed("cnn_W", FEATURES, DIM)?,
            cnn_b: f32s("cnn_b", &[DIM])?,
            d0: packed("d0", DIM, HIDDEN)?,
            d1: packed("d1", HIDDEN, HIDDEN)?,
            p1: packed("p1", DIM, HIDDEN)?,
            d2: packed("d2", HIDDEN, DIM)?,
            p3: packed("p3", HIDDEN, DIM)?,
            d3: packed("d3", DIM, DIM)?,
            eps,
            projected: Vec::new(),
            conv_terms: Vec::new(),
        };
        encoder.project_frequent();
        encoder.conv_frequent();
        Ok(encoder)
    }

    /// Piece ids the table has (valid ids are below this).
    pub fn vocab_size(&self) -> usize {
        self.rows_per_chunk * CHUNKS
    }

    /// The instruction set the matrix kernel runs with on this CPU.
    pub fn simd(&self) -> &'static str {
        isa_name()
    }

    /// Embeddings (512, L2-normalised) of sentences given as piece ids (BOS..EOS
    /// included). A sentence without ids gets the zero vector. Big inputs use all
    /// threads of rayon's pool.
    ///
    /// # Panics
    /// If an id is not below [`Encoder::vocab_size`] (ids come from the tokenizer).
    pub fn embed_ids(&self, sentences: &[&[u32]]) -> Vec<[f32; DIM]> {
        self.per_batch(sentences, |rare, scratch, batch| {
            let features = self.features_batch(&sentences[batch], rare, scratch, None, None);
            let refs: Vec<&SentenceFeatures> = features.iter().collect();
            self.head(&refs)
        })
    }

    /// Each sentence's summed token features and token count (see
    /// [`SentenceFeatures`]); [`Encoder::embed_features`] turns them into the vector.
    ///
    /// # Panics
    /// As [`Encoder::embed_ids`].
    pub fn features_ids(&self, sentences: &[&[u32]]) -> Vec<SentenceFeatures> {
        self.per_batch(sentences, |rare, scratch, batch| {
            self.features_batch(&sentences[batch], rare, scratch, None, None)
        })
    }

    /// As [`Encoder::features_ids`], with the sums over each sentence's edges that
    /// [`Encoder::joined_features`] needs.
    ///
    /// # Panics
    /// As [`Encoder::embed_ids`].
    pub fn features_with_edges(&self, sentences: &[&[u32]]) -> Vec<EdgedFeatures> {
        self.edged(sentences, None)
            .into_iter()
            .map(|(features, (head, tail))| EdgedFeatures {
                span: SpanFeatures { features, tail },
                head,
            })
            .collect()
    }

    /// Each sentence's features (over its `counted` tokens only, if given: the others
    /// are context) and the sums over the first and last `REACH + 1` of those.
    fn edged(
        &self,
        sentences: &[&[u32]],
        counted: Option<&[Range<usize>]>,
    ) -> Vec<(SentenceFeatures, Edges)> {
        self.per_batch(sentences, |rare, scratch, batch| {
            let counted = counted.map(|c| &c[batch.clone()]);
            let mut edges = Vec::new();
            let features =
                self.features_batch(&sentences[batch], rare, scratch, counted, Some(&mut edges));
            features.into_iter().zip(edges).collect()
        })
    }

    /// The features of each span `start..end` of `sentences` (at least two) encoded
    /// as one text (the ids of its sentences with the EOS and BOS between them left
    /// out: what the tokenizer gives for their texts joined by a space), each given
    /// with the features of its first `end - 1 - start` sentences (`prefix`: a
    /// sentence's [`EdgedFeatures::span`], or a shorter span's result of this call).
    /// `features` are the sentences' own (from [`Encoder::features_with_edges`]).
    ///
    /// Exact, at the cost of one junction per span: a token's features depend only
    /// on the ids within [`REACH`] places, so appending sentence `c` changes only the
    /// prefix's last REACH + 1 tokens and `c`'s first REACH + 1 (all of `c`'s if it
    /// is short). Those up to 2·REACH tokens are encoded again with their REACH
    /// neighbours as context (all spans in a few micro-batches) and replace the old
    /// sums; the prefix's end is taken across as many sentences as it needs, so short
    /// sentences inside a span are exact too. A junction already in `junctions` (the
    /// same window of ids) is not encoded again.
    ///
    /// # Panics
    /// If a span has fewer than 2 sentences or lies outside `sentences`, a sentence
    /// has fewer than 2 ids (the tokenizer gives BOS and EOS at least), or as
    /// [`Encoder::embed_ids`].
    pub fn joined_features(
        &self,
        sentences: &[&[u32]],
        features: &[EdgedFeatures],
        spans: &[(Range<usize>, &SpanFeatures)],
        junctions: &mut Junctions,
    ) -> Vec<SpanFeatures> {
        let mut keys: Vec<Window> = Vec::with_capacity(spans.len());
        for (span, prefix) in spans {
            assert!(
                span.len() >= 2 && span.end <= sentences.len(),
                "a span to join is not two or more of the sentences"
            );
            let c = sentences[span.end - 1];
            assert!(
                c.len() >= 2 && prefix.features.tokens >= 2,
                "a sentence to join has no BOS and EOS"
            );
            // The prefix's pieces before its EOS and c's after its BOS that lie
            // within REACH of the junction change; REACH more on each side are their
            // context (or the text's end, which pads alike). A short c changes
            // entirely: the window then runs to its EOS and counts all of it.
            let (pa, pc) = (prefix.features.tokens as usize - 1, c.len() - 1);
            let mut window = last_pieces(&sentences[span.start..span.end - 1], pa.min(2 * REACH));
            let left = window.len();
            window.extend_from_slice(&c[1..1 + pc.min(2 * REACH)]);
            let end = if pc <= 2 * REACH {
                window.len()
            } else {
                left + REACH
            };
            keys.push((window.into_boxed_slice(), left - pa.min(REACH)..end));
        }
        // The junctions not encoded before, once each.
        let mut seen = std::collections::HashSet::new();
        let fresh: Vec<&Window> = keys
            .iter()
            .filter(|k| !junctions.done.contains_key(*k) && seen.insert(*k))
            .collect();
        let refs: Vec<&[u32]> = fresh.iter().map(|(w, _)| &w[..]).collect();
        let counted: Vec<Range<usize>> = fresh.iter().map(|(_, c)| c.clone()).collect();
        let encoded = self.edged(&refs, Some(&counted));
        for (key, (new, (_, tail))) in fresh.into_iter().zip(encoded) {
            // The window's tail is the span's when it runs to the span's end.
            let whole = key.1.end == key.0.len();
            let value = Junction {
                counted: new,
                tail: whole.then_some(tail),
            };
            junctions.done.insert(key.clone(), value);
        }
        spans
            .iter()
            .zip(&keys)
            .map(|((span, prefix), key)| {
                let Junction {
                    counted: new,
                    tail: new_tail,
                } = &junctions.done[key];
                let c = &features[span.end - 1];
                let kept = prefix
                    .features
                    .sum
                    .iter()
                    .zip(&*prefix.tail)
                    .zip(&*new.sum)
                    .map(|((x, p), n)| x - p + n);
                let (sum, tail) = if let Some(new_tail) = new_tail {
                    (kept.collect(), new_tail.clone())
                } else {
                    // c's tokens past the junction keep their features.
                    let sum = kept
                        .zip(&*c.span.features.sum)
                        .zip(&*c.head)
                        .map(|((k, y), q)| k + y - q)
                        .collect();
                    (sum, c.span.tail.clone())
                };
                SpanFeatures {
                    features: SentenceFeatures {
                        sum,
                        tokens: prefix.features.tokens + c.span.features.tokens - 2,
                    },
                    tail,
                }
            })
            .collect()
    }

    /// The sentence vector of `features` (possibly merged from several sentences).
    pub fn embed_features(&self, features: &SentenceFeatures) -> [f32; DIM] {
        self.head(&[features])[0]
    }

    /// The vectors of many [`SentenceFeatures`] at once (faster than one by one: the
    /// dense layers run as matrix products, in parallel for big inputs).
    pub fn embed_many_features(&self, features: &[&SentenceFeatures]) -> Vec<[f32; DIM]> {
        const ROWS: usize = 64;
        if features.len() <= ROWS {
            return self.head(features);
        }
        features
            .par_chunks(ROWS)
            .flat_map_iter(|chunk| self.head(chunk))
            .collect()
    }

    /// Splits `sentences` into micro-batches of about TOKEN_BUDGET tokens and runs
    /// `work` on each (given the [`Rare`] pieces and its range of `sentences`), in
    /// parallel when there are several; results in input order. The rare pieces are
    /// tabled for runs of consecutive sentences with at most [`RARE_CAP`] of them.
    fn per_batch<T: Send>(
        &self,
        sentences: &[&[u32]],
        work: impl Fn(&Rare, &mut Scratch, Range<usize>) -> Vec<T> + Sync,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(sentences.len());
        for run in self.rare_runs(sentences) {
            let rare = self.rare_pieces(&sentences[run.clone()]);
            out.extend(
                self.per_batch_in(&sentences[run.clone()], |scratch, batch| {
                    work(
                        &rare,
                        scratch,
                        batch.start + run.start..batch.end + run.start,
                    )
                }),
            );
        }
        out
    }

    /// Runs of consecutive `sentences` with at most [`RARE_CAP`] distinct rare pieces
    /// each (a sentence with more is a run of its own).
    fn rare_runs(&self, sentences: &[&[u32]]) -> Vec<Range<usize>> {
        let conv_pieces = self.conv_terms.len() / CONV_ROW;
        let mut runs = Vec::new();
        let mut seen: std::collections::HashSet<u32> = std::collections::HashSet::new();
        let mut first = 0;
        for (i, s) in sentences.iter().enumerate() {
            let rare = s.iter().filter(|&&id| id as usize >= conv_pieces);
            let new = rare.clone().filter(|&&id| !seen.contains(&id)).count();
            if i > first && seen.len() + new > RARE_CAP {
                runs.push(first..i);
                first = i;
                seen.clear();
            }
            seen.extend(rare);
        }
        if first < sentences.len() {
            runs.push(first..sentences.len());
        }
        runs
    }

    /// [`Encoder::per_batch`] within one run of sentences.
    fn per_batch_in<T: Send>(
        &self,
        sentences: &[&[u32]],
        work: impl Fn(&mut Scratch, Range<usize>) -> Vec<T> + Sync,
    ) -> Vec<T> {
        let mut batches = Vec::new();
        let (mut first, mut tokens) = (0, 0);
        for (i, s) in sentences.iter().enumerate() {
            if i > first && tokens + s.len() > TOKEN_BUDGET {
                batches.push(first..i);
                (first, tokens) = (i, 0);
            }
            tokens += s.len();
        }
        if first < sentences.len() {
            batches.push(first..sentences.len());
        }
        if batches.len() <= 1 {
            let mut scratch = Scratch::default();
            return batches
                .into_iter()
                .flat_map(|b| work(&mut scratch, b))
                .collect();
        }
        let results: Vec<Vec<T>> = batches
            .into_par_iter()
            .map_init(Scratch::default, |scratch, batch| work(scratch, batch))
            .collect();
        results.into_iter().flatten().collect()
    }

    /// The features of one micro-batch of `sentences`, summed per sentence; with
    /// `counted`, each sentence's sum covers only the tokens of its range (the others
    /// are its context, and the last convolution skips them). With `edges`, also the
    /// sums over each sentence's first and last `REACH + 1` tokens (head, tail).
    fn features_batch(
        &self,
        sentences: &[&[u32]],
        rare: &Rare,
        scratch: &mut Scratch,
        counted: Option<&[std::ops::Range<usize>]>,
        mut edges: Option<&mut Vec<Edges>>,
    ) -> Vec<SentenceFeatures> {
        let t: usize = sentences.iter().map(|s| s.len()).sum();
        if t == 0 {
            let zeros = || vec![0.0; FEATURES].into_boxed_slice();
            if let Some(edges) = edges {
                edges.extend(sentences.iter().map(|_| (zeros(), zeros())));
            }
            let empty = SentenceFeatures {
                sum: zeros(),
                tokens: 0,
            };
            return vec![empty; sentences.len()];
        }
        let Scratch {
            feats,
            rows,
            h,
            bounds,
            zero,
            ids,
            slot,
        } = scratch;
        rows.clear();
        let mut r = 0;
        for (k, s) in sentences.iter().enumerate() {
            match counted {
                Some(c) => rows.extend(c[k].clone().map(|i| r + i)),
                None => rows.extend(r..r + s.len()),
            }
            r += s.len();
        }
        let m = rows.len();
        feats.resize(m * FEATURES, 0.0);
        h.resize(t * CNN, 0.0);
        zero.resize(CNN, 0.0);
        bounds.clear();

        // Each token's piece and where its projection and first-convolution terms are:
        // the tables made at load or the call's rare pieces.
        let conv_pieces = self.conv_terms.len() / CONV_ROW;
        ids.clear();
        slot.clear();
        let mut r = 0;
        for s in sentences {
            let sentence = (r, r + s.len());
            for &id in s.iter() {
                let id = id as usize;
                let k = if id < conv_pieces {
                    usize::MAX
                } else {
                    rare.index(id)
                };
                ids.push(id);
                slot.push(k);
                bounds.push(sentence);
                r += 1;
            }
        }

        // The projection of token q (read in place, not copied).
        let projected_pieces = self.projected.len() / PROJ;
        let x = |q: usize| -> &[f32] {
            let id = ids[q];
            if id < projected_pieces {
                &self.projected[id * PROJ..(id + 1) * PROJ]
            } else {
                &rare.x[slot[q] * PROJ..(slot[q] + 1) * PROJ]
            }
        };

        // The wanted tokens' dequantised embeddings: the first EMB of their features.
        for (j, &r) in rows.iter().enumerate() {
            self.dequantise(ids[r], &mut feats[j * FEATURES..][..EMB]);
        }

        for (i, br) in self.branches.iter().enumerate() {
            let cols = i * CNN..(i + 1) * CNN;
            // Row r of the window matrix, segment s: token r - left + s of the same
            // sentence, or zeros past its ends.
            let window = |r: usize, s: usize| -> Option<usize> {
                let q = (r + s).checked_sub(br.left)?;
                let (start, end) = bounds[r];
                (start <= q && q < end).then_some(q)
            };
            let xs = |q: usize| &x(q)[cols.clone()];
            // The first convolution: per window, the sum of its tokens' terms.
            let n = br.width;
            let term = |q: usize, s: usize| -> &[f32] {
                let at = br.offset + s * CNN;
                match slot[q] {
                    usize::MAX => &self.conv_terms[ids[q] * CONV_ROW + at..][..CNN],
                    k => &rare.terms[k * CONV_ROW + at..][..CNN],
                }
            };
            let terms_of = |q: usize| -> &[f32] {
                let at = br.offset..br.offset + n * CNN;
                match slot[q] {
                    usize::MAX => &self.conv_terms[ids[q] * CONV_ROW..][at],
                    k => &rare.terms[k * CONV_ROW..][at],
                }
            };
            for (r, row) in h.chunks_exact_mut(CNN).enumerate() {
                // The table rows are scattered: ask for those of a token a few
                // places ahead while this one is summed.
                if r + PREFETCH < t {
                    prefetch(terms_of(r + PREFETCH));
                    prefetch(xs(r + PREFETCH));
                }
                row.copy_from_slice(&br.b1);
                for s in 0..n {
                    if let Some(q) = window(r, s) {
                        add(row, term(q, s));
                    }
                }
                for (v, &res) in row.iter_mut().zip(xs(r)) {
                    *v = v.max(0.0) + res;
                }
            }
            // The second convolution for the wanted tokens only.
            let out = EMB + i * CNN;
            let h = &h[..];
            let rows = &rows[..];
            if m == 0 {
                continue;
            }
            gemm(
                m,
                CNN,
                &br.w2,
                |j, s| window(rows[j], s).map_or(&zero[..], |q| &h[q * CNN..(q + 1) * CNN]),
                &mut feats[out..],
                FEATURES,
            );
            for (row, &r) in feats.chunks_exact_mut(FEATURES).zip(rows) {
                let row = &mut row[out..out + CNN];
                for ((v, &b), &res) in row.iter_mut().zip(&br.b2).zip(&h[r * CNN..]) {
                    *v = (*v + b).max(0.0) + res;
                }
            }
        }

        // Layernorm over each token's 1,280 features, summed per sentence: the gain and
        // bias are applied once to the sum of the normalised rows.
        let finish = |acc: &mut [f32], n: usize| {
            for ((a, &g), &b) in acc.iter_mut().zip(&self.ln_g).zip(&self.ln_b) {
                *a = *a * g + n as f32 * b;
            }
        };
        let mut out = Vec::with_capacity(sentences.len());
        let mut rows = feats.chunks_exact(FEATURES);
        for (k, s) in sentences.iter().enumerate() {
            let n = counted.map_or(s.len(), |c| c[k].len());
            let edge = (REACH + 1).min(n);
            let mut acc = vec![0.0f32; FEATURES];
            let (mut head, mut tail) = match edges {
                Some(_) => (vec![0.0f32; FEATURES], vec![0.0f32; FEATURES]),
                None => (Vec::new(), Vec::new()),
            };
            for i in 0..n {
                let row = rows.next().expect("a row per wanted token");
                let (mean, rstd) = moments(row, self.eps);
                let (in_head, in_tail) = (i < edge, i >= n - edge);
                if edges.is_some() && (in_head || in_tail) {
                    for (((a, hd), tl), &v) in acc.iter_mut().zip(&mut head).zip(&mut tail).zip(row)
                    {
                        let v = (v - mean) * rstd;
                        *a += v;
                        if in_head {
                            *hd += v;
                        }
                        if in_tail {
                            *tl += v;
                        }
                    }
                } else {
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a += (v - mean) * rstd;
                    }
                }
            }
            finish(&mut acc, n);
            if let Some(edges) = edges.as_deref_mut() {
                finish(&mut head, edge);
                finish(&mut tail, edge);
                edges.push((head.into_boxed_slice(), tail.into_boxed_slice()));
            }
            out.push(SentenceFeatures {
                sum: acc.into_boxed_slice(),
                tokens: n as u32,
            });
        }
        out
    }

    /// Projection + bias + layernorm over the 768 columns of `m` embedding rows.
    fn project<'a>(&self, m: usize, emb: impl Fn(usize) -> &'a [f32], out: &mut [f32]) {
        gemm(m, EMB, &self.proj, |r, _| emb(r), out, PROJ);
        for row in out.chunks_exact_mut(PROJ) {
            add(row, &self.proj_b);
            layernorm(row, &self.proj_ln_g, &self.proj_ln_b, self.eps);
        }
    }

    /// The projections of pieces `0..PROJECTED_PIECES` (the most frequent: a unigram
    /// model numbers its pieces by score), computed once in parallel.
    fn project_frequent(&mut self) {
        let pieces = PROJECTED_PIECES.min(self.vocab_size());
        let mut projected = vec![0.0f32; pieces * PROJ];
        let this = &*self;
        projected
            .par_chunks_mut(TOKEN_BUDGET * PROJ)
            .enumerate()
            .for_each(|(b, out)| {
                let first = b * TOKEN_BUDGET;
                let emb: Vec<f32> = (first..first + out.len() / PROJ)
                    .flat_map(|id| this.embedding(id))
                    .collect();
                this.project(out.len() / PROJ, |i| &emb[i * EMB..(i + 1) * EMB], out);
            });
        self.projected = projected;
    }

    /// The [`Rare`] pieces of `sentences`: those past the load-time tables.
    ///
    /// # Panics
    /// If an id is not below [`Encoder::vocab_size`].
    fn rare_pieces(&self, sentences: &[&[u32]]) -> Rare {
        let (conv_pieces, vocab) = (self.conv_terms.len() / CONV_ROW, self.vocab_size());
        let mut ids: Vec<u32> = sentences
            .iter()
            .flat_map(|s| s.iter().copied())
            .filter(|&id| id as usize >= conv_pieces)
            .collect();
        if let Some(&bad) = ids.iter().find(|&&id| id as usize >= vocab) {
            panic!("piece id {bad} is outside the vocabulary ({vocab})");
        }
        ids.sort_unstable();
        ids.dedup();
        let mut x = vec![0.0f32; ids.len() * PROJ];
        let mut terms = vec![0.0f32; ids.len() * CONV_ROW];
        let work = |((x, terms), ids): ((&mut [f32], &mut [f32]), &[u32])| {
            let emb: Vec<f32> = ids
                .iter()
                .flat_map(|&id| self.embedding(id as usize))
                .collect();
            self.project(ids.len(), |i| &emb[i * EMB..(i + 1) * EMB], x);
            self.conv_terms_of(ids.len(), x, terms);
        };
        if ids.len() <= TOKEN_BUDGET {
            x.chunks_mut(TOKEN_BUDGET * PROJ)
                .zip(terms.chunks_mut(TOKEN_BUDGET * CONV_ROW))
                .zip(ids.chunks(TOKEN_BUDGET))
                .for_each(work);
        } else {
            x.par_chunks_mut(TOKEN_BUDGET * PROJ)
                .zip(terms.par_chunks_mut(TOKEN_BUDGET * CONV_ROW))
                .zip(ids.par_chunks(TOKEN_BUDGET))
                .for_each(work);
        }
        Rare { ids, x, terms }
    }

    /// The first-convolution terms (`m` rows of CONV_ROW) of `m` pieces given by their
    /// projections (`m` rows of PROJ).
    fn conv_terms_of(&self, m: usize, x: &[f32], terms: &mut [f32]) {
        for (i, br) in self.branches.iter().enumerate() {
            let xs = |r: usize, _| &x[r * PROJ + i * CNN..][..CNN];
            gemm(m, CNN, &br.w1, xs, &mut terms[br.offset..], CONV_ROW);
        }
    }

    /// The first-convolution terms of pieces `0..CONV_PIECES` (among the projected
    /// ones), computed once in parallel.
    fn conv_frequent(&mut self) {
        let pieces = CONV_PIECES.min(self.projected.len() / PROJ);
        let mut terms = vec![0.0f32; pieces * CONV_ROW];
        let this = &*self;
        terms
            .par_chunks_mut(TOKEN_BUDGET * CONV_ROW)
            .enumerate()
            .for_each(|(b, out)| {
                let x = &this.projected[b * TOKEN_BUDGET * PROJ..];
                this.conv_terms_of(out.len() / CONV_ROW, x, out);
            });
        self.conv_terms = terms;
    }

    /// Writes the dequantised embedding of piece `id` into `out` (EMB floats): the
    /// same values as [`Encoder::embedding`], as a loop the compiler vectorises.
    fn dequantise(&self, id: usize, out: &mut [f32]) {
        let (chunk, row) = (id % CHUNKS, id / CHUNKS);
        let (scale, lo) = (self.scale[chunk], self.lo[chunk]);
        let q = &self.chunks[chunk][row * EMB..(row + 1) * EMB];
        for (o, &q) in out[..EMB].iter_mut().zip(q) {
            *o = q as f32 * scale + lo;
        }
    }

    /// The dequantised embedding of piece `id`.
    fn embedding(&self, id: usize) -> impl Iterator<Item = f32> + '_ {
        let (chunk, row) = (id % CHUNKS, id / CHUNKS);
        let (scale, lo) = (self.scale[chunk], self.lo[chunk]);
        self.chunks[chunk][row * EMB..(row + 1) * EMB]
            .iter()
            .map(move |&q| q as f32 * scale + lo)
    }

    /// The dense layers from summed features to normalised vectors.
    fn head(&self, features: &[&SentenceFeatures]) -> Vec<[f32; DIM]> {
        let m = features.len();
        let mut mean = vec![0.0f32; m * DIM];
        gemm(
            m,
            FEATURES,
            &self.cnn_w,
            |r, _| &features[r].sum,
            &mut mean,
            DIM,
        );
        for (row, f) in mean.chunks_exact_mut(DIM).zip(features) {
            let n = f.tokens as f32;
            let inv = if f.tokens == 0 { 0.0 } else { 1.0 / n.sqrt() };
            for (v, &b) in row.iter_mut().zip(&self.cnn_b) {
                *v = (*v + n * b) * inv;
            }
        }
        let dense = |input: &[f32], k: usize, w: &PackedB| -> Vec<f32> {
            let mut out = vec![0.0f32; m * w.n()];
            gemm(m, k, w, |r, _| &input[r * k..(r + 1) * k], &mut out, w.n());
            out
        };
        let mut y0 = dense(&mean, DIM, &self.d0);
        relu(&mut y0);
        let mut y1 = dense(&mean, DIM, &self.p1);
        add(&mut y1, &dense(&y0, HIDDEN, &self.d1));
        relu(&mut y1);
        let mut y2 = dense(&y1, HIDDEN, &self.d2);
        relu(&mut y2);
        let mut z = dense(&y1, HIDDEN, &self.p3);
        add(&mut z, &dense(&y2, DIM, &self.d3));
        z.chunks_exact(DIM)
            .zip(features)
            .map(|(row, f)| {
                let mut v = [0.0f32; DIM];
                if f.tokens == 0 {
                    return v;
                }
                v.copy_from_slice(row);
                tanh_all(&mut v);
                let norm2: f32 = v.iter().map(|x| x * x).sum();
                let inv = 1.0 / norm2.max(self.eps).sqrt();
                v.iter_mut().for_each(|x| *x *= inv);
                v
            })
            .collect()
    }
}

/// The last `m` ids (at most) of `sentences` joined as one text, before its EOS:
/// the first sentence's BOS and pieces, the others' pieces.
fn last_pieces(sentences: &[&[u32]], m: usize) -> Vec<u32> {
    let mut parts: Vec<&[u32]> = Vec::new();
    let mut need = m;
    for (k, s) in sentences.iter().enumerate().rev() {
        if need == 0 {
            break;
        }
        let from = usize::from(k > 0);
        let pieces = &s[from..s.len() - 1];
        let take = pieces.len().min(need);
        parts.push(&pieces[pieces.len() - take..]);
        need -= take;
    }
    parts.reverse();
    parts.concat()
}

/// Tokens ahead whose table rows [`prefetch`] asks for.
const PREFETCH: usize = 4;

/// Asks the CPU to bring `data` into its cache (a hint: nothing happens elsewhere).
#[inline(always)]
fn prefetch(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(16) {
        // SAFETY: a prefetch never faults, and the address is inside `data`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast::<i8>(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

fn add(row: &mut [f32], other: &[f32]) {
    for (v, &o) in row.iter_mut().zip(other) {
        *v += o;
    }
}

fn relu(row: &mut [f32]) {
    row.iter_mut().for_each(|v| *v = v.max(0.0));
}

/// Mean and 1/√(variance + eps) of a row (its length a multiple of 16).
fn moments(row: &[f32], eps: f32) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = lanes_sum(row, |v| v) / n;
    let var = lanes_sum(row, |v| (v - mean) * (v - mean)) / n;
    (mean, 1.0 / (var + eps).sqrt())
}

/// `Σ f(v)` with 16 partial sums, which the compiler turns into vector adds (a
/// plain float sum must run in order, one add at a time).
#[inline(always)]
fn lanes_sum(row: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = row.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += f(v);
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn layernorm(row: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let (mean, rstd) = moments(row, eps);
    for ((v, &g), &b) in row.iter_mut().zip(g).zip(b) {
        *v = (*v - mean) * rstd * g + b;
    }
}

/// `tanh` of every value, in place: computed in f64 and rounded once, so each is
/// within an ulp of the exact value (as the C library's is), but as a loop the
/// compiler vectorises (the library's function is a call per value: 3 % of an
/// alignment's time went to 512 calls per span vector).
fn tanh_all(v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature.
            return unsafe { tanh_avx512(v) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has the feature.
            return unsafe { tanh_avx2(v) };
        }
    }
    v.iter_mut().for_each(|x| *x = tanh(*x));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tanh_avx512(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = tanh(*x));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tanh_avx2(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = tanh(*x));
}

/// `tanh(x) = (e^2|x| - 1) / (e^2|x| + 1)` with the sign of x, in f64 without
/// branches or calls: `e^y - 1` as `2^k (1 + q) - 1` for `y = k ln 2 + r`,
/// `|r| <= ln 2 / 2`, and `q = e^r - 1` by its Taylor series to r^12 (relative error
/// below 1e-15, so no cancellation near 0). Past |x| = 9.5 the f32 result is ±1.
/// Plain multiplies and adds (no fused ones), so every instruction set gives the
/// same bits.
#[inline(always)]
fn tanh(x: f32) -> f32 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // Adding 1.5 * 2^52 rounds to an integer, which lands in the low bits.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let y = 2.0 * (x.abs() as f64).min(9.5);
    let t = y * LOG2E + ROUND;
    let k = t - ROUND;
    let pow2 = f64::from_bits((t.to_bits().wrapping_add(1023)) << 52);
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let mut q = 1.0 / 479_001_600.0;
    for d in [
        39_916_800.0,
        3_628_800.0,
        362_880.0,
        40_320.0,
        5_040.0,
        720.0,
        120.0,
        24.0,
        6.0,
        2.0,
        1.0,
    ] {
        q = q * r + 1.0 / d;
    }
    q *= r;
    let em1 = pow2 * q + (pow2 - 1.0);
    ((em1 / (em1 + 2.0)) as f32).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ulps between two finite f32 of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn tanh_is_the_correctly_rounded_value_but_for_rare_ties() {
        let mut xs: Vec<f32> = vec![
            0.0, -0.0, 1e-30, -1e-30, 1e-8, 0.5, -0.5, 9.0, 9.5, 20.0, -20.0,
        ];
        // Every 97th f32 in [-12, 12] (both signs, tiny to saturated).
        xs.extend(
            (0..0x4140_0000u32)
                .step_by(97)
                .flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)]),
        );
        let mut off = 0;
        for &x in &xs {
            let want = (x as f64).tanh() as f32;
            let got = tanh(x);
            assert_eq!(got.is_sign_negative(), x.is_sign_negative(), "{x}");
            assert!(ulps(got, want) <= 1, "tanh({x}) = {got}, want {want}");
            off += usize::from(got != want);
        }
        assert!(
            off * 100_000 < xs.len(),
            "{off} of {} off by an ulp",
            xs.len()
        );
        let mut v: Vec<f32> = xs.clone();
        tanh_all(&mut v);
        assert!(v
            .iter()
            .zip(&xs)
            .all(|(a, &x)| a.to_bits() == tanh(x).to_bits()));
    }
}
