//! The SQLite schema of a memory: its layout, version and identity.
//!
//! A memory file identifies itself with `PRAGMA application_id` and records its schema
//! version in `PRAGMA user_version`. Opening a file of an older version applies the
//! missing migrations (module `migrate`) in one transaction (all or nothing); a file
//! from a newer bitext is refused rather than misread.
//!
//! Tables (version 4):
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
//!   `store::VariantsBlob`). A variant is addressed as `unit << 10 | index`.
//! * `terms(grp, token, id, df)`: the term dictionary of the fuzzy index, per
//!   primary language; `df` = number of texts containing the term.
//! * `postings(key, last, n, data)` and `words(key, data)`: the fuzzy index in
//!   segments (see module `index`): per segment, term and length class of the texts
//!   (`key = segment << 36 | term << 4 | class`) the list of texts containing the
//!   term with their token counts and where the term is; per segment, the texts'
//!   words keys in sorted chunks (`key = segment << 32 | first key`).
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
//! concordance. Version 4 splits each term's posting list of a segment by the length
//! of its texts (version 3 had one row per term: `key = segment << 32 | term`).

use rusqlite::Connection;

use super::db::DbResultExt;
use crate::error::{Error, Result};

/// `PRAGMA application_id` of a bitext memory ("BTXT").
pub const APPLICATION_ID: i32 = 0x4254_5854;

/// The schema version this build writes and reads.
pub const CURRENT_VERSION: u32 = 4;

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
