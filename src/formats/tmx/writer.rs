//! The TMX 1.4b writer: valid against the TMX 1.4 DTD (`tmx14.dtd`), one unit at a
//! time.
//!
//! No DOCTYPE is written: readers that load external DTDs (Java's default) would look
//! for `tmx14.dtd` beside the file; validators are given the DTD (`xmllint
//! --dtdvalid tmx14.dtd`). The header carries the seven required attributes (`creationtool="bitext"`, its
//! version, `segtype`, `o-tmf`, `adminlang`, `srclang`, `datatype`), dates are
//! `YYYYMMDDThhmmssZ`, every `<tuv>` has `xml:lang`, props and notes are written at
//! header, unit and variant level, and inline markup is restored (made valid first,
//! unless [`InlineMode::Verbatim`]). Unit fields TMX has no attribute for travel as
//! props: `x-bitext-origin`, `x-bitext-score`, `x-bitext-context-prev`,
//! `x-bitext-context-next` (read back into the fields).

use std::fmt::Write as _;
use std::io::Write;

use jiff::Timestamp;

use super::inline::{self, escape_attr, escape_text, is_xml_char};
use super::reader::{PROP_CONTEXT_NEXT, PROP_CONTEXT_PREV, PROP_ORIGIN, PROP_SCORE};
use super::{format_tmx_date, InlineMode, TmxHeader};
use crate::error::{Error, Result};
use crate::formats::{unit_location, UnitWriteOptions, WriteReport};
use crate::text::LangTag;
use crate::unit::{Note, Prop, Provenance, TranslationUnit, Variant};

const SEGTYPES: [&str; 4] = ["block", "paragraph", "sentence", "phrase"];

/// Writes TMX 1.4b.
pub struct TmxWriter<W: Write> {
    out: W,
    source_lang: Option<LangTag>,
    header: Option<TmxHeader>,
    inline: InlineMode,
    /// The header's `srclang` once written.
    srclang: Option<String>,
    ordinal: u64,
    report: WriteReport,
    buf: String,
}

/// Refuses text XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF).
fn check_chars(text: &str, what: &dyn Fn() -> String) -> Result<()> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        None => Ok(()),
        Some(c) => Err(Error::invalid(format!(
            "{} contains U+{:04X}, which XML 1.0 cannot represent",
            what(),
            c as u32
        ))),
    }
}

fn attr(out: &mut String, name: &str, value: &str) -> Result<()> {
    check_chars(value, &|| format!("the {name} attribute"))?;
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(value, out);
    out.push('"');
    Ok(())
}

fn date_attr(out: &mut String, name: &str, date: Option<Timestamp>) {
    if let Some(date) = date {
        let _ = write!(out, " {name}=\"{}\"", format_tmx_date(date));
    }
}

fn provenance_attrs(out: &mut String, p: &Provenance) -> Result<()> {
    date_attr(out, "creationdate", p.created);
    if let Some(id) = &p.created_by {
        attr(out, "creationid", id)?;
    }
    date_attr(out, "changedate", p.changed);
    if let Some(id) = &p.changed_by {
        attr(out, "changeid", id)?;
    }
    date_attr(out, "lastusagedate", p.last_used);
    if let Some(n) = p.usage_count {
        let _ = write!(out, " usagecount=\"{n}\"");
    }
    Ok(())
}

fn write_prop(out: &mut String, indent: &str, prop: &Prop) -> Result<()> {
    out.push_str(indent);
    out.push_str("<prop");
    attr(out, "type", &prop.kind)?;
    if let Some(lang) = &prop.lang {
        attr(out, "xml:lang", lang)?;
    }
    out.push('>');
    check_chars(&prop.value, &|| format!("the prop {:?}", prop.kind))?;
    escape_text(&prop.value, out);
    out.push_str("</prop>\n");
    Ok(())
}

fn write_note(out: &mut String, indent: &str, note: &Note) -> Result<()> {
    out.push_str(indent);
    out.push_str("<note");
    if let Some(lang) = &note.lang {
        attr(out, "xml:lang", lang)?;
    }
    out.push('>');
    check_chars(&note.text, &|| "a note".to_string())?;
    escape_text(&note.text, out);
    out.push_str("</note>\n");
    Ok(())
}

/// A header attribute value as a language tag, normalised when it is one.
fn lang_value(raw: &str) -> String {
    match LangTag::parse(raw) {
        Ok(tag) => tag.to_string(),
        Err(_) => raw.trim().to_string(),
    }
}

impl<W: Write> TmxWriter<W> {
    pub(crate) fn new(out: W, options: &UnitWriteOptions) -> TmxWriter<W> {
        TmxWriter {
            out,
            source_lang: options.source_lang.clone(),
            header: options.tmx_header.clone(),
            inline: options.inline,
            srclang: None,
            ordinal: 0,
            report: WriteReport::default(),
            buf: String::new(),
        }
    }

    fn write_header(&mut self, first: Option<&TranslationUnit>) -> Result<()> {
        let header = self.header.clone().unwrap_or_default();
        let srclang = match (&self.source_lang, &header.src_lang) {
            (Some(tag), _) => tag.to_string(),
            (None, Some(raw)) if raw.trim() == "*all*" => "*all*".to_string(),
            (None, Some(raw)) if LangTag::parse(raw).is_ok() => lang_value(raw),
            _ => first
                .and_then(|u| u.source_lang.as_ref())
                .map_or_else(|| "*all*".to_string(), LangTag::to_string),
        };
        let seg_type = header
            .seg_type
            .as_deref()
            .map(str::trim)
            .filter(|s| SEGTYPES.contains(s))
            .unwrap_or("sentence");
        let admin_lang = header
            .admin_lang
            .as_deref()
            .map(lang_value)
            .unwrap_or_else(|| "en".to_string());
        let mut s = String::with_capacity(512);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.push_str("<tmx version=\"1.4\">\n  <header");
        attr(&mut s, "creationtool", "bitext")?;
        attr(&mut s, "creationtoolversion", env!("CARGO_PKG_VERSION"))?;
        attr(&mut s, "segtype", seg_type)?;
        attr(&mut s, "o-tmf", header.o_tmf.as_deref().unwrap_or("bitext"))?;
        attr(&mut s, "adminlang", &admin_lang)?;
        attr(&mut s, "srclang", &srclang)?;
        attr(
            &mut s,
            "datatype",
            header.data_type.as_deref().unwrap_or("plaintext"),
        )?;
        if let Some(enc) = &header.o_encoding {
            attr(&mut s, "o-encoding", enc)?;
        }
        if header.props.is_empty() && header.notes.is_empty() && header.udes.is_empty() {
            s.push_str("/>\n");
        } else {
            s.push_str(">\n");
            for note in &header.notes {
                write_note(&mut s, "    ", note)?;
            }
            for prop in &header.props {
                write_prop(&mut s, "    ", prop)?;
            }
            for ude in &header.udes {
                check_chars(ude, &|| "a <ude>".to_string())?;
                s.push_str("    ");
                s.push_str(ude);
                s.push('\n');
            }
            s.push_str("  </header>\n");
        }
        s.push_str("  <body>\n");
        self.out.write_all(s.as_bytes())?;
        self.srclang = Some(srclang);
        Ok(())
    }

    /// The `<seg>` content of a variant.
    fn seg_content(
        &mut self,
        variant: &Variant,
        out: &mut String,
        changes: &mut Vec<String>,
    ) -> Result<()> {
        let what = || format!("the {} text", variant.lang);
        check_chars(&variant.text, &what)?;
        if let Some(markup) = &variant.markup {
            check_chars(markup, &|| format!("the {} markup", variant.lang))?;
            let plain = inline::plain_text(markup).map_err(|e| {
                Error::invalid(format!(
                    "the {} markup is not well-formed: {}",
                    variant.lang,
                    crate::formats::error_message(&e)
                ))
            })?;
            if plain == variant.text {
                match self.inline {
                    InlineMode::Verbatim => out.push_str(markup),
                    InlineMode::Valid => {
                        let valid = inline::sanitize(markup, changes)?;
                        out.push_str(&valid);
                    }
                }
                return Ok(());
            }
            // The text was changed after the markup was kept: the text wins.
            self.report.markup_dropped += 1;
        }
        escape_text(&variant.text, out);
        Ok(())
    }

    /// Writes one unit; see [`crate::formats::UnitWriter::write_unit`]. Nothing of a unit
    /// that cannot be written (text XML cannot hold, broken markup) is written.
    pub fn write_unit(&mut self, unit: &TranslationUnit) -> Result<bool> {
        self.ordinal += 1;
        if self.srclang.is_none() {
            self.write_header(Some(unit))?;
        }
        let location = unit_location(unit, self.ordinal);
        if unit.variants.is_empty() {
            self.report.skip(location, "no variants");
            return Ok(false);
        }
        let mut s = std::mem::take(&mut self.buf);
        s.clear();
        let mut changes = Vec::new();
        let built = self.build_unit(unit, &mut s, &mut changes);
        let result = match built {
            Ok(()) => {
                self.out.write_all(s.as_bytes())?;
                self.report.units += 1;
                for change in changes {
                    *self.report.markup_changes.entry(change).or_insert(0) += 1;
                }
                Ok(true)
            }
            Err(e) => Err(e.at(location)),
        };
        self.buf = s;
        result
    }

    fn build_unit(
        &mut self,
        unit: &TranslationUnit,
        s: &mut String,
        changes: &mut Vec<String>,
    ) -> Result<()> {
        s.push_str("    <tu");
        if let Some(id) = &unit.id {
            attr(s, "tuid", id)?;
        }
        match &unit.source_lang {
            Some(src) if self.srclang.as_deref() != Some(src.as_str()) => {
                attr(s, "srclang", src.as_str())?
            }
            // No source language of its own: say so, or it would inherit the header's.
            None if self.srclang.as_deref() != Some("*all*") => attr(s, "srclang", "*all*")?,
            _ => {}
        }
        provenance_attrs(s, &unit.provenance)?;
        s.push_str(">\n");
        for note in &unit.notes {
            write_note(s, "      ", note)?;
        }
        for prop in &unit.props {
            write_prop(s, "      ", prop)?;
        }
        let own = |kind: &str, value: String| Prop {
            kind: kind.to_string(),
            value,
            lang: None,
        };
        if let Some(file) = &unit.origin.file {
            write_prop(s, "      ", &own(PROP_ORIGIN, file.clone()))?;
        }
        if let Some(score) = unit.origin.score {
            write_prop(s, "      ", &own(PROP_SCORE, score.to_string()))?;
        }
        if let Some(prev) = &unit.context.prev {
            write_prop(s, "      ", &own(PROP_CONTEXT_PREV, prev.clone()))?;
        }
        if let Some(next) = &unit.context.next {
            write_prop(s, "      ", &own(PROP_CONTEXT_NEXT, next.clone()))?;
        }
        for variant in &unit.variants {
            s.push_str("      <tuv");
            attr(s, "xml:lang", variant.lang.as_str())?;
            provenance_attrs(s, &variant.provenance)?;
            let block = !variant.props.is_empty() || !variant.notes.is_empty();
            if block {
                s.push_str(">\n");
                for note in &variant.notes {
                    write_note(s, "        ", note)?;
                }
                for prop in &variant.props {
                    write_prop(s, "        ", prop)?;
                }
                s.push_str("        <seg>");
            } else {
                s.push_str("><seg>");
            }
            self.seg_content(variant, s, changes)?;
            s.push_str("</seg>");
            if block {
                s.push_str("\n      ");
            }
            s.push_str("</tuv>\n");
        }
        s.push_str("    </tu>\n");
        Ok(())
    }

    /// Writes the header if no unit came, closes the document, flushes, and returns
    /// the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        if self.srclang.is_none() {
            self.write_header(None)?;
        }
        self.out.write_all(b"  </body>\n</tmx>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Counts so far.
    pub fn report(&self) -> &WriteReport {
        &self.report
    }
}
