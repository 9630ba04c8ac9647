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
//! once per micro-batch; micro-batches run in parallel on rayon's pool.

use std::ops::Add;

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

/// One CNN branch: two convolutions over windows of n tokens (n = rows of `w1` / 256).
#[derive(Debug)]
struct Branch {
    left: usize,
    w1: PackedB,
    b1: Vec<f32>,
    w2: PackedB,
    b2: Vec<f32>,
}

/// The sentence encoder, with its weights in memory (about 80 MB: the token table
/// stays 6-bit-in-a-byte quantised).
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

/// Activation buffers of one micro-batch, reused across batches by one thread.
#[derive(Default)]
struct Scratch {
    /// Token features `[embedding | cnn2 | cnn3 | cnn5]`, FEATURES per token.
    feats: Vec<f32>,
    /// The projection after its layernorm, PROJ per token.
    x: Vec<f32>,
    /// A branch's first convolution, CNN per token.
    h: Vec<f32>,
    /// Per token: the first token of its sentence and one past its last.
    bounds: Vec<(usize, usize)>,
    zero: Vec<f32>,
    /// Tokens whose projection is not in the table, and their projections.
    todo: Vec<usize>,
    fresh: Vec<f32>,
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
        for (i, &(n, left)) in ORDERS.iter().enumerate() {
            // The three projections side by side: one 512×768 product per token.
            let w = f32s(&format!("proj{n}"), &[EMB, CNN])?;
            for (row, src) in proj.chunks_exact_mut(PROJ).zip(w.chunks_exact(CNN)) {
                row[i * CNN..(i + 1) * CNN].copy_from_slice(src);
            }
            proj_b.extend(f32s(&format!("proj_b{n}"), &[CNN])?);
            proj_ln_g.extend(f32s(&format!("ln_g{n}"), &[CNN])?);
            proj_ln_b.extend(f32s(&format!("ln_b{n}"), &[CNN])?);
            branches.push(Branch {
                left,
                w1: packed(&format!("w1_{n}"), n * CNN, CNN)?,
                b1: f32s(&format!("b1_{n}"), &[CNN])?,
                w2: packed(&format!("w2_{n}"), n * CNN, CNN)?,
                b2: f32s(&format!("b2_{n}"), &[CNN])?,
            });
        }
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
        };
        encoder.project_frequent();
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
        self.per_batch(sentences, |scratch, batch| {
            let features = self.features_batch(batch, scratch, None);
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
        self.per_batch(sentences, |scratch, batch| {
            self.features_batch(batch, scratch, None)
        })
    }

    /// The features of sentence `a` followed by sentence `b` as one text (`a`'s ids
    /// without its EOS, then `b`'s without its BOS: what the tokenizer gives for the
    /// two joined by a space), exactly, from their own features: a token's features
    /// depend only on the ids within [`REACH`] places, so only the tokens that near
    /// the junction change, and only those are encoded again. `None` if a sentence
    /// has fewer than 2·REACH + 1 ids (encode the joined ids instead: they are few).
    pub fn joined_features(
        &self,
        (a, fa): (&[u32], &SentenceFeatures),
        (b, fb): (&[u32], &SentenceFeatures),
    ) -> Option<SentenceFeatures> {
        let w = 2 * REACH + 1;
        if a.len() < w || b.len() < w {
            return None;
        }
        // a's last REACH pieces and EOS, in a's own context (the tail holds all of it);
        // b's BOS and first REACH pieces, in b's; and the 2·REACH pieces at the
        // junction in the joined text's context.
        let tail = &a[a.len() - w..];
        let head = &b[..w];
        let mut junction = a[a.len() - 1 - 2 * REACH..a.len() - 1].to_vec();
        junction.extend_from_slice(&b[1..1 + 2 * REACH]);
        let counted = [w - (REACH + 1)..w, 0..REACH + 1, REACH..3 * REACH];
        let mut scratch = Scratch::default();
        let [old_a, old_b, new] = <[SentenceFeatures; 3]>::try_from(self.features_batch(
            &[tail, head, &junction],
            &mut scratch,
            Some(&counted),
        ))
        .ok()?;
        let sum = fa
            .sum
            .iter()
            .zip(&*fb.sum)
            .zip(&*old_a.sum)
            .zip(&*old_b.sum)
            .zip(&*new.sum)
            .map(|((((x, y), p), q), n)| x + y - p - q + n)
            .collect();
        Some(SentenceFeatures {
            sum,
            tokens: fa.tokens + fb.tokens - 2,
        })
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
    /// `work` on each, in parallel when there are several; results in input order.
    fn per_batch<T: Send>(
        &self,
        sentences: &[&[u32]],
        work: impl Fn(&mut Scratch, &[&[u32]]) -> Vec<T> + Sync,
    ) -> Vec<T> {
        let mut batches = Vec::new();
        let (mut first, mut tokens) = (0, 0);
        for (i, s) in sentences.iter().enumerate() {
            if i > first && tokens + s.len() > TOKEN_BUDGET {
                batches.push(&sentences[first..i]);
                (first, tokens) = (i, 0);
            }
            tokens += s.len();
        }
        if first < sentences.len() {
            batches.push(&sentences[first..]);
        }
        if batches.len() <= 1 {
            let mut scratch = Scratch::default();
            return batches
                .into_iter()
                .flat_map(|b| work(&mut scratch, b))
                .collect();
        }
        let results: Vec<Vec<T>> = batches
            .par_iter()
            .map_init(Scratch::default, |scratch, batch| work(scratch, batch))
            .collect();
        results.into_iter().flatten().collect()
    }

    /// The token features of one micro-batch, summed per sentence.
    /// The features of `sentences`; with `counted`, each sentence's sum covers only
    /// the tokens of its range (the others are its context).
    fn features_batch(
        &self,
        sentences: &[&[u32]],
        scratch: &mut Scratch,
        counted: Option<&[std::ops::Range<usize>]>,
    ) -> Vec<SentenceFeatures> {
        let t: usize = sentences.iter().map(|s| s.len()).sum();
        if t == 0 {
            let empty = SentenceFeatures {
                sum: vec![0.0; FEATURES].into_boxed_slice(),
                tokens: 0,
            };
            return vec![empty; sentences.len()];
        }
        let Scratch {
            feats,
            x,
            h,
            bounds,
            zero,
            todo,
            fresh,
        } = scratch;
        feats.resize(t * FEATURES, 0.0);
        x.resize(t * PROJ, 0.0);
        h.resize(t * CNN, 0.0);
        zero.resize(CNN, 0.0);
        bounds.clear();

        // Dequantised embeddings into the first EMB columns of each token's features;
        // the projection of frequent pieces comes from the table made at load.
        let vocab = self.vocab_size();
        todo.clear();
        let mut r = 0;
        for s in sentences {
            let sentence = (r, r + s.len());
            for &id in s.iter() {
                let id = id as usize;
                assert!(
                    id < vocab,
                    "piece id {id} is outside the vocabulary ({vocab})"
                );
                for (e, v) in feats[r * FEATURES..][..EMB]
                    .iter_mut()
                    .zip(self.embedding(id))
                {
                    *e = v;
                }
                match self.projected.get(id * PROJ..(id + 1) * PROJ) {
                    Some(row) => x[r * PROJ..(r + 1) * PROJ].copy_from_slice(row),
                    None => todo.push(r),
                }
                bounds.push(sentence);
                r += 1;
            }
        }

        // The other pieces' projections.
        if !todo.is_empty() {
            fresh.resize(todo.len() * PROJ, 0.0);
            self.project(todo.len(), |i| &feats[todo[i] * FEATURES..][..EMB], fresh);
            for (&r, row) in todo.iter().zip(fresh.chunks_exact(PROJ)) {
                x[r * PROJ..(r + 1) * PROJ].copy_from_slice(row);
            }
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
            let xs = |q: usize| &x[q * PROJ + cols.start..q * PROJ + cols.end];
            gemm(
                t,
                CNN,
                &br.w1,
                |r, s| window(r, s).map_or(&zero[..], xs),
                h,
                CNN,
            );
            for (r, row) in h.chunks_exact_mut(CNN).enumerate() {
                for ((v, &b), &res) in row.iter_mut().zip(&br.b1).zip(xs(r)) {
                    *v = (*v + b).max(0.0) + res;
                }
            }
            let out = EMB + i * CNN;
            let h = &h[..];
            gemm(
                t,
                CNN,
                &br.w2,
                |r, s| window(r, s).map_or(&zero[..], |q| &h[q * CNN..(q + 1) * CNN]),
                &mut feats[out..],
                FEATURES,
            );
            for (r, row) in feats.chunks_exact_mut(FEATURES).enumerate() {
                let row = &mut row[out..out + CNN];
                for ((v, &b), &res) in row.iter_mut().zip(&br.b2).zip(&h[r * CNN..]) {
                    *v = (*v + b).max(0.0) + res;
                }
            }
        }

        // Layernorm over each token's 1,280 features, summed per sentence: the gain and
        // bias are applied once to the sum of the normalised rows.
        let mut out = Vec::with_capacity(sentences.len());
        let mut r = 0;
        for (k, s) in sentences.iter().enumerate() {
            let range = counted.map_or(0..s.len(), |c| c[k].clone());
            let mut acc = vec![0.0f32; FEATURES];
            let rows = &feats[(r + range.start) * FEATURES..(r + range.end) * FEATURES];
            for row in rows.chunks_exact(FEATURES) {
                let (mean, rstd) = moments(row, self.eps);
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += (v - mean) * rstd;
                }
            }
            let n = range.len() as f32;
            for ((a, &g), &b) in acc.iter_mut().zip(&self.ln_g).zip(&self.ln_b) {
                *a = *a * g + n * b;
            }
            out.push(SentenceFeatures {
                sum: acc.into_boxed_slice(),
                tokens: range.len() as u32,
            });
            r += s.len();
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
                for (o, &x) in v.iter_mut().zip(row) {
                    *o = x.tanh();
                }
                let norm2: f32 = v.iter().map(|x| x * x).sum();
                let inv = 1.0 / norm2.max(self.eps).sqrt();
                v.iter_mut().for_each(|x| *x *= inv);
                v
            })
            .collect()
    }
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
