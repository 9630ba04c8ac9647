//! Any bytes as a TMX file: reading never panics, hangs or blows up memory; every
//! unit read is written back as valid TMX that reads again to the same texts.

use std::io::Cursor;

use bitext::formats::tmx::inline;
use bitext::formats::{Format, ReadOptions, Reader, UnitWriteOptions, UnitWriter};

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let mut options = ReadOptions::default();
    options.format = Some(Format::Tmx);
    options.skip_invalid = data.first().is_some_and(|b| b & 1 == 1);
    let Ok(reader) = Reader::from_reader(Cursor::new(data.to_vec()), None, &options) else {
        return;
    };
    let header = reader.tmx_header().cloned();
    let mut units = Vec::new();
    for unit in reader {
        match unit {
            Ok(unit) => units.push(unit),
            Err(_) => break,
        }
    }
    for unit in &units {
        for v in &unit.variants {
            if let Some(markup) = &v.markup {
                assert_eq!(inline::plain_text(markup).unwrap(), v.text);
            }
        }
    }
    let mut write_options = UnitWriteOptions::default();
    write_options.tmx_header = header;
    let mut writer = UnitWriter::new(Format::Tmx, Vec::new(), &write_options).unwrap();
    let mut written = Vec::new();
    for unit in &units {
        if writer.write_unit(unit).unwrap() {
            written.push(unit);
        }
    }
    let bytes = writer.finish().unwrap();
    let again: Vec<_> = Reader::from_reader(Cursor::new(bytes.clone()), None, &options)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)));
    assert_eq!(again.len(), written.len());
    for (a, b) in again.iter().zip(written) {
        let texts = |u: &bitext::unit::TranslationUnit| {
            u.variants
                .iter()
                .map(|v| v.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(a), texts(b));
    }
}
