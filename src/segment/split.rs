//! The sentence splitter for one paragraph.
//!
//! Candidate boundaries are the places UAX #29 looks at: after terminal punctuation
//! (STerm/ATerm, see [`chars::is_terminal`]) with its closing quotes and brackets, plus
//! a few it does not know (Armenian `:`, Greek `;`, list markers, line breaks). At each
//! candidate the language rules decide: abbreviations, initials, ordinals, ellipses,
//! quotations, lists. Where no rule applies, the decision is UAX #29's.

use std::cell::RefCell;

use super::chars::{self, Case};
use super::rules::{AbbreviationKind, LangRules};
use crate::text::Span;

/// Splits `text` (one paragraph: no blank line inside) and appends the sentence spans,
/// relative to `text`, to `out`. Every non-whitespace character of `text` ends up in
/// exactly one span; spans start and end on non-whitespace characters.
pub(crate) fn split_paragraph(rules: &LangRules, text: &str, out: &mut dyn FnMut(Span)) {
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
        marks: RefCell::new(MarksScan::at(first)),
    };
    splitter.split_leading_heading();
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
    /// True if `next` continues a list that `self` belongs to, or starts a new one
    /// right after it ("… 2) The second item 1) The first item").
    fn is_followed_by(self, next: Marker) -> bool {
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
    out: &'o mut dyn FnMut(Span),
    /// Start of the current sentence (a non-whitespace character).
    sent_start: usize,
    /// The list marker that opened the current sentence, if any.
    marker: Option<Marker>,
    /// Length in characters of the longest line of the paragraph, computed when needed.
    max_line: Option<usize>,
    /// How far [`Splitter::open_marks`] has read the current sentence, and what it
    /// found: each candidate boundary continues the scan instead of starting over.
    marks: RefCell<MarksScan>,
}

/// The state of the scan for open brackets and quotation marks.
struct MarksScan {
    /// The sentence scanned (its start) and the end of the scanned part.
    sent_start: usize,
    upto: usize,
    /// Closers of the open brackets, innermost last.
    stack: Vec<char>,
    /// False once a closer came with nothing open.
    paired: bool,
    /// The closer of the open quotation mark.
    quote: Option<char>,
}

impl MarksScan {
    /// Nothing read yet of the sentence that starts at `sent_start`.
    fn at(sent_start: usize) -> MarksScan {
        MarksScan {
            sent_start,
            upto: sent_start,
            stack: Vec::new(),
            paired: true,
            quote: None,
        }
    }
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
    t[b'-' as usize] = true;
    t
}
const ASCII_TRIGGERS: [bool; 128] = ascii_triggers();

/// The code point of the non-ASCII character starting at byte `i` of valid UTF-8, and
/// its length in bytes (decoded by hand: the scan visits every character, and slicing
/// the text to decode each one cost a fifth of the time on Cyrillic).
#[inline]
fn decode_at(bytes: &[u8], i: usize) -> (u32, usize) {
    let b0 = bytes[i] as u32;
    let cont = |k: usize| bytes.get(i + k).map_or(0, |&b| (b & 0x3F) as u32);
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

/// The terminals of [`chars::is_terminal`] between U+0589 and U+07FF (a test checks
/// the list against it); no bullet or ellipsis is there.
#[inline]
fn is_two_byte_terminal(cp: u32) -> bool {
    matches!(cp, 0x0589 | 0x061D..=0x061F | 0x06D4 | 0x0700..=0x0702 | 0x07F9)
}

impl<'r, 't, 'o> Splitter<'r, 't, 'o> {
    fn run(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.sent_start;
        while i < bytes.len() {
            // A handler may have started the next sentence beyond where it returned.
            i = i.max(self.sent_start);
            if i >= bytes.len() {
                break;
            }
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
                    b':' if self.is_dateline_colon(i) => {
                        let next = self.next_after(i + 1);
                        self.cut(i + 1, next.start);
                        next.start
                    }
                    b':' if self.rules.heading_colon => self.at_heading_colon(i),
                    b':' if self.rules.colon_break => self.at_clause_mark(i, false),
                    b';' if self.rules.semicolon_question => self.at_terminal(i),
                    b';' if self.rules.semicolon_upper => self.at_clause_mark(i, true),
                    b'-' if self.rules.dash_terminal => self.at_dash(i),
                    _ => i + 1,
                };
                continue;
            }
            if b < 0xD6 {
                // Two bytes below U+0580 (Latin, Greek, Cyrillic, Armenian letters): no
                // terminal, ellipsis or bullet starts this way.
                i += 2;
                continue;
            }
            let (cp, width) = decode_at(bytes, i);
            // Fast rejection: letters of most scripts are neither terminals nor bullets;
            // below U+0800 (Arabic, Hebrew, Syriac…) only a few terminals count. (The
            // Greek question mark U+037E is not one of them; NFC text writes it `;`,
            // which the ASCII branch handles.)
            if (cp < 0x0800 && !is_two_byte_terminal(cp)) || (0x3003..0xA4FF).contains(&cp) {
                i += width;
                continue;
            }
            let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
            i = if chars::is_bullet(c) {
                self.at_bullet(i, c)
            } else if chars::is_terminal(c) || chars::is_ellipsis(c) {
                self.at_terminal(i)
            } else {
                i + width
            };
        }
        self.finish(bytes.len());
    }

    /// Ends the current sentence at `end` (exclusive; trailing whitespace is trimmed)
    /// and starts the next one at the first non-whitespace character from `next`.
    fn cut(&mut self, end: usize, next: usize) {
        let end = self.sent_start + self.text[self.sent_start..end].trim_end().len();
        if end > self.sent_start {
            (self.out)(Span::new(self.sent_start, end));
        }
        let rest = &self.text[next..];
        self.sent_start = next + (rest.len() - rest.trim_start().len());
        self.marker = None;
        self.split_leading_heading();
    }

    /// Headings, bylines and credits run into the text when line breaks were lost
    /// ("FOTO - REUTERS Po zápase …", "Spor o generála Nakoniec sa …"): ends them where
    /// the text proper begins. Two patterns, both at the start of a sentence:
    /// a run of at least two all-capital words followed by a capitalised word; and a
    /// few words without punctuation, the last one not capitalised, followed by a
    /// capitalised word that typically starts sentences (a pronoun, preposition,
    /// article or conjunction — words that are not capitalised inside a sentence).
    fn split_leading_heading(&mut self) {
        const MAX_WORDS: usize = 8;
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
        if chars::is_uppercase(c1) {
            // "FOTO - REUTERS Po …", "MAREK CHORVATOVIČ Hospodárstvo …"
            let is_caps_word = |t: &str| {
                t.chars().count() >= 2 && t.chars().all(|c| chars::is_uppercase(c) || c == '-')
            };
            let is_dash_word = |t: &str| t.chars().all(chars::is_dash);
            if !is_caps_word(first) {
                return;
            }
            let (mut caps_words, mut last_was_dash) = (1, false);
            for (offset, word) in words.take(MAX_WORDS) {
                if is_caps_word(word) {
                    caps_words += 1;
                    last_was_dash = false;
                } else if is_dash_word(word) {
                    last_was_dash = true;
                } else {
                    if caps_words >= 2 && !last_was_dash && is_title_word(word) {
                        self.cut(start + offset, start + offset);
                    }
                    return;
                }
            }
            return;
        }
        // "Spor o generála Nakoniec sa písalo …"
        if !chars::is_lowercase(c1) || !self.rules.has_starters() {
            return;
        }
        let mut prev = first;
        let mut taken = 1;
        while let Some((offset, word)) = words.next() {
            if taken > MAX_WORDS || !prev.chars().all(|c| chars::is_alphanumeric(c) || c == '-') {
                return; // too far, or punctuation: not a bare heading
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
                    self.cut(start + offset, start + offset);
                    return;
                }
            }
            prev = word;
        }
    }

    fn finish(&mut self, len: usize) {
        if self.sent_start < len {
            let end = self.sent_start + self.text[self.sent_start..].trim_end().len();
            if end > self.sent_start {
                (self.out)(Span::new(self.sent_start, end));
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
    /// Number of words from the sentence start up to `end`, counted up to `cap` (the
    /// rules only ever ask about the first few).
    fn words_before(&self, end: usize, cap: usize) -> usize {
        self.text[self.sent_start..end]
            .split_whitespace()
            .take(cap)
            .count()
    }

    /// True if `pos` lies inside brackets opened in the current sentence that close
    /// later in the paragraph: `(He worked there for 5 years.) at the…`.
    fn inside_brackets(&self, pos: usize) -> bool {
        match self.open_marks(pos).bracket {
            Some(close) => self.bracket_closes_soon(pos, close),
            None => false,
        }
    }

    /// The closing bracket and closing quotation mark that the current sentence waits
    /// for at `pos`, found in one pass. A bracket counts only when exactly one is open
    /// and the sentence's brackets are paired: a closer with nothing open means they
    /// are not (mirrored right-to-left text writes "علی) ع ("), and nested unclosed
    /// brackets are typos, not structure.
    fn open_marks(&self, pos: usize) -> OpenMarks {
        let mut scan = self.marks.borrow_mut();
        if scan.sent_start != self.sent_start || scan.upto > pos {
            *scan = MarksScan::at(self.sent_start);
        }
        let slice = &self.text[scan.upto..pos];
        let bytes = slice.as_bytes();
        let mut k = 0;
        while k < bytes.len() {
            // Only bytes that can start a bracket or a quotation mark are decoded.
            let b = bytes[k];
            if !MARK_LEAD_BYTES[b as usize] {
                k += 1;
                continue;
            }
            let c = slice[k..].chars().next().unwrap_or(' ');
            k += c.len_utf8();
            if let Some(close) = chars::closing_bracket(c) {
                scan.stack.push(close);
            } else if scan.stack.last() == Some(&c) {
                scan.stack.pop();
            } else if matches!(c, ')' | ']' | '}') {
                scan.paired = false;
            }
            match scan.quote {
                None => scan.quote = quote_closer(c),
                Some(close) if c == close => scan.quote = None,
                Some(_) => {}
            }
        }
        scan.upto = pos;
        let bracket = match scan.stack[..] {
            [close] if scan.paired => Some(close),
            _ => None,
        };
        OpenMarks {
            bracket,
            quote: scan.quote,
        }
    }

    /// True if there is no boundary at `pos` because of an open bracket or quotation.
    fn enclosed(&self, pos: usize) -> bool {
        let open = self.open_marks(pos);
        open.bracket
            .is_some_and(|close| self.bracket_closes_soon(pos, close))
            || open
                .quote
                .is_some_and(|close| self.quotation_goes_on(pos, close))
    }

    /// True if `close` comes soon after `pos`, before another bracket opens.
    fn bracket_closes_soon(&self, pos: usize, close: char) -> bool {
        for c in self.text[pos..].chars().take(150) {
            if c == close {
                return true;
            }
            if chars::closing_bracket(c).is_some() {
                return false;
            }
        }
        false
    }

    /// The end of a closing quotation mark that follows `from` after a space and is
    /// itself followed by a space or the end: it closes the sentence before it.
    fn detached_closer(&self, from: usize, after_word: bool) -> usize {
        let rest = &self.text[from..];
        let after_space = rest.trim_start_matches([' ', '\u{A0}', '\u{202F}']);
        if after_space.len() == rest.len() {
            return from;
        }
        let token_len = after_space
            .find(char::is_whitespace)
            .unwrap_or(after_space.len());
        let token = &after_space[..token_len];
        // A footnote number set off by a space: "… minority rights. 4 Even though …"
        if after_word && (1..=2).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit())
        {
            let following = after_space[token_len..].trim_start();
            let mut cs = following.chars();
            if matches!((cs.next(), cs.next()), (Some(a), Some(b)) if chars::is_uppercase(a) && chars::is_lowercase(b))
            {
                return from + (rest.len() - after_space.len()) + token_len;
            }
        }
        if token.is_empty()
            || !(token
                .chars()
                .all(|c| chars::is_closer(c) && !chars::is_open_bracket(c))
                || is_footnote_ref(token)
                || is_emoticon(token)
                || matches!(token, "[...]" | "[…]"))
        {
            return from;
        }
        let unambiguous = token == "''"
            || token
                .chars()
                .any(|c| matches!(c, '”' | '»' | '’' | ')' | ']' | '」' | '』'));
        if !unambiguous
            && (is_footnote_ref(token) || is_emoticon(token) || matches!(token, "[...]" | "[…]"))
        {
            // "… poďakoval. [18] Mimo USA"
            return from + (rest.len() - after_space.len()) + token_len;
        }
        let closes_open_ascii_quote =
            token == "\"" && self.text[..from].matches('"').count() % 2 == 1;
        if unambiguous || closes_open_ascii_quote {
            from + (rest.len() - after_space.len()) + token_len
        } else {
            from
        }
    }

    /// The end of footnote references right after a terminal at `i` (cluster and
    /// closers end at `from`): bracketed numbers, or bare numbers glued to the period of
    /// a word, followed by a capitalised word.
    fn skip_footnotes(&self, i: usize, first: char, from: usize) -> usize {
        let text = self.text;
        let mut end = from;
        loop {
            let rest = &text[end..];
            let Some(inner) = rest.strip_prefix('[') else {
                break;
            };
            let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
            if (1..=3).contains(&digits) && inner[digits..].starts_with(']') {
                end += digits + 2;
            } else {
                break;
            }
        }
        if end == from
            && first == '.'
            && self
                .char_before(i)
                .is_some_and(|c| chars::is_alphabetic(c) || c == ')')
        {
            // ".11 12 Take": up to three numbers of at most three digits.
            let mut pos = from;
            let mut groups = 0;
            loop {
                let digits = text[pos..].bytes().take_while(u8::is_ascii_digit).count();
                if !(1..=3).contains(&digits) || groups == 3 {
                    break;
                }
                groups += 1;
                pos += digits;
                let rest = &text[pos..];
                let after_space = rest.trim_start_matches(' ');
                if after_space.len() == rest.len() {
                    break;
                }
                if !after_space.starts_with(|c: char| c.is_ascii_digit()) {
                    if after_space.starts_with(|c: char| chars::is_uppercase(c)) {
                        end = pos;
                    }
                    break;
                }
                pos += rest.len() - after_space.len();
            }
        }
        end
    }

    /// True if the quotation open at `pos` is short and the sentence goes on after it:
    /// „Prieskumy beriem na ľahkú váhu. V podstate ma to nezaujíma,“ reagoval Matovič.
    /// The quotation must close within a few words, followed by a comma or a
    /// lower-case word (a reporting clause or the rest of the sentence).
    fn quotation_goes_on(&self, pos: usize, close: char) -> bool {
        const REACH: usize = 100;
        let rest = &self.text[pos..];
        let Some((at, _)) = rest
            .char_indices()
            .take(REACH)
            .find(|&(k, c)| c == close && k > 0)
        else {
            return false;
        };
        let before_close = rest[..at].trim_end();
        let after = rest[at + close.len_utf8()..].trim_start();
        before_close.ends_with(',')
            || after.starts_with(',')
            || after.chars().next().is_some_and(chars::is_lowercase)
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
        while let Some(c) = self.char_at(end) {
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
            } else if c == ' ' && dots > 0 && is_spaced_dot(&text[end + 1..]) {
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
            // Quotes escaped as HTML entities in text taken from the web: "…!&#39;&#39;"
            if c == '&' {
                let rest = &text[closers_end..];
                if let Some(entity) = ["&#39;", "&quot;", "&#34;", "&rdquo;", "&raquo;"]
                    .iter()
                    .find(|e| rest.starts_with(**e))
                {
                    closers_end += entity.len();
                    continue;
                }
            }
            if !chars::is_closer(c) {
                break;
            }
            if matches!(c, '\'' | '"' | '“' | '‘' | '«' | '»' | '‹' | '›') {
                // A quote that opens in some languages and closes in others (“ closes
                // German „…“ but opens English “…”) closes only if a space, the end or
                // more punctuation follows.
                let after = self.char_at(closers_end + c.len_utf8());
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
        // Footnote references belong to the sentence they follow: "martyr.[1] The",
        // "cognition (type 2).10 This".
        closers_end = self.skip_footnotes(i, first, closers_end);
        // A closing quote set off by a space: "… houden. ''" (Dutch), "… fin. »".
        closers_end = self.detached_closer(
            closers_end,
            self.char_before(i).is_some_and(chars::is_alphabetic),
        );
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

        // "Direct Dial:? 203…": a question mark after a colon is a placeholder.
        if before_char == Some(':') {
            return closers_end;
        }
        // A sentence needs a word: "! ! !" is one.
        if !self.text[self.sent_start..i]
            .chars()
            .any(chars::is_alphanumeric)
        {
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
        // Inside brackets that close later in the paragraph there is no boundary:
        // "(«Егемен Қазақстан», 2012 жыл. №590-591)".
        let decision = match decision {
            Decision::Break if spaced_after && self.enclosed(closers_end) => Decision::Continue,
            d => d,
        };
        match decision {
            Decision::Break => {
                self.cut(closers_end, next.start);
                next.start
            }
            Decision::BreakBefore(pos, marker) => {
                self.cut(pos, pos);
                self.marker = marker;
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
        let Some(nc) = next.first else {
            return Decision::Continue;
        };
        if chars::is_period(first) && chars::is_numeric(nc) && !ellipsis {
            // A decimal point, full-width ones included: "３．２９".
            return Decision::Continue;
        }
        // ASCII punctuation inside CJK text: "美味!組内外から…", "ロビー?2008年", "基地..另外"
        let in_cjk_text = matches!(first, '!' | '?' | '.')
            && (chars::is_cjk(nc) || nc.is_ascii_digit())
            && self.char_before(i).is_some_and(chars::is_cjk);
        if ellipsis && !in_cjk_text {
            return Decision::Continue;
        }
        if chars::is_spaceless_terminal(first) || (strong && !first.is_ascii()) || in_cjk_text {
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
            // “……做法？”总统说。: a short attribution after the quotation belongs to it.
            if !closers.is_empty() && chars::is_cjk(nc) {
                let rest = &self.text[next.start..];
                let clause: String = rest
                    .chars()
                    .take_while(|&c| !chars::is_terminal(c))
                    .take(8)
                    .collect();
                let ends = rest[clause.len()..].starts_with(|c: char| chars::is_terminal(c));
                if ends && clause.chars().count() <= 6 && !clause.contains(['，', '、', ',']) {
                    return Decision::Continue;
                }
            }
            // Anything but more punctuation starts the next sentence ("。*1902年", "。※GI").
            if matches!(nc, '、' | '，' | ',' | '.' | '・' | ':' | ';' | '：' | '；')
                || chars::is_dash(nc)
                || chars::is_terminal(nc)
            {
                return Decision::Continue;
            }
            return Decision::Break;
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
        // "Newsfeed.Com", "Amazon.DE": a domain name.
        if is_top_level_domain(trim_word(next.token)) {
            return Decision::Continue;
        }
        // "s.XX", "J.Smith": one letter before the period is an abbreviation or initial.
        if word
            .trim_start_matches(|c: char| !chars::is_alphanumeric(c))
            .chars()
            .count()
            < 2
        {
            return Decision::Continue;
        }
        // "world.Today", "1,000.That" — but not a list number "1.Helado".
        let before_ok = before.is_some_and(|c| {
            chars::is_lowercase(c) || (chars::is_numeric(c) && word.chars().count() >= 3)
        });
        let mut next_chars = next.token.chars();
        let n0 = next_chars.next();
        let n1 = next_chars.next();
        let next_is_word = match (n0, n1) {
            // "world.I dag": a one-letter word
            (Some(a), None) => chars::is_uppercase(a),
            (Some(a), Some(b)) => {
                chars::is_uppercase(a)
                    && (chars::is_lowercase(b)
                        || (is_roman_numeral(trim_word(next.token))
                            && trim_word(next.token).len() >= 2))
            }
            _ => false,
        };
        if before_ok && next_is_word {
            let core = word.trim_start_matches(|c: char| !chars::is_alphanumeric(c));
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
        if self.char_at(i) == Some('!') && closers.is_empty() {
            // Names that end in "!": "Yahoo! Research".
            let start = self.token_start(i);
            let word = self.text[start..i].trim_start_matches(|c: char| !chars::is_alphanumeric(c));
            if !word.is_empty() && self.rules.abbreviation(&format!("{word}!")).is_some() {
                return Decision::Continue;
            }
        }
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
            Case::Caseless if !closers.is_empty() && self.short_attribution(next) => {
                Decision::Continue
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

    /// In a script without case, a quotation followed by a clause of at most three
    /// words that ends the sentence is an attribution: `"…?" वकील म्हणाला.`
    fn short_attribution(&self, next: &Next) -> bool {
        let rest = &self.text[next.start..];
        let Some(end) =
            rest.find(|c: char| chars::is_terminal(c) || c == '"' || c == '“' || c == '«')
        else {
            return false;
        };
        let clause = &rest[..end];
        rest[end..].starts_with(|c: char| chars::is_terminal(c))
            && clause.split_whitespace().count() <= 3
            && !clause.contains([',', '،', '\n'])
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
        if next.case == Case::Caseless && !closers.is_empty() && self.short_attribution(next) {
            return Decision::Continue;
        }
        let token_start = self.token_start(i);
        let raw_word = &self.text[token_start..i];
        let word = raw_word.trim_start_matches(|c: char| {
            chars::is_opener(c) || chars::is_format(c) || chars::is_dash(c)
        });
        let word_clean: std::borrow::Cow<str> = if word.chars().any(chars::is_format) {
            word.chars()
                .filter(|&c| !chars::is_format(c))
                .collect::<String>()
                .into()
        } else {
            word.into()
        };
        let word = word_clean.as_ref();

        // A list marker continuing the list of the previous sentence: "… item 2. The …"
        if let Some(marker) = list_marker(word) {
            if closers.is_empty() || closers == ")" {
                if token_start > self.sent_start && raw_word == word {
                    if let Some(prev) = self.marker {
                        if prev.is_followed_by(marker) {
                            return Decision::BreakBefore(token_start, Some(marker));
                        }
                    }
                }
                if self.words_before(i, 5) == 1
                    || (self.words_before(i, 5) == 2 && self.starts_with_bullet())
                {
                    // "1. The first item", "a. The first item", "• 9. The first item"
                    self.marker = Some(marker);
                    return Decision::Continue;
                }
            }
        }

        if next.case == Case::Lower && !starts_with_ellipsis {
            // After a closing quote, a lower-case word is an attribution: "…great.' she said".
            if !closers.is_empty() {
                return Decision::Continue;
            }
            if is_list_item_start(next.token)
                && self.words_before(i, 5) > 1
                && word.chars().count() > 1
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
            return self.decide_lowercase_start(i);
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

        // A single letter: an initial ("J. R. R. Tolkien") or a one-letter abbreviation.
        if letters == 1 && word.chars().count() == 1 {
            let c = word.chars().next().unwrap_or(' ');
            if self.words_before(i, 5) == 1 {
                // A label or list letter opening the sentence: "Q. What is his name?"
                return Decision::Continue;
            }
            if chars::is_uppercase(c) {
                let prev_capitalised = self.prev_word(token_start).is_some_and(|w| {
                    w.chars()
                        .find(|c| chars::is_alphabetic(*c))
                        .is_some_and(chars::is_uppercase)
                });
                if !prev_capitalised && self.next_is_starter(next) && next.case == Case::Upper {
                    return Decision::Break;
                }
                return Decision::Continue;
            }
            if chars::is_lowercase(c) {
                return self.decide_abbreviation(
                    AbbreviationKind::Final,
                    i,
                    self.words_before(i, 5),
                    next,
                );
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

    /// True if the paragraph is made of short lines and the line at `next` holds only
    /// a few words: a list, one item a line.
    fn in_short_line_list(&mut self, next: &Next) -> bool {
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
        Some(before[start..].trim_matches(|c: char| !chars::is_alphanumeric(c)))
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

    // ---------------------------------------------------------------------------
    // Line breaks, lists, bullets
    // ---------------------------------------------------------------------------

    /// A single line break inside a paragraph: a heading or list item ends here, a
    /// wrapped line does not.
    fn at_newline(&mut self, i: usize) -> usize {
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

    /// A hyphen set off by spaces between two words ends a sentence where writers use
    /// it for the full stop (Urdu: "…کیا جا رہا ہے - گھنے جنگلاتی…").
    fn at_dash(&mut self, i: usize) -> usize {
        let spaced = self.char_before(i) == Some(' ') && self.char_at(i + 1) == Some(' ');
        let after_word = self.text[..i]
            .trim_end()
            .chars()
            .next_back()
            .is_some_and(chars::is_alphabetic);
        let next = self.next_after(i + 1);
        if spaced
            && after_word
            && next.first.is_some_and(chars::is_alphabetic)
            && self.words_before(i, 3) >= 3
        {
            self.cut(i + 1, next.start);
            return next.start;
        }
        i + 1
    }

    /// A news dateline ending in a colon at the start of a sentence: "لندن - ایرنا:",
    /// "Tehran - IRNA:" (place, dash, agency). What follows is the report.
    fn is_dateline_colon(&self, i: usize) -> bool {
        let head = &self.text[self.sent_start..i];
        let next = self.next_after(i + 1);
        if next.start == i + 1
            || next.start >= self.text.len()
            || !next.first.is_some_and(chars::is_alphabetic)
        {
            return false;
        }
        let words = head.split_whitespace().count();
        (3..=6).contains(&words)
            && head
                .split_whitespace()
                .any(|w| w.chars().all(chars::is_dash))
            && !head.contains(|c: char| {
                chars::is_terminal(c) || matches!(c, ',' | '،' | ';' | '"' | '«' | '»')
            })
    }

    /// A colon or semicolon that ends a sentence by the language's convention: in
    /// Italian a colon before a new clause (`…è chiarissimo: Nelle ultime settimane…`),
    /// in French and Spanish a semicolon before a capitalised word.
    fn at_clause_mark(&mut self, i: usize, upper_only: bool) -> usize {
        let next = self.next_after(i + 1);
        if next.start == i + 1
            || next.start >= self.text.len()
            || !self.text[self.sent_start..i]
                .chars()
                .any(chars::is_alphabetic)
        {
            return i + 1;
        }
        // A quotation after the colon is what the sentence reports: `esclamò: "Bambini…"`.
        let quoted = next
            .token
            .starts_with(|c: char| chars::is_opener(c) && !chars::is_open_bracket(c));
        let starts_clause = !quoted
            && match next.case {
                Case::Upper => true,
                Case::Lower | Case::Caseless => !upper_only,
                _ => false,
            };
        if starts_clause && !self.inside_brackets(i) {
            self.cut(i + 1, next.start);
            return next.start;
        }
        i + 1
    }

    /// A colon ending the first words of a paragraph: a heading, label or dateline
    /// ("سؤال وجواب: …", "الصنداي تايمز: …"), where the language marks them so.
    fn at_heading_colon(&mut self, i: usize) -> usize {
        let first_sentence = self.text[..self.sent_start].trim().is_empty();
        // After a verb of saying the colon introduces speech: "وقال المتحدث: …"
        let reports_speech = self.text[self.sent_start..i]
            .split_whitespace()
            .any(|w| self.rules.is_speech_verb(w));
        let next = self.next_after(i + 1);
        let spaced = next.start > i + 1;
        let starts_word = next.first.is_some_and(chars::is_alphabetic)
            && next.token.chars().next().is_some_and(chars::is_alphabetic);
        if first_sentence
            && spaced
            && starts_word
            && !reports_speech
            && self.words_before(i, 13) <= 12
        {
            self.cut(i + 1, next.start);
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
    fn at_bullet(&mut self, i: usize, c: char) -> usize {
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

/// What the current sentence waits to be closed: see [`Splitter::open_marks`].
#[derive(Debug, Default, Clone, Copy)]
struct OpenMarks {
    bracket: Option<char>,
    quote: Option<char>,
}

enum Decision {
    Break,
    /// Break before this offset: a list marker starts the next sentence.
    BreakBefore(usize, Option<Marker>),
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
    token.trim_matches(|c: char| !chars::is_alphanumeric(c))
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

/// `rest` starts with a lone period of a spaced ellipsis (". . ."): a period followed by
/// a space, a closer or the end, not by another period ("...").
fn is_spaced_dot(rest: &str) -> bool {
    let mut cs = rest.chars();
    cs.next() == Some('.') && cs.next().is_none_or(|c| c == ' ' || chars::is_closer(c))
}

/// A token that opens a list item: a letter or number of one or two characters with a
/// period or parenthesis ("a.", "b)", "2.").
fn is_list_item_start(token: &str) -> bool {
    let Some(stem) = token.strip_suffix(['.', ')']) else {
        return false;
    };
    matches!(
        list_marker(stem),
        Some(Marker::Letter('a')) | Some(Marker::Number(1))
    )
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
            (1..=3).contains(&n) && part.chars().all(chars::is_alphabetic)
        })
}

/// Common top-level domains, as written after "example." in any case.
fn is_top_level_domain(word: &str) -> bool {
    const TLDS: &[&str] = &[
        "com", "org", "net", "edu", "gov", "int", "mil", "info", "biz", "io", "co", "uk", "de",
        "fr", "ru", "es", "it", "nl", "jp", "cn", "ca", "au", "eu", "us",
    ];
    word.len() <= 4 && TLDS.iter().any(|t| t.eq_ignore_ascii_case(word))
}

/// A text emoticon that closes a sentence: ":)", ":-(", ";D".
fn is_emoticon(token: &str) -> bool {
    let t = token.as_bytes();
    (2..=4).contains(&t.len())
        && matches!(t[0], b':' | b';' | b'=')
        && t[1..].iter().all(|b| {
            matches!(
                b,
                b'-' | b')'
                    | b'('
                    | b'D'
                    | b'P'
                    | b'p'
                    | b'/'
                    | b'|'
                    | b'O'
                    | b'o'
                    | b'3'
                    | b']'
                    | b'['
            )
        })
        && !matches!(t[t.len() - 1], b'-')
}

/// A bracketed footnote number: "[18]", "[7][8]".
fn is_footnote_ref(token: &str) -> bool {
    let mut rest = token;
    let mut any = false;
    while let Some(inner) = rest.strip_prefix('[') {
        let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=3).contains(&digits) || !inner[digits..].starts_with(']') {
            return false;
        }
        rest = &inner[digits + 1..];
        any = true;
    }
    any && rest.is_empty()
}

/// Bytes that can start a bracket or quotation mark: the ASCII ones, and the lead bytes
/// of the non-ASCII ones (« » “ ” „ ‹ › 「 」 『 』 （ ） 《 》 …).
const MARK_LEAD_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let ascii = b"()[]{}\"";
    let mut i = 0;
    while i < ascii.len() {
        t[ascii[i] as usize] = true;
        i += 1;
    }
    t[0xC2] = true;
    t[0xE2] = true;
    t[0xE3] = true;
    t[0xEF] = true;
    t
};

/// The closing quotation mark for an opening one.
fn quote_closer(c: char) -> Option<char> {
    Some(match c {
        '«' => '»',
        '„' => '“',
        '“' => '”',
        '‹' => '›',
        '"' => '"',
        '「' => '」',
        '『' => '』',
        _ => return None,
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

    #[test]
    fn the_two_byte_terminal_list_is_the_table() {
        for cp in 0x0589..0x0800 {
            let c = char::from_u32(cp).unwrap();
            let special = chars::is_terminal(c) || chars::is_ellipsis(c) || chars::is_bullet(c);
            assert_eq!(is_two_byte_terminal(cp), special, "U+{cp:04X}");
        }
    }

    fn split(lang: &str, text: &str) -> Vec<String> {
        let rules = builtin(lang);
        let mut spans = Vec::new();
        split_paragraph(&rules, text, &mut |span| spans.push(span));
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

    /// One example a language of the list: abbreviations, ordinals, and the
    /// script's own terminal punctuation.
    #[test]
    fn every_required_language() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "en",
                "Dr. Watson arrived at 5 p.m. He was late.",
                &["Dr. Watson arrived at 5 p.m.", "He was late."],
            ),
            (
                "de",
                "Am 3. Oktober 1990 kam er. Das war gut.",
                &["Am 3. Oktober 1990 kam er.", "Das war gut."],
            ),
            (
                "fr",
                "M. Dupont est arrivé à 9 h. Puis il est parti.",
                &["M. Dupont est arrivé à 9 h.", "Puis il est parti."],
            ),
            (
                "es",
                "El Sr. García llegó ayer. ¿Qué dijo? Nada.",
                &["El Sr. García llegó ayer.", "¿Qué dijo?", "Nada."],
            ),
            (
                "it",
                "Il Sig. Rossi è arrivato. Ha salutato.",
                &["Il Sig. Rossi è arrivato.", "Ha salutato."],
            ),
            (
                "pt",
                "O Dr. Costa chegou às 10 h. Depois saiu.",
                &["O Dr. Costa chegou às 10 h.", "Depois saiu."],
            ),
            (
                "nl",
                "Dhr. Jansen kwam aan. Hij bleef lang.",
                &["Dhr. Jansen kwam aan.", "Hij bleef lang."],
            ),
            (
                "da",
                "Hr. Hansen kom den 5. maj. Han blev længe.",
                &["Hr. Hansen kom den 5. maj.", "Han blev længe."],
            ),
            (
                "pl",
                "Prof. Nowak przyszedł o godz. 10. To było miłe.",
                &["Prof. Nowak przyszedł o godz. 10.", "To było miłe."],
            ),
            (
                "cs",
                "Ing. Novák přišel v 10 hod. Zůstal dlouho.",
                &["Ing. Novák přišel v 10 hod.", "Zůstal dlouho."],
            ),
            (
                "sk",
                "Ide o firmu s. r. o., napr. XYZ. Zostal dlho.",
                &["Ide o firmu s. r. o., napr. XYZ.", "Zostal dlho."],
            ),
            (
                "ru",
                "Проф. Иванов приехал в 1998 г. в Москву, т. е. давно. Он остался.",
                &[
                    "Проф. Иванов приехал в 1998 г. в Москву, т. е. давно.",
                    "Он остался.",
                ],
            ),
            (
                "uk",
                "Проф. Шевченко приїхав у 1998 р. до Києва. Він залишився.",
                &[
                    "Проф. Шевченко приїхав у 1998 р. до Києва.",
                    "Він залишився.",
                ],
            ),
            (
                "bg",
                "Той управлява 150 г. Саргон надделява. Край.",
                &["Той управлява 150 г. Саргон надделява.", "Край."],
            ),
            (
                "el",
                "Ο κ. Παπαδόπουλος ήρθε. Πού είσαι; Εδώ.",
                &["Ο κ. Παπαδόπουλος ήρθε.", "Πού είσαι;", "Εδώ."],
            ),
            (
                "hy",
                "Նա եկավ։ Ո՞ւր ես: Այստեղ։",
                &["Նա եկավ։", "Ո՞ւր ես:", "Այստեղ։"],
            ),
            (
                "ar",
                "وصل الدكتور. هل أنت هنا؟ نعم.",
                &["وصل الدكتور.", "هل أنت هنا؟", "نعم."],
            ),
            (
                "fa",
                "او آمد. کجا هستی؟ اینجا.",
                &["او آمد.", "کجا هستی؟", "اینجا."],
            ),
            (
                "ur",
                "وہ آیا۔ تم کہاں ہو؟ یہاں۔",
                &["وہ آیا۔", "تم کہاں ہو؟", "یہاں۔"],
            ),
            (
                "hi",
                "डॉ. शर्मा आए। तुम कहाँ हो? यहाँ।",
                &["डॉ. शर्मा आए।", "तुम कहाँ हो?", "यहाँ।"],
            ),
            (
                "mr",
                "तो आला. तू कुठे आहेस? इथे.",
                &["तो आला.", "तू कुठे आहेस?", "इथे."],
            ),
            (
                "zh",
                "他来了。你在哪里？在这里！",
                &["他来了。", "你在哪里？", "在这里！"],
            ),
            (
                "ja",
                "彼は来た。どこにいる？ここだ！",
                &["彼は来た。", "どこにいる？", "ここだ！"],
            ),
            (
                "kk",
                "Ол келді. Сен қайдасың? Осында.",
                &["Ол келді.", "Сен қайдасың?", "Осында."],
            ),
            ("am", "እሱ መጣ። የት ነህ፧ እዚህ።", &["እሱ መጣ።", "የት ነህ፧", "እዚህ።"]),
            ("my", "သူလာတယ်။ ဘယ်မှာလဲ။", &["သူလာတယ်။", "ဘယ်မှာလဲ။"]),
        ];
        for (lang, text, expected) in cases {
            assert_eq!(split(lang, text), *expected, "{lang}");
        }
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
