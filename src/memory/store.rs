//! Row-level helpers shared by the writer and the readers: language ids, meta values,
//! timestamps and the JSON columns for properties and notes.

use rusqlite::{Connection, OptionalExtension, Row};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::schema::db_error;
use crate::error::Result;
use crate::text::LangTag;
use crate::unit::{Context, Note, Origin, Prop, Provenance, TranslationUnit, Variant};

/// Language tags and their ids, loaded once (there are few).
#[derive(Debug, Clone, Default)]
pub(crate) struct LangCache {
    by_tag: FxHashMap<String, i64>,
    by_id: FxHashMap<i64, LangTag>,
}

impl LangCache {
    pub(crate) fn load(conn: &Connection) -> Result<LangCache> {
        let mut cache = LangCache::default();
        let mut stmt = conn
            .prepare("SELECT id, tag FROM langs")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(db_error)?;
        for row in rows {
            let (id, tag) = row.map_err(db_error)?;
            if let Ok(parsed) = LangTag::parse(&tag) {
                cache.insert(id, parsed);
            }
        }
        Ok(cache)
    }

    pub(crate) fn insert(&mut self, id: i64, tag: LangTag) {
        self.by_tag.insert(tag.as_str().to_string(), id);
        self.by_id.insert(id, tag);
    }

    pub(crate) fn id(&self, tag: &str) -> Option<i64> {
        self.by_tag.get(tag).copied()
    }

    pub(crate) fn tag(&self, id: i64) -> Option<&LangTag> {
        self.by_id.get(&id)
    }

    /// The ids of every tag that `query` accepts: `query` itself and its more specific
    /// forms (`en` → `en`, `en-US`, `en-GB`), or exactly `query` if `strict`.
    pub(crate) fn matching(&self, query: &LangTag, strict: bool) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .by_id
            .iter()
            .filter(|(_, tag)| {
                if strict {
                    *tag == query
                } else {
                    tag.matches(query)
                }
            })
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The id of the group of a language: the id of its primary subtag's tag.
    pub(crate) fn group(&self, tag: &LangTag) -> Option<i64> {
        self.id(tag.primary())
    }
}

/// The primary-language tag of `tag` (`en` for `en-US`).
pub(crate) fn primary_tag(tag: &LangTag) -> LangTag {
    LangTag::parse(tag.primary()).unwrap_or_else(|_| tag.clone())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(db_error)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        (key, value),
    )
    .map(|_| ())
    .map_err(db_error)
}

pub(crate) fn to_seconds(t: Option<jiff::Timestamp>) -> Option<i64> {
    t.map(|t| t.as_second())
}

pub(crate) fn from_seconds(s: Option<i64>) -> Option<jiff::Timestamp> {
    s.and_then(|s| jiff::Timestamp::from_second(s).ok())
}

/// The `extra` column of a unit: what has no column of its own.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct UnitExtra {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// The `extra` column of a variant.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct VariantExtra {
    #[serde(default, skip_serializing_if = "is_default")]
    pub provenance: Provenance,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

pub(crate) fn unit_extra(unit: &TranslationUnit) -> Option<String> {
    if unit.props.is_empty() && unit.notes.is_empty() {
        return None;
    }
    serde_json::to_string(&UnitExtra {
        props: unit.props.clone(),
        notes: unit.notes.clone(),
    })
    .ok()
}

pub(crate) fn variant_extra(v: &Variant) -> Option<String> {
    if v.props.is_empty() && v.notes.is_empty() && v.provenance == Provenance::default() {
        return None;
    }
    serde_json::to_string(&VariantExtra {
        provenance: v.provenance.clone(),
        props: v.props.clone(),
        notes: v.notes.clone(),
    })
    .ok()
}

/// The columns of `units` read back into a unit (without variants).
pub(crate) const UNIT_COLUMNS: &str = "id, first_variant, n_variants, source_lang, tuid, created, \
     created_by, changed, changed_by, last_used, usage_count, origin_file, origin_score, prev, \
     next, extra";

/// A `units` row.
#[derive(Debug, Clone)]
pub(crate) struct UnitRow {
    pub id: i64,
    pub first_variant: i64,
    pub n_variants: i64,
    pub unit: TranslationUnit,
}

pub(crate) fn unit_from_row(row: &Row<'_>, langs: &LangCache) -> rusqlite::Result<UnitRow> {
    let source_lang: Option<i64> = row.get(3)?;
    let extra: Option<String> = row.get(15)?;
    let extra: UnitExtra = extra
        .and_then(|e| serde_json::from_str(&e).ok())
        .unwrap_or_default();
    let usage: Option<i64> = row.get(10)?;
    let unit = TranslationUnit {
        id: row.get(4)?,
        source_lang: source_lang.and_then(|id| langs.tag(id).cloned()),
        variants: Vec::new(),
        provenance: Provenance {
            created: from_seconds(row.get(5)?),
            created_by: row.get(6)?,
            changed: from_seconds(row.get(7)?),
            changed_by: row.get(8)?,
            last_used: from_seconds(row.get(9)?),
            usage_count: usage.map(|u| u.max(0) as u64),
        },
        origin: Origin {
            file: row.get(11)?,
            score: row.get(12)?,
        },
        context: Context {
            prev: row.get(13)?,
            next: row.get(14)?,
        },
        props: extra.props,
        notes: extra.notes,
    };
    Ok(UnitRow {
        id: row.get(0)?,
        first_variant: row.get(1)?,
        n_variants: row.get(2)?,
        unit,
    })
}

/// The columns of `variants` read back into a variant.
pub(crate) const VARIANT_COLUMNS: &str = "id, unit, lang, text, markup, extra";

pub(crate) fn variant_from_row(
    row: &Row<'_>,
    langs: &LangCache,
) -> rusqlite::Result<(i64, i64, i64, Variant)> {
    let id: i64 = row.get(0)?;
    let unit: i64 = row.get(1)?;
    let lang: i64 = row.get(2)?;
    let extra: Option<String> = row.get(5)?;
    let extra: VariantExtra = extra
        .and_then(|e| serde_json::from_str(&e).ok())
        .unwrap_or_default();
    let tag = langs
        .tag(lang)
        .cloned()
        .unwrap_or_else(|| LangTag::parse("und").expect("valid tag"));
    Ok((
        id,
        unit,
        lang,
        Variant {
            lang: tag,
            text: row.get(3)?,
            markup: row.get(4)?,
            provenance: extra.provenance,
            props: extra.props,
            notes: extra.notes,
        },
    ))
}

/// Reads a unit and its variants by id.
pub(crate) fn read_unit(conn: &Connection, langs: &LangCache, id: i64) -> Result<Option<UnitRow>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = ?1"))
        .map_err(db_error)?;
    let Some(mut row) = stmt
        .query_row([id], |r| unit_from_row(r, langs))
        .optional()
        .map_err(db_error)?
    else {
        return Ok(None);
    };
    row.unit.variants = read_variants(conn, langs, row.first_variant, row.n_variants)?
        .into_iter()
        .map(|(_, _, v)| v)
        .collect();
    Ok(Some(row))
}

/// The variants `first .. first + n` as (id, lang id, variant).
pub(crate) fn read_variants(
    conn: &Connection,
    langs: &LangCache,
    first: i64,
    n: i64,
) -> Result<Vec<(i64, i64, Variant)>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {VARIANT_COLUMNS} FROM variants WHERE id >= ?1 AND id < ?2 ORDER BY id"
        ))
        .map_err(db_error)?;
    let rows = stmt
        .query_map([first, first + n], |r| variant_from_row(r, langs))
        .map_err(db_error)?;
    let mut out = Vec::with_capacity(n as usize);
    for row in rows {
        let (id, _unit, lang, v) = row.map_err(db_error)?;
        out.push((id, lang, v));
    }
    Ok(out)
}
