//! The text normaliser of a sentencepiece model: the precompiled character map (an
//! NFKC-style table, `nmt_nfkc` in the USE model) and the whitespace rules, applied as
//! the reference tokenizer applies them before the pieces are looked up.
//!
//! The character map is a darts-clone double-array trie over UTF-8 bytes whose leaves
//! point into a table of NUL-terminated replacement strings. At each position the
//! longest key that matches is replaced; where none does, one character is copied.

use crate::{Error, Result};

/// The piece separator sentencepiece writes for a space (U+2581 LOWER ONE EIGHTH BLOCK).
const SPACE_SYMBOL: &[u8] = "\u{2581}".as_bytes();

/// The normaliser of one model: its character map and whitespace switches.
#[derive(Debug, Clone)]
pub(super) struct Normalizer {
    /// The double array: each unit packs a label, a has-leaf bit and a child offset,
    /// or (in leaf units) a value. Empty when the model has no character map.
    units: Vec<u32>,
    /// NUL-terminated replacement strings, addressed by leaf values.
    replacements: Vec<u8>,
    /// What each ASCII byte becomes when no longer key starts there: a range of
    /// `ascii_out` (most bytes map to themselves; control characters to a space or
    /// nothing).
    ascii: [(u32, u8); 128],
    ascii_out: Vec<u8>,
    /// For each ASCII byte, a bitmap of the bytes that can follow it inside a key
    /// (a letter followed by a combining mark, say). Only then does the full trie
    /// walk run on ASCII text.
    ascii_next: [[u64; 4]; 128],
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
}

/// The whitespace switches of a normaliser spec (all on unless the model says not).
#[derive(Debug, Clone, Copy)]
pub(super) struct Whitespace {
    pub(super) add_dummy_prefix: bool,
    pub(super) remove_extra_whitespaces: bool,
    pub(super) escape_whitespaces: bool,
}

impl Default for Whitespace {
    fn default() -> Whitespace {
        Whitespace {
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        }
    }
}

#[inline]
fn child_offset(unit: u32) -> usize {
    ((unit >> 10) << ((unit & 0x200) >> 6)) as usize
}

#[inline]
fn has_leaf(unit: u32) -> bool {
    unit & 0x100 != 0
}

/// The label test of darts-clone: a leaf unit (high bit set) never matches a byte.
#[inline]
fn label_is(unit: u32, byte: u8) -> bool {
    unit & 0x8000_00FF == u32::from(byte)
}

impl Normalizer {
    /// Reads a precompiled character map (`u32` trie size, the trie's units, then the
    /// replacement strings); an empty map normalises nothing but whitespace.
    pub(super) fn new(charsmap: &[u8], whitespace: Whitespace) -> Result<Normalizer> {
        let (units, replacements) = if charsmap.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let bad = |why: &str| {
                Error::model(format!(
                    "sentencepiece model: the normaliser's character map ({} bytes) {why}",
                    charsmap.len()
                ))
            };
            let Some(size) = charsmap.get(..4) else {
                return Err(bad("is shorter than its header"));
            };
            let size = u32::from_le_bytes(size.try_into().unwrap()) as usize;
            if size == 0 || !size.is_multiple_of(4) || size > charsmap.len() - 4 {
                return Err(bad(&format!("declares a trie of {size} bytes")));
            }
            let units = charsmap[4..4 + size]
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            (units, charsmap[4 + size..].to_vec())
        };
        let mut normalizer = Normalizer {
            units,
            replacements,
            ascii: [(0, 0); 128],
            ascii_out: Vec::new(),
            ascii_next: [[0; 4]; 128],
            add_dummy_prefix: whitespace.add_dummy_prefix,
            remove_extra_whitespaces: whitespace.remove_extra_whitespaces,
            escape_whitespaces: whitespace.escape_whitespaces,
        };
        normalizer.build_ascii_tables();
        Ok(normalizer)
    }

    fn build_ascii_tables(&mut self) {
        for byte in 0..128u8 {
            let single = [byte];
            let (out, _) = self.prefix(&single, 0);
            let out = out.to_vec();
            self.ascii[byte as usize] = (self.ascii_out.len() as u32, out.len() as u8);
            self.ascii_out.extend_from_slice(&out);
            let Some(&root) = self.units.first() else {
                continue;
            };
            let node = child_offset(root) ^ byte as usize;
            let Some(&unit) = self.units.get(node) else {
                continue;
            };
            if !label_is(unit, byte) {
                continue;
            }
            let child = node ^ child_offset(unit);
            for next in 0..=255u8 {
                if self
                    .units
                    .get(child ^ next as usize)
                    .is_some_and(|&u| label_is(u, next))
                {
                    self.ascii_next[byte as usize][next as usize >> 6] |= 1 << (next & 63);
                }
            }
        }
    }

    /// Heap bytes held.
    pub(super) fn heap_size(&self) -> usize {
        self.units.capacity() * 4 + self.replacements.capacity() + self.ascii_out.capacity()
    }

    /// The longest key of the map at the start of `text`: its length and leaf value.
    fn longest_key(&self, text: &[u8]) -> Option<(usize, u32)> {
        let units = &self.units;
        let mut node = child_offset(*units.first()?);
        let mut best = None;
        for (i, &byte) in text.iter().enumerate() {
            node ^= byte as usize;
            match units.get(node) {
                Some(&unit) if label_is(unit, byte) => {
                    node ^= child_offset(unit);
                    if has_leaf(unit) {
                        match units.get(node) {
                            Some(&leaf) => best = Some((i + 1, leaf & 0x7FFF_FFFF)),
                            None => break,
                        }
                    }
                }
                _ => break,
            }
        }
        best
    }

    /// The replacement string a leaf value points to, if it is one: a damaged map
    /// (a value past the table, bytes that are not UTF-8) replaces nothing.
    fn replacement(&self, value: u32) -> Option<&[u8]> {
        let rest = self.replacements.get(value as usize..)?;
        // Replacements are a few bytes: a plain scan beats memchr's setup.
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let out = &rest[..end];
        std::str::from_utf8(out).ok().map(str::as_bytes)
    }

    /// What the text at `pos` (a character boundary) normalises to, and how many
    /// bytes of it that consumes: the replacement of the longest key, or else one
    /// character unchanged.
    fn prefix<'s>(&'s self, text: &'s [u8], pos: usize) -> (&'s [u8], usize) {
        let rest = &text[pos..];
        if let Some((len, value)) = self.longest_key(rest) {
            // A key always ends on a character boundary of valid text unless the map
            // is damaged; then the key is not used.
            if rest.get(len).is_none_or(|&b| (b as i8) >= -0x40) {
                if let Some(out) = self.replacement(value) {
                    return (out, len);
                }
            }
        }
        let len = utf8_len(rest[0]).min(rest.len());
        (&rest[..len], len)
    }

    /// The ASCII fast path of [`Normalizer::prefix`]: the answer for a lone byte,
    /// when no key continues with the byte that follows.
    #[inline]
    fn ascii_prefix<'s>(&'s self, text: &'s [u8], pos: usize) -> (&'s [u8], usize) {
        let byte = text[pos] as usize;
        if let Some(&next) = text.get(pos + 1) {
            if self.ascii_next[byte][next as usize >> 6] & (1 << (next & 63)) != 0 {
                return self.prefix(text, pos);
            }
        }
        let (start, len) = self.ascii[byte];
        (
            &self.ascii_out[start as usize..start as usize + len as usize],
            1,
        )
    }

    #[inline]
    fn prefix_at<'s>(&'s self, text: &'s [u8], pos: usize) -> (&'s [u8], usize) {
        if text[pos] < 0x80 {
            self.ascii_prefix(text, pos)
        } else {
            self.prefix(text, pos)
        }
    }

    /// Normalises `text` into `out` (cleared first), always valid UTF-8: the character
    /// map applied; leading, trailing and repeated spaces removed
    /// (`remove_extra_whitespaces`); one space put in front (`add_dummy_prefix`); every
    /// space written as U+2581 (`escape_whitespaces`).
    pub(super) fn normalize_into(&self, text: &str, out: &mut Vec<u8>) {
        out.clear();
        let text = text.as_bytes();
        let strip = self.remove_extra_whitespaces;
        let space: &[u8] = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            b" "
        };
        let mut pos = 0;
        if strip {
            while pos < text.len() {
                let (piece, consumed) = self.prefix_at(text, pos);
                if piece != b" " {
                    break;
                }
                pos += consumed;
            }
        }
        if pos >= text.len() {
            return;
        }
        if self.add_dummy_prefix {
            out.extend_from_slice(space);
        }
        // Spaces that open a piece are dropped while the output ends in a space.
        let mut prev_space = strip;
        while pos < text.len() {
            let (mut piece, consumed) = self.prefix_at(text, pos);
            pos += consumed;
            if strip && prev_space {
                while let [b' ', rest @ ..] = piece {
                    piece = rest;
                }
            }
            let Some(&last) = piece.last() else {
                continue;
            };
            if piece.contains(&b' ') {
                for &byte in piece {
                    if byte == b' ' {
                        out.extend_from_slice(space);
                    } else {
                        out.push(byte);
                    }
                }
                prev_space = last == b' ';
            } else {
                out.extend_from_slice(piece);
                prev_space = false;
            }
        }
        if strip {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts (1 for a stray byte).
#[inline]
pub(super) fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalize(n: &Normalizer, text: &str) -> String {
        let mut out = Vec::new();
        n.normalize_into(text, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn whitespace_rules_without_a_character_map() {
        let n = Normalizer::new(&[], Whitespace::default()).unwrap();
        assert_eq!(normalize(&n, "  Hello   big  world  "), "▁Hello▁big▁world");
        assert_eq!(normalize(&n, "   "), "");
        assert_eq!(normalize(&n, ""), "");
        assert_eq!(normalize(&n, "日本"), "▁日本");
        let plain = Whitespace {
            add_dummy_prefix: false,
            remove_extra_whitespaces: false,
            escape_whitespaces: false,
        };
        let n = Normalizer::new(&[], plain).unwrap();
        assert_eq!(normalize(&n, "  a  b "), "  a  b ");
    }

    #[test]
    fn bad_character_maps_are_errors() {
        for map in [
            &[1u8, 0][..],
            &[8, 0, 0, 0, 1, 2, 3],
            &[0, 0, 0, 0, 1],
            &[3, 0, 0, 0, 1, 2, 3],
        ] {
            let err = Normalizer::new(map, Whitespace::default()).unwrap_err();
            assert!(err.to_string().contains("character map"), "{err}");
        }
    }

    #[test]
    fn garbage_character_maps_never_panic() {
        // A trie of arbitrary units must give some valid UTF-8 for any text.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..200 {
            let units = 1 + round % 40;
            let mut map = ((units * 4) as u32).to_le_bytes().to_vec();
            for _ in 0..units * 4 + round % 7 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                map.push(seed as u8);
            }
            let n = Normalizer::new(&map, Whitespace::default()).unwrap();
            for text in ["abc é", "\u{1}\u{0}x", "日本語 ", "  "] {
                let mut out = Vec::new();
                n.normalize_into(text, &mut out);
                assert!(std::str::from_utf8(&out).is_ok());
            }
        }
    }
}
