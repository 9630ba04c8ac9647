//! `POST /api/v1/align`: two texts aligned, with the aligner's self-check, and
//! realigned around beads the user fixed (the review page's anchors).

use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::J;
use super::langs;
use crate::align::{align_anchored, AlignCheck, Aligner, Anchor, Document};
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
    /// Beads fixed by hand (see [`anchor`]), checked once the texts are split.
    #[serde(default)]
    anchors: Vec<serde_json::Value>,
}

/// One anchor of the request: a whole bead, `{"src": {"start": 3, "end": 5}, "tgt":
/// {"start": 4, "end": 5}}` (sentence ranges, 0-based, end excluded; an empty range
/// places a side without sentences), or the older `[i, j]` pair of single sentences.
/// Read by hand rather than by serde so that a refusal names the anchor.
fn anchor(k: usize, v: &serde_json::Value) -> ApiResult<Anchor> {
    use serde_json::Value;
    let index = |v: &Value, what: &str| -> ApiResult<usize> {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "anchors[{k}]: {what} must be a sentence index (an integer from 0), not {}",
                    shown(v)
                ))
            })
    };
    let range =
        |v: Option<&Value>, side: &str| -> ApiResult<std::ops::Range<usize>> {
            let fields = v
                .and_then(Value::as_object)
                .filter(|o| o.len() == 2 && o.contains_key("start") && o.contains_key("end"));
            let Some(o) = fields else {
                return Err(ApiError::bad(format!(
                    "anchors[{k}]: \"{side}\" must be a range {{\"start\": i, \"end\": j}} \
                     (end excluded; start = end for a side without sentences)"
                )));
            };
            Ok(index(&o["start"], &format!("{side}.start"))?
                ..index(&o["end"], &format!("{side}.end"))?)
        };
    match v {
        Value::Array(pair) if pair.len() == 2 => Ok(Anchor::pair(
            index(&pair[0], "the source sentence")?,
            index(&pair[1], "the target sentence")?,
        )),
        Value::Object(o) if o.keys().all(|key| key == "src" || key == "tgt") => {
            Ok(Anchor::new(range(o.get("src"), "src")?, range(o.get("tgt"), "tgt")?))
        }
        _ => Err(ApiError::bad(format!(
            "anchors[{k}] is not an anchor: give a bead as {{\"src\": {{\"start\": i, \"end\": j}}, \
             \"tgt\": {{\"start\": k, \"end\": l}}}} or a sentence pair as [i, j], not {}",
            shown(v)
        ))),
    }
}

/// A JSON value as an error message quotes it: cut short if long.
fn shown(v: &serde_json::Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
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
    let anchors = req
        .anchors
        .iter()
        .enumerate()
        .map(|(k, v)| anchor(k, v))
        .collect::<ApiResult<Vec<Anchor>>>()?;
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
    let alignment = align_anchored(&Aligner::new(), &s, &t, &anchors)?;
    // Every anchor comes back as a bead of its own.
    let anchors: std::collections::HashSet<Anchor> = anchors.into_iter().collect();
    let fixed =
        |b: &crate::align::Bead| anchors.contains(&Anchor::new(b.src.clone(), b.tgt.clone()));
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
