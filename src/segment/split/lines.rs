//! Line breaks inside a paragraph (headings, list lines, wrapped lines) and headings
//! run into the text when the line breaks were lost.

use super::lists::list_marker;
use super::{Next, Splitter};
use crate::segment::chars::{self, Case};

impl Splitter<'_, '_, '_> {
    /// Headings, bylines and credits run into the text when line breaks were lost
    /// ("FOTO - REUTERS Po zápase …", "Spor o generála Nakoniec sa …"): ends them where
    /// the text proper begins. Two patterns, both at the start of a sentence:
    /// a run of at least two all-capital words followed by a capitalised word; and a
    /// few words without punctuation, the last one not capitalised, followed by a
    /// capitalised word that typically starts sentences (a pronoun, preposition,
    /// article or conjunction — words that are not capitalised inside a sentence).
    pub(super) fn split_leading_heading(&mut self) {
        let start = self.sent_start;
        let rest = &self.text[start..];
        // Only the first words matter: look at a bounded prefix of the line.
        let mut limit = rest.len().min(256);
        while !rest.is_char_boundary(limit) {
            limit -= 1;
        }
        let mut words = Words {
            line: &rest[..limit],
            pos: 0,
        };
        let Some((_, first)) = words.next() else {
            return;
        };
        let mut first_chars = first.chars();
        let (Some(c0), Some(c1)) = (first_chars.next(), first_chars.next()) else {
            return;
        };
        if !chars::is_uppercase(c0) {
            return;
        }
        let text_start = if chars::is_uppercase(c1) {
            caps_heading_end(first, words)
        } else if chars::is_lowercase(c1) && self.rules.has_starters() {
            self.bare_heading_end(first, words)
        } else {
            None
        };
        if let Some(offset) = text_start {
            self.cut(start + offset, start + offset);
        }
    }

    /// "Spor o generála Nakoniec sa písalo …": after a heading of a few words without
    /// punctuation (`first`, then `words`), the last one not capitalised, a
    /// capitalised word that typically starts sentences: its offset.
    #[inline]
    fn bare_heading_end(&self, first: &str, mut words: Words) -> Option<usize> {
        let mut prev = first;
        let mut taken = 1;
        while let Some((offset, word)) = words.next() {
            if taken > HEADING_WORDS || !prev.chars().all(|c| chars::is_alphanumeric(c) || c == '-')
            {
                return None; // too far, or punctuation: not a bare heading
            }
            taken += 1;
            let prev_lower = prev
                .chars()
                .next()
                .is_some_and(|c| chars::is_lowercase(c) || chars::is_numeric(c));
            if prev_lower && is_title_word(word) {
                // The word after the starter must be lower case: "Le Coudray", "La Scala",
                // "The Wealth of Nations" are names, not sentence starts.
                let after_lower = words
                    .clone()
                    .next()
                    .is_some_and(|(_, t)| t.chars().next().is_some_and(chars::is_lowercase));
                if after_lower
                    && word.chars().all(chars::is_alphabetic)
                    && self.rules.is_starter(word)
                    && !self.rules.is_always_capitalised(word)
                {
                    return Some(offset);
                }
            }
            prev = word;
        }
        None
    }

    /// A single line break inside a paragraph: a heading or list item ends here, a
    /// wrapped line does not.
    pub(super) fn at_newline(&mut self, i: usize) -> usize {
        let line_start = self.text[..i].rfind('\n').map_or(0, |p| p + 1);
        let line = self.text[line_start..i].trim();
        if line.is_empty() {
            return i + 1;
        }
        let last = line.chars().next_back().unwrap_or(' ');
        // Lines ending in terminal punctuation are handled by the terminal rules.
        if chars::is_terminal(last)
            || chars::is_closer(last) && line.chars().rev().nth(1).is_some_and(chars::is_terminal)
        {
            return i + 1;
        }
        let next = self.next_after(i + 1);
        if next.start >= self.text.len() {
            return next.start;
        }
        let next_first = next.token.chars().next().unwrap_or(' ');
        let next_is_item = chars::is_bullet(next_first)
            || (chars::is_dash(next_first) && next.token.chars().count() == 1)
            || list_marker(next.token.trim_end_matches([')', '.'])).is_some()
                && (next.token.ends_with(')') || next.token.ends_with('.'));
        // A list item ends with its line.
        if next_is_item || self.marker.is_some() {
            self.cut(i, i + 1);
            return next.start;
        }
        // Text without spaces (CJK) wraps anywhere: "これは父の⏎家です。" — unless the
        // line ends with a sentence-final form ("これは山です⏎").
        if chars::is_cjk(last)
            && next.first.is_some_and(chars::is_cjk)
            && !self.rules.is_line_final(line)
        {
            return i + 1;
        }
        if matches!(last, ',' | ';' | '-' | '–' | '—' | '(' | '/' | '&' | '+') {
            return i + 1;
        }
        let max_line = self.max_line_len();
        // Only short lines of a few words: a list or a form, one item a line
        // ("features⏎contact manager"), not a sentence wrapped early.
        let few_words = |l: &str| {
            l.split_whitespace().count() <= 3
                && !l.trim_end().ends_with(|c: char| chars::is_terminal(c))
        };
        let next_line = self.text[next.start..].lines().next().unwrap_or("");
        if max_line < 40 && line.chars().count() > 2 && few_words(line) && few_words(next_line) {
            self.cut(i, i + 1);
            return next.start;
        }
        if !matches!(next.case, Case::Upper | Case::Caseless | Case::Digit) {
            return i + 1;
        }
        // A short line before a capitalised one: a heading, a title, a signature.
        let len = line.chars().count();
        if len * 3 < max_line * 2 || max_line < 50 {
            self.cut(i, i + 1);
            return next.start;
        }
        i + 1
    }

    /// True if the paragraph is made of short lines and the line at `next` holds only
    /// a few words: a list, one item a line.
    pub(super) fn in_short_line_list(&mut self, next: &Next) -> bool {
        let max_line = self.max_line_len();
        let next_line = self.text[next.start..].lines().next().unwrap_or("");
        max_line < 40 && next_line.split_whitespace().count() <= 3
    }

    /// Length in characters of the longest line of the paragraph.
    fn max_line_len(&mut self) -> usize {
        let text = self.text;
        *self.max_line.get_or_insert_with(|| {
            text.lines()
                .map(|l| l.trim().chars().count())
                .max()
                .unwrap_or(0)
        })
    }
}

/// How many words a heading run into the text may have.
const HEADING_WORDS: usize = 8;

/// "FOTO - REUTERS Po …", "MAREK CHORVATOVIČ Hospodárstvo …": after a run of at least
/// two all-capital words (`first`, then `words`; dashes between them) a capitalised
/// word: its offset.
#[inline]
fn caps_heading_end(first: &str, words: Words) -> Option<usize> {
    let is_caps_word =
        |t: &str| t.chars().count() >= 2 && t.chars().all(|c| chars::is_uppercase(c) || c == '-');
    let is_dash_word = |t: &str| t.chars().all(chars::is_dash);
    if !is_caps_word(first) {
        return None;
    }
    let (mut caps_words, mut last_was_dash) = (1, false);
    for (offset, word) in words.take(HEADING_WORDS) {
        if is_caps_word(word) {
            caps_words += 1;
            last_was_dash = false;
        } else if is_dash_word(word) {
            last_was_dash = true;
        } else {
            let heading = caps_words >= 2 && !last_was_dash && is_title_word(word);
            return heading.then_some(offset);
        }
    }
    None
}

/// The space-separated words of a line (up to its line break), with their byte offsets.
#[derive(Clone)]
struct Words<'t> {
    line: &'t str,
    pos: usize,
}

impl<'t> Iterator for Words<'t> {
    type Item = (usize, &'t str);

    fn next(&mut self) -> Option<(usize, &'t str)> {
        let bytes = self.line.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos] == b' ' {
            self.pos += 1;
        }
        if self.pos >= bytes.len() || bytes[self.pos] == b'\n' {
            self.pos = bytes.len(); // the line ends here
            return None;
        }
        let start = self.pos;
        self.pos = memchr::memchr2(b' ', b'\n', &bytes[start..]).map_or(bytes.len(), |k| start + k);
        Some((start, &self.line[start..self.pos]))
    }
}

/// A capitalised word: an upper-case letter, then a lower-case one ("The", "Nakoniec").
fn is_title_word(word: &str) -> bool {
    let mut cs = word.chars();
    matches!((cs.next(), cs.next()), (Some(a), Some(b)) if chars::is_uppercase(a) && chars::is_lowercase(b))
}
