//! Row-level helpers shared by the writer and the readers: language ids, meta values,
//! timestamps and the JSON columns for properties and notes.

use std::cell::{Cell, RefCell};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::db::DbResultExt;
use super::postings::{get_varint, put_varint};
use super::schema;
use super::tokens::TOKENIZER_VERSION;
use crate::error::{Error, Result};
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
        let mut stmt = conn.prepare("SELECT id, tag FROM langs").db()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .db()?;
        for row in rows {
            let (id, tag) = row.db()?;
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

    /// The ids of every tag a lookup in `query` may use, each with the points a match
    /// in it loses: 0 for `query` and its more specific forms (or exactly `query` if
    /// `strict`), [`VARIANT_PENALTY`] for another variant of the same language (`en`
    /// and `en-US` for `en-GB`; see [`LangTag::same_language`]).
    pub(crate) fn variants(&self, query: &LangTag, strict: bool) -> Vec<(i64, u32)> {
        let mut ids: Vec<(i64, u32)> = self
            .by_id
            .iter()
            .filter_map(|(&id, tag)| {
                if tag == query || (!strict && tag.matches(query)) {
                    Some((id, 0))
                } else if !strict && tag.same_language(query) {
                    Some((id, VARIANT_PENALTY))
                } else {
                    None
                }
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The id of the group of a language: the id of its primary subtag's tag.
    pub(crate) fn group(&self, tag: &LangTag) -> Option<i64> {
        self.id(tag.primary())
    }
}

/// The points a match loses per side (source, target) whose stored language is another
/// variant of the one asked for (`en` or `en-US` for `en-GB`).
pub const VARIANT_PENALTY: u32 = 1;

/// The error for a stored unit whose variants do not decode (`err`).
pub(crate) fn damaged_unit(id: i64, err: impl std::fmt::Display) -> crate::Error {
    crate::Error::damaged(format!("unit {id} is damaged: {err}"))
}

/// The primary-language tag of `tag` (`en` for `en-US`).
pub(crate) fn primary_tag(tag: &LangTag) -> LangTag {
    LangTag::parse(tag.primary()).unwrap_or_else(|_| tag.clone())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .db()
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        (key, value),
    )
    .map(|_| ())
    .db()
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

/// The `units` columns of [`unit_from_row`], the origin's name joined from `origins`.
pub(crate) const UNIT_SELECT: &str = "SELECT u.id, u.source_lang, u.tuid, u.created, \
     u.created_by, u.changed, u.changed_by, u.last_used, u.usage_count, o.name, \
     u.origin_score, u.prev, u.next, u.extra, u.variants \
     FROM units u LEFT JOIN origins o ON o.id = u.origin";

/// A `units` row read back.
#[derive(Debug, Clone)]
pub(crate) struct UnitRow {
    pub id: i64,
    /// The language id of each variant.
    pub langs: Vec<i64>,
    pub unit: TranslationUnit,
}

/// A unit's row (from [`UNIT_SELECT`]) as a unit with its variants.
pub(crate) fn unit_from_row(row: &Row<'_>, langs: &LangCache) -> rusqlite::Result<UnitRow> {
    let id: i64 = row.get(0)?;
    let source_lang: Option<i64> = row.get(1)?;
    let extra: Option<String> = row.get(13)?;
    let extra: UnitExtra = extra
        .and_then(|e| serde_json::from_str(&e).ok())
        .unwrap_or_default();
    let usage: Option<i64> = row.get(8)?;
    let blob = row.get_ref(14)?.as_blob()?;
    let mut variants = Vec::new();
    let mut lang_ids = Vec::new();
    for v in VariantsBlob::new(blob) {
        let v = v.map_err(|e| corrupt_row(id, e))?;
        lang_ids.push(v.lang);
        variants.push(v.to_variant(langs));
    }
    let unit = TranslationUnit {
        id: row.get(2)?,
        source_lang: source_lang.and_then(|id| langs.tag(id).cloned()),
        variants,
        provenance: Provenance {
            created: from_seconds(row.get(3)?),
            created_by: row.get(4)?,
            changed: from_seconds(row.get(5)?),
            changed_by: row.get(6)?,
            last_used: from_seconds(row.get(7)?),
            usage_count: usage.map(|u| u.max(0) as u64),
        },
        origin: Origin {
            file: row.get(9)?,
            score: row.get(10)?,
        },
        context: Context {
            prev: row.get(11)?,
            next: row.get(12)?,
        },
        props: extra.props,
        notes: extra.notes,
    };
    Ok(UnitRow {
        id,
        langs: lang_ids,
        unit,
    })
}

fn corrupt_row(id: i64, what: &'static str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        14,
        rusqlite::types::Type::Blob,
        format!("unit {id} is damaged ({what}); the memory file is corrupt").into(),
    )
}

/// Reads a unit and its variants by id.
pub(crate) fn read_unit(conn: &Connection, langs: &LangCache, id: i64) -> Result<Option<UnitRow>> {
    let mut stmt = conn
        .prepare_cached(&format!("{UNIT_SELECT} WHERE u.id = ?1"))
        .db()?;
    stmt.query_row([id], |r| unit_from_row(r, langs))
        .optional()
        .db()
}

/// Reads units' `variants` columns by id with one prepared statement: a loop over
/// many units makes one reader (taking a statement from the cache hashes and moves it,
/// which costs about as much as reading a small unit). Every reader of a unit's
/// variants by id goes through here.
pub(crate) struct VariantsReader<'c> {
    stmt: rusqlite::CachedStatement<'c>,
}

impl<'c> VariantsReader<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<VariantsReader<'c>> {
        let stmt = conn
            .prepare_cached("SELECT source_lang, variants FROM units WHERE id = ?1")
            .db()?;
        Ok(VariantsReader { stmt })
    }

    /// Calls `f` with unit `id`'s source language id and its `variants` column, read
    /// in place (not copied); `None` if there is no such unit.
    pub(crate) fn read<T>(
        &mut self,
        id: i64,
        f: impl FnOnce(Option<i64>, &[u8]) -> T,
    ) -> Result<Option<T>> {
        let mut rows = self.stmt.query([id]).db()?;
        let Some(row) = rows.next().db()? else {
            return Ok(None);
        };
        let source_lang: Option<i64> = row.get(0).db()?;
        let blob = row.get_ref(1).db()?.as_blob().db()?;
        Ok(Some(f(source_lang, blob)))
    }
}

/// [`VariantsReader::read`] of one unit, for code that reads one at a time.
pub(crate) fn with_variants<T>(
    conn: &Connection,
    id: i64,
    f: impl FnOnce(Option<i64>, &[u8]) -> T,
) -> Result<Option<T>> {
    VariantsReader::new(conn)?.read(id, f)
}

/// One variant inside a unit's `variants` column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredVariant<'a> {
    /// Language id.
    pub lang: i64,
    /// Text in NFC.
    pub text: &'a str,
    /// Token ids as varints (see [`super::postings::decode_ids`]).
    pub tokens: &'a [u8],
    pub markup: Option<&'a str>,
    /// JSON of [`VariantExtra`].
    pub extra: Option<&'a str>,
}

const HAS_MARKUP: u64 = 1;
const HAS_EXTRA: u64 = 2;

impl StoredVariant<'_> {
    /// Appends this variant to a unit's `variants` column being built.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let flags = if self.markup.is_some() { HAS_MARKUP } else { 0 }
            | if self.extra.is_some() { HAS_EXTRA } else { 0 };
        put_varint(out, self.lang as u64);
        put_varint(out, flags);
        put_varint(out, self.text.len() as u64);
        out.extend_from_slice(self.text.as_bytes());
        put_varint(out, self.tokens.len() as u64);
        out.extend_from_slice(self.tokens);
        for s in [self.markup, self.extra].into_iter().flatten() {
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
    }

    pub(crate) fn to_variant(self, langs: &LangCache) -> Variant {
        let extra: VariantExtra = self
            .extra
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default();
        Variant {
            lang: langs
                .tag(self.lang)
                .cloned()
                .unwrap_or_else(|| LangTag::parse("und").expect("valid tag")),
            text: self.text.to_string(),
            markup: self.markup.map(str::to_string),
            provenance: extra.provenance,
            props: extra.props,
            notes: extra.notes,
        }
    }
}

/// The variants of a unit's `variants` column, decoded one by one: a count, then per
/// variant its language id, flags, text, token ids, and markup and extra when flagged.
pub(crate) struct VariantsBlob<'a> {
    data: &'a [u8],
    pos: usize,
    left: u64,
}

impl<'a> VariantsBlob<'a> {
    pub(crate) fn new(data: &'a [u8]) -> VariantsBlob<'a> {
        let mut pos = 0;
        let left = get_varint(data, &mut pos).unwrap_or(0);
        VariantsBlob { data, pos, left }
    }

    /// The blob's header: the number of variants.
    pub(crate) fn header(out: &mut Vec<u8>, n: usize) {
        put_varint(out, n as u64);
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(get_varint(self.data, &mut self.pos)?).ok()?;
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn next_variant(&mut self) -> Option<StoredVariant<'a>> {
        let lang = get_varint(self.data, &mut self.pos)? as i64;
        let flags = get_varint(self.data, &mut self.pos)?;
        let text = self.string()?;
        let tokens = self.bytes()?;
        let markup = if flags & HAS_MARKUP != 0 {
            Some(self.string()?)
        } else {
            None
        };
        let extra = if flags & HAS_EXTRA != 0 {
            Some(self.string()?)
        } else {
            None
        };
        Some(StoredVariant {
            lang,
            text,
            tokens,
            markup,
            extra,
        })
    }
}

impl<'a> Iterator for VariantsBlob<'a> {
    type Item = std::result::Result<StoredVariant<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return (self.pos != self.data.len()).then_some(Err("trailing bytes"));
        }
        self.left -= 1;
        match self.next_variant() {
            Some(v) => Some(Ok(v)),
            None => {
                self.left = 0;
                self.pos = self.data.len();
                Some(Err("truncated variants"))
            }
        }
    }
}

/// The `index`-th variant of a unit's `variants` column.
pub(crate) fn variant_at(
    blob: &[u8],
    index: usize,
) -> std::result::Result<StoredVariant<'_>, &'static str> {
    VariantsBlob::new(blob)
        .nth(index)
        .unwrap_or(Err("no such variant"))
}

/// The origins (file names) units came from, by id.
pub(crate) fn origin_id(
    conn: &Connection,
    cache: &mut FxHashMap<String, i64>,
    name: &str,
) -> Result<i64> {
    if let Some(&id) = cache.get(name) {
        return Ok(id);
    }
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM origins WHERE name = ?1")
        .db()?
        .query_row([name], |r| r.get(0))
        .optional()
        .db()?;
    let id = match found {
        Some(id) => id,
        None => {
            conn.prepare_cached("INSERT INTO origins(name) VALUES(?1)")
                .db()?
                .execute([name])
                .db()?;
            conn.last_insert_rowid()
        }
    };
    cache.insert(name.to_string(), id);
    Ok(id)
}

/// SQLite's `PRAGMA data_version`: a number that changes when another connection
/// commits to the file (this connection's own commits leave it). One cheap
/// statement: it reads no page.
pub(crate) fn data_version(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("PRAGMA data_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .db()
}

/// Brings what a memory keeps from its file (`langs`, loaded at `version`) up to date
/// if another connection committed since: reloads the language table, and refuses a
/// file that another version of bitext has meanwhile upgraded or re-indexed (lookups
/// would be wrong, not merely stale). Inside a transaction, as of its snapshot.
pub(crate) fn refresh(
    conn: &Connection,
    path: Option<&Path>,
    langs: &RefCell<LangCache>,
    version: &Cell<i64>,
) -> Result<bool> {
    let now = data_version(conn)?;
    if now == version.get() {
        return Ok(false);
    }
    let schema = schema::version(conn)?;
    let tokenizer: Option<u32> = meta_get(conn, "tokenizer_version")?.and_then(|v| v.parse().ok());
    if schema != schema::CURRENT_VERSION || tokenizer != Some(TOKENIZER_VERSION) {
        let err = Error::invalid(
            "the memory was changed by another version of bitext since it was opened \
             (upgraded or re-indexed); open it again",
        );
        return Err(match path {
            Some(p) => err.in_file(p),
            None => err,
        });
    }
    let fresh = LangCache::load(conn)?;
    // Nothing holds the table across a read; if something did, it keeps its copy and
    // the table is reloaded at the next read.
    if let Ok(mut cached) = langs.try_borrow_mut() {
        *cached = fresh;
        version.set(now);
    }
    Ok(true)
}
