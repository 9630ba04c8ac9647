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
//! * [`memory`] stores translation units in one SQLite file and finds fuzzy matches;
//!   [`formats`] reads and writes TMX, CSV/TSV, JSON Lines and XLIFF; [`eval`] scores
//!   segmentation and alignment against gold data.
//!
//! # Cargo features
//!
//! The core — [`text`] (spans, language tags, text input decoding), [`segment`],
//! [`unit`](mod@unit), [`error`] and [`eval::segment`] — is always built. The rest are features,
//! so that a user of `segment` alone compiles neither SQLite nor clap:
//!
//! | feature | adds | pulls in |
//! |---|---|---|
//! | `align` | `align`, `eval::align`, `eval::calibration` | rayon, unicode-normalization, strsim |
//! | `semantic` | `semantic` (the sentence encoder), `align`'s use of it | sha2, zip, rayon |
//! | `memory` | `memory`, `pretranslate` | rusqlite (bundled SQLite), libc, strsim |
//! | `formats` | `formats` | csv, tempfile |
//! | `serve` | `serve`: the memory over HTTP (JSON API, tmserver and MyMemory routes) | axum, tokio, tower-http, tracing |
//! | `cli` | the `bitext` binary (`src/main.rs`, `src/cli/`): all of the above | clap, anyhow, indicatif, signal-hook |
//! | `srx-lookaround` | SRX rules with look-around or back-references | fancy-regex |
//!
//! The defaults are `cli` and `srx-lookaround`; `default-features = false` leaves
//! segmentation alone. The `bitext` binary is a thin driver over this library.

#![warn(missing_docs)]

#[cfg(feature = "align")]
pub mod align;
pub mod error;
pub mod eval;
#[cfg(feature = "formats")]
pub mod formats;
#[cfg(all(feature = "memory", feature = "formats"))]
pub mod import;
#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "memory")]
pub mod pretranslate;
pub mod segment;
#[cfg(feature = "semantic")]
pub mod semantic;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod unit;

// The main items of each stage, for `use bitext::{Segmenter, Aligner, Memory}`; the
// rest stays in its module (`formats::UnitWriter` writes units to an exchange file,
// `memory::Writer` stores them in a memory: each is used beside its module's name).
pub use error::{Error, ErrorKind, Location, Result};
pub use segment::{Segmenter, SegmenterBuilder, SrxRules};
pub use text::{LangTag, Span};
pub use unit::{TranslationUnit, Variant};

#[cfg(feature = "align")]
pub use align::{Aligner, AlignerBuilder, Alignment, Bead, Document};
#[cfg(feature = "formats")]
pub use formats::{Format, ReadOptions, Reader};
#[cfg(feature = "memory")]
pub use memory::{Hit, LookupOptions, Memory, OpenOptions, Query};
