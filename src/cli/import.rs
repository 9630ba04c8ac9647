//! `bitext import`: translation units from exchange files into the memory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use super::interrupt::{self, Registration};
use super::tm::{self, Duplicates, TextOrJson, TmArgs};
use super::{output::Output, progress, Global};
use bitext::formats::{self, ReadOptions};
use bitext::import::{import_units, ImportError, ImportOptions, ImportReport, OptionNames};
use bitext::memory::{Memory, NewMemory};
use bitext::text::{count, LangTag};

/// Import translation units into the memory (created if missing).
///
/// Reads TMX, CSV/TSV with a header row of language tags (and metadata columns),
/// JSON Lines (whole units or {"source","target","src_lang","tgt_lang"}), and the
/// aligner's headerless `source<TAB>target<TAB>score` (give --src-lang and
/// --tgt-lang). Each file is imported in one transaction: a file that fails leaves
/// the memory as it was before it. A report per file (units read, imported, merged
/// into stored units, replaced, skipped with the reason and place of each) goes to
/// standard error, or to standard output as JSON with --report jsonl.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext import memories/seed-en-ru.tmx --tm memory.sqlite\n  bitext import a.tmx b.csv project.xlf --skip-invalid --report jsonl\n  bitext import latin1.csv --encoding windows-1252"
)]
pub struct ImportArgs {
    /// Files to import (`-`: standard input).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub reading: super::InputArgs,
    /// Source language: the first column of a headerless file, the source of JSON
    /// Lines records without one, the source column of a CSV/TSV.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,
    /// Target language: the second column of a headerless file.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,
    /// Languages of the columns of a headerless file (comma-separated).
    #[arg(long, value_name = "LANG,…", value_delimiter = ',')]
    pub langs: Vec<String>,
    /// What to do when a unit's source is stored already with another translation.
    #[arg(long, value_enum, default_value_t = Duplicates::Keep)]
    pub on_duplicate: Duplicates,
    /// Refuse units that CAT tools write but that are not full pairs: segments that
    /// hold only inline codes (kept by default) and units with text in one language
    /// only (skipped and counted by default). With --skip-invalid they are skipped.
    #[arg(long)]
    pub strict: bool,
    /// Recorded as creator of units that name none (default: $BITEXT_USER).
    #[arg(long)]
    pub user: Option<String>,
    /// Recorded as the origin of units that name none (default: the file's name).
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// The per-file report: text on standard error, or JSON Lines on standard output
    /// (one record per file, flushed as each file is committed).
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub report: TextOrJson,
    /// Deprecated spelling of --report (-f/--format name the output format in every
    /// other command; the input's format is --from).
    #[arg(
        long = "format",
        short = 'f',
        value_enum,
        hide = true,
        conflicts_with = "report"
    )]
    pub old_format: Option<TextOrJson>,
    #[command(flatten)]
    pub tm: TmArgs,
}

impl ImportArgs {
    /// The report's format, from --report or its deprecated spelling.
    fn report_format(&self, global: &Global) -> TextOrJson {
        match self.old_format {
            Some(format) => {
                super::deprecated("import -f/--format", "--report", global);
                format
            }
            None => self.report,
        }
    }
}

pub fn run_import(args: ImportArgs, global: &Global) -> Result<ExitCode> {
    let report_format = args.report_format(global);
    let lang = |l: &Option<String>, what| l.as_deref().map(|l| tm::lang(l, what)).transpose();
    let read_options = args.reading.read_options(
        lang(&args.src_lang, "--src-lang")?,
        lang(&args.tgt_lang, "--tgt-lang")?,
        args.langs
            .iter()
            .map(|l| tm::lang(l, "--langs"))
            .collect::<Result<Vec<LangTag>>>()?,
    );
    // Checked before the memory is opened (or created).
    tm::user(&args.user)?;
    // A memory that does not exist yet is built unseen and published after the first
    // file (see `NewMemory`): its pages are written once, not twice.
    let mut target = Some(match args.tm.create_new()? {
        Some(new) => {
            let interrupt = Registration::new(new.temp_path(), None);
            Target::New(new, interrupt)
        }
        None => Target::Open(args.tm.open_write(true)?),
    });
    interrupt::set_message("nothing imported");
    let mut out = Output::create(None)?;
    // Each file is its own transaction: one that fails leaves the memory as it was and
    // the next is tried. Only a failure of the memory itself (not of a file) stops the
    // run; the files after it are listed as not tried.
    let mut imported: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut not_tried: Vec<String> = Vec::new();
    let mut stopped = false;
    for path in &args.files {
        let name = display(path);
        let Some(mut open) = target.take().filter(|_| !stopped) else {
            not_tried.push(name);
            continue;
        };
        // What an interruption leaves once this file is in.
        let done = interrupted_after(&imported, &name);
        let committed = (!matches!(open, Target::New(..))).then_some(done.as_str());
        let result = import_file(open.memory(), path, &read_options, &args, global, committed);
        // Publishing a new memory is not cut in two by an interruption.
        let mut held = interrupt::hold();
        let line = match result {
            Ok(report) => match open.published(&mut held) {
                Ok(published) => {
                    held.set_message(done);
                    drop(held);
                    target = Some(published);
                    imported.push(name);
                    match report_format {
                        TextOrJson::Jsonl => serde_json::to_string(&report)?,
                        TextOrJson::Text => {
                            if !global.quiet {
                                eprint!("{}", report.text(&OptionNames::COMMAND_LINE));
                            }
                            continue;
                        }
                    }
                }
                Err(e) => {
                    drop(held);
                    // The new memory could not be put in place: nothing is left to
                    // import into.
                    eprintln!("bitext: error: {e:#}");
                    failed.push(name.clone());
                    stopped = true;
                    failure_line(&name, &e)?
                }
            },
            Err(Failure { error, memory }) => {
                drop(held);
                target = Some(open);
                eprintln!("bitext: error: {error:#}");
                failed.push(name.clone());
                stopped |= memory;
                failure_line(&name, &error)?
            }
        };
        if let TextOrJson::Jsonl = report_format {
            // Flushed at once: the line says the file is committed (or not), and a
            // script following the import must learn it even if the run is cut short
            // later.
            let line = line + "\n";
            std::io::Write::write_all(&mut out, line.as_bytes())
                .and_then(|()| std::io::Write::flush(&mut out))
                .map_err(|e| out.context(e))?;
        }
    }
    if let TextOrJson::Jsonl = report_format {
        for name in &not_tried {
            let line =
                serde_json::to_string(&serde_json::json!({"file": name, "not_tried": true}))?
                    + "\n";
            std::io::Write::write_all(&mut out, line.as_bytes()).map_err(|e| out.context(e))?;
        }
    }
    out.finish()?;
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if args.files.len() == 1 {
        return Ok(ExitCode::from(1));
    }
    // Said even with --quiet: it explains the exit status.
    eprintln!(
        "{}",
        summary(args.files.len(), &imported, &failed, &not_tried)
    );
    Ok(ExitCode::from(1))
}

/// What an interruption leaves undone once `current` is imported after `imported`.
fn interrupted_after(imported: &[String], current: &str) -> String {
    match imported.len() {
        0 => format!("{current} imported; the files after it not"),
        1..=3 => format!(
            "{}, {current} imported; the files after them not",
            imported.join(", ")
        ),
        n => format!(
            "{} files imported, the last {current}; the files after it not",
            n + 1
        ),
    }
}

/// The JSON line of a file that failed.
fn failure_line(name: &str, error: &anyhow::Error) -> Result<String> {
    Ok(serde_json::to_string(
        &serde_json::json!({"file": name, "error": format!("{error:#}")}),
    )?)
}

/// The end of a run in which files failed: which were imported, which failed, which
/// were not tried.
fn summary(files: usize, imported: &[String], failed: &[String], not_tried: &[String]) -> String {
    let list = |names: &[String]| names.join(", ");
    let mut s = format!(
        "bitext: {} of {} failed (nothing of them was imported): {}",
        failed.len(),
        count(files as u64, "file"),
        list(failed)
    );
    if imported.is_empty() {
        s.push_str("; none imported");
    } else {
        let _ = write!(s, "; imported: {}", list(imported));
    }
    if !not_tried.is_empty() {
        let _ = write!(s, "; not tried (the memory failed): {}", list(not_tried));
    }
    s
}

/// Why a file was not imported; `memory` when the memory failed (not the file), so
/// that the files after it are not tried.
struct Failure {
    error: anyhow::Error,
    memory: bool,
}

impl Failure {
    fn file(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            error: error.into(),
            memory: false,
        }
    }

    fn memory(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            error: error.into(),
            memory: true,
        }
    }
}

fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

fn import_file(
    memory: &mut Memory,
    path: &Path,
    read_options: &ReadOptions,
    args: &ImportArgs,
    global: &Global,
    committed: Option<&str>,
) -> std::result::Result<ImportReport, Failure> {
    let start = Instant::now();
    let name = display(path);
    let mut reader = formats::open(path, read_options).map_err(Failure::file)?;
    let mut options = ImportOptions::new(name.clone(), OptionNames::COMMAND_LINE);
    options.origin = args
        .origin
        .clone()
        .or_else(|| (path.as_os_str() != "-").then(|| name.clone()));
    options.strict = args.strict;
    options.skip_invalid = args.reading.skip_invalid;
    let total = if path.as_os_str() == "-" {
        0
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    };
    let bar = progress::bar(global, total, &format!("importing {name} (bytes)"));
    let mut writer = memory
        .writer(tm::write_options(
            args.on_duplicate,
            tm::user(&args.user).map_err(Failure::file)?,
        ))
        .map_err(|e| {
            Failure::memory(anyhow::Error::new(e).context(format!("cannot import {name}")))
        })?;
    let unchanged = || format!("cannot import {name}; the memory is unchanged by it");
    let mut report = import_units(&mut reader, &mut writer, &options, |bytes| {
        bar.set_position(bytes)
    })
    .map_err(|e| match e {
        ImportError::Read {
            error,
            at_invalid_unit,
        } => {
            let hint = if at_invalid_unit {
                " (--skip-invalid skips such units)"
            } else {
                ""
            };
            Failure::file(
                anyhow::Error::new(*error).context(format!("nothing of {name} was imported{hint}")),
            )
        }
        ImportError::Refused { place, error } => Failure::file(anyhow::anyhow!(
            "{place}: {} (--skip-invalid skips such units); nothing of {name} was imported",
            formats::error_message(&error)
        )),
        ImportError::Unit(e) => Failure::file(*e),
        ImportError::Memory(e) => Failure::memory(anyhow::Error::new(*e).context(unchanged())),
        ImportError::ReaderPanicked => {
            Failure::file(anyhow::anyhow!("reading {name} failed unexpectedly"))
        }
    })?;
    bar.set_message("committing");
    // An interruption during the commit takes effect after it, and then says so.
    let mut held = interrupt::hold();
    writer
        .commit()
        .map_err(|e| Failure::memory(anyhow::Error::new(e).context(unchanged())))?;
    if let Some(message) = committed {
        held.set_message(message);
    }
    drop(held);
    bar.finish_and_clear();
    report.timed(start);
    Ok(report)
}

/// The memory an import writes to.
enum Target {
    /// Being built, until its first file is in (its temporary file removed if the
    /// process is interrupted).
    New(NewMemory, Registration),
    Open(Memory),
}

impl Target {
    fn memory(&mut self) -> &mut Memory {
        match self {
            Target::New(new, _) => new.memory(),
            Target::Open(memory) => memory,
        }
    }

    /// The memory at its path (a new one published there). Called holding off
    /// interruptions (`held`).
    fn published(self, held: &mut interrupt::Held) -> Result<Target> {
        Ok(match self {
            Target::New(new, interrupt) => {
                let published = new.publish();
                interrupt.release(held);
                Target::Open(published?)
            }
            open => open,
        })
    }
}
