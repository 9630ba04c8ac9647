//! TMX 1.4b writer.

use std::io::Write;

use crate::error::{Error, Result};
use crate::formats::{WriteOptions, WriteReport};
use crate::unit::TranslationUnit;

/// Writes TMX 1.4b.
pub struct TmxWriter<W: Write> {
    out: W,
    report: WriteReport,
}

impl<W: Write> TmxWriter<W> {
    pub(crate) fn new(out: W, _options: &WriteOptions) -> TmxWriter<W> {
        TmxWriter {
            out,
            report: WriteReport::default(),
        }
    }

    /// Writes one unit.
    pub fn write_unit(&mut self, _unit: &TranslationUnit) -> Result<bool> {
        Err(Error::invalid("TMX writing is not available yet"))
    }

    /// Completes the file.
    pub fn finish(self) -> Result<W> {
        Ok(self.out)
    }

    /// Counts so far.
    pub fn report(&self) -> &WriteReport {
        &self.report
    }
}
