//! Match tokens: what fuzzy matching compares.
//!
//! A text is put in NFC and cut at UAX #29 word boundaries; whitespace is dropped and
//! every other piece is a token: a word, a number or a punctuation mark (symbols count
//! as punctuation). Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
//! Khmer, Myanmar) give one token per character (grapheme cluster), since their words
//! are not marked. Each token has a folded form (lower case, typographic apostrophes
//! made plain) that matching compares; the original is kept for diffs and penalties.

use crate::text::is_spaceless;
use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

use crate::text::Span;

/// The version of the tokenisation rules. Stored in every memory: a memory indexed
/// with other rules must be re-indexed before fuzzy lookups can trust its index.
pub const TOKENIZER_VERSION: u32 = 1;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Contains a letter (of any script), including ideographs.
    Word,
    /// Contains a digit and no letter: `42`, `3.14`, `1,000`.
    Number,
    /// Anything else: punctuation marks and symbols.
    Punct,
}

/// One token of an [`Analyzed`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its kind.
    pub kind: TokenKind,
    /// Its bytes in the NFC text.
    pub span: Span,
    /// Its folded form: a range in [`Analyzed::folded`].
    fold: Range<u32>,
}

/// A text prepared for matching: NFC form, tokens and their folded forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analyzed {
    /// The text in NFC.
    pub text: String,
    /// The tokens, in order.
    pub tokens: Vec<Token>,
    /// The folded forms of all tokens, end to end.
    folded: String,
}

impl Analyzed {
    /// Tokenises `text`.
    pub fn new(text: &str) -> Analyzed {
        let mut out = Analyzed::default();
        out.set(text);
        out
    }

    /// Tokenises `text` in place of the text held, reusing the buffers (for callers
    /// that analyse many texts). Returns true if `text` is not in NFC (so
    /// [`Analyzed::text`] differs from it).
    pub fn set(&mut self, text: &str) -> bool {
        self.tokens.clear();
        self.folded.clear();
        let mut nfc_text = std::mem::take(&mut self.text);
        nfc_text.clear();
        // ASCII is in NFC, and has no whitespace-free script and no multi-character
        // grapheme to look for: one check settles both.
        let ascii = text.is_ascii();
        let normalized = if ascii {
            Cow::Borrowed(text)
        } else {
            nfc(text)
        };
        let changed = match normalized {
            Cow::Borrowed(t) => {
                nfc_text.push_str(t);
                false
            }
            Cow::Owned(t) => {
                nfc_text = t;
                true
            }
        };
        self.folded.reserve(nfc_text.len());
        self.push_pieces(&nfc_text, ascii);
        self.text = nfc_text;
        changed
    }

    /// Pushes the tokens of `nfc_text`; `ascii`: it is ASCII (a faster path, same
    /// result).
    fn push_pieces(&mut self, nfc_text: &str, ascii: bool) {
        if ascii {
            ascii_word_bounds(nfc_text, |start, piece| {
                if !piece.bytes().all(|b| b.is_ascii_whitespace() || b == 0x0B) {
                    self.push(start, piece);
                }
            });
            return;
        }
        let (tokens, folded) = (self.tokens.len(), self.folded.len());
        let simple = simple_word_bounds(nfc_text, |start, piece| {
            if !piece.chars().all(char::is_whitespace) {
                self.push(start, piece);
            }
        });
        if simple {
            return;
        }
        // A character the shortcut does not know: the pieces it gave go.
        self.tokens.truncate(tokens);
        self.folded.truncate(folded);
        self.push_uax29_pieces(nfc_text);
    }

    /// Pushes the tokens of `nfc_text` by the general rules: UAX #29 word boundaries,
    /// and graphemes in runs of scripts written without spaces.
    fn push_uax29_pieces(&mut self, nfc_text: &str) {
        for (start, piece) in nfc_text.split_word_bound_indices() {
            if piece.chars().all(char::is_whitespace) {
                continue;
            }
            if piece.chars().any(is_spaceless) {
                for (offset, grapheme) in piece.grapheme_indices(true) {
                    if !grapheme.chars().all(char::is_whitespace) {
                        self.push(start + offset, grapheme);
                    }
                }
            } else {
                self.push(start, piece);
            }
        }
    }

    fn push(&mut self, start: usize, piece: &str) {
        let from = self.folded.len() as u32;
        fold_into(piece, &mut self.folded);
        self.tokens.push(Token {
            kind: classify(piece),
            span: Span::new(start, start + piece.len()),
            fold: from..self.folded.len() as u32,
        });
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True if the text has no token (empty or only whitespace).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The token's text as written (NFC).
    pub fn raw(&self, token: &Token) -> &str {
        token.span.slice(&self.text)
    }

    /// The token's folded form.
    pub fn folded(&self, token: &Token) -> &str {
        &self.folded[token.fold.start as usize..token.fold.end as usize]
    }

    /// The folded forms of all tokens.
    pub fn folded_tokens(&self) -> impl Iterator<Item = &str> + '_ {
        self.tokens.iter().map(|t| self.folded(t))
    }

    /// The number of tokens that are words or numbers: the word count translators use
    /// for quotes.
    pub fn word_count(&self) -> usize {
        self.tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Punct)
            .count()
    }

    /// True if the text has at least one word token.
    pub fn has_words(&self) -> bool {
        self.tokens.iter().any(|t| t.kind == TokenKind::Word)
    }
}

/// The UAX #29 word-break classes of the characters of common simple text (see
/// [`word_class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Cr,
    Lf,
    Newline,
    Space,
    Letter,
    Digit,
    /// `.` `'` ‘ ’ (MidNumLet and Single_Quote act alike without Hebrew letters).
    MidNumLet,
    /// `:`
    MidLetter,
    /// `,` `;`
    MidNum,
    /// `_`
    ExtendNumLet,
    Other,
}

fn ascii_word_class(b: u8) -> WordClass {
    use WordClass::*;
    match b {
        b'\r' => Cr,
        b'\n' => Lf,
        0x0B | 0x0C => Newline,
        b' ' => Space,
        b'a'..=b'z' | b'A'..=b'Z' => Letter,
        b'0'..=b'9' => Digit,
        b'.' | b'\'' => MidNumLet,
        b':' => MidLetter,
        b',' | b';' => MidNum,
        b'_' => ExtendNumLet,
        _ => Other,
    }
}

/// The class of a character of ASCII, Latin and Cyrillic letters and common
/// typographic punctuation; `None` for any other (combining marks, format characters,
/// other scripts), which the general UAX #29 implementation handles.
fn word_class(c: char) -> Option<WordClass> {
    use WordClass::*;
    Some(match c as u32 {
        0..=0x7F => ascii_word_class(c as u8),
        0xA0 | 0xAB | 0xBB | 0xD7 | 0xF7 => Other,
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F => Letter,
        0x400..=0x481 | 0x48A..=0x52F => Letter,
        0x482 => Other,
        0x2010..=0x2017 | 0x201A..=0x2023 | 0x2025 | 0x2026 | 0x2030..=0x203E => Other,
        0x2018 | 0x2019 => MidNumLet,
        0x2116 => Other,
        _ => return None,
    })
}

/// Whether UAX #29 keeps `prev` and `cur` together, given the classes around them.
fn joined(
    before: Option<WordClass>,
    prev: WordClass,
    cur: WordClass,
    after: Option<WordClass>,
) -> bool {
    use WordClass::*;
    match (prev, cur) {
        (Cr, Lf) => true,
        (Cr | Lf | Newline, _) | (_, Cr | Lf | Newline) => false,
        (Space, Space) => true,
        (Letter | Digit, Letter | Digit) => true,
        (Letter, MidLetter | MidNumLet) => after == Some(Letter),
        (MidLetter | MidNumLet, Letter) => before == Some(Letter),
        (Digit, MidNum | MidNumLet) => after == Some(Digit),
        (MidNum | MidNumLet, Digit) => before == Some(Digit),
        (Letter | Digit | ExtendNumLet, ExtendNumLet) => true,
        (ExtendNumLet, Letter | Digit) => true,
        _ => false,
    }
}

/// Calls `f(start, piece)` for the pieces between the UAX #29 word boundaries of an
/// ASCII text: what `split_word_bound_indices` gives (a test compares them), without
/// its table searches.
fn ascii_word_bounds<'t>(text: &'t str, f: impl FnMut(usize, &'t str)) {
    let classes = text
        .bytes()
        .enumerate()
        .map(|(i, b)| (i, Some(ascii_word_class(b))));
    let whole = walk_word_bounds(text, classes, f);
    debug_assert!(whole, "every ASCII character has a class");
}

/// As [`ascii_word_bounds`], for a text whose characters all have a [`word_class`]:
/// false at the first character without one, after `f` has had the pieces before it
/// (the caller discards them).
fn simple_word_bounds<'t>(text: &'t str, f: impl FnMut(usize, &'t str)) -> bool {
    walk_word_bounds(
        text,
        text.char_indices().map(|(i, c)| (i, word_class(c))),
        f,
    )
}

/// The walk of [`ascii_word_bounds`] and [`simple_word_bounds`] over the characters'
/// (start, class), each classified once: [`joined`] sees two characters either side
/// of each gap. False at the first character without a class.
fn walk_word_bounds<'t>(
    text: &'t str,
    mut classes: impl Iterator<Item = (usize, Option<WordClass>)>,
    mut f: impl FnMut(usize, &'t str),
) -> bool {
    let mut next_class = || match classes.next() {
        None => Ok(None),
        Some((i, Some(class))) => Ok(Some((i, class))),
        Some((_, None)) => Err(()),
    };
    let Ok(first) = next_class() else {
        return false;
    };
    let Some(mut cur) = first else {
        return true;
    };
    let Ok(mut next) = next_class() else {
        return false;
    };
    let (mut before, mut prev) = (None, None);
    let mut start = 0;
    loop {
        if let Some(p) = prev {
            if !joined(before, p, cur.1, next.map(|n| n.1)) {
                f(start, &text[start..cur.0]);
                start = cur.0;
            }
        }
        before = prev;
        prev = Some(cur.1);
        match next {
            Some(n) => {
                cur = n;
                let Ok(after) = next_class() else {
                    return false;
                };
                next = after;
            }
            None => break,
        }
    }
    f(start, &text[start..]);
    true
}

/// `text` in NFC, borrowed when it already is (always for ASCII).
pub fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii()
        || text.chars().all(is_nfc_stable)
        || is_nfc_quick(text.chars()) == IsNormalized::Yes
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Characters of the common scripts that are in NFC whatever surrounds them
/// (canonical combining class 0, NFC quick check "yes"; a test checks every one): a
/// text made of them only is in NFC, settled without the normalisation tables.
fn is_nfc_stable(c: char) -> bool {
    matches!(c as u32,
        0x0000..=0x02FF         // Latin
        | 0x0388..=0x0482       // Greek, Cyrillic
        | 0x048A..=0x052F       // Cyrillic
        | 0x0620..=0x064A       // Arabic letters
        | 0x0660..=0x0669       // Arabic digits
        | 0x2010..=0x2027       // dashes, quotes, ellipsis
        | 0x2030..=0x205E       // per mille, primes, other punctuation
        | 0x3000..=0x3029       // CJK punctuation
        | 0x3041..=0x3096       // Hiragana
        | 0x30A1..=0x30FA       // Katakana
        | 0x4E00..=0x9FFF       // CJK unified ideographs
        | 0xAC00..=0xD7A3       // Hangul syllables
        | 0xFF01..=0xFFEE       // full-width forms
    )
}

/// The characters below this (Latin, Greek, Cyrillic) have their lower case and
/// letter/digit properties looked up in [`small_chars`] rather than searched for.
const SMALL_CHARS: usize = 0x530;

/// Properties of the characters below [`SMALL_CHARS`].
struct SmallChars {
    /// The lower case, when it is one character.
    lower: [Option<char>; SMALL_CHARS],
    alphabetic: [bool; SMALL_CHARS],
    numeric: [bool; SMALL_CHARS],
}

fn small_chars() -> &'static SmallChars {
    static TABLE: std::sync::OnceLock<SmallChars> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = SmallChars {
            lower: [None; SMALL_CHARS],
            alphabetic: [false; SMALL_CHARS],
            numeric: [false; SMALL_CHARS],
        };
        for code in 0..SMALL_CHARS {
            let Some(c) = char::from_u32(code as u32) else {
                continue;
            };
            let mut lower = c.to_lowercase();
            if let (Some(l), None) = (lower.next(), lower.next()) {
                table.lower[code] = Some(l);
            }
            table.alphabetic[code] = c.is_alphabetic();
            table.numeric[code] = c.is_numeric();
        }
        table
    })
}

fn is_alphabetic(c: char) -> bool {
    match small_chars().alphabetic.get(c as usize) {
        Some(&a) => a,
        None => c.is_alphabetic(),
    }
}

fn is_numeric(c: char) -> bool {
    match small_chars().numeric.get(c as usize) {
        Some(&n) => n,
        None => c.is_numeric(),
    }
}

/// Appends the folded form of `piece`: lower case, with typographic apostrophes (’ ‘ ʼ)
/// made plain, so `Don’t` and `don't` are one word.
fn fold_into(piece: &str, out: &mut String) {
    if piece.is_ascii() {
        out.extend(piece.bytes().map(|b| b.to_ascii_lowercase() as char));
        return;
    }
    let table = &small_chars().lower;
    for c in piece.chars() {
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => out.push('\''),
            c => match table.get(c as usize) {
                Some(&Some(lower)) => out.push(lower),
                _ => out.extend(c.to_lowercase()),
            },
        }
    }
}

/// The folded form of one piece of text (see [`Analyzed::folded`]).
pub fn fold(piece: &str) -> String {
    let mut out = String::with_capacity(piece.len());
    fold_into(piece, &mut out);
    out
}

fn classify(piece: &str) -> TokenKind {
    if piece.is_ascii() {
        return classify_ascii(piece);
    }
    classify_chars(piece)
}

fn classify_ascii(piece: &str) -> TokenKind {
    let bytes = piece.as_bytes();
    if bytes.iter().any(u8::is_ascii_alphabetic) {
        TokenKind::Word
    } else if bytes.iter().any(u8::is_ascii_digit) {
        TokenKind::Number
    } else {
        TokenKind::Punct
    }
}

fn classify_chars(piece: &str) -> TokenKind {
    if piece.chars().any(is_alphabetic) {
        TokenKind::Word
    } else if piece.chars().any(is_numeric) {
        TokenKind::Number
    } else {
        TokenKind::Punct
    }
}

/// A stable 64-bit hash (FNV-1a), as stored keys must not change between versions
/// or platforms.
#[derive(Debug, Clone, Copy)]
pub struct StableHasher(u64);

impl StableHasher {
    /// A fresh hasher.
    pub fn new() -> StableHasher {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }

    /// Adds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far, as SQLite's signed integer.
    pub fn finish(&self) -> i64 {
        self.0 as i64
    }
}

impl Default for StableHasher {
    fn default() -> StableHasher {
        StableHasher::new()
    }
}

/// The last 0–7 bytes of a hashed text as a little-endian word, zero-padded: by hand,
/// as a copy of variable length calls `memcpy` (twice per token of an import).
pub(crate) fn le_tail(rest: &[u8]) -> u64 {
    debug_assert!(rest.len() < 8);
    rest.iter()
        .enumerate()
        .fold(0, |w, (i, &b)| w | (u64::from(b) << (8 * i)))
}

/// A stable 64-bit hash of a whole text, 8 bytes at a time (stored: one byte of it
/// marks each entry of the words index, so the algorithm must never change).
pub fn text_hash(text: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let bytes = text.as_bytes();
    let mut h = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    h = (h.rotate_left(5) ^ le_tail(chunks.remainder())).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The check byte of a text in the words index (see [`text_hash`]).
pub fn text_check(hash: u64) -> u8 {
    (hash >> 56) as u8
}

/// The kind of token that decides whether two texts are "the same words": words if
/// the text has any, else numbers if it has any, else every token.
pub fn significant_kind(text: &Analyzed) -> Option<TokenKind> {
    if text.tokens.iter().any(|t| t.kind == TokenKind::Word) {
        Some(TokenKind::Word)
    } else if text.tokens.iter().any(|t| t.kind == TokenKind::Number) {
        Some(TokenKind::Number)
    } else {
        None
    }
}

/// The folded significant tokens (see [`significant_kind`]).
pub fn significant_tokens(text: &Analyzed) -> impl Iterator<Item = &str> + '_ {
    let kind = significant_kind(text);
    text.tokens
        .iter()
        .filter(move |t| kind.is_none_or(|k| t.kind == k))
        .map(|t| text.folded(t))
}

/// The key under which texts with the same words are grouped: a hash of the language
/// group and the folded word tokens (punctuation, numbers, case and whitespace left
/// out); for a text without words, of its numbers; without either, of all its
/// tokens. Texts that differ only in those small things share the key, so lookups
/// find them directly; identical sources are found by it too.
pub fn words_key(group: &str, text: &Analyzed) -> i64 {
    let mut h = StableHasher::new();
    h.write(group.as_bytes());
    h.write(match significant_kind(text) {
        Some(TokenKind::Word) => b"\x00w",
        Some(TokenKind::Number) => b"\x00n",
        _ => b"\x00a",
    });
    for t in significant_tokens(text) {
        h.write(t.as_bytes());
        h.write(b"\x1f");
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_stable_characters_are_so() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_nfc_stable(c))
        {
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
            assert_eq!(
                is_nfc_quick(std::iter::once(c)),
                IsNormalized::Yes,
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn ascii_word_bounds_on_the_tricky_cases() {
        for text in [
            "don't",
            "e.g. 3.14, 1,000; a:b a_1 _x 1_ 'a' a''b a..b 1.a a.1",
            "x\r\n\ny  \t z",
            "\"q\" (p) a-b 1:2 1;2 a;b a,b ..",
            "\x0b\x0ca",
            "",
        ] {
            let mut ours = Vec::new();
            ascii_word_bounds(text, |start, piece| ours.push((start, piece)));
            let theirs: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    /// Every character with a class, between and beside every other class.
    #[test]
    fn simple_word_classes_are_uax29() {
        let classed: Vec<char> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| word_class(c).is_some())
            .collect();
        for &c in &classed {
            for context in ["a", "1", ".", ":", ",", "_", " ", "\n", "\r", "«", "’", "я"] {
                for text in [
                    format!("{context}{c}{context}"),
                    format!("{c}{context}{c}"),
                    format!("{context}{context}{c}"),
                    format!("{c}{c}{context}"),
                ] {
                    let mut ours = Vec::new();
                    assert!(simple_word_bounds(&text, |start, piece| ours.push((start, piece))));
                    let theirs: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
                    assert_eq!(ours, theirs, "{text:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_cases(256))]
        #[test]
        fn simple_word_bounds_are_uax29(text in "[a-zA-Zа-яА-ЯёЁіїєґÀ-ÿĀ-ɏ0-9.,;:'\"_ \n!?()«»—–“”„‘’…№\u{a0}-\u{bf}\u{2010}-\u{203e}\u{400}-\u{52f}-]{0,40}|\\PC{0,20}") {
            let mut ours = Vec::new();
            let simple = simple_word_bounds(&text, |start, piece| ours.push((start, piece)));
            let known = text.chars().all(|c| word_class(c).is_some());
            proptest::prop_assert_eq!(simple, known);
            if simple {
                let theirs: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
                proptest::prop_assert_eq!(ours, theirs);
            }
        }

        #[test]
        fn ascii_word_bounds_are_uax29(text in "[a-zA-Z0-9.,;:'\"_ \t\r\n\x0b\x0c!?()-]{0,40}|[\\x00-\\x7f]{0,40}") {
            let mut ours = Vec::new();
            ascii_word_bounds(&text, |start, piece| ours.push((start, piece.to_string())));
            let theirs: Vec<(usize, String)> = text
                .split_word_bound_indices()
                .map(|(start, piece)| (start, piece.to_string()))
                .collect();
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn looked_up_properties_are_the_standard_ones() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "U+{:04X}", c as u32);
            assert_eq!(is_numeric(c), c.is_numeric(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn folding_by_table_is_lower_case() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let expected: String = match c {
                '\u{2019}' | '\u{2018}' | '\u{02BC}' => "'".into(),
                c => c.to_lowercase().collect(),
            };
            let mut folded = String::new();
            fold_into(&c.to_string(), &mut folded);
            assert_eq!(folded, expected, "U+{:04X}", c as u32);
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_cases(256))]
        /// The ASCII shortcuts give what the general path gives, and reusing an
        /// `Analyzed` gives what a fresh one gives.
        #[test]
        fn ascii_path_and_reuse_agree(text in "[\\x00-\\x7f]{0,60}", other in "\\PC{0,30}") {
            let mut general = Analyzed::default();
            general.push_pieces(&text, false);
            let mut fast = Analyzed::default();
            fast.push_pieces(&text, true);
            proptest::prop_assert_eq!(&fast.tokens, &general.tokens);
            proptest::prop_assert_eq!(&fast.folded, &general.folded);
            for piece in text.split_word_bounds() {
                proptest::prop_assert_eq!(classify_ascii(piece), classify_chars(piece));
            }
            let mut reused = Analyzed::new(&other);
            let changed = reused.set(&text);
            proptest::prop_assert!(!changed);
            proptest::prop_assert_eq!(&reused, &Analyzed::new(&text));
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_cases(256))]
        /// The shortcuts (including one given up part-way, at a character it does not
        /// know) give what the general rules give.
        #[test]
        fn shortcuts_agree_with_the_general_rules(
            text in "([a-zA-Zа-яА-Я0-9 .,'!?-]{0,12}(\\PC|[\u{300}\u{301}😀中文ـ])?){0,4}"
        ) {
            let mut shortcut = Analyzed::default();
            shortcut.push_pieces(&text, text.is_ascii());
            let mut general = Analyzed::default();
            general.push_uax29_pieces(&text);
            proptest::prop_assert_eq!(&shortcut.tokens, &general.tokens);
            proptest::prop_assert_eq!(&shortcut.folded, &general.folded);
        }
    }

    fn toks(text: &str) -> Vec<(String, TokenKind)> {
        let a = Analyzed::new(text);
        a.tokens
            .iter()
            .map(|t| (a.folded(t).to_string(), t.kind))
            .collect()
    }

    fn folded(text: &str) -> Vec<String> {
        toks(text).into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn words_numbers_punctuation() {
        use TokenKind::*;
        assert_eq!(
            toks("Press  OK, then pay $3.50!"),
            [
                ("press".into(), Word),
                ("ok".into(), Word),
                (",".into(), Punct),
                ("then".into(), Word),
                ("pay".into(), Word),
                ("$".into(), Punct),
                ("3.50".into(), Number),
                ("!".into(), Punct),
            ]
        );
    }

    #[test]
    fn apostrophes_and_case_fold() {
        assert_eq!(folded("Don’t"), folded("don't"));
        assert_eq!(folded("ПРИВЕТ, Мир"), ["привет", ",", "мир"]);
    }

    #[test]
    fn nfc_makes_decomposed_equal() {
        assert_eq!(folded("cafe\u{301}"), folded("café"));
        assert_eq!(Analyzed::new("cafe\u{301}").text, "café");
    }

    #[test]
    fn spaceless_scripts_give_characters() {
        assert_eq!(
            folded("東京都に行きます。"),
            ["東", "京", "都", "に", "行", "き", "ま", "す", "。"]
        );
        // Thai combining vowels stay with their consonant.
        let thai = folded("สวัสดี");
        assert_eq!(thai.concat(), "สวัสดี");
        assert!(thai.len() >= 3, "{thai:?}");
        // Mixed: Latin words stay words.
        assert_eq!(
            folded("iPhone 15を買った"),
            ["iphone", "15", "を", "買", "っ", "た"]
        );
    }

    #[test]
    fn spans_point_into_nfc_text() {
        let a = Analyzed::new("  Hello,\tworld ");
        let raw: Vec<&str> = a.tokens.iter().map(|t| a.raw(t)).collect();
        assert_eq!(raw, ["Hello", ",", "world"]);
        assert_eq!(a.word_count(), 2);
    }

    #[test]
    fn le_tail_is_the_zero_padded_word() {
        let bytes = [0x81u8, 2, 0xff, 4, 5, 6, 0x77];
        for n in 0..8 {
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(
                le_tail(&bytes[..n]),
                u64::from_le_bytes(padded),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn text_hash_is_stable() {
        // Stored in files: these values must never change.
        assert_eq!(text_hash(""), 0x22dc_a2a0_cfc6_ad55);
        assert_eq!(text_hash("Open the file."), 0xc77a_f067_98d9_a4db);
        assert_eq!(text_hash("Open the file."), text_hash("Open the file."));
        assert_ne!(text_hash("Open the file."), text_hash("Open the file!"));
    }

    #[test]
    fn words_key_ignores_small_differences() {
        let k = |s: &str| words_key("en", &Analyzed::new(s));
        assert_eq!(k("Open the file."), k("open  the FILE!"));
        assert_eq!(k("Page 3 of 7"), k("Page 4 of 9"));
        assert_ne!(k("Open the file."), k("Open a file."));
        assert_ne!(k("12"), k("13"));
        assert_eq!(k("12"), k("12."));
        assert_ne!(k("..."), k("!!!"));
        assert_ne!(
            words_key("en", &Analyzed::new("a")),
            words_key("de", &Analyzed::new("a"))
        );
    }
}
