//! Two neighbouring 1-1 beads joined into one 2-2 where a rare name or number
//! crosses their boundary: it is in the first bead's source sentence and the
//! second's target sentence (or the other way round) and in neither of the other
//! two. A translator who moved it across the sentence boundary split the content
//! differently, and the two sentences on each side are one unit of meaning: that is
//! how annotators align such pairs (textberg-dev's "Leiter Ch . | Evans , …" against
//! "Chef Ch.Evans ; | équipes du sommet …"). Only words rare in the document count
//! (at most [`MAX_SENTENCES`] sentences a side): a main character's name stands
//! for "he" in one sentence and "him" in the next without any crossing of content.

use rustc_hash::FxHashMap;

use super::{Bead, Sentence};

/// The most sentences of a side a crossing word may appear in.
const MAX_SENTENCES: usize = 10;

/// Words that link across languages by their form: four characters or more,
/// capitalised (a name) or all digits (a year, a height). Split here rather than
/// taken from the alignment's tokens (`tokens.rs`), whose keys are lowercased: the
/// capital is what tells a name from a word shared by chance.
fn form_words(text: &str) -> Vec<&str> {
    let mut words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| {
            let first = w.chars().next();
            w.chars().count() >= 4
                && (first.is_some_and(char::is_uppercase) || w.chars().all(char::is_numeric))
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Each sentence's form words, and in how many sentences each appears.
fn side_words<'a>(side: &[Sentence<'a>]) -> (Vec<Vec<&'a str>>, FxHashMap<&'a str, usize>) {
    let words: Vec<Vec<&str>> = side.iter().map(|s| form_words(s.text)).collect();
    let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
    for w in words.iter().flatten() {
        *counts.entry(w).or_default() += 1;
    }
    (words, counts)
}

/// `beads` with every pair of neighbouring 1-1 beads that a rare word crosses
/// joined into a 2-2 bead (scored as the less sure of the two).
pub(super) fn join_crossings(
    beads: Vec<Bead>,
    src: &[Sentence<'_>],
    tgt: &[Sentence<'_>],
) -> Vec<Bead> {
    let (src_words, src_counts) = side_words(src);
    let (tgt_words, tgt_counts) = side_words(tgt);
    let rare = |w: &str| {
        src_counts.get(w).copied().unwrap_or(0) <= MAX_SENTENCES
            && tgt_counts.get(w).copied().unwrap_or(0) <= MAX_SENTENCES
    };
    let one_one = |b: &Bead| b.src.len() == 1 && b.tgt.len() == 1;
    // A word of `from` and `to` found in neither `not_a` nor `not_b`.
    let crosses = |from: &[&str], to: &[&str], not_a: &[&str], not_b: &[&str]| {
        from.iter().any(|w| {
            to.binary_search(w).is_ok()
                && not_a.binary_search(w).is_err()
                && not_b.binary_search(w).is_err()
                && rare(w)
        })
    };
    let mut out = Vec::with_capacity(beads.len());
    let mut beads = beads.into_iter().peekable();
    while let Some(first) = beads.next() {
        if let Some(second) = beads.peek().filter(|s| one_one(&first) && one_one(s)) {
            let (a, b) = (&src_words[first.src.start], &src_words[second.src.start]);
            let (c, d) = (&tgt_words[first.tgt.start], &tgt_words[second.tgt.start]);
            if crosses(b, c, a, d) || crosses(a, d, b, c) {
                let joined = Bead {
                    src: first.src.start..second.src.end,
                    tgt: first.tgt.start..second.tgt.end,
                    score: first.score.min(second.score),
                };
                beads.next();
                out.push(joined);
                continue;
            }
        }
        out.push(first);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bead(s: usize, t: usize) -> Bead {
        Bead {
            src: s..s + 1,
            tgt: t..t + 1,
            score: 0.9,
        }
    }

    fn sents<'a>(texts: &[&'a str]) -> Vec<Sentence<'a>> {
        texts.iter().map(|t| Sentence::new(t)).collect()
    }

    #[test]
    fn a_rare_name_across_the_boundary_joins_two_beads() {
        let src = sents(&[
            "7. Kangchendzönga , ca. 8597 m , Leiter Ch .",
            "Evans , Gipfelmannschaften G. Band-J .",
            "Brown und N. Hardie .",
        ]);
        let tgt = sents(&[
            "7. Kangchenjunga , environ 8597 m. Chef Ch.Evans ;",
            "équipes du sommet G.Band-J .",
            "Brown et N. Hardie .",
        ]);
        let beads = join_crossings(vec![bead(0, 0), bead(1, 1), bead(2, 2)], &src, &tgt);
        let got: Vec<_> = beads
            .iter()
            .map(|b| (b.src.clone(), b.tgt.clone()))
            .collect();
        assert_eq!(got, [(0..2, 0..2), (2..3, 2..3)]);
    }

    #[test]
    fn a_frequent_name_or_a_shared_one_joins_nothing() {
        // "Candide" for "he": in a document where the name is everywhere.
        let mut src_texts = vec![
            "Martin's speech did not console the dejected Candide.",
            "His melancholy increased, and Martin kept proving it.",
        ];
        let mut tgt_texts = vec![
            "Martin n'était pas consolant.",
            "La mélancolie de Candide augmenta, et Martin le prouvait.",
        ];
        for _ in 0..MAX_SENTENCES {
            src_texts.push("Candide walked on.");
            tgt_texts.push("Candide marchait.");
        }
        let (src, tgt) = (sents(&src_texts), sents(&tgt_texts));
        let beads: Vec<Bead> = (0..src.len()).map(|i| bead(i, i)).collect();
        assert_eq!(join_crossings(beads.clone(), &src, &tgt), beads);
        // Rare, but "Martin" is in all four sentences: no crossing.
        let (src, tgt) = (sents(&src_texts[..2]), sents(&tgt_texts[..2]));
        let two = vec![bead(0, 0), bead(1, 1)];
        let joined = join_crossings(two.clone(), &src, &tgt);
        assert_eq!(joined.len(), 1, "Candide crosses when rare");
        let (src, tgt) = (
            sents(&["Martin spoke.", "Martin left."]),
            sents(&["Martin parla.", "Martin partit."]),
        );
        assert_eq!(join_crossings(two.clone(), &src, &tgt), two);
    }
}
