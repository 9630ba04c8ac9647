//! Routes in the shapes existing clients speak, so that they work unchanged:
//!
//! * translate-toolkit's tmserver, as Weblate's `tmserver` backend calls it:
//!   `GET {base}/languages/` and `GET {base}/{src}/{tgt}/unit/{text}` (languages
//!   lowercased with `_`: `en_us`, `pt_br`; the text percent-encoded, `/` as `%2F`),
//!   answering a list of `{source, target, context, quality}`; `POST` and `PUT` on
//!   the unit's path with `{"source", "target"}` store a pair.
//! * MyMemory's `GET /get?q=&langpair=en|ru` (and `/api/get`), answering
//!   `{responseData: {translatedText, match}, responseStatus, responseDetails,
//!   matches: [{segment, translation, quality, match, created-by, …}]}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::api_read::{check_query, lookup_request};
use super::api_write::add_all;
use super::error::{ApiError, ApiResult};
use super::extract::{J, Q};
use super::langs;
use super::state::AppState;
use super::Deadline;
use crate::memory::{AddOutcome, Hit, WriteOptions};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// translate-toolkit's tmserver defaults: at most 3 candidates of at least 75 %.
const TM_MAX: usize = 3;
const TM_MIN: u32 = 75;

/// A language as tmserver clients spell it: `en_us` is `en-US`.
fn tm_lang(raw: &str, what: &str) -> ApiResult<LangTag> {
    langs::lang(&raw.replace('_', "-"), what)
}

/// A language tag as tmserver clients spell it: lowercase, `_` for `-`.
fn tm_code(tag: &str) -> String {
    tag.replace('-', "_").to_ascii_lowercase()
}

/// `GET /tmserver/languages/`: every language of the memory, as source and as target
/// (lookups go either way), each variant also under its language alone (`pt_br` and
/// `pt`), as Weblate tries the variant and then the language.
pub async fn tm_languages(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let held = state.read_now(|memory| Ok(memory.languages()?))?;
    let mut codes: Vec<String> = Vec::new();
    for (tag, _) in &held.languages {
        codes.push(tm_code(tag));
        if let Ok(t) = LangTag::parse(tag) {
            codes.push(t.primary().to_ascii_lowercase());
        }
    }
    codes.sort();
    codes.dedup();
    Ok(Json(json!({
        "sourceLanguages": codes,
        "targetLanguages": codes,
    })))
}

/// One tmserver candidate.
#[derive(Debug, Serialize)]
pub struct TmCandidate {
    source: String,
    target: String,
    context: String,
    quality: u32,
}

/// `GET /tmserver/{src}/{tgt}/unit/{text}`: up to 3 matches of at least 75 %, best
/// first; no pair of the memory's: an empty list (a tmserver without matches).
pub async fn tm_lookup(
    State(state): State<Arc<AppState>>,
    Path((src, tgt, text)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<TmCandidate>>> {
    let (src, tgt) = (tm_lang(&src, "src")?, tm_lang(&tgt, "tgt")?);
    check_query(&text)?;
    let request = lookup_request(Some(TM_MIN), Some(TM_MAX), false)?;
    let hits = state.read_now(move |memory| {
        let query = request.query(&src, text, None, None, None)?;
        Ok(memory.lookup(&query, &request.options(tgt)?)?)
    })?;
    Ok(Json(
        hits.into_iter()
            .map(|h| TmCandidate {
                context: h.origin.file.clone().unwrap_or_default(),
                quality: h.score.percent.min(100),
                source: h.source.text,
                target: h.target.text,
            })
            .collect(),
    ))
}

/// The body of a tmserver `POST`/`PUT`.
#[derive(Debug, Deserialize)]
pub struct TmUnit {
    source: String,
    target: String,
}

/// `POST` (or `PUT`) `/tmserver/{src}/{tgt}/unit/{text}` `{"source", "target"}`:
/// stores the pair (the body's source; the path's text names the unit).
pub async fn tm_add(
    State(state): State<Arc<AppState>>,
    Path((src, tgt, _text)): Path<(String, String, String)>,
    Extension(Deadline(deadline)): Extension<Deadline>,
    J(body): J<TmUnit>,
) -> ApiResult<Json<AddOutcome>> {
    let (src, tgt) = (tm_lang(&src, "src")?, tm_lang(&tgt, "tgt")?);
    langs::distinct(&src, &tgt)?;
    let unit = TranslationUnit::pair(src, &body.source, tgt, &body.target);
    let mut outcomes = state
        .write(Some(deadline), move |memory| {
            add_all(memory, &[unit], WriteOptions::default())
        })
        .await?;
    Ok(Json(outcomes.remove(0)))
}

/// MyMemory's parameters (`de`, `key`, `user`, `mt`… are taken and ignored).
#[derive(Debug, Deserialize)]
pub struct MyMemoryParams {
    q: Option<String>,
    langpair: Option<String>,
}

/// Most matches MyMemory answers with, and the lowest it lists.
const MM_MAX: usize = 10;
const MM_MIN: u32 = 50;

/// An error in MyMemory's shape: the status in the body too, and `error` as every
/// other route.
fn mm_error(status: StatusCode, message: String) -> Response {
    tracing::info!(status = status.as_u16(), error = %message, "request refused");
    (
        status,
        Json(json!({
            "responseData": {"translatedText": null, "match": 0},
            "responseStatus": status.as_u16(),
            "responseDetails": message,
            "matches": [],
            "error": message,
        })),
    )
        .into_response()
}

/// MyMemory's dates: `2024-05-01 12:00:00`.
fn mm_date(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn mm_match(h: &Hit) -> Value {
    let p = &h.target.provenance;
    let up = &h.provenance;
    let created_by = up
        .created_by
        .clone()
        .or(p.created_by.clone())
        .unwrap_or_default();
    json!({
        "id": h.unit.to_string(),
        "segment": h.source.text,
        "translation": h.target.text,
        "source": h.source.lang.as_str(),
        "target": h.target.lang.as_str(),
        "quality": h.score.percent.min(100),
        "reference": h.origin.file,
        "usage-count": up.usage_count.unwrap_or(0),
        "subject": "",
        "created-by": created_by,
        "last-updated-by": up.changed_by.clone().or(p.changed_by.clone()).unwrap_or(created_by),
        "create-date": mm_date(up.created.or(p.created)),
        "last-update-date": mm_date(up.changed.or(p.changed).or(up.created)),
        "match": f64::from(h.score.percent.min(100)) / 100.0,
    })
}

/// `GET /get?q=&langpair=en|ru`
pub async fn mymemory(State(state): State<Arc<AppState>>, Q(p): Q<MyMemoryParams>) -> Response {
    match mymemory_answer(state, p).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => mm_error(e.status, e.message),
    }
}

async fn mymemory_answer(state: Arc<AppState>, p: MyMemoryParams) -> ApiResult<Value> {
    let q =
        p.q.filter(|q| !q.trim().is_empty())
            .ok_or_else(|| ApiError::bad("q is missing: give the text to look up"))?;
    check_query(&q)?;
    let pair = p
        .langpair
        .ok_or_else(|| ApiError::bad("langpair is missing: give it as en|ru"))?;
    let (src, tgt) = pair.split_once('|').ok_or_else(|| {
        ApiError::bad(format!(
            "langpair {pair:?}: expected two languages as en|ru"
        ))
    })?;
    let (src, tgt) = (langs::lang(src, "src")?, langs::lang(tgt, "tgt")?);
    langs::distinct(&src, &tgt)?;
    let request = lookup_request(Some(MM_MIN), Some(MM_MAX), false)?;
    let hits = state.read_now(move |memory| {
        let query = request.query(&src, q, None, None, None)?;
        Ok(memory.lookup(&query, &request.options(tgt)?)?)
    })?;
    let (text, best) = match hits.first() {
        Some(h) => (
            Value::from(h.target.text.clone()),
            f64::from(h.score.percent.min(100)) / 100.0,
        ),
        None => (Value::from(""), 0.0),
    };
    Ok(json!({
        "responseData": {"translatedText": text, "match": best},
        "quotaFinished": false,
        "mtLangSupported": null,
        "responseDetails": "",
        "responseStatus": 200,
        "responderId": null,
        "exception_code": null,
        "matches": hits.iter().map(mm_match).collect::<Vec<_>>(),
    }))
}
