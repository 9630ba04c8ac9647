//! JSON Lines: one unit a line, either a whole [`TranslationUnit`] (its serde form,
//! recognised by a `"variants"` key) or the simple shape
//! `{"source": …, "target": …, "src_lang": …, "tgt_lang": …}` (optional `score`,
//! `id`, `note`; the languages may come from the caller instead). Blank lines are
//! skipped; an error names its line and column.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{unit_location, Item, ReadOptions, ReadReport, Source, UnitWriteOptions, WriteReport};
use crate::error::{Error, Location, Result};
use crate::text::input::{self, Head, TextInput};
use crate::text::LangTag;
use crate::unit::{Note, TranslationUnit};

/// The simple record shape.
#[derive(Debug, Deserialize, Serialize)]
struct Simple {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<serde_json::Value>,
    #[serde(
        alias = "source_lang",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    src_lang: Option<LangTag>,
    #[serde(
        alias = "target_lang",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    tgt_lang: Option<LangTag>,
    source: String,
    target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Reads JSON Lines.
pub(crate) struct JsonlReader {
    input: TextInput<Box<dyn Read + Send>>,
    path: Option<PathBuf>,
    source_lang: Option<LangTag>,
    target_lang: Option<LangTag>,
    line: u64,
    buf: Vec<u8>,
}

impl JsonlReader {
    pub(crate) fn new<R: Read + Send + 'static>(
        prefix: &[u8],
        head: Head<R>,
        path: Option<PathBuf>,
        options: &ReadOptions,
    ) -> Result<JsonlReader> {
        let input =
            input::decode_text(prefix, head, options.encoding).map_err(|e| match &path {
                Some(p) => e.in_file(p),
                None => e,
            })?;
        Ok(JsonlReader {
            input,
            path,
            source_lang: options.source_lang.clone(),
            target_lang: options.target_lang.clone(),
            line: 0,
            buf: Vec::new(),
        })
    }

    fn location(&self) -> Location {
        Location::default()
            .or_path(self.path.as_deref())
            .with_line(self.line)
    }

    fn parse(&self, record: &[u8]) -> Result<TranslationUnit> {
        let json_error = |e: serde_json::Error| {
            let message = e.to_string();
            // serde_json appends " at line L column C"; the line is ours, keep the column.
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            let what = if e.is_data() {
                Error::invalid(message).at(self.location())
            } else {
                Error::syntax(
                    format!("not a valid JSON record: {message}"),
                    self.location(),
                )
            };
            let location = what.location().clone().with_column(e.column() as u64);
            what.at(location)
        };
        let unit = if memchr::memmem::find(record, b"\"variants\"").is_some() {
            let unit: TranslationUnit = serde_json::from_slice(record).map_err(json_error)?;
            if unit.variants.is_empty() {
                return Err(Error::invalid("the unit has no variants").at(self.location()));
            }
            unit
        } else {
            let simple: Simple = serde_json::from_slice(record).map_err(json_error)?;
            let missing = |what: &str, option: &str| {
                Error::invalid(format!(
                    "the record has no {what} and no {option} was given"
                ))
                .at(self.location())
            };
            let src = simple
                .src_lang
                .or_else(|| self.source_lang.clone())
                .ok_or_else(|| missing("src_lang", "--src-lang"))?;
            let tgt = simple
                .tgt_lang
                .or_else(|| self.target_lang.clone())
                .ok_or_else(|| missing("tgt_lang", "--tgt-lang"))?;
            let mut unit = TranslationUnit::pair(src, simple.source, tgt, simple.target);
            unit.id = simple.id.map(|id| match id {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
            unit.origin.score = simple.score;
            if let Some(text) = simple.note {
                unit.notes.push(Note { text, lang: None });
            }
            unit
        };
        Ok(unit)
    }
}

impl Source for JsonlReader {
    fn next_item(&mut self, _report: &mut ReadReport) -> Option<Item> {
        loop {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => self.line += 1,
                Err(e) => return Some(Item::Fatal(input::io_error(e, self.path.as_deref()))),
            }
            let record = self.buf.trim_ascii();
            if record.is_empty() {
                continue;
            }
            return Some(match self.parse(record) {
                Ok(unit) => Item::Unit(unit),
                Err(e) => Item::Invalid(e),
            });
        }
    }
}

/// Writes JSON Lines.
pub struct JsonlWriter<W: Write> {
    out: W,
    simple: bool,
    langs: Vec<LangTag>,
    ordinal: u64,
    report: WriteReport,
    line: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    pub(crate) fn new(out: W, options: &UnitWriteOptions) -> JsonlWriter<W> {
        JsonlWriter {
            out,
            simple: options.jsonl_simple,
            langs: options.langs.clone(),
            ordinal: 0,
            report: WriteReport::default(),
            line: Vec::new(),
        }
    }

    fn simple_record(&mut self, unit: &TranslationUnit) -> Option<Simple> {
        let (source, target) = if self.langs.len() >= 2 {
            (unit.variant(&self.langs[0])?, unit.variant(&self.langs[1])?)
        } else {
            // No pair chosen: each record names its own languages, so each unit gives
            // its own pair (its source and its first other language); units of
            // another pair than the first are not dropped.
            let src = unit
                .source_lang
                .as_ref()
                .or_else(|| unit.variants.first().map(|v| &v.lang))?;
            let tgt = unit
                .variants
                .iter()
                .map(|v| &v.lang)
                .find(|l| !l.matches(src) && !src.matches(l))?;
            (unit.variant(src)?, unit.variant(tgt)?)
        };
        self.report.markup_dropped +=
            source.markup.is_some() as u64 + target.markup.is_some() as u64;
        self.report.variants_dropped += unit.variants.len().saturating_sub(2) as u64;
        Some(Simple {
            id: unit.id.clone().map(serde_json::Value::String),
            src_lang: Some(source.lang.clone()),
            tgt_lang: Some(target.lang.clone()),
            source: source.text.clone(),
            target: target.text.clone(),
            score: unit.origin.score,
            note: (!unit.notes.is_empty()).then(|| {
                unit.notes
                    .iter()
                    .map(|n| n.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
        })
    }

    /// Writes one unit as a line; see [`super::UnitWriter::write_unit`].
    pub fn write_unit(&mut self, unit: &TranslationUnit) -> Result<bool> {
        self.ordinal += 1;
        self.line.clear();
        let written = if self.simple {
            match self.simple_record(unit) {
                Some(record) => serde_json::to_writer(&mut self.line, &record),
                None => {
                    let langs: Vec<String> = self.langs.iter().map(|l| l.to_string()).collect();
                    self.report.skip(
                        unit_location(unit, self.ordinal),
                        if langs.is_empty() {
                            "fewer than two languages".to_string()
                        } else {
                            format!("no {} pair", langs.join("-"))
                        },
                    );
                    return Ok(false);
                }
            }
        } else {
            serde_json::to_writer(&mut self.line, unit)
        };
        written.map_err(|e| Error::invalid(format!("cannot write the unit as JSON: {e}")))?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.report.units += 1;
        Ok(true)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// Counts so far.
    pub fn report(&self) -> &WriteReport {
        &self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, Reader};
    use std::io;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    fn read(text: &str, options: ReadOptions) -> Result<Vec<TranslationUnit>> {
        let options = ReadOptions {
            format: Some(Format::Jsonl),
            ..options
        };
        Reader::from_reader(io::Cursor::new(text.as_bytes().to_vec()), None, &options)?.collect()
    }

    #[test]
    fn full_and_simple_shapes() {
        let mut unit = TranslationUnit::pair(tag("en"), "Hi", tag("de"), "Hallo");
        unit.variants[1].markup = Some("<b>Hallo</b>".into());
        let full = serde_json::to_string(&unit).unwrap();
        let text = format!("{full}\n\n{{\"source\":\"a\",\"target\":\"b\",\"score\":0.7}}\n");
        let options = ReadOptions {
            source_lang: Some(tag("en")),
            target_lang: Some(tag("fr")),
            ..ReadOptions::default()
        };
        let units = read(&text, options).unwrap();
        assert_eq!(units[0], unit);
        assert_eq!(units[1].variants[1].lang, tag("fr"));
        assert_eq!(units[1].origin.score, Some(0.7));
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = read("{\"source\":\"a\",\"target\":\"b\",\"src_lang\":\"en\",\"tgt_lang\":\"fr\"}\n{\"source\": oops}\n", ReadOptions::default())
            .unwrap_err();
        assert_eq!(err.location().line, Some(2), "{err}");
        assert_eq!(err.location().column, Some(12), "{err}");
        assert!(err.to_string().contains("not a valid JSON record"), "{err}");
        let err = read(
            "{\"source\":\"a\",\"target\":\"b\",\"src_lang\":\"\",\"tgt_lang\":\"fr\"}\n",
            ReadOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("empty language tag"), "{err}");
        let err = read(
            "{\"source\":\"a\",\"target\":\"b\"}\n",
            ReadOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no src_lang"), "{err}");
    }

    #[test]
    fn simple_writer_picks_the_pair() {
        let unit = TranslationUnit::pair(tag("en-US"), "Hi", tag("de"), "Hallo");
        let options = UnitWriteOptions {
            jsonl_simple: true,
            ..UnitWriteOptions::default()
        };
        let mut w = JsonlWriter::new(Vec::new(), &options);
        w.write_unit(&unit).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"src_lang\":\"en-US\",\"tgt_lang\":\"de\",\"source\":\"Hi\",\"target\":\"Hallo\"}\n"
        );
    }
}
