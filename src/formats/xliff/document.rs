//! Plain-text documents as XLIFF, and back: [`write_xliff`] segments a text into an
//! XLIFF 1.2 or 2.0 file a CAT tool opens, [`write_text`] turns that file (translated
//! or not) back into the document, byte for byte where nothing was translated.
//!
//! What makes the round trip exact is that every byte of the text is in the file:
//! the sentences as units (1.2: a `<trans-unit>` per sentence in a `<group>` per
//! paragraph; 2.x: a `<unit>` per paragraph with a `<segment>` per sentence), all
//! written with `xml:space="preserve"` and `\r` as `&#13;`, and the white space
//! between them (blank lines, line ends, indentation, double spaces) as a skeleton
//! (1.2: `<header><skl><internal-file form="application/json">`, each unit's id with
//! the white space after it) or as `<ignorable>`s (2.x). The skeleton also records the
//! text's encoding and byte-order mark. A file without bitext's skeleton came from
//! some other tool and its document cannot be rebuilt here: [`write_text`] refuses it
//! by name rather than guess (see `docs/xliff.md`).

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read, Seek, Write};
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use serde::{Deserialize, Serialize};

use super::inline::Version;
use crate::error::{Error, Location, Result};
use crate::formats::tmx::inline::{escape_attr, escape_text};
use crate::formats::xml::{Ev, XmlEvents};
use crate::segment::Segmenter;
use crate::text::input::{self, TextInput};
use crate::text::LangTag;

/// What the skeleton says it is: the value of its `"bitext"` key.
const SKELETON_KIND: &str = "text-document";

/// The MIME type of the 1.2 skeleton (`<internal-file form>`).
const SKELETON_FORM: &str = "application/json";

/// A unit's text larger than this (decoded bytes) is refused.
const MAX_TEXT: usize = super::reader::MAX_UNIT_BYTES as usize;

/// What a text document's XLIFF records besides its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Skeleton {
    /// Always [`SKELETON_KIND`]: tells bitext's files from other tools'.
    bitext: String,
    /// The skeleton's version (1).
    version: u32,
    /// The text's encoding (`encoding_rs` name: `UTF-8`, `UTF-16LE`, `windows-1252`…).
    encoding: String,
    /// Whether the text started with a byte-order mark.
    bom: bool,
    /// 1.2: the white space before the first sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    lead: String,
    /// 1.2: each unit's id and the white space after it, in the document's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    units: Vec<(String, String)>,
}

/// How [`write_xliff`] makes XLIFF of a text.
#[derive(Debug, Clone)]
pub struct TextToXliff {
    /// 1.2 (`<group>` per paragraph) or 2.0 (`<unit>` per paragraph).
    pub version: Version,
    /// The text's language (`source-language`, `srcLang`).
    pub source_lang: LangTag,
    /// The language it is to be translated into, if known.
    pub target_lang: Option<LangTag>,
    /// The document's name (`<file original>`).
    pub original: String,
    /// The text's encoding when it is not UTF-8 and has no byte-order mark.
    pub encoding: Option<&'static Encoding>,
    /// What each sentence's `<target>` is at first.
    pub targets: Targets,
}

/// The `<target>`s [`write_xliff`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Targets {
    /// None: the sentences are to be translated.
    #[default]
    None,
    /// `<target/>`, to be filled (see [`copy_sources`]).
    Empty,
    /// A copy of the source (1.2 `state="new"`): OmegaT, and tools like it, translate
    /// the target's content and do not see a unit without one.
    CopySource,
}

/// Fills each empty `<target/>` of a file [`write_xliff`] made (with
/// [`Targets::Empty`], then pre-translated) with a copy of its source, as
/// [`Targets::CopySource`] would have written it.
pub fn copy_sources(xliff: &str, version: Version) -> String {
    const EMPTY: &str = "<target/>";
    let open = match version {
        Version::V1 => "<target state=\"new\">",
        Version::V2 => "<target>",
    };
    let mut out = String::with_capacity(xliff.len() * 2);
    let mut rest = 0;
    for (at, _) in xliff.match_indices(EMPTY) {
        // The unit's own source ends right before it; its text holds no `<`.
        let source = xliff[..at].rfind("</source>").and_then(|end| {
            let start = xliff[..end].rfind("<source>")? + "<source>".len();
            xliff[end..at]
                .trim_start_matches("</source>")
                .trim()
                .is_empty()
                .then_some(&xliff[start..end])
        });
        let Some(source) = source else { continue };
        out.push_str(&xliff[rest..at]);
        out.push_str(open);
        out.push_str(source);
        out.push_str("</target>");
        rest = at + EMPTY.len();
    }
    out.push_str(&xliff[rest..]);
    out
}

/// What [`write_xliff`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MadeXliff {
    /// Paragraphs (1.2 groups, 2.x units).
    pub paragraphs: u64,
    /// Sentences (1.2 trans-units, 2.x segments).
    pub segments: u64,
    /// The text's encoding, as recorded.
    pub encoding: &'static str,
    /// Whether it had a byte-order mark.
    pub bom: bool,
}

/// What [`write_text`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuiltText {
    /// Sentences in the document.
    pub segments: u64,
    /// Written from their target.
    pub translated: u64,
    /// Written from their source (no target, or an empty one).
    pub untranslated: u64,
    /// Targets written whose state is not a confirmed translation (1.2 `new`,
    /// `needs-*`; 2.x `initial`), by state.
    pub unconfirmed: BTreeMap<String, u64>,
    /// The encoding written.
    pub encoding: &'static str,
}

fn in_file(path: Option<&Path>, e: Error) -> Error {
    match path {
        Some(p) if e.location().path.is_none() => e.in_file(p),
        _ => e,
    }
}

/// A piece of a document: a sentence, or the white space between sentences.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Space(String),
    Sentence { text: String, paragraph: usize },
}

/// Reads a text paragraph by paragraph (memory bounded by the longest) and hands out
/// its pieces; together they are the whole text.
struct Pieces<R: BufRead> {
    input: R,
    path: Option<PathBuf>,
    segmenter: Segmenter,
    line: u64,
    paragraph: usize,
    para: String,
    queue: VecDeque<Piece>,
    buf: Vec<u8>,
    done: bool,
}

/// The first character XML 1.0 cannot hold (not even as a reference): C0 controls but
/// tab, line feed and carriage return; U+FFFE, U+FFFF. Its column (1-based) and itself.
fn non_xml_char(line: &str) -> Option<(u64, char)> {
    line.chars()
        .enumerate()
        .find(|(_, c)| {
            (*c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .map(|(k, c)| (k as u64 + 1, c))
}

impl<R: BufRead> Pieces<R> {
    fn next_piece(&mut self) -> Result<Option<Piece>> {
        while self.queue.is_empty() && !self.done {
            self.buf.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| input::io_error(e, self.path.as_deref()))?;
            if n == 0 {
                self.done = true;
                self.flush();
                break;
            }
            let line = std::str::from_utf8(&self.buf).map_err(|e| {
                // The input was checked; this cannot happen, but say where if it does.
                let column = String::from_utf8_lossy(&self.buf[..e.valid_up_to()])
                    .chars()
                    .count() as u64
                    + 1;
                Error::encoding(
                    input::not_utf8_text(&self.buf, &e),
                    Location::line(self.line)
                        .with_column(column)
                        .or_path(self.path.as_deref()),
                )
            })?;
            if let Some((column, c)) = non_xml_char(line) {
                return Err(Error::encoding(
                    format!(
                        "character U+{:04X} cannot be written in XLIFF (XML 1.0 has no place for \
                         it, not even as a reference): remove it from the text",
                        c as u32
                    ),
                    Location::line(self.line)
                        .with_column(column)
                        .or_path(self.path.as_deref()),
                ));
            }
            if line.trim().is_empty() {
                let line = line.to_string();
                self.flush();
                self.queue.push_back(Piece::Space(line));
            } else {
                self.para.push_str(line);
            }
            self.line += 1;
        }
        Ok(self.queue.pop_front())
    }

    /// Splits the paragraph read so far into sentences and the space around them.
    /// Sentences run from one sentence start to the next (trailing white space left
    /// out), so nothing of the text is lost whatever the segmenter's spans are.
    fn flush(&mut self) {
        if self.para.is_empty() {
            return;
        }
        let para = std::mem::take(&mut self.para);
        let first = para.len() - para.trim_start().len();
        let mut starts: Vec<usize> = self
            .segmenter
            .segment(&para)
            .iter()
            .map(|s| s.span.start)
            .filter(|&s| s > first && s < para.len())
            .collect();
        starts.insert(0, first);
        starts.dedup();
        if first > 0 {
            self.queue
                .push_back(Piece::Space(para[..first].to_string()));
        }
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(para.len());
            let chunk = &para[start..end];
            let text = chunk.trim_end();
            if !text.is_empty() {
                self.queue.push_back(Piece::Sentence {
                    text: text.to_string(),
                    paragraph: self.paragraph,
                });
            }
            if text.len() < chunk.len() {
                self.queue
                    .push_back(Piece::Space(chunk[text.len()..].to_string()));
            }
        }
        self.paragraph += 1;
    }
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_text(text, &mut out);
    out
}

fn esc_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_attr(text, &mut out);
    out
}

/// Makes XLIFF of the text read from `input` (segmented by `segmenter`) and writes it
/// to `out`. Errors name the line (and column) of the text; `path` names the file.
/// Nothing is guaranteed about `out` after an error: write to a temporary file.
pub fn write_xliff<R: Read + Send + 'static, W: Write>(
    input: R,
    path: Option<&Path>,
    segmenter: &Segmenter,
    options: &TextToXliff,
    mut out: W,
) -> Result<MadeXliff> {
    let located = |e: Error| in_file(path, e);
    let (prefix, head) =
        input::peek(input, input::PEEK_LEN).map_err(|e| input::io_error(e, path))?;
    let bom = input::sniff_bom(&prefix);
    let encoding = bom.map(|(e, _)| e).or(options.encoding).unwrap_or(UTF_8);
    let text: TextInput<Box<dyn Read + Send>> =
        input::decode_text(&prefix, head, options.encoding).map_err(located)?;
    let mut pieces = Pieces {
        input: text,
        path: path.map(Path::to_path_buf),
        segmenter: segmenter.clone(),
        line: 1,
        paragraph: 0,
        para: String::new(),
        queue: VecDeque::new(),
        buf: Vec::new(),
        done: false,
    };
    let mut skeleton = Skeleton {
        bitext: SKELETON_KIND.into(),
        version: 1,
        encoding: encoding.name().into(),
        bom: bom.is_some(),
        lead: String::new(),
        units: Vec::new(),
    };
    let mut made = MadeXliff {
        encoding: encoding.name(),
        bom: bom.is_some(),
        ..MadeXliff::default()
    };
    let io = |e: std::io::Error| Error::io(e, None);
    let src = esc_attr(options.source_lang.as_str());
    let tgt = options.target_lang.as_ref().map(|t| esc_attr(t.as_str()));
    let original = esc_attr(&options.original);
    let no_text = || {
        located(Error::invalid(
            "the document has no text (only white space): nothing to translate",
        ))
    };
    match options.version {
        Version::V1 => {
            // The skeleton goes in the header, before the body, but is known only at
            // the end: the body waits in a temporary file.
            let mut body = std::io::BufWriter::new(tempfile::tempfile().map_err(io)?);
            let mut space = String::new();
            let mut paragraph = None;
            let mut last_id: Option<String> = None;
            while let Some(piece) = pieces.next_piece()? {
                match piece {
                    Piece::Space(s) => space.push_str(&s),
                    Piece::Sentence { text, paragraph: p } => {
                        match last_id.take() {
                            Some(id) => skeleton.units.push((id, std::mem::take(&mut space))),
                            None => skeleton.lead = std::mem::take(&mut space),
                        }
                        if paragraph != Some(p) {
                            if paragraph.is_some() {
                                body.write_all(b"      </group>\n").map_err(io)?;
                            }
                            paragraph = Some(p);
                            made.paragraphs += 1;
                            writeln!(body, "      <group id=\"p{}\">", made.paragraphs)
                                .map_err(io)?;
                        }
                        made.segments += 1;
                        let id = format!("s{}", made.segments);
                        let source = esc(&text);
                        let target = match options.targets {
                            Targets::None => String::new(),
                            Targets::Empty => "\n          <target/>".into(),
                            Targets::CopySource => {
                                format!("\n          <target state=\"new\">{source}</target>")
                            }
                        };
                        writeln!(
                            body,
                            "        <trans-unit id=\"{id}\" xml:space=\"preserve\">\n          \
                             <source>{source}</source>{target}\n        </trans-unit>",
                        )
                        .map_err(io)?;
                        last_id = Some(id);
                    }
                }
            }
            let Some(id) = last_id else {
                return Err(no_text());
            };
            skeleton.units.push((id, space));
            body.write_all(b"      </group>\n").map_err(io)?;
            let mut body = body.into_inner().map_err(|e| io(e.into_error()))?;
            let json =
                serde_json::to_string(&skeleton).map_err(|e| Error::invalid(e.to_string()))?;
            let target = tgt
                .map(|t| format!(" target-language=\"{t}\""))
                .unwrap_or_default();
            write!(
                out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <xliff version=\"1.2\" xmlns=\"urn:oasis:names:tc:xliff:document:1.2\">\n  \
                 <file original=\"{original}\" source-language=\"{src}\"{target} datatype=\"plaintext\">\n    \
                 <header>\n      <skl>\n        <internal-file form=\"{SKELETON_FORM}\">{}</internal-file>\n      \
                 </skl>\n      <tool tool-id=\"bitext\" tool-name=\"bitext\" tool-version=\"{}\"/>\n    \
                 </header>\n    <body>\n",
                esc(&json),
                env!("CARGO_PKG_VERSION")
            )
            .map_err(io)?;
            body.rewind().map_err(io)?;
            std::io::copy(&mut body, &mut out).map_err(io)?;
            out.write_all(b"    </body>\n  </file>\n</xliff>\n")
                .map_err(io)?;
        }
        Version::V2 => {
            let json =
                serde_json::to_string(&skeleton).map_err(|e| Error::invalid(e.to_string()))?;
            let target = tgt.map(|t| format!(" trgLang=\"{t}\"")).unwrap_or_default();
            write!(
                out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <xliff version=\"2.0\" xmlns=\"urn:oasis:names:tc:xliff:document:2.0\" srcLang=\"{src}\"{target}>\n  \
                 <file id=\"f1\" original=\"{original}\">\n    <skeleton>{}</skeleton>\n",
                esc(&json)
            )
            .map_err(io)?;
            let ignorable = |out: &mut W, space: &str| -> Result<()> {
                if !space.is_empty() {
                    writeln!(
                        out,
                        "      <ignorable>\n        <source>{}</source>\n      </ignorable>",
                        esc(space)
                    )
                    .map_err(io)?;
                }
                Ok(())
            };
            let mut space = String::new();
            let mut paragraph = None;
            while let Some(piece) = pieces.next_piece()? {
                match piece {
                    Piece::Space(s) => space.push_str(&s),
                    Piece::Sentence { text, paragraph: p } => {
                        if paragraph != Some(p) {
                            // The space between paragraphs ends the unit before; the
                            // space before the first sentence starts the first unit.
                            if paragraph.is_some() {
                                ignorable(&mut out, &std::mem::take(&mut space))?;
                                out.write_all(b"    </unit>\n").map_err(io)?;
                            }
                            paragraph = Some(p);
                            made.paragraphs += 1;
                            writeln!(
                                out,
                                "    <unit id=\"p{}\" xml:space=\"preserve\">",
                                made.paragraphs
                            )
                            .map_err(io)?;
                        }
                        ignorable(&mut out, &std::mem::take(&mut space))?;
                        made.segments += 1;
                        let source = esc(&text);
                        let target = match options.targets {
                            Targets::None => String::new(),
                            Targets::Empty => "\n        <target/>".into(),
                            Targets::CopySource => format!("\n        <target>{source}</target>"),
                        };
                        writeln!(
                            out,
                            "      <segment id=\"s{}\">\n        <source>{source}</source>{target}\n      </segment>",
                            made.segments,
                        )
                        .map_err(io)?;
                    }
                }
            }
            if paragraph.is_none() {
                return Err(no_text());
            }
            ignorable(&mut out, &space)?;
            out.write_all(b"    </unit>\n  </file>\n</xliff>\n")
                .map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(made)
}

/// The output's encoder: the document's encoding, strict (a character it cannot hold
/// is an error, not a `&#…;` or a `?`).
struct Encoder<W: Write> {
    out: W,
    encoding: &'static Encoding,
}

impl<W: Write> Encoder<W> {
    fn write(&mut self, text: &str, unit: &str) -> Result<()> {
        let io = |e: std::io::Error| Error::io(e, None);
        if self.encoding == UTF_8 {
            return self.out.write_all(text.as_bytes()).map_err(io);
        }
        if self.encoding == UTF_16LE || self.encoding == UTF_16BE {
            let mut bytes = Vec::with_capacity(text.len() * 2);
            for u in text.encode_utf16() {
                if self.encoding == UTF_16LE {
                    bytes.extend_from_slice(&u.to_le_bytes());
                } else {
                    bytes.extend_from_slice(&u.to_be_bytes());
                }
            }
            return self.out.write_all(&bytes).map_err(io);
        }
        let (bytes, _, unmappable) = self.encoding.encode(text);
        if unmappable {
            let c = text
                .chars()
                .find(|c| self.encoding.encode(c.encode_utf8(&mut [0; 4])).2)
                .unwrap_or('?');
            return Err(Error::invalid(format!(
                "unit {unit}: {c:?} (U+{:04X}) cannot be written in {}, the document's \
                 encoding: write the document in UTF-8 instead (--out-encoding utf-8)",
                c as u32,
                self.encoding.name()
            )));
        }
        self.out.write_all(&bytes).map_err(io)
    }
}

/// The text of the element just started (`<source>`, `<target>`, a skeleton; `what`
/// names it): annotations (`mrk`, 2.x `sm`/`em`) give their text; an inline code is
/// an error, a plain-text document has no place for it.
fn element_text(xml: &mut XmlEvents, unit: &str, what: &str) -> Result<String> {
    xml.read_text_within(what, MAX_TEXT, |xml, ev| match ev {
        Ev::Start(e) if e.is("mrk") => Ok(()),
        Ev::Empty(e) if e.is("mrk") || e.is("sm") || e.is("em") => Ok(()),
        Ev::Start(e) | Ev::Empty(e) => Err(Error::invalid(format!(
            "the {what} holds an inline element <{}>, which a plain-text document has no \
             place for",
            e.name()
        ))
        .at(xml.here().with_unit(unit))),
        _ => Ok(()),
    })
}

/// A unit's (1.2) or segment's (2.x) source and target as read.
struct Sentence {
    source: String,
    target: Option<String>,
    /// The state, when it is not a confirmed translation.
    unconfirmed: Option<String>,
}

fn confirmed(version: Version, state: Option<&str>, approved: bool) -> bool {
    approved
        || match version {
            Version::V1 => matches!(state, None | Some("translated" | "signed-off" | "final")),
            Version::V2 => matches!(state, None | Some("translated" | "reviewed" | "final")),
        }
}

/// Writes the text document an XLIFF file made by [`write_xliff`] stands for: each
/// sentence's target when it has one (whatever its state; those not confirmed are
/// counted), else its source; the white space between them as the skeleton or the
/// `<ignorable>`s say; in the document's own encoding (or `encoding`), with its
/// byte-order mark. A file bitext did not make is refused (its document is known only
/// to the tool that made it), as is one whose units no longer match its skeleton.
pub fn write_text<R: Read + Send + 'static, W: Write>(
    input: R,
    path: Option<&Path>,
    encoding: Option<&'static Encoding>,
    out: W,
) -> Result<RebuiltText> {
    let located = |e: Error| in_file(path, e);
    let (prefix, head) =
        input::peek(input, input::PEEK_LEN).map_err(|e| input::io_error(e, path))?;
    let (text, _) = input::decode_xml(&prefix, head, None).map_err(located)?;
    let mut xml = XmlEvents::new(
        text,
        path.map(Path::to_path_buf),
        super::reader::NAMESPACE,
        "a translatable document",
        true,
    );
    rebuild(&mut xml, encoding, out).map_err(located)
}

fn not_ours(file: &FileInfo) -> Error {
    let mut what = Vec::new();
    if let Some(o) = &file.original {
        what.push(format!("original=\"{o}\""));
    }
    if let Some(d) = &file.datatype {
        what.push(format!("datatype=\"{d}\""));
    }
    if let Some(t) = &file.tool {
        what.push(format!("made by {t}"));
    }
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" ({})", what.join(", "))
    };
    Error::invalid(format!(
        "not made from a text document by bitext: the file has no bitext skeleton, so the \
         document it stands for{what} is known only to the tool that made it; convert it \
         back there (or import its translations with `bitext import`)"
    ))
}

#[derive(Default)]
struct FileInfo {
    original: Option<String>,
    datatype: Option<String>,
    tool: Option<String>,
    skeleton: Option<Skeleton>,
    files: usize,
}

fn parse_skeleton(json: &str) -> Option<Skeleton> {
    serde_json::from_str::<Skeleton>(json.trim())
        .ok()
        .filter(|s| s.bitext == SKELETON_KIND)
}

fn rebuild<W: Write>(
    xml: &mut XmlEvents,
    override_encoding: Option<&'static Encoding>,
    out: W,
) -> Result<RebuiltText> {
    let version = loop {
        match xml.next_event()? {
            Ev::Start(e) if e.local() == "xliff" => {
                break match e.attr("version").as_deref().map(str::trim) {
                    Some(v) if v.starts_with('2') => Version::V2,
                    _ if e.raw.contains("urn:oasis:names:tc:xliff:document:2.") => Version::V2,
                    _ => Version::V1,
                }
            }
            Ev::Start(e) | Ev::Empty(e) => {
                return Err(xml.syntax(format!(
                    "not an XLIFF file: the root element is <{}>",
                    e.name()
                )))
            }
            Ev::End(_) => return Err(xml.syntax("an end tag before the root element")),
            Ev::Eof => return Err(xml.syntax("no root element: not an XML document")),
            _ => {}
        }
    };
    let mut file = FileInfo::default();
    let mut report = RebuiltText::default();
    let mut writer: Option<Encoder<W>> = None;
    let mut out = Some(out);
    // 1.2: the skeleton's units still to come.
    let mut expected: VecDeque<(String, String)> = VecDeque::new();
    let mut ids_seen = 0usize;
    // Called on the first unit: the skeleton must be known by then.
    let mut start = |file: &FileInfo,
                     writer: &mut Option<Encoder<W>>,
                     expected: &mut VecDeque<(String, String)>,
                     report: &mut RebuiltText|
     -> Result<()> {
        if writer.is_some() {
            return Ok(());
        }
        let Some(skeleton) = &file.skeleton else {
            return Err(not_ours(file));
        };
        let encoding = match override_encoding {
            Some(e) => e,
            None => Encoding::for_label(skeleton.encoding.as_bytes()).ok_or_else(|| {
                Error::invalid(format!(
                    "the skeleton names an encoding bitext does not know: {:?}",
                    skeleton.encoding
                ))
            })?,
        };
        report.encoding = encoding.name();
        let mut enc = Encoder {
            out: out.take().expect("started once"),
            encoding,
        };
        if skeleton.bom {
            enc.write("\u{FEFF}", "-")?;
        }
        if version == Version::V1 {
            enc.write(&skeleton.lead, "-")?;
            expected.extend(skeleton.units.iter().cloned());
        }
        *writer = Some(enc);
        Ok(())
    };
    loop {
        match xml.next_event()? {
            Ev::Start(e) if e.is("file") => {
                file.files += 1;
                if file.files > 1 && file.skeleton.is_none() {
                    return Err(not_ours(&file));
                }
                if file.files > 1 {
                    return Err(
                        xml.syntax("a second <file>: a file made from one text document has one")
                    );
                }
                file.original = e.attr("original");
                file.datatype = e.attr("datatype");
            }
            Ev::Start(e) if e.is("header") || e.is("skl") || e.is("body") || e.is("group") => {}
            Ev::Start(e) if e.is("internal-file") || e.is("skeleton") => {
                let json = element_text(xml, "-", "skeleton")?;
                if file.skeleton.is_none() {
                    file.skeleton = parse_skeleton(&json);
                }
            }
            Ev::Empty(e) if e.is("tool") => file.tool = e.attr("tool-name").or(e.attr("tool-id")),
            Ev::Start(e) if e.is("tool") => {
                file.tool = e.attr("tool-name").or(e.attr("tool-id"));
                xml.skip_subtree()?;
            }
            Ev::Start(e) if e.is("trans-unit") && version == Version::V1 => {
                start(&file, &mut writer, &mut expected, &mut report)?;
                let id = e.attr("id").unwrap_or_default();
                let approved = e.attr("approved").as_deref() == Some("yes");
                let at = xml.here();
                let sentence = read_unit_1(xml, &id, approved)?;
                let Some((want, space)) = expected.pop_front() else {
                    return Err(Error::invalid(format!(
                        "unit {id:?} is not in the skeleton: units were added to the file"
                    ))
                    .at(xml.here().with_unit(id)));
                };
                if want != id {
                    return Err(Error::invalid(format!(
                        "unit {id:?} is not the next unit of the document's skeleton ({want:?}): \
                         units were removed or reordered, the document cannot be rebuilt"
                    ))
                    .at(at.with_unit(id)));
                }
                ids_seen += 1;
                let w = writer.as_mut().expect("started");
                emit(w, &id, sentence, &mut report)?;
                w.write(&space, &id)?;
            }
            Ev::Start(e) if e.is("unit") && version == Version::V2 => {
                start(&file, &mut writer, &mut expected, &mut report)?;
                let id = e.attr("id").unwrap_or_default();
                read_unit_2(xml, &id, writer.as_mut().expect("started"), &mut report)?;
            }
            Ev::Start(_) => xml.skip_subtree()?,
            Ev::End(_) if xml.depth == 0 => break,
            Ev::Eof => return Err(xml.truncated("xliff")),
            _ => {}
        }
    }
    // The rest of the file: nothing but white space and comments.
    xml.finish_document("xliff")?;
    let Some(writer) = writer.as_mut() else {
        if file.skeleton.is_none() {
            return Err(not_ours(&file));
        }
        return Err(Error::invalid(
            "the file has no units: no document to write",
        ));
    };
    if let Some((id, _)) = expected.front() {
        return Err(Error::invalid(format!(
            "unit {id:?} of the document's skeleton is not in the file ({ids_seen} of {} found): \
             the document cannot be rebuilt",
            ids_seen + expected.len()
        )));
    }
    writer.out.flush().map_err(|e| Error::io(e, None))?;
    Ok(report)
}

fn emit<W: Write>(
    w: &mut Encoder<W>,
    id: &str,
    sentence: Sentence,
    report: &mut RebuiltText,
) -> Result<()> {
    report.segments += 1;
    // A target that is its source (a copy for tools that translate targets) counts
    // as not translated; the text is the same either way.
    match sentence
        .target
        .filter(|t| !t.trim().is_empty() && *t != sentence.source)
    {
        Some(target) => {
            report.translated += 1;
            if let Some(state) = sentence.unconfirmed {
                *report.unconfirmed.entry(state).or_default() += 1;
            }
            w.write(&target, id)
        }
        None => {
            report.untranslated += 1;
            w.write(&sentence.source, id)
        }
    }
}

fn read_unit_1(xml: &mut XmlEvents, id: &str, approved: bool) -> Result<Sentence> {
    let depth = xml.depth;
    let mut source = None;
    let mut target = None;
    let mut state = None;
    loop {
        match xml.next_event()? {
            Ev::Start(e) if e.is("source") => source = Some(element_text(xml, id, "source")?),
            Ev::Empty(e) if e.is("source") => source = Some(String::new()),
            Ev::Start(e) if e.is("target") => {
                state = e.attr("state");
                target = Some(element_text(xml, id, "target")?);
            }
            Ev::Empty(e) if e.is("target") => {
                state = e.attr("state");
                target = Some(String::new());
            }
            Ev::Start(_) => xml.skip_subtree()?,
            Ev::End(_) if xml.depth < depth => break,
            Ev::Eof => return Err(xml.truncated("trans-unit")),
            _ => {}
        }
    }
    let source = source.ok_or_else(|| {
        Error::invalid("a <trans-unit> has no <source>").at(xml.here().with_unit(id))
    })?;
    let unconfirmed =
        (!confirmed(Version::V1, state.as_deref(), approved)).then(|| state.unwrap_or_default());
    Ok(Sentence {
        source,
        target,
        unconfirmed,
    })
}

fn read_unit_2<W: Write>(
    xml: &mut XmlEvents,
    unit: &str,
    w: &mut Encoder<W>,
    report: &mut RebuiltText,
) -> Result<()> {
    let depth = xml.depth;
    loop {
        match xml.next_event()? {
            Ev::Start(e) if e.is("segment") || e.is("ignorable") => {
                let segment = e.is("segment");
                let id = e
                    .attr("id")
                    .map_or_else(|| unit.to_string(), |s| format!("{unit}/{s}"));
                let state = e.attr("state");
                let inner = xml.depth;
                let mut source = None;
                let mut target = None;
                loop {
                    match xml.next_event()? {
                        Ev::Start(c) if c.is("source") => {
                            source = Some(element_text(xml, &id, "source")?)
                        }
                        Ev::Start(c) if c.is("target") => {
                            target = Some(element_text(xml, &id, "target")?)
                        }
                        Ev::Empty(c) if c.is("source") => source = Some(String::new()),
                        Ev::Empty(c) if c.is("target") => target = Some(String::new()),
                        Ev::Start(_) => xml.skip_subtree()?,
                        Ev::End(_) if xml.depth < inner => break,
                        Ev::Eof => return Err(xml.truncated(e.local())),
                        _ => {}
                    }
                }
                let source = source.ok_or_else(|| {
                    Error::invalid("a <segment> has no <source>")
                        .at(xml.here().with_unit(id.clone()))
                })?;
                let unconfirmed = (!confirmed(Version::V2, state.as_deref(), false))
                    .then(|| state.unwrap_or_default());
                if segment {
                    emit(
                        w,
                        &id,
                        Sentence {
                            source,
                            target,
                            unconfirmed,
                        },
                        report,
                    )?;
                } else {
                    // White space between sentences: a target stands, if there is one.
                    w.write(target.as_deref().unwrap_or(&source), &id)?;
                }
            }
            Ev::Start(_) => xml.skip_subtree()?,
            Ev::End(_) if xml.depth < depth => return Ok(()),
            Ev::Eof => return Err(xml.truncated("unit")),
            _ => {}
        }
    }
}

impl std::fmt::Display for RebuiltText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} segments: {} from their target, {} kept in the source language",
            self.segments, self.translated, self.untranslated
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn make(text: &[u8], version: Version, encoding: Option<&'static Encoding>) -> Result<String> {
        let options = TextToXliff {
            version,
            source_lang: LangTag::parse("en").unwrap(),
            target_lang: Some(LangTag::parse("de").unwrap()),
            original: "doc.txt".into(),
            encoding,
            targets: Targets::None,
        };
        let segmenter = Segmenter::new(&options.source_lang);
        let mut out = Vec::new();
        write_xliff(
            std::io::Cursor::new(text.to_vec()),
            None,
            &segmenter,
            &options,
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn back(xliff: &str, encoding: Option<&'static Encoding>) -> Result<(Vec<u8>, RebuiltText)> {
        let mut out = Vec::new();
        let report = write_text(
            std::io::Cursor::new(xliff.as_bytes().to_vec()),
            None,
            encoding,
            &mut out,
        )?;
        Ok((out, report))
    }

    const TEXT: &str = "  Title\n\nOne sentence. Two sentences!  Three,\r\nwrapped.\n\n\n\tTabbed. 日本語です。次の文。\n";

    #[test]
    fn both_versions_round_trip_byte_for_byte() {
        for version in [Version::V1, Version::V2] {
            let xliff = make(TEXT.as_bytes(), version, None).unwrap();
            let (text, report) = back(&xliff, None).unwrap();
            assert_eq!(String::from_utf8(text).unwrap(), TEXT, "{version:?}");
            assert_eq!(report.segments, 7);
            assert_eq!(report.untranslated, 7);
        }
    }

    #[test]
    fn paragraphs_are_groups_and_units() {
        let v1 = make(TEXT.as_bytes(), Version::V1, None).unwrap();
        assert_eq!(v1.matches("<group id=").count(), 3);
        assert_eq!(v1.matches("<trans-unit id=").count(), 7);
        assert!(
            v1.contains("<source>Three,&#13;\nwrapped.</source>"),
            "{v1}"
        );
        let v2 = make(TEXT.as_bytes(), Version::V2, None).unwrap();
        assert_eq!(v2.matches("<unit id=").count(), 3);
        assert_eq!(v2.matches("<segment id=").count(), 7);
        // Leading space, and the space between and after sentences.
        assert!(
            v2.contains("<ignorable>\n        <source>  </source>"),
            "{v2}"
        );
    }

    #[test]
    fn encodings_and_marks_come_back() {
        let text = "Première phrase. Ça marche?\r\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let cases: Vec<(Vec<u8>, Option<&'static Encoding>)> = vec![
            (utf16, None),
            ([&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(), None),
            (latin1.into_owned(), Some(encoding_rs::WINDOWS_1252)),
        ];
        for (bytes, encoding) in cases {
            for version in [Version::V1, Version::V2] {
                let xliff = make(&bytes, version, encoding).unwrap();
                assert_eq!(back(&xliff, None).unwrap().0, bytes);
            }
        }
    }

    #[test]
    fn targets_replace_sources_and_unconfirmed_are_counted() {
        let xliff = make(b"One. Two. Three.\n", Version::V1, None).unwrap();
        let xliff = xliff
            .replace(
                "<source>One.</source>",
                "<source>One.</source><target state=\"translated\">Eins.</target>",
            )
            .replace(
                "<source>Two.</source>",
                "<source>Two.</source><target state=\"needs-review-translation\"><mrk mtype=\"x\">Zwei</mrk>.</target>",
            );
        let (text, report) = back(&xliff, None).unwrap();
        assert_eq!(text, b"Eins. Zwei. Three.\n");
        assert_eq!((report.translated, report.untranslated), (2, 1));
        assert_eq!(report.unconfirmed["needs-review-translation"], 1);

        let xliff = make(b"One. Two.", Version::V2, None).unwrap().replace(
            "<segment id=\"s2\">\n        <source>Two.</source>",
            "<segment id=\"s2\" state=\"initial\">\n        <source>Two.</source><target>Zwei.</target>",
        );
        let (text, report) = back(&xliff, None).unwrap();
        assert_eq!(text, b"One. Zwei.");
        assert_eq!(report.unconfirmed["initial"], 1);
    }

    #[test]
    fn source_copies_for_tools_that_translate_targets() {
        for version in [Version::V1, Version::V2] {
            let with = |targets: Targets| {
                let options = TextToXliff {
                    version,
                    source_lang: LangTag::parse("en").unwrap(),
                    target_lang: None,
                    original: "doc.txt".into(),
                    encoding: None,
                    targets,
                };
                let mut out = Vec::new();
                write_xliff(
                    std::io::Cursor::new(TEXT.as_bytes().to_vec()),
                    None,
                    &Segmenter::new(&options.source_lang),
                    &options,
                    &mut out,
                )
                .unwrap();
                String::from_utf8(out).unwrap()
            };
            let copied = with(Targets::CopySource);
            assert_eq!(copy_sources(&with(Targets::Empty), version), copied);
            assert!(
                copied.contains(">Three,&#13;\nwrapped.</target>"),
                "{copied}"
            );
            let (text, report) = back(&copied, None).unwrap();
            assert_eq!(text, TEXT.as_bytes());
            // Copies are not translations.
            assert_eq!((report.translated, report.untranslated), (0, 7));
            assert!(report.unconfirmed.is_empty());
        }
    }

    #[test]
    fn what_cannot_be_rebuilt_is_refused() {
        let foreign = r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="a.docx" datatype="x-docx" source-language="en"><body>
<trans-unit id="1"><source>Hi.</source></trans-unit></body></file></xliff>"#;
        let e = back(foreign, None).unwrap_err().to_string();
        assert!(e.contains("not made from a text document by bitext"), "{e}");
        assert!(e.contains("original=\"a.docx\""), "{e}");

        let xliff = make(b"One. Two.", Version::V1, None).unwrap();
        let e = back(&xliff.replace("id=\"s2\"", "id=\"x\""), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not the next unit of the document's skeleton"),
            "{e}"
        );
        let removed = xliff.replace(
            "        <trans-unit id=\"s2\" xml:space=\"preserve\">\n          <source>Two.</source>\n        </trans-unit>\n",
            "",
        );
        let e = back(&removed, None).unwrap_err().to_string();
        assert!(
            e.contains("unit \"s2\" of the document's skeleton is not in the file"),
            "{e}"
        );
        let coded = xliff.replace(
            "<source>Two.</source>",
            "<source>Two.</source><target>Zwei<x id=\"1\"/>.</target>",
        );
        let e = back(&coded, None).unwrap_err().to_string();
        assert!(
            e.contains("(unit s2): the target holds an inline element <x>"),
            "{e}"
        );

        let latin1 = make(b"One. Two.", Version::V1, Some(encoding_rs::WINDOWS_1252))
            .unwrap()
            .replace(
                "<source>Two.</source>",
                "<source>Two.</source><target>Łódź.</target>",
            );
        let e = back(&latin1, None).unwrap_err().to_string();
        assert!(
            e.contains("unit s2: 'Ł' (U+0141) cannot be written in windows-1252"),
            "{e}"
        );
        assert_eq!(
            back(&latin1, Some(UTF_8)).unwrap().0,
            "One. Łódź.".as_bytes()
        );
    }

    /// The XLIFF is read by the reader the other formats share: a cut-off or too
    /// deeply nested file is refused with its line and the element it ends in.
    #[test]
    fn damaged_xliff_is_refused_where_it_is() {
        let xliff = make(b"One. Two.", Version::V1, None).unwrap();
        let cut = &xliff[..xliff.find("Two.").unwrap() + 2];
        let e = back(cut, None).unwrap_err().to_string();
        assert!(e.contains("the file ends inside <source>"), "{e}");
        assert!(
            e.starts_with(&format!("line {}:", cut.lines().count())),
            "{e}"
        );
        let deep = xliff.replace(
            "<source>Two.</source>",
            &format!("<source>Two.</source>{}", "<note>".repeat(1001)),
        );
        let e = back(&deep, None).unwrap_err().to_string();
        assert!(e.contains("nested more than 1000 deep"), "{e}");
    }

    #[test]
    fn text_xml_cannot_hold_is_refused_where_it_is() {
        let e = make(b"Fine.\nA form\x0cfeed.\n", Version::V1, None).unwrap_err();
        assert!(
            e.to_string().starts_with("line 2:7: character U+000C"),
            "{e}"
        );
        let e = make(b" \n\n", Version::V2, None).unwrap_err();
        assert!(e.to_string().contains("no text"), "{e}");
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_cases(64))]
        #[test]
        fn any_text_round_trips(text in "[a-zA-Zé日 .!?,\t\r\n]{0,80}") {
            prop_assume!(!text.trim().is_empty());
            for version in [Version::V1, Version::V2] {
                let xliff = make(text.as_bytes(), version, None).unwrap();
                prop_assert_eq!(back(&xliff, None).unwrap().0, text.as_bytes());
            }
        }
    }
}
