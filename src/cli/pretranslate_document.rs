//! `bitext pretranslate doc.txt --to txt|xliff|xliff2`: the document itself,
//! pre-translated. The text is made into XLIFF (`formats::xliff::document`), filled
//! from the memory as any XLIFF file is (`pretranslate_xliff`), and written as that
//! XLIFF or rebuilt into the translated text.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::pretranslate::{DocumentFormat, PretranslateArgs};
use super::pretranslate_xliff::{run_made, Made};
use super::Global;
use bitext::formats::xliff::{
    copy_sources, write_text, write_xliff, Targets, TextToXliff, Version,
};

/// The text an XLIFF file made by bitext stands for, its targets in place.
fn rebuild(xliff: Vec<u8>, path: Option<&Path>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_text(Cursor::new(xliff), path, None, &mut out)?;
    Ok(out)
}

/// The document's name for `<file original>`: its file name.
pub(super) fn original(doc: &Path) -> String {
    if doc.as_os_str() == "-" {
        return "stdin.txt".into();
    }
    doc.file_name().map_or_else(
        || doc.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The document as a reader (`-`: standard input).
pub(super) fn open(doc: &Path) -> Result<Box<dyn Read + Send>> {
    if doc.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    if doc.is_dir() {
        bail!("{}: is a directory, not a document", doc.display());
    }
    let file =
        std::fs::File::open(doc).with_context(|| format!("cannot read {}", doc.display()))?;
    Ok(Box::new(file))
}

pub fn run(
    mut args: PretranslateArgs,
    to: DocumentFormat,
    is_xliff: bool,
    global: &Global,
) -> Result<ExitCode> {
    let name = if args.doc.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        args.doc.display().to_string()
    };
    if is_xliff {
        if to != DocumentFormat::Txt {
            bail!(
                "{name} is XLIFF already: leave out -f/--format to pre-translate it as it is, \
                 or give -f txt for the translated text it stands for"
            );
        }
        let path = args.doc.clone();
        let made = Made {
            name,
            xliff: None,
            finish: Box::new(move |xliff| rebuild(xliff, Some(&path))),
        };
        return run_made(args, global, Some(made));
    }
    // The languages first (quietly: the pre-translation says the same again).
    let memory = args.tm.open_read()?;
    let (src, tgt) = args.langs.pair(&memory, &Global { quiet: true })?;
    drop(memory);
    let segmenter = args.srx.segmenter(&src, global)?;
    let version = if to == DocumentFormat::Xliff2 {
        Version::V2
    } else {
        Version::V1
    };
    // Copies of the source go into the targets left empty after the pre-translation.
    let copy = args.copy_source && to != DocumentFormat::Txt;
    let options = TextToXliff {
        version,
        targets: if copy { Targets::Empty } else { Targets::None },
        source_lang: src.clone(),
        target_lang: Some(tgt.clone()),
        original: original(&args.doc),
        encoding: args.encoding.encoding,
    };
    let path: Option<PathBuf> = (args.doc.as_os_str() != "-").then(|| args.doc.clone());
    let mut xliff = Vec::new();
    write_xliff(
        open(&args.doc)?,
        path.as_deref(),
        &segmenter,
        &options,
        &mut xliff,
    )?;
    args.langs.src_lang = Some(src.to_string());
    args.langs.tgt_lang = Some(tgt.to_string());
    let finish: Box<dyn FnOnce(Vec<u8>) -> Result<Vec<u8>>> = match to {
        DocumentFormat::Txt => Box::new(|xliff| rebuild(xliff, None)),
        DocumentFormat::Xliff | DocumentFormat::Xliff2 if copy => Box::new(move |xliff| {
            let text = String::from_utf8(xliff).context("internal error: XLIFF not UTF-8")?;
            Ok(copy_sources(&text, version).into_bytes())
        }),
        DocumentFormat::Xliff | DocumentFormat::Xliff2 => Box::new(Ok),
    };
    let made = Made {
        name,
        xliff: Some(xliff),
        finish,
    };
    run_made(args, global, Some(made))
}
