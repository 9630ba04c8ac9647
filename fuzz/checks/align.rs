//! The aligner on random sentence lists: it never panics, and its beads are monotone,
//! cover every source and target sentence exactly once, are never empty on both sides,
//! respect the largest bead, and carry a score in 0..=1.
//!
//! Input: a control byte (bit 0: paragraphs on the source side, bit 1: on the target
//! side, bit 2: no learned lexicon, bits 3–5: band width), then the source sentences and
//! the target sentences, lossily decoded as UTF-8: `\n` ends a sentence, `\x01` starts
//! a new paragraph, `\xFF` separates the two sides.

use bitext::align::{AlignerBuilder, Sentence};

/// The sentences of one side, with a paragraph counter if `paragraphs`.
fn side(bytes: &[u8], paragraphs: bool) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut paragraph = 0;
    for line in bytes.split(|&b| b == b'\n') {
        let mut line = line;
        while let [1, rest @ ..] = line {
            paragraph += usize::from(paragraphs);
            line = rest;
        }
        out.push((String::from_utf8_lossy(line).into_owned(), paragraph));
    }
    out
}

fn sentences(side: &[(String, usize)], paragraphs: bool) -> Vec<Sentence<'_>> {
    side.iter()
        .map(|(text, p)| {
            if paragraphs {
                Sentence::with_paragraph(text, *p)
            } else {
                Sentence::new(text)
            }
        })
        .collect()
}

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let (src_bytes, tgt_bytes) = match rest.iter().position(|&b| b == 0xFF) {
        Some(k) => (&rest[..k], &rest[k + 1..]),
        None => (rest, &[][..]),
    };
    let (src_par, tgt_par) = (control & 1 != 0, control & 2 != 0);
    let src_side = if src_bytes.is_empty() {
        Vec::new()
    } else {
        side(src_bytes, src_par)
    };
    let tgt_side = if tgt_bytes.is_empty() {
        Vec::new()
    } else {
        side(tgt_bytes, tgt_par)
    };
    let src = sentences(&src_side, src_par);
    let tgt = sentences(&tgt_side, tgt_par);
    let band = 2 + usize::from((control >> 3) & 7) * 4;
    let aligner = AlignerBuilder::default()
        .learn_lexicon(control & 4 == 0)
        .band(band)
        .build();
    let alignment = aligner.align(&src, &tgt);
    let (mut i, mut j) = (0, 0);
    for bead in &alignment.beads {
        assert_eq!(
            (bead.src.start, bead.tgt.start),
            (i, j),
            "{:?}",
            alignment.beads
        );
        assert!(!bead.src.is_empty() || !bead.tgt.is_empty(), "empty bead");
        assert!((0.0..=1.0).contains(&bead.score), "score {}", bead.score);
        i = bead.src.end;
        j = bead.tgt.end;
    }
    assert_eq!((i, j), (src.len(), tgt.len()), "{:?}", alignment.beads);
}
