//! The sentence splitter for one paragraph.
//!
//! Candidate boundaries are the places UAX #29 looks at: after terminal punctuation
//! (STerm/ATerm, see [`chars::is_terminal`]) with its closing quotes and brackets, plus
//! a few it does not know (Armenian `:`, Greek `;`, list markers, line breaks). At each
//! candidate the language rules decide: abbreviations, initials, ordinals, ellipses,
//! quotations, lists. Where no rule applies, the decision is UAX #29's.

use super::chars::{self, Case};
use super::rules::{AbbreviationKind, LangRules};
use crate::text::Span;

/// Splits `text` (one paragraph: no blank line inside) and appends the sentence spans,
/// relative to `text`, to `out`. Every non-whitespace character of `text` ends up in
/// exactly one span; spans start and end on non-whitespace characters.
pub(crate) fn split_paragraph(rules: &LangRules, text: &str, out: &mut Vec<Span>) {
    let Some(first) = text.find(|c: char| !c.is_whitespace()) else {
        return;
    };
    let mut splitter = Splitter {
        rules,
        text,
        out,
        sent_start: first,
        marker: None,
        max_line: None,
    };
    splitter.run();
}

/// A list marker that opened the current sentence (`1.`, `a)`, `•`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Number(u32),
    Letter(char),
    Bullet(char),
}

impl Marker {
    /// True if `next` continues a list that `self` belongs to.
    fn is_followed_by(self, next: Marker) -> bool {
        match (self, next) {
            (Marker::Number(a), Marker::Number(b)) => b == a + 1,
            (Marker::Letter(a), Marker::Letter(b)) => (a as u32) + 1 == b as u32,
            (Marker::Bullet(a), Marker::Bullet(b)) => a == b,
            _ => false,
        }
    }
}

/// What follows a terminal cluster.
struct Next<'t> {
    /// Byte offset of the next non-whitespace character (the text length at the end).
    start: usize,
    /// The whitespace-delimited token there.
    token: &'t str,
    /// Its first character after opening quotes and brackets, and that character's case.
    first: Option<char>,
    case: Case,
    /// Whitespace between the cluster and the next token contains a line break.
    newline: bool,
}

struct Splitter<'r, 't, 'o> {
    rules: &'r LangRules,
    text: &'t str,
    out: &'o mut Vec<Span>,
    /// Start of the current sentence (a non-whitespace character).
    sent_start: usize,
    /// The list marker that opened the current sentence, if any.
    marker: Option<Marker>,
    /// Length in characters of the longest line of the paragraph, computed when needed.
    max_line: Option<usize>,
}

/// ASCII bytes that may start a candidate.
const fn ascii_triggers() -> [bool; 128] {
    let mut t = [false; 128];
    t[b'.' as usize] = true;
    t[b'!' as usize] = true;
    t[b'?' as usize] = true;
    t[b'\n' as usize] = true;
    t[b')' as usize] = true;
    t[b':' as usize] = true;
    t[b';' as usize] = true;
    t
}
const ASCII_TRIGGERS: [bool; 128] = ascii_triggers();

impl<'r, 't, 'o> Splitter<'r, 't, 'o> {
    fn run(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.sent_start;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                if !ASCII_TRIGGERS[b as usize] {
                    i += 1;
                    continue;
                }
                i = match b {
                    b'.' | b'!' | b'?' => self.at_terminal(i),
                    b'\n' => self.at_newline(i),
                    b')' => self.at_paren(i),
                    b':' if self.rules.colon_terminal => self.at_terminal(i),
                    b';' if self.rules.semicolon_question => self.at_terminal(i),
                    _ => i + 1,
                };
                continue;
            }
            let c = self.text[i..].chars().next().unwrap_or('\u{FFFD}');
            let cp = c as u32;
            // Fast rejection: letters of most scripts are neither terminals nor bullets.
            let special = cp >= 0x0589
                && !(0x3003..0xA4FF).contains(&cp)
                && (chars::is_terminal(c)
                    || chars::is_ellipsis(c)
                    || chars::is_bullet(c)
                    || c == '\u{037E}');
            if !special {
                i += c.len_utf8();
                continue;
            }
            i = if chars::is_bullet(c) {
                self.at_bullet(i, c)
            } else if c == '\u{037E}' && !self.rules.semicolon_question {
                i + c.len_utf8()
            } else {
                self.at_terminal(i)
            };
        }
        self.finish(bytes.len());
    }

    /// Ends the current sentence at `end` (exclusive; trailing whitespace is trimmed)
    /// and starts the next one at the first non-whitespace character from `next`.
    fn cut(&mut self, end: usize, next: usize) {
        let end = self.sent_start + self.text[self.sent_start..end].trim_end().len();
        if end > self.sent_start {
            self.out.push(Span::new(self.sent_start, end));
        }
        let rest = &self.text[next..];
        self.sent_start = next + (rest.len() - rest.trim_start().len());
        self.marker = None;
    }

    fn finish(&mut self, len: usize) {
        if self.sent_start < len {
            let end = self.sent_start + self.text[self.sent_start..].trim_end().len();
            if end > self.sent_start {
                self.out.push(Span::new(self.sent_start, end));
            }
        }
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().next())
    }

    fn char_before(&self, i: usize) -> Option<char> {
        self.text[..i].chars().next_back()
    }

    /// Start of the whitespace-delimited token that ends at `end`.
    fn token_start(&self, end: usize) -> usize {
        let before = &self.text[self.sent_start.min(end)..end];
        match before.rfind(char::is_whitespace) {
            Some(p) => {
                let ws = before[p..].chars().next().map_or(1, char::len_utf8);
                self.sent_start.min(end) + p + ws
            }
            None => self.sent_start.min(end),
        }
    }

    /// Describes what follows position `from` (after closers).
    fn next_after(&self, from: usize) -> Next<'t> {
        let rest = &self.text[from..];
        let trimmed = rest.trim_start();
        let ws = &rest[..rest.len() - trimmed.len()];
        let start = from + ws.len();
        let token_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let token = &trimmed[..token_len];
        let first = token
            .chars()
            .find(|&c| !chars::is_opener(c) && !chars::is_format(c));
        let case = first.map_or(Case::Other, chars::case_of);
        Next {
            start,
            token,
            first,
            case,
            newline: ws.contains('\n'),
        }
    }

    /// Number of whitespace-separated words from the sentence start up to `end`.
    fn words_before(&self, end: usize) -> usize {
        self.text[self.sent_start..end].split_whitespace().count()
    }

    /// True if `pos` lies inside brackets opened in the current sentence that close
    /// later in the paragraph: `(He worked there for 5 years.) at the…`.
    fn inside_brackets(&self, pos: usize) -> bool {
        let mut stack: Vec<char> = Vec::new();
        for c in self.text[self.sent_start..pos].chars() {
            if let Some(close) = chars::closing_bracket(c) {
                stack.push(close);
            } else if stack.last() == Some(&c) {
                stack.pop();
            }
        }
        let Some(&close) = stack.last() else {
            return false;
        };
        // It must close within this paragraph, and soon: an unclosed "(" is a typo.
        self.text[pos..].chars().take(400).any(|c| c == close)
    }

    // ---------------------------------------------------------------------------
    // Terminal punctuation
    // ---------------------------------------------------------------------------

    /// Handles terminal punctuation at byte `i`; returns where scanning continues.
    fn at_terminal(&mut self, i: usize) -> usize {
        let text = self.text;
        let first = self.char_at(i).unwrap_or('.');

        // The cluster: consecutive terminals, ellipses, and spaced periods (". . .").
        let mut end = i;
        let mut dots = 0usize;
        let mut question = false;
        let mut other_terminal = false;
        let mut spaced = false;
        let mut has_ellipsis_char = false;
        loop {
            let Some(c) = self.char_at(end) else { break };
            if chars::is_period(c) {
                dots += 1;
            } else if chars::is_ellipsis(c) {
                dots += 3;
                has_ellipsis_char = true;
            } else if chars::is_terminal(c) {
                if matches!(
                    c,
                    '?' | '!' | '？' | '！' | '‼' | '⁇' | '⁈' | '⁉' | '؟' | '⸮'
                ) {
                    question = true;
                } else {
                    other_terminal = true;
                }
            } else if (c == ':' && self.rules.colon_terminal)
                || ((c == ';' || c == '\u{037E}') && self.rules.semicolon_question)
            {
                if c == ':' {
                    other_terminal = true;
                } else {
                    question = true;
                }
            } else if chars::is_format(c) {
                // invisible: part of the cluster
            } else if c == ' ' && dots > 0 && text[end + 1..].starts_with('.') {
                // ". . ." : a spaced ellipsis continues the cluster
                spaced = true;
            } else {
                break;
            }
            end += c.len_utf8();
        }
        let cluster_end = end;

        // Closing quotes and brackets.
        let mut closers_end = cluster_end;
        while let Some(c) = self.char_at(closers_end) {
            if chars::is_format(c) {
                closers_end += c.len_utf8();
                continue;
            }
            if !chars::is_closer(c) {
                break;
            }
            if c == '\'' || c == '"' {
                // An ASCII quote closes only if a space, the end or more punctuation follows.
                let after = self.char_at(closers_end + 1);
                let closes = match after {
                    None => true,
                    Some(a) => {
                        a.is_whitespace()
                            || chars::is_closer(a)
                            || matches!(a, ',' | ';' | ':' | '.' | '!' | '?')
                    }
                };
                if !closes {
                    break;
                }
            }
            // An opening bracket is not a closer.
            if chars::is_open_bracket(c) {
                break;
            }
            closers_end += c.len_utf8();
        }
        let closers = &text[cluster_end..closers_end];

        if closers_end >= text.len() {
            return closers_end;
        }
        let next = self.next_after(closers_end);
        if next.start >= text.len() {
            return next.start;
        }
        let spaced_after = next.start > closers_end;

        // An ellipsis in brackets or after an opener marks an omission: "[...]".
        let before_char = self.char_before(i);
        if dots >= 2 && before_char.is_some_and(chars::is_open_bracket) {
            return closers_end;
        }

        let is_ellipsis = dots >= 2 || has_ellipsis_char;
        let attached = before_char.is_some_and(|c| !c.is_whitespace()) && i > self.sent_start;

        let decision = if !spaced_after {
            self.decide_unspaced(
                i,
                first,
                is_ellipsis,
                question || other_terminal,
                closers,
                &next,
            )
        } else if question || (other_terminal && dots == 0) {
            self.decide_question(i, closers, &next)
        } else if is_ellipsis {
            // "word. . . . Next": a full stop, then an ellipsis that opens the next sentence.
            if attached
                && spaced
                && first == '.'
                && dots >= 4
                && matches!(next.case, Case::Upper | Case::Caseless)
            {
                self.cut(i + 1, i + 1);
                return closers_end;
            }
            self.decide_ellipsis(attached, spaced, dots, &next)
        } else {
            self.decide_period(i, closers, &next)
        };
        match decision {
            Decision::Break => {
                self.cut(closers_end, next.start);
                next.start
            }
            Decision::BreakBefore(pos) => {
                self.cut(pos, pos);
                closers_end
            }
            Decision::Continue => closers_end,
        }
    }

    /// A terminal directly followed by more text: `world.Today`, `。次`, `፧መልካም`.
    fn decide_unspaced(
        &self,
        i: usize,
        first: char,
        ellipsis: bool,
        strong: bool,
        closers: &str,
        next: &Next,
    ) -> Decision {
        if ellipsis {
            return Decision::Continue;
        }
        let Some(nc) = next.first else {
            return Decision::Continue;
        };
        if chars::is_spaceless_terminal(first) || (strong && !first.is_ascii()) {
            // CJK and other scripts without spaces between sentences.
            if self.inside_brackets(i) {
                return Decision::Continue;
            }
            // 「…。」と言った: a quotation inside the sentence, continued by a particle.
            if !closers.is_empty()
                && is_hiragana(nc)
                && chars::is_cjk(nc)
                && quote_particle(next.token)
            {
                return Decision::Continue;
            }
            if nc.is_alphanumeric() || chars::is_opener(nc) || chars::is_cjk(nc) {
                return Decision::Break;
            }
            return Decision::Continue;
        }
        if !closers.is_empty() {
            return Decision::Continue;
        }
        // ASCII punctuation glued to the next word: "world.Today", "1,000.That".
        let before = self.char_before(i);
        let token_start = self.token_start(i);
        let word = &self.text[token_start..i];
        if word.contains(['@', '/']) || word.starts_with("www") || next.token.contains(['@', '/']) {
            return Decision::Continue;
        }
        let before_ok = before.is_some_and(|c| c.is_lowercase() || c.is_numeric());
        let mut next_chars = next.token.chars();
        let n0 = next_chars.next();
        let n1 = next_chars.next();
        let next_is_word = match (n0, n1) {
            (Some(a), Some(b)) => {
                a.is_uppercase() && (b.is_lowercase() || is_roman_numeral(trim_word(next.token)))
            }
            _ => false,
        };
        if before_ok && next_is_word {
            let core = word.trim_start_matches(|c: char| !c.is_alphanumeric());
            if first == '.' && self.rules.abbreviation(core).is_some() {
                return Decision::Continue;
            }
            if first == '.' && word.chars().filter(|&c| c == '.').count() > 0 && word.len() < 6 {
                // "e.g.The", "U.S.The": glued abbreviations are too ambiguous
                return Decision::Continue;
            }
            return Decision::Break;
        }
        Decision::Continue
    }

    /// `?`, `!` and the terminals of other scripts, followed by whitespace.
    fn decide_question(&self, i: usize, closers: &str, next: &Next) -> Decision {
        match next.case {
            Case::Lower => {
                // "…?" said he / „…!“ rief sie: the quotation is part of the sentence.
                if !closers.is_empty() {
                    return Decision::Continue;
                }
                if self.char_at(i) == Some('!') {
                    // Interjections and names: "Yahoo! in", "Oh! how".
                    return Decision::Continue;
                }
                Decision::Break
            }
            Case::Other => {
                // A dialogue dash: "…? — деді." continues; "…? — Да." starts anew.
                if next.first.is_some_and(chars::is_dash) {
                    let after_dash = self.next_after(next.start + next.token.len());
                    if next.token.chars().all(chars::is_dash) && after_dash.case == Case::Lower {
                        return Decision::Continue;
                    }
                }
                if self.inside_brackets(i) {
                    return Decision::Continue;
                }
                Decision::Break
            }
            _ => {
                if self.inside_brackets(i) {
                    return Decision::Continue;
                }
                Decision::Break
            }
        }
    }

    /// An ellipsis followed by whitespace.
    fn decide_ellipsis(&self, attached: bool, spaced: bool, dots: usize, next: &Next) -> Decision {
        let upper = matches!(next.case, Case::Upper | Case::Caseless);
        if spaced && dots == 3 {
            // ". . ." marks an omission inside a quotation.
            return Decision::Continue;
        }
        if !attached && dots <= 3 {
            return Decision::Continue;
        }
        if upper {
            Decision::Break
        } else {
            Decision::Continue
        }
    }

    /// A single period followed by whitespace.
    fn decide_period(&mut self, i: usize, closers: &str, next: &Next) -> Decision {
        let rules = self.rules;
        let starts_with_ellipsis = next.token.starts_with("...") || next.token.starts_with('…');
        if next.case == Case::Lower && !starts_with_ellipsis {
            return Decision::Continue;
        }
        let token_start = self.token_start(i);
        let raw_word = &self.text[token_start..i];
        let word = raw_word.trim_start_matches(|c: char| {
            chars::is_opener(c) || chars::is_format(c) || chars::is_dash(c)
        });
        let word_clean: String = word.chars().filter(|&c| !chars::is_format(c)).collect();
        let word = word_clean.as_str();
        let words_so_far = self.words_before(i);

        // A list marker continuing the list of the previous sentence: "… item 2. The …"
        if let Some(marker) = list_marker(word) {
            if closers.is_empty() || closers == ")" {
                if token_start > self.sent_start && raw_word == word {
                    if let Some(prev) = self.marker {
                        if prev.is_followed_by(marker) {
                            self.marker = None;
                            let result = Decision::BreakBefore(token_start);
                            self.pending_marker(marker);
                            return result;
                        }
                    }
                }
                if words_so_far == 1 || (words_so_far == 2 && self.starts_with_bullet()) {
                    // "1. The first item", "a. The first item", "• 9. The first item"
                    self.marker = Some(marker);
                    return Decision::Continue;
                }
            }
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

        // Abbreviations, including spaced ones ("z. B.", "т. е.", "s. r. o.").
        if let Some(kind) = self.abbreviation_before(token_start, word) {
            return self.decide_abbreviation(kind, i, words_so_far, next);
        }

        let letters = word.chars().filter(|c| c.is_alphabetic()).count();
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

        // A single letter: an initial ("J. R. R. Tolkien") or a one-letter abbreviation.
        if letters == 1 && word.chars().count() == 1 {
            let c = word.chars().next().unwrap_or(' ');
            if c.is_uppercase() {
                let prev_capitalised = self.prev_word(token_start).is_some_and(|w| {
                    w.chars()
                        .find(|c| c.is_alphabetic())
                        .is_some_and(char::is_uppercase)
                });
                if !prev_capitalised && self.next_is_starter(next) && next.case == Case::Upper {
                    return Decision::Break;
                }
                return Decision::Continue;
            }
            if c.is_lowercase() {
                return self.decide_abbreviation(AbbreviationKind::Final, i, words_so_far, next);
            }
        }

        // Dotted abbreviations not in the list: "U.S.A.", "Ph.D.", "LL.AA.II.RR."
        if is_dotted_abbreviation(word) {
            return self.decide_abbreviation(AbbreviationKind::Final, i, words_so_far, next);
        }

        decide_default(next)
    }

    fn pending_marker(&mut self, marker: Marker) {
        self.marker = Some(marker);
    }

    fn starts_with_bullet(&self) -> bool {
        self.char_at(self.sent_start).is_some_and(chars::is_bullet)
    }

    /// The whitespace-delimited word before the token starting at `token_start`.
    fn prev_word(&self, token_start: usize) -> Option<&'t str> {
        let text: &'t str = self.text;
        let before = text[self.sent_start.min(token_start)..token_start].trim_end();
        if before.is_empty() {
            return None;
        }
        let start = before.rfind(char::is_whitespace).map_or(0, |p| p + 1);
        Some(before[start..].trim_matches(|c: char| !c.is_alphanumeric()))
    }

    /// Looks the abbreviation up, extending it over spaced parts: for `B` in "z. B."
    /// the key `z.B` is tried first.
    fn abbreviation_before(&self, token_start: usize, word: &str) -> Option<AbbreviationKind> {
        let rules = self.rules;
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
                    || !stem.chars().all(char::is_alphabetic)
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

    /// The token before `start` within the sentence, with its start offset.
    fn prev_token_raw(&self, start: usize) -> Option<(usize, &'t str)> {
        let text: &'t str = self.text;
        if start <= self.sent_start {
            return None;
        }
        let before = &text[self.sent_start..start];
        let trimmed = before.trim_end();
        if trimmed.len() == before.len() || trimmed.is_empty() {
            return None;
        }
        let tok_start = trimmed.rfind(char::is_whitespace).map_or(0, |p| {
            p + trimmed[p..].chars().next().map_or(1, char::len_utf8)
        });
        Some((self.sent_start + tok_start, &trimmed[tok_start..]))
    }

    fn next_is_starter(&self, next: &Next) -> bool {
        let word = trim_word(next.token);
        if !self.rules.has_starters() {
            return matches!(next.case, Case::Upper | Case::Caseless);
        }
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
        if let Some(prev) = self.prev_word(token_start) {
            if self.rules.is_ordinal_context(prev) {
                return true;
            }
        }
        next.case == Case::Upper && !self.next_is_starter(next)
    }

    // ---------------------------------------------------------------------------
    // Line breaks, lists, bullets
    // ---------------------------------------------------------------------------

    /// A single line break inside a paragraph: a heading or list item ends here, a
    /// wrapped line does not.
    fn at_newline(&mut self, i: usize) -> usize {
        let line_start = self.text[..i]
            .rfind('\n')
            .map_or(0, |p| p + 1)
            .max(self.sent_start);
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
        if next_is_item {
            self.cut(i, i + 1);
            return next.start;
        }
        if matches!(last, ',' | ';' | '-' | '–' | '—' | '(' | '/' | '&' | '+') {
            return i + 1;
        }
        if !matches!(next.case, Case::Upper | Case::Caseless | Case::Digit) {
            return i + 1;
        }
        // A short line before a capitalised one: a heading, a title, a signature.
        let max_line = *self.max_line.get_or_insert_with(|| {
            self.text
                .lines()
                .map(|l| l.trim().chars().count())
                .max()
                .unwrap_or(0)
        });
        let len = line.chars().count();
        if len * 3 < max_line * 2 || max_line < 50 {
            self.cut(i, i + 1);
            return next.start;
        }
        i + 1
    }

    /// `)` after a number or letter: a list marker such as `2)` or `b)`.
    fn at_paren(&mut self, i: usize) -> usize {
        let token_start = self.token_start(i);
        let word = &self.text[token_start..i];
        let word = word.strip_suffix('.').unwrap_or(word);
        let followed_by_space = self.char_at(i + 1).is_none_or(char::is_whitespace);
        let Some(marker) = list_marker(word).filter(|_| followed_by_space) else {
            return i + 1;
        };
        if token_start == self.sent_start
            || (self.starts_with_bullet() && self.words_before(i) == 2)
        {
            self.marker = Some(marker);
        } else if self.marker.is_some_and(|m| m.is_followed_by(marker)) {
            self.cut(token_start, token_start);
            self.marker = Some(marker);
        }
        i + 1
    }

    /// A bullet: starts a new item when the sentence began with the same bullet.
    fn at_bullet(&mut self, i: usize, c: char) -> usize {
        let len = c.len_utf8();
        let preceded_by_space = self.char_before(i).is_none_or(char::is_whitespace);
        let followed_by_space_or_item = self
            .char_at(i + len)
            .is_some_and(|n| n.is_whitespace() || n.is_alphanumeric());
        if !preceded_by_space || !followed_by_space_or_item {
            return i + len;
        }
        if i == self.sent_start {
            self.marker = Some(Marker::Bullet(c));
        } else if self.starts_with_bullet() && self.char_at(self.sent_start) == Some(c) {
            self.cut(i, i);
            self.marker = Some(Marker::Bullet(c));
        }
        i + len
    }
}

enum Decision {
    Break,
    /// Break before this offset (a list marker starts the next sentence).
    BreakBefore(usize),
    Continue,
}

/// UAX #29's decision after a period and whitespace: a boundary unless a lower-case
/// letter follows.
fn decide_default(next: &Next) -> Decision {
    match next.case {
        Case::Lower => Decision::Continue,
        _ => Decision::Break,
    }
}

/// A word stripped of surrounding punctuation (`"The` → `The`, `Mr.` → `Mr`).
fn trim_word(token: &str) -> &str {
    token.trim_matches(|c: char| !c.is_alphanumeric())
}

/// A list marker: a number up to 99 or a single lower-case letter.
fn list_marker(word: &str) -> Option<Marker> {
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

fn is_roman_numeral(word: &str) -> bool {
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
            (1..=3).contains(&n) && part.chars().all(char::is_alphabetic)
        })
}

fn is_hiragana(c: char) -> bool {
    ('\u{3040}'..='\u{309F}').contains(&c)
}

/// Japanese particles that continue a sentence after a closing quote: 「…。」と言った.
fn quote_particle(token: &str) -> bool {
    token.starts_with('と')
        || token.starts_with("って")
        || token.starts_with('の')
        || token.starts_with('な')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::rules::builtin;

    fn split(lang: &str, text: &str) -> Vec<String> {
        let rules = builtin(lang);
        let mut spans = Vec::new();
        split_paragraph(&rules, text, &mut spans);
        spans.iter().map(|s| s.slice(text).to_string()).collect()
    }

    #[test]
    fn simple_sentences() {
        assert_eq!(
            split("en", "Hello World. My name is Jonas."),
            ["Hello World.", "My name is Jonas."]
        );
        assert_eq!(
            split("en", "What is your name? My name is Jonas."),
            ["What is your name?", "My name is Jonas."]
        );
    }

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

    #[test]
    fn cjk_without_spaces() {
        assert_eq!(
            split("ja", "これはペンです。それはマーカーです。"),
            ["これはペンです。", "それはマーカーです。"]
        );
    }

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
