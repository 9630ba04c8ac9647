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
//! * [`align`] pairs the sentences of a text and its translation (1-1, 2-1, 1-2, …,
//!   with 1-0 and 0-1 for sentences without counterpart), with nothing but the two
//!   texts (an optional dictionary helps), in time linear in their length.
//!
//! ```
//! use bitext::align::{Aligner, Sentence};
//!
//! let en = ["It rained.", "We stayed home and read books all afternoon."];
//! let de = ["Es regnete.", "Wir blieben zu Hause.", "Wir lasen den ganzen Nachmittag Bücher."];
//! let src: Vec<Sentence> = en.iter().map(|s| Sentence::new(s)).collect();
//! let tgt: Vec<Sentence> = de.iter().map(|s| Sentence::new(s)).collect();
//! let beads = Aligner::new().align(&src, &tgt).beads;
//! assert_eq!((beads[1].src.clone(), beads[1].tgt.clone()), (1..2, 1..3));
//! ```
//!
//! The `bitext` binary is a thin driver over this library ([`cli`]).

#![warn(missing_docs)]

pub mod align;
pub mod cli;
pub mod error;
pub mod eval;
pub mod formats;
pub mod memory;
pub mod pretranslate;
pub mod segment;
pub mod semantic;
pub mod text;
pub mod unit;

pub use error::{Error, ErrorKind, Location, Result};
