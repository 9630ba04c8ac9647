//! What the translation-memory commands share: which memory file, how to open it, the
//! user name, language and date arguments.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use bitext::memory::{Memory, NewMemory, OnDuplicate, OpenOptions, WriteOptions};
use bitext::text::LangTag;

/// Environment variable naming the memory file.
pub const TM_ENV: &str = "BITEXT_TM";
/// Environment variable naming the user recorded with new units.
pub const USER_ENV: &str = "BITEXT_USER";

/// Where the memory is.
#[derive(Debug, Args)]
pub struct TmArgs {
    /// The memory file. Default: $BITEXT_TM, else $XDG_DATA_HOME/bitext/memory.sqlite
    /// (~/.local/share/bitext/memory.sqlite).
    #[arg(long, value_name = "PATH")]
    pub tm: Option<PathBuf>,

    /// Seconds to wait when another process is writing to the memory, before failing.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = wait_seconds)]
    pub wait: f64,
}

impl TmArgs {
    /// The memory file's path.
    pub fn path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.tm {
            return Ok(p.clone());
        }
        if let Some(p) = std::env::var_os(TM_ENV).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        default_path().context(
            "no memory given: use --tm PATH or set BITEXT_TM (no home directory for the default)",
        )
    }

    /// `--wait` as a duration.
    pub fn busy_timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.wait.clamp(0.0, 86_400.0))
            .unwrap_or(Duration::from_secs(10))
    }

    fn options(&self, create: bool, read_only: bool) -> OpenOptions {
        let mut options = OpenOptions::default();
        options.create = create;
        options.read_only = read_only;
        options.busy_timeout = self.busy_timeout();
        options
    }

    /// Opens the memory for reading.
    pub fn open_read(&self) -> Result<Memory> {
        let path = self.path()?;
        Ok(Memory::open(&path, &self.options(false, true))?)
    }

    /// Starts a new memory at the path (see [`Memory::create_new`]), or `None` if
    /// something is there already, or another process made it while this one waited
    /// for it to finish (up to `--wait`).
    pub fn create_new(&self) -> Result<Option<NewMemory>> {
        let path = self.path()?;
        if std::fs::symlink_metadata(&path).is_ok() {
            return Ok(None);
        }
        match Memory::create_new(&path, &self.options(true, false)) {
            Ok(new) => Ok(Some(new)),
            Err(_) if std::fs::symlink_metadata(&path).is_ok() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens the memory for writing, creating it if asked.
    pub fn open_write(&self, create: bool) -> Result<Memory> {
        let path = self.path()?;
        Ok(Memory::open(&path, &self.options(create, false))?)
    }
}

/// The default memory file: `$XDG_DATA_HOME/bitext/memory.sqlite`, else
/// `~/.local/share/bitext/memory.sqlite` (`%APPDATA%\bitext\memory.sqlite` on Windows).
pub fn default_path() -> Option<PathBuf> {
    let base = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|p| !p.is_empty())
                    .map(|h| PathBuf::from(h).join(".local").join("share"))
            })
    }?;
    Some(base.join("bitext").join("memory.sqlite"))
}

/// The user recorded with new units: `--user`, else $BITEXT_USER.
pub fn user(arg: &Option<String>) -> Result<Option<String>> {
    let user = arg
        .clone()
        .or_else(|| std::env::var(USER_ENV).ok())
        .filter(|u| !u.trim().is_empty());
    if let Some(u) = &user {
        bitext::memory::check_name(u, "the user name")
            .with_context(|| format!("--user (or ${USER_ENV}) {u:?}"))?;
    }
    Ok(user)
}

/// The memory writer's options: what to do with duplicates, the user recorded.
pub fn write_options(on_duplicate: Duplicates, user: Option<String>) -> WriteOptions {
    let mut options = WriteOptions::default();
    options.on_duplicate = on_duplicate.into();
    options.user = user;
    options
}

/// `--wait SECONDS`: a duration from 0 to a day (no NaN, no negative or endless wait).
pub fn wait_seconds(raw: &str) -> std::result::Result<f64, String> {
    let seconds: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a number of seconds"))?;
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{raw} is not between 0 and 86400 seconds (a day)"));
    }
    Ok(seconds)
}

/// `--max N` of lookups: at least 1 (the library's check, as the server's `limit`).
pub fn at_least_one(raw: &str) -> std::result::Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) => bitext::memory::LookupRequest::check_max(n).map_err(|e| e.to_string()),
        Err(e) => Err(format!("{raw:?}: {e}")),
    }
}

/// `--min N` of lookups: a match percentage 1-101 (the library's check, as the
/// server's `min`).
pub fn min_percent(raw: &str) -> std::result::Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) => bitext::memory::LookupRequest::check_min_percent(n).map_err(|e| e.to_string()),
        Err(e) => Err(format!("{raw:?}: {e}")),
    }
}

/// Refuses a source and target language that are the same tag (`en` and `en`; `en-US`
/// and `en-GB` are different), which is almost always a typo.
pub fn distinct_langs(src: &LangTag, tgt: &LangTag) -> Result<()> {
    if src == tgt {
        anyhow::bail!(
            "--src-lang and --tgt-lang are both {src}: give the language to translate into \
             with --tgt-lang"
        );
    }
    Ok(())
}

/// Parses a language tag given on the command line: its shape, and a language subtag
/// BCP 47 allows (`eng`, `english` are refused with "use en").
pub fn lang(raw: &str, what: &str) -> Result<LangTag> {
    let tag = lang_syntax(raw, what)?;
    tag.check_language_subtag()
        .with_context(|| format!("{what} {raw:?}"))?;
    Ok(tag)
}

/// Parses a language tag given on the command line, checking its shape only (a name
/// too long to be a subtag, `portuguese`, still gets its suggestion).
fn lang_syntax(raw: &str, what: &str) -> Result<LangTag> {
    LangTag::parse(raw).map_err(|err| match bitext::text::suggest_language(raw) {
        Some(code) => anyhow::anyhow!(
            "{what} {raw:?}: not a BCP 47 language tag: use {code} (BCP 47 takes the \
             two-letter ISO 639-1 code where a language has one)"
        ),
        None => anyhow::Error::new(err).context(format!("{what} {raw:?}")),
    })
}

/// The language pair a lookup asks the memory for: `lookup` and `pretranslate`.
#[derive(Debug, Args)]
pub struct LookupLangArgs {
    /// Language of the text looked up (BCP 47: en, en-GB, pt-BR). Default: the memory's
    /// only language pair.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,
    /// Language of the translations wanted. Default: the memory's only language pair.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,
    /// Match language tags exactly: `en` then does not find `en-US`, nor `en-GB` `en`.
    /// Without it, other variants of a language are found one point lower per side
    /// (`-s en-GB` finds `en` and `en-US` units; `-t ru-RU` finds `ru` translations).
    #[arg(long)]
    pub strict_lang: bool,
}

impl LookupLangArgs {
    /// The pair to look up, from -s/-t (see [`lookup_langs`]).
    pub fn pair(&self, memory: &Memory, global: &super::Global) -> Result<(LangTag, LangTag)> {
        self.pair_or(memory, None, None, global)
    }

    /// The same, a side -s/-t leave out taken from `src`/`tgt` when given (the
    /// languages an XLIFF file declares).
    pub fn pair_or(
        &self,
        memory: &Memory,
        src: Option<&str>,
        tgt: Option<&str>,
        global: &super::Global,
    ) -> Result<(LangTag, LangTag)> {
        lookup_langs(
            memory,
            self.src_lang.as_deref().or(src),
            self.tgt_lang.as_deref().or(tgt),
            global,
        )
    }
}

/// The source and target languages of a lookup in `memory` (`lookup`,
/// `pretranslate`), from `-s`/`-t`:
///
/// * a tag the memory holds is taken as it is; any other must be one BCP 47 allows
///   (`eng` is refused: "use en");
/// * a side not given is the memory's only choice, said on stderr (the memory's only
///   language pair when neither is given); several choices are refused, listed;
/// * a pair the memory holds no units of is refused with the pairs it holds, rather
///   than answering "no match" to every query. Lookups go either way; a variant of a
///   language counts for it here even when `--strict-lang` will then leave it out.
fn lookup_langs(
    memory: &Memory,
    src: Option<&str>,
    tgt: Option<&str>,
    global: &super::Global,
) -> Result<(LangTag, LangTag)> {
    let held = memory.languages()?;
    let held_tags = held.tags();
    let given = |raw: Option<&str>, what: &str| -> Result<Option<LangTag>> {
        let Some(raw) = raw else { return Ok(None) };
        let tag = lang_syntax(raw, what)?;
        if !held_tags.contains(&tag) {
            tag.check_language_subtag()
                .with_context(|| format!("{what} {raw:?}"))?;
        }
        Ok(Some(tag))
    };
    let (src, tgt) = (given(src, "--src-lang")?, given(tgt, "--tgt-lang")?);
    let (src, tgt) = match (src, tgt) {
        (Some(s), Some(t)) => (s, t),
        (s, t) => {
            let mut choices = held.pair_choices(s.as_ref(), t.as_ref());
            let missing = match (&s, &t) {
                (None, None) => "-s/--src-lang and -t/--tgt-lang",
                (Some(_), None) => "-t/--tgt-lang",
                _ => "-s/--src-lang",
            };
            match choices.len() {
                1 => {
                    let (s, t) = choices.remove(0);
                    if !global.quiet {
                        eprintln!(
                            "bitext: note: -s {s} -t {t}: the only language pair of the memory \
                             that fits (give {missing} to choose)"
                        );
                    }
                    (s, t)
                }
                0 => bail!(
                    "give {missing}: the memory holds no language pair to take them from; \
                     its pairs: {}",
                    held.pairs_list()
                ),
                _ => bail!(
                    "give {missing}: the memory holds several language pairs: {} (lookups \
                     go either way)",
                    held.pairs_list()
                ),
            }
        }
    };
    distinct_langs(&src, &tgt)?;
    if !held.may_hold_pair(&src, &tgt) {
        bail!(
            "the memory holds no {src} -> {tgt} units; its language pairs: {} (lookups go \
             either way); choose them with -s/--src-lang and -t/--tgt-lang",
            held.pairs_list()
        );
    }
    Ok((src, tgt))
}

/// A language filter of a search in `memory` (`concordance`): a tag the memory holds
/// is taken as it is, any other must be one BCP 47 allows, and the memory must hold
/// the language (itself or a variant of it; refused with the languages it holds).
pub fn held_lang(memory: &Memory, raw: &str, what: &str) -> Result<LangTag> {
    let held = memory.languages()?;
    let tag = lang_syntax(raw, what)?;
    if held.tags().contains(&tag) {
        return Ok(tag);
    }
    tag.check_language_subtag()
        .with_context(|| format!("{what} {raw:?}"))?;
    if !held.serves(&tag) {
        bail!(
            "{what} {tag}: the memory holds no {tag} texts; its languages: {}",
            held.languages_list()
        );
    }
    Ok(tag)
}

/// A date or time on the command line: `2024-05-01` (midnight UTC) or an RFC 3339
/// timestamp (`2024-05-01T12:00:00Z`).
pub fn timestamp(raw: &str, what: &str) -> Result<jiff::Timestamp> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = raw.parse().with_context(|| {
        format!("{what} {raw:?}: expected a date (2024-05-01) or a time (2024-05-01T12:00:00Z)")
    })?;
    jiff::tz::Offset::UTC
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .with_context(|| format!("{what} {raw:?}"))
}

/// `--on-duplicate` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Duplicates {
    /// Keep a different translation of a stored source as an alternative.
    #[default]
    Keep,
    /// Leave the stored units alone and drop the new one.
    Skip,
    /// Remove the stored units with that source and store the new one.
    Replace,
}

impl From<Duplicates> for OnDuplicate {
    fn from(d: Duplicates) -> OnDuplicate {
        match d {
            Duplicates::Keep => OnDuplicate::Keep,
            Duplicates::Skip => OnDuplicate::Skip,
            Duplicates::Replace => OnDuplicate::Replace,
        }
    }
}

/// Text or JSON Lines output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TextOrJson {
    /// For people.
    #[default]
    Text,
    /// One JSON object a line, for programs.
    Jsonl,
}
