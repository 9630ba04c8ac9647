//! The file routes of the JSON API: export the memory (streamed), convert units sent
//! as JSON to an exchange file, pre-translate an XLIFF file or a text.

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::api_write::{to_units, ApiUnit};
use super::error::{ApiError, ApiResult};
use super::extract::{body_bytes, J, Q};
use super::langs;
use super::state::AppState;
use crate::formats::xliff::{write_xliff, Targets, TextToXliff, Version, XliffDocument};
use crate::formats::{Format, UnitWriteOptions, UnitWriter};
use crate::memory::Memory;
use crate::pretranslate::xliff::{FillOptions, XliffFiller};
use crate::segment::Segmenter;
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// The writable formats, by the name a client gives.
fn output_format(raw: &str, what: &str, xliff: bool) -> ApiResult<Format> {
    let names = if xliff {
        "tmx, csv, tsv, jsonl, xliff"
    } else {
        "tmx, csv, tsv, jsonl"
    };
    match Format::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(raw.trim()))
    {
        Some(Format::Xliff) if !xliff => Err(ApiError::bad(format!(
            "{what} xliff: a memory is exported as {names} (XLIFF is a document's format)"
        ))),
        Some(f) => Ok(f),
        None => Err(ApiError::bad(format!(
            "{what} {raw:?}: expected one of {names}"
        ))),
    }
}

/// The Content-Type and file extension of a format.
fn media(format: Format) -> (&'static str, &'static str) {
    match format {
        Format::Tmx => ("application/x-tmx+xml; charset=utf-8", "tmx"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Tsv => ("text/tab-separated-values; charset=utf-8", "tsv"),
        Format::Jsonl => ("application/x-ndjson; charset=utf-8", "jsonl"),
        Format::Xliff => ("application/xliff+xml; charset=utf-8", "xlf"),
    }
}

fn file_headers(format: Format, stem: &str) -> HeaderMap {
    let (kind, ext) = media(format);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{stem}.{ext}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers
}

/// `GET /api/v1/export` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    format: String,
    src: Option<String>,
    tgt: Option<String>,
}

/// Bytes written on a blocking thread, sent to the response body in chunks. A failure
/// after the first byte ends the body with an error, so that the client sees a
/// broken transfer rather than a short file.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /api/v1/export?format=tmx|csv|tsv|jsonl&src=&tgt=`: the memory's units (one
/// snapshot), streamed as they are read. With `src` and `tgt`, only units with both,
/// and only those two languages (as `bitext export -s -t`).
pub async fn export(
    State(state): State<Arc<AppState>>,
    Q(p): Q<ExportParams>,
) -> ApiResult<Response> {
    let to = output_format(&p.format, "format", false)?;
    let lang = |l: &Option<String>, what| {
        l.as_deref()
            .filter(|l| !l.trim().is_empty())
            .map(|l| langs::lang(l, what))
            .transpose()
    };
    let (src, tgt) = (lang(&p.src, "src")?, lang(&p.tgt, "tgt")?);
    let keep: Vec<LangTag> = match (&src, &tgt) {
        (Some(s), Some(t)) => vec![s.clone(), t.clone()],
        _ => Vec::new(),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (started, start) = oneshot::channel::<ApiResult<()>>();
    // The export runs on its own while the answer streams: awaited here, it would
    // fill the channel and wait for a reader that only comes once this returns.
    let work = move |memory: &Memory| {
        let mut started = Some(started);
        let result = export_units(memory, to, src, keep, tx.clone(), &mut started);
        match (result, started) {
            // Failed before the first byte: the client gets the error.
            (Err(e), Some(started)) => {
                let _ = started.send(Err(e));
            }
            (Err(e), None) => {
                tracing::error!(error = %e.message, "the export failed after it started");
                let _ = tx.blocking_send(Err(std::io::Error::other(e.message)));
            }
            (Ok(()), Some(started)) => {
                let _ = started.send(Ok(()));
            }
            (Ok(()), None) => {}
        }
        Ok(())
    };
    let reader = Arc::clone(&state);
    tokio::spawn(async move {
        if let Err(e) = reader.read(work).await {
            tracing::error!(error = %e.message, "the export failed");
        }
    });
    start
        .await
        .map_err(|_| ApiError::internal("the export stopped before it started"))??;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let stem = state.config.tm.file_stem().map_or_else(
        || "memory".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Ok((file_headers(to, &stem), Body::from_stream(stream)).into_response())
}

/// Writes the units to `tx`; `started` is taken (and told) once the checks passed.
fn export_units(
    memory: &Memory,
    to: Format,
    src: Option<LangTag>,
    keep: Vec<LangTag>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    started: &mut Option<oneshot::Sender<ApiResult<()>>>,
) -> ApiResult<()> {
    let stats = memory.stats()?;
    let columns_langs = match (to, keep.is_empty()) {
        (Format::Csv | Format::Tsv, true) => stats.column_languages(src.as_ref())?,
        _ => keep.clone(),
    };
    let options = UnitWriteOptions {
        source_lang: src,
        langs: columns_langs,
        ..UnitWriteOptions::default()
    };
    let out = ChannelWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    let mut writer = UnitWriter::new(to, out, &options)?;
    if let Some(s) = started.take() {
        // The checks passed: the answer is 200 and the body follows. (The receiver
        // is gone only if the request was dropped.)
        let _ = s.send(Ok(()));
    }
    for record in memory.units() {
        let record = record?;
        let (id, mut unit) = (record.id, record.unit);
        if !keep.is_empty() && !unit.keep_languages(&keep) {
            continue;
        }
        writer
            .write_stored_unit(&unit, id)
            .map_err(|e| ApiError::internal(format!("cannot export unit {id}: {e}")))?;
    }
    let mut out = writer.finish()?;
    out.flush()
        .map_err(|e| ApiError::internal(format!("cannot send the export: {e}")))?;
    Ok(())
}

/// `POST /api/v1/convert` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    to: String,
}

/// `POST /api/v1/convert` body: units as `/units` takes them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertBody {
    units: Vec<ApiUnit>,
}

/// `POST /api/v1/convert?to=tmx|tsv|csv|jsonl|xliff`: the units as a file (the
/// review page downloads reviewed pairs through this). XLIFF is 1.2, one
/// `<trans-unit>` per pair, its target `state="translated"`.
pub async fn convert(Q(p): Q<ConvertParams>, J(body): J<ConvertBody>) -> ApiResult<Response> {
    let to = output_format(&p.to, "to", true)?;
    let units = to_units(&body.units, "convert")?;
    let bytes = tokio::task::spawn_blocking(move || write_units(to, &units)).await??;
    Ok((file_headers(to, "units"), bytes).into_response())
}

fn write_units(to: Format, units: &[TranslationUnit]) -> ApiResult<Vec<u8>> {
    if to == Format::Xliff {
        return Ok(pairs_xliff(units)?.into_bytes());
    }
    let first = &units[0];
    let options = UnitWriteOptions {
        source_lang: Some(first.variants[0].lang.clone()),
        langs: first.variants.iter().map(|v| v.lang.clone()).collect(),
        ..UnitWriteOptions::default()
    };
    let mut writer = UnitWriter::new(to, Vec::new(), &options)?;
    for (i, unit) in units.iter().enumerate() {
        writer
            .write_unit(unit)
            .map_err(|e| ApiError::bad(format!("units[{i}]: {e}")))?;
    }
    let skipped = writer.report().skipped;
    if skipped > 0 {
        return Err(ApiError::bad(format!(
            "{skipped} of the units are not in the languages of the first ({}): a {} file \
             has one column per language; convert one language pair at a time",
            options
                .langs
                .iter()
                .map(LangTag::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            to.name()
        )));
    }
    Ok(writer.finish()?)
}

/// Bilingual XLIFF 1.2 of translation pairs (all of one language pair).
pub fn pairs_xliff(units: &[TranslationUnit]) -> ApiResult<String> {
    use quick_xml::escape::escape;
    let (src, tgt) = (&units[0].variants[0].lang, &units[0].variants[1].lang);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<xliff version=\"1.2\" xmlns=\"urn:oasis:names:tc:xliff:document:1.2\">\n");
    out.push_str(&format!(
        "  <file original=\"bitext\" source-language=\"{}\" target-language=\"{}\" datatype=\"plaintext\">\n    <body>\n",
        escape(src.as_str()),
        escape(tgt.as_str())
    ));
    for (i, unit) in units.iter().enumerate() {
        let (s, t) = (&unit.variants[0], &unit.variants[1]);
        if s.lang != *src || t.lang != *tgt {
            return Err(ApiError::bad(format!(
                "units[{i}]: {} -> {}, not {src} -> {tgt} as the first unit: an XLIFF file \
                 holds one language pair; convert one pair at a time",
                s.lang, t.lang
            )));
        }
        out.push_str(&format!(
            "      <trans-unit id=\"{}\">\n        <source xml:space=\"preserve\">{}</source>\n        <target xml:space=\"preserve\" state=\"translated\">{}</target>\n",
            i + 1,
            escape(s.text.as_str()),
            escape(t.text.as_str())
        ));
        for note in &unit.notes {
            out.push_str(&format!(
                "        <note>{}</note>\n",
                escape(note.text.as_str())
            ));
        }
        out.push_str("      </trans-unit>\n");
    }
    out.push_str("    </body>\n  </file>\n</xliff>\n");
    Ok(out)
}

/// `POST /api/v1/pretranslate` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretranslateParams {
    src: Option<String>,
    tgt: Option<String>,
    format: Option<String>,
    /// Lowest match percentage written as a target (default 100, as the CLI).
    min: Option<u32>,
    /// Lowest percentage of the matches recorded as candidates (default 70).
    candidate_min: Option<u32>,
    /// How many matches to record per segment (default 3; 0: none).
    candidates: Option<usize>,
}

/// Which matches fill a target, and which are recorded beside it (`pretranslate
/// --min --candidate-min --candidates`).
#[derive(Debug, Clone, Copy)]
struct Fill {
    min: u32,
    candidate_min: u32,
    candidates: usize,
}

/// `POST /api/v1/pretranslate?src=&tgt=&format=xliff|text`: the body (an XLIFF file,
/// or a text to make one of) with its empty targets filled from the memory, as
/// `bitext pretranslate` fills them. The answer is the XLIFF; the headers
/// `X-Bitext-Filled` (`exact fuzzy`) and `X-Bitext-Segments` count what was done.
pub async fn pretranslate(
    State(state): State<Arc<AppState>>,
    Q(p): Q<PretranslateParams>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let text = match p.format.as_deref().map(str::trim) {
        None | Some("xliff") => false,
        Some("text" | "txt") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "format {other:?}: expected xliff or text"
            )))
        }
    };
    let min = p.min.unwrap_or(100);
    if !(1..=101).contains(&min) {
        return Err(ApiError::bad(format!(
            "min {min}: the lowest match percentage must be 1-101"
        )));
    }
    let candidate_min = p.candidate_min.unwrap_or(70);
    if !(1..=101).contains(&candidate_min) {
        return Err(ApiError::bad(format!(
            "candidate_min {candidate_min}: the lowest match percentage must be 1-101"
        )));
    }
    let candidates = p.candidates.unwrap_or(3);
    if candidates > 100 {
        return Err(ApiError::bad(format!(
            "candidates {candidates}: at most 100 matches are recorded per segment"
        )));
    }
    let fill = Fill {
        min,
        candidate_min,
        candidates,
    };
    let body = body_bytes(request, &()).await?;
    // The matches' origin, as `pretranslate` names it: bitext:MEMORY.
    let origin = format!(
        "bitext:{}",
        state
            .config
            .tm
            .file_stem()
            .map_or_else(|| "memory".into(), |s| s.to_string_lossy())
    );
    if body.is_empty() {
        return Err(ApiError::bad(
            "the request body is empty: send an XLIFF file or a text",
        ));
    }
    let (xliff, filled, segments) = state
        .read(move |memory| {
            let raw = if text {
                text_to_xliff(memory, body.to_vec(), p.src.as_deref(), p.tgt.as_deref())?
            } else {
                body.to_vec()
            };
            fill_xliff(
                memory,
                raw,
                (p.src.as_deref(), p.tgt.as_deref()),
                fill,
                &origin,
            )
        })
        .await?;
    let mut headers = file_headers(Format::Xliff, "pretranslated");
    if let Ok(v) = HeaderValue::from_str(&format!("{} {}", filled.0, filled.1)) {
        headers.insert("x-bitext-filled", v);
    }
    headers.insert("x-bitext-segments", HeaderValue::from(segments));
    Ok((headers, xliff).into_response())
}

/// XLIFF 1.2 made of a text (segmented in `src`), as `pretranslate doc.txt` makes it.
fn text_to_xliff(
    memory: &Memory,
    body: Vec<u8>,
    src: Option<&str>,
    tgt: Option<&str>,
) -> ApiResult<Vec<u8>> {
    let (src, tgt) = langs::lookup_langs(memory, src, tgt)?;
    let segmenter = Segmenter::new(&src);
    let options = TextToXliff {
        version: Version::V1,
        source_lang: src,
        target_lang: Some(tgt),
        original: "request body".to_string(),
        encoding: None,
        targets: Targets::None,
    };
    let mut out = Vec::new();
    write_xliff(
        std::io::Cursor::new(body),
        None,
        &segmenter,
        &options,
        &mut out,
    )?;
    Ok(out)
}

/// Fills the empty targets of an XLIFF file (whole, in memory: a request body is
/// bounded) from the memory with the best match of at least `fill.min`, in context
/// (the segments before and after in the same `<file>`), recording the candidates
/// as `bitext pretranslate` records them.
fn fill_xliff(
    memory: &Memory,
    raw: Vec<u8>,
    (src, tgt): (Option<&str>, Option<&str>),
    fill: Fill,
    origin: &str,
) -> ApiResult<(Vec<u8>, (u64, u64), u64)> {
    let mut doc = XliffDocument::parse(raw, None)?;
    let options = FillOptions {
        min: fill.min,
        candidate_min: fill.candidate_min,
        candidates: fill.candidates,
        origin: origin.to_string(),
        ..FillOptions::default()
    };
    let mut filler = XliffFiller::new(memory, options);
    if !memory.languages()?.languages.is_empty() {
        let (file_src, file_tgt) = XliffFiller::declared_languages(&doc);
        let (src, tgt) = langs::lookup_langs(
            memory,
            src.or(file_src.as_deref()),
            tgt.or(file_tgt.as_deref()),
        )?;
        filler.look_up(src, tgt);
    }
    filler.fill(&mut doc)?;
    let filled = filler.into_filled();
    for (why, n) in &filled.left {
        tracing::debug!(segments = n, reason = %why, "left as is");
    }
    Ok((doc.output()?, (filled.exact, filled.fuzzy), filled.segments))
}
