//! Tokenisation for alignment: words, numbers, URLs, ideographs and the punctuation
//! that survives translation (`?`, `!`, quotes, parentheses, colons, ellipses).
//!
//! Tokens are keys, not text: words are lowercased, numbers keep only their digits (so
//! `8 848`, `8,848` and `8848` differ only by splitting, and `8839,8` equals
//! `8839.8`), each punctuation class has one symbol (`¿` and `?` are both `?`,
//! `«` and `“` are both `"`). Han ideographs are one token each, because Chinese and
//! Japanese are written without spaces.

/// What a token is; decides which evidence it can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TokenKind {
    /// Letters (possibly with digits), e.g. `candide`, `k2`.
    Word,
    /// Digits only (separators removed).
    Number,
    /// One Han ideograph.
    Ideograph,
    /// A URL or e-mail address.
    Url,
    /// A punctuation class.
    Punct,
}

/// One token: its key and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub key: String,
    pub kind: TokenKind,
}

/// True for Han ideographs (CJK unified ideographs and their extensions, compatibility
/// ideographs).
fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// The value of a decimal digit of any common script (ASCII, Arabic-Indic, Persian,
/// Devanagari, Bengali, Thai, full-width), or `None`.
fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii() {
        return c.to_digit(10);
    }
    let u = c as u32;
    for zero in [
        0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50,
        0xED0, 0xF20, 0x1040, 0x17E0, 0xFF10,
    ] {
        if (zero..zero + 10).contains(&u) {
            return Some(u - zero);
        }
    }
    None
}

/// The punctuation class symbol of `c`, if it is one we use as evidence. `greek`: the
/// sentence is Greek, where `;` is the question mark.
fn punct_class(c: char, greek: bool) -> Option<&'static str> {
    Some(match c {
        '?' | '¿' | '？' | '؟' | ';' if c != ';' || greek => "?",
        '\u{037E}' => "?",
        '!' | '¡' | '！' => "!",
        '"' | '«' | '»' | '“' | '”' | '„' | '‟' | '「' | '」' | '『' | '』' | '〝' | '〞' | '‹'
        | '›' => "\"",
        '(' | ')' | '[' | ']' | '（' | '）' | '【' | '】' => "(",
        ':' | '：' => ":",
        '…' => "…",
        '%' | '％' => "%",
        '§' => "§",
        '€' | '$' | '£' | '¥' => "¤",
        _ => return None,
    })
}

/// 1 for hiragana, 2 for katakana (with the long-vowel mark and half-width forms),
/// 0 for any other character.
fn kana_class(c: char) -> u8 {
    match c as u32 {
        0x3041..=0x3096 | 0x309D..=0x309F => 1,
        0x30A0..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => 2,
        _ => 0,
    }
}

/// Kana and Hangul: syllabic scripts whose counters and units follow numbers
/// without a space.
fn is_syllabic(c: char) -> bool {
    kana_class(c) != 0 || matches!(c as u32, 0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F)
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // The Latin and Cyrillic blocks, most of the non-ASCII text aligned, are letters
    // and marks but for three signs: answered without Unicode's tables.
    match c as u32 {
        0xC0..=0x24F => return !matches!(c, '×' | '÷'),
        0x400..=0x52F => return c != '\u{482}',
        _ => {}
    }
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// Characters below this (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic: most of
/// the alphabetic text aligned) are looked up in a [`CharFacts`] table.
const TABLE_END: usize = 0x800;

/// What the tokeniser asks of a character below [`TABLE_END`]: whether it is a word
/// character, its digit value, its lowercase form if that is one character. Computed
/// once from the general functions, so the answers are theirs; Unicode's tables cost
/// a search per character, this one a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CharFacts(u32);

impl CharFacts {
    const LOWER_MASK: u32 = (1 << 21) - 1;
    const WORD: u32 = 1 << 21;
    const SINGLE_LOWER: u32 = 1 << 22;
    /// Four bits from here: digit value + 1 (0: not a digit).
    const DIGIT_SHIFT: u32 = 23;

    fn of(c: char) -> CharFacts {
        let mut bits = 0;
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            bits |= l as u32 | CharFacts::SINGLE_LOWER;
        }
        if is_word_char(c) {
            bits |= CharFacts::WORD;
        }
        if let Some(d) = digit_value(c) {
            bits |= (d + 1) << CharFacts::DIGIT_SHIFT;
        }
        CharFacts(bits)
    }

    #[inline]
    fn word(self) -> bool {
        self.0 & CharFacts::WORD != 0
    }

    #[inline]
    fn digit(self) -> Option<u32> {
        (self.0 >> CharFacts::DIGIT_SHIFT).checked_sub(1)
    }

    #[inline]
    fn lower(self) -> Option<char> {
        if self.0 & CharFacts::SINGLE_LOWER != 0 {
            char::from_u32(self.0 & CharFacts::LOWER_MASK)
        } else {
            None
        }
    }
}

/// The [`CharFacts`] of U+0000..[`TABLE_END`], built on first use.
fn char_table() -> &'static [CharFacts] {
    static TABLE: std::sync::OnceLock<Vec<CharFacts>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..TABLE_END as u32)
            .map(|u| char::from_u32(u).map_or(CharFacts(0), CharFacts::of))
            .collect()
    })
}

/// [`is_word_char`], [`digit_value`] and lowercasing through the table where it
/// answers, the general functions elsewhere.
#[derive(Clone, Copy)]
struct Chars<'t> {
    table: &'t [CharFacts],
}

impl Chars<'_> {
    #[inline]
    fn word(self, c: char) -> bool {
        match self.table.get(c as usize) {
            Some(f) => f.word(),
            None => is_word_char(c),
        }
    }

    #[inline]
    fn digit(self, c: char) -> Option<u32> {
        match self.table.get(c as usize) {
            Some(f) => f.digit(),
            None => digit_value(c),
        }
    }

    /// Whether `c` continues a word begun with a character of kana class
    /// `syllabary` ([`kana_class`]); `digits_split`: the word's script starts a
    /// number at a digit.
    #[inline]
    fn continues_word(self, c: char, syllabary: u8, digits_split: bool) -> bool {
        if syllabary == 0 {
            if let Some(f) = self.table.get(c as usize) {
                // No ideographs nor kana in the table: the general test reduces to
                // this.
                return f.word() && !(digits_split && f.digit().is_some());
            }
        }
        continues_word_general(c, syllabary, digits_split)
    }

    /// Appends the lowercase form of `c`.
    #[inline]
    fn push_lower(self, key: &mut String, c: char) {
        if c.is_ascii() {
            key.push(c.to_ascii_lowercase());
        } else if let Some(l) = self.table.get(c as usize).and_then(|f| f.lower()) {
            key.push(l);
        } else {
            key.extend(c.to_lowercase());
        }
    }
}

fn continues_word_general(c: char, syllabary: u8, digits_split: bool) -> bool {
    is_word_char(c)
        && !is_ideograph(c)
        && (kana_class(c) == syllabary || unicode_normalization::char::is_combining_mark(c))
        && !(digits_split && digit_value(c).is_some())
}

fn looks_like_url(chunk: &str) -> bool {
    if !chunk.bytes().any(|b| b == b':' || b == b'@' || b == b'.') {
        return false;
    }
    chunk.contains("://")
        || chunk.starts_with("www.")
        || (chunk.contains('@')
            && chunk.rsplit('@').next().is_some_and(|d| d.contains('.'))
            && chunk.chars().filter(|&c| c == '@').count() == 1
            && chunk.len() > 4)
}

/// Splits `text` into tokens, appending them to `out`.
pub(crate) fn tokenize(text: &str, out: &mut Vec<Token>) {
    tokenize_with(text, &mut |kind, key| {
        out.push(Token {
            key: key.to_string(),
            kind,
        })
    });
}

/// Splits `text` into tokens, calling `emit(kind, key)` for each.
pub(crate) fn tokenize_with(text: &str, emit: &mut dyn FnMut(TokenKind, &str)) {
    let mut key = String::new();
    // Only a Greek sentence's `;` is a question mark.
    let greek = text.contains(';')
        && text
            .chars()
            .any(|c| matches!(c as u32, 0x0370..=0x03FF | 0x1F00..=0x1FFF));
    let mut chars: Vec<char> = Vec::new();
    let table = Chars {
        table: char_table(),
    };
    for chunk in text.split_whitespace() {
        if looks_like_url(chunk) {
            let trimmed = chunk.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
            if !trimmed.is_empty() {
                emit(TokenKind::Url, &trimmed.to_lowercase());
                continue;
            }
        }
        chars.clear();
        chars.extend(chunk.chars());
        tokenize_chunk(&chars, greek, table, &mut key, emit);
    }
}

fn tokenize_chunk(
    chars: &[char],
    greek: bool,
    table: Chars<'_>,
    key: &mut String,
    emit: &mut dyn FnMut(TokenKind, &str),
) {
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        key.clear();
        if is_ideograph(c) {
            // Each ideograph, and each pair of neighbours: Chinese words are mostly
            // two characters long, and pairs are far more specific than characters.
            key.push(c);
            emit(TokenKind::Ideograph, key);
            if let Some(&next) = chars.get(k + 1).filter(|&&n| is_ideograph(n)) {
                key.push(next);
                emit(TokenKind::Ideograph, key);
            }
            k += 1;
        } else if table.digit(c).is_some() {
            // A number: digits with single separators between digit groups.
            let mut letters = false;
            while k < chars.len() {
                let c = chars[k];
                if let Some(d) = table.digit(c) {
                    key.push(char::from_digit(d, 10).unwrap_or('0'));
                    k += 1;
                } else if matches!(c, '.' | ',' | '\'' | '’' | '\u{202F}' | '\u{A0}')
                    && chars.get(k + 1).is_some_and(|&n| table.digit(n).is_some())
                {
                    k += 1;
                } else if table.word(c) && !is_ideograph(c) && !is_syllabic(c) {
                    // "K2", "1950s", "3rd": a word with digits. Korean and Japanese
                    // write counters onto numbers (2020년, 10キロ): the number stays
                    // a number, the counter is the next word.
                    letters = true;
                    table.push_lower(key, c);
                    k += 1;
                } else {
                    break;
                }
            }
            let kind = if letters {
                TokenKind::Word
            } else {
                TokenKind::Number
            };
            emit(kind, key);
        } else if table.word(c) {
            // Japanese is written without spaces: a change between hiragana (endings,
            // particles) and katakana (loanwords, names) ends a word, so that
            // アメリカの gives アメリカ, which romanises to a cognate of "America".
            let syllabary = kana_class(c);
            // In those scripts and the ones written without spaces (Thai, Lao, Khmer,
            // Myanmar) digits start a number of their own (제3회, ปี2020), where
            // "K2" and "MP3" stay words.
            let digits_split = is_syllabic(c) || crate::text::is_spaceless(c);
            while k < chars.len() && table.continues_word(chars[k], syllabary, digits_split) {
                table.push_lower(key, chars[k]);
                k += 1;
            }
            emit(TokenKind::Word, key);
        } else {
            if c == '.' && chars.get(k + 1) == Some(&'.') && chars.get(k + 2) == Some(&'.') {
                emit(TokenKind::Punct, "…");
                k += 3;
                continue;
            }
            if let Some(sym) = punct_class(c, greek) {
                emit(TokenKind::Punct, sym);
            }
            k += 1;
        }
    }
}

/// The length of a sentence for the length model: its characters other than
/// whitespace (so tokenised text such as `Woodhouse , handsome` is not inflated).
#[cfg(test)]
pub(crate) fn char_len(text: &str) -> u32 {
    char_len_weighted(text).0
}

/// The same, and the sum of its characters' [`super::length::char_weight`]s.
pub(crate) fn char_len_weighted(text: &str) -> (u32, f64) {
    let (mut len, mut weighted) = (0u32, 0.0);
    for c in text.chars() {
        // ASCII whitespace is what `char::is_whitespace` says of ASCII, without its
        // table.
        let w = if c.is_ascii() {
            if matches!(c, '\t'..='\r' | ' ') {
                continue;
            }
            1.0
        } else if c.is_whitespace() {
            continue;
        } else {
            super::length::char_weight(c)
        };
        len += 1;
        weighted += w;
    }
    (len, weighted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_char_shortcut_agrees_with_unicode() {
        for u in (0xC0..=0x24F).chain(0x400..=0x52F) {
            let c = char::from_u32(u).unwrap();
            let general = c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
            assert_eq!(is_word_char(c), general, "U+{u:04X}");
        }
    }

    #[test]
    fn char_table_agrees_with_the_general_functions() {
        let table = Chars {
            table: char_table(),
        };
        for u in (0..0x3000).chain(0x3040..0x3100).chain(0xAC00..0xAC10) {
            let Some(c) = char::from_u32(u) else { continue };
            assert_eq!(table.word(c), is_word_char(c), "U+{u:04X}");
            assert_eq!(table.digit(c), digit_value(c), "U+{u:04X}");
            let (mut fast, mut general) = (String::new(), String::new());
            table.push_lower(&mut fast, c);
            general.extend(c.to_lowercase());
            assert_eq!(fast, general, "U+{u:04X}");
            for syllabary in 0..=2 {
                for digits_split in [false, true] {
                    assert_eq!(
                        table.continues_word(c, syllabary, digits_split),
                        continues_word_general(c, syllabary, digits_split),
                        "U+{u:04X} {syllabary} {digits_split}"
                    );
                }
            }
        }
    }

    #[test]
    fn length_shortcut_agrees_with_unicode_whitespace() {
        for u in (0..0x3000).chain([0x3000, 0xFEFF]) {
            let Some(c) = char::from_u32(u) else { continue };
            let text = format!("a{c}b");
            let expected = if c.is_whitespace() { 2 } else { 3 };
            assert_eq!(char_len_weighted(&text).0, expected, "U+{u:04X}");
        }
    }

    fn toks(text: &str) -> Vec<(String, TokenKind)> {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.into_iter().map(|t| (t.key, t.kind)).collect()
    }

    #[test]
    fn words_numbers_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            toks("Für Chomo-Lungma ergaben 8839,8 m (K2)?"),
            vec![
                ("für".into(), Word),
                ("chomo".into(), Word),
                ("lungma".into(), Word),
                ("ergaben".into(), Word),
                ("88398".into(), Number),
                ("m".into(), Word),
                ("(".into(), Punct),
                ("k2".into(), Word),
                ("(".into(), Punct),
                ("?".into(), Punct),
            ]
        );
        assert_eq!(toks("¿Qué?")[0], ("?".into(), Punct));
        assert_eq!(toks("Τι είναι;").last().unwrap().0, "?");
        assert_eq!(toks("a; b").len(), 2);
        assert_eq!(toks("８８４８ ٨")[0], ("8848".into(), Number));
    }

    #[test]
    fn counters_written_onto_numbers_are_words_of_their_own() {
        use TokenKind::*;
        assert_eq!(
            toks("2020년 3월 10キロ 3rd"),
            vec![
                ("2020".into(), Number),
                ("년".into(), Word),
                ("3".into(), Number),
                ("월".into(), Word),
                ("10".into(), Number),
                ("キロ".into(), Word),
                ("3rd".into(), Word),
            ]
        );
        // Digits after Hangul or Thai letters are a number too; Latin words keep them.
        assert_eq!(
            toks("제3회 ปี2020 MP3"),
            vec![
                ("제".into(), Word),
                ("3".into(), Number),
                ("회".into(), Word),
                ("ปี".into(), Word),
                ("2020".into(), Number),
                ("mp3".into(), Word),
            ]
        );
    }

    #[test]
    fn kana_runs_split_between_the_syllabaries() {
        let words: Vec<String> = toks("アメリカのパーティーへ Tシャツ")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(words, ["アメリカ", "の", "パーティー", "へ", "t", "シャツ"]);
        // Combining voicing marks stay with their kana.
        assert_eq!(toks("カ\u{3099}ス")[0].0, "カ\u{3099}ス");
    }

    #[test]
    fn ideographs_and_urls() {
        use TokenKind::*;
        assert_eq!(
            toks("北京2008年 see https://example.org/x."),
            vec![
                ("北".into(), Ideograph),
                ("北京".into(), Ideograph),
                ("京".into(), Ideograph),
                ("2008".into(), Number),
                ("年".into(), Ideograph),
                ("see".into(), Word),
                ("https://example.org/x".into(), Url),
            ]
        );
    }

    #[test]
    fn length_ignores_spaces() {
        assert_eq!(char_len("Woodhouse , handsome"), 18);
        assert_eq!(char_len("北京 年"), 3);
    }
}
