//! bitext: sentence segmentation, sentence alignment and translation memory for
//! translators, localization engineers and parallel-corpus builders.
//!
//! Each stage of the pipeline is a module that works on its own:
//!
//! * [`segment`] splits text into sentences in many languages and scripts; every
//!   sentence keeps its byte span in the input, so nothing is lost.
//!
//! ```
//! use bitext::segment::Segmenter;
//! use bitext::text::LangTag;
//!
//! let segmenter = Segmenter::new(&LangTag::parse("en").unwrap());
//! let text = "Mr. Smith went to Washington. He arrived at 5 p.m. on Monday.";
//! let sentences: Vec<&str> =
//!     segmenter.segment(text).iter().map(|s| s.span.slice(text)).collect();
//! assert_eq!(sentences, ["Mr. Smith went to Washington.", "He arrived at 5 p.m. on Monday."]);
//! ```
//!
//! The `bitext` binary is a thin driver over this library ([`cli`]).

#![warn(missing_docs)]

pub mod align;
pub mod cli;
pub mod error;
pub mod eval;
pub mod formats;
pub mod segment;
pub mod text;
pub mod unit;

pub use error::{Error, ErrorKind, Location, Result};
