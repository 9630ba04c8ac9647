//! Sentence vectors for the semantic evidence: one vector for every span of 1..=K
//! consecutive sentences of one side, so that a bead of a sentences is compared by
//! the vector of those a sentences together (as Vecalign does).
//!
//! Vectors come from Vecalign's files (an overlaps text file and a float32 matrix,
//! [`SpanVectors::from_vecalign`]) or from any encoder
//! ([`SpanVectors::from_texts`], [`SpanVectors::from_sentence_vectors`],
//! [`SpanVectors::from_spans`]). They are stored L2-normalised as 8-bit integers
//! with a scale per row: cosines keep three decimals (far finer than the
//! differences the aligner weighs) and 50,000 sentences with spans of up to 4 take
//! 100 MB per side instead of 400.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use crate::error::{Error, ErrorKind, Location, Result};

/// Vecalign's limit on an overlap line (`overlap.py` cuts longer lines).
const MAX_SPAN_CHARS: usize = 10_000;

/// Unit vectors for every span of 1..=`max_span()` consecutive sentences of a text.
#[derive(Debug, Clone)]
pub struct SpanVectors {
    n: usize,
    k: usize,
    dim: usize,
    /// Row of the span of `a` sentences from `i`: `(a - 1) * n + i` (rows whose
    /// span would run past the end are zero).
    data: Vec<i8>,
    /// Per row: the factor that turns the row's integers back into the unit vector.
    scale: Vec<f32>,
}

impl SpanVectors {
    /// Spans of 1..=`k` sentences of a text of `n` sentences, their vectors given by
    /// `embed` for all the spans at once (the ranges in any order, one vector each,
    /// all of one dimension). Vectors need not be normalised; a zero vector is
    /// allowed (it matches nothing).
    pub fn from_spans(
        n: usize,
        k: usize,
        embed: impl FnOnce(&[Range<usize>]) -> Vec<Vec<f32>>,
    ) -> Result<SpanVectors> {
        let k = k.max(1);
        let spans: Vec<Range<usize>> = (1..=k)
            .flat_map(|a| (0..n.saturating_sub(a - 1)).map(move |i| i..i + a))
            .collect();
        let vectors = embed(&spans);
        if vectors.len() != spans.len() {
            return Err(Error::invalid(format!(
                "the encoder returned {} vectors for {} spans",
                vectors.len(),
                spans.len()
            )));
        }
        let dim = vectors.first().map_or(0, Vec::len);
        if let Some(bad) = vectors.iter().position(|v| v.len() != dim) {
            return Err(Error::invalid(format!(
                "the encoder returned vectors of {} and {} dimensions",
                dim,
                vectors[bad].len()
            )));
        }
        let mut out = SpanVectors::zeros(n, k, dim);
        for (span, v) in spans.iter().zip(&vectors) {
            out.set(span.len(), span.start, v);
        }
        Ok(out)
    }

    /// Spans of 1..=`k` of `sentences`, each embedded as its sentences' texts joined
    /// by a space (what Vecalign's overlaps are): `embed` gets every distinct span
    /// text once.
    pub fn from_texts(
        sentences: &[&str],
        k: usize,
        embed: impl FnOnce(&[&str]) -> Vec<Vec<f32>>,
    ) -> Result<SpanVectors> {
        let texts = SpanTexts::new(sentences, k);
        SpanVectors::from_spans(sentences.len(), k, |spans| {
            let mut distinct: Vec<&str> = Vec::new();
            let mut index: HashMap<&str, usize> = HashMap::new();
            let ids: Vec<usize> = spans
                .iter()
                .map(|s| {
                    let t = texts.get(s.start, s.len());
                    *index.entry(t).or_insert_with(|| {
                        distinct.push(t);
                        distinct.len() - 1
                    })
                })
                .collect();
            let vectors = embed(&distinct);
            if vectors.len() != distinct.len() {
                // from_spans reports the mismatch.
                return vectors;
            }
            ids.into_iter().map(|id| vectors[id].clone()).collect()
        })
    }

    /// Spans of 1..=`k` of `sentences`, embedded by the built-in sentence encoder
    /// (`--semantic`; see [`crate::semantic::SentenceEncoder::embed_spans`]), a chunk
    /// of sentences at a time (so memory holds the quantised vectors, not floats).
    #[cfg(feature = "semantic")]
    pub fn from_encoder(
        encoder: &crate::semantic::SentenceEncoder,
        sentences: &[&str],
        k: usize,
    ) -> SpanVectors {
        const CHUNK: usize = 4096;
        let (n, k) = (sentences.len(), k.max(1));
        let mut out = SpanVectors::zeros(n, k, crate::semantic::encoder::DIM);
        for first in (0..n).step_by(CHUNK) {
            let spans: Vec<Range<usize>> = (first..(first + CHUNK).min(n))
                .flat_map(|i| (1..=k).filter(move |a| i + a <= n).map(move |a| i..i + a))
                .collect();
            let vectors = encoder.embed_spans(sentences, &spans);
            for (span, v) in spans.iter().zip(vectors) {
                out.set(span.len(), span.start, &v);
            }
        }
        out
    }

    /// Spans of 1..=`k` sentences from one vector per sentence: a span's vector is
    /// `merge` of its sentences' vectors (e.g. their sum, or an encoder's merge of
    /// per-sentence features).
    pub fn from_sentence_vectors(
        sentences: &[Vec<f32>],
        k: usize,
        merge: impl Fn(&[&[f32]]) -> Vec<f32>,
    ) -> Result<SpanVectors> {
        SpanVectors::from_spans(sentences.len(), k, |spans| {
            spans
                .iter()
                .map(|s| {
                    let parts: Vec<&[f32]> =
                        sentences[s.clone()].iter().map(Vec::as_slice).collect();
                    merge(&parts)
                })
                .collect()
        })
    }

    /// Reads Vecalign's layout for the spans of 1..=`k` of `sentences`: `overlaps`
    /// has one span text a line (sentences stripped, an empty one written
    /// `BLANK_LINE`, joined by a space, cut at 10,000 characters; lines for other
    /// texts may be there too), `embeddings` one float32 row per line of it, in the
    /// machine's byte order (little-endian here), the dimension being the file's
    /// size divided by the line count. A span of the text that has no line is an
    /// error naming it (make the overlaps with Vecalign's `overlap.py -n K`, K at
    /// least the largest bead side).
    pub fn from_vecalign(
        sentences: &[&str],
        k: usize,
        overlaps: &Path,
        embeddings: &Path,
    ) -> Result<SpanVectors> {
        let k = k.max(1);
        let texts = SpanTexts::new(sentences, k);
        // Rows wanted: text -> line of the overlaps file.
        let mut wanted: HashMap<&str, Option<u64>> = HashMap::new();
        for a in 1..=k {
            for i in 0..sentences.len().saturating_sub(a - 1) {
                wanted.insert(texts.get(i, a), None);
            }
        }
        let file = std::fs::File::open(overlaps).map_err(|e| Error::io(e, Some(overlaps)))?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut rows = 0u64;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|e| {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    Error::encoding("not UTF-8", Location::file(overlaps).with_line(rows + 1))
                } else {
                    Error::io(e, Some(overlaps))
                }
            })?;
            if read == 0 {
                break;
            }
            rows += 1;
            let text = line.trim();
            if let Some(slot) = wanted.get_mut(text) {
                if let Some(first) = slot {
                    return Err(Error::syntax(
                        format!(
                            "the same span as line {} (each span has one vector)",
                            *first + 1
                        ),
                        Location::file(overlaps).with_line(rows),
                    ));
                }
                *slot = Some(rows - 1);
            } else if seen.len() < 1_000_000 {
                // Repeats elsewhere are just as wrong, but only worth catching
                // while cheap.
                if let Some(first) = seen.insert(text.to_string(), rows - 1) {
                    return Err(Error::syntax(
                        format!(
                            "the same span as line {} (each span has one vector)",
                            first + 1
                        ),
                        Location::file(overlaps).with_line(rows),
                    ));
                }
            }
        }
        drop(seen);
        let size = std::fs::metadata(embeddings)
            .map_err(|e| Error::io(e, Some(embeddings)))?
            .len();
        let dim = embedding_dim(size, rows).map_err(|m| {
            Error::new(
                ErrorKind::Invalid(format!(
                    "{m} (the overlaps file {} has {rows} lines)",
                    overlaps.display()
                )),
                Location::file(embeddings),
            )
        })?;
        // Every span of the text needs its row.
        for a in 1..=k {
            for i in 0..sentences.len().saturating_sub(a - 1) {
                let text = texts.get(i, a);
                if wanted[text].is_none() {
                    let preview: String = text.chars().take(60).collect();
                    let ellipsis = if text.chars().count() > 60 { "…" } else { "" };
                    return Err(Error::new(
                        ErrorKind::Invalid(format!(
                            "no line for the span of sentence{} {} ({preview:?}{ellipsis}): the \
                             file must hold every span of 1 to {k} consecutive sentences of the \
                             text (Vecalign: overlap.py -n {k} or more, on this very text)",
                            if a > 1 { "s" } else { "" },
                            if a > 1 {
                                format!("{}–{}", i + 1, i + a)
                            } else {
                                (i + 1).to_string()
                            },
                        )),
                        Location::file(overlaps),
                    ));
                }
            }
        }
        // Read the wanted rows in file order.
        let mut order: Vec<(u64, &str)> = wanted
            .iter()
            .filter_map(|(t, r)| r.map(|r| (r, *t)))
            .collect();
        order.sort_unstable();
        let mut file = BufReader::new(
            std::fs::File::open(embeddings).map_err(|e| Error::io(e, Some(embeddings)))?,
        );
        let mut bytes = vec![0u8; dim * 4];
        let mut row_vec = vec![0f32; dim];
        let mut by_text: HashMap<&str, (Vec<i8>, f32)> = HashMap::with_capacity(order.len());
        let mut pos = 0u64;
        for (row, text) in order {
            let at = row * dim as u64 * 4;
            if at != pos {
                file.seek(SeekFrom::Start(at))
                    .map_err(|e| Error::io(e, Some(embeddings)))?;
            }
            file.read_exact(&mut bytes)
                .map_err(|e| Error::io(e, Some(embeddings)))?;
            pos = at + bytes.len() as u64;
            for (x, b) in row_vec.iter_mut().zip(bytes.chunks_exact(4)) {
                *x = f32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            }
            if let Some(bad) = row_vec.iter().position(|x| !x.is_finite()) {
                return Err(Error::new(
                    ErrorKind::Invalid(format!(
                        "row {} (line {} of {}) has a value that is not a number at column {}",
                        row + 1,
                        row + 1,
                        overlaps.display(),
                        bad + 1
                    )),
                    Location::file(embeddings),
                ));
            }
            by_text.insert(text, quantise(&row_vec));
        }
        let mut out = SpanVectors::zeros(sentences.len(), k, dim);
        for a in 1..=k {
            for i in 0..sentences.len().saturating_sub(a - 1) {
                let (q, s) = &by_text[texts.get(i, a)];
                let r = out.row(a, i);
                out.data[r * dim..(r + 1) * dim].copy_from_slice(q);
                out.scale[r] = *s;
            }
        }
        Ok(out)
    }

    fn zeros(n: usize, k: usize, dim: usize) -> SpanVectors {
        SpanVectors {
            n,
            k,
            dim,
            data: vec![0; n * k * dim],
            scale: vec![0.0; n * k],
        }
    }

    #[inline]
    fn row(&self, a: usize, i: usize) -> usize {
        (a - 1) * self.n + i
    }

    fn set(&mut self, a: usize, i: usize, v: &[f32]) {
        let r = self.row(a, i);
        let (q, s) = quantise(v);
        self.data[r * self.dim..(r + 1) * self.dim].copy_from_slice(&q);
        self.scale[r] = s;
    }

    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True if the text has no sentence.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The largest span, in sentences.
    pub fn max_span(&self) -> usize {
        self.k
    }

    /// Dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Cosine of the span of `a` sentences from `i` with the span of `b` sentences
    /// from `j` of `other` (0 if either vector is zero or the dimensions differ).
    #[inline]
    pub fn cosine(&self, i: usize, a: usize, other: &SpanVectors, j: usize, b: usize) -> f32 {
        if self.dim != other.dim {
            return 0.0;
        }
        let (r, s) = (self.row(a, i), other.row(b, j));
        let d = self.dim;
        let x = &self.data[r * d..(r + 1) * d];
        let y = &other.data[s * d..(s + 1) * d];
        let mut acc = 0i32;
        // Chunks of 32 let the compiler use wide integer multiply-adds.
        let (xc, xr) = x.split_at(d - d % 32);
        let (yc, yr) = y.split_at(d - d % 32);
        for (p, q) in xc.chunks_exact(32).zip(yc.chunks_exact(32)) {
            let mut part = 0i32;
            for t in 0..32 {
                part += p[t] as i32 * q[t] as i32;
            }
            acc += part;
        }
        for (p, q) in xr.iter().zip(yr) {
            acc += *p as i32 * *q as i32;
        }
        acc as f32 * self.scale[r] * other.scale[s]
    }
}

/// The row length of an embeddings file of `size` bytes for `rows` lines of
/// overlaps, or why there is none.
fn embedding_dim(size: u64, rows: u64) -> std::result::Result<usize, String> {
    if rows == 0 {
        return Err("no span vectors: the overlaps file is empty".into());
    }
    if !size.is_multiple_of(4) {
        return Err(format!(
            "{size} bytes is not a whole number of float32 values"
        ));
    }
    let floats = size / 4;
    if floats == 0 || !floats.is_multiple_of(rows) {
        return Err(format!(
            "{floats} float32 values do not make {rows} rows of one length"
        ));
    }
    Ok((floats / rows) as usize)
}

/// `v` normalised to unit length, as integers of at most 127 and the scale that
/// turns them back.
fn quantise(v: &[f32]) -> (Vec<i8>, f32) {
    let norm = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs())) as f64;
    if norm == 0.0 || max == 0.0 || !norm.is_finite() {
        return (vec![0; v.len()], 0.0);
    }
    let factor = 127.0 / max;
    let q: Vec<i8> = v
        .iter()
        .map(|x| (*x as f64 * factor).round().clamp(-127.0, 127.0) as i8)
        .collect();
    // Scale so that the integer vector has unit length.
    let qnorm = q.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    (q, (1.0 / qnorm) as f32)
}

/// The texts of the spans of 1..=k sentences as Vecalign writes them.
struct SpanTexts {
    /// Index `(a - 1) * n + i`.
    texts: Vec<String>,
    n: usize,
}

impl SpanTexts {
    fn new(sentences: &[&str], k: usize) -> SpanTexts {
        let n = sentences.len();
        let clean: Vec<&str> = sentences
            .iter()
            .map(|s| {
                let t = s.trim();
                if t.is_empty() {
                    "BLANK_LINE"
                } else {
                    t
                }
            })
            .collect();
        let mut texts = Vec::with_capacity(n * k);
        for a in 1..=k {
            for i in 0..n {
                if i + a > n {
                    texts.push(String::new());
                    continue;
                }
                let joined = clean[i..i + a].join(" ");
                let cut = match joined.char_indices().nth(MAX_SPAN_CHARS) {
                    Some((at, _)) => joined[..at].trim_end().to_string(),
                    None => joined,
                };
                texts.push(cut);
            }
        }
        SpanTexts { texts, n }
    }

    fn get(&self, i: usize, a: usize) -> &str {
        &self.texts[(a - 1) * self.n + i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn floats(rows: &[Vec<f32>]) -> Vec<u8> {
        rows.iter()
            .flatten()
            .flat_map(|x| x.to_ne_bytes())
            .collect()
    }

    /// A vector per text: a one-hot direction by a hash, so that different texts
    /// are orthogonal and equal ones identical.
    fn toy(text: &str, dim: usize) -> Vec<f32> {
        let h = text
            .bytes()
            .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        let mut v = vec![0.0; dim];
        v[h % dim] = 2.0;
        v
    }

    #[test]
    fn reads_vecalign_files_and_looks_spans_up_by_text() {
        let dir = tempfile::tempdir().unwrap();
        let sents = ["Hello there.", "  General Kenobi! ", "Bye."];
        // Vecalign's overlaps for -n 2: sorted, with PAD, plus a line of another text.
        let lines = [
            "General Kenobi!",
            "General Kenobi! Bye.",
            "Hello there.",
            "Hello there. General Kenobi!",
            "PAD",
            "Unrelated line.",
            "Bye.",
        ];
        let dim = 64;
        let rows: Vec<Vec<f32>> = lines.iter().map(|l| toy(l, dim)).collect();
        let ov = write(
            dir.path(),
            "a.overlaps",
            (lines.join("\n") + "\n").as_bytes(),
        );
        let emb = write(dir.path(), "a.emb", &floats(&rows));
        let v = SpanVectors::from_vecalign(&sents, 2, &ov, &emb).unwrap();
        assert_eq!((v.len(), v.max_span(), v.dim()), (3, 2, dim));
        let same = |i, a, t: &str| {
            let w = SpanVectors::from_texts(&[t], 1, |ts| ts.iter().map(|t| toy(t, dim)).collect())
                .unwrap();
            v.cosine(i, a, &w, 0, 1)
        };
        assert!((same(1, 1, "General Kenobi!") - 1.0).abs() < 1e-3);
        assert!((same(0, 2, "Hello there. General Kenobi!") - 1.0).abs() < 1e-3);
        assert!((same(1, 2, "General Kenobi! Bye.") - 1.0).abs() < 1e-3);
        assert!((same(2, 1, "Bye.") - 1.0).abs() < 1e-3);
    }

    #[test]
    fn bad_sizes_and_missing_spans_are_located_errors() {
        let dir = tempfile::tempdir().unwrap();
        let sents = ["One.", "Two."];
        let lines = "One.\nOne. Two.\nTwo.\n";
        let ov = write(dir.path(), "s.overlaps", lines.as_bytes());
        // 3 rows of 4 floats, but one byte short.
        let mut bytes = floats(&[vec![1.0; 4], vec![1.0; 4], vec![1.0; 4]]);
        bytes.pop();
        let emb = write(dir.path(), "s.emb", &bytes);
        let e = SpanVectors::from_vecalign(&sents, 2, &ov, &emb).unwrap_err();
        assert!(e.to_string().contains("s.emb"), "{e}");
        assert!(
            e.to_string().contains("not a whole number of float32"),
            "{e}"
        );
        // Whole floats, but not a multiple of the 3 lines.
        let emb = write(dir.path(), "s.emb", &floats(&[vec![1.0; 5], vec![1.0; 5]]));
        let e = SpanVectors::from_vecalign(&sents, 2, &ov, &emb).unwrap_err();
        assert!(e.to_string().contains("do not make 3 rows"), "{e}");
        // The file has spans of one sentence only, the aligner wants two.
        let ov1 = write(dir.path(), "t.overlaps", b"One.\nTwo.\n");
        let emb1 = write(dir.path(), "t.emb", &floats(&[vec![1.0; 4], vec![0.5; 4]]));
        let e = SpanVectors::from_vecalign(&sents, 2, &ov1, &emb1).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{}:", ov1.display())), "{msg}");
        assert!(
            msg.contains("sentences 1–2") && msg.contains("-n 2"),
            "{msg}"
        );
        // A sentence of another text.
        let e = SpanVectors::from_vecalign(&["One.", "Three."], 1, &ov1, &emb1).unwrap_err();
        assert!(e.to_string().contains("sentence 2 (\"Three.\")"), "{e}");
        // The same span twice.
        let ov2 = write(dir.path(), "u.overlaps", b"One.\nTwo.\nOne.\n");
        let emb2 = write(dir.path(), "u.emb", &floats(&vec![vec![1.0; 4]; 3]));
        let e = SpanVectors::from_vecalign(&sents, 1, &ov2, &emb2).unwrap_err();
        assert!(e.to_string().contains("u.overlaps:3"), "{e}");
        // Empty overlaps, not a number, missing file.
        let ov3 = write(dir.path(), "v.overlaps", b"");
        let e = SpanVectors::from_vecalign(&sents, 1, &ov3, &emb2).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let emb4 = write(
            dir.path(),
            "w.emb",
            &floats(&[vec![1.0, f32::NAN], vec![1.0, 0.0], vec![0.0, 1.0]]),
        );
        let e = SpanVectors::from_vecalign(&sents, 2, &ov, &emb4).unwrap_err();
        assert!(e.to_string().contains("not a number"), "{e}");
        let e = SpanVectors::from_vecalign(&sents, 1, &dir.path().join("none"), &emb).unwrap_err();
        assert!(e.to_string().contains("none"), "{e}");
    }

    #[test]
    fn encoder_closures_and_merges() {
        let sents = ["a", "b", "a"];
        // Joined texts: "a" appears twice but is embedded once.
        let mut calls = 0;
        let v = SpanVectors::from_texts(&sents, 2, |ts| {
            calls += ts.len();
            ts.iter().map(|t| toy(t, 16)).collect()
        })
        .unwrap();
        assert_eq!(calls, 4); // a, b, "a b", "b a"
        assert!((v.cosine(0, 1, &v, 2, 1) - 1.0).abs() < 1e-3);
        // Merging: the sum of two orthogonal unit vectors is at 45° from each.
        let rows = vec![vec![1.0, 0.0], vec![0.0, 3.0]];
        let m = SpanVectors::from_sentence_vectors(&rows, 2, |parts| {
            let mut s = vec![0.0; 2];
            for p in parts {
                let n = p.iter().map(|x| x * x).sum::<f32>().sqrt();
                for (o, x) in s.iter_mut().zip(*p) {
                    *o += x / n;
                }
            }
            s
        })
        .unwrap();
        assert!((m.cosine(0, 2, &m, 0, 1) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-2);
        // Ragged or missing vectors are errors.
        assert!(SpanVectors::from_spans(2, 1, |_| vec![vec![1.0], vec![1.0, 2.0]]).is_err());
        assert!(SpanVectors::from_spans(2, 1, |_| vec![vec![1.0]]).is_err());
    }

    #[test]
    fn quantised_cosines_keep_three_decimals() {
        let mut seed = 1u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let x: Vec<f32> = (0..512).map(|_| rnd()).collect();
        let y: Vec<f32> = x.iter().map(|v| v + 0.8 * rnd()).collect();
        let exact = {
            let d: f32 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            let n = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>().sqrt();
            d / (n(&x) * n(&y))
        };
        let v = SpanVectors::from_spans(2, 1, |_| vec![x.clone(), y.clone()]).unwrap();
        assert!((v.cosine(0, 1, &v, 1, 1) - exact).abs() < 2e-3, "{exact}");
        assert!((v.cosine(0, 1, &v, 0, 1) - 1.0).abs() < 1e-4);
    }
}
