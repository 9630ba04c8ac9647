//! The memory's match scorer on arbitrary text pairs: tokenising, the match percentage,
//! the edit distances and the word diff never panic and keep their invariants:
//!
//! * tokens are in order, inside the NFC text, and never whitespace;
//! * the percentage is 0..=101; identical texts score 100 (101 with the same context);
//!   100 or more only for identical texts; 95..=99 only for same-words matches, whose
//!   words keys are equal (the index finds them through that key);
//! * the percentage does not depend on which text is the query (no tags or context);
//! * Levenshtein distance is symmetric, the bounded one agrees with it, the alignment
//!   has exactly that many edits and covers both sequences in order;
//! * the diff keeps every non-space character of both texts.
//!
//! Input: `query 0xFF source [0xFF markup-of-query 0xFF markup-of-source]`, lossily
//! decoded as UTF-8 (a control byte 0xFE before the query asks for a context).

use bitext::memory::fuzzing::{
    alignment, bounded_levenshtein, diff, inline_tags, levenshtein, max_edits, score, words_key,
    Edit, Side,
};
use bitext::memory::{Analyzed, DiffOp, MatchKind};

fn check_tokens(a: &Analyzed) {
    let mut last = 0;
    for t in &a.tokens {
        assert!(
            t.span.start >= last && t.span.end > t.span.start,
            "{:?}",
            a.tokens
        );
        assert!(t.span.end <= a.text.len());
        let raw = a.raw(t);
        assert!(!raw.chars().all(char::is_whitespace), "{raw:?}");
        last = t.span.end;
    }
    assert_eq!(a.folded_tokens().count(), a.len());
}

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_distances<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], bound: usize) {
    let d = levenshtein(a, b);
    assert_eq!(d, levenshtein(b, a), "symmetric");
    assert!(d <= a.len().max(b.len()) && d >= a.len().abs_diff(b.len()));
    let bounded = bounded_levenshtein(a, b, bound);
    assert_eq!(bounded, (d <= bound).then_some(d), "bound {bound}");
    assert_eq!(bounded_levenshtein(b, a, bound), bounded);
    assert_eq!(bounded_levenshtein(a, b, d), Some(d));
    let edits = alignment(a, b);
    let (mut i, mut j, mut cost) = (0, 0, 0);
    for e in edits {
        match e {
            Edit::Keep(x, y) => {
                assert_eq!((x, y), (i, j));
                assert_eq!(a[x], b[y]);
                i += 1;
                j += 1;
            }
            Edit::Replace(x, y) => {
                assert_eq!((x, y), (i, j));
                i += 1;
                j += 1;
                cost += 1;
            }
            Edit::Delete(x) => {
                assert_eq!(x, i);
                i += 1;
                cost += 1;
            }
            Edit::Insert(y) => {
                assert_eq!(y, j);
                j += 1;
                cost += 1;
            }
        }
    }
    assert_eq!((i, j), (a.len(), b.len()), "alignment covers both");
    assert_eq!(cost, d, "alignment is minimal");
}

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let (context, data) = match data.split_first() {
        Some((0xFE, rest)) => (true, rest),
        _ => (false, data),
    };
    let mut parts = data.split(|&b| b == 0xFF);
    let q_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let s_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let q_markup = parts
        .next()
        .map(|m| String::from_utf8_lossy(m).into_owned());
    let s_markup = parts
        .next()
        .map(|m| String::from_utf8_lossy(m).into_owned());

    let q = Analyzed::new(&q_text);
    let s = Analyzed::new(&s_text);
    check_tokens(&q);
    check_tokens(&s);
    // Tokenising is deterministic and idempotent on NFC text.
    assert_eq!(Analyzed::new(&q.text), q);

    let q_tags = inline_tags(q_markup.as_deref());
    let s_tags = inline_tags(s_markup.as_deref());
    let ctx = context.then_some("Previous segment.");
    let side = |a, tags, c| Side {
        text: a,
        tags,
        prev: c,
        next: None,
    };

    let sc = score(side(&q, &q_tags, ctx), side(&s, &s_tags, ctx));
    assert!(sc.percent <= 101, "{sc:?}");
    assert_eq!(sc.query_tokens as usize, q.len());
    assert_eq!(sc.source_tokens as usize, s.len());
    let identical = q.text == s.text && q_tags == s_tags;
    assert_eq!(sc.percent >= 100, identical, "{sc:?}");
    if identical {
        assert_eq!(sc.percent, if context { 101 } else { 100 });
    }
    match sc.kind {
        MatchKind::SameWords => {
            assert!((95..=99).contains(&sc.percent), "{sc:?}");
            assert_eq!(
                words_key("en", &q),
                words_key("en", &s),
                "same words, same key"
            );
        }
        MatchKind::Fuzzy => {
            assert!(sc.percent <= 94, "{sc:?}");
            // The index may only skip texts beyond max_edits for this score.
            let (n, m) = (q.len(), s.len());
            if sc.percent >= 1 {
                assert!(sc.edits as usize <= max_edits(n, m, sc.percent), "{sc:?}");
            }
        }
        MatchKind::Exact | MatchKind::Context => assert!(identical),
    }
    // Self-match.
    assert_eq!(
        score(side(&q, &q_tags, None), side(&q, &q_tags, None)).percent,
        100
    );
    // Symmetry, without context (101 needs the query's context).
    let forward = score(side(&q, &q_tags, None), side(&s, &s_tags, None));
    let backward = score(side(&s, &s_tags, None), side(&q, &q_tags, None));
    assert_eq!(
        forward.percent, backward.percent,
        "{forward:?} {backward:?}"
    );

    let qf: Vec<&str> = q.folded_tokens().collect();
    let sf: Vec<&str> = s.folded_tokens().collect();
    let bound = data.len() % 7;
    check_distances(&qf, &sf, bound);
    // Raw bytes as sequences too (longer, more repetitive inputs).
    let cut = |t: &str| t.as_bytes()[..t.len().min(300)].to_vec();
    check_distances(&cut(&q_text), &cut(&s_text), bound * 3);

    let pieces = diff(&s, &q);
    let side_text = |keep: DiffOp| -> String {
        pieces
            .iter()
            .filter(|p| p.op == DiffOp::Same || p.op == keep)
            .map(|p| p.text.as_str())
            .collect()
    };
    assert_eq!(
        non_space(&side_text(DiffOp::Removed)),
        non_space(&s.text),
        "{pieces:?}"
    );
    assert_eq!(
        non_space(&side_text(DiffOp::Added)),
        non_space(&q.text),
        "{pieces:?}"
    );
}
