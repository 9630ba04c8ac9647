//! A lookup as a front end receives it — the text with its context and markup, the
//! thresholds — checked, defaulted and made into a [`Query`] and [`LookupOptions`]
//! in one place, so that `bitext lookup` and the server's lookup routes take, default
//! and refuse the same (each adds only its own names for the parameters).

use std::ops::RangeInclusive;

use serde::Deserialize;

use super::limits::MAX_TEXT_BYTES;
use super::lookup::{LookupOptions, Query};
use crate::error::{Error, Result};
use crate::text::{count, LangTag};

/// A query as a JSON record, `{"text", "prev", "next", "markup", "id"}`: a line of
/// `bitext lookup --queries` in JSON Lines, an item of the server's batch lookup.
///
/// An unknown field is refused (a misspelt `prev` would otherwise be lost without a
/// word); a reader that lets them pass flattens the record into its own type (serde
/// hands a flattened struct only the fields it knows).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct QueryRecord {
    /// The text looked up.
    pub text: String,
    /// The source segment before it in its document (for 101 % matches).
    #[serde(default)]
    pub prev: Option<String>,
    /// The source segment after it.
    #[serde(default)]
    pub next: Option<String>,
    /// Its inline markup.
    #[serde(default)]
    pub markup: Option<String>,
    /// The client's id of the query, echoed with its answer.
    #[serde(default)]
    pub id: Option<serde_json::Value>,
}

/// The thresholds and switches of a lookup as given (`None`: the default), before
/// they are checked.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LookupRequest {
    /// The lowest match percentage returned (default [`LookupRequest::DEFAULT_MIN_PERCENT`]).
    pub min_percent: Option<u32>,
    /// The most matches returned (default [`LookupRequest::DEFAULT_MAX`]).
    pub max: Option<usize>,
    /// Match language tags exactly.
    pub strict_lang: bool,
    /// Compare with every stored text instead of using the index.
    pub exhaustive: bool,
}

impl LookupRequest {
    /// The lowest match percentage when none is given.
    pub const DEFAULT_MIN_PERCENT: u32 = 70;
    /// The most matches when no number is given.
    pub const DEFAULT_MAX: usize = 5;
    /// The match percentages a lookup may ask for: 1 to 101 (the same text in the
    /// same context).
    pub const MIN_PERCENT: RangeInclusive<u32> = 1..=101;

    /// A request with the defaults.
    pub fn new() -> LookupRequest {
        LookupRequest::default()
    }

    /// A lowest match percentage, checked (`Invalid` outside 1-101; the message
    /// starts with the number, for the caller to name its parameter before it).
    pub fn check_min_percent(min: u32) -> Result<u32> {
        if !Self::MIN_PERCENT.contains(&min) {
            return Err(Error::invalid(format!(
                "{min} is not in 1..=101 (the lowest match percentage must be 1-101)"
            )));
        }
        Ok(min)
    }

    /// A number of matches, checked: 0 would show nothing.
    pub fn check_max(max: usize) -> Result<usize> {
        if max == 0 {
            return Err(Error::invalid("0 would show nothing: give 1 or more"));
        }
        Ok(max)
    }

    /// Refuses a query longer than a stored text may be: it could match nothing
    /// stored, and would be slow to compare and to echo.
    pub fn check_text(text: &str) -> Result<()> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(Error::invalid(format!(
                "the query is {} long; a query may be at most {} (the memory's limit for a \
                 text): look up one segment at a time",
                count(text.len() as u64, "byte"),
                count(MAX_TEXT_BYTES as u64, "byte")
            )));
        }
        Ok(())
    }

    /// The options of lookups for translations into `target`: the thresholds
    /// checked, the defaults filled in.
    pub fn options(&self, target: LangTag) -> Result<LookupOptions> {
        let mut options = LookupOptions::new(target);
        options.min_percent =
            Self::check_min_percent(self.min_percent.unwrap_or(Self::DEFAULT_MIN_PERCENT))?;
        options.max = Self::check_max(self.max.unwrap_or(Self::DEFAULT_MAX))?;
        options.strict_lang = self.strict_lang;
        options.exhaustive = self.exhaustive;
        Ok(options)
    }

    /// One query in `lang`, its length checked, with the segments around it in its
    /// document (for 101 % matches) and its inline markup.
    pub fn query(
        &self,
        lang: &LangTag,
        text: String,
        prev: Option<String>,
        next: Option<String>,
        markup: Option<String>,
    ) -> Result<Query> {
        Self::check_text(&text)?;
        let mut query = Query::new(text, lang.clone());
        query.prev = prev;
        query.next = next;
        query.markup = markup;
        Ok(query)
    }

    /// The query of a [`QueryRecord`] in `lang` (checked as [`LookupRequest::query`]),
    /// and its id.
    pub fn record_query(
        &self,
        lang: &LangTag,
        record: QueryRecord,
    ) -> Result<(Query, Option<serde_json::Value>)> {
        let query = self.query(lang, record.text, record.prev, record.next, record.markup)?;
        Ok((query, record.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record refuses a field it does not know, naming the ones it does; flattened
    /// into a reader's own type it lets them pass (the server's batch lookup).
    #[test]
    fn query_records_strict_alone_lenient_flattened() {
        let line = r#"{"text": "Open.", "prev": "Before.", "id": 7}"#;
        let r: QueryRecord = serde_json::from_str(line).unwrap();
        assert_eq!(
            (r.text.as_str(), r.prev.as_deref()),
            ("Open.", Some("Before."))
        );
        assert_eq!((&r.next, &r.markup), (&None, &None));
        assert_eq!(r.id, Some(serde_json::json!(7)));
        let typo = r#"{"text": "Open.", "perv": "Before."}"#;
        let err = serde_json::from_str::<QueryRecord>(typo).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "unknown field `perv`, expected one of `text`, `prev`, `next`, `markup`, `id`"
            ),
            "{err}"
        );
        #[derive(Deserialize)]
        struct Lenient {
            #[serde(flatten)]
            record: QueryRecord,
        }
        let l: Lenient = serde_json::from_str(typo).unwrap();
        assert_eq!((l.record.text.as_str(), l.record.prev), ("Open.", None));
        let missing = serde_json::from_str::<QueryRecord>(r#"{"prev": "x"}"#).unwrap_err();
        assert!(
            missing.to_string().starts_with("missing field `text`"),
            "{missing}"
        );

        let ru = LangTag::parse("ru").unwrap();
        let (query, id) = LookupRequest::new().record_query(&ru, r).unwrap();
        assert_eq!(
            (query.text.as_str(), query.prev.as_deref()),
            ("Open.", Some("Before."))
        );
        assert_eq!(id, Some(serde_json::json!(7)));
    }

    #[test]
    fn defaults_checks_and_wording() {
        let ru = LangTag::parse("ru").unwrap();
        let options = LookupRequest::new().options(ru.clone()).unwrap();
        assert_eq!((options.min_percent, options.max), (70, 5));
        let mut request = LookupRequest::new();
        request.min_percent = Some(101);
        request.max = Some(1000);
        request.strict_lang = true;
        let options = request.options(ru.clone()).unwrap();
        assert_eq!((options.min_percent, options.max), (101, 1000));
        assert!(options.strict_lang && !options.exhaustive);
        for min in [0, 102] {
            request.min_percent = Some(min);
            let err = request.options(ru.clone()).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{min} is not in 1..=101")),
                "{err}"
            );
        }
        request.min_percent = None;
        request.max = Some(0);
        let err = request.options(ru).unwrap_err().to_string();
        assert_eq!(err, "0 would show nothing: give 1 or more");

        let en = LangTag::parse("en").unwrap();
        let q = request
            .query(&en, "Open it.".into(), Some("Before.".into()), None, None)
            .unwrap();
        assert_eq!(
            (q.text.as_str(), q.prev.as_deref()),
            ("Open it.", Some("Before."))
        );
        let long = "a".repeat(MAX_TEXT_BYTES + 1);
        let err = request
            .query(&en, long, None, None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the query is 65537 bytes long; a query may be at most 65536 bytes"),
            "{err}"
        );
    }
}
