//! Lists: numbered and lettered markers (`1.`, `2)`, `b)`) and bullets, each item a
//! sentence.

use super::Splitter;
use crate::segment::chars;

/// A list marker that opened the current sentence (`1.`, `a)`, `•`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Number(u32),
    Letter(char),
    Bullet(char),
}

impl Marker {
    /// True if `next` continues a list that `self` belongs to, or starts a new one
    /// right after it ("… 2) The second item 1) The first item").
    pub(super) fn is_followed_by(self, next: Marker) -> bool {
        let restart = matches!(next, Marker::Number(1) | Marker::Letter('a'));
        if restart && self != next && !matches!(self, Marker::Bullet(_)) {
            return true;
        }
        match (self, next) {
            (Marker::Number(a), Marker::Number(b)) => b == a + 1,
            (Marker::Letter(a), Marker::Letter(b)) => (a as u32) + 1 == b as u32,
            (Marker::Bullet(a), Marker::Bullet(b)) => a == b,
            _ => false,
        }
    }
}

/// A list marker: a number up to 99 or a single lower-case letter.
pub(super) fn list_marker(word: &str) -> Option<Marker> {
    let word = word.trim_start_matches(|c: char| chars::is_bullet(c) || c == '-');
    if !word.is_empty() && word.len() <= 2 && word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse().ok().map(Marker::Number);
    }
    let mut cs = word.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if c.is_ascii_lowercase() => Some(Marker::Letter(c)),
        _ => None,
    }
}

/// A token that opens a list item: a letter or number of one or two characters with a
/// period or parenthesis ("a.", "b)", "2.").
pub(super) fn is_list_item_start(token: &str) -> bool {
    let Some(stem) = token.strip_suffix(['.', ')']) else {
        return false;
    };
    matches!(
        list_marker(stem),
        Some(Marker::Letter('a')) | Some(Marker::Number(1))
    )
}

impl Splitter<'_, '_, '_> {
    pub(super) fn starts_with_bullet(&self) -> bool {
        self.char_at(self.sent_start).is_some_and(chars::is_bullet)
    }

    /// `)` after a number or letter: a list marker such as `2)` or `b)`.
    pub(super) fn at_paren(&mut self, i: usize) -> usize {
        let token_start = self.token_start(i);
        let word = &self.text[token_start..i];
        let word = word.strip_suffix('.').unwrap_or(word);
        let followed_by_space = self.char_at(i + 1).is_none_or(char::is_whitespace);
        let Some(marker) = list_marker(word).filter(|_| followed_by_space) else {
            return i + 1;
        };
        if token_start == self.sent_start
            || (self.starts_with_bullet() && self.words_before(i, 3) == 2)
        {
            self.marker = Some(marker);
        } else if self.marker.is_some_and(|m| m.is_followed_by(marker)) {
            self.cut(token_start, token_start);
            self.marker = Some(marker);
        }
        i + 1
    }

    /// A bullet: starts a new item when the sentence began with the same bullet.
    pub(super) fn at_bullet(&mut self, i: usize, c: char) -> usize {
        let len = c.len_utf8();
        let preceded_by_space = self.char_before(i).is_none_or(char::is_whitespace);
        let followed_by_space_or_item = self
            .char_at(i + len)
            .is_some_and(|n| n.is_whitespace() || chars::is_alphanumeric(n));
        if !preceded_by_space || !followed_by_space_or_item {
            return i + len;
        }
        if i == self.sent_start {
            self.marker = Some(Marker::Bullet(c));
        } else if self.starts_with_bullet() {
            self.cut(i, i);
            self.marker = Some(Marker::Bullet(c));
        }
        i + len
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::split;

    #[test]
    fn lists() {
        assert_eq!(
            split("en", "1) The first item 2) The second item"),
            ["1) The first item", "2) The second item"]
        );
        assert_eq!(
            split("en", "a. The first item b. The second item"),
            ["a. The first item", "b. The second item"]
        );
    }
}
