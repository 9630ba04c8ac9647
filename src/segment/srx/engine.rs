//! The engine: at each position of a paragraph, the first rule whose patterns match
//! decides; a prefilter of all `beforebreak` patterns rules out most rules at once.

use std::fmt;
use std::sync::Arc;

use super::model::Rule;
use crate::segment::regex::{Prefilter, Regex};
use crate::text::Span;

/// The rules that apply to one language, ready to split paragraphs.
pub(crate) struct SrxEngine {
    lang: String,
    names: String,
    rules: Vec<Rule>,
    /// Indexes of the break rules.
    breaks: Vec<usize>,
    /// All `beforebreak` patterns at once, to rule out most rules at a position.
    prefilter: Option<Prefilter>,
    /// The rules the prefilter does not cover (always tried), in order.
    always: Vec<usize>,
}

/// Buffers reused from paragraph to paragraph.
#[derive(Default)]
struct Scratch {
    reversed: String,
    set: Option<regex_automata::PatternSet>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl fmt::Debug for SrxEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrxEngine")
            .field("lang", &self.lang)
            .field("language_rules", &self.names)
            .field("rules", &self.rules.len())
            .field("breaks", &self.breaks.len())
            .finish()
    }
}

impl Rule {
    /// The cheap test: can this rule match at a position between `prev` and `next`?
    #[inline]
    fn may_match(&self, prev: char, next: Option<char>) -> bool {
        let edge_ok =
            |re: &Option<Arc<Regex>>, c: Option<char>| match re.as_deref().and_then(Regex::edge) {
                None => true,
                Some(set) => c.is_some_and(|c| set.contains(c)),
            };
        edge_ok(&self.before, Some(prev)) && edge_ok(&self.after, next)
    }

    #[inline]
    fn matches(&self, text: &str, reversed: &str, pos: usize) -> bool {
        self.before
            .as_deref()
            .is_none_or(|re| re.matches_ending_at(text, reversed, pos))
            && self
                .after
                .as_deref()
                .is_none_or(|re| re.matches_at(text, pos))
    }
}

impl SrxEngine {
    pub(super) fn new(lang: &str, names: String, rules: Vec<Rule>) -> SrxEngine {
        let breaks = (0..rules.len()).filter(|&i| rules[i].is_break).collect();
        let prefilter = Prefilter::new(
            rules
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.before.as_deref().map(|re| (i, re))),
        );
        let covered = prefilter.as_ref().map_or(&[][..], |p| p.covers());
        let always = (0..rules.len()).filter(|i| !covered.contains(i)).collect();
        SrxEngine {
            lang: lang.to_string(),
            names,
            rules,
            breaks,
            prefilter,
            always,
        }
    }

    /// Splits one paragraph; appends the sentence spans (relative to `text`, trimmed,
    /// non-empty) to `out`.
    pub(crate) fn split_paragraph(&self, text: &str, out: &mut dyn FnMut(Span)) {
        let mut start = 0;
        let emit = |from: usize, to: usize, out: &mut dyn FnMut(Span)| {
            let piece = &text[from..to];
            let trimmed = piece.trim_start();
            let s = from + (piece.len() - trimmed.len());
            let e = s + trimmed.trim_end().len();
            if e > s {
                out(Span::new(s, e));
            }
        };
        if !self.breaks.is_empty() {
            let mut breaks = Vec::new();
            // Reuse this thread's buffers unless a caller's callback re-entered us.
            SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => self.find_breaks(text, &mut scratch, &mut breaks),
                Err(_) => self.find_breaks(text, &mut Scratch::default(), &mut breaks),
            });
            for pos in breaks {
                emit(start, pos, out);
                start = pos;
            }
        }
        emit(start, text.len(), out);
    }
}

impl SrxEngine {
    /// The break positions of `text` (byte offsets, ascending).
    fn find_breaks(&self, text: &str, scratch: &mut Scratch, breaks: &mut Vec<usize>) {
        let mut reversed_ready = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, prev)) = chars.next() {
            let pos = i + prev.len_utf8();
            let Some(&(_, next)) = chars.peek() else {
                break;
            };
            let next = Some(next);
            if !self
                .breaks
                .iter()
                .any(|&b| self.rules[b].may_match(prev, next))
            {
                continue;
            }
            if !reversed_ready {
                scratch.reversed.clear();
                scratch.reversed.extend(text.chars().rev());
                reversed_ready = true;
            }
            let rev = scratch.reversed.as_str();
            let try_rule = |i: usize| {
                let r = &self.rules[i];
                r.may_match(prev, next) && r.matches(text, rev, pos)
            };
            let decision = match &self.prefilter {
                Some(p) => {
                    let set = match &mut scratch.set {
                        Some(set) if set.capacity() == p.covers().len() => set,
                        slot => slot.insert(p.new_set()),
                    };
                    p.candidates(rev, pos, set);
                    // The rules the prefilter admits, merged in order with the rules it
                    // does not cover.
                    let covered = p.covers();
                    let mut admitted = set.iter().map(|id| covered[id.as_usize()]).peekable();
                    let mut always = self.always.iter().copied().peekable();
                    loop {
                        let next_rule = match (admitted.peek(), always.peek()) {
                            (Some(&a), Some(&b)) if a < b => admitted.next(),
                            (Some(_), Some(_)) | (None, Some(_)) => always.next(),
                            (Some(_), None) => admitted.next(),
                            (None, None) => None,
                        };
                        match next_rule {
                            Some(i) if try_rule(i) => break Some(i),
                            Some(_) => continue,
                            None => break None,
                        }
                    }
                }
                None => (0..self.rules.len()).find(|&i| try_rule(i)),
            };
            if decision.is_some_and(|i| self.rules[i].is_break) {
                breaks.push(pos);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{rules, split, BASIC};

    #[test]
    fn spans_are_trimmed_and_cover_the_text() {
        let r = rules(BASIC, true);
        let text = "  One.   Two!\n Three  ";
        assert_eq!(split(&r, "fr", text), ["One.", "Two!", "Three"]);
    }
}
