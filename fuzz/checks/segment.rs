//! Any bytes as text in any of the segmenter's languages: segmentation never panics and
//! is lossless (spans in order, trimmed, covering every non-whitespace character), and
//! the streaming reader finds the same sentences as the in-memory segmenter.

use bitext::segment::Segmenter;
use bitext::text::LangTag;

const LANGS: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "da", "pl", "cs", "sk", "ru", "uk", "bg", "el", "hy",
    "ar", "fa", "ur", "hi", "mr", "zh", "ja", "kk", "am", "my", "tlh",
];

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let lang = LangTag::parse(LANGS[selector as usize % LANGS.len()]).unwrap();
    let segmenter = Segmenter::new(&lang);
    // Invalid UTF-8 must be an error from the stream, never a panic.
    let streamed: Vec<_> = segmenter.stream(rest).collect();
    let Ok(text) = std::str::from_utf8(rest) else {
        // Invalid UTF-8 is an error — unless a UTF-16 byte-order mark makes it UTF-16.
        let utf16 = rest.starts_with(&[0xFF, 0xFE]) || rest.starts_with(&[0xFE, 0xFF]);
        assert!(utf16 || streamed.iter().any(|r| r.is_err()));
        return;
    };
    if text.contains('\0') {
        return;
    }
    let sentences = segmenter.segment(text);
    let mut covered = vec![false; text.len()];
    let mut last_end = 0;
    for s in &sentences {
        assert!(s.span.start >= last_end && s.span.end > s.span.start);
        let slice = s.span.slice(text);
        assert_eq!(slice.trim(), slice);
        covered[s.span.start..s.span.end]
            .iter_mut()
            .for_each(|c| *c = true);
        last_end = s.span.end;
    }
    for (i, c) in text.char_indices() {
        assert!(c.is_whitespace() || covered[i], "lost {c:?} at {i}");
    }
    // BOM handling shifts offsets; compare texts only when there is none.
    if !text.starts_with('\u{FEFF}') {
        let streamed: Vec<String> = streamed.into_iter().map(|r| r.unwrap().text).collect();
        let whole: Vec<&str> = sentences.iter().map(|s| s.span.slice(text)).collect();
        assert_eq!(streamed, whole);
    }
}
