//! Pre-translating XLIFF: each fillable segment looked up in the memory (in context:
//! the segments before and after it in the same `<file>`), its empty target filled
//! with the best match and candidates recorded beside it, and what was done counted.
//! `bitext pretranslate` feeds it the batches of a streamed file, the server one
//! whole request body.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::formats::xliff::{Content, Match, XliffDocument};
use crate::memory::{Analyzed, Hit, LookupOptions, Memory, Query};
use crate::pretranslate::Analysis;
use crate::text::LangTag;
use crate::unit::Variant;

/// Which matches fill a target and which are recorded beside it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FillOptions {
    /// The lowest match percentage written as a target.
    pub min: u32,
    /// The lowest percentage of the matches recorded as candidates.
    pub candidate_min: u32,
    /// How many matches to record per segment (0: none).
    pub candidates: usize,
    /// Look up only the exact target language (`en` does not find `en-US`).
    pub strict_lang: bool,
    /// The matches' origin ("bitext:MEMORY").
    pub origin: String,
}

impl Default for FillOptions {
    /// Exact matches fill targets; up to three matches of 70 % or more are recorded.
    fn default() -> FillOptions {
        FillOptions {
            min: 100,
            candidate_min: 70,
            candidates: 3,
            strict_lang: false,
            origin: "bitext".to_string(),
        }
    }
}

impl FillOptions {
    /// The lookups that find what these options fill and record, in `target`.
    pub fn lookup_options(&self, target: LangTag) -> LookupOptions {
        let mut options = LookupOptions::new(target);
        options.min_percent = self.min.min(self.candidate_min);
        options.max = self.candidates.max(1);
        options.strict_lang = self.strict_lang;
        options
    }
}

/// What filling did.
#[derive(Debug, Clone, Default)]
pub struct Filled {
    /// Segments that could be filled (not left out by design).
    pub segments: u64,
    /// Targets filled with an exact (100 % or in-context) match.
    pub exact: u64,
    /// Targets filled with a fuzzy match.
    pub fuzzy: u64,
    /// Segments left as they were, by reason.
    pub left: BTreeMap<String, u64>,
    /// The match bands and word counts of the segments.
    pub analysis: Analysis,
}

/// Fills the targets of one XLIFF file, batch after batch, from a memory.
pub struct XliffFiller<'m> {
    memory: &'m Memory,
    options: FillOptions,
    /// The source language and lookups; `None` (an empty memory) fills nothing.
    lookup: Option<(LangTag, LookupOptions)>,
    /// The last segment of the batch before: its `<file>` and source (context).
    before: Option<(usize, String)>,
    filled: Filled,
}

impl<'m> XliffFiller<'m> {
    /// A filler that fills nothing until [`XliffFiller::look_up`] gives it languages.
    pub fn new(memory: &'m Memory, options: FillOptions) -> XliffFiller<'m> {
        XliffFiller {
            memory,
            options,
            lookup: None,
            before: None,
            filled: Filled::default(),
        }
    }

    /// Looks up segments in `source` for translations in `target`.
    pub fn look_up(&mut self, source: LangTag, target: LangTag) {
        let options = self.options.lookup_options(target);
        self.lookup = Some((source, options));
    }

    /// Whether the languages are set.
    pub fn has_languages(&self) -> bool {
        self.lookup.is_some()
    }

    /// The languages the file declares (`source-language`, `target-language` or
    /// `srcLang`, `trgLang`), as written: the default of the lookup's.
    pub fn declared_languages(doc: &XliffDocument) -> (Option<String>, Option<String>) {
        let units = doc.units();
        (
            units.iter().find_map(|u| u.source_lang_raw.clone()),
            units.iter().find_map(|u| u.target_lang_raw.clone()),
        )
    }

    /// Fills the fillable segments of `doc`, the next batch of the file (or all of it).
    pub fn fill(&mut self, doc: &mut XliffDocument) -> Result<()> {
        // Every segment of the batch with its unit's file, for the context of lookups.
        let order: Vec<(usize, usize)> = doc
            .units()
            .iter()
            .enumerate()
            .flat_map(|(u, unit)| (0..unit.segments.len()).map(move |s| (u, s)))
            .collect();
        let filled = &mut self.filled;
        for (k, &(u, s)) in order.iter().enumerate() {
            let fillable = doc.fillable(u, s);
            let units = doc.units();
            let unit = &units[u];
            let segment = &unit.segments[s];
            let file = unit.file_index;
            let text = segment.source.text.clone();
            let prev = match k.checked_sub(1) {
                Some(j) => {
                    let (pu, ps) = order[j];
                    Some((
                        units[pu].file_index,
                        units[pu].segments[ps].source.text.clone(),
                    ))
                }
                None => self.before.take(),
            };
            let next = match order.get(k + 1) {
                Some(&(nu, ns)) => Some((
                    units[nu].file_index,
                    units[nu].segments[ns].source.text.clone(),
                )),
                None => doc.next_source().map(|(f, t)| (f, t.to_string())),
            };
            let same_file =
                |n: Option<(usize, String)>| n.filter(|(f, _)| *f == file).map(|(_, t)| t);
            if k + 1 == order.len() {
                self.before = Some((file, text.clone()));
            }
            if let Err(skip) = fillable {
                *filled.left.entry(skip.reason().to_string()).or_default() += 1;
                continue;
            }
            filled.segments += 1;
            let analyzed = Analyzed::new(&text);
            let hits: Vec<Hit> = match &self.lookup {
                Some((src, options)) if !analyzed.is_empty() => {
                    let mut query = Query::new(text.clone(), src.clone());
                    query.markup = segment.source.markup.clone();
                    query.prev = same_file(prev);
                    query.next = same_file(next);
                    self.memory.lookup(&query, options)?
                }
                // An empty memory, or nothing a memory can match.
                _ => Vec::new(),
            };
            let options = &self.options;
            let matches: Vec<Match> = hits
                .iter()
                .map(|h| Match {
                    percent: h.score.percent,
                    source: content(&h.source),
                    target: content(&h.target),
                    origin: options.origin.clone(),
                })
                .collect();
            let best = matches.first().filter(|m| m.percent >= options.min);
            filled
                .analysis
                .add(&text, analyzed.word_count(), best.map(|m| m.percent));
            let rest: Vec<Match> = if options.candidates == 0 {
                Vec::new()
            } else {
                let skip = usize::from(best.is_some());
                matches
                    .iter()
                    .skip(skip)
                    .filter(|m| m.percent >= options.candidate_min)
                    .take(options.candidates - skip.min(options.candidates))
                    .cloned()
                    .collect()
            };
            match doc.fill(u, s, best, &rest)? {
                Ok(()) => match best {
                    Some(m) if m.percent >= 100 => filled.exact += 1,
                    Some(_) => filled.fuzzy += 1,
                    None => {}
                },
                Err(why) => *filled.left.entry(why.to_string()).or_default() += 1,
            }
        }
        Ok(())
    }

    /// What was done so far.
    pub fn filled(&self) -> &Filled {
        &self.filled
    }

    /// What was done.
    pub fn into_filled(self) -> Filled {
        self.filled
    }
}

fn content(v: &Variant) -> Content {
    Content {
        text: v.text.clone(),
        markup: v.markup.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::WriteOptions;
    use crate::unit::TranslationUnit;

    fn tag(t: &str) -> LangTag {
        LangTag::parse(t).unwrap()
    }

    const XLIFF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="t.txt" source-language="en" target-language="de" datatype="plaintext">
    <body>
      <trans-unit id="1"><source>Good morning, everyone.</source><target/></trans-unit>
      <trans-unit id="2"><source>Nothing like it is stored.</source><target/></trans-unit>
    </body>
  </file>
</xliff>
"#;

    #[test]
    fn fills_exact_matches_and_counts_the_rest() {
        let mut memory = Memory::in_memory().unwrap();
        let mut writer = memory.writer(WriteOptions::default()).unwrap();
        let unit = TranslationUnit::pair(
            tag("en"),
            "Good morning, everyone.",
            tag("de"),
            "Guten Morgen allerseits.",
        );
        writer.add(&unit).unwrap();
        writer.commit().unwrap();
        let mut doc = XliffDocument::parse(XLIFF.as_bytes().to_vec(), None).unwrap();
        let mut filler = XliffFiller::new(&memory, FillOptions::default());
        let (src, tgt) = XliffFiller::declared_languages(&doc);
        assert_eq!((src.as_deref(), tgt.as_deref()), (Some("en"), Some("de")));
        filler.look_up(tag("en"), tag("de"));
        filler.fill(&mut doc).unwrap();
        let filled = filler.into_filled();
        assert_eq!((filled.segments, filled.exact, filled.fuzzy), (2, 1, 0));
        assert_eq!(filled.analysis.words(), 8);
        let out = String::from_utf8(doc.output().unwrap()).unwrap();
        assert!(out.contains("Guten Morgen allerseits."), "{out}");
    }

    #[test]
    fn without_languages_nothing_is_filled() {
        let memory = Memory::in_memory().unwrap();
        let mut doc = XliffDocument::parse(XLIFF.as_bytes().to_vec(), None).unwrap();
        let mut filler = XliffFiller::new(&memory, FillOptions::default());
        filler.fill(&mut doc).unwrap();
        assert!(!filler.has_languages());
        let filled = filler.filled();
        assert_eq!((filled.segments, filled.exact + filled.fuzzy), (2, 0));
        assert!(!doc.is_changed());
    }
}
