//! `bitext delete`: removing units from a memory by id or by filter.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::tm::{self, TextOrJson, TmArgs};
use super::{output::Output, Global};
use bitext::memory::DeleteFilter;

/// Delete units by id or by filter (all given conditions must hold).
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext delete --id 17 --tm memory.sqlite\n  bitext delete --origin old-project.tmx --dry-run\n  bitext delete -l de --before 2020-01-01 -f jsonl"
)]
pub struct DeleteArgs {
    /// A unit id (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<i64>,
    /// Units with a variant in this language (or a more specific form: `en` covers
    /// `en-US`).
    #[arg(long, short = 'l', value_name = "LANG")]
    pub lang: Option<String>,
    /// Units from this origin file (as stored, see `bitext export`).
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// Units created or last changed by this user.
    #[arg(long)]
    pub user: Option<String>,
    /// Units created before this date (2024-05-01 or 2024-05-01T12:00:00Z).
    #[arg(long, value_name = "DATE")]
    pub before: Option<String>,
    /// Units created on or after this date.
    #[arg(long, value_name = "DATE")]
    pub after: Option<String>,
    /// Only say which units would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of the result.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_delete(args: DeleteArgs, _global: &Global) -> Result<ExitCode> {
    let mut filter = DeleteFilter::default();
    filter.ids = args.ids.clone();
    filter.lang = args
        .lang
        .as_deref()
        .map(|l| tm::lang(l, "--lang"))
        .transpose()?;
    filter.origin = args.origin.clone();
    filter.user = args.user.clone();
    let date = |arg: &Option<String>, flag: &str| arg.as_deref().map(|d| tm::timestamp(d, flag));
    filter.created_before = date(&args.before, "--before").transpose()?;
    filter.created_after = date(&args.after, "--after").transpose()?;
    if filter.is_empty() {
        bail!("say which units to delete: --id, --lang, --origin, --user, --before or --after");
    }
    let ids = if args.dry_run {
        args.tm.open_read()?.select(&filter)?
    } else {
        args.tm.open_write(false)?.delete(&filter)?
    };
    let mut out = Output::create(None)?;
    let text = match args.format {
        TextOrJson::Jsonl => {
            let key = if args.dry_run {
                "would_delete"
            } else {
                "deleted"
            };
            format!("{}\n", serde_json::json!({ key: ids }))
        }
        TextOrJson::Text => {
            let verb = if args.dry_run {
                "would delete"
            } else {
                "deleted"
            };
            let list: Vec<String> = ids.iter().take(20).map(|i| i.to_string()).collect();
            let more = if ids.len() > 20 { ", …" } else { "" };
            format!(
                "{verb} {} unit{}{}{}\n",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(": {}", list.join(", "))
                },
                more
            )
        }
    };
    out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
