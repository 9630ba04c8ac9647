//! The match percentage: how close a stored source is to the text being translated.
//!
//! * Both texts are tokenised ([`Analyzed`]): words, numbers and punctuation marks are
//!   tokens, whitespace is not; tokens are compared in NFC and case-folded.
//! * **Base score** = ⌊100 × (1 − LD / max(n, m))⌋, where LD is the word-level
//!   Levenshtein distance between the n query tokens and the m stored tokens.
//! * **100** only when the texts are identical (in NFC) and so are their inline tags;
//!   **101** when, in addition, the previous and next source segments (the context)
//!   are the same.
//! * **95–99: same words, small differences.** When the word tokens are the same (case
//!   folded; for a text without words, its numbers; without either, all its tokens),
//!   the score is 100 minus one point for each difference in punctuation, in
//!   numbers and in inline tags, plus one if the case differs; at least 1 (a whitespace
//!   difference alone costs 1) and at most 5 points.
//! * Otherwise the words differ and the score is the base score, at most 94, so the
//!   95–99 band keeps its meaning.

use std::cmp::Ordering;

use serde::Serialize;

use super::distance::{alignment, levenshtein, Edit};
use super::tokens::{significant_kind, significant_tokens, Analyzed, TokenKind};

/// The most points small differences can cost (a same-words match is at least 95).
pub const MAX_PENALTY: u32 = 5;
/// The highest score of a match whose words differ.
pub const MAX_FUZZY: u32 = 94;

/// How a match was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Identical source and identical context (101 %).
    Context,
    /// Identical source (100 %).
    Exact,
    /// Same words; punctuation, numbers, case, whitespace or tags differ (95–99 %).
    SameWords,
    /// Different words (at most 94 %).
    Fuzzy,
}

/// What a same-words match lost points for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Penalty {
    /// 1 if letter case differs.
    pub case: u32,
    /// Punctuation marks added, removed or changed.
    pub punctuation: u32,
    /// Numbers added, removed or changed.
    pub numbers: u32,
    /// Inline tags added, removed or changed.
    pub tags: u32,
    /// 1 if only whitespace (or nothing visible) differs.
    pub whitespace: u32,
}

impl Penalty {
    fn total(&self) -> u32 {
        self.case + self.punctuation + self.numbers + self.tags + self.whitespace
    }
}

/// A match's score and how it came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Score {
    /// The match percentage, 0–101.
    pub percent: u32,
    /// How it was scored.
    pub kind: MatchKind,
    /// Token edit distance between query and stored source.
    pub edits: u32,
    /// Number of tokens of the query.
    pub query_tokens: u32,
    /// Number of tokens of the stored source.
    pub source_tokens: u32,
    /// The points a same-words match lost, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<Penalty>,
    /// The points lost because the stored source or translation is another variant of
    /// the language asked for (`en` for `en-GB`): one per such side.
    #[serde(skip_serializing_if = "is_zero")]
    pub language: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Score {
    /// The score of a match whose words differ, from its token edit distance: the base
    /// score, capped at `MAX_FUZZY` (94).
    pub fn fuzzy(edits: usize, query_tokens: usize, source_tokens: usize) -> Score {
        Score {
            percent: base_percent(edits, query_tokens, source_tokens).min(MAX_FUZZY),
            kind: MatchKind::Fuzzy,
            edits: edits as u32,
            query_tokens: query_tokens as u32,
            source_tokens: source_tokens as u32,
            penalty: None,
            language: 0,
        }
    }

    /// This score less `points` for language variants (see [`Score::language`]).
    pub fn with_language_penalty(mut self, points: u32) -> Score {
        self.percent = self.percent.saturating_sub(points);
        self.language += points;
        self
    }

    /// Orders better matches first: by percentage, then by the exact base similarity
    /// (so, within a capped or same-words band, closer texts still come first).
    pub fn better(&self, other: &Score) -> Ordering {
        other.percent.cmp(&self.percent).then_with(|| {
            // Compare 1 - e1/m1 with 1 - e2/m2, i.e. e1*m2 with e2*m1 (fewer first).
            let m1 = u64::from(self.query_tokens.max(self.source_tokens).max(1));
            let m2 = u64::from(other.query_tokens.max(other.source_tokens).max(1));
            (u64::from(self.edits) * m2).cmp(&(u64::from(other.edits) * m1))
        })
    }
}

/// ⌊100 × (1 − edits / max(n, m))⌋ in integers (exact, no rounding surprises).
pub fn base_percent(edits: usize, n: usize, m: usize) -> u32 {
    let longest = n.max(m);
    if longest == 0 {
        return 100;
    }
    (100 * (longest - edits.min(longest)) / longest) as u32
}

/// The largest token edit distance a candidate of `m` tokens may have from a query of
/// `n` tokens and still reach `min_percent` as base score.
pub fn max_edits(n: usize, m: usize, min_percent: u32) -> usize {
    let min_percent = min_percent.min(100) as usize;
    (100 - min_percent) * n.max(m) / 100
}

/// A text to compare: its tokens, its inline tags and its context.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The tokenised text.
    pub text: &'a Analyzed,
    /// The inline tags of its markup, in order (see [`inline_tags`]).
    pub tags: &'a [String],
    /// Previous and next source segment, if known.
    pub prev: Option<&'a str>,
    /// See `prev`.
    pub next: Option<&'a str>,
}

/// Scores a stored source against a query. Both are in the same language.
pub fn score(query: Side<'_>, source: Side<'_>) -> Score {
    let (q, s) = (query.text, source.text);
    let qf: Vec<&str> = q.folded_tokens().collect();
    let sf: Vec<&str> = s.folded_tokens().collect();
    let (n, m) = (qf.len(), sf.len());
    let base = |kind, percent, penalty| Score {
        percent,
        kind,
        edits: 0,
        query_tokens: n as u32,
        source_tokens: m as u32,
        penalty,
        language: 0,
    };
    if q.text == s.text && query.tags == source.tags {
        let context = (query.prev.is_some() || query.next.is_some())
            && same_context(query.prev, source.prev)
            && same_context(query.next, source.next);
        return if context {
            base(MatchKind::Context, 101, None)
        } else {
            base(MatchKind::Exact, 100, None)
        };
    }
    if let Some(penalty) = small_differences(q, s, query.tags, source.tags) {
        let points = penalty.total().clamp(1, MAX_PENALTY);
        let mut score = base(MatchKind::SameWords, 100 - points, Some(penalty));
        score.edits = levenshtein(&qf, &sf) as u32;
        return score;
    }
    Score::fuzzy(levenshtein(&qf, &sf), n, m)
}

fn same_context(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => super::tokens::nfc(a.trim()) == super::tokens::nfc(b.trim()),
        _ => false,
    }
}

/// If `q` and `s` have the same words (without words: the same numbers; without
/// either: the same tokens), what else differs; `None` if they do not.
fn small_differences(
    q: &Analyzed,
    s: &Analyzed,
    qtags: &[String],
    stags: &[String],
) -> Option<Penalty> {
    let kind = significant_kind(q);
    if kind != significant_kind(s) || !significant_tokens(q).eq(significant_tokens(s)) {
        return None;
    }
    let words = |a: &Analyzed| -> Vec<usize> {
        (0..a.tokens.len())
            .filter(|&i| a.tokens[i].kind == TokenKind::Word)
            .collect()
    };
    let (qw, sw) = (words(q), words(s));
    let mut penalty = Penalty::default();
    for (&i, &j) in qw.iter().zip(&sw) {
        let (a, b) = (q.raw(&q.tokens[i]), s.raw(&s.tokens[j]));
        if a != b {
            if a.to_lowercase() == b.to_lowercase() {
                penalty.case = 1;
            } else {
                // Same folded form, different letters: a typographic apostrophe.
                penalty.punctuation += 1;
            }
        }
    }
    let raw_of = |a: &'_ Analyzed, kind: TokenKind| -> Vec<String> {
        a.tokens
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| a.raw(t).to_string())
            .collect()
    };
    let folded_of = |a: &'_ Analyzed, kind: TokenKind| -> Vec<String> {
        a.tokens
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| a.folded(t).to_string())
            .collect()
    };
    for (kind, slot) in [
        (TokenKind::Punct, &mut penalty.punctuation),
        (TokenKind::Number, &mut penalty.numbers),
    ] {
        let (a, b) = (folded_of(q, kind), folded_of(s, kind));
        *slot += levenshtein(&a, &b) as u32;
        if a == b && raw_of(q, kind) != raw_of(s, kind) {
            penalty.case = 1;
        }
    }
    penalty.tags = levenshtein(qtags, stags) as u32;
    if penalty.total() == 0 {
        penalty.whitespace = 1;
    }
    Some(penalty)
}

/// The inline tags of a segment's markup, in order: each element tag reduced to its
/// name and shape (`bpt`, `/g`, `x/`), attributes and content left out. Escaped
/// native code (`&lt;b&gt;` inside `<bpt>`) is text, not a tag.
pub fn inline_tags(markup: Option<&str>) -> Vec<String> {
    let Some(markup) = markup else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let bytes = markup.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + off + 1;
        let Some(len) = memchr::memchr(b'>', &bytes[start..]) else {
            break;
        };
        let inner = &markup[start..start + len];
        i = start + len + 1;
        let closing = inner.starts_with('/');
        let body = inner.trim_start_matches('/');
        if body.starts_with(['!', '?']) {
            continue;
        }
        let name: String = body
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        if name.is_empty() {
            continue;
        }
        let empty = inner.ends_with('/');
        out.push(match (closing, empty) {
            (true, _) => format!("/{name}"),
            (false, true) => format!("{name}/"),
            (false, false) => name,
        });
    }
    out
}

/// A piece of a word diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffPiece {
    /// `=` same in both, `-` only in the stored source, `+` only in the query.
    pub op: DiffOp,
    /// The text (from the stored source for `=` and `-`, from the query for `+`).
    pub text: String,
}

/// See [`DiffPiece`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DiffOp {
    /// In both texts.
    #[serde(rename = "=")]
    Same,
    /// Only in the stored source: the translation has it, the query does not.
    #[serde(rename = "-")]
    Removed,
    /// Only in the query: the translation lacks it.
    #[serde(rename = "+")]
    Added,
}

/// Which words differ between a stored source and the query, token by token (tokens
/// compared as written, so case changes show). Whitespace between tokens is kept
/// with the tokens it follows.
pub fn diff(source: &Analyzed, query: &Analyzed) -> Vec<DiffPiece> {
    let sr: Vec<&str> = source.tokens.iter().map(|t| source.raw(t)).collect();
    let qr: Vec<&str> = query.tokens.iter().map(|t| query.raw(t)).collect();
    let mut out: Vec<DiffPiece> = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    for edit in alignment(&sr, &qr) {
        let pending = !removed.is_empty() || !added.is_empty();
        match edit {
            Edit::Keep(i, _) => {
                flush(&mut out, &mut removed, &mut added);
                push(&mut out, DiffOp::Same, gap_before(source, i));
                push(&mut out, DiffOp::Same, sr[i]);
            }
            Edit::Replace(i, j) => {
                if !pending {
                    push(&mut out, DiffOp::Same, gap_before(source, i));
                }
                append(&mut removed, gap_before(source, i), sr[i]);
                append(&mut added, gap_before(query, j), qr[j]);
            }
            Edit::Delete(i) => {
                if !pending {
                    push(&mut out, DiffOp::Same, gap_before(source, i));
                }
                append(&mut removed, gap_before(source, i), sr[i]);
            }
            Edit::Insert(j) => {
                if !pending {
                    push(&mut out, DiffOp::Same, gap_before(query, j));
                }
                append(&mut added, gap_before(query, j), qr[j]);
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// Adds a token to a run of changed text, with the whitespace before it unless the
/// run is empty (that whitespace went into the unchanged text before the run).
fn append(run: &mut String, gap: &str, token: &str) {
    if !run.is_empty() {
        run.push_str(gap);
    }
    run.push_str(token);
}

/// The whitespace between token `i` and the token before it (none before the first).
fn gap_before(a: &Analyzed, i: usize) -> &str {
    if i == 0 {
        return "";
    }
    &a.text[a.tokens[i - 1].span.end..a.tokens[i].span.start]
}

fn push(out: &mut Vec<DiffPiece>, op: DiffOp, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last) if last.op == op => last.text.push_str(text),
        _ => out.push(DiffPiece {
            op,
            text: text.to_string(),
        }),
    }
}

fn flush(out: &mut Vec<DiffPiece>, removed: &mut String, added: &mut String) {
    push(out, DiffOp::Removed, removed);
    push(out, DiffOp::Added, added);
    removed.clear();
    added.clear();
}

/// The diff as one line: `[-removed-]{+added+}`, as `wdiff` writes it.
pub fn diff_line(pieces: &[DiffPiece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p.op {
            DiffOp::Same => s.push_str(&p.text),
            DiffOp::Removed => {
                s.push_str("[-");
                s.push_str(&p.text);
                s.push_str("-]");
            }
            DiffOp::Added => {
                s.push_str("{+");
                s.push_str(&p.text);
                s.push_str("+}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(query: &str, source: &str) -> u32 {
        full(query, source).percent
    }

    fn full(query: &str, source: &str) -> Score {
        let (q, s) = (Analyzed::new(query), Analyzed::new(source));
        score(side(&q, &[]), side(&s, &[]))
    }

    fn side<'a>(text: &'a Analyzed, tags: &'a [String]) -> Side<'a> {
        Side {
            text,
            tags,
            prev: None,
            next: None,
        }
    }

    #[test]
    fn identical_is_100_and_only_identical() {
        assert_eq!(pct("Open the file.", "Open the file."), 100);
        // NFC-equal texts are identical.
        assert_eq!(pct("Café au lait.", "Cafe\u{301} au lait."), 100);
        assert!(pct("Open the file.", "Open  the file.") < 100);
    }

    #[test]
    fn small_differences_score_95_to_99() {
        let s = full("Open the file.", "open the file.");
        assert_eq!((s.percent, s.kind), (99, MatchKind::SameWords));
        assert_eq!(s.penalty.unwrap().case, 1);
        assert_eq!(pct("Open the file.", "Open  the file."), 99); // whitespace
        assert_eq!(pct("Open the file.", "Open the file!"), 99); // punctuation
        assert_eq!(pct("Open the file", "Open the file!"), 99); // punctuation added
        assert_eq!(pct("Page 3 of 7", "Page 4 of 9"), 98); // two numbers
        assert_eq!(pct("Don't open it.", "Don’t open it."), 99); // apostrophe
                                                                 // Many small differences stop at 95.
        assert_eq!(pct("A, b, c, d, e, f, g.", "A b c d e f g"), 95);
        // Short texts too: words equal means 95-99 whatever the length.
        assert_eq!(pct("Yes.", "Yes!"), 99);
    }

    #[test]
    fn different_words_use_the_base_score_capped_at_94() {
        // 1 edit out of 4 tokens: 75.
        assert_eq!(pct("Open the file.", "Open a file."), 75);
        // 1 edit out of 41 tokens would be 97; capped to 94.
        let long: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let q = long.join(" ") + ".";
        let mut changed = long.clone();
        changed[7] = "other".into();
        let s = changed.join(" ") + ".";
        assert_eq!(pct(&q, &s), 94);
        // Floor: 2 edits of 7 tokens = 71.4 -> 71.
        assert_eq!(pct("a b c d e f g", "a b x d e y g"), 71);
        assert_eq!(pct("completely different", "nothing alike here"), 0);
    }

    #[test]
    fn context_gives_101() {
        let (q, s) = (Analyzed::new("Save."), Analyzed::new("Save."));
        let mut qs = side(&q, &[]);
        let mut ss = side(&s, &[]);
        qs.prev = Some("Open the file.");
        qs.next = Some("Close it.");
        ss.prev = Some("Open the file.");
        ss.next = Some("Close it.");
        assert_eq!(score(qs, ss).percent, 101);
        ss.next = Some("Quit.");
        assert_eq!(score(qs, ss).percent, 100);
        // No context on the query: no 101.
        assert_eq!(score(side(&q, &[]), side(&s, &[])).percent, 100);
    }

    #[test]
    fn tags_cost_points() {
        let (q, s) = (Analyzed::new("Click Save."), Analyzed::new("Click Save."));
        let tags = inline_tags(Some(
            "Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>.",
        ));
        assert_eq!(tags, ["bpt", "/bpt", "ept", "/ept"]);
        let sc = score(side(&q, &[]), side(&s, &tags));
        assert_eq!(sc.kind, MatchKind::SameWords);
        assert_eq!(sc.percent, 96);
        assert_eq!(
            inline_tags(Some("a <x id=\"1\"/> b <g id='2'>c</g>")),
            ["x/", "g", "/g"]
        );
    }

    #[test]
    fn numbers_only_texts_need_identical_tokens() {
        assert_eq!(pct("12", "12"), 100);
        assert_eq!(pct("12", "13"), 0);
        assert_eq!(pct("12.", "12"), 99);
    }

    #[test]
    fn cjk_scores_by_character() {
        // 東 deleted, 府 inserted: 2 edits of 9 characters, 77.
        assert_eq!(pct("東京都に行きます。", "京都府に行きます。"), 77);
        assert_eq!(pct("東京都に行きます。", "東京都に行きます。"), 100);
    }

    #[test]
    fn better_orders_by_percent_then_similarity() {
        let a = Score::fuzzy(1, 50, 50); // 98 -> 94
        let b = Score::fuzzy(2, 50, 50); // 96 -> 94
        assert_eq!(a.percent, b.percent);
        assert_eq!(a.better(&b), Ordering::Less);
    }

    #[test]
    fn max_edits_matches_the_percent_formula() {
        for n in 1..40 {
            for m in 1..60 {
                for min in [50, 70, 75, 85, 95, 100] {
                    let d = max_edits(n, m, min);
                    assert!(base_percent(d, n, m) >= min, "{n} {m} {min}");
                    if d < n.max(m) {
                        assert!(base_percent(d + 1, n, m) < min, "{n} {m} {min}");
                    }
                }
            }
        }
    }

    #[test]
    fn diff_marks_changed_words() {
        let d = diff(
            &Analyzed::new("Open the old file now."),
            &Analyzed::new("Open the new file."),
        );
        assert_eq!(diff_line(&d), "Open the [-old-]{+new+} file [-now-].");
        let d = diff(&Analyzed::new("Save it."), &Analyzed::new("Save it all."));
        assert_eq!(diff_line(&d), "Save it {+all+}.");
        let d = diff(
            &Analyzed::new("Open the file."),
            &Analyzed::new("open the files"),
        );
        assert_eq!(diff_line(&d), "[-Open-]{+open+} the [-file.-]{+files+}");
        let d = diff(&Analyzed::new("a b"), &Analyzed::new("a b"));
        assert_eq!(diff_line(&d), "a b");
    }
}
