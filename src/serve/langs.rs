//! Language parameters, checked against the memory as the CLI checks `-s`/`-t`
//! (`src/cli/tm.rs`), with the same messages naming the API's parameters.

use super::error::{ApiError, ApiResult};
use crate::memory::Memory;
use crate::text::{suggest_language, LangTag};

/// A language tag a client gave as `what`: its shape, and a language subtag BCP 47
/// allows (`eng` is refused with "use en").
pub fn lang(raw: &str, what: &str) -> ApiResult<LangTag> {
    let tag = lang_syntax(raw, what)?;
    tag.check_language_subtag()
        .map_err(|e| ApiError::bad(format!("{what} {raw:?}: {e}")))?;
    Ok(tag)
}

fn lang_syntax(raw: &str, what: &str) -> ApiResult<LangTag> {
    LangTag::parse(raw).map_err(|err| match suggest_language(raw) {
        Some(code) => ApiError::bad(format!(
            "{what} {raw:?}: not a BCP 47 language tag: use {code} (BCP 47 takes the \
             two-letter ISO 639-1 code where a language has one)"
        )),
        None => ApiError::bad(format!("{what} {raw:?}: {err}")),
    })
}

/// Refuses the same tag on both sides.
pub fn distinct(src: &LangTag, tgt: &LangTag) -> ApiResult<()> {
    if src == tgt {
        return Err(ApiError::bad(format!(
            "src and tgt are both {src}: give the language to translate into with tgt"
        )));
    }
    Ok(())
}

/// The source and target of a lookup: a side not given is the memory's only choice;
/// a pair the memory holds no units of is refused with the pairs it holds (lookups go
/// either way; another variant of a language serves it).
pub fn lookup_langs(
    memory: &Memory,
    src: Option<&str>,
    tgt: Option<&str>,
) -> ApiResult<(LangTag, LangTag)> {
    let held = memory.languages()?;
    let held_tags = held.tags();
    let given = |raw: Option<&str>, what: &str| -> ApiResult<Option<LangTag>> {
        let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
            return Ok(None);
        };
        let tag = lang_syntax(raw, what)?;
        if !held_tags.contains(&tag) {
            tag.check_language_subtag()
                .map_err(|e| ApiError::bad(format!("{what} {raw:?}: {e}")))?;
        }
        Ok(Some(tag))
    };
    let (src, tgt) = (given(src, "src")?, given(tgt, "tgt")?);
    let (src, tgt) = match (src, tgt) {
        (Some(s), Some(t)) => (s, t),
        (s, t) => {
            let mut choices = held.pair_choices(s.as_ref(), t.as_ref());
            let missing = match (&s, &t) {
                (None, None) => "src and tgt",
                (Some(_), None) => "tgt",
                _ => "src",
            };
            match choices.len() {
                1 => choices.remove(0),
                0 => {
                    return Err(ApiError::bad(format!(
                        "give {missing}: the memory holds no language pair to take them from; \
                         its pairs: {}",
                        held.pairs_list()
                    )))
                }
                _ => {
                    return Err(ApiError::bad(format!(
                        "give {missing}: the memory holds several language pairs: {} (lookups \
                         go either way)",
                        held.pairs_list()
                    )))
                }
            }
        }
    };
    distinct(&src, &tgt)?;
    if !held.may_hold_pair(&src, &tgt) {
        return Err(ApiError::bad(format!(
            "the memory holds no {src} -> {tgt} units; its language pairs: {} (lookups go \
             either way); choose them with src and tgt",
            held.pairs_list()
        )));
    }
    Ok((src, tgt))
}

/// A language filter of a concordance search: the memory must hold the language
/// (itself or a variant of it).
pub fn held_lang(memory: &Memory, raw: &str, what: &str) -> ApiResult<LangTag> {
    let held = memory.languages()?;
    let tag = lang_syntax(raw, what)?;
    if held.tags().contains(&tag) {
        return Ok(tag);
    }
    tag.check_language_subtag()
        .map_err(|e| ApiError::bad(format!("{what} {raw:?}: {e}")))?;
    if !held.serves(&tag) {
        return Err(ApiError::bad(format!(
            "{what} {tag}: the memory holds no {tag} texts; its languages: {}",
            held.languages_list()
        )));
    }
    Ok(tag)
}
