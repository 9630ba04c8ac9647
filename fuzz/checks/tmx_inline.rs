//! Any text as the inline markup of a segment: plain text, tags and the rewrite into
//! valid TMX never panic; the rewrite keeps the plain text and is idempotent.

use std::borrow::Cow;

use bitext::formats::tmx::inline;

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    let Ok(markup) = std::str::from_utf8(data) else {
        return;
    };
    let plain = inline::plain_text(markup);
    let _ = inline::tags(markup);
    let mut changes = Vec::new();
    if let Ok(valid) = inline::sanitize(markup, &mut changes) {
        if let Ok(plain) = plain {
            assert_eq!(inline::plain_text(&valid).unwrap(), plain, "{valid}");
        }
        let mut again = Vec::new();
        let twice = inline::sanitize(&valid, &mut again).unwrap();
        assert!(
            matches!(twice, Cow::Borrowed(_)),
            "{valid} -> {twice} ({again:?})"
        );
    }
}
