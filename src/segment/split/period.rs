//! A single period followed by whitespace: abbreviations (spaced ones too: "z. B."),
//! initials, ordinals, list numbers, and a lower-case next word.

use std::borrow::Cow;

use super::lists::{is_list_item_start, list_marker};
use super::{decide_default, trim_word, Decision, Next, Splitter};
use crate::segment::chars::{self, Case};
use crate::segment::rules::AbbreviationKind;

impl Splitter<'_, '_, '_> {
    /// A single period followed by whitespace.
    pub(super) fn decide_period(&mut self, i: usize, closers: &str, next: &Next) -> Decision {
        let starts_with_ellipsis = next.token.starts_with("...") || next.token.starts_with('…');
        if next.case == Case::Caseless && !closers.is_empty() && self.short_attribution(next) {
            return Decision::Continue;
        }
        let token_start = self.token_start(i);
        let raw_word = &self.text[token_start..i];
        let word = word_before_period(raw_word);
        let word = word.as_ref();
        if let Some(decision) = self.list_number(i, closers, token_start, raw_word, word) {
            return decision;
        }
        if next.case == Case::Lower && !starts_with_ellipsis {
            return self.before_lowercase(i, closers, word, next);
        }
        if starts_with_ellipsis {
            return Decision::Break;
        }
        if word.is_empty() {
            return decide_default(next);
        }
        if word.contains("://") || word.contains('@') || word.starts_with("www.") {
            return decide_default(next);
        }
        self.after_word(i, token_start, word, next)
    }

    /// A list marker before the period (`word`, `raw_word` as written): it continues
    /// the list of the previous sentence ("… item 2. The …": a break before it) or
    /// opens the sentence's list ("1. The first item": no break, the marker noted).
    fn list_number(
        &mut self,
        i: usize,
        closers: &str,
        token_start: usize,
        raw_word: &str,
        word: &str,
    ) -> Option<Decision> {
        let marker = list_marker(word)?;
        if !(closers.is_empty() || closers == ")") {
            return None;
        }
        if token_start > self.sent_start && raw_word == word {
            if let Some(prev) = self.marker {
                if prev.is_followed_by(marker) {
                    return Some(Decision::BreakBefore(token_start, Some(marker)));
                }
            }
        }
        if self.words_before(i, 5) == 1
            || (self.words_before(i, 5) == 2 && self.starts_with_bullet())
        {
            // "1. The first item", "a. The first item", "• 9. The first item"
            self.marker = Some(marker);
            return Some(Decision::Continue);
        }
        None
    }

    /// The period after `word` before a lower-case word.
    fn before_lowercase(&mut self, i: usize, closers: &str, word: &str, next: &Next) -> Decision {
        // After a closing quote, a lower-case word is an attribution: "…great.' she said".
        if !closers.is_empty() {
            return Decision::Continue;
        }
        if is_list_item_start(next.token) && self.words_before(i, 5) > 1 && word.chars().count() > 1
        {
            // "… Mark E. Smith. a. here it is b. another"
            return Decision::Break;
        }
        if next.newline && self.in_short_line_list(next) {
            // "1. Ich ___ gern Tennis.⏎spielen⏎spielt": answers one a line
            return Decision::Break;
        }
        if self.abbreviation_ahead(word, next) {
            return Decision::Continue;
        }
        self.decide_lowercase_start(i)
    }

    /// The period after `word` (not empty, not an address) before anything but a
    /// lower-case word: abbreviations, ordinals, initials.
    fn after_word(&self, i: usize, token_start: usize, word: &str, next: &Next) -> Decision {
        let rules = self.rules;
        // Abbreviations, including spaced ones ("z. B.", "т. е.", "s. r. o.").
        if let Some(kind) = self.abbreviation_before(token_start, word) {
            return self.decide_abbreviation(kind, i, self.words_before(i, 5), next);
        }
        if self.abbreviation_ahead(word, next) {
            return Decision::Continue;
        }

        let letters = word.chars().filter(|c| chars::is_alphabetic(*c)).count();
        let all_digits = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit());

        // Numbers: ordinals ("15. August", "im 6. Stock") and years ("1992.").
        if all_digits {
            if rules.ordinal_period && word.len() <= 3 && self.is_ordinal(token_start, next) {
                return Decision::Continue;
            }
            return decide_default(next);
        }
        // Roman numerals as ordinals: "XII. Pluku", "Ludwig XIV."
        if rules.ordinal_period
            && is_roman_numeral(word)
            && word.len() > 1
            && !self.next_is_starter(next)
        {
            return Decision::Continue;
        }

        if letters == 1 && word.chars().count() == 1 {
            let c = word.chars().next().unwrap_or(' ');
            if let Some(decision) = self.single_letter(i, token_start, c, next) {
                return decision;
            }
        }

        // Dotted abbreviations not in the list: "U.S.A.", "Ph.D.", "LL.AA.II.RR."
        if is_dotted_abbreviation(word) {
            return self.decide_abbreviation(
                AbbreviationKind::Final,
                i,
                self.words_before(i, 5),
                next,
            );
        }

        decide_default(next)
    }

    /// A single letter `c` before the period: an initial ("J. R. R. Tolkien") or a
    /// one-letter abbreviation. `None` for a letter without case.
    fn single_letter(
        &self,
        i: usize,
        token_start: usize,
        c: char,
        next: &Next,
    ) -> Option<Decision> {
        if self.words_before(i, 5) == 1 {
            // A label or list letter opening the sentence: "Q. What is his name?"
            return Some(Decision::Continue);
        }
        if chars::is_uppercase(c) {
            let prev_capitalised = self.prev_word(token_start).is_some_and(|w| {
                w.chars()
                    .find(|c| chars::is_alphabetic(*c))
                    .is_some_and(chars::is_uppercase)
            });
            if !prev_capitalised && self.next_is_starter(next) && next.case == Case::Upper {
                return Some(Decision::Break);
            }
            return Some(Decision::Continue);
        }
        if chars::is_lowercase(c) {
            return Some(self.decide_abbreviation(
                AbbreviationKind::Final,
                i,
                self.words_before(i, 5),
                next,
            ));
        }
        None
    }

    /// A period before a lower-case word. Usually an abbreviation ("approx. the"), but
    /// after an ordinary word of four letters or more it ends a sentence whose
    /// successor was written without a capital (mail, chat, forums: "…tonight. jill
    /// allen finishes…").
    fn decide_lowercase_start(&self, i: usize) -> Decision {
        if !self.rules.lowercase_start {
            return Decision::Continue;
        }
        let token_start = self.token_start(i);
        let word = self.text[token_start..i].trim_start_matches(|c: char| chars::is_opener(c));
        let long_lowercase_word =
            word.chars().count() >= 4 && word.chars().all(chars::is_lowercase);
        if long_lowercase_word && self.rules.abbreviation(word).is_none() {
            Decision::Break
        } else {
            Decision::Continue
        }
    }

    /// Looks the abbreviation up, extending it over spaced parts: for `B` in "z. B."
    /// the key `z.B` is tried first.
    fn abbreviation_before(&self, token_start: usize, word: &str) -> Option<AbbreviationKind> {
        let rules = self.rules;
        // Elided articles and prepositions: "l'Ing.", "dell'Avv.", "d'apr."
        if let Some(pos) = word.rfind(['\'', '’']) {
            let after = &word[pos + word[pos..].chars().next().map_or(1, char::len_utf8)..];
            if !after.is_empty() && pos <= 5 {
                if let Some(kind) = rules.abbreviation(after) {
                    return Some(kind);
                }
            }
        }
        // Spaced multi-part abbreviations: up to three earlier short parts ending in ".".
        if word.chars().count() <= 3 {
            let mut key = word.to_string();
            let mut start = token_start;
            let mut best = None;
            for _ in 0..3 {
                let Some(prev) = self.prev_token_raw(start) else {
                    break;
                };
                let (prev_start, prev_tok) = prev;
                let Some(stem) = prev_tok.strip_suffix('.') else {
                    break;
                };
                let stem = stem.trim_start_matches(|c: char| chars::is_opener(c));
                if stem.is_empty()
                    || stem.chars().count() > 3
                    || !stem.chars().all(chars::is_alphabetic)
                {
                    break;
                }
                key = format!("{stem}.{key}");
                start = prev_start;
                if let Some(kind) = rules.abbreviation(&key) {
                    best = Some(kind);
                }
            }
            if best.is_some() {
                return best;
            }
        }
        rules.abbreviation(word)
    }

    /// True if `word.` starts a spaced abbreviation that the next tokens complete:
    /// "EE." before "UU.", "s." before "r. o.".
    fn abbreviation_ahead(&self, word: &str, next: &Next) -> bool {
        if word.is_empty() || word.chars().count() > 3 || !word.chars().all(chars::is_alphabetic) {
            return false;
        }
        let mut key = word.to_string();
        let mut rest = &self.text[next.start..];
        for _ in 0..3 {
            let token_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let token = &rest[..token_len];
            let stem =
                token.trim_end_matches(|c: char| c == ',' || c == ';' || chars::is_closer(c));
            let Some(stem) = stem.strip_suffix('.') else {
                return false;
            };
            let stem = stem.trim_end_matches('.');
            if stem.is_empty()
                || stem.chars().count() > 3
                || !stem.chars().all(chars::is_alphabetic)
            {
                return false;
            }
            key.push('.');
            key.push_str(stem);
            if self.rules.abbreviation(&key).is_some() {
                return true;
            }
            if token_len == rest.len() || !token.ends_with('.') {
                return false;
            }
            rest = rest[token_len..].trim_start();
        }
        false
    }

    fn next_is_starter(&self, next: &Next) -> bool {
        let word = trim_word(next.token);
        // An initial ("И." in "А. И. Семенов") is not the word "и".
        if word.chars().count() == 1 && next.token.ends_with('.') {
            return false;
        }
        // "I'm", "It's", "Don't": the word before the apostrophe decides.
        let word = word.split(['\'', '’']).next().unwrap_or(word);
        self.rules.is_starter(word)
            || self
                .rules
                .abbreviation(word)
                .is_some_and(|k| k == AbbreviationKind::Prefix)
    }

    fn decide_abbreviation(
        &self,
        kind: AbbreviationKind,
        i: usize,
        words_so_far: usize,
        next: &Next,
    ) -> Decision {
        match kind {
            AbbreviationKind::Prefix | AbbreviationKind::Inner => Decision::Continue,
            AbbreviationKind::Numeric if next.case == Case::Digit => Decision::Continue,
            AbbreviationKind::Time => {
                let word = trim_word(next.token);
                let zone = word.len() <= 4 && word.chars().all(|c| c.is_ascii_uppercase());
                if next.case == Case::Upper
                    && words_so_far >= 4
                    && !zone
                    && !self.rules.is_month(word)
                    && !self.rules.is_weekday(word)
                {
                    Decision::Break
                } else {
                    Decision::Continue
                }
            }
            AbbreviationKind::Numeric | AbbreviationKind::Final => {
                let _ = i;
                if next.case == Case::Lower {
                    return Decision::Continue;
                }
                // A short fronted phrase ("At 5 a.m. Mr. Smith …") is not a sentence.
                if words_so_far < 4 {
                    return Decision::Continue;
                }
                if next.case == Case::Caseless {
                    return Decision::Break;
                }
                if next.case == Case::Upper && self.next_is_starter(next) {
                    return Decision::Break;
                }
                Decision::Continue
            }
        }
    }

    /// A number with a period is an ordinal when a month follows, when a preposition or
    /// article precedes it, or when no typical sentence start follows.
    fn is_ordinal(&self, token_start: usize, next: &Next) -> bool {
        let next_word = trim_word(next.token);
        if self.rules.is_month(next_word) || next.case == Case::Digit {
            return true;
        }
        // A date range: "21. 3. - 20. 4."
        if next.token.chars().all(chars::is_dash)
            && self.next_after(next.start + next.token.len()).case == Case::Digit
        {
            return true;
        }
        let prev = self.prev_token_raw(token_start).map(|(_, t)| t);
        // A complete day-and-month date ("21. 5.") ends like any other word.
        if let Some(day) = prev
            .and_then(|t| t.strip_suffix('.'))
            .and_then(|t| t.parse::<u32>().ok())
        {
            let month: u32 = self.text[token_start..]
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            if (1..=31).contains(&day) && (1..=12).contains(&month) {
                return false;
            }
        }
        if let Some(prev) = self.prev_word(token_start) {
            if self.rules.is_ordinal_context(prev) {
                return true;
            }
        }
        next.case == Case::Upper && !self.next_is_starter(next)
    }
}

/// The word before a period as the rules see it: without the opening quotes, brackets
/// and dashes before it, nor invisible format characters inside.
fn word_before_period(raw_word: &str) -> Cow<'_, str> {
    let word = raw_word.trim_start_matches(|c: char| {
        chars::is_opener(c) || chars::is_format(c) || chars::is_dash(c)
    });
    if word.chars().any(chars::is_format) {
        word.chars()
            .filter(|&c| !chars::is_format(c))
            .collect::<String>()
            .into()
    } else {
        word.into()
    }
}

pub(super) fn is_roman_numeral(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 7
        && word
            .chars()
            .all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C' | 'D' | 'M'))
}

/// `U.S.A`, `Ph.D`, `a.m`, `LL.AA.II.RR`: letter groups of at most three joined by periods.
fn is_dotted_abbreviation(word: &str) -> bool {
    word.contains('.')
        && word.split('.').all(|part| {
            let n = part.chars().count();
            (1..=3).contains(&n) && part.chars().all(chars::is_alphabetic)
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests::split;

    #[test]
    fn abbreviations_and_initials() {
        assert_eq!(
            split("en", "My name is Jonas E. Smith."),
            ["My name is Jonas E. Smith."]
        );
        assert_eq!(
            split("en", "Mr. Smith went to Washington."),
            ["Mr. Smith went to Washington."]
        );
        assert_eq!(
            split("de", "Es gibt z. B. Äpfel. Wir essen sie."),
            ["Es gibt z. B. Äpfel.", "Wir essen sie."]
        );
    }
}
