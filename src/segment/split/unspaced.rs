//! A terminal directly followed by more text: sentences of scripts written without
//! spaces (`。次`), and ASCII punctuation glued to the next word (`world.Today`).

use super::period::is_roman_numeral;
use super::{trim_word, Decision, Next, Splitter};
use crate::segment::chars;

impl Splitter<'_, '_, '_> {
    /// A terminal directly followed by more text: `world.Today`, `。次`, `፧መልካም`.
    pub(super) fn decide_unspaced(
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
            return self.spaceless(i, closers, nc, next);
        }
        if !closers.is_empty() {
            return Decision::Continue;
        }
        self.glued(i, first, next)
    }

    /// A terminal of a script written without spaces between sentences (CJK and
    /// others; `nc` the next text's first character): a boundary unless a quotation
    /// goes on, or more punctuation follows.
    fn spaceless(&self, i: usize, closers: &str, nc: char, next: &Next) -> Decision {
        if self.inside_brackets(i) {
            return Decision::Continue;
        }
        // 「…。」と言った: a quotation inside the sentence, continued by a particle.
        if !closers.is_empty() && is_hiragana(nc) && chars::is_cjk(nc) && quote_particle(next.token)
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
        Decision::Break
    }

    /// ASCII punctuation glued to the next word: "world.Today", "1,000.That".
    fn glued(&self, i: usize, first: char, next: &Next) -> Decision {
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
}

/// Common top-level domains, as written after "example." in any case.
fn is_top_level_domain(word: &str) -> bool {
    const TLDS: &[&str] = &[
        "com", "org", "net", "edu", "gov", "int", "mil", "info", "biz", "io", "co", "uk", "de",
        "fr", "ru", "es", "it", "nl", "jp", "cn", "ca", "au", "eu", "us",
    ];
    word.len() <= 4 && TLDS.iter().any(|t| t.eq_ignore_ascii_case(word))
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
    use super::super::tests::split;

    #[test]
    fn cjk_without_spaces() {
        assert_eq!(
            split("ja", "これはペンです。それはマーカーです。"),
            ["これはペンです。", "それはマーカーです。"]
        );
    }
}
