//! The writing routes of the JSON API: add units, import a file. Each request is one
//! transaction: an error leaves the memory as it was.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use http_body_util::BodyExt as _;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{J, Q};
use super::langs;
use super::state::AppState;
use super::Deadline;
use crate::formats::{self, Format, HeaderMode, ReadOptions, StateFilter};
use crate::import::{self, ImportError, ImportOptions, ImportReport, OptionNames};
use crate::memory::{AddOutcome, Memory, OnDuplicate, WriteOptions};
use crate::unit::TranslationUnit;

/// A unit as clients send it (`/units`, `/convert`, the tmserver `POST`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiUnit {
    /// The source text.
    pub source: String,
    /// Its translation.
    pub target: String,
    /// The source language (BCP 47).
    pub src: String,
    /// The target language.
    pub tgt: String,
    /// The source segment before this one (for 101 % matches).
    #[serde(default)]
    pub prev: Option<String>,
    /// The source segment after it.
    #[serde(default)]
    pub next: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// The document it comes from.
    #[serde(default)]
    pub origin: Option<String>,
    /// Properties (TMX `<prop type>`).
    #[serde(default)]
    pub props: std::collections::BTreeMap<String, String>,
}

impl ApiUnit {
    /// The unit, its languages checked as `add` checks `-s` and `-t`.
    pub fn to_unit(&self) -> ApiResult<TranslationUnit> {
        let src = langs::lang(&self.src, "src")?;
        let tgt = langs::lang(&self.tgt, "tgt")?;
        langs::distinct(&src, &tgt)?;
        let mut unit = TranslationUnit::pair(src, &self.source, tgt, &self.target)
            .in_context(self.prev.clone(), self.next.clone())
            .from_document(self.origin.clone());
        for (kind, value) in &self.props {
            unit.add_prop(kind, value.as_str())
                .map_err(|e| ApiError::bad(format!("props: {}", e.kind())))?;
        }
        if let Some(n) = &self.note {
            unit.add_note(n.as_str());
        }
        Ok(unit)
    }
}

/// The units of a request, each checked (`what` names the list when it is empty).
pub fn to_units(units: &[ApiUnit], what: &str) -> ApiResult<Vec<TranslationUnit>> {
    if units.is_empty() {
        return Err(ApiError::bad(format!("units is empty: nothing to {what}")));
    }
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            u.to_unit()
                .map_err(|e| ApiError::with(e.status, format!("units[{i}]: {}", e.message)))
        })
        .collect()
}

/// `POST /api/v1/units` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUnits {
    units: Vec<ApiUnit>,
    #[serde(default)]
    on_duplicate: OnDuplicate,
    /// Recorded as the creator of the units.
    #[serde(default)]
    user: Option<String>,
}

/// `POST /api/v1/units` answer: what became of each unit (`add -f jsonl`'s records).
#[derive(Debug, Serialize)]
pub struct AddAnswer {
    outcomes: Vec<AddOutcome>,
}

/// Checks a user name as `--user` is checked.
fn user(raw: Option<String>) -> ApiResult<Option<String>> {
    let user = raw.filter(|u| !u.trim().is_empty());
    if let Some(u) = &user {
        crate::memory::check_name(u, "the user name")
            .map_err(|e| ApiError::bad(format!("user {u:?}: {e}")))?;
    }
    Ok(user)
}

/// `POST /api/v1/units`: stores the units in one transaction.
pub async fn add_units(
    State(state): State<Arc<AppState>>,
    Extension(Deadline(deadline)): Extension<Deadline>,
    J(body): J<AddUnits>,
) -> ApiResult<Json<AddAnswer>> {
    let units = to_units(&body.units, "add")?;
    let options = WriteOptions {
        on_duplicate: body.on_duplicate,
        user: user(body.user)?,
        now: None,
    };
    let outcomes = state
        .write(Some(deadline), move |memory| {
            add_all(memory, &units, options)
        })
        .await?;
    Ok(Json(AddAnswer { outcomes }))
}

/// Adds `units` in one transaction; the first that cannot be added stops all.
pub fn add_all(
    memory: &mut Memory,
    units: &[TranslationUnit],
    options: WriteOptions,
) -> ApiResult<Vec<AddOutcome>> {
    let mut writer = memory.writer(options)?;
    let mut outcomes = Vec::with_capacity(units.len());
    for (i, unit) in units.iter().enumerate() {
        let outcome = writer.add(unit).map_err(|e| {
            let e = ApiError::from(e);
            ApiError::with(
                e.status,
                format!("units[{i}]: cannot add the pair: {}", e.message),
            )
        })?;
        outcomes.push(outcome);
    }
    writer.commit()?;
    Ok(outcomes)
}

/// `POST /api/v1/import` parameters: the CLI's `import` options.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    format: Option<String>,
    src: Option<String>,
    tgt: Option<String>,
    #[serde(default)]
    on_duplicate: OnDuplicate,
    #[serde(default)]
    skip_invalid: bool,
    #[serde(default)]
    strict: bool,
    user: Option<String>,
    origin: Option<String>,
    /// XLIFF: the states taken as translated (comma-separated, as `--state`).
    state: Option<String>,
    /// CSV/TSV: `true` the first row is a header, `false` it is data.
    header: Option<bool>,
}

const NAME: &str = "request body";

/// How the report's notes name the options: as query parameters.
const NAMES: OptionNames = OptionNames {
    strict: "strict",
    strict_on: "strict=true",
    skip_duplicates: "on_duplicate=skip",
};

fn format_param(raw: &str) -> ApiResult<Format> {
    Format::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(raw.trim()))
        .ok_or_else(|| {
            ApiError::bad(format!(
                "format {raw:?}: expected one of tmx, csv, tsv, jsonl, xliff"
            ))
        })
}

/// `POST /api/v1/import?format=…`: the body is spooled to a temporary file as it
/// arrives (within `--max-import`), then imported in one transaction; the answer is
/// the import report. Nothing of a body that fails is stored.
pub async fn import(
    State(state): State<Arc<AppState>>,
    Q(p): Q<ImportParams>,
    body: Body,
) -> ApiResult<Json<ImportReport>> {
    let lang = |l: &Option<String>, what| {
        l.as_deref()
            .filter(|l| !l.trim().is_empty())
            .map(|l| langs::lang(l, what))
            .transpose()
    };
    let states = match &p.state {
        Some(s) => {
            let names: Vec<&str> = s.split(',').map(str::trim).collect();
            Some(
                StateFilter::new(&names)
                    .map_err(|e| ApiError::bad(format!("state: {}", formats::error_message(&e))))?,
            )
        }
        None => None,
    };
    let options = ReadOptions {
        format: p.format.as_deref().map(format_param).transpose()?,
        source_lang: lang(&p.src, "src")?,
        target_lang: lang(&p.tgt, "tgt")?,
        header: match p.header {
            Some(true) => HeaderMode::Present,
            Some(false) => HeaderMode::Absent,
            None => HeaderMode::Auto,
        },
        skip_invalid: p.skip_invalid,
        xliff_states: states,
        ..ReadOptions::default()
    };
    let write_options = WriteOptions {
        on_duplicate: p.on_duplicate,
        user: user(p.user.clone())?,
        now: None,
    };
    state.check_writable()?;
    let spool = spool(body, state.config.max_import).await?;
    let flags = (p.strict, p.skip_invalid);
    let origin = p.origin.clone();
    let report = state
        .write(None, move |memory| {
            let reader = formats::open(spool.path(), &options)
                .map_err(|e| ApiError::from(rename(e, spool.path())))?;
            import_units(memory, reader, write_options, flags, origin)
        })
        .await?;
    Ok(Json(report))
}

/// An error about the spool file names the request body instead.
fn rename(err: crate::Error, spool: &std::path::Path) -> crate::Error {
    let mut location = err.location().clone();
    if location.path.as_deref() == Some(spool) {
        location.path = Some(NAME.into());
    }
    err.at(location)
}

/// Writes the body to a temporary file as it arrives, refusing more than `max` bytes
/// (413). Each chunk is written at once, where it arrived: a write to a new file
/// lands in the page cache in microseconds, where handing each chunk to a blocking
/// thread (`tokio::fs`) made the upload wait behind the busy threads under load.
async fn spool(body: Body, max: u64) -> ApiResult<tempfile::NamedTempFile> {
    use std::io::Write as _;
    let cannot_write =
        |e: std::io::Error| ApiError::internal(format!("cannot write a temporary file: {e}"));
    let file = tempfile::NamedTempFile::new()
        .map_err(|e| ApiError::internal(format!("cannot make a temporary file: {e}")))?;
    let mut out = std::io::BufWriter::with_capacity(SPOOL_BUFFER, file);
    let mut body = body;
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad(format!("cannot read the request body: {e}")))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len() as u64;
        if total > max {
            return Err(ApiError::with(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than the server's import limit of {max} bytes (--max-import)"),
            ));
        }
        out.write_all(&chunk).map_err(cannot_write)?;
    }
    out.into_inner().map_err(|e| cannot_write(e.into_error()))
}

/// The spool's buffer: few, large writes.
const SPOOL_BUFFER: usize = 256 * 1024;

/// Imports what `reader` reads in one transaction, counting as `bitext import` does.
fn import_units(
    memory: &mut Memory,
    mut reader: formats::Reader,
    options: WriteOptions,
    (strict, skip_invalid): (bool, bool),
    origin: Option<String>,
) -> ApiResult<ImportReport> {
    let start = Instant::now();
    let mut import = ImportOptions::new(NAME, NAMES);
    import.origin = origin;
    import.strict = strict;
    import.skip_invalid = skip_invalid;
    let mut writer = memory.writer(options)?;
    let mut report =
        import::import_units(&mut reader, &mut writer, &import, |_| {}).map_err(|e| match e {
            ImportError::Read { error, .. } => {
                let hint = if skip_invalid {
                    ""
                } else {
                    " (skip_invalid=true skips such units)"
                };
                ApiError::bad(format!(
                    "{error}; nothing of the {NAME} was imported{hint}"
                ))
            }
            ImportError::Refused { place, error } => ApiError::bad(format!(
                "{place}: {} (skip_invalid=true skips such units); nothing of the {NAME} was imported",
                formats::error_message(&error)
            )),
            ImportError::Unit(e) | ImportError::Memory(e) => (*e).into(),
            ImportError::ReaderPanicked => {
                ApiError::internal(format!("reading the {NAME} failed unexpectedly"))
            }
        })?;
    writer.commit()?;
    report.timed(start);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit sent to `/units` becomes the unit `bitext add` makes of the same fields;
    /// a property without a type is refused in the API's words.
    #[test]
    fn api_units_are_built_as_add_builds_them() {
        let body = r#"{"source": "Open.", "target": "Откройте.", "src": "en", "tgt": "ru",
            "prev": "Before.", "note": "checked", "origin": "manual.txt",
            "props": {" domain ": "IT"}}"#;
        let api: ApiUnit = serde_json::from_str(body).unwrap();
        let unit = api.to_unit().unwrap();
        assert_eq!(unit.variants[1].text, "Откройте.");
        assert_eq!(unit.context.prev.as_deref(), Some("Before."));
        assert_eq!(unit.origin.file.as_deref(), Some("manual.txt"));
        assert_eq!(
            (unit.props[0].kind.as_str(), unit.props[0].value.as_str()),
            ("domain", "IT")
        );
        assert_eq!(unit.notes[0].text, "checked");
        let mut blank = api.clone();
        blank.props.insert(" ".into(), "x".into());
        let err = blank.to_unit().unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (StatusCode::BAD_REQUEST, "props: a property needs a type")
        );
    }
}
