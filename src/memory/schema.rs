//! The SQLite schema of a memory and its migrations.
//!
//! A memory file identifies itself with `PRAGMA application_id` and records its schema
//! version in `PRAGMA user_version`. Opening a file of an older version applies the
//! missing migrations in one transaction (all or nothing); a file from a newer bitext
//! is refused rather than misread.
//!
//! Tables (version 3):
//!
//! * `meta(key, value)`: settings and counters (tokenizer version, next unit, term and
//!   segment ids, how far the concordance index reaches).
//! * `langs(id, tag)`: every language tag used, normalised (`en-US`); a primary
//!   language (`en`) doubles as the group id of the term dictionary.
//! * `origins(id, name)`: the documents units came from.
//! * `units(id, source_lang, tuid, created, …, origin, origin_score, prev, next,
//!   extra, variants)`: one row per translation unit: its metadata, and its variants
//!   packed in one blob (per variant: language id, text in NFC, the text's match
//!   tokens as varint term ids, markup and extra metadata; see
//!   [`super::store::VariantsBlob`]). A variant is addressed as `unit << 10 | index`.
//! * `terms(grp, token, id, df)`: the term dictionary of the fuzzy index, per
//!   primary language; `df` = number of texts containing the term.
//! * `postings(key, last, n, data)` and `words(key, data)`: the fuzzy index in
//!   segments (see [`super::index`]): per segment and term (`key = segment << 32 |
//!   term`) the list of texts containing the term with their token counts and where
//!   the term is; per segment, the texts' words keys in sorted chunks (`key =
//!   segment << 32 | first key`).
//! * `segments(id, postings)`: the live segments and their sizes.
//! * `counts(kind, a, b, n)`: running totals kept by every write, so `stats` needs no
//!   scan: stored text bytes (kind 0), variants per language (kind 1, `a` =
//!   language), units per language pair (kind 2, `a` = source, `b` = target
//!   language), variants not yet in the concordance index (kind 3), units (kind 4).
//! * `concordance`: an FTS5 trigram index (contentless, `detail=none`) with one row
//!   per block of eight consecutive unit ids: the case-folded texts of their
//!   variants. Brought up to date by the first concordance search after a write.
//!
//! Version 1 had one row per variant in `variants` (with its words key, indexed),
//! posting lists in 3.6 KB chunks per term, and the concordance index over
//! `variants.text`; version 2 added `counts`. Version 3 packs variants into their
//! unit's row, keeps the index in segments, and indexes blocks of units for
//! concordance.

use rusqlite::{Connection, Transaction};

use super::db::DbResultExt;
use crate::error::{Error, ErrorKind, Result};

/// `PRAGMA application_id` of a bitext memory ("BTXT").
pub const APPLICATION_ID: i32 = 0x4254_5854;

/// The schema version this build writes and reads.
pub const CURRENT_VERSION: u32 = 3;

/// The function applying a migration, inside its transaction.
pub type MigrationFn = fn(&Transaction<'_>) -> Result<()>;

/// One schema change: brings a file from version `to - 1` to `to`.
pub struct Migration {
    /// The version after this migration.
    pub to: u32,
    /// What it changes, for messages.
    pub description: &'static str,
    /// The change, run inside the migration's transaction.
    pub apply: MigrationFn,
}

/// The migrations of this build, in order.
pub const MIGRATIONS: &[Migration] = &[
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
        apply: super::migrate::to_v3,
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

const SCHEMA_V1: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE langs(id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE);
CREATE TABLE units(
    id INTEGER PRIMARY KEY,
    first_variant INTEGER NOT NULL,
    n_variants INTEGER NOT NULL,
    source_lang INTEGER,
    tuid TEXT,
    created INTEGER,
    created_by TEXT,
    changed INTEGER,
    changed_by TEXT,
    last_used INTEGER,
    usage_count INTEGER,
    origin_file TEXT,
    origin_score REAL,
    prev TEXT,
    next TEXT,
    extra TEXT
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
";

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

/// The concordance index of version 3, empty.
const CONCORDANCE_V3: &str = "
DROP TABLE IF EXISTS concordance;
CREATE VIRTUAL TABLE concordance USING fts5(
    text, content='', tokenize='trigram', detail=none, columnsize=0
);
";

/// Drops the concordance index and creates it empty (nothing indexed).
pub(crate) fn recreate_concordance(tx: &Connection) -> Result<()> {
    tx.execute_batch(CONCORDANCE_V3).db()
}

/// Whether `err` says the memory file is damaged ([`ErrorKind::Damaged`]).
pub fn is_damaged(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Damaged(_))
}

/// Whether `err` says another process is writing to the memory and the wait for it
/// ran out ([`ErrorKind::Busy`]).
pub fn is_busy(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Busy)
}

/// The schema version of an open file, checked to be a bitext memory: `Ok(0)` for a
/// new, empty database.
pub fn version(conn: &Connection) -> Result<u32> {
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .db()?;
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .db()?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .db()?;
    if app == 0 && version == 0 && tables == 0 {
        return Ok(0);
    }
    if app != APPLICATION_ID {
        return Err(Error::invalid(
            "not a bitext memory (an SQLite database made by another program)",
        ));
    }
    Ok(version)
}

/// The refusal of a file from a newer bitext (schema `version`).
pub(crate) fn newer_version(version: u32) -> Error {
    Error::invalid(format!(
        "this memory has schema version {version}, made by a newer bitext (this one reads up \
         to version {CURRENT_VERSION}); upgrade bitext to open it"
    ))
}

/// Brings the database to the last version of `migrations`, each step in the same
/// transaction: on any error, nothing is changed.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<u32> {
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
