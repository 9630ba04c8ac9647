//! BCP 47 language tags, normalised the way translation tools expect: `en_us`,
//! `EN-US` and `en-US` are one language; `zh-hant-tw` becomes `zh-Hant-TW`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A normalised BCP 47 language tag (`en`, `en-US`, `zh-Hant-TW`, `sr-Latn`).
///
/// Parsing accepts `_` as a separator and any letter case, and checks the shape of
/// every subtag (RFC 5646 syntax); it does not check the registry, so a new or private
/// code (`x-klingon`, `qaa`) is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
// Shared text: every variant read carries a copy of its column's tag, and a clone is a
// count increment rather than an allocation.
pub struct LangTag(Arc<str>);

impl LangTag {
    /// Parses and normalises a tag. Errors name the tag and what is wrong with it.
    pub fn parse(input: &str) -> Result<LangTag, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("empty language tag"));
        }
        let mut out = String::with_capacity(trimmed.len());
        let mut private = false;
        for (i, raw) in trimmed.split(['-', '_']).enumerate() {
            let bad = |why: &str| Error::invalid(format!("invalid language tag {input:?}: {why}"));
            if raw.is_empty() {
                return Err(bad("empty subtag"));
            }
            if raw.len() > 8 || !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad(&format!("subtag {raw:?} is not 1-8 letters or digits")));
            }
            let sub = raw.to_ascii_lowercase();
            if i == 0 {
                let letters = sub.bytes().all(|b| b.is_ascii_alphabetic());
                let ok =
                    letters && (matches!(sub.len(), 2 | 3 | 5..=8) || sub == "x" || sub == "i");
                if !ok {
                    return Err(bad("the language subtag must be 2-3 or 5-8 letters"));
                }
                private = sub == "x";
                out.push_str(&sub);
                continue;
            }
            out.push('-');
            if private {
                out.push_str(&sub);
            } else if sub == "x" {
                private = true;
                out.push_str(&sub);
            } else if i >= 1 && sub.len() == 4 && sub.bytes().all(|b| b.is_ascii_alphabetic()) {
                // Script: title case (Latn, Cyrl, Hant).
                out.push_str(&sub[..1].to_ascii_uppercase());
                out.push_str(&sub[1..]);
            } else if (sub.len() == 2 && sub.bytes().all(|b| b.is_ascii_alphabetic()))
                || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit()))
            {
                // Region: upper case (US, BR) or UN M.49 digits (419).
                out.push_str(&sub.to_ascii_uppercase());
            } else {
                out.push_str(&sub);
            }
        }
        Ok(LangTag(out.into()))
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`en` for `en-US`), lower case.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// True if `self` is `other` or a more specific form of it: `en-US` matches `en`,
    /// `zh-Hant-TW` matches `zh-Hant`, but `en` does not match `en-US`.
    pub fn matches(&self, other: &LangTag) -> bool {
        self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.starts_with(&*other.0)
                && self.0.as_bytes()[other.0.len()] == b'-')
    }
}

impl fmt::Display for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LangTag {
    type Err = Error;

    fn from_str(s: &str) -> Result<LangTag, Error> {
        LangTag::parse(s)
    }
}

impl AsRef<str> for LangTag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for LangTag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LangTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LangTag, D::Error> {
        let s = String::deserialize(deserializer)?;
        LangTag::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        LangTag::parse(s).unwrap().to_string()
    }

    #[test]
    fn normalises_case_and_separators() {
        assert_eq!(norm("en_us"), "en-US");
        assert_eq!(norm("EN-US"), "en-US");
        assert_eq!(norm("En-uS"), "en-US");
        assert_eq!(norm("zh-hant-tw"), "zh-Hant-TW");
        assert_eq!(norm("sr-latn"), "sr-Latn");
        assert_eq!(norm("es-419"), "es-419");
        assert_eq!(norm(" de "), "de");
        assert_eq!(norm("x-Klingon"), "x-klingon");
        assert_eq!(norm("en-x-Foo-AB"), "en-x-foo-ab");
    }

    #[test]
    fn rejects_malformed_tags() {
        for bad in [
            "",
            " ",
            "e",
            "en-",
            "en--us",
            "1a",
            "en-toolongsubtag",
            "en us",
            "*all*",
            "ру",
        ] {
            assert!(LangTag::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let msg = LangTag::parse("en--us").unwrap_err().to_string();
        assert!(msg.contains("en--us"), "{msg}");
    }

    #[test]
    fn primary_and_matching() {
        let en_us = LangTag::parse("en-US").unwrap();
        let en = LangTag::parse("en").unwrap();
        let eng = LangTag::parse("eng").unwrap();
        assert_eq!(en_us.primary(), "en");
        assert!(en_us.matches(&en));
        assert!(en.matches(&en));
        assert!(!en.matches(&en_us));
        assert!(!eng.matches(&en));
    }

    #[test]
    fn serde_round_trip_normalises() {
        let tag: LangTag = serde_json::from_str("\"pt_br\"").unwrap();
        assert_eq!(serde_json::to_string(&tag).unwrap(), "\"pt-BR\"");
        assert!(serde_json::from_str::<LangTag>("\"\"").is_err());
    }
}
