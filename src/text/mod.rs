//! Shared vocabulary of the library: byte spans into an input text and language tags.
//! Nothing here depends on any other module.

#[cfg(any(feature = "align", feature = "memory"))]
pub(crate) mod distance;
pub mod input;
mod lang;

pub use input::{decoding_reader, encoding_for_label};

pub use lang::{suggest as suggest_language, LangTag};

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into an input text. Serialised as `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "(usize, usize)", into = "(usize, usize)")]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span { start, end }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True if the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The same span moved `offset` bytes further into a larger text.
    pub fn shifted(&self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }

    /// The text this span covers in `text`.
    pub fn slice<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

impl From<(usize, usize)> for Span {
    fn from((start, end): (usize, usize)) -> Span {
        Span { start, end }
    }
}

impl From<Span> for (usize, usize) {
    fn from(span: Span) -> (usize, usize) {
        (span.start, span.end)
    }
}

/// `n` and the noun, singular for one: "1 unit", "2 units", "0 units". For counts in
/// messages (the nouns used take a plain -s).
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// True for characters XML 1.0 allows in a document (what a memory may store, so
/// that every unit can be exported as TMX).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Characters of scripts written without spaces between words: Han, kana and
/// Bopomofo (see [`is_han_or_kana`]) and Thai, Lao, Myanmar and Khmer. Not Hangul:
/// Korean puts spaces between words. Text in these scripts is cut into characters
/// where other text is cut into words.
#[cfg_attr(not(any(feature = "align", feature = "memory")), allow(dead_code))]
pub(crate) fn is_spaceless(c: char) -> bool {
    is_han_or_kana(c)
        || matches!(c as u32,
            0x0E00..=0x0EFF      // Thai, Lao
            | 0x1000..=0x109F    // Myanmar
            | 0x1780..=0x17FF    // Khmer
            | 0x19E0..=0x19FF    // Khmer symbols
            | 0xA9E0..=0xA9FF    // Myanmar extended-B
            | 0xAA60..=0xAA7F    // Myanmar extended-A
        )
}

/// Han (with its radicals and marks), kana and Bopomofo: the scripts of Chinese and
/// Japanese, which put no spaces between words and none between sentences either.
pub(crate) fn is_han_or_kana(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF      // CJK radicals, Kangxi
        | 0x3005..=0x3007    // 々 〆 〇
        | 0x3021..=0x3029    // Hangzhou numerals
        | 0x3031..=0x3035    // kana repeat marks
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3100..=0x312F    // Bopomofo
        | 0x31A0..=0x31BF    // Bopomofo extended
        | 0x31F0..=0x31FF    // Katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x1B000..=0x1B16F  // kana supplement, extended
        | 0x20000..=0x3134F  // CJK extensions B–G
    )
}

/// Characters after or before which a sentence of Chinese or Japanese follows another
/// without a space: Han, kana and their punctuation (。「」, full-width ！？).
#[cfg_attr(not(feature = "align"), allow(dead_code))]
pub(crate) fn joins_without_space(c: char) -> bool {
    is_han_or_kana(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF65 | 0xFFE0..=0xFFEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_serialises_as_pair() {
        let json = serde_json::to_string(&Span::new(3, 9)).unwrap();
        assert_eq!(json, "[3,9]");
        let back: Span = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Span::new(3, 9));
    }

    #[test]
    fn spaceless_scripts() {
        for c in ['中', 'の', 'カ', 'ก', 'ລ', 'က', 'ក', '々', '𠀀'] {
            assert!(is_spaceless(c), "{c}");
        }
        // Korean, Latin and CJK punctuation are written with spaces (or are no words).
        for c in ['한', 'a', 'é', '。', '1'] {
            assert!(!is_spaceless(c), "{c}");
        }
        assert!(
            joins_without_space('。') && joins_without_space('！') && joins_without_space('中')
        );
        assert!(
            !joins_without_space('ก') && !joins_without_space('한') && !joins_without_space('.')
        );
    }

    #[test]
    fn span_slices_and_shifts() {
        let text = "ab cd";
        let span = Span::new(3, 5);
        assert_eq!(span.slice(text), "cd");
        assert_eq!(span.shifted(10), Span::new(13, 15));
        assert_eq!(span.len(), 2);
        assert!(!span.is_empty());
    }
}
