//! Any bytes as JSON Lines: reading never panics; units read are written back as
//! JSON Lines and read again unchanged.

use std::io::Cursor;

use bitext::formats::{Format, ReadOptions, Reader, UnitWriteOptions, UnitWriter};

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let mut options = ReadOptions::default();
    options.format = Some(Format::Jsonl);
    options.skip_invalid = true;
    let Ok(reader) = Reader::from_reader(Cursor::new(data.to_vec()), None, &options) else {
        return;
    };
    let units: Vec<_> = reader.map_while(Result::ok).collect();
    if units.is_empty() {
        return;
    }
    let mut writer =
        UnitWriter::new(Format::Jsonl, Vec::new(), &UnitWriteOptions::default()).unwrap();
    for unit in &units {
        writer.write_unit(unit).unwrap();
    }
    let bytes = writer.finish().unwrap();
    let again: Vec<_> = Reader::from_reader(Cursor::new(bytes), None, &options)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(again, units);
}
