//! `bitext add`: store one translation pair in the memory.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::tm::{self, Duplicates, TextOrJson, TmArgs};
use super::{output::Output, Global};
use bitext::memory::AddOutcome;
use bitext::unit::TranslationUnit;

/// Store one translation pair in the memory (created if missing).
///
/// The same source and target again only updates the stored unit's metadata; the same
/// source with another target is kept as an alternative (see --on-duplicate).
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext add \"Open the file.\" \"Откройте файл.\" -s en -t ru --tm memory.sqlite"
)]
pub struct AddArgs {
    /// The source text.
    pub source: String,
    /// Its translation.
    pub target: String,
    /// Language of the source (BCP 47: en, en-US, pt-BR, …).
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: String,
    /// Language of the translation.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: String,
    /// The source segment before this one in its document (for 101 % matches).
    #[arg(long, value_name = "TEXT")]
    pub prev: Option<String>,
    /// The source segment after this one.
    #[arg(long, value_name = "TEXT")]
    pub next: Option<String>,
    /// Who made the translation (default: $BITEXT_USER).
    #[arg(long)]
    pub user: Option<String>,
    /// The document it comes from.
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// A property TYPE=VALUE (repeatable), as TMX <prop type="TYPE">.
    #[arg(long, value_name = "TYPE=VALUE")]
    pub prop: Vec<String>,
    /// A note (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub note: Vec<String>,
    /// What to do when the source is stored already with another translation.
    #[arg(long, value_enum, default_value_t = Duplicates::Keep)]
    pub on_duplicate: Duplicates,
    /// Output format of the result.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run(args: AddArgs, _global: &Global) -> Result<ExitCode> {
    let src = tm::lang(&args.src_lang, "--src-lang")?;
    let tgt = tm::lang(&args.tgt_lang, "--tgt-lang")?;
    tm::distinct_langs(&src, &tgt)?;
    let user = tm::user(&args.user)?;
    let mut unit = TranslationUnit::pair(src, &args.source, tgt, &args.target)
        .in_context(args.prev.clone(), args.next.clone())
        .from_document(args.origin.clone());
    for p in &args.prop {
        // A blank TYPE is refused here, as the syntax is: "expected TYPE=VALUE".
        let (kind, value) = p
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .with_context(|| format!("--prop {p:?}: expected TYPE=VALUE"))?;
        unit.add_prop(kind, value)?;
    }
    for n in &args.note {
        unit.add_note(n.as_str());
    }
    let mut memory = args.tm.open_write(true)?;
    let mut writer = memory.writer(tm::write_options(args.on_duplicate, user))?;
    let outcome = writer.add(&unit).context("cannot add the pair")?;
    writer.commit()?;
    let mut out = Output::create(None)?;
    let line = match args.format {
        TextOrJson::Jsonl => serde_json::to_string(&outcome)?,
        TextOrJson::Text => match &outcome {
            AddOutcome::Inserted { unit } => format!("added unit {unit}"),
            AddOutcome::Merged { unit } => {
                format!("unit {unit} has this pair already: its metadata was updated")
            }
            AddOutcome::Replaced { unit, removed } => format!(
                "added unit {unit}, replacing unit{} {}",
                if removed.len() == 1 { "" } else { "s" },
                removed
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AddOutcome::Skipped { existing } => {
                format!("skipped: unit {existing} has this source already")
            }
        },
    };
    writeln!(out, "{line}").map_err(|e| out.context(e))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
