//! The sentence splitter for one paragraph.
//!
//! Candidate boundaries are the places UAX #29 looks at: after terminal punctuation
//! (STerm/ATerm, see [`chars::is_terminal`]) with its closing quotes and brackets, plus
//! a few it does not know (Armenian `:`, Greek `;`, list markers, line breaks). At each
//! candidate the language rules decide: abbreviations, initials, ordinals, ellipses,
//! quotations, lists. Where no rule applies, the decision is UAX #29's.
//!
//! This file holds the scan for candidates and the splitter's state; each kind of
//! candidate is decided in its own file: [`terminal`] (with [`period`] and
//! [`unspaced`]), [`lines`], [`lists`], [`clause`]; [`marks`] knows the open brackets
//! and quotation marks.

mod clause;
mod lines;
mod lists;
mod marks;
mod period;
mod terminal;
mod unspaced;

use std::cell::RefCell;

use super::chars::{self, Case};
use super::rules::LangRules;
use crate::text::Span;
use lists::Marker;
use marks::MarksScan;

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

impl<'t> Splitter<'_, 't, '_> {
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

    /// The sentences `split_paragraph` makes of `text` with the built-in rules of `lang`.
    pub(super) fn split(lang: &str, text: &str) -> Vec<String> {
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
}
