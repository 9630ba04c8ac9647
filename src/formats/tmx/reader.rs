//! Streaming TMX reader.

use std::io::Read;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::formats::input::Head;
use crate::formats::{Item, ReadOptions, ReadReport, Source};

/// Reads TMX.
pub(crate) struct TmxReader {}

impl TmxReader {
    pub(crate) fn new<R: Read + Send + 'static>(
        _prefix: &[u8],
        _head: Head<R>,
        _path: Option<PathBuf>,
        _options: &ReadOptions,
    ) -> Result<TmxReader> {
        Err(Error::invalid("TMX reading is not available yet"))
    }
}

impl Source for TmxReader {
    fn next_item(&mut self, _report: &mut ReadReport) -> Option<Item> {
        None
    }
}
