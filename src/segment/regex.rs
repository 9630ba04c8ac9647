//! Regular expressions for SRX rules: patterns written for Java (the SRX tools that
//! ship rule files — LanguageTool, OmegaT, Okapi — are Java programs) translated to
//! the syntax of the `regex` family, then compiled for the question a rule asks.
//!
//! One [`Regex`] wrapper, two backends chosen per pattern: `regex-automata` (the
//! engine behind the `regex` crate: linear time, no backtracking) wherever the
//! pattern allows it, and `fancy-regex` (feature `srx-lookaround`) for what only a
//! backtracking engine does: look-around, back-references, atomic groups and
//! possessive quantifiers.
//!
//! Semantics are those of the SRX 2.0 specification (ICU regular expressions):
//! `\w`, `\d`, `\s`, `\b` and case folding are Unicode-aware, as in Java with
//! `UNICODE_CHARACTER_CLASS`. The translation handles the Java idioms the rule
//! files use and `regex` spells differently or not at all:
//!
//! | Java | meaning | becomes |
//! |---|---|---|
//! | `\h`, `\H` | horizontal whitespace (not a hex digit, as in fancy-regex) | an explicit class |
//! | `\v`, `\V` | vertical whitespace (not only VT, as in `regex`) | an explicit class |
//! | `\R` | any line break | `(?:\r\n\|[\n\x0B\f\r\x85\u2028\u2029])` |
//! | `\Q…\E` | quoted literal text | escaped characters |
//! | `[\d-–]` | `-` next to a class escape is a literal | `[\d\-–]` |
//! | `\uD83D\uDE00` | a surrogate pair | one code point |
//! | `\e`, `\0oo`, `\cX` | escape, octal, control characters | `\x{…}` |
//! | `\p{javaLowerCase}`, `\p{Lower}`, `\p{IsLatin}` | Java property names | Unicode properties |
//! | `\<`, `\>`, `\ظ` | escaped literals (word boundaries in `regex`) | the characters |
//! | `(?u)`, `(?U)`, `(?d)` | Java flags (`U` swaps greediness in `regex`) | dropped |
//! | `X*+`, `X++`, `X?+`, `(?>X)`, look-around, `\1`, `\G` | backtracking features | fancy-regex |
//!
//! Unicode blocks (`\p{InGreek}`) have no equivalent and are reported as errors.

use std::sync::Arc;

use regex_automata::meta;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition};

/// How far back (in bytes) a backtracking `beforebreak` pattern looks for the start of
/// its match (less when the relaxed pattern shows it cannot start further back).
#[cfg_attr(not(feature = "srx-lookaround"), allow(dead_code))]
pub(crate) const FANCY_LOOKBEHIND_WINDOW: usize = 256;

/// A pattern translated from Java syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translated {
    /// The pattern in `regex` / `fancy-regex` syntax.
    pub source: String,
    /// It needs a backtracking engine (look-around, back-references, atomic groups,
    /// possessive quantifiers, `\G`).
    pub fancy: bool,
}

/// Horizontal whitespace, Java's `\h`, as the body of a character class.
const HSPACE: &str = r"\t\x{20}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}";
/// Vertical whitespace, Java's `\v`, as the body of a character class.
const VSPACE: &str = r"\n\x{0B}\x{0C}\r\x{85}\x{2028}\x{2029}";

/// One item produced by an escape sequence.
enum Escaped {
    /// A single character (may be a range endpoint in a class).
    Char(char),
    /// A set of characters: its spelling outside and inside a class.
    Set(String),
    /// Text valid only outside a class (assertions, back-references, groups).
    Raw(String),
    /// `\Q…\E`: literal characters.
    Quote(Vec<char>),
}

/// Translates a Java pattern. Errors are things no engine could match (a lone
/// surrogate) or a trailing backslash; everything else is left for the parser to judge.
pub(crate) fn translate(java: &str) -> Result<Translated, String> {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 8);
    let mut fancy = false;
    // Nesting depth of character classes.
    let mut depth = 0usize;
    // Inside a class: what the previous item was (for deciding whether `-` is a range).
    #[derive(Clone, Copy, PartialEq)]
    enum Prev {
        Nothing,
        Char,
        Set,
    }
    let mut prev = Prev::Nothing;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let (item, next) = escape(&chars, i, &mut fancy)?;
            i = next;
            match item {
                Escaped::Char(ch) => {
                    push_literal(&mut out, ch);
                    prev = Prev::Char;
                }
                Escaped::Set(set) => {
                    out.push_str(&set);
                    prev = Prev::Set;
                }
                Escaped::Raw(raw) => {
                    out.push_str(&raw);
                    prev = Prev::Set;
                }
                Escaped::Quote(lit) => {
                    for ch in lit {
                        push_literal(&mut out, ch);
                    }
                    prev = Prev::Set;
                }
            }
            if depth == 0 {
                i = quantifier_suffix(&chars, i, &mut out, &mut fancy);
            }
            continue;
        }
        if depth > 0 {
            match c {
                '[' => {
                    depth += 1;
                    out.push('[');
                    i += 1;
                    if chars.get(i) == Some(&'^') {
                        out.push('^');
                        i += 1;
                    }
                    if chars.get(i) == Some(&':') {
                        // `[:alpha:]` is a POSIX class in `regex`, plain characters in Java.
                        out.push_str(r"\:");
                        i += 1;
                    }
                    prev = Prev::Nothing;
                    continue;
                }
                ']' => {
                    depth -= 1;
                    out.push(']');
                    prev = Prev::Set;
                    i += 1;
                    if depth == 0 {
                        i = quantifier_suffix(&chars, i, &mut out, &mut fancy);
                    }
                    continue;
                }
                '&' if chars.get(i + 1) == Some(&'&') => {
                    out.push_str("&&");
                    prev = Prev::Nothing;
                    i += 2;
                    continue;
                }
                '-' => {
                    let next = chars.get(i + 1).copied();
                    let next_is_char = match next {
                        None | Some(']') | Some('[') => false,
                        Some('&') => chars.get(i + 2) != Some(&'&'),
                        Some('\\') => !matches!(
                            chars.get(i + 2),
                            Some('d' | 'D' | 's' | 'S' | 'w' | 'W' | 'h' | 'H' | 'v' | 'V')
                                | Some('p' | 'P' | 'Q' | 'R' | 'X' | 'E')
                                | None
                        ),
                        Some(_) => true,
                    };
                    if prev == Prev::Char && next_is_char {
                        out.push('-');
                        i += 1;
                        // The range end; a `-` there must not read as an operator.
                        let end = chars[i];
                        if end == '\\' {
                            let (item, next) = escape(&chars, i, &mut fancy)?;
                            i = next;
                            match item {
                                Escaped::Char(ch) => push_literal(&mut out, ch),
                                Escaped::Set(s) | Escaped::Raw(s) => out.push_str(&s),
                                Escaped::Quote(lit) => {
                                    lit.into_iter().for_each(|ch| push_literal(&mut out, ch))
                                }
                            }
                        } else {
                            push_literal(&mut out, end);
                            i += 1;
                        }
                        prev = Prev::Set;
                    } else {
                        out.push_str(r"\-");
                        prev = Prev::Char;
                        i += 1;
                    }
                    continue;
                }
                _ => {
                    // `&` and `~` alone are literals in Java; `regex` reads `&&`, `~~`
                    // and `--` as set operators.
                    if c == '&' || c == '~' {
                        out.push('\\');
                        out.push(c);
                    } else {
                        out.push(c);
                    }
                    prev = Prev::Char;
                    i += 1;
                    continue;
                }
            }
        }
        match c {
            '[' => {
                depth = 1;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                prev = Prev::Nothing;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                i = group_opening(&chars, i, &mut out, &mut fancy);
            }
            '*' | '+' | '?' | '{' => {
                // A quantifier with nothing to repeat: left for the parser to report.
                i = quantifier_suffix(&chars, i, &mut out, &mut fancy);
            }
            _ => {
                out.push(c);
                i += 1;
                if c != '(' && c != '|' {
                    i = quantifier_suffix(&chars, i, &mut out, &mut fancy);
                }
            }
        }
    }
    Ok(Translated { source: out, fancy })
}

/// After an atom, at `i`: copies the quantifiers that follow with their lazy or
/// possessive suffixes. Returns the index after them.
fn quantifier_suffix(chars: &[char], mut i: usize, out: &mut String, fancy: &mut bool) -> usize {
    loop {
        match chars.get(i) {
            Some(&q @ ('*' | '+' | '?')) => {
                out.push(q);
                i += 1;
            }
            Some('{') => {
                // A counted repetition `{n}`, `{n,}`, `{n,m}`; anything else is left
                // for the parser (Java rejects it too).
                let mut j = i + 1;
                let mut ok = false;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == ',') {
                    j += 1;
                }
                if j < chars.len() && chars[j] == '}' && j > i + 1 && chars[i + 1].is_ascii_digit()
                {
                    ok = true;
                }
                if !ok {
                    out.push('{');
                    return i + 1;
                }
                out.extend(&chars[i..=j]);
                i = j + 1;
            }
            _ => return i,
        }
        match chars.get(i) {
            Some('?') => {
                out.push('?');
                i += 1;
            }
            Some('+') => {
                // Possessive: only a backtracking engine distinguishes it.
                out.push('+');
                *fancy = true;
                i += 1;
            }
            _ => {}
        }
        // A quantifier directly after another is an error in both dialects; let the
        // parser say so.
        if !matches!(chars.get(i), Some('*' | '+' | '?' | '{')) {
            return i;
        }
    }
}

/// `(?…` at `i`: copies the group opening, dropping Java-only flags. Returns the
/// index after it.
fn group_opening(chars: &[char], i: usize, out: &mut String, fancy: &mut bool) -> usize {
    let rest: String = chars[i + 2..chars.len().min(i + 5)].iter().collect();
    if rest.starts_with('=') || rest.starts_with('!') || rest.starts_with('>') {
        *fancy = true;
        out.push_str("(?");
        return i + 2;
    }
    if rest.starts_with("<=") || rest.starts_with("<!") {
        *fancy = true;
        out.push_str("(?<");
        return i + 3;
    }
    if rest.starts_with(':') || rest.starts_with('<') || rest.starts_with('P') {
        out.push_str("(?");
        return i + 2;
    }
    // Inline flags: (?idmsuxU-idmsuxU) or (?flags:…).
    let mut j = i + 2;
    let mut on = String::new();
    let mut off = String::new();
    let mut negate = false;
    while j < chars.len() {
        let f = chars[j];
        match f {
            '-' => negate = true,
            ')' | ':' => break,
            // Java-only: UNIX_LINES, UNICODE_CASE, UNICODE_CHARACTER_CLASS, CANON_EQ
            // (Unicode is always on here; `U` would swap greediness in `regex`).
            'd' | 'u' | 'U' | 'c' => {}
            _ => {
                if negate {
                    off.push(f)
                } else {
                    on.push(f)
                }
            }
        }
        j += 1;
    }
    let Some(&end) = chars.get(j) else {
        // Unterminated: copy as is for the parser to report.
        out.extend(&chars[i..]);
        return chars.len();
    };
    if on.is_empty() && off.is_empty() {
        if end == ':' {
            out.push_str("(?:");
        }
        return j + 1;
    }
    out.push_str("(?");
    out.push_str(&on);
    if !off.is_empty() {
        out.push('-');
        out.push_str(&off);
    }
    out.push(end);
    j + 1
}

/// Writes `c` as a literal, escaped where `regex` would read it as syntax.
fn push_literal(out: &mut String, c: char) {
    if regex_syntax::is_meta_character(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_whitespace() || c.is_control() {
        out.push_str(&format!(r"\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// The characters after the opening delimiter at `open` up to the first `close`,
/// and the index after that `close`; `unterminated()` is the error when there is none.
fn delimited(
    chars: &[char],
    open: usize,
    close: char,
    unterminated: impl FnOnce() -> String,
) -> Result<(String, usize), String> {
    let end = chars[open..]
        .iter()
        .position(|&c| c == close)
        .map(|p| open + p)
        .ok_or_else(unterminated)?;
    Ok((chars[open + 1..end].iter().collect(), end + 1))
}

/// The escape sequence starting with the backslash at `i`; returns it and the index
/// after it.
fn escape(chars: &[char], i: usize, fancy: &mut bool) -> Result<(Escaped, usize), String> {
    let Some(&c) = chars.get(i + 1) else {
        return Err("the pattern ends with a lone backslash".to_string());
    };
    let next = i + 2;
    let item = match c {
        'h' => Escaped::Set(format!("[{HSPACE}]")),
        'H' => Escaped::Set(format!("[^{HSPACE}]")),
        'v' => Escaped::Set(format!("[{VSPACE}]")),
        'V' => Escaped::Set(format!("[^{VSPACE}]")),
        'd' | 'D' | 's' | 'S' | 'w' | 'W' => Escaped::Set(format!("\\{c}")),
        'b' | 'B' | 'A' | 'z' => Escaped::Raw(format!("\\{c}")),
        'R' => Escaped::Raw(format!(r"(?:\r\n|[{VSPACE}])")),
        'X' => Escaped::Raw(r"(?:\P{M}\p{M}*)".to_string()),
        'Z' => {
            *fancy = true;
            Escaped::Raw(r"(?=\n?\z)".to_string())
        }
        'G' => {
            *fancy = true;
            Escaped::Raw(r"\G".to_string())
        }
        't' => Escaped::Char('\t'),
        'n' => Escaped::Char('\n'),
        'r' => Escaped::Char('\r'),
        'f' => Escaped::Char('\x0C'),
        'a' => Escaped::Char('\x07'),
        'e' => Escaped::Char('\x1B'),
        'c' => {
            let Some(&x) = chars.get(next) else {
                return Err(r"\c at the end of the pattern".to_string());
            };
            let code = (x as u32) ^ 0x40;
            let ch =
                char::from_u32(code).ok_or_else(|| format!(r"invalid control escape \c{x}"))?;
            return Ok((Escaped::Char(ch), next + 1));
        }
        '0' => {
            // Octal: \0n, \0nn, \0mnn (m ≤ 3).
            let mut value = 0u32;
            let mut j = next;
            while j < chars.len() && j < next + 3 && chars[j].is_digit(8) {
                let v = value * 8 + chars[j].to_digit(8).unwrap_or(0);
                if v > 0o377 {
                    break;
                }
                value = v;
                j += 1;
            }
            if j == next {
                return Err(r"\0 must be followed by an octal digit".to_string());
            }
            return Ok((Escaped::Char(char::from_u32(value).unwrap_or('\0')), j));
        }
        'x' => {
            let (value, end) = if chars.get(next) == Some(&'{') {
                let (hex, end) = delimited(chars, next, '}', || r"unterminated \x{…}".into())?;
                (u32::from_str_radix(&hex, 16).ok(), end)
            } else {
                let hex: String = chars[next..chars.len().min(next + 2)].iter().collect();
                if hex.len() != 2 {
                    return Err(r"\x needs two hex digits".to_string());
                }
                (u32::from_str_radix(&hex, 16).ok(), next + 2)
            };
            let ch = value
                .and_then(char::from_u32)
                .ok_or_else(|| r"invalid \x escape".to_string())?;
            return Ok((Escaped::Char(ch), end));
        }
        'u' => {
            let unit = |at: usize| -> Option<u32> {
                let hex: String = chars.get(at..at + 4)?.iter().collect();
                if hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    u32::from_str_radix(&hex, 16).ok()
                } else {
                    None
                }
            };
            let Some(first) = unit(next) else {
                return Err(r"\u needs four hex digits".to_string());
            };
            if (0xD800..0xDC00).contains(&first)
                && chars.get(next + 4) == Some(&'\\')
                && chars.get(next + 5) == Some(&'u')
            {
                if let Some(low @ 0xDC00..=0xDFFF) = unit(next + 6) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                    let ch = char::from_u32(code).ok_or("invalid surrogate pair")?;
                    return Ok((Escaped::Char(ch), next + 10));
                }
            }
            let ch = char::from_u32(first).ok_or_else(|| {
                format!(r"\u{first:04X} is a lone surrogate: it cannot match UTF-8 text")
            })?;
            return Ok((Escaped::Char(ch), next + 4));
        }
        'p' | 'P' => {
            let negated = c == 'P';
            let (name, end) = if chars.get(next) == Some(&'{') {
                delimited(chars, next, '}', || format!(r"unterminated \{c}{{…}}"))?
            } else {
                let Some(&letter) = chars.get(next) else {
                    return Err(format!(r"\{c} at the end of the pattern"));
                };
                (letter.to_string(), next + 1)
            };
            return Ok((Escaped::Set(java_property(&name, negated)?), end));
        }
        'Q' => {
            let mut j = next;
            let mut lit = Vec::new();
            while j < chars.len() {
                if chars[j] == '\\' && chars.get(j + 1) == Some(&'E') {
                    return Ok((Escaped::Quote(lit), j + 2));
                }
                lit.push(chars[j]);
                j += 1;
            }
            return Ok((Escaped::Quote(lit), j));
        }
        // A stray \E ends nothing in Java; it is ignored.
        'E' => Escaped::Quote(Vec::new()),
        'k' if chars.get(next) == Some(&'<') => {
            *fancy = true;
            let (name, end) = delimited(chars, next, '>', || r"unterminated \k<…>".into())?;
            return Ok((Escaped::Raw(format!(r"\k<{name}>")), end));
        }
        '1'..='9' => {
            *fancy = true;
            Escaped::Raw(format!("\\{c}"))
        }
        c if c.is_ascii_alphanumeric() => {
            // Unknown in Java too; the parser will say so.
            Escaped::Raw(format!("\\{c}"))
        }
        // Any other escaped character is itself (`\<` and `\>` included).
        other => Escaped::Char(other),
    };
    Ok((item, next))
}

/// A Java property name (`\p{…}`) in `regex` syntax, with Java's meanings under
/// `UNICODE_CHARACTER_CLASS`.
fn java_property(name: &str, negated: bool) -> Result<String, String> {
    let set = |body: &str| -> String {
        if negated {
            format!("[^{body}]")
        } else {
            format!("[{body}]")
        }
    };
    let prop = |p: &str| -> String {
        if negated {
            format!(r"\P{{{p}}}")
        } else {
            format!(r"\p{{{p}}}")
        }
    };
    let mapped = match name {
        "javaLowerCase" | "Lower" => prop("Lowercase"),
        "javaUpperCase" | "Upper" => prop("Uppercase"),
        "javaTitleCase" => prop("Lt"),
        "javaWhitespace" => set(r"\t-\r\x{1C}-\x{1F}\p{Z}--[\x{A0}\x{2007}\x{202F}]"),
        "javaSpaceChar" => prop("Z"),
        "javaLetter" => prop("L"),
        "javaDigit" => prop("Nd"),
        "javaLetterOrDigit" => set(r"\p{L}\p{Nd}"),
        "javaAlphabetic" | "Alpha" => prop("Alphabetic"),
        "javaIdeographic" => prop("Ideographic"),
        "javaMirrored" => prop("Bidi_Mirrored"),
        "javaDefined" => set(r"^\p{Cn}"),
        "javaISOControl" => set(r"\x{0}-\x{1F}\x{7F}-\x{9F}"),
        "javaIdentifierIgnorable" => set(r"\x{0}-\x{8}\x{E}-\x{1B}\x{7F}-\x{9F}\p{Cf}"),
        "javaJavaIdentifierStart" | "javaUnicodeIdentifierStart" => prop("XID_Start"),
        "javaJavaIdentifierPart" | "javaUnicodeIdentifierPart" => prop("XID_Continue"),
        "ASCII" => set(r"\x{0}-\x{7F}"),
        "Digit" => prop("Nd"),
        "Alnum" => set(r"\p{Alphabetic}\p{Nd}"),
        "Punct" => prop("P"),
        "Graph" => set(r"^\p{White_Space}\p{Cc}\p{Cs}\p{Cn}"),
        "Print" => set(r"[^\p{White_Space}\p{Cc}\p{Cs}\p{Cn}]\p{Zs}"),
        "Blank" => set(r"\p{Zs}\t"),
        "Cntrl" => prop("Cc"),
        "XDigit" => set(r"\p{Nd}\p{Hex_Digit}"),
        "Space" => prop("White_Space"),
        _ => {
            if let Some(block) = name
                .strip_prefix("In")
                .or_else(|| name.strip_prefix("block="))
                .or_else(|| name.strip_prefix("blk="))
            {
                return Err(format!(
                    r"Unicode blocks (\p{{{name}}}) are not supported; use a script such as \p{{Is{block}}}"
                ));
            }
            let bare = match name.strip_prefix("Is") {
                Some(rest) if !rest.is_empty() => rest,
                _ => name,
            };
            if bare.is_empty() || bare.contains(['{', '}', '[', ']', '\\']) {
                return Err(format!(r"invalid property name \p{{{name}}}"));
            }
            prop(bare)
        }
    };
    Ok(mapped)
}

/// Parses a translated (non-fancy) pattern into its high-level IR.
fn parse_hir(source: &str, case_insensitive: bool) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .nest_limit(200)
        .build()
        .parse(source)
        .map_err(|e| one_line(&e.to_string()))
}

/// The last line of a multi-line parser message (regex-syntax draws the pattern with
/// a caret above the actual message).
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.iter().rposition(|l| l.starts_with("error:")) {
        Some(p) => lines[p..]
            .join(" ")
            .trim_start_matches("error:")
            .trim()
            .to_string(),
        None => lines.join(" "),
    }
}

/// The regex syntax tree read backwards: it matches the reversed text of what the
/// original matches, with each look-around assertion turned around.
pub(crate) fn reverse_hir(hir: &Hir) -> Hir {
    map_leaves(hir, true, &|leaf| match leaf.kind() {
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => Hir::literal(s.chars().rev().collect::<String>().into_bytes()),
            Err(_) => Hir::literal(lit.0.iter().rev().copied().collect::<Vec<u8>>()),
        },
        HirKind::Look(look) => Hir::look(look.reversed()),
        _ => leaf.clone(),
    })
}

/// `hir` rebuilt with `leaf` applied to each leaf (empty, literal, class, look),
/// without its capture groups (nothing here reads them) and, if `backwards`, with
/// every concatenation read backwards.
fn map_leaves(hir: &Hir, backwards: bool, leaf: &dyn Fn(&Hir) -> Hir) -> Hir {
    let map = |sub: &Hir| map_leaves(sub, backwards, leaf);
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => leaf(hir),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(map(&rep.sub)),
        }),
        HirKind::Capture(cap) => map(&cap.sub),
        HirKind::Concat(subs) if backwards => Hir::concat(subs.iter().rev().map(map).collect()),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(map).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(map).collect()),
    }
}

/// The characters a match of `hir` can start with, if that set is known and the
/// pattern cannot match the empty string; `None` means "anything".
pub(crate) fn first_chars(hir: &Hir) -> Option<CharSet> {
    fn go(hir: &Hir) -> First {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => First::Nullable(ClassUnicode::empty()),
            HirKind::Literal(lit) => match std::str::from_utf8(&lit.0)
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => First::Set(ClassUnicode::new([ClassUnicodeRange::new(c, c)])),
                None => First::Unknown,
            },
            HirKind::Class(Class::Unicode(class)) => First::Set(class.clone()),
            HirKind::Class(Class::Bytes(_)) => First::Unknown,
            HirKind::Repetition(rep) => match go(&rep.sub) {
                First::Set(s) if rep.min == 0 => First::Nullable(s),
                other => other,
            },
            HirKind::Capture(cap) => go(&cap.sub),
            HirKind::Concat(subs) => {
                let mut acc = ClassUnicode::empty();
                for sub in subs {
                    match go(sub) {
                        First::Unknown => return First::Unknown,
                        First::Set(s) => {
                            acc.union(&s);
                            return First::Set(acc);
                        }
                        First::Nullable(s) => acc.union(&s),
                    }
                }
                First::Nullable(acc)
            }
            HirKind::Alternation(subs) => {
                let mut acc = ClassUnicode::empty();
                let mut nullable = false;
                for sub in subs {
                    match go(sub) {
                        First::Unknown => return First::Unknown,
                        First::Set(s) => acc.union(&s),
                        First::Nullable(s) => {
                            acc.union(&s);
                            nullable = true;
                        }
                    }
                }
                if nullable {
                    First::Nullable(acc)
                } else {
                    First::Set(acc)
                }
            }
        }
    }
    enum First {
        Set(ClassUnicode),
        Nullable(ClassUnicode),
        Unknown,
    }
    match go(hir) {
        First::Set(class) => Some(CharSet::new(&class)),
        _ => None,
    }
}

/// A set of characters with a fast test for ASCII.
#[derive(Debug, Clone)]
pub(crate) struct CharSet {
    ascii: [bool; 128],
    ranges: Vec<(char, char)>,
}

impl CharSet {
    fn new(class: &ClassUnicode) -> CharSet {
        let mut ascii = [false; 128];
        let mut ranges = Vec::new();
        for r in class.ranges() {
            for b in (r.start() as u32)..=(r.end() as u32).min(127) {
                ascii[b as usize] = true;
            }
            if r.end() as u32 >= 128 {
                ranges.push((r.start().max('\u{80}'), r.end()));
            }
        }
        CharSet { ascii, ranges }
    }

    /// True if `c` is in the set.
    pub(crate) fn contains(&self, c: char) -> bool {
        if (c as u32) < 128 {
            return self.ascii[c as usize];
        }
        self.ranges
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// Which question a compiled pattern answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Does a match start exactly at a position (an `afterbreak`)?
    Start,
    /// Does a match end exactly at a position (a `beforebreak`)?
    End,
    /// Does the pattern match the whole text, ignoring case (a `languagepattern`)?
    Whole,
}

/// A compiled rule pattern.
#[derive(Clone)]
pub(crate) struct Regex {
    backend: Backend,
    /// For [`Anchor::End`] on the linear-time backend: the reversed pattern, kept to
    /// build a [`Prefilter`].
    reversed: Option<Arc<Hir>>,
    /// Characters a match can start with (for [`Anchor::Start`]) or end with (for
    /// [`Anchor::End`]), when known: a cheap test before running the engine.
    edge: Option<Arc<CharSet>>,
}

#[derive(Clone)]
enum Backend {
    /// Linear-time engine. For [`Anchor::End`] it holds the reversed pattern and runs
    /// on the reversed text.
    Automata(meta::Regex),
    /// Backtracking engine, for look-around and friends, with the pattern relaxed
    /// for the linear-time engine (see [`relax_fancy_source`]) as a quick test: where
    /// the relaxed pattern does not match, neither does the original.
    #[cfg(feature = "srx-lookaround")]
    Fancy(
        Box<fancy_regex::Regex>,
        Option<meta::Regex>,
        Option<Arc<Starts>>,
    ),
}

/// Where a backtracking `beforebreak` pattern can start: every start of its relaxed
/// form ending at a position (an overlapping search of a lazy DFA over the reversed
/// text), so the backtracking engine is tried at those starts only.
#[cfg(feature = "srx-lookaround")]
pub(crate) struct Starts {
    dfa: regex_automata::hybrid::dfa::DFA,
    caches: regex_automata::util::pool::Pool<regex_automata::hybrid::dfa::Cache, CacheFn>,
}

#[cfg(feature = "srx-lookaround")]
type CacheFn = Box<
    dyn Fn() -> regex_automata::hybrid::dfa::Cache
        + Send
        + Sync
        + std::panic::UnwindSafe
        + std::panic::RefUnwindSafe,
>;

#[cfg(feature = "srx-lookaround")]
impl Starts {
    fn new(reversed: &Hir) -> Option<Starts> {
        use regex_automata::hybrid::dfa::DFA;
        use regex_automata::nfa::thompson;
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(4 << 20)))
            .build_from_hir(&relax_word_boundaries(reversed))
            .ok()?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(regex_automata::MatchKind::All)
                    .cache_capacity(1 << 20)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .ok()?;
        let shared = Arc::new(dfa.clone());
        let create: CacheFn = Box::new(move || shared.create_cache());
        Some(Starts {
            dfa,
            caches: regex_automata::util::pool::Pool::new(create),
        })
    }

    /// Lengths (in bytes, shortest first, at most `limit`) of the relaxed matches
    /// ending at byte `at` of the reversed text; `None` if the DFA gave up.
    fn lengths(&self, reversed: &str, at: usize, limit: usize) -> Option<Vec<usize>> {
        use regex_automata::hybrid::dfa::OverlappingState;
        let input = Input::new(reversed).range(at..).anchored(Anchored::Yes);
        let mut cache = self.caches.get();
        let mut state = OverlappingState::start();
        let mut out = Vec::new();
        loop {
            self.dfa
                .try_search_overlapping_fwd(&mut cache, &input, &mut state)
                .ok()?;
            match state.get_match() {
                None => return Some(out),
                Some(m) => {
                    let len = m.offset() - at;
                    if len > limit {
                        return Some(out);
                    }
                    if out.last() != Some(&len) {
                        out.push(len);
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Automata(_) => f.write_str("Regex(automata)"),
            #[cfg(feature = "srx-lookaround")]
            Backend::Fancy(re, ..) => write!(f, "Regex(fancy: {})", re.as_str()),
        }
    }
}

/// Backtracking steps a pattern may take at one position; beyond, it is taken as not
/// matching there (a pattern that needs more is a denial of service, not a rule).
#[cfg(feature = "srx-lookaround")]
pub(crate) const BACKTRACK_LIMIT: usize = 2_000;

#[cfg(feature = "srx-lookaround")]
fn compile_fancy(source: &str) -> Result<Box<fancy_regex::Regex>, String> {
    fancy_regex::RegexBuilder::new(source)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map(Box::new)
        .map_err(|e| one_line(&e.to_string()))
}

#[cfg(not(feature = "srx-lookaround"))]
fn compile_fancy(_source: &str) -> Result<(), String> {
    Err(
        "look-around, back-references, atomic groups and possessive quantifiers need the \
         `srx-lookaround` feature of bitext"
            .to_string(),
    )
}

fn meta_builder() -> meta::Builder {
    let mut builder = meta::Builder::new();
    builder.configure(
        meta::Config::new()
            .nfa_size_limit(Some(4 << 20))
            .onepass_size_limit(Some(1 << 20))
            .hybrid_cache_capacity(256 << 10)
            .dfa(false),
    );
    builder
}

impl Regex {
    /// Compiles a Java pattern for the question `anchor` asks.
    pub(crate) fn new(java: &str, anchor: Anchor) -> Result<Regex, String> {
        let translated = translate(java)?;
        if translated.fancy {
            return Regex::fancy(&translated.source, anchor);
        }
        let hir = parse_hir(&translated.source, anchor == Anchor::Whole)?;
        let mut reversed = None;
        let (hir, edge) = match anchor {
            Anchor::Start => {
                let edge = first_chars(&hir);
                (hir, edge)
            }
            Anchor::End => {
                let rev = reverse_hir(&hir);
                let edge = first_chars(&rev);
                reversed = Some(Arc::new(rev.clone()));
                (rev, edge)
            }
            Anchor::Whole => (
                Hir::concat(vec![
                    Hir::look(regex_syntax::hir::Look::Start),
                    hir,
                    Hir::look(regex_syntax::hir::Look::End),
                ]),
                None,
            ),
        };
        let re = meta_builder()
            .build_from_hir(&hir)
            .map_err(|e| one_line(&e.to_string()))?;
        Ok(Regex {
            backend: Backend::Automata(re),
            reversed,
            edge: edge.map(Arc::new),
        })
    }

    #[cfg(feature = "srx-lookaround")]
    fn fancy(source: &str, anchor: Anchor) -> Result<Regex, String> {
        let wrapped = match anchor {
            Anchor::Start => source.to_string(),
            Anchor::End => format!(r"(?:{source})\z"),
            Anchor::Whole => format!(r"(?i)^(?:{source})$"),
        };
        let fancy = compile_fancy(&wrapped)?;
        // The quick test, when the relaxed pattern is valid for the linear-time engine.
        let relaxed = match anchor {
            Anchor::Whole => None,
            _ => parse_hir(&relax_fancy_source(source), false).ok(),
        };
        let mut starts = None;
        let (quick, reversed, edge) = match (relaxed, anchor) {
            (Some(hir), Anchor::Start) => {
                let edge = first_chars(&hir);
                (meta_builder().build_from_hir(&hir).ok(), None, edge)
            }
            (Some(hir), Anchor::End) => {
                let rev = reverse_hir(&hir);
                let edge = first_chars(&rev);
                // All-matches semantics: an anchored search reports the longest match,
                // which bounds how far back the real match can start.
                let quick = meta_builder()
                    .configure(meta::Config::new().match_kind(regex_automata::MatchKind::All))
                    .build_from_hir(&rev)
                    .ok();
                starts = Starts::new(&rev).map(Arc::new);
                let reversed = quick.as_ref().map(|_| Arc::new(rev));
                (quick, reversed, edge)
            }
            _ => (None, None, None),
        };
        Ok(Regex {
            backend: Backend::Fancy(fancy, quick, starts),
            reversed,
            edge: edge.map(Arc::new),
        })
    }

    #[cfg(not(feature = "srx-lookaround"))]
    fn fancy(source: &str, _anchor: Anchor) -> Result<Regex, String> {
        compile_fancy(source).map(|_| unreachable!())
    }

    /// True if the pattern runs on the backtracking engine.
    pub(crate) fn is_backtracking(&self) -> bool {
        !matches!(self.backend, Backend::Automata(_))
    }

    /// The characters a match can start with (or, compiled for [`Anchor::End`], end
    /// with), if known.
    pub(crate) fn edge(&self) -> Option<&CharSet> {
        self.edge.as_deref()
    }

    /// [`Anchor::Start`]: does a match start at byte `pos` of `text`? Look-around
    /// assertions see the whole text.
    pub(crate) fn matches_at(&self, text: &str, pos: usize) -> bool {
        match &self.backend {
            Backend::Automata(re) => {
                re.is_match(Input::new(text).range(pos..).anchored(Anchored::Yes))
            }
            #[cfg(feature = "srx-lookaround")]
            Backend::Fancy(re, quick, _) => {
                if quick.as_ref().is_some_and(|q| {
                    !q.is_match(Input::new(text).range(pos..).anchored(Anchored::Yes))
                }) {
                    return false;
                }
                re.is_match_input(
                    fancy_regex::RegexInput::new(text)
                        .from_pos(pos)
                        .anchored(true),
                )
                .unwrap_or(false)
            }
        }
    }

    /// [`Anchor::End`]: does a match end at byte `pos` of `text`? `reversed` is
    /// `text` with its characters in reverse order (so byte `pos` of `text` is byte
    /// `text.len() - pos` of `reversed`). A backtracking pattern sees at most
    /// [`FANCY_LOOKBEHIND_WINDOW`] bytes before `pos` and nothing after it.
    pub(crate) fn matches_ending_at(&self, text: &str, reversed: &str, pos: usize) -> bool {
        #[cfg(not(feature = "srx-lookaround"))]
        let _ = text;
        match &self.backend {
            Backend::Automata(re) => {
                let at = reversed.len() - pos;
                re.is_match(Input::new(reversed).range(at..).anchored(Anchored::Yes))
            }
            #[cfg(feature = "srx-lookaround")]
            Backend::Fancy(re, quick, starts) => {
                let at = reversed.len() - pos;
                let hay = &text[..pos];
                // Try the backtracking engine only where the relaxed pattern can start.
                if let Some(lengths) = starts
                    .as_ref()
                    .and_then(|s| s.lengths(reversed, at, FANCY_LOOKBEHIND_WINDOW))
                {
                    return lengths.into_iter().any(|len| {
                        let start = pos - len;
                        re.is_match_input(
                            fancy_regex::RegexInput::new(hay)
                                .range(start..pos)
                                .anchored(true),
                        )
                        .unwrap_or(false)
                    });
                }
                let mut window = FANCY_LOOKBEHIND_WINDOW;
                if let Some(q) = quick {
                    match q.search_half(&Input::new(reversed).range(at..).anchored(Anchored::Yes)) {
                        None => return false,
                        Some(longest) => window = window.min(longest.offset() - at),
                    }
                }
                let mut lo = pos.saturating_sub(window);
                while !text.is_char_boundary(lo) {
                    lo += 1;
                }
                re.is_match_input(fancy_regex::RegexInput::new(hay).range(lo..pos))
                    .unwrap_or(false)
            }
        }
    }

    /// [`Anchor::Whole`]: does the pattern match all of `text`?
    pub(crate) fn matches_whole(&self, text: &str) -> bool {
        match &self.backend {
            Backend::Automata(re) => re.is_match(text),
            #[cfg(feature = "srx-lookaround")]
            Backend::Fancy(re, ..) => re.is_match(text).unwrap_or(false),
        }
    }
}

/// A backtracking pattern (translated) made acceptable to the linear-time engine by
/// giving up constraints: look-around groups removed, atomic groups and possessive
/// quantifiers made ordinary, back-references and `\G` matching anything. It matches
/// wherever the original matches (and sometimes elsewhere).
#[cfg_attr(not(feature = "srx-lookaround"), allow(dead_code))]
pub(crate) fn relax_fancy_source(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    // Skips a character class (`open` is `[`) or a group (`(`, with the classes in
    // it, whose parentheses are literal) starting at `i`; returns the index after it.
    fn skip(chars: &[char], mut i: usize, open: char, close: char) -> usize {
        let mut depth = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 1,
                '[' if open == '(' => {
                    i = skip(chars, i, '[', ']');
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        chars.len()
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => match chars.get(i + 1) {
                Some('1'..='9') => {
                    out.push_str("(?s:.*)");
                    i += 2;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                Some('k') if chars.get(i + 2) == Some(&'<') => {
                    out.push_str("(?s:.*)");
                    i = chars[i..]
                        .iter()
                        .position(|&c| c == '>')
                        .map_or(chars.len(), |p| i + p + 1);
                }
                Some('G') => i += 2,
                Some(&n) => {
                    out.push('\\');
                    out.push(n);
                    i += 2;
                }
                None => i += 1,
            },
            '[' => {
                let end = skip(&chars, i, '[', ']');
                out.extend(&chars[i..end]);
                i = end;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let rest: String = chars[i + 2..chars.len().min(i + 4)].iter().collect();
                if rest.starts_with('=')
                    || rest.starts_with('!')
                    || rest.starts_with("<=")
                    || rest.starts_with("<!")
                {
                    i = skip(&chars, i, '(', ')');
                } else if rest.starts_with('>') {
                    out.push_str("(?:");
                    i += 3;
                } else {
                    out.push_str("(?");
                    i += 2;
                }
            }
            '*' | '+' | '?' | '}' => {
                out.push(c);
                i += 1;
                if chars.get(i) == Some(&'+') {
                    i += 1;
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Unicode word-boundary assertions replaced by nothing: a pattern that matches
/// wherever the original does (and sometimes elsewhere), and that a lazy DFA can run
/// on any text (it gives up on Unicode word boundaries in non-ASCII text).
fn relax_word_boundaries(hir: &Hir) -> Hir {
    use regex_syntax::hir::Look;
    map_leaves(hir, false, &|leaf| match leaf.kind() {
        HirKind::Look(
            Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode,
        ) => Hir::empty(),
        _ => leaf.clone(),
    })
}

/// Many `beforebreak` patterns run at once: which of them may match text ending at
/// a position. One pass of a lazy DFA instead of one search per rule (LanguageTool's
/// Polish rules have a thousand exceptions). Answers are a superset: each candidate
/// is then checked with its own [`Regex`].
pub(crate) struct Prefilter {
    re: meta::Regex,
    /// For each pattern of `re`, the index the caller gave it.
    ids: Vec<usize>,
}

impl Prefilter {
    /// Builds a prefilter over `patterns` (caller's index, pattern compiled for
    /// [`Anchor::End`]); patterns that cannot take part are left out (the caller must
    /// treat them as always possible). `None` if none can, or the automaton is too big.
    pub(crate) fn new<'r>(
        patterns: impl IntoIterator<Item = (usize, &'r Regex)>,
    ) -> Option<Prefilter> {
        let mut ids = Vec::new();
        let mut hirs = Vec::new();
        for (id, re) in patterns {
            if let Some(rev) = &re.reversed {
                ids.push(id);
                hirs.push(relax_word_boundaries(rev));
            }
        }
        if hirs.is_empty() {
            return None;
        }
        let re = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .match_kind(regex_automata::MatchKind::All)
                    .nfa_size_limit(Some(64 << 20))
                    .hybrid_cache_capacity(8 << 20)
                    .dfa(false),
            )
            .build_many_from_hir(&hirs)
            .ok()?;
        Some(Prefilter { re, ids })
    }

    /// The callers' indexes this prefilter covers.
    pub(crate) fn covers(&self) -> &[usize] {
        &self.ids
    }

    /// A set to pass to [`Prefilter::candidates`].
    pub(crate) fn new_set(&self) -> regex_automata::PatternSet {
        regex_automata::PatternSet::new(self.ids.len())
    }

    /// Fills `set` with the patterns that may match text ending at byte `pos` (see
    /// [`Regex::matches_ending_at`] for `reversed`); `set` holds pattern numbers, in
    /// the order of [`Prefilter::covers`].
    pub(crate) fn candidates(
        &self,
        reversed: &str,
        pos: usize,
        set: &mut regex_automata::PatternSet,
    ) {
        set.clear();
        let at = reversed.len() - pos;
        self.re.which_overlapping_matches(
            &Input::new(reversed).range(at..).anchored(Anchored::Yes),
            set,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(java: &str) -> String {
        translate(java).unwrap().source
    }

    #[test]
    fn java_idioms_are_translated() {
        assert_eq!(tr(r"\h+"), format!("[{HSPACE}]+"));
        assert_eq!(tr(r"[\h\v]"), format!("[[{HSPACE}][{VSPACE}]]"));
        assert_eq!(tr(r"\Qa.b\E+"), r"a\.b+");
        assert_eq!(tr(r"[\d-–]"), r"[\d\-–]");
        assert_eq!(tr(r"[a-z-]"), r"[a-z\-]");
        assert_eq!(tr(r"[-a]"), r"[\-a]");
        assert_eq!(tr(r"\uD83D\uDE00"), "😀");
        assert_eq!(tr(r"\<0\}"), r"<0\}");
        assert_eq!(tr(r"\ظ"), "ظ");
        assert_eq!(tr(r"(?iu)abc"), "(?i)abc");
        assert_eq!(tr(r"(?U)a*"), "a*");
        assert_eq!(tr(r"(?u:x)"), "(?:x)");
        assert_eq!(tr(r"\p{javaLowerCase}"), r"\p{Lowercase}");
        assert_eq!(tr(r"\p{IsLatin}"), r"\p{Latin}");
        assert_eq!(tr(r"\pL"), r"\p{L}");
        assert_eq!(tr(r"[~&]"), r"[\~\&]");
        assert_eq!(tr(r"[a&&[^b]]"), r"[a&&[^b]]");
        assert!(translate(r"\uD800").is_err());
        assert!(translate("a\\").is_err());
    }

    #[test]
    fn backtracking_features_are_flagged() {
        for p in [
            r"a(?=b)", r"(?<!x)y", r"(a)\1", r"a*+", r"a++b", r"x?+", r"a{2}+", r"(?>ab)",
        ] {
            assert!(translate(p).unwrap().fancy, "{p}");
        }
        for p in [r"a+", r"a*?", r"(?:a)", r"(?<name>a)", r"a{2,3}?", r"[+*]+"] {
            assert!(!translate(p).unwrap().fancy, "{p}");
        }
    }

    #[test]
    fn horizontal_and_vertical_space_mean_what_java_means() {
        let h = Regex::new(r"\h", Anchor::Start).unwrap();
        assert!(h.matches_at("\u{A0}", 0));
        assert!(!h.matches_at("a", 0), "\\h is not a hex digit");
        assert!(!h.matches_at("\n", 0));
        let v = Regex::new(r"\v", Anchor::Start).unwrap();
        assert!(v.matches_at("\n", 0));
        assert!(v.matches_at("\u{2029}", 0));
        assert!(!v.matches_at(" ", 0));
    }

    #[test]
    fn anchors_start_and_end() {
        let text = "Dr. Watson. Yes";
        let rev: String = text.chars().rev().collect();
        let before = Regex::new(r"\bDr\.", Anchor::End).unwrap();
        assert!(before.matches_ending_at(text, &rev, 3));
        assert!(!before.matches_ending_at(text, &rev, 2));
        assert!(!before.matches_ending_at(text, &rev, 11));
        let after = Regex::new(r"\s+\p{Lu}", Anchor::Start).unwrap();
        assert!(after.matches_at(text, 3));
        assert!(!after.matches_at(text, 4));
        // A trailing \b sees the character after the position.
        let wb = Regex::new(r"\.\b", Anchor::End).unwrap();
        let t = "a.b a. b";
        let r: String = t.chars().rev().collect();
        assert!(wb.matches_ending_at(t, &r, 2));
        assert!(!wb.matches_ending_at(t, &r, 6));
        // Unicode word boundaries on non-ASCII text.
        let ru = Regex::new(r"\bтел\.\s", Anchor::End).unwrap();
        let t = "Мой тел. 123, мотел. Да";
        let r: String = t.chars().rev().collect();
        let after_tel = t.find("тел.").unwrap() + "тел. ".len();
        assert!(ru.matches_ending_at(t, &r, after_tel));
        let after_motel = t.find("мотел.").unwrap() + "мотел. ".len();
        assert!(!ru.matches_ending_at(t, &r, after_motel));
    }

    #[test]
    fn whole_matches_ignore_case() {
        let re = Regex::new(r"(EN|en).*", Anchor::Whole).unwrap();
        assert!(re.matches_whole("en-US"));
        assert!(re.matches_whole("EN"));
        assert!(!re.matches_whole("xen"));
        let omegat = Regex::new(r"EN.*", Anchor::Whole).unwrap();
        assert!(omegat.matches_whole("en-GB"));
    }

    #[cfg(feature = "srx-lookaround")]
    #[test]
    fn look_around_uses_the_backtracking_engine() {
        let after = Regex::new(r"[\h]*(?!(На|Але)[\h\v]+)[А-ЯІЇЄҐA-Z]", Anchor::Start).unwrap();
        let t = "x. На тому. Він";
        assert!(!after.matches_at(t, 2));
        assert!(after.matches_at(t, t.find(" Він").unwrap()));
        let before = Regex::new(r"(?<=\d)\.", Anchor::End).unwrap();
        let r: String = "5. a. ".chars().rev().collect();
        assert!(before.matches_ending_at("5. a. ", &r, 2));
        assert!(!before.matches_ending_at("5. a. ", &r, 5));
    }

    #[test]
    fn relaxed_patterns_drop_backtracking_constraints() {
        assert_eq!(
            relax_fancy_source(r"\s(?<!\.)[„(?=]?[A-Z]\.\s"),
            r"\s[„(?=]?[A-Z]\.\s"
        );
        assert_eq!(
            relax_fancy_source(r"(?!(На|Але)\s)[А-Я](?>ab)c*+d++(x)\1"),
            r"[А-Я](?:ab)c*d+(x)(?s:.*)"
        );
        assert_eq!(relax_fancy_source(r"a{2}+\Gb"), r"a{2}b");
    }

    #[test]
    fn first_chars_of_reversed_patterns_are_last_chars() {
        let hir = parse_hir(r"\bafr\.\s", false).unwrap();
        let last = first_chars(&reverse_hir(&hir)).unwrap();
        assert!(last.contains(' '));
        assert!(!last.contains('.'));
        assert!(first_chars(&parse_hir(r"a*", false).unwrap()).is_none());
        let f = first_chars(&parse_hir(r"\s*[A-Z]", false).unwrap()).unwrap();
        assert!(f.contains(' ') && f.contains('Q') && !f.contains('q'));
    }
}
