//! The analysis of a document pre-translated from a memory, as a quote counts it:
//! each segment falls in one match band by its best match (in-context, repetition,
//! exact, fuzzy ranges, new text), and the bands count segments and words.

#[cfg(feature = "formats")]
pub mod xliff;

use std::hash::{Hash, Hasher};

use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::memory::nfc;

/// The match bands of the analysis, best first.
pub const BANDS: [&str; 8] = [
    "101",
    "repetition",
    "100",
    "95-99",
    "85-94",
    "75-84",
    "50-74",
    "no match",
];

/// Segments and words in one band.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Band {
    /// The band's name (see [`BANDS`]).
    pub band: String,
    /// Number of segments.
    pub segments: u64,
    /// Number of words (word and number tokens).
    pub words: u64,
}

/// The band (an index into [`BANDS`]) of a segment whose best match scored
/// `percent` (`None`: no match). An in-context match outranks a repetition, which
/// outranks everything else: a quote charges a repeated segment once.
pub fn band_of(percent: Option<u32>, repeated: bool) -> usize {
    match percent {
        Some(101) => 0,
        _ if repeated => 1,
        Some(100) => 2,
        Some(95..=99) => 3,
        Some(85..=94) => 4,
        Some(75..=84) => 5,
        Some(50..=74) => 6,
        _ => 7,
    }
}

/// The bands of one document, filled segment by segment.
#[derive(Debug, Clone)]
pub struct Analysis {
    bands: Vec<Band>,
    /// Hashes of the (NFC) segments seen so far: repetitions, in bounded memory.
    seen: FxHashSet<u64>,
}

impl Default for Analysis {
    fn default() -> Analysis {
        Analysis::new()
    }
}

impl Analysis {
    /// No segments yet.
    pub fn new() -> Analysis {
        Analysis {
            bands: BANDS
                .iter()
                .map(|b| Band {
                    band: b.to_string(),
                    ..Band::default()
                })
                .collect(),
            seen: FxHashSet::default(),
        }
    }

    /// Counts a segment of `words` words whose best match scored `percent`; the same
    /// text (after NFC) a second time is a repetition. Returns the band's index.
    pub fn add(&mut self, text: &str, words: usize, percent: Option<u32>) -> usize {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        nfc(text).hash(&mut hasher);
        let repeated = !self.seen.insert(hasher.finish());
        let band = band_of(percent, repeated);
        self.bands[band].segments += 1;
        self.bands[band].words += words as u64;
        band
    }

    /// The bands, in the order of [`BANDS`].
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// Words in all bands.
    pub fn words(&self) -> u64 {
        self.bands.iter().map(|b| b.words).sum()
    }

    /// The analysis as a table for people, headed by the document's `name`.
    pub fn table(&self, name: &str) -> String {
        let total_s: u64 = self.bands.iter().map(|b| b.segments).sum();
        let total_w = self.words();
        let pct = |x: u64, of: u64| {
            if of == 0 {
                0.0
            } else {
                100.0 * x as f64 / of as f64
            }
        };
        let mut s = format!(
            "analysis of {name}\n{:<12} {:>9} {:>9} {:>7}\n",
            "match", "segments", "words", "words%"
        );
        for b in &self.bands {
            s.push_str(&format!(
                "{:<12} {:>9} {:>9} {:>6.1}%\n",
                b.band,
                b.segments,
                b.words,
                pct(b.words, total_w)
            ));
        }
        s.push_str(&format!(
            "{:<12} {:>9} {:>9} {:>6.1}%\n",
            "total", total_s, total_w, 100.0
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_quote_conventions() {
        assert_eq!(BANDS[band_of(Some(101), true)], "101");
        assert_eq!(BANDS[band_of(Some(100), true)], "repetition");
        assert_eq!(BANDS[band_of(Some(100), false)], "100");
        assert_eq!(BANDS[band_of(Some(95), false)], "95-99");
        assert_eq!(BANDS[band_of(Some(94), false)], "85-94");
        assert_eq!(BANDS[band_of(Some(75), false)], "75-84");
        assert_eq!(BANDS[band_of(Some(50), false)], "50-74");
        assert_eq!(BANDS[band_of(None, false)], "no match");
        assert_eq!(BANDS[band_of(None, true)], "repetition");
    }

    #[test]
    fn repetitions_are_counted_once_in_nfc() {
        let mut a = Analysis::new();
        assert_eq!(a.add("Café au lait.", 3, Some(80)), 5);
        // The same text decomposed is a repetition.
        assert_eq!(a.add("Cafe\u{301} au lait.", 3, Some(80)), 1);
        assert_eq!(a.add("Café au lait.", 3, Some(101)), 0);
        assert_eq!(a.words(), 9);
        let table = a.table("doc");
        let row = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            table.lines().any(|l| row(l) == "repetition 1 3 33.3%"),
            "{table}"
        );
    }
}
