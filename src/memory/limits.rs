//! What a memory refuses to store, checked before a unit is written: texts too long to
//! be a segment, and characters no exchange format can carry. Everything stored can
//! then be looked up in bounded time and exported as TMX.

use crate::error::{Error, Result};
use crate::text::is_xml_char;
use crate::unit::{Note, Prop, Provenance, TranslationUnit};

/// The longest text (of one language version) a memory keeps, in bytes of UTF-8: far
/// more than any sentence or paragraph (64 KiB is some 10,000 words). A longer text is
/// almost always a conversion accident (a whole document in one cell), and would make
/// every lookup that meets it slow.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The longest inline markup of a text: the text's limit, with room for its tags.
pub const MAX_MARKUP_BYTES: usize = 4 * MAX_TEXT_BYTES;

/// Checks that `unit` can be stored: every text within [`MAX_TEXT_BYTES`], and no
/// text, name, property or note with a character XML 1.0 cannot hold (control
/// characters such as NUL, U+FFFE, U+FFFF) — TMX export would fail on it later.
/// The error (of kind `Invalid`) rejects this unit only.
pub fn check_unit(unit: &TranslationUnit) -> Result<()> {
    for v in &unit.variants {
        let lang = v.lang.as_str();
        if v.text.len() > MAX_TEXT_BYTES {
            return Err(Error::invalid(format!(
                "the {lang} text is {} bytes long; a memory keeps texts of at most {} bytes \
                 (64 KiB)",
                v.text.len(),
                MAX_TEXT_BYTES
            )));
        }
        chars(&v.text, || format!("the {lang} text"))?;
        if let Some(markup) = &v.markup {
            if markup.len() > MAX_MARKUP_BYTES {
                return Err(Error::invalid(format!(
                    "the {lang} markup is {} bytes long; a memory keeps markup of at most {} \
                     bytes",
                    markup.len(),
                    MAX_MARKUP_BYTES
                )));
            }
            chars(markup, || format!("the {lang} markup"))?;
        }
        provenance(&v.provenance)?;
        props_and_notes(&v.props, &v.notes)?;
    }
    if let Some(id) = &unit.id {
        chars(id, || "the unit id".to_string())?;
    }
    provenance(&unit.provenance)?;
    props_and_notes(&unit.props, &unit.notes)?;
    for (what, value) in [
        ("previous segment", &unit.context.prev),
        ("next segment", &unit.context.next),
        ("origin", &unit.origin.file),
    ] {
        if let Some(value) = value {
            if value.len() > MAX_TEXT_BYTES {
                return Err(Error::invalid(format!(
                    "the {what} is {} bytes long; a memory keeps at most {MAX_TEXT_BYTES}",
                    value.len()
                )));
            }
            chars(value, || format!("the {what}"))?;
        }
    }
    if let Some(score) = unit.origin.score {
        if !score.is_finite() {
            return Err(Error::invalid(format!("the score {score} is not a number")));
        }
    }
    Ok(())
}

/// Checks a name given for new units (`--user`).
pub fn check_name(name: &str, what: &str) -> Result<()> {
    chars(name, || what.to_string())
}

fn provenance(p: &Provenance) -> Result<()> {
    for (what, value) in [("creator", &p.created_by), ("changer", &p.changed_by)] {
        if let Some(value) = value {
            chars(value, || format!("the {what} name"))?;
        }
    }
    if p.usage_count.is_some_and(|n| n > i64::MAX as u64) {
        return Err(Error::invalid("the usage count is too large"));
    }
    Ok(())
}

fn props_and_notes(props: &[Prop], notes: &[Note]) -> Result<()> {
    for p in props {
        chars(&p.kind, || "a property type".to_string())?;
        chars(&p.value, || format!("the property {:?}", p.kind))?;
    }
    for n in notes {
        chars(&n.text, || "a note".to_string())?;
    }
    Ok(())
}

fn chars(text: &str, what: impl Fn() -> String) -> Result<()> {
    // Most texts have no byte that could start a refused character (C0 controls; U+FFFE
    // and U+FFFF start with 0xEF): one pass over the bytes settles them.
    let clean = |b: u8| (b >= 0x20 && b != 0xEF) || matches!(b, b'\t' | b'\n' | b'\r');
    // 32 bytes at a time without stopping early, which the compiler turns into vector
    // instructions.
    let mut blocks = text.as_bytes().chunks_exact(32);
    let clean_blocks = blocks
        .by_ref()
        .all(|block| block.iter().fold(true, |ok, &b| ok & clean(b)));
    if clean_blocks && blocks.remainder().iter().all(|&b| clean(b)) {
        return Ok(());
    }
    match text.chars().find(|&c| !is_xml_char(c)) {
        None => Ok(()),
        Some(c) => Err(Error::invalid(format!(
            "{} contains U+{:04X}, a control character a memory does not keep (TMX could not \
             carry it)",
            what(),
            c as u32
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LangTag;

    fn pair(source: &str) -> TranslationUnit {
        TranslationUnit::pair(
            LangTag::parse("en").unwrap(),
            source,
            LangTag::parse("de").unwrap(),
            "Text.",
        )
    }

    #[test]
    fn refuses_long_texts_and_control_characters() {
        assert!(check_unit(&pair("A sentence.")).is_ok());
        assert!(check_unit(&pair(&"a".repeat(MAX_TEXT_BYTES))).is_ok());
        let err = check_unit(&pair(&"a".repeat(MAX_TEXT_BYTES + 1))).unwrap_err();
        assert!(
            err.to_string().contains("the en text is 65537 bytes long"),
            "{err}"
        );
        let err = check_unit(&pair("a\0b")).unwrap_err();
        assert!(
            err.to_string().contains("the en text contains U+0000"),
            "{err}"
        );
        assert!(check_unit(&pair("tab\tand\nnew line")).is_ok());
        let mut unit = pair("Fine.");
        unit.notes.push(Note {
            text: "bell \u{7}".into(),
            lang: None,
        });
        assert!(check_unit(&unit)
            .unwrap_err()
            .to_string()
            .contains("a note contains U+0007"));
        let mut unit = pair("Fine.");
        unit.origin.score = Some(f64::NAN);
        assert!(check_unit(&unit).is_err());
        assert!(check_name("anna\u{FFFF}", "--user").is_err());
    }

    #[test]
    fn a_control_character_is_found_at_any_position() {
        // Inside the 32-byte blocks of the pre-check and in their remainder.
        for at in 0..70 {
            let mut text = "x".repeat(70);
            text.replace_range(at..at + 1, "\u{1}");
            assert!(chars(&text, String::new).is_err(), "at {at}");
            let mut text = "x".repeat(69);
            text.insert(at, '\u{F000}');
            assert!(chars(&text, String::new).is_ok(), "U+F000 at {at}");
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_cases(256))]
        /// The byte pre-check never changes the verdict of the character check.
        #[test]
        fn byte_check_agrees_with_characters(text in "(\\PC|[\u{0}-\u{1f}\u{fffe}\u{ffff}\u{fff0}-\u{fffd}\u{e000}])*") {
            let ok = chars(&text, String::new).is_ok();
            proptest::prop_assert_eq!(ok, text.chars().all(is_xml_char));
        }
    }
}
