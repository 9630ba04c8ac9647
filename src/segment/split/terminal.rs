//! Terminal punctuation: the cluster at a candidate (`.`, `?`, `!`, ellipses, the
//! terminals of other scripts), the closing quotes, brackets and footnote references
//! that belong to it, and the decision there, handed to [`period`](super::period) or
//! [`unspaced`](super::unspaced) when a single period or no space follows.

use super::{Decision, Next, Splitter};
use crate::segment::chars::{self, Case};

/// What [`Splitter::at_terminal`] found at a candidate: the terminal cluster.
struct Cluster {
    /// Its end (exclusive).
    end: usize,
    /// Periods in it (an ellipsis character counts three).
    dots: usize,
    /// It holds `?`, `!` or a terminal that works like them.
    question: bool,
    /// It holds another terminal (`。`, `।`, Armenian `:`…).
    other_terminal: bool,
    /// It is a spaced ellipsis (". . .").
    spaced: bool,
    /// It holds an ellipsis character (`…`).
    has_ellipsis_char: bool,
}

impl Splitter<'_, '_, '_> {
    /// Handles terminal punctuation at byte `i`; returns where scanning continues.
    // Inlined into the scan (`run`, in another file), as when they shared one: a call
    // per candidate costs instructions (callgrind, UD text).
    #[inline]
    pub(super) fn at_terminal(&mut self, i: usize) -> usize {
        let text = self.text;
        let first = self.char_at(i).unwrap_or('.');
        let Cluster {
            end: cluster_end,
            dots,
            question,
            other_terminal,
            spaced,
            has_ellipsis_char,
        } = self.cluster(i);
        let mut closers_end = self.closers_end(cluster_end);
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
        self.carry_out(decision, closers_end, next.start)
    }

    /// Carries out `decision` at a cluster whose closers end at `closers_end`, the next
    /// sentence starting at `next_start`; returns where scanning continues.
    fn carry_out(&mut self, decision: Decision, closers_end: usize, next_start: usize) -> usize {
        match decision {
            Decision::Break => {
                self.cut(closers_end, next_start);
                next_start
            }
            Decision::BreakBefore(pos, marker) => {
                self.cut(pos, pos);
                self.marker = marker;
                closers_end
            }
            Decision::Continue => closers_end,
        }
    }

    /// The cluster of terminal punctuation starting at `i`: consecutive terminals,
    /// ellipses, and spaced periods (". . .").
    fn cluster(&self, i: usize) -> Cluster {
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
            } else if c == ' ' && dots > 0 && is_spaced_dot(&self.text[end + 1..]) {
                // ". . ." : a spaced ellipsis continues the cluster
                spaced = true;
            } else {
                break;
            }
            end += c.len_utf8();
        }
        Cluster {
            end,
            dots,
            question,
            other_terminal,
            spaced,
            has_ellipsis_char,
        }
    }

    /// The end of the closing quotes and brackets from `from` (quotes escaped as HTML
    /// entities included).
    fn closers_end(&self, from: usize) -> usize {
        let mut closers_end = from;
        while let Some(c) = self.char_at(closers_end) {
            if chars::is_format(c) {
                closers_end += c.len_utf8();
                continue;
            }
            // Quotes escaped as HTML entities in text taken from the web: "…!&#39;&#39;"
            if c == '&' {
                let rest = &self.text[closers_end..];
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
        closers_end
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
    pub(super) fn short_attribution(&self, next: &Next) -> bool {
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
}

/// `rest` starts with a lone period of a spaced ellipsis (". . ."): a period followed by
/// a space, a closer or the end, not by another period ("...").
fn is_spaced_dot(rest: &str) -> bool {
    let mut cs = rest.chars();
    cs.next() == Some('.') && cs.next().is_none_or(|c| c == ' ' || chars::is_closer(c))
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
