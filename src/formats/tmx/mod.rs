//! TMX (Translation Memory eXchange): a streaming reader tolerant of what real tools
//! write (TMX 1.1 to 1.4b, UTF-8 and UTF-16, odd headers, inline markup of every
//! kind) and a writer of valid TMX 1.4b.

pub mod inline;
pub mod reader;
pub mod writer;

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

use crate::text::LangTag;
use crate::unit::{Note, Prop, Provenance};

/// What the `<header>` of a TMX file says, kept so a conversion can carry it over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TmxHeader {
    /// `tmx@version` as written (`1.4`, `1.1`, `1.4b`), if any.
    pub version: Option<String>,
    /// `creationtool`.
    pub creation_tool: Option<String>,
    /// `creationtoolversion`.
    pub creation_tool_version: Option<String>,
    /// `segtype` (`sentence`, `paragraph`, `block`, `phrase`).
    pub seg_type: Option<String>,
    /// `o-tmf`: the format of the memory the file was exported from.
    pub o_tmf: Option<String>,
    /// `adminlang`.
    pub admin_lang: Option<String>,
    /// `srclang` as written: a language tag or `*all*`.
    pub src_lang: Option<String>,
    /// `datatype`.
    pub data_type: Option<String>,
    /// `o-encoding`.
    pub o_encoding: Option<String>,
    /// `creationdate`, `creationid`, `changedate`, `changeid`.
    pub provenance: Provenance,
    /// Header `<prop>`s.
    pub props: Vec<Prop>,
    /// Header `<note>`s.
    pub notes: Vec<Note>,
    /// `<ude>` (user-defined encoding) elements, as XML.
    pub udes: Vec<String>,
    /// Any other attributes of `<header>` (and of `<tmx>`, such as namespace
    /// declarations), as `(name, value)`.
    pub other_attributes: Vec<(String, String)>,
}

impl TmxHeader {
    /// The header's source language, unless it is `*all*` or not a valid tag.
    pub fn source_lang(&self) -> Option<LangTag> {
        self.src_lang
            .as_deref()
            .filter(|s| s.trim() != "*all*")
            .and_then(|s| LangTag::parse(s).ok())
    }
}

/// How the TMX writer treats inline markup (`Variant::markup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InlineMode {
    /// Valid TMX 1.4b: markup that the DTD allows is written exactly as kept;
    /// anything else is made valid the way TMX itself represents native codes (see
    /// [`inline::sanitize`]): foreign elements become `<ph>` or `<bpt>`/`<ept>` holding
    /// their XML as text, attributes the DTD lacks are dropped.
    #[default]
    Valid,
    /// Markup written exactly as kept, even where the TMX DTD does not allow it.
    Verbatim,
}

/// Parses a TMX date: `YYYYMMDDThhmmssZ` as the standard says, and, as some tools
/// write, without the `Z` (read as UTC), in RFC 3339 form, or as an ISO 8601
/// date-time without offset (UTC). Fractions of a second are dropped.
pub fn parse_tmx_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let compact = (bytes.len() == 16 && bytes[15] == b'Z') || bytes.len() == 15;
    // (ASCII first: the fields are sliced by byte offsets.)
    if compact && value.is_ascii() && bytes[8] == b'T' {
        let digits = |range: std::ops::Range<usize>| -> Option<i32> {
            let part = &value[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let datetime = DateTime::new(
            i16::try_from(digits(0..4)?).ok()?,
            i8::try_from(digits(4..6)?).ok()?,
            i8::try_from(digits(6..8)?).ok()?,
            i8::try_from(digits(9..11)?).ok()?,
            i8::try_from(digits(11..13)?).ok()?,
            i8::try_from(digits(13..15)?).ok()?,
            0,
        )
        .ok()?;
        return Offset::UTC.to_timestamp(datetime).ok();
    }
    // RFC 3339, or an ISO 8601 date-time without offset (Pontoon writes those),
    // taken as UTC; TMX dates have whole seconds.
    let timestamp = value.parse::<Timestamp>().ok().or_else(|| {
        let datetime = value.parse::<DateTime>().ok()?;
        Offset::UTC.to_timestamp(datetime).ok()
    })?;
    Timestamp::from_second(timestamp.as_second()).ok()
}

/// Formats a date as TMX wants it: `YYYYMMDDThhmmssZ` (UTC, whole seconds).
pub fn format_tmx_date(timestamp: Timestamp) -> String {
    let dt = Offset::UTC.to_datetime(timestamp);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmx_dates() {
        let ts = parse_tmx_date("20111027T072546Z").unwrap();
        assert_eq!(ts.to_string(), "2011-10-27T07:25:46Z");
        assert_eq!(format_tmx_date(ts), "20111027T072546Z");
        assert_eq!(parse_tmx_date("20111027T072546"), Some(ts));
        assert_eq!(parse_tmx_date("2011-10-27T07:25:46Z"), Some(ts));
        assert_eq!(parse_tmx_date("2011-10-27T07:25:46.923807"), Some(ts));
        assert_eq!(parse_tmx_date("2011-10-27T09:25:46+02:00"), Some(ts));
        assert_eq!(parse_tmx_date("20111327T072546Z"), None);
        assert_eq!(parse_tmx_date("2011102xT072546Z"), None);
        assert_eq!(parse_tmx_date(""), None);
        // Found by fuzzing: non-ASCII where the digits should be panicked (byte slicing).
        assert_eq!(parse_tmx_date("2019\u{FEFF}2T110506Z"), None);
        assert_eq!(parse_tmx_date("10100050T00\u{470D8}"), None);
    }

    #[test]
    fn header_source_lang() {
        let mut header = TmxHeader {
            src_lang: Some("*all*".into()),
            ..TmxHeader::default()
        };
        assert_eq!(header.source_lang(), None);
        header.src_lang = Some("EN-us".into());
        assert_eq!(header.source_lang().unwrap().as_str(), "en-US");
    }
}
