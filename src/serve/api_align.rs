//! `POST /api/v1/align`: two texts aligned, with the aligner's self-check, and
//! realigned around beads the user fixed (the review page's anchors).

use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::J;
use super::langs;
use crate::align::{align_anchored, AlignCheck, Aligner, Document};
use crate::segment::Segmenter;

/// Most sentences on a side (the alignment runs within the request's time limit).
pub const SENTENCES_MAX: usize = 50_000;

/// The request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignRequest {
    source_text: String,
    target_text: String,
    src: Option<String>,
    tgt: Option<String>,
    /// One sentence a line already (as `align --segmented`).
    #[serde(default)]
    segmented: bool,
    /// Beads fixed by hand: `[source sentence, target sentence]`, 0-based.
    #[serde(default)]
    anchors: Vec<(usize, usize)>,
}

/// A bead: the CLI's `align -f jsonl` record, and whether it was fixed by hand.
#[derive(Debug, Serialize)]
pub struct BeadRecord {
    src: Vec<usize>,
    tgt: Vec<usize>,
    source: String,
    target: String,
    score: f64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    fixed: bool,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct AlignAnswer {
    /// The source sentences, as numbered in the beads.
    source_sentences: Vec<String>,
    /// The target sentences.
    target_sentences: Vec<String>,
    beads: Vec<BeadRecord>,
    /// The aligner's self-check.
    check: AlignCheck,
    /// What the self-check would say on stderr (none if nothing looks wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

fn document(text: &str, lang: Option<&str>, segmented: bool, what: &str) -> ApiResult<Document> {
    if segmented {
        return Ok(Document::from_lines(text));
    }
    let raw = lang.filter(|l| !l.trim().is_empty()).ok_or_else(|| {
        ApiError::bad(format!(
            "{what} is required to split raw text into sentences (or send \"segmented\": true)"
        ))
    })?;
    let tag = langs::lang(raw, what)?;
    let segmenter = Segmenter::new(&tag);
    Ok(Document::from_spans(
        text,
        segmenter
            .segment(text)
            .into_iter()
            .map(|s| (s.span, s.paragraph)),
    ))
}

/// `POST /api/v1/align`
pub async fn align(J(req): J<AlignRequest>) -> ApiResult<Json<AlignAnswer>> {
    let answer = tokio::task::spawn_blocking(move || align_texts(req)).await??;
    Ok(Json(answer))
}

fn align_texts(req: AlignRequest) -> ApiResult<AlignAnswer> {
    let src = document(&req.source_text, req.src.as_deref(), req.segmented, "src")?;
    let tgt = document(&req.target_text, req.tgt.as_deref(), req.segmented, "tgt")?;
    for (doc, side) in [(&src, "source_text"), (&tgt, "target_text")] {
        if doc.is_empty() {
            return Err(ApiError::bad(format!(
                "{side} has no sentence: nothing to align"
            )));
        }
        if doc.len() > SENTENCES_MAX {
            return Err(ApiError::bad(format!(
                "{side} has {} sentences; at most {SENTENCES_MAX} are aligned in one request \
                 (align a long book chapter by chapter)",
                doc.len()
            )));
        }
    }
    let (s, t) = (src.sentences(), tgt.sentences());
    let alignment = align_anchored(&Aligner::new(), &s, &t, &req.anchors)?;
    let fixed = |b: &crate::align::Bead| {
        b.src.len() == 1 && b.tgt.len() == 1 && req.anchors.contains(&(b.src.start, b.tgt.start))
    };
    let beads = alignment
        .beads
        .iter()
        .map(|b| BeadRecord {
            src: b.src.clone().collect(),
            tgt: b.tgt.clone().collect(),
            source: src.joined(&b.src),
            target: tgt.joined(&b.tgt),
            score: (b.score * 10_000.0).round() / 10_000.0,
            fixed: fixed(b),
        })
        .collect();
    Ok(AlignAnswer {
        source_sentences: (0..src.len())
            .map(|i| src.sentence(i).to_string())
            .collect(),
        target_sentences: (0..tgt.len())
            .map(|i| tgt.sentence(i).to_string())
            .collect(),
        beads,
        warning: alignment.check.warning(),
        check: alignment.check,
    })
}
