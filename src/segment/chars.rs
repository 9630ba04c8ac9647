//! Character classes the segmenter needs, beyond what `char` offers.
//!
//! The terminal-punctuation table is the union of the Unicode Sentence_Break classes
//! STerm and ATerm (UAX #29), as the unicode-segmentation crate implements them; a test
//! checks the table against that crate for every code point.

/// STerm ∪ ATerm code point ranges (inclusive), sorted.
const TERMINALS: &[(u32, u32)] = &[
    (0x0021, 0x0021),
    (0x002E, 0x002E),
    (0x003F, 0x003F),
    (0x0589, 0x0589),
    (0x061D, 0x061F),
    (0x06D4, 0x06D4),
    (0x0700, 0x0702),
    (0x07F9, 0x07F9),
    (0x0837, 0x0837),
    (0x0839, 0x0839),
    (0x083D, 0x083E),
    (0x0964, 0x0965),
    (0x104A, 0x104B),
    (0x1362, 0x1362),
    (0x1367, 0x1368),
    (0x166E, 0x166E),
    (0x1735, 0x1736),
    (0x17D4, 0x17D5),
    (0x1803, 0x1803),
    (0x1809, 0x1809),
    (0x1944, 0x1945),
    (0x1AA8, 0x1AAB),
    (0x1B4E, 0x1B4F),
    (0x1B5A, 0x1B5B),
    (0x1B5E, 0x1B5F),
    (0x1B7D, 0x1B7F),
    (0x1C3B, 0x1C3C),
    (0x1C7E, 0x1C7F),
    (0x2024, 0x2024),
    (0x203C, 0x203D),
    (0x2047, 0x2049),
    (0x2CF9, 0x2CFB),
    (0x2E2E, 0x2E2E),
    (0x2E3C, 0x2E3C),
    (0x2E53, 0x2E54),
    (0x3002, 0x3002),
    (0xA4FF, 0xA4FF),
    (0xA60E, 0xA60F),
    (0xA6F3, 0xA6F3),
    (0xA6F7, 0xA6F7),
    (0xA876, 0xA877),
    (0xA8CE, 0xA8CF),
    (0xA92F, 0xA92F),
    (0xA9C8, 0xA9C9),
    (0xAA5D, 0xAA5F),
    (0xAAF0, 0xAAF1),
    (0xABEB, 0xABEB),
    (0xFE12, 0xFE12),
    (0xFE15, 0xFE16),
    (0xFE52, 0xFE52),
    (0xFE56, 0xFE57),
    (0xFF01, 0xFF01),
    (0xFF0E, 0xFF0E),
    (0xFF1F, 0xFF1F),
    (0xFF61, 0xFF61),
    (0x10A56, 0x10A57),
    (0x10F55, 0x10F59),
    (0x10F86, 0x10F89),
    (0x11047, 0x11048),
    (0x110BE, 0x110C1),
    (0x11141, 0x11143),
    (0x111C5, 0x111C6),
    (0x111CD, 0x111CD),
    (0x111DE, 0x111DF),
    (0x11238, 0x11239),
    (0x1123B, 0x1123C),
    (0x112A9, 0x112A9),
    (0x113D4, 0x113D5),
    (0x1144B, 0x1144C),
    (0x115C2, 0x115C3),
    (0x115C9, 0x115D7),
    (0x11641, 0x11642),
    (0x1173C, 0x1173E),
    (0x11944, 0x11944),
    (0x11946, 0x11946),
    (0x11A42, 0x11A43),
    (0x11A9B, 0x11A9C),
    (0x11C41, 0x11C42),
    (0x11EF7, 0x11EF8),
    (0x11F43, 0x11F44),
    (0x16A6E, 0x16A6F),
    (0x16AF5, 0x16AF5),
    (0x16B37, 0x16B38),
    (0x16B44, 0x16B44),
    (0x16D6E, 0x16D6F),
    (0x16E98, 0x16E98),
    (0x1BC9F, 0x1BC9F),
    (0x1DA88, 0x1DA88),
];

/// True for sentence-terminal punctuation of any script (UAX #29 STerm or ATerm):
/// `. ! ?`, `。！？`, `।`, `؟`, `۔`, `։`, `።`, `။`, …
pub(crate) fn is_terminal(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return matches!(c, '.' | '!' | '?');
    }
    if cp < 0x1_0000 {
        return props(c) & TERMINAL != 0;
    }
    in_terminal_table(cp)
}

fn in_terminal_table(cp: u32) -> bool {
    TERMINALS
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Period-like terminals (UAX #29 ATerm): they also mark abbreviations and decimals.
pub(crate) fn is_period(c: char) -> bool {
    matches!(c, '.' | '\u{2024}' | '\u{FE52}' | '\u{FF0E}')
}

/// Terminals of scripts written without spaces between sentences (CJK full stops and
/// their full-width and half-width forms): a boundary needs no space after them.
pub(crate) fn is_spaceless_terminal(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '｡' | '．' | '︒' | '﹒' | '﹖' | '﹗'
    )
}

/// The horizontal ellipsis `…`; a run of periods is handled as an ellipsis too.
pub(crate) fn is_ellipsis(c: char) -> bool {
    matches!(c, '…' | '⋯' | '᠁')
}

/// Characters that may close a sentence after its terminal punctuation: closing quotes
/// and brackets (`.”`, `?»`, `。」`, `.)`).
pub(crate) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '»'
            | '›'
            | '”'
            | '’'
            | '“'
            | '‘'
            | '«'
            | '‹'
            | '」'
            | '』'
            | '）'
            | '］'
            | '｝'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '〗'
            | '〙'
            | '〛'
            | '｣'
            | '⟩'
            | '⟫'
            | '❯'
            | '〞'
            | '〟'
            | '＂'
            | '＇'
    )
}

/// Opening quotes and brackets that may precede the first word of a sentence.
pub(crate) fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '('
            | '['
            | '{'
            | '«'
            | '‹'
            | '“'
            | '‘'
            | '„'
            | '‚'
            | '»'
            | '›'
            | '「'
            | '『'
            | '（'
            | '［'
            | '｛'
            | '《'
            | '〈'
            | '【'
            | '〔'
            | '〖'
            | '〘'
            | '〚'
            | '｢'
            | '⟨'
            | '⟪'
            | '¿'
            | '¡'
            | '〝'
            | '＂'
            | '＇'
    )
}

/// Opening brackets (not quotes): text up to the matching closer belongs together.
pub(crate) fn is_open_bracket(c: char) -> bool {
    closing_bracket(c).is_some()
}

/// The closing bracket matching an opening one.
pub(crate) fn closing_bracket(c: char) -> Option<char> {
    Some(match c {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '（' => '）',
        '［' => '］',
        '｛' => '｝',
        '《' => '》',
        '〈' => '〉',
        '【' => '】',
        '〔' => '〕',
        '〖' => '〗',
        '〘' => '〙',
        '〚' => '〛',
        '｢' => '｣',
        '⟨' => '⟩',
        _ => return None,
    })
}

/// Dashes that introduce dialogue or an attribution (`— said he`, `- деп`).
pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '―' | '‒' | '⸺' | '⸻')
}

/// List bullets that start an item.
pub(crate) fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '•' | '◦'
            | '▪'
            | '▫'
            | '‣'
            | '⁃'
            | '∙'
            | '●'
            | '○'
            | '■'
            | '□'
            | '►'
            | '▶'
            | '➢'
            | '✓'
            | '✔'
            | '❖'
            | '◆'
            | '◇'
            | '·'
    )
}

/// Invisible format characters (bidi controls, zero-width joiners, BOM) that must not
/// change a decision: an Arabic "د." with bidi marks around its period is "د.".
pub(crate) fn is_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{00AD}')
}

/// Character properties of the Basic Multilingual Plane, one byte a code point, read
/// from the standard library once. `char::is_alphabetic` and its siblings search large
/// tables on every call outside ASCII; in the segmenter's word tests that search was a
/// third of the time on Cyrillic, Greek and Arabic text.
const ALPHABETIC: u8 = 1;
const NUMERIC: u8 = 2;
const UPPERCASE: u8 = 4;
const LOWERCASE: u8 = 8;
const TERMINAL: u8 = 16;

#[inline]
fn props(c: char) -> u8 {
    static TABLE: std::sync::OnceLock<Box<[u8]>> = std::sync::OnceLock::new();
    let cp = c as u32;
    if cp < 0x1_0000 {
        let table = TABLE.get_or_init(|| {
            (0u32..0x1_0000)
                .map(|cp| char::from_u32(cp).map_or(0, compute_props))
                .collect()
        });
        table[cp as usize]
    } else {
        compute_props(c)
    }
}

fn compute_props(c: char) -> u8 {
    let mut p = 0;
    if c.is_alphabetic() {
        p |= ALPHABETIC;
    }
    if c.is_numeric() {
        p |= NUMERIC;
    }
    if c.is_uppercase() {
        p |= UPPERCASE;
    }
    if c.is_lowercase() {
        p |= LOWERCASE;
    }
    if in_terminal_table(c as u32) {
        p |= TERMINAL;
    }
    p
}

/// `char::is_alphabetic`, by table.
#[inline]
pub(crate) fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    props(c) & ALPHABETIC != 0
}

/// `char::is_alphanumeric`, by table.
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    props(c) & (ALPHABETIC | NUMERIC) != 0
}

/// `char::is_numeric`, by table.
#[inline]
pub(crate) fn is_numeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    props(c) & NUMERIC != 0
}

/// `char::is_uppercase`, by table.
#[inline]
pub(crate) fn is_uppercase(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    props(c) & UPPERCASE != 0
}

/// `char::is_lowercase`, by table.
#[inline]
pub(crate) fn is_lowercase(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    props(c) & LOWERCASE != 0
}

/// Letter case as sentence rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// An upper-case or title-case letter.
    Upper,
    /// A lower-case letter.
    Lower,
    /// A letter of a script without case (CJK, Arabic, Devanagari, Ethiopic, …).
    Caseless,
    /// A digit.
    Digit,
    /// Anything else (punctuation, symbols).
    Other,
}

/// The case class of a character.
pub(crate) fn case_of(c: char) -> Case {
    if c.is_ascii() {
        return match c {
            'A'..='Z' => Case::Upper,
            'a'..='z' => Case::Lower,
            '0'..='9' => Case::Digit,
            _ => Case::Other,
        };
    }
    let p = props(c);
    if p & UPPERCASE != 0 {
        Case::Upper
    } else if p & LOWERCASE != 0 {
        Case::Lower
    } else if p & NUMERIC != 0 {
        Case::Digit
    } else if p & ALPHABETIC != 0 {
        // Title-case digraphs (ǅ) are neither upper nor lower in `char`; treat as upper.
        if matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ') {
            Case::Upper
        } else {
            Case::Caseless
        }
    } else {
        Case::Other
    }
}

/// The CJK scripts: Han, kana and Hangul syllables. ASCII punctuation between two of
/// them ends a sentence (`美味!組内`), and their lines wrap anywhere. This is not
/// "written without spaces" ([`crate::text::is_spaceless`]): Korean is spaced, but
/// its text takes these habits from Chinese and Japanese; Thai is unspaced, but a
/// period between Thai letters is an abbreviation (`พ.ศ.`), not a sentence end.
pub(crate) fn is_cjk(c: char) -> bool {
    crate::text::is_han_or_kana(c) || matches!(c as u32, 0xAC00..=0xD7AF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_segmentation::UnicodeSegmentation;

    /// The table is exactly UAX #29's STerm ∪ ATerm as unicode-segmentation has it:
    /// `a{c} B` is two sentences iff `c` is terminal.
    #[test]
    fn terminal_table_matches_unicode_segmentation() {
        let mut mismatches = Vec::new();
        for cp in 0u32..=0x10FFFF {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if c.is_whitespace() || c.is_control() {
                continue;
            }
            let probe = format!("a{c} B");
            let uax = probe.split_sentence_bounds().count() == 2;
            if uax != is_terminal(c) {
                mismatches.push(format!("U+{cp:04X}"));
            }
        }
        assert!(
            mismatches.is_empty(),
            "table differs from UAX #29 at {mismatches:?}"
        );
    }

    #[test]
    fn property_table_agrees_with_the_standard_library() {
        for cp in 0u32..=0x10FFFF {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "U+{cp:04X}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "U+{cp:04X}");
            assert_eq!(is_numeric(c), c.is_numeric(), "U+{cp:04X}");
            assert_eq!(is_uppercase(c), c.is_uppercase(), "U+{cp:04X}");
            assert_eq!(is_lowercase(c), c.is_lowercase(), "U+{cp:04X}");
        }
    }

    #[test]
    fn cases() {
        assert_eq!(case_of('A'), Case::Upper);
        assert_eq!(case_of('ж'), Case::Lower);
        assert_eq!(case_of('Ж'), Case::Upper);
        assert_eq!(case_of('中'), Case::Caseless);
        assert_eq!(case_of('ب'), Case::Caseless);
        assert_eq!(case_of('7'), Case::Digit);
        assert_eq!(case_of('٣'), Case::Digit);
        assert_eq!(case_of('"'), Case::Other);
    }

    #[test]
    fn terminals_of_many_scripts() {
        for c in [
            '.', '!', '?', '。', '！', '？', '।', '؟', '۔', '։', '።', '፧', '။',
        ] {
            assert!(is_terminal(c), "{c}");
        }
        for c in [',', ';', ':', '…', 'a', '·'] {
            assert!(!is_terminal(c), "{c}");
        }
    }
}
