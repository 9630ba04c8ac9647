//! XLIFF 1.2 and 2.0/2.1 (core): a streaming reader of the bilingual files CAT tools
//! exchange (Trados `.sdlxliff`, memoQ `.mqxliff`, OmegaT, Okapi, Angular, Xcode…).
//!
//! [`XliffReader`] hands out one [`XliffUnit`] at a time (a 1.2 `<trans-unit>` or a
//! 2.x `<unit>`) with its segments: 1.2 `<seg-source>` segments (`<mrk mtype="seg">`)
//! or the whole unit; 2.x `<segment>`s (`<ignorable>` left out). Each segment has its
//! source and target as plain text plus the memory's inline markup (XLIFF codes
//! mapped to TMX's, see [`inline`]), its state (the file's `state`, `state-qualifier`,
//! `approved`, or a tool's own status mapped onto XLIFF 1.2 states) and the place of
//! its `<target>` in the file ([`TargetPlace`]), so a writer can change targets and
//! leave every other byte as it was.
//!
//! Through [`crate::formats::Reader`] (`Format::Xliff`) the segments whose state
//! counts as translated ([`StateFilter`]) become [`TranslationUnit`]s; the others are
//! counted in [`crate::formats::ReadReport::left_out`].
//!
//! ```
//! use bitext::formats::{self, Format, ReadOptions};
//!
//! let xlf = r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
//!   <file source-language="en" target-language="fr" datatype="plaintext" original="a.txt"><body>
//!     <trans-unit id="1"><source>Click <g id="1">here</g>.</source>
//!       <target state="translated">Cliquez <g id="1">ici</g>.</target></trans-unit>
//!     <trans-unit id="2"><source>New</source><target state="new"/></trans-unit>
//!   </body></file></xliff>"#;
//! let mut options = ReadOptions::default();
//! options.format = Some(Format::Xliff);
//! let mut reader = formats::Reader::from_reader(xlf.as_bytes(), None, &options).unwrap();
//! let unit = reader.next().unwrap().unwrap();
//! assert_eq!(unit.variants[1].text, "Cliquez ici.");
//! assert_eq!(
//!     unit.variants[1].markup.as_deref(),
//!     Some(r#"Cliquez <bpt i="1">&lt;g id="1"&gt;</bpt>ici<ept i="1">&lt;/g&gt;</ept>."#)
//! );
//! assert!(reader.next().is_none());
//! assert_eq!(reader.report().left_out["untranslated (empty target)"], 1);
//! ```

pub mod document;
pub mod inline;
pub mod patch;
pub mod reader;
pub mod stream;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::ops::Range;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind, Location, Result};
use crate::formats::{Item, ReadOptions, ReadReport, Source};
use crate::text::LangTag;
use crate::unit::{Context, Note, Prop, Provenance, TranslationUnit, Variant};

pub use document::{
    copy_sources, write_text, write_xliff, MadeXliff, RebuiltText, Targets, TextToXliff,
};
pub use inline::{Content, Version};
pub use patch::{Change, Match, NotFilled, Skip, XliffDocument};
pub use reader::XliffReader;
pub use stream::XliffStream;

/// Property types under which a unit read from XLIFF keeps what the file said.
pub const PROP_STATE: &str = "x-xliff-state";
/// `state-qualifier` (1.2) or `subState` (2.x).
pub const PROP_STATE_QUALIFIER: &str = "x-xliff-state-qualifier";
/// A tool's own status (`sdl:conf=Translated`, `mq:status=ManuallyConfirmed`).
pub const PROP_TOOL_STATE: &str = "x-xliff-tool-state";
/// `approved="yes"` (1.2).
pub const PROP_APPROVED: &str = "x-xliff-approved";
/// The unit's `resname` (1.2) or `name` (2.x): a key such as `login.button.title`.
pub const PROP_RESNAME: &str = "x-xliff-resname";
/// The `original` of the unit's `<file>`.
pub const PROP_FILE: &str = "x-xliff-file";

/// Where a segment's `<target>` is in the file: byte offsets (see
/// [`XliffReader::spans_are_file_offsets`]). In 1.2 it is the unit's `<target>`, shared
/// by the segments of a `<seg-source>`; in 2.x each segment's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetPlace {
    /// The whole `<target …>…</target>` (or `<target/>`) element.
    Element(Range<u64>),
    /// There is none; one would go here (right after `</source>`, or after
    /// `</seg-source>` in 1.2).
    Missing {
        /// The offset.
        at: u64,
    },
}

/// A segment's workflow state as the file gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentState {
    /// The state: 1.2 `state` or 2.x `state` as written, or a tool's status mapped onto
    /// 1.2 states (Trados `sdl:conf`, memoQ `mq:status`). `None`: the file says nothing.
    pub state: Option<String>,
    /// 1.2 `state-qualifier` or 2.x `subState`.
    pub qualifier: Option<String>,
    /// 1.2 `approved`.
    pub approved: Option<bool>,
    /// The tool's own status as written (`sdl:conf=Draft`, `mq:status=NotStarted`).
    pub tool_state: Option<String>,
}

/// A segment of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct XliffSegment {
    /// 1.2 `mrk@mid` or 2.x `segment@id`.
    pub id: Option<String>,
    /// The source.
    pub source: Content,
    /// The target; `None` when there is no `<target>` (or no matching segment in it).
    pub target: Option<Content>,
    /// Its state.
    pub state: SegmentState,
    /// Where its `<target>` is or would go.
    pub target_place: TargetPlace,
    /// Dates and users a tool recorded for the segment (Trados).
    pub provenance: Provenance,
    /// 2.x: the byte range of the `<segment …>` start tag (offsets as for
    /// [`TargetPlace`]), where a writer sets `state`. `None` in 1.2.
    pub start_tag: Option<Range<u64>>,
}

/// A 1.2 `<trans-unit>` or 2.x `<unit>`.
#[derive(Debug, Clone, PartialEq)]
pub struct XliffUnit {
    /// The file's version family.
    pub version: Version,
    /// The line of its start tag.
    pub line: u64,
    /// Which `<file>` (1-based).
    pub file_index: usize,
    /// That file's `original`.
    pub file_original: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// 1.2 `resname`, 2.x `name`.
    pub name: Option<String>,
    /// Languages as written (1.2 `<file>` `source-language`/`target-language`, or the
    /// target's `xml:lang`; 2.x `srcLang`/`trgLang`).
    pub source_lang_raw: Option<String>,
    /// See `source_lang_raw`.
    pub target_lang_raw: Option<String>,
    /// The source language, if the file gives a valid tag.
    pub source_lang: Option<LangTag>,
    /// The target language, if the file gives a valid tag.
    pub target_lang: Option<LangTag>,
    /// False for `translate="no"` (on the unit or a group or file around it).
    pub translate: bool,
    /// Its notes.
    pub notes: Vec<Note>,
    /// Its segments (at least one).
    pub segments: Vec<XliffSegment>,
    /// Dates and users a tool recorded (memoQ; the 1.2 `<file>`'s `date`).
    pub provenance: Provenance,
    /// The byte range of its start tag (offsets as for [`TargetPlace`]).
    pub start_tag: Range<u64>,
    /// The offset just after its end tag.
    pub end: u64,
}

/// Which states count as translated (imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFilter {
    states: Vec<String>,
}

impl StateFilter {
    /// What counts by default: a translator's confirmed work.
    pub const DEFAULT: [&'static str; 6] = [
        "translated",
        "signed-off",
        "final",
        "reviewed",
        "approved",
        "none",
    ];

    /// Every name `--state` takes: the XLIFF 1.2 and 2.x states, `approved` (1.2
    /// `approved="yes"`, whatever the state) and `none` (the file gives no state).
    pub const NAMES: [&'static str; 15] = [
        "new",
        "needs-translation",
        "needs-adaptation",
        "needs-l10n",
        "needs-review-translation",
        "needs-review-adaptation",
        "needs-review-l10n",
        "translated",
        "signed-off",
        "final",
        "initial",
        "reviewed",
        "approved",
        "none",
        "any",
    ];

    /// A filter of the given names (see [`StateFilter::NAMES`]; `any` takes every
    /// segment that has a target).
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<StateFilter> {
        let mut states = Vec::new();
        for name in names {
            let name = name.as_ref().trim().to_ascii_lowercase();
            if !StateFilter::NAMES.contains(&name.as_str()) {
                return Err(Error::invalid(format!(
                    "unknown XLIFF state {name:?} (expected one of {})",
                    StateFilter::NAMES.join(", ")
                )));
            }
            states.push(name);
        }
        Ok(StateFilter { states })
    }

    /// `Ok` if a segment in this state counts as translated, else the state's name.
    pub fn check(&self, state: &SegmentState) -> std::result::Result<(), String> {
        let has = |name: &str| self.states.iter().any(|s| s == name);
        if has("any") || (state.approved == Some(true) && has("approved")) {
            return Ok(());
        }
        let name = state.state.as_deref().unwrap_or("none");
        if has(name) {
            Ok(())
        } else {
            Err(name.to_string())
        }
    }
}

impl Default for StateFilter {
    fn default() -> StateFilter {
        StateFilter::new(&StateFilter::DEFAULT).expect("the default states are known")
    }
}

/// The XLIFF reader behind [`crate::formats::Reader`]: segments as translation units.
pub(crate) struct XliffSource {
    reader: XliffReader,
    path: Option<PathBuf>,
    states: StateFilter,
    fallback_src: Option<LangTag>,
    fallback_tgt: Option<LangTag>,
    queue: VecDeque<Item>,
    /// The last unit made, waiting for the next segment's source (its context).
    pending: Option<(usize, TranslationUnit)>,
    /// The source of the last segment met, and its file.
    prev_source: Option<(usize, String)>,
    done: bool,
}

impl XliffSource {
    pub(crate) fn new<R: std::io::Read + Send + 'static>(
        prefix: &[u8],
        head: crate::text::input::Head<R>,
        path: Option<PathBuf>,
        options: &ReadOptions,
    ) -> Result<XliffSource> {
        Ok(XliffSource {
            reader: XliffReader::new(prefix, head, path.clone(), options.encoding)?,
            path,
            states: options.xliff_states.clone().unwrap_or_default(),
            fallback_src: options.source_lang.clone(),
            fallback_tgt: options.target_lang.clone(),
            queue: VecDeque::new(),
            pending: None,
            prev_source: None,
            done: false,
        })
    }

    fn flush(&mut self, next: Option<(usize, &str)>) {
        if let Some((file, mut unit)) = self.pending.take() {
            if let Some((next_file, source)) = next {
                if next_file == file && !source.is_empty() {
                    unit.context.next = Some(source.to_string());
                }
            }
            self.queue.push_back(Item::Unit(unit));
        }
    }

    fn expand(&mut self, unit: XliffUnit, report: &mut ReadReport) {
        let many = unit.segments.len() > 1;
        for (n, segment) in unit.segments.iter().enumerate() {
            let source_text = segment.source.text.as_str();
            self.flush(Some((unit.file_index, source_text)));
            let prev = self
                .prev_source
                .take()
                .filter(|(file, s)| *file == unit.file_index && !s.is_empty())
                .map(|(_, s)| s);
            self.prev_source = Some((unit.file_index, source_text.to_string()));
            let id = match (&unit.id, &segment.id) {
                (Some(u), Some(s)) if many => Some(format!("{u}/{s}")),
                (Some(u), None) if many => Some(format!("{u}/{}", n + 1)),
                (Some(u), _) => Some(u.clone()),
                (None, s) => s.clone(),
            };
            let location = Location {
                path: self.path.clone(),
                line: Some(unit.line),
                column: None,
                unit: None,
            }
            .with_unit(id.clone().unwrap_or_else(|| format!("line {}", unit.line)));
            if !unit.translate {
                report.leave_out("translate=\"no\"");
                continue;
            }
            let target = match &segment.target {
                None => {
                    report.leave_out("untranslated (no target)");
                    continue;
                }
                Some(t) if t.is_empty() => {
                    report.leave_out("untranslated (empty target)");
                    continue;
                }
                Some(t) => t,
            };
            if segment.source.text.trim().is_empty() || target.text.trim().is_empty() {
                // Nothing a memory can match: only codes (or only white space).
                report.leave_out("no text, only codes");
                continue;
            }
            if let Err(state) = self.states.check(&segment.state) {
                report.leave_out(&format!("state {state} (not chosen by --state)"));
                continue;
            }
            let Some(src) = unit.source_lang.clone().or(self.fallback_src.clone()) else {
                let message = match &unit.source_lang_raw {
                    Some(raw) => format!("the source language {raw:?} is not a language tag"),
                    None => "the file names no source language (give --src-lang)".to_string(),
                };
                self.queue
                    .push_back(Item::Invalid(Error::invalid(message).at(location)));
                continue;
            };
            let Some(tgt) = unit.target_lang.clone().or(self.fallback_tgt.clone()) else {
                let message = match &unit.target_lang_raw {
                    Some(raw) => format!("the target language {raw:?} is not a language tag"),
                    None => "the file names no target language (give --tgt-lang)".to_string(),
                };
                self.queue
                    .push_back(Item::Invalid(Error::invalid(message).at(location)));
                continue;
            };
            let mut props = Vec::new();
            let mut prop = |kind: &str, value: Option<&String>| {
                if let Some(value) = value {
                    props.push(Prop {
                        kind: kind.to_string(),
                        value: value.clone(),
                        lang: None,
                    });
                }
            };
            let state = &segment.state;
            prop(PROP_STATE, state.state.as_ref());
            prop(PROP_STATE_QUALIFIER, state.qualifier.as_ref());
            prop(PROP_TOOL_STATE, state.tool_state.as_ref());
            prop(
                PROP_APPROVED,
                (state.approved == Some(true))
                    .then(|| "yes".to_string())
                    .as_ref(),
            );
            prop(PROP_RESNAME, unit.name.as_ref());
            prop(PROP_FILE, unit.file_original.as_ref());
            let mut provenance = unit.provenance.clone();
            let p = &segment.provenance;
            provenance.created = p.created.or(provenance.created);
            provenance.changed = p.changed.or(provenance.changed);
            provenance.created_by = p.created_by.clone().or(provenance.created_by);
            provenance.changed_by = p.changed_by.clone().or(provenance.changed_by);
            let variant = |lang: LangTag, content: &Content| Variant {
                markup: content.markup.clone(),
                ..Variant::new(lang, content.text.clone())
            };
            let tu = TranslationUnit {
                id,
                source_lang: Some(src.clone()),
                variants: vec![variant(src, &segment.source), variant(tgt, target)],
                provenance,
                context: Context { prev, next: None },
                props,
                notes: unit.notes.clone(),
                ..TranslationUnit::default()
            };
            self.pending = Some((unit.file_index, tu));
        }
    }
}

impl Source for XliffSource {
    fn next_item(&mut self, report: &mut ReadReport) -> Option<Item> {
        if let Some(early) = self.reader.take_early() {
            report.absorb(early);
        }
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.reader.next_unit(report) {
                None => {
                    self.done = true;
                    self.flush(None);
                }
                Some(Ok(unit)) => self.expand(unit, report),
                Some(Err(e)) if matches!(e.kind(), ErrorKind::Invalid(_)) => {
                    self.flush(None);
                    self.queue.push_back(Item::Invalid(e));
                }
                Some(Err(e)) => {
                    self.done = true;
                    self.flush(None);
                    self.queue.push_back(Item::Fatal(e));
                }
            }
        }
    }
}
