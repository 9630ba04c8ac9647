//! The command-line interface: argument parsing and one module per subcommand. Each
//! subcommand reads its inputs, drives the library and writes to stdout (data) and
//! stderr (progress, reports).

mod add;
mod align;
mod concordance;
mod convert;
mod convert_document;
mod delete;
mod eval;
mod eval_align;
mod export;
mod import;
mod interrupt;
mod lookup;
mod output;
mod pretranslate;
mod pretranslate_document;
mod pretranslate_xliff;
mod progress;
mod reindex;
mod segment;
mod serve;
mod stats;
mod tm;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// bitext: sentence segmentation, alignment and translation memory.
#[derive(Debug, Parser)]
#[command(name = "bitext", version, about, long_about = None, max_term_width = 100)]
pub struct Args {
    /// Print no progress bars or reports on stderr (errors are still printed).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Each one's examples (`after_help`) stand on its arguments, in its own file.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Split text into sentences.
    Segment(segment::SegmentArgs),
    /// Align the sentences of a text and its translation.
    Align(align::AlignArgs),
    /// Convert translation units between TMX, CSV, TSV and JSON Lines; text documents to
    /// XLIFF and back.
    Convert(convert::ConvertArgs),
    /// Score bitext against gold data.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Store one translation pair in the memory.
    Add(add::AddArgs),
    /// Find the closest stored translations (fuzzy matches) of a text.
    Lookup(lookup::LookupArgs),
    /// Find stored units containing a word or phrase.
    Concordance(concordance::ConcordanceArgs),
    /// Pre-translate a document from the memory and analyse it for a quote.
    Pretranslate(pretranslate::PretranslateArgs),
    /// Show what a memory holds.
    Stats(stats::StatsArgs),
    /// Delete units from the memory by id or filter.
    Delete(delete::DeleteArgs),
    /// Rebuild the memory's fuzzy-match index.
    Reindex(reindex::ReindexArgs),
    /// Import translation units (TMX, CSV, TSV, JSON Lines) into the memory.
    Import(import::ImportArgs),
    /// Export the memory's units to TSV, CSV, JSON Lines or TMX.
    Export(export::ExportArgs),
    /// Serve the memory over HTTP (JSON API, tmserver and MyMemory routes).
    Serve(serve::ServeArgs),
}

/// Runs the command line `args` (the program name first). Errors carry the context
/// needed to print them as one line.
pub fn run<I, T>(args: I) -> anyhow::Result<ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(err) => {
            // Help and version go to stdout with success; usage errors to stderr with 2.
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return Ok(ExitCode::from(code));
        }
    };
    output::ignore_file_size_signal();
    // The server stops on SIGINT/SIGTERM by itself, after the requests in flight.
    if !matches!(args.command, Command::Serve(_)) {
        interrupt::install();
    }
    let global = Global { quiet: args.quiet };
    let memory = memory_path(&args.command);
    let result = match args.command {
        Command::Segment(a) => segment::run(a, &global),
        Command::Align(a) => align::run(a, &global),
        Command::Eval(c) => eval::run(c, &global),
        Command::Add(a) => add::run(a, &global),
        Command::Lookup(a) => lookup::run(a, &global),
        Command::Concordance(a) => concordance::run(a, &global),
        Command::Pretranslate(a) => pretranslate::run(a, &global),
        Command::Stats(a) => stats::run_stats(a, &global),
        Command::Delete(a) => delete::run_delete(a, &global),
        Command::Reindex(a) => reindex::run_reindex(a, &global),
        Command::Import(a) => import::run_import(a, &global),
        Command::Export(a) => export::run_export(a, &global),
        Command::Convert(a) => convert::run(a, &global),
        Command::Serve(a) => serve::run(a, &global),
    };
    result.map_err(|err| name_the_memory(err, memory))
}

/// The memory file a command works on, if it uses one.
fn memory_path(command: &Command) -> Option<std::path::PathBuf> {
    let tm = match command {
        Command::Add(a) => &a.tm,
        Command::Lookup(a) => &a.tm,
        Command::Concordance(a) => &a.tm,
        Command::Pretranslate(a) => &a.tm,
        Command::Stats(a) => &a.tm,
        Command::Delete(a) => &a.tm,
        Command::Reindex(a) => &a.tm,
        Command::Import(a) => &a.tm,
        Command::Export(a) => &a.tm,
        Command::Serve(a) => &a.tm,
        Command::Align(a) => return a.into.clone(),
        Command::Segment(_) | Command::Eval(_) | Command::Convert(_) => return None,
    };
    tm.path().ok()
}

/// The input options `import` and `convert` share: the format, how to read CSV/TSV,
/// and what to do with units that cannot be used.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Input format (tmx, csv, tsv, jsonl); default: by extension, else by content.
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<bitext::formats::Format>,
    /// CSV/TSV input: the first row is data, not a header.
    #[arg(long, conflicts_with = "header")]
    pub no_header: bool,
    /// CSV/TSV input: the first row is a header (even if it does not look like one).
    #[arg(long)]
    pub header: bool,
    /// CSV/TSV input: `"` is an ordinary character, not a quote (the default for a
    /// headerless TSV).
    #[arg(long)]
    pub no_quotes: bool,
    /// Skip units that cannot be used (a `<tu>` without `<tuv>`, a bad language tag, a
    /// ragged row…) and list them, instead of stopping at the first (which abandons
    /// the file).
    #[arg(long)]
    pub skip_invalid: bool,
    /// XLIFF input: the states whose segments count as translated (comma-separated:
    /// new, needs-translation, needs-adaptation, needs-l10n, needs-review-translation,
    /// needs-review-adaptation, needs-review-l10n, translated, signed-off, final,
    /// initial, reviewed; `approved` for approved="yes", `none` for no state given,
    /// `any`). Default: translated,signed-off,final,reviewed,approved,none.
    #[arg(long, value_name = "STATE,…", value_delimiter = ',', value_parser = xliff_state)]
    pub state: Vec<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub encoding: EncodingArg,
}

fn xliff_state(name: &str) -> std::result::Result<String, String> {
    bitext::formats::StateFilter::new(&[name])
        .map(|_| name.trim().to_ascii_lowercase())
        .map_err(|e| bitext::formats::error_message(&e))
}

/// `--encoding LABEL`, for every command that reads text.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct EncodingArg {
    /// The encoding of text input that is not UTF-8: a WHATWG label such as
    /// windows-1252 (latin1), windows-1250…1258, iso-8859-2…16, koi8-r, koi8-u,
    /// shift_jis, euc-jp, gbk, gb18030, big5, euc-kr, utf-16le, utf-16be. Default:
    /// UTF-8, or what a byte-order mark says (a mark must agree with --encoding).
    #[arg(long, value_name = "LABEL", value_parser = encoding_label)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl EncodingArg {
    /// `reader` decoded to UTF-8 if an encoding was given; as it is otherwise.
    pub fn decode<R: std::io::Read + Send + 'static>(
        &self,
        reader: R,
    ) -> bitext::Result<Box<dyn std::io::Read + Send>> {
        match self.encoding {
            Some(encoding) => bitext::text::decoding_reader(reader, encoding),
            None => Ok(Box::new(reader)),
        }
    }
}

fn encoding_label(raw: &str) -> Result<&'static encoding_rs::Encoding, String> {
    bitext::text::encoding_for_label(raw).map_err(|e| e.to_string())
}

impl InputArgs {
    /// The reader's options, with the languages the command has read.
    fn read_options(
        &self,
        source_lang: Option<bitext::text::LangTag>,
        target_lang: Option<bitext::text::LangTag>,
        langs: Vec<bitext::text::LangTag>,
    ) -> bitext::formats::ReadOptions {
        use bitext::formats::HeaderMode;
        let mut options = bitext::formats::ReadOptions::default();
        options.format = self.from;
        options.source_lang = source_lang;
        options.target_lang = target_lang;
        options.langs = langs;
        // clap keeps the two exclusive; neither: decided by the first row.
        options.header = match (self.no_header, self.header) {
            (true, _) => HeaderMode::Absent,
            (_, true) => HeaderMode::Present,
            _ => HeaderMode::Auto,
        };
        options.quotes = self.no_quotes.then_some(false);
        options.skip_invalid = self.skip_invalid;
        options.xliff_states = (!self.state.is_empty())
            .then(|| bitext::formats::StateFilter::new(&self.state).ok())
            .flatten();
        options.encoding = self.encoding.encoding;
        options
    }
}

/// A database error met after the memory was opened (a damaged page, a full disk)
/// names no file by itself: it gets the memory's path.
fn name_the_memory(err: anyhow::Error, memory: Option<std::path::PathBuf>) -> anyhow::Error {
    let unnamed_database_error = err.chain().any(|cause| {
        cause
            .downcast_ref::<bitext::Error>()
            .is_some_and(|e| e.kind().is_database() && e.location().path.is_none())
    });
    match memory {
        Some(path)
            if unnamed_database_error && !format!("{err:#}").contains(&*path.to_string_lossy()) =>
        {
            err.context(path.display().to_string())
        }
        _ => err,
    }
}

/// A deprecated spelling of an option was used: it still works, and stderr says what
/// replaced it (unless --quiet).
fn deprecated(old: &str, new: &str, global: &Global) {
    if !global.quiet {
        eprintln!("bitext: warning: {old} is deprecated and will be removed; use {new}");
    }
}

/// Options every subcommand sees.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// No progress or reports on stderr.
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Splits a shell line into words (double quotes only, as the examples use).
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut word = String::new();
        let (mut quoted, mut any) = (false, false);
        for c in line.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    any = true;
                }
                c if c.is_whitespace() && !quoted => {
                    if any {
                        out.push(std::mem::take(&mut word));
                        any = false;
                    }
                }
                c => {
                    word.push(c);
                    any = true;
                }
            }
        }
        if any {
            out.push(word);
        }
        out
    }

    /// Every subcommand's `--help` ends with examples, and each one parses.
    #[test]
    fn help_examples_are_valid_command_lines() {
        let mut checked = 0;
        let root = Args::command();
        let mut commands: Vec<&clap::Command> = root.get_subcommands().collect();
        while let Some(cmd) = commands.pop() {
            if cmd.has_subcommands() {
                commands.extend(cmd.get_subcommands());
                continue;
            }
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.starts_with("Examples:"),
                "{}: no examples",
                cmd.get_name()
            );
            for line in help.lines().skip(1) {
                let line = line.rsplit("| ").next().unwrap().trim();
                assert!(line.starts_with("bitext "), "{line}");
                if let Err(e) = Args::try_parse_from(words(line)) {
                    panic!("{line}: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked}");
    }

    /// One spelling for one thing (issue 18): a short flag means the same option in
    /// every subcommand, and formats are spelt one way: -f/--format what a command
    /// writes, --from what it reads (no visible `--json`, `--*-format`).
    #[test]
    fn flags_mean_the_same_in_every_subcommand() {
        let meaning = [
            ('f', "format"),
            ('s', "src-lang"),
            ('t', "tgt-lang"),
            ('l', "lang"),
            ('o', "output"),
            ('q', "quiet"),
            ('v', "verbose"),
            ('h', "help"),
            ('V', "version"),
        ];
        let mut checked = 0;
        let mut commands = vec![Args::command()];
        while let Some(mut cmd) = commands.pop() {
            cmd.build();
            commands.extend(cmd.get_subcommands().cloned());
            let name = cmd.get_name().to_string();
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let long = arg.get_long().unwrap_or("");
                if let Some(short) = arg.get_short() {
                    let want = meaning.iter().find(|(s, _)| *s == short);
                    assert_eq!(
                        want.map(|(_, l)| *l),
                        Some(long),
                        "{name}: -{short} is --{long}"
                    );
                }
                for (short, l) in meaning {
                    if long == l && !matches!(l, "help" | "version" | "quiet") {
                        assert_eq!(
                            arg.get_short(),
                            Some(short),
                            "{name}: --{long} without -{short}"
                        );
                    }
                }
                assert!(
                    long != "json" && long != "to" && !long.ends_with("-format"),
                    "{name}: --{long}: the output's format is -f/--format, the input's --from"
                );
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
