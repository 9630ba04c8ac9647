//! Schema migrations (see [`super::schema`] for the layout they lead to): the list of
//! this build's migrations, the runner that applies the missing ones in one
//! transaction, and each step. Version 3 packs variants into their unit's row, moves
//! origins to their own table, rewrites the fuzzy index as one segment and empties the
//! concordance index (the next concordance search rebuilds it); term ids and token ids
//! are kept, so no text is tokenised again. Version 4 splits each posting list by the
//! length class of its texts (rows re-keyed, postings unchanged).

use rusqlite::{Connection, Transaction};
use rustc_hash::FxHashMap;

use super::counts::{self, COUNT_UNITS};
use super::db::DbResultExt;
use super::index::{self, SegmentInfo};
use super::postings::{
    for_each_posting, get_varint, text_id, text_index, text_unit, words_key32, ClassedLists,
    PostingList, WordsEntry, MAX_VARIANTS,
};
use super::schema::{newer_version, recreate_concordance, version, APPLICATION_ID};
use super::store::{self, StoredVariant, VariantsBlob};
use super::tokens::{text_check, text_hash};
use crate::error::{Error, Result};

/// The function applying a migration, inside its transaction.
pub(crate) type MigrationFn = fn(&Transaction<'_>) -> Result<()>;

/// One schema change: brings a file from version `to - 1` to `to`.
pub(crate) struct Migration {
    /// The version after this migration.
    pub(crate) to: u32,
    /// What it changes, for messages.
    pub(crate) description: &'static str,
    /// The change, run inside the migration's transaction.
    pub(crate) apply: MigrationFn,
}

/// The migrations of this build, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        description: "create the memory",
        apply: create_v1,
    },
    Migration {
        to: 2,
        description: "running totals for stats",
        apply: add_counts_v2,
    },
    Migration {
        to: 3,
        description: "units packed in one row, index in segments",
        apply: to_v3,
    },
    Migration {
        to: 4,
        description: "posting lists split by text length",
        apply: to_v4,
    },
];

/// Version 2: the `counts` table, filled from the stored units.
const COUNTS_V2: &str = "
CREATE TABLE counts(
    kind INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(kind, a, b)
) WITHOUT ROWID;
INSERT INTO counts SELECT 0, 0, 0, coalesce(sum(length(CAST(text AS BLOB))), 0) FROM variants;
INSERT INTO counts SELECT 1, lang, 0, count(*) FROM variants GROUP BY lang;
INSERT INTO counts
    SELECT 2, s.lang, t.lang, count(*) FROM units u
    JOIN variants s ON s.id = coalesce(
        (SELECT min(x.id) FROM variants x WHERE x.id >= u.first_variant
         AND x.id < u.first_variant + u.n_variants AND x.lang = u.source_lang),
        u.first_variant)
    JOIN variants t ON t.id >= u.first_variant AND t.id < u.first_variant + u.n_variants
         AND t.id != s.id
    GROUP BY s.lang, t.lang;
DELETE FROM counts WHERE n = 0;
";

fn add_counts_v2(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(COUNTS_V2).db()
}

/// The columns of a unit's metadata, the same in versions 1 and 3 (around their
/// different origin columns): one text, so that the two cannot drift apart by a
/// typing slip. A change to these columns is a new migration, not an edit here.
macro_rules! unit_columns {
    (provenance) => {
        "
    tuid TEXT,
    created INTEGER,
    created_by TEXT,
    changed INTEGER,
    changed_by TEXT,
    last_used INTEGER,
    usage_count INTEGER,"
    };
    (context) => {
        "
    origin_score REAL,
    prev TEXT,
    next TEXT,
    extra TEXT"
    };
}

const SCHEMA_V1: &str = concat!(
    "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE langs(id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE);
CREATE TABLE units(
    id INTEGER PRIMARY KEY,
    first_variant INTEGER NOT NULL,
    n_variants INTEGER NOT NULL,
    source_lang INTEGER,",
    unit_columns!(provenance),
    "
    origin_file TEXT,",
    unit_columns!(context),
    "
);
CREATE TABLE variants(
    id INTEGER PRIMARY KEY,
    unit INTEGER NOT NULL,
    lang INTEGER NOT NULL,
    words_key INTEGER NOT NULL,
    tokens BLOB NOT NULL,
    text TEXT NOT NULL,
    markup TEXT,
    extra TEXT
);
CREATE INDEX variants_words_key ON variants(words_key);
CREATE TABLE terms(
    grp INTEGER NOT NULL,
    token TEXT NOT NULL,
    id INTEGER NOT NULL,
    df INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    PRIMARY KEY(grp, token)
) WITHOUT ROWID;
CREATE TABLE postings(key INTEGER PRIMARY KEY, n INTEGER NOT NULL, last INTEGER NOT NULL, data BLOB NOT NULL);
CREATE VIRTUAL TABLE concordance USING fts5(
    text, content='variants', content_rowid='id', tokenize='trigram', detail=none, columnsize=0
);
"
);

fn create_v1(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(SCHEMA_V1).db()?;
    let now = jiff::Timestamp::now().to_string();
    let tokenizer = super::tokens::TOKENIZER_VERSION.to_string();
    for (key, value) in [
        ("created", now.as_str()),
        ("created_by_version", env!("CARGO_PKG_VERSION")),
        ("tokenizer_version", tokenizer.as_str()),
        ("next_term", "1"),
        ("concordance_upto", "0"),
    ] {
        tx.execute("INSERT INTO meta(key, value) VALUES(?1, ?2)", (key, value))
            .db()?;
    }
    Ok(())
}

/// Brings the database to the last version of `migrations`, each step in the same
/// transaction: on any error, nothing is changed.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<u32> {
    let target = migrations.last().map_or(0, |m| m.to);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .db()?;
    let from = version(&tx)?;
    if from > target {
        return Err(newer_version(from));
    }
    for m in migrations.iter().filter(|m| m.to > from) {
        (m.apply)(&tx).map_err(|e| {
            Error::invalid(format!(
                "upgrading the memory to schema version {} ({}) failed: {e}",
                m.to, m.description
            ))
        })?;
        tx.pragma_update(None, "user_version", m.to).db()?;
    }
    if from == 0 {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .db()?;
    }
    tx.commit().db()?;
    Ok(from)
}

const TABLES_V3: &str = concat!(
    "
ALTER TABLE units RENAME TO units_v2;
ALTER TABLE terms RENAME TO terms_v2;
ALTER TABLE postings RENAME TO postings_v2;
CREATE TABLE origins(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE units(
    id INTEGER PRIMARY KEY,
    source_lang INTEGER,",
    unit_columns!(provenance),
    "
    origin INTEGER,",
    unit_columns!(context),
    ",
    variants BLOB NOT NULL
);
CREATE TABLE terms(
    grp INTEGER NOT NULL,
    token TEXT NOT NULL,
    id INTEGER NOT NULL,
    df INTEGER NOT NULL,
    PRIMARY KEY(grp, token)
) WITHOUT ROWID;
CREATE TABLE postings(key INTEGER PRIMARY KEY, last INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE words(key INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE segments(id INTEGER PRIMARY KEY, postings INTEGER NOT NULL);
INSERT INTO terms SELECT grp, token, id, df FROM terms_v2;
"
);

const SWAP_V3: &str = "
DROP TABLE variants;
DROP TABLE units_v2;
DROP TABLE terms_v2;
DROP TABLE postings_v2;
DELETE FROM meta WHERE key = 'next_variant';
";

/// A version-2 posting chunk: (variant id delta, token count, position) varints.
fn old_postings(chunk: &[u8], mut f: impl FnMut(i64, u32, u32)) -> bool {
    let mut pos = 0;
    let mut id = 0i64;
    while pos < chunk.len() {
        let (Some(delta), Some(len), Some(at)) = (
            get_varint(chunk, &mut pos),
            get_varint(chunk, &mut pos),
            get_varint(chunk, &mut pos),
        ) else {
            return false;
        };
        id += delta as i64;
        f(id, len as u32, at as u32);
    }
    true
}

fn damaged(what: impl std::fmt::Display) -> Error {
    Error::damaged(format!("the memory is damaged: {what}"))
}

/// Version 2 → 3.
fn to_v3(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(TABLES_V3).db()?;
    tx.execute(
        "INSERT INTO origins(name) SELECT origin_file FROM units_v2 \
         WHERE origin_file IS NOT NULL GROUP BY origin_file ORDER BY min(id)",
        [],
    )
    .db()?;
    let mut origins: FxHashMap<String, i64> = FxHashMap::default();
    {
        let mut stmt = tx.prepare("SELECT name, id FROM origins").db()?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).db()?;
        for row in rows {
            let (name, id) = row.db()?;
            origins.insert(name, id);
        }
    }
    let max_variant: i64 = tx
        .query_row("SELECT coalesce(max(id), 0) FROM variants", [], |r| {
            r.get(0)
        })
        .db()?;
    // Text id of every variant id (0: none), and the words entries.
    let mut text_ids = vec![0i64; max_variant as usize + 1];
    let mut words: Vec<WordsEntry> = Vec::new();
    let mut units = 0i64;
    {
        let mut ustmt = tx
            .prepare(
                "SELECT id, first_variant, n_variants, source_lang, tuid, created, created_by, \
                 changed, changed_by, last_used, usage_count, origin_file, origin_score, prev, \
                 next, extra FROM units_v2 ORDER BY id",
            )
            .db()?;
        let mut vstmt = tx
            .prepare(
                "SELECT id, lang, tokens, text, markup, extra, words_key FROM variants \
                 WHERE id >= ?1 AND id < ?2 ORDER BY id",
            )
            .db()?;
        let mut insert = tx
            .prepare(
                "INSERT INTO units(id, source_lang, tuid, created, created_by, changed, \
                 changed_by, last_used, usage_count, origin, origin_score, prev, next, extra, \
                 variants) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .db()?;
        let mut rows = ustmt.query([]).db()?;
        let mut blob = Vec::new();
        while let Some(u) = rows.next().db()? {
            let id: i64 = u.get(0).db()?;
            let first: i64 = u.get(1).db()?;
            let n: i64 = u.get(2).db()?;
            if n as usize > MAX_VARIANTS {
                return Err(damaged(format!(
                    "unit {id} has {n} variants (at most {MAX_VARIANTS})"
                )));
            }
            type VariantRow = (
                i64,
                i64,
                Vec<u8>,
                String,
                Option<String>,
                Option<String>,
                i64,
            );
            let variants: Vec<VariantRow> = vstmt
                .query_map([first, first + n], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .db()?
                .collect::<rusqlite::Result<_>>()
                .db()?;
            blob.clear();
            VariantsBlob::header(&mut blob, variants.len());
            for (k, (vid, lang, tokens, text, markup, extra, key)) in variants.iter().enumerate() {
                StoredVariant {
                    lang: *lang,
                    text,
                    tokens,
                    markup: markup.as_deref(),
                    extra: extra.as_deref(),
                }
                .encode(&mut blob);
                let tid = text_id(id, k);
                text_ids[*vid as usize] = tid;
                words.push(WordsEntry {
                    key: words_key32(*key),
                    text: tid,
                    check: text_check(text_hash(text)),
                });
            }
            let origin: Option<String> = u.get(11).db()?;
            let origin = origin.map(|o| origins[&o]);
            insert
                .execute(rusqlite::params![
                    id,
                    u.get::<_, Option<i64>>(3).db()?,
                    u.get::<_, Option<String>>(4).db()?,
                    u.get::<_, Option<i64>>(5).db()?,
                    u.get::<_, Option<String>>(6).db()?,
                    u.get::<_, Option<i64>>(7).db()?,
                    u.get::<_, Option<String>>(8).db()?,
                    u.get::<_, Option<i64>>(9).db()?,
                    u.get::<_, Option<i64>>(10).db()?,
                    origin,
                    u.get::<_, Option<f64>>(12).db()?,
                    u.get::<_, Option<String>>(13).db()?,
                    u.get::<_, Option<String>>(14).db()?,
                    u.get::<_, Option<String>>(15).db()?,
                    &blob,
                ])
                .db()?;
            units += 1;
        }
    }
    // The postings, as one segment: the chunks of a term in key order, variant ids
    // mapped to text ids (both increase together).
    let mut postings = 0i64;
    {
        let mut stmt = tx
            .prepare("SELECT key, data FROM postings_v2 ORDER BY key")
            .db()?;
        let mut rows = stmt.query([]).db()?;
        let mut term: Option<u32> = None;
        let mut list = PostingList::default();
        let flush = |conn: &Connection, term: Option<u32>, list: &mut PostingList| -> Result<i64> {
            let n = i64::from(list.len);
            if let Some(t) = term {
                if list.len > 0 {
                    insert_postings_v3(conn, 1, t, list)?;
                }
            }
            *list = PostingList::default();
            Ok(n)
        };
        while let Some(row) = rows.next().db()? {
            let key: i64 = row.get(0).db()?;
            let t = (key >> 20) as u32;
            if term != Some(t) {
                postings += flush(tx, term, &mut list)?;
                term = Some(t);
            }
            let data = row.get_ref(1).db()?.as_blob().db()?;
            let mut bad = None;
            let ok = old_postings(data, |vid, len, at| {
                match text_ids.get(vid as usize).copied().filter(|&t| t > 0) {
                    Some(tid) => list.push(text_unit(tid), text_index(tid), len, at),
                    None => bad = Some(vid),
                }
            });
            if !ok {
                return Err(damaged(format!("postings of term {t}")));
            }
            if let Some(vid) = bad {
                return Err(damaged(format!(
                    "the index names variant {vid}, which does not exist"
                )));
            }
        }
        postings += flush(tx, term, &mut list)?;
    }
    words.sort_unstable();
    if units > 0 {
        index::insert_words(tx, 1, &words)?;
        index::insert_segment(tx, SegmentInfo { id: 1, postings })?;
    }
    tx.execute_batch(SWAP_V3).db()?;
    recreate_concordance(tx)?;
    store::meta_set(tx, "concordance_upto", "0")?;
    store::meta_set(tx, "next_segment", if units > 0 { "2" } else { "1" })?;
    tx.execute(
        "INSERT INTO counts(kind, a, b, n) VALUES(?1, 0, 0, ?2)",
        [COUNT_UNITS, units],
    )
    .db()?;
    counts::concordance_emptied(tx)
}

/// Writes a version-3 postings row: the whole list of `term` in `segment`.
fn insert_postings_v3(tx: &Connection, segment: i64, term: u32, list: &PostingList) -> Result<()> {
    tx.prepare_cached("INSERT INTO postings(key, last, n, data) VALUES(?1, ?2, ?3, ?4)")
        .db()?
        .execute(rusqlite::params![
            (segment << 32) | i64::from(term),
            list.last_unit,
            list.len,
            list.data
        ])
        .db()?;
    Ok(())
}

/// Version 3 → 4: each postings row (`key = segment << 32 | term`) becomes one row per
/// length class of its texts (`index::postings_key`). Segments, terms and words keep
/// their ids and contents.
fn to_v4(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "ALTER TABLE postings RENAME TO postings_v3;
         CREATE TABLE postings(key INTEGER PRIMARY KEY, last INTEGER NOT NULL, \
             n INTEGER NOT NULL, data BLOB NOT NULL);",
    )
    .db()?;
    {
        let mut stmt = tx
            .prepare("SELECT key, data FROM postings_v3 ORDER BY key")
            .db()?;
        let mut rows = stmt.query([]).db()?;
        let mut insert = index::PostingsInsert::new(tx)?;
        while let Some(row) = rows.next().db()? {
            let key: i64 = row.get(0).db()?;
            let (segment, term) = (key >> 32, key as u32);
            let data = row.get_ref(1).db()?.as_blob().db()?;
            let mut classed = ClassedLists::default();
            if !for_each_posting(data, |p| classed.push_posting(p)) {
                return Err(damaged(format!("postings of term {term}")));
            }
            // Rows come in (segment, term) order and a term's classes in class
            // order: the new keys increase too.
            for (class, list) in classed.into_lists() {
                insert.insert(segment, index::list_key(term, class), &list)?;
            }
        }
    }
    tx.execute_batch("DROP TABLE postings_v3;").db()
}
