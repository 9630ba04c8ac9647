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

impl LangTag {
    /// The script subtag (`Hant` of `zh-Hant-TW`), or the one a Chinese region implies
    /// (`Hant` for `zh-TW`, `zh-HK`, `zh-MO`; `Hans` for `zh-CN`, `zh-SG`).
    pub fn script(&self) -> Option<&str> {
        let mut subtags = self.0.split('-').skip(1);
        let second = subtags.next()?;
        if second.len() == 4 && second.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Some(second);
        }
        match (self.primary(), second) {
            ("zh", "TW" | "HK" | "MO") => Some("Hant"),
            ("zh", "CN" | "SG") => Some("Hans"),
            _ => None,
        }
    }

    /// True if `self` and `other` are variants of one language: the same primary
    /// subtag (`en-GB`, `en`, `en-US`), not written in different scripts (`sr-Latn`
    /// and `sr-Cyrl`, `zh-Hant` and `zh-CN` are not).
    pub fn same_language(&self, other: &LangTag) -> bool {
        self.primary() == other.primary()
            && match (self.script(), other.script()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    /// Checks that the language subtag is one a BCP 47 tag may have, beyond its
    /// shape: not a three-letter ISO 639-2/3 code of a language that has a two-letter
    /// one (`eng`, `rus`, `ger`: BCP 47 uses the shortest code), not a name (`english`:
    /// subtags of five to eight letters are reserved). Errors suggest the tag meant.
    pub fn check_language_subtag(&self) -> Result<(), Error> {
        let primary = self.primary();
        if let Some(code) = suggest(primary) {
            let rest = &self.0[primary.len()..];
            return Err(Error::invalid(format!(
                "{:?} is not a BCP 47 language tag: use {code}{rest} (BCP 47 takes the \
                 two-letter ISO 639-1 code where a language has one)",
                self.0
            )));
        }
        if (5..=8).contains(&primary.len()) {
            return Err(Error::invalid(format!(
                "{:?} is not a BCP 47 language tag: the language is a two- or three-letter \
                 code (en, ru, de, zh, haw…)",
                self.0
            )));
        }
        Ok(())
    }
}

/// The two-letter code of a common language given by its ISO 639-2/3 code (`eng`,
/// `deu`, `ger`) or English name (`english`, `German`), if `word` is one.
pub fn suggest(word: &str) -> Option<&'static str> {
    let word = word.trim().to_ascii_lowercase();
    LANGUAGES
        .iter()
        .find(|(_, codes, names)| {
            codes.split(' ').any(|c| c == word) || names.split(',').any(|n| n == word)
        })
        .map(|(code, _, _)| *code)
}

/// Common languages: ISO 639-1 code, ISO 639-2/T and /B (and 639-3 where other)
/// codes, English names.
const LANGUAGES: &[(&str, &str, &str)] = &[
    ("af", "afr", "afrikaans"),
    ("am", "amh", "amharic"),
    ("ar", "ara arb", "arabic"),
    ("az", "aze azj", "azerbaijani,azeri"),
    ("be", "bel", "belarusian"),
    ("bg", "bul", "bulgarian"),
    ("bn", "ben", "bengali,bangla"),
    ("bs", "bos", "bosnian"),
    ("ca", "cat", "catalan"),
    ("cs", "ces cze", "czech"),
    ("cy", "cym wel", "welsh"),
    ("da", "dan", "danish"),
    ("de", "deu ger", "german,deutsch"),
    ("el", "ell gre", "greek"),
    ("en", "eng", "english"),
    ("eo", "epo", "esperanto"),
    ("es", "spa", "spanish,castilian,espanol"),
    ("et", "est ekk", "estonian"),
    ("eu", "eus baq", "basque"),
    ("fa", "fas per pes", "persian,farsi"),
    ("fi", "fin", "finnish"),
    ("fr", "fra fre", "french,francais"),
    ("fy", "fry", "frisian"),
    ("ga", "gle", "irish"),
    ("gd", "gla", "gaelic"),
    ("gl", "glg", "galician"),
    ("gu", "guj", "gujarati"),
    ("ha", "hau", "hausa"),
    ("he", "heb", "hebrew"),
    ("hi", "hin", "hindi"),
    ("hr", "hrv", "croatian"),
    ("hu", "hun", "hungarian"),
    ("hy", "hye arm", "armenian"),
    ("id", "ind", "indonesian"),
    ("ig", "ibo", "igbo"),
    ("is", "isl ice", "icelandic"),
    ("it", "ita", "italian"),
    ("ja", "jpn", "japanese"),
    ("ka", "kat geo", "georgian"),
    ("kk", "kaz", "kazakh"),
    ("km", "khm", "khmer"),
    ("kn", "kan", "kannada"),
    ("ko", "kor", "korean"),
    ("ku", "kur", "kurdish"),
    ("ky", "kir", "kyrgyz,kirghiz"),
    ("la", "lat", "latin"),
    ("lb", "ltz", "luxembourgish"),
    ("lo", "lao", "lao,laotian"),
    ("lt", "lit", "lithuanian"),
    ("lv", "lav lvs", "latvian"),
    ("mk", "mkd mac", "macedonian"),
    ("ml", "mal", "malayalam"),
    ("mn", "mon khk", "mongolian"),
    ("mr", "mar", "marathi"),
    ("ms", "msa may zsm", "malay"),
    ("mt", "mlt", "maltese"),
    ("my", "mya bur", "burmese"),
    ("nb", "nob", "bokmal"),
    ("ne", "nep npi", "nepali"),
    ("nl", "nld dut", "dutch,flemish"),
    ("nn", "nno", "nynorsk"),
    ("no", "nor", "norwegian"),
    ("pa", "pan", "punjabi,panjabi"),
    ("pl", "pol", "polish"),
    ("ps", "pus pbt", "pashto"),
    ("pt", "por", "portuguese"),
    ("ro", "ron rum", "romanian,moldavian"),
    ("ru", "rus", "russian"),
    ("si", "sin", "sinhala,sinhalese"),
    ("sk", "slk slo", "slovak"),
    ("sl", "slv", "slovenian,slovene"),
    ("so", "som", "somali"),
    ("sq", "sqi alb als", "albanian"),
    ("sr", "srp", "serbian"),
    ("sv", "swe", "swedish"),
    ("sw", "swa swh", "swahili"),
    ("ta", "tam", "tamil"),
    ("te", "tel", "telugu"),
    ("tg", "tgk", "tajik"),
    ("th", "tha", "thai"),
    ("tl", "tgl", "tagalog"),
    ("tr", "tur", "turkish"),
    ("tt", "tat", "tatar"),
    ("uk", "ukr", "ukrainian"),
    ("ur", "urd", "urdu"),
    ("uz", "uzb uzn", "uzbek"),
    ("vi", "vie", "vietnamese"),
    ("xh", "xho", "xhosa"),
    ("yi", "yid", "yiddish"),
    ("yo", "yor", "yoruba"),
    ("zh", "zho chi cmn", "chinese,mandarin"),
    ("zu", "zul", "zulu"),
];

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
    fn variants_of_one_language() {
        let t = |s: &str| LangTag::parse(s).unwrap();
        assert!(t("en-GB").same_language(&t("en")));
        assert!(t("en-GB").same_language(&t("en-US")));
        assert!(t("ru-RU").same_language(&t("ru")));
        assert!(!t("en").same_language(&t("eng")));
        assert!(!t("sr-Latn").same_language(&t("sr-Cyrl")));
        assert!(t("sr-Latn").same_language(&t("sr")));
        assert!(!t("zh-Hant").same_language(&t("zh-CN")));
        assert!(t("zh-TW").same_language(&t("zh-Hant-HK")));
        assert_eq!(t("zh-Hant-TW").script(), Some("Hant"));
        assert_eq!(t("en-US").script(), None);
    }

    #[test]
    fn language_subtags_people_mistype() {
        let t = |s: &str| LangTag::parse(s).unwrap();
        for (bad, meant) in [
            ("eng", "en"),
            ("rus", "ru"),
            ("ger", "de"),
            ("deu-CH", "de-CH"),
            ("english", "en"),
            ("Russian", "ru"),
            ("chi", "zh"),
        ] {
            let msg = t(bad).check_language_subtag().unwrap_err().to_string();
            assert!(msg.contains(&format!("use {meant}")), "{bad}: {msg}");
        }
        let msg = t("klingon")
            .check_language_subtag()
            .unwrap_err()
            .to_string();
        assert!(msg.contains("two- or three-letter"), "{msg}");
        for good in [
            "en",
            "en-GB",
            "haw",
            "yue",
            "fil",
            "zh-Hant-TW",
            "x-klingon",
            "qaa",
        ] {
            assert!(t(good).check_language_subtag().is_ok(), "{good}");
        }
        assert_eq!(suggest("Portuguese"), Some("pt"));
        assert_eq!(suggest("thai"), Some("th"));
        assert_eq!(suggest("xyz"), None);
    }

    #[test]
    fn serde_round_trip_normalises() {
        let tag: LangTag = serde_json::from_str("\"pt_br\"").unwrap();
        assert_eq!(serde_json::to_string(&tag).unwrap(), "\"pt-BR\"");
        assert!(serde_json::from_str::<LangTag>("\"\"").is_err());
    }
}
