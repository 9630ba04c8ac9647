//! Marks that end a sentence by a language's convention where UAX #29 sees none: a
//! spaced hyphen (Urdu), a clause colon (Italian), a semicolon before a capital
//! (French, Spanish), a heading colon (Arabic) and a news dateline's colon.

use super::Splitter;
use crate::segment::chars::{self, Case};

impl Splitter<'_, '_, '_> {
    /// A hyphen set off by spaces between two words ends a sentence where writers use
    /// it for the full stop (Urdu: "…کیا جا رہا ہے - گھنے جنگلاتی…").
    pub(super) fn at_dash(&mut self, i: usize) -> usize {
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
    pub(super) fn is_dateline_colon(&self, i: usize) -> bool {
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
    pub(super) fn at_clause_mark(&mut self, i: usize, upper_only: bool) -> usize {
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
    pub(super) fn at_heading_colon(&mut self, i: usize) -> usize {
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
}
