//! Language parameters, checked against the memory as the CLI checks `-s`/`-t`
//! (`src/cli/tm.rs`), with the same messages naming the API's parameters.

use super::error::{ApiError, ApiResult};
use crate::memory::{Languages, Memory};
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

fn pairs_list(held: &Languages) -> String {
    if held.pairs.is_empty() {
        return "none: the memory holds no units yet".to_string();
    }
    held.pairs
        .iter()
        .map(|p| {
            let s = if p.units == 1 { "" } else { "s" };
            format!("{} -> {} ({} unit{s})", p.source, p.target, p.units)
        })
        .collect::<Vec<_>>()
        .join(", ")
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
    let held_tags: Vec<LangTag> = held
        .languages
        .iter()
        .filter_map(|(t, _)| LangTag::parse(t).ok())
        .collect();
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
    let serves =
        |stored: &LangTag, asked: &LangTag| stored.matches(asked) || stored.same_language(asked);
    let pairs: Vec<(LangTag, LangTag)> = held
        .pairs
        .iter()
        .filter_map(|p| {
            Some((
                LangTag::parse(&p.source).ok()?,
                LangTag::parse(&p.target).ok()?,
            ))
        })
        .collect();
    let directions = || pairs.iter().flat_map(|(a, b)| [(a, b), (b, a)]);
    let (src, tgt) = match (src, tgt) {
        (Some(s), Some(t)) => (s, t),
        (s, t) => {
            let mut choices: Vec<(LangTag, LangTag)> = if s.is_none() && t.is_none() {
                pairs.clone()
            } else {
                directions()
                    .filter(|(a, b)| {
                        s.as_ref().is_none_or(|s| serves(a, s))
                            && t.as_ref().is_none_or(|t| serves(b, t))
                    })
                    .map(|(a, b)| {
                        (
                            s.clone().unwrap_or_else(|| a.clone()),
                            t.clone().unwrap_or_else(|| b.clone()),
                        )
                    })
                    .collect()
            };
            choices.sort();
            choices.dedup();
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
                        pairs_list(&held)
                    )))
                }
                _ => {
                    return Err(ApiError::bad(format!(
                        "give {missing}: the memory holds several language pairs: {} (lookups \
                         go either way)",
                        pairs_list(&held)
                    )))
                }
            }
        }
    };
    distinct(&src, &tgt)?;
    if !directions().any(|(a, b)| serves(a, &src) && serves(b, &tgt)) {
        let holds = |asked: &LangTag| held_tags.iter().any(|h| serves(h, asked));
        if !holds(&src) || !holds(&tgt) || held.pairs_complete() {
            return Err(ApiError::bad(format!(
                "the memory holds no {src} -> {tgt} units; its language pairs: {} (lookups go \
                 either way); choose them with src and tgt",
                pairs_list(&held)
            )));
        }
    }
    Ok((src, tgt))
}

/// A language filter of a concordance search: the memory must hold the language
/// (itself or a variant of it).
pub fn held_lang(memory: &Memory, raw: &str, what: &str) -> ApiResult<LangTag> {
    let held = memory.languages()?;
    let tag = lang_syntax(raw, what)?;
    let held_tags: Vec<LangTag> = held
        .languages
        .iter()
        .filter_map(|(t, _)| LangTag::parse(t).ok())
        .collect();
    if held_tags.contains(&tag) {
        return Ok(tag);
    }
    tag.check_language_subtag()
        .map_err(|e| ApiError::bad(format!("{what} {raw:?}: {e}")))?;
    if !held_tags
        .iter()
        .any(|stored| stored.matches(&tag) || stored.same_language(&tag))
    {
        let list: Vec<String> = held
            .languages
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        return Err(ApiError::bad(format!(
            "{what} {tag}: the memory holds no {tag} texts; its languages: {}",
            if list.is_empty() {
                "none: the memory holds no units yet".to_string()
            } else {
                list.join(", ")
            }
        )));
    }
    Ok(tag)
}
