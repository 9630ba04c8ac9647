//! The reading routes of the JSON API: lookup (one query or a batch), concordance,
//! stats. Their records are the CLI's JSON records (`lookup -f jsonl`, `concordance
//! -f jsonl`, `stats -f jsonl`), so the scores are the CLI's.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::extract::{JsonAnswer, J, Q};
use super::langs;
use super::state::AppState;
use crate::memory::{
    ConcordanceOptions, Hit, LookupOptions, LookupRequest, Memory, QueryRecord, Stats,
};
use crate::text::{LangTag, Span};
use crate::unit::Variant;

/// Most queries in one batch (each is a lookup on the blocking pool; a request's
/// work stays bounded whatever its body holds).
pub const BATCH_LIMIT: usize = 1000;
/// Most matches (or concordance hits) asked for.
pub const LIMIT_MAX: usize = 1000;

/// `GET /api/v1/lookup` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    q: String,
    src: Option<String>,
    tgt: Option<String>,
    min: Option<u32>,
    limit: Option<usize>,
    prev: Option<String>,
    next: Option<String>,
    #[serde(default)]
    strict_lang: bool,
}

/// One query of a batch: a text, or the CLI's JSON Lines query record.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum BatchQuery {
    /// Just the text.
    Text(String),
    /// `{"text", "prev", "next", "markup", "id"}`; other fields are let pass (flattened,
    /// the record sees only its own).
    Record {
        /// The query.
        #[serde(flatten)]
        record: QueryRecord,
    },
}

/// `POST /api/v1/lookup` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchLookup {
    queries: Vec<BatchQuery>,
    src: Option<String>,
    tgt: Option<String>,
    min: Option<u32>,
    limit: Option<usize>,
    #[serde(default)]
    strict_lang: bool,
}

/// One query's answer: the CLI's `lookup -f jsonl` record.
#[derive(Debug, Serialize)]
pub struct LookupResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Value>,
    query: String,
    matches: Vec<Hit>,
}

/// A lookup's answer: the languages used, and the results.
#[derive(Debug, Serialize)]
pub struct LookupAnswer {
    src: LangTag,
    tgt: LangTag,
    #[serde(flatten)]
    result: LookupResult,
}

/// A batch lookup's answer.
#[derive(Debug, Serialize)]
pub struct BatchAnswer {
    src: LangTag,
    tgt: LangTag,
    results: Vec<LookupResult>,
}

/// The lookup request of `min` and `limit`, checked as the CLI checks `--min` and
/// `--max` (the library's [`LookupRequest`]), and at most [`LIMIT_MAX`] matches.
pub fn lookup_request(
    min: Option<u32>,
    limit: Option<usize>,
    strict_lang: bool,
) -> ApiResult<LookupRequest> {
    if let Some(min) = min {
        LookupRequest::check_min_percent(min).map_err(|e| ApiError::bad(format!("min {e}")))?;
    }
    if let Some(limit) = limit {
        LookupRequest::check_max(limit).map_err(|e| ApiError::bad(format!("limit {e}")))?;
        if limit > LIMIT_MAX {
            return Err(ApiError::bad(format!(
                "limit {limit}: at most {LIMIT_MAX} matches are returned"
            )));
        }
    }
    let mut request = LookupRequest::new();
    request.min_percent = min;
    request.max = limit;
    request.strict_lang = strict_lang;
    Ok(request)
}

/// Refuses a query longer than a stored text may be (as `lookup`).
pub fn check_query(text: &str) -> ApiResult<()> {
    Ok(LookupRequest::check_text(text)?)
}

/// `GET /api/v1/lookup?q=&src=&tgt=&min=&limit=`: one lookup, answered at once on
/// the worker thread that has the request (see `AppState::read_now`).
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    Q(p): Q<LookupParams>,
) -> ApiResult<JsonAnswer<LookupAnswer>> {
    let request = lookup_request(p.min, p.limit, p.strict_lang)?;
    check_query(&p.q)?;
    let answer = state.read_now(move |memory| {
        let (src, tgt) = langs::lookup_langs(memory, p.src.as_deref(), p.tgt.as_deref())?;
        let query = request.query(&src, p.q, p.prev, p.next, None)?;
        let matches = memory.lookup(&query, &request.options(tgt.clone())?)?;
        Ok(LookupAnswer {
            src,
            tgt,
            result: LookupResult {
                id: None,
                query: query.text,
                matches,
            },
        })
    })?;
    Ok(JsonAnswer(answer))
}

/// `POST /api/v1/lookup` `{"queries": [...], "src", "tgt", "min", "limit"}`
pub async fn lookup_batch(
    State(state): State<Arc<AppState>>,
    J(body): J<BatchLookup>,
) -> ApiResult<JsonAnswer<BatchAnswer>> {
    let request = lookup_request(body.min, body.limit, body.strict_lang)?;
    if body.queries.len() > BATCH_LIMIT {
        return Err(ApiError::bad(format!(
            "{} queries in one request; at most {BATCH_LIMIT}: send them in several",
            body.queries.len()
        )));
    }
    for (i, q) in body.queries.iter().enumerate() {
        let text = match q {
            BatchQuery::Text(t) => t,
            BatchQuery::Record { record } => &record.text,
        };
        check_query(text).map_err(|e| ApiError::bad(format!("queries[{i}]: {}", e.message)))?;
    }
    let answer = state
        .read(move |memory| {
            let (src, tgt) = langs::lookup_langs(memory, body.src.as_deref(), body.tgt.as_deref())?;
            let options = request.options(tgt.clone())?;
            let results = body
                .queries
                .into_iter()
                .enumerate()
                .map(|(i, q)| answer_one(memory, q, &src, &request, &options, i))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(BatchAnswer { src, tgt, results })
        })
        .await?;
    Ok(JsonAnswer(answer))
}

fn answer_one(
    memory: &Memory,
    q: BatchQuery,
    src: &LangTag,
    request: &LookupRequest,
    options: &LookupOptions,
    i: usize,
) -> ApiResult<LookupResult> {
    let (query, id) = match q {
        BatchQuery::Text(text) => (request.query(src, text, None, None, None)?, None),
        BatchQuery::Record { record } => request.record_query(src, record)?,
    };
    let matches = memory.lookup(&query, options).map_err(|e| {
        let e = ApiError::from(e);
        ApiError::with(e.status, format!("queries[{i}]: {}", e.message))
    })?;
    Ok(LookupResult {
        id,
        query: query.text,
        matches,
    })
}

/// `GET /api/v1/concordance` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcordanceParams {
    q: String,
    src: Option<String>,
    tgt: Option<String>,
    limit: Option<usize>,
    #[serde(default)]
    strict_lang: bool,
}

/// A concordance hit: the CLI's `concordance -f jsonl` record.
#[derive(Debug, Serialize)]
pub struct ConcordanceRecord {
    unit: i64,
    matched: Variant,
    highlights: Vec<Span>,
    others: Vec<Variant>,
}

/// A concordance search's answer.
#[derive(Debug, Serialize)]
pub struct ConcordanceAnswer {
    term: String,
    hits: Vec<ConcordanceRecord>,
}

/// `GET /api/v1/concordance?q=&src=&tgt=&limit=`
pub async fn concordance(
    State(state): State<Arc<AppState>>,
    Q(p): Q<ConcordanceParams>,
) -> ApiResult<Json<ConcordanceAnswer>> {
    let max = p.limit.unwrap_or(20);
    if max == 0 || max > LIMIT_MAX {
        return Err(ApiError::bad(format!("limit {max}: give 1 to {LIMIT_MAX}")));
    }
    if p.q.trim().is_empty() {
        return Err(ApiError::bad(
            "q is empty: give a word or phrase to search for",
        ));
    }
    check_query(&p.q)?;
    let answer = state
        .read(move |memory| {
            let lang = |raw: &Option<String>, what| {
                raw.as_deref()
                    .filter(|r| !r.trim().is_empty())
                    .map(|l| langs::held_lang(memory, l, what))
                    .transpose()
            };
            let options = ConcordanceOptions {
                lang: lang(&p.src, "src")?,
                target: lang(&p.tgt, "tgt")?,
                max,
                strict_lang: p.strict_lang,
            };
            let hits = memory
                .concordance(&p.q, &options)?
                .into_iter()
                .map(|h| ConcordanceRecord {
                    unit: h.unit,
                    matched: h.matched,
                    highlights: h.highlights,
                    others: h.others,
                })
                .collect();
            Ok(ConcordanceAnswer { term: p.q, hits })
        })
        .await?;
    Ok(Json(answer))
}

/// The stats answer: the CLI's `stats -f jsonl` record (the file's name, not its
/// path on the server), and whether the server takes writes.
#[derive(Debug, Serialize)]
pub struct StatsAnswer {
    path: String,
    #[serde(flatten)]
    stats: Stats,
    writable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_only: Option<String>,
}

/// `GET /api/v1/stats`
pub async fn stats(State(state): State<Arc<AppState>>) -> ApiResult<Json<StatsAnswer>> {
    let name = state
        .config
        .tm
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let read_only = state.read_only.clone();
    let stats = state.read(|memory| Ok(memory.stats()?)).await?;
    Ok(Json(StatsAnswer {
        path: name,
        stats,
        writable: read_only.is_none(),
        read_only,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch's query records are the CLI's, but a field the record does not know
    /// is let pass (the CLI refuses it); a body field the route does not know is not.
    #[test]
    fn batch_records_let_unknown_fields_pass() {
        let body = r#"{"queries": ["Open.", {"text": "Close.", "next": "Then.", "id": "a",
            "client_note": 1}], "src": "en"}"#;
        let batch: BatchLookup = serde_json::from_str(body).unwrap();
        let BatchQuery::Text(text) = &batch.queries[0] else {
            panic!("{:?}", batch.queries[0]);
        };
        assert_eq!(text, "Open.");
        let BatchQuery::Record { record } = &batch.queries[1] else {
            panic!("{:?}", batch.queries[1]);
        };
        assert_eq!(
            (record.text.as_str(), record.next.as_deref()),
            ("Close.", Some("Then."))
        );
        assert_eq!(record.id, Some(Value::from("a")));
        let bad = r#"{"queries": ["Open."], "source": "en"}"#;
        let err = serde_json::from_str::<BatchLookup>(bad).unwrap_err();
        assert!(
            err.to_string().starts_with("unknown field `source`"),
            "{err}"
        );
        assert!(serde_json::from_str::<QueryRecord>(r#"{"text": "x", "client_note": 1}"#).is_err());
    }
}
