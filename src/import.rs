//! Importing an exchange file into a memory: a [`formats::Reader`] piped into a
//! [`memory::Writer`], each unit's outcome counted in an [`ImportReport`]. The one
//! place where formats and memory meet (neither imports the other), so that
//! `bitext import` and the server's `/import` read, refuse, skip and count alike.
//!
//! Reading and analysing run on a thread of their own, a batch ahead of storing:
//! analysis uses every core, SQLite one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::mpsc;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::formats;
use crate::memory::{self, AddOutcome, AnalyzedBatch};
use crate::text::count;
use crate::unit::{TranslationUnit, Variant};

/// Units read and analysed at a time.
const BATCH: usize = 4096;

/// At most this many skipped units are listed in a report.
pub const LISTED: usize = 1000;

/// How the caller spells the options a report's notes point to: `--strict` on the
/// command line, `strict=true` in a query string.
#[derive(Debug, Clone, Copy)]
pub struct OptionNames {
    /// Named where `strict` refuses a segment: "--strict", "strict".
    pub strict: &'static str,
    /// Named where units would be refused with it: "--strict", "strict=true".
    pub strict_on: &'static str,
    /// Named where a duplicate was skipped: "--on-duplicate skip", "on_duplicate=skip".
    pub skip_duplicates: &'static str,
}

impl OptionNames {
    /// The command line's spelling.
    pub const COMMAND_LINE: OptionNames = OptionNames {
        strict: "--strict",
        strict_on: "--strict",
        skip_duplicates: "--on-duplicate skip",
    };
}

/// How to import.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportOptions {
    /// What is imported, for the report and the places of skipped units ("doc.tmx",
    /// "request body").
    pub name: String,
    /// Recorded as the origin of units that name none.
    pub origin: Option<String>,
    /// Refuse segments that hold only inline codes, and units with text in one
    /// language only (they are otherwise kept, and skipped and counted).
    pub strict: bool,
    /// Skip units the memory refuses as invalid (otherwise the first stops the import).
    pub skip_invalid: bool,
    /// How the report's notes name the options.
    pub names: OptionNames,
}

impl ImportOptions {
    /// Options importing `name`, nothing refused or skipped beyond the defaults.
    pub fn new(name: impl Into<String>, names: OptionNames) -> ImportOptions {
        ImportOptions {
            name: name.into(),
            origin: None,
            strict: false,
            skip_invalid: false,
            names,
        }
    }
}

/// Why an import stopped. Nothing of it is committed; the caller drops the writer.
#[derive(Debug)]
pub enum ImportError {
    /// The input could not be read.
    Read {
        /// What the reader met.
        error: Box<Error>,
        /// The reader stopped at an invalid unit (`skip_invalid` would skip it).
        at_invalid_unit: bool,
    },
    /// A unit the memory refuses as invalid, without `skip_invalid`.
    Refused {
        /// Which unit: "doc.tmx (unit 12)", "doc.tmx (unit #3)".
        place: String,
        /// Why.
        error: Box<Error>,
    },
    /// Storing one unit failed otherwise.
    Unit(Box<Error>),
    /// The memory failed (not the input): later inputs cannot be imported either.
    Memory(Box<Error>),
    /// The reading thread panicked.
    ReaderPanicked,
}

/// What importing one input did.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    /// The input's name.
    pub file: String,
    /// Its format.
    pub format: String,
    /// Units read from it.
    pub read: u64,
    /// Units stored as new units.
    pub imported: u64,
    /// Units stored already (same source and targets): metadata merged.
    pub merged: u64,
    /// Units stored after removing stored units with the same source.
    pub replaced: u64,
    /// Units not stored, for the reasons in `skips`.
    pub skipped: u64,
    /// Of the skipped units, those with text in fewer than two languages (skipped
    /// unless `strict`, which makes them an error).
    pub one_language: u64,
    /// Units stored whose segments (some or all) hold only inline codes, no text
    /// (`strict` refuses them).
    pub tags_only: u64,
    /// Why units were skipped, with where (at most [`LISTED`]).
    pub skips: Vec<String>,
    /// Segments of an XLIFF file left out by design (untranslated, a state not chosen,
    /// `translate="no"`), by reason; not counted in `skipped`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub left_out: BTreeMap<String, u64>,
    /// Warnings of the reader (values that could not be kept).
    pub warnings: Vec<String>,
    /// Seconds taken, including the commit (see [`ImportReport::timed`]).
    pub seconds: f64,
}

impl ImportReport {
    /// Sets `seconds` to the time since `start` (to the millisecond): called after
    /// the commit, which the figure includes.
    pub fn timed(&mut self, start: Instant) {
        self.seconds = (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    }

    /// The report as text, one line of counts and one per skipped unit, left-out
    /// reason, warning and note (`bitext import`'s report on standard error).
    pub fn text(&self, names: &OptionNames) -> String {
        let r = self;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "import: {} ({}): {} read, {} imported, {} merged into stored units, {} replaced stored units, {} skipped ({:.1} s, {:.0} units/s)",
            r.file,
            r.format,
            count(r.read, "unit"),
            r.imported,
            r.merged,
            r.replaced,
            r.skipped,
            r.seconds,
            if r.seconds > 0.0 { r.read as f64 / r.seconds } else { 0.0 }
        );
        formats::write_skips(&mut s, &r.skips, r.skipped);
        if !r.left_out.is_empty() {
            let reasons: Vec<String> = r
                .left_out
                .iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            let _ = writeln!(
                s,
                "  left out {} segments: {}",
                r.left_out.values().sum::<u64>(),
                reasons.join(", ")
            );
        }
        for w in &r.warnings {
            let _ = writeln!(s, "  warning {w}");
        }
        if r.tags_only > 0 {
            let _ = writeln!(
                s,
                "  note: {} kept with segments that hold only inline codes ({} refuses such units)",
                count(r.tags_only, "unit"),
                names.strict_on
            );
        }
        s
    }

    fn skip(&mut self, notice: impl FnOnce() -> String) {
        self.skipped += 1;
        if self.skips.len() < LISTED {
            self.skips.push(notice());
        }
    }
}

/// Reads every unit of `reader` into `writer` (not committed: the caller commits, and
/// then calls [`ImportReport::timed`]). `progress` is told the bytes read so far
/// after each batch is stored. On an error nothing should be committed.
pub fn import_units(
    reader: &mut formats::Reader,
    writer: &mut memory::Writer<'_>,
    options: &ImportOptions,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        file: options.name.clone(),
        format: reader.format().to_string(),
        ..ImportReport::default()
    };
    let origin = options.origin.as_deref();
    std::thread::scope(|scope| -> Result<(), ImportError> {
        let (batches, ready) = mpsc::sync_channel(1);
        let (spent, returned) = mpsc::channel();
        let reading = scope.spawn(|| read_batches(&mut *reader, origin, batches, returned));
        let mut ordinal = 0u64;
        let mut stored = Ok(());
        for Batch {
            units,
            analyzed,
            bytes_read,
        } in &ready
        {
            stored = store(&units, analyzed, writer, &mut report, ordinal, options);
            if stored.is_err() {
                break;
            }
            ordinal += units.len() as u64;
            progress(bytes_read);
            // Fails only if the reader thread stopped, which `join` reports.
            let _ = spent.send(units);
        }
        // The reader thread stops at its next batch if this one stopped early.
        drop(ready);
        let read = reading.join().map_err(|_| ImportError::ReaderPanicked)?;
        stored.and(read)
    })?;
    let read = reader.report();
    report.read = read.units;
    report.skipped += read.skipped;
    for notice in &read.skips {
        if report.skips.len() < LISTED {
            report.skips.push(notice.to_string());
        }
    }
    report.left_out = read.left_out.clone();
    report.warnings = read.warnings.iter().map(|n| n.to_string()).collect();
    Ok(report)
}

/// Stores one batch (units `first + 1 …` of the input) and counts the outcomes.
fn store(
    units: &[TranslationUnit],
    mut analyzed: AnalyzedBatch,
    writer: &mut memory::Writer<'_>,
    report: &mut ImportReport,
    first: u64,
    options: &ImportOptions,
) -> Result<(), ImportError> {
    let names = &options.names;
    if options.strict {
        for (i, unit) in units.iter().enumerate() {
            if unit.variants.iter().any(tags_only) {
                analyzed.refuse(
                    i,
                    Error::invalid(format!(
                        "{}: a segment holds only inline codes, no text",
                        names.strict
                    )),
                );
            }
        }
    }
    let outcomes = writer
        .add_analyzed_batch(units, analyzed)
        .map_err(|e| ImportError::Memory(Box::new(e)))?;
    for (k, (unit, outcome)) in units.iter().zip(outcomes).enumerate() {
        let place = || match &unit.id {
            Some(id) => format!("{} (unit {id})", options.name),
            None => format!("{} (unit #{})", options.name, first + k as u64 + 1),
        };
        if outcome.is_ok() && unit.variants.iter().any(tags_only) {
            report.tags_only += 1;
        }
        match outcome {
            Ok(AddOutcome::Inserted { .. }) => report.imported += 1,
            Ok(AddOutcome::Merged { .. }) => report.merged += 1,
            Ok(AddOutcome::Replaced { .. }) => report.replaced += 1,
            Ok(AddOutcome::Skipped { existing }) => report.skip(|| {
                format!(
                    "{}: its source is stored already (unit {existing}; {})",
                    place(),
                    names.skip_duplicates
                )
            }),
            Err(_) if !options.strict && one_language(unit) => {
                // Ordinary in real memories (an untranslated segment): not an error.
                report.one_language += 1;
                report.skip(|| {
                    format!(
                        "{}: text in one language only ({}; {} refuses such units)",
                        place(),
                        languages(unit),
                        names.strict_on
                    )
                });
            }
            Err(e) if matches!(e.kind(), ErrorKind::Invalid(_)) => {
                if !options.skip_invalid {
                    return Err(ImportError::Refused {
                        place: place(),
                        error: Box::new(e),
                    });
                }
                report.skip(|| format!("{}: {}", place(), formats::error_message(&e)));
            }
            Err(e) => return Err(ImportError::Unit(Box::new(e))),
        }
    }
    Ok(())
}

/// A batch of units read and analysed, for the writer.
struct Batch {
    units: Vec<TranslationUnit>,
    analyzed: AnalyzedBatch,
    /// How far the reader got in the input.
    bytes_read: u64,
}

/// Reads `reader` in batches, analyses each and sends it to `batches`; frees the
/// units that come back on `returned`. Stops at the end, at the first error, or when
/// the receiver is gone.
fn read_batches(
    reader: &mut formats::Reader,
    origin: Option<&str>,
    batches: mpsc::SyncSender<Batch>,
    returned: mpsc::Receiver<Vec<TranslationUnit>>,
) -> Result<(), ImportError> {
    loop {
        while let Ok(units) = returned.try_recv() {
            drop(units);
        }
        let mut units: Vec<TranslationUnit> = Vec::with_capacity(BATCH);
        for item in reader.by_ref() {
            let mut unit = match item {
                Ok(unit) => unit,
                Err(error) => {
                    return Err(ImportError::Read {
                        error: Box::new(error),
                        at_invalid_unit: reader.stopped_at_invalid_unit(),
                    })
                }
            };
            if unit.origin.file.is_none() {
                unit.origin.file = origin.map(str::to_owned);
            }
            units.push(unit);
            if units.len() == BATCH {
                break;
            }
        }
        if units.is_empty() {
            return Ok(());
        }
        let analyzed = AnalyzedBatch::of(&units);
        let bytes_read = reader.bytes_read();
        let batch = Batch {
            units,
            analyzed,
            bytes_read,
        };
        if batches.send(batch).is_err() {
            return Ok(());
        }
    }
}

/// A segment without text that holds inline codes.
fn tags_only(v: &Variant) -> bool {
    v.markup.is_some() && v.text.trim().is_empty()
}

/// A unit with content (text or inline codes) in fewer than two variants: the memory
/// cannot store it as a translation.
fn one_language(unit: &TranslationUnit) -> bool {
    unit.variants
        .iter()
        .filter(|v| memory::has_content(v))
        .count()
        < 2
}

/// The languages of a unit's variants with content, for messages.
fn languages(unit: &TranslationUnit) -> String {
    let langs: Vec<&str> = unit
        .variants
        .iter()
        .filter(|v| memory::has_content(v))
        .map(|v| v.lang.as_str())
        .collect();
    if langs.is_empty() {
        "none".to_string()
    } else {
        langs.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, ReadOptions};
    use crate::memory::{Memory, OnDuplicate, WriteOptions};

    fn reader(jsonl: &str) -> formats::Reader {
        let bytes: &'static [u8] = jsonl.as_bytes().to_vec().leak();
        let options = ReadOptions {
            format: Some(Format::Jsonl),
            ..ReadOptions::default()
        };
        formats::Reader::from_reader(bytes, None, &options).unwrap()
    }

    fn record(source: &str, target: &str) -> String {
        format!(
            "{{\"source\":\"{source}\",\"target\":\"{target}\",\"src_lang\":\"en\",\"tgt_lang\":\"de\"}}\n"
        )
    }

    fn import(
        memory: &mut Memory,
        jsonl: &str,
        on_duplicate: OnDuplicate,
    ) -> Result<ImportReport, ImportError> {
        let mut reader = reader(jsonl);
        let write = WriteOptions {
            on_duplicate,
            ..WriteOptions::default()
        };
        let mut writer = memory.writer(write).unwrap();
        let options = ImportOptions::new("t.jsonl", OptionNames::COMMAND_LINE);
        let report = import_units(&mut reader, &mut writer, &options, |_| {})?;
        writer.commit().unwrap();
        Ok(report)
    }

    #[test]
    fn outcomes_are_counted_and_skips_say_where_and_why() {
        let mut memory = Memory::in_memory().unwrap();
        let first = record("Hello.", "Hallo.") + &record("Good night.", "Gute Nacht.");
        let report = import(&mut memory, &first, OnDuplicate::Keep).unwrap();
        assert_eq!((report.read, report.imported, report.skipped), (2, 2, 0));
        assert_eq!(report.format, "jsonl");
        let same = record("Hello.", "Hallo.");
        let report = import(&mut memory, &same, OnDuplicate::Keep).unwrap();
        assert_eq!((report.read, report.merged, report.skipped), (1, 1, 0));
        let again = record("Hello.", "Hallo.") + &record("Good night.", "Schlaf gut.");
        let report = import(&mut memory, &again, OnDuplicate::Skip).unwrap();
        assert_eq!((report.read, report.imported, report.skipped), (2, 0, 2));
        assert_eq!(report.skips.len(), 2);
        assert!(
            report.skips[1].starts_with("t.jsonl (unit #2): its source is stored already")
                && report.skips[1].ends_with("; --on-duplicate skip)"),
            "{}",
            report.skips[1]
        );
        let text = report.text(&OptionNames::COMMAND_LINE);
        assert!(text.starts_with("import: t.jsonl (jsonl): 2 units read, 0 imported, 0 merged"));
        assert!(text.contains("\n  skipped t.jsonl (unit #2): "), "{text}");
    }

    #[test]
    fn a_bad_record_stops_the_import() {
        let mut memory = Memory::in_memory().unwrap();
        let bad = record("Hello.", "Hallo.") + "{\"source\": 1}\n";
        match import(&mut memory, &bad, OnDuplicate::Keep) {
            Err(ImportError::Read { .. }) => {}
            other => panic!("expected a read error, got {other:?}"),
        }
    }
}
