//! Open brackets and quotation marks: a candidate inside them is no boundary when they
//! close soon after it.

use super::Splitter;
use crate::segment::chars;

/// The state of the scan for open brackets and quotation marks.
pub(super) struct MarksScan {
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
    pub(super) fn at(sent_start: usize) -> MarksScan {
        MarksScan {
            sent_start,
            upto: sent_start,
            stack: Vec::new(),
            paired: true,
            quote: None,
        }
    }
}

/// What the current sentence waits to be closed: see [`Splitter::open_marks`].
#[derive(Debug, Default, Clone, Copy)]
struct OpenMarks {
    bracket: Option<char>,
    quote: Option<char>,
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

impl Splitter<'_, '_, '_> {
    /// True if `pos` lies inside brackets opened in the current sentence that close
    /// later in the paragraph: `(He worked there for 5 years.) at the…`.
    pub(super) fn inside_brackets(&self, pos: usize) -> bool {
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
    pub(super) fn enclosed(&self, pos: usize) -> bool {
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
}
