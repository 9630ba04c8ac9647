//! The reading routes of the JSON API: lookup (one query or a batch), concordance,
//! stats. Their records are the CLI's JSON records (`lookup -f jsonl`, `concordance
//! -f jsonl`, `stats -f jsonl`), so the scores are the CLI's.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::extract::{J, Q};
use super::langs;
use super::state::AppState;
use crate::memory::{ConcordanceOptions, Hit, LookupOptions, Memory, Query, Stats};
use crate::text::{count, LangTag, Span};
use crate::unit::Variant;

/// The longest query: the memory's limit for a stored text (as `lookup`).
pub const QUERY_LIMIT: usize = crate::memory::MAX_TEXT_BYTES;
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
    /// `{"text", "prev", "next", "markup", "id"}`.
    Record {
        /// The text.
        text: String,
        /// The segment before it.
        #[serde(default)]
        prev: Option<String>,
        /// The segment after it.
        #[serde(default)]
        next: Option<String>,
        /// Its inline markup.
        #[serde(default)]
        markup: Option<String>,
        /// The client's id, echoed.
        #[serde(default)]
        id: Option<Value>,
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

/// `min` and `limit` checked as the CLI checks `--min` and `--max`.
pub fn min_and_limit(min: Option<u32>, limit: Option<usize>) -> ApiResult<(u32, usize)> {
    let min = min.unwrap_or(70);
    if !(1..=101).contains(&min) {
        return Err(ApiError::bad(format!(
            "min {min}: the lowest match percentage must be 1-101"
        )));
    }
    let limit = limit.unwrap_or(5);
    if limit == 0 {
        return Err(ApiError::bad("limit 0 would show nothing: give 1 or more"));
    }
    if limit > LIMIT_MAX {
        return Err(ApiError::bad(format!(
            "limit {limit}: at most {LIMIT_MAX} matches are returned"
        )));
    }
    Ok((min, limit))
}

/// Refuses a query longer than a stored text may be (as `lookup`).
pub fn check_query(text: &str) -> ApiResult<()> {
    if text.len() > QUERY_LIMIT {
        return Err(ApiError::bad(format!(
            "the query is {} long; a query may be at most {} (the memory's limit for a text): \
             look up one segment at a time",
            count(text.len() as u64, "byte"),
            count(QUERY_LIMIT as u64, "byte")
        )));
    }
    Ok(())
}

/// `GET /api/v1/lookup?q=&src=&tgt=&min=&limit=`
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    Q(p): Q<LookupParams>,
) -> ApiResult<Json<LookupAnswer>> {
    let (min, limit) = min_and_limit(p.min, p.limit)?;
    check_query(&p.q)?;
    let answer = state
        .read(move |memory| {
            let (src, tgt) = langs::lookup_langs(memory, p.src.as_deref(), p.tgt.as_deref())?;
            let options = LookupOptions {
                target: tgt.clone(),
                min_percent: min,
                max: limit,
                strict_lang: p.strict_lang,
                exhaustive: false,
            };
            let query = Query {
                text: p.q,
                lang: src.clone(),
                markup: None,
                prev: p.prev,
                next: p.next,
            };
            let matches = memory.lookup(&query, &options)?;
            Ok(LookupAnswer {
                src,
                tgt,
                result: LookupResult {
                    id: None,
                    query: query.text,
                    matches,
                },
            })
        })
        .await?;
    Ok(Json(answer))
}

/// `POST /api/v1/lookup` `{"queries": [...], "src", "tgt", "min", "limit"}`
pub async fn lookup_batch(
    State(state): State<Arc<AppState>>,
    J(body): J<BatchLookup>,
) -> ApiResult<Json<BatchAnswer>> {
    let (min, limit) = min_and_limit(body.min, body.limit)?;
    if body.queries.len() > BATCH_LIMIT {
        return Err(ApiError::bad(format!(
            "{} queries in one request; at most {BATCH_LIMIT}: send them in several",
            body.queries.len()
        )));
    }
    for (i, q) in body.queries.iter().enumerate() {
        let text = match q {
            BatchQuery::Text(t) => t,
            BatchQuery::Record { text, .. } => text,
        };
        check_query(text).map_err(|e| ApiError::bad(format!("queries[{i}]: {}", e.message)))?;
    }
    let answer = state
        .read(move |memory| {
            let (src, tgt) = langs::lookup_langs(memory, body.src.as_deref(), body.tgt.as_deref())?;
            let options = LookupOptions {
                target: tgt.clone(),
                min_percent: min,
                max: limit,
                strict_lang: body.strict_lang,
                exhaustive: false,
            };
            let results = body
                .queries
                .into_iter()
                .enumerate()
                .map(|(i, q)| answer_one(memory, q, &src, &options, i))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(BatchAnswer { src, tgt, results })
        })
        .await?;
    Ok(Json(answer))
}

fn answer_one(
    memory: &Memory,
    q: BatchQuery,
    src: &LangTag,
    options: &LookupOptions,
    i: usize,
) -> ApiResult<LookupResult> {
    let (query, id) = match q {
        BatchQuery::Text(text) => (Query::new(text, src.clone()), None),
        BatchQuery::Record {
            text,
            prev,
            next,
            markup,
            id,
        } => (
            Query {
                text,
                lang: src.clone(),
                markup,
                prev,
                next,
            },
            id,
        ),
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
