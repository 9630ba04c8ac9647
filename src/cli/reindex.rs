//! `bitext reindex`: rebuilding a memory's fuzzy-match index.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::tm::TmArgs;
use super::Global;

/// Rebuild the fuzzy-match index of a memory from its texts.
///
/// Never needed in normal use (a memory from another version of bitext is re-indexed
/// when opened); useful if the index was damaged.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  bitext reindex --tm memory.sqlite")]
pub struct ReindexArgs {
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_reindex(args: ReindexArgs, global: &Global) -> Result<ExitCode> {
    let mut memory = args.tm.open_write(false)?;
    memory.reindex()?;
    if !global.quiet {
        eprintln!("re-indexed {}", args.tm.path()?.display());
    }
    Ok(ExitCode::SUCCESS)
}
