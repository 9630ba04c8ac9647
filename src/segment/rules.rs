//! Language rule sets: abbreviations by kind, words that start sentences, month names,
//! ordinal conventions and extra terminal punctuation. Each language's data is a plain
//! text file under `src/segment/lang/`, compiled into the binary; a user can add
//! abbreviations at run time.

use std::sync::{Arc, OnceLock};

use super::chars;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Error, Location, Result};

/// How an abbreviation behaves before a possible sentence boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbbreviationKind {
    /// Precedes a name (titles: `Mr.`, `Dr.`, `M.`, `Hr.`): never ends a sentence.
    Prefix,
    /// Used inside sentences only (`e.g.`, `z. B.`, `т. е.`, `vs.`): never ends one.
    Inner,
    /// Precedes a number (`No.`, `p.`, `Nr.`, `Art.`): no boundary before a digit.
    Numeric,
    /// May end a sentence (`etc.`, `Inc.`, `U.S.`, `г.`): a boundary only when a
    /// word that typically starts sentences follows.
    Final,
    /// A time of day (`a.m.`, `p.m.`): ends a sentence before any capitalised word but
    /// a weekday, a month or a time zone.
    Time,
}

/// The rules of one language (or the generic set).
#[derive(Debug, Default)]
pub struct LangRules {
    /// Language code the rules are for (`en`), or `und` for the generic set.
    pub code: String,
    /// Abbreviations, keyed by their normalised form (see [`abbreviation_key`]).
    abbreviations: FxHashMap<String, (AbbreviationKind, bool)>,
    /// Lower-cased words that often begin a sentence.
    starters: FxHashSet<String>,
    /// Lower-cased month names and their abbreviations.
    months: FxHashSet<String>,
    /// Lower-cased weekday names and their abbreviations.
    weekdays: FxHashSet<String>,
    /// Words written with a capital inside sentences too (English "I", German "Sie").
    capitalised: FxHashSet<String>,
    /// Verbs of saying, after which a colon introduces speech (Arabic قال).
    speech_verbs: FxHashSet<String>,
    /// Endings that close a sentence in a language without sentence punctuation at
    /// line ends (Japanese です, ます).
    line_final: Vec<String>,
    /// Lower-cased words after which a number with a period is an ordinal (`im 6.`).
    ordinal_context: FxHashSet<String>,
    /// The language writes ordinals as a number with a period (`15. August`).
    pub ordinal_period: bool,
    /// The language marks the end of a sentence with ASCII `:` (Armenian).
    pub colon_terminal: bool,
    /// The language marks questions with `;` (Greek).
    pub semicolon_question: bool,
    /// A hyphen between spaces ends a sentence (Urdu).
    pub dash_terminal: bool,
    /// A colon before a new clause ends a sentence (Italian).
    pub colon_break: bool,
    /// A semicolon before a capitalised word ends a sentence (French, Spanish).
    pub semicolon_upper: bool,
    /// A colon after the first few words of a paragraph ends a heading or dateline
    /// (Arabic news: "سؤال وجواب: …").
    pub heading_colon: bool,
    /// A period after an ordinary word ends a sentence even before a lower-case word
    /// (not in Armenian, where "." is a pause inside the sentence).
    pub lowercase_start: bool,
}

/// Normalises an abbreviation for lookup: spaces removed (`z. B` → `z.B`), a final
/// period removed.
pub fn abbreviation_key(raw: &str) -> String {
    let mut key: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    while key.ends_with('.') {
        key.pop();
    }
    key
}

impl LangRules {
    /// Looks up an abbreviation as written in the text (without its final period).
    /// An entry written in lower case matches any case; one written with capitals
    /// matches only that form or all capitals (`No` is not `no`).
    pub fn abbreviation(&self, word: &str) -> Option<AbbreviationKind> {
        if let Some(&(kind, _)) = self.abbreviations.get(word) {
            return Some(kind);
        }
        if !word.chars().any(chars::is_uppercase) {
            return None;
        }
        match self.abbreviations.get(&word.to_lowercase()) {
            Some(&(kind, true)) => Some(kind),
            _ => None,
        }
    }

    /// True if `word` (any case) typically starts a sentence.
    pub fn is_starter(&self, word: &str) -> bool {
        if self.starters.is_empty() {
            return false;
        }
        self.starters.contains(word)
            || (word.chars().any(chars::is_uppercase)
                && self.starters.contains(&word.to_lowercase()))
    }

    /// True if the rules know any sentence starters (otherwise every capitalised word
    /// counts as one).
    pub fn has_starters(&self) -> bool {
        !self.starters.is_empty()
    }

    /// True if `word` is a month name or abbreviation.
    pub fn is_month(&self, word: &str) -> bool {
        self.months.contains(&word.to_lowercase())
    }

    /// True if `line` ends with a form that closes a sentence.
    pub fn is_line_final(&self, line: &str) -> bool {
        let line = line.trim_end();
        self.line_final
            .iter()
            .any(|end| line.ends_with(end.as_str()))
    }

    /// True if `word` is a verb of saying (with or without an Arabic conjunction
    /// prefix و / ف).
    pub fn is_speech_verb(&self, word: &str) -> bool {
        if self.speech_verbs.is_empty() {
            return false;
        }
        self.speech_verbs.contains(word)
            || word
                .strip_prefix(['و', 'ف'])
                .is_some_and(|w| self.speech_verbs.contains(w))
    }

    /// True if `word` is written with a capital letter anywhere in a sentence.
    pub fn is_always_capitalised(&self, word: &str) -> bool {
        self.capitalised.contains(word)
    }

    /// True if `word` is a weekday name or abbreviation.
    pub fn is_weekday(&self, word: &str) -> bool {
        self.weekdays.contains(&word.to_lowercase())
    }

    /// True if `word` commonly precedes an ordinal number (`im`, `am`, `na`).
    pub fn is_ordinal_context(&self, word: &str) -> bool {
        self.ordinal_context.contains(&word.to_lowercase())
    }

    /// Adds an abbreviation (as written, with or without its final period).
    pub fn add_abbreviation(&mut self, raw: &str, kind: AbbreviationKind) {
        let key = abbreviation_key(raw);
        if key.is_empty() {
            return;
        }
        if key.chars().any(chars::is_uppercase) {
            let upper = key.to_uppercase();
            if upper.chars().count() > 1 {
                self.abbreviations.insert(upper, (kind, false));
            }
            self.abbreviations.insert(key, (kind, false));
        } else {
            self.abbreviations.insert(key, (kind, true));
        }
    }

    /// Parses a rule file (format: see `src/segment/lang/README.md`) into `self`.
    pub fn load(&mut self, source: &str, origin: &str) -> Result<()> {
        #[derive(Clone, Copy)]
        enum Section {
            None,
            Abbr(AbbreviationKind),
            Starters,
            Months,
            Weekdays,
            LineFinal,
            Capitalised,
            SpeechVerbs,
            Ordinal,
        }
        let mut section = Section::None;
        for (n, raw_line) in source.lines().enumerate() {
            let line = match raw_line.find('#') {
                Some(i) => &raw_line[..i],
                None => raw_line,
            }
            .trim();
            if line.is_empty() {
                continue;
            }
            let loc = || Location::file(origin).with_line(n as u64 + 1);
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = match name.trim() {
                    "prefix" => Section::Abbr(AbbreviationKind::Prefix),
                    "inner" => Section::Abbr(AbbreviationKind::Inner),
                    "numeric" => Section::Abbr(AbbreviationKind::Numeric),
                    "final" => Section::Abbr(AbbreviationKind::Final),
                    "time" => Section::Abbr(AbbreviationKind::Time),
                    "starters" => Section::Starters,
                    "months" => Section::Months,
                    "weekdays" => Section::Weekdays,
                    "line-final" => Section::LineFinal,
                    "capitalised" => Section::Capitalised,
                    "speech-verbs" => Section::SpeechVerbs,
                    "ordinal-context" => Section::Ordinal,
                    other => {
                        return Err(Error::syntax(format!("unknown section [{other}]"), loc()))
                    }
                };
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                let on = match value.trim() {
                    "yes" | "true" => true,
                    "no" | "false" => false,
                    v => {
                        return Err(Error::syntax(
                            format!("expected yes or no, found {v:?}"),
                            loc(),
                        ))
                    }
                };
                match key.trim() {
                    "ordinal-period" => self.ordinal_period = on,
                    "colon-terminal" => self.colon_terminal = on,
                    "semicolon-question" => self.semicolon_question = on,
                    "lowercase-start" => self.lowercase_start = on,
                    "heading-colon" => self.heading_colon = on,
                    "colon-break" => self.colon_break = on,
                    "dash-terminal" => self.dash_terminal = on,
                    "semicolon-upper" => self.semicolon_upper = on,
                    other => return Err(Error::syntax(format!("unknown option {other:?}"), loc())),
                }
                continue;
            }
            match section {
                Section::None => {
                    return Err(Error::syntax("entry before the first [section]", loc()));
                }
                Section::Abbr(kind) => {
                    for word in line.split_whitespace() {
                        self.add_abbreviation(word, kind);
                    }
                }
                Section::Starters => self
                    .starters
                    .extend(line.split_whitespace().map(str::to_lowercase)),
                Section::Months => self
                    .months
                    .extend(line.split_whitespace().map(str::to_lowercase)),
                Section::Weekdays => self
                    .weekdays
                    .extend(line.split_whitespace().map(str::to_lowercase)),
                Section::LineFinal => self
                    .line_final
                    .extend(line.split_whitespace().map(str::to_string)),
                Section::Capitalised => self
                    .capitalised
                    .extend(line.split_whitespace().map(str::to_string)),
                Section::SpeechVerbs => self
                    .speech_verbs
                    .extend(line.split_whitespace().map(str::to_string)),
                Section::Ordinal => self
                    .ordinal_context
                    .extend(line.split_whitespace().map(str::to_lowercase)),
            }
        }
        Ok(())
    }
}

/// The rule files compiled in: (language code, contents).
const RULE_FILES: &[(&str, &str)] = &[
    ("common", include_str!("lang/common.txt")),
    ("en", include_str!("lang/en.txt")),
    ("de", include_str!("lang/de.txt")),
    ("fr", include_str!("lang/fr.txt")),
    ("es", include_str!("lang/es.txt")),
    ("it", include_str!("lang/it.txt")),
    ("pt", include_str!("lang/pt.txt")),
    ("nl", include_str!("lang/nl.txt")),
    ("da", include_str!("lang/da.txt")),
    ("pl", include_str!("lang/pl.txt")),
    ("cs", include_str!("lang/cs.txt")),
    ("sk", include_str!("lang/sk.txt")),
    ("ru", include_str!("lang/ru.txt")),
    ("uk", include_str!("lang/uk.txt")),
    ("bg", include_str!("lang/bg.txt")),
    ("kk", include_str!("lang/kk.txt")),
    ("el", include_str!("lang/el.txt")),
    ("hy", include_str!("lang/hy.txt")),
    ("ar", include_str!("lang/ar.txt")),
    ("fa", include_str!("lang/fa.txt")),
    ("ur", include_str!("lang/ur.txt")),
    ("hi", include_str!("lang/hi.txt")),
    ("mr", include_str!("lang/mr.txt")),
    ("ja", include_str!("lang/ja.txt")),
];

/// Languages with a rule file of their own, besides the generic rules that every
/// language gets. Languages written without spaces (zh, ja, my, am, …) need no list:
/// the generic rules handle their punctuation.
pub fn languages_with_rules() -> impl Iterator<Item = &'static str> {
    RULE_FILES
        .iter()
        .map(|(code, _)| *code)
        .filter(|c| *c != "common")
}

fn source_of(code: &str) -> Option<&'static str> {
    RULE_FILES.iter().find(|(c, _)| *c == code).map(|(_, s)| *s)
}

/// Builds the rules for a primary language subtag: the generic file plus the
/// language's own file, if there is one.
fn build(code: &str) -> LangRules {
    let mut rules = LangRules {
        code: code.to_string(),
        lowercase_start: true,
        ..LangRules::default()
    };
    // The compiled-in files are tested to parse (see tests below), so an error here is
    // a bug caught by `cargo test`, never a user-facing failure.
    rules
        .load(source_of("common").unwrap_or(""), "lang/common.txt")
        .expect("common rules parse");
    if let Some(src) = source_of(code) {
        rules.load(src, code).expect("language rules parse");
    }
    rules
}

/// The shared, compiled-in rules for a primary language subtag; built once.
pub fn builtin(code: &str) -> Arc<LangRules> {
    static CACHE: OnceLock<std::sync::Mutex<FxHashMap<String, Arc<LangRules>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(code.to_string())
        .or_insert_with(|| Arc::new(build(code)))
        .clone()
}

/// A fresh, owned copy of the compiled-in rules, for adding user abbreviations.
pub fn builtin_owned(code: &str) -> LangRules {
    build(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_parses() {
        for (code, src) in RULE_FILES {
            let mut rules = LangRules::default();
            rules
                .load(src, code)
                .unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }

    #[test]
    fn lookup_respects_case_of_entry() {
        let mut rules = LangRules::default();
        rules.add_abbreviation("etc.", AbbreviationKind::Final);
        rules.add_abbreviation("No", AbbreviationKind::Numeric);
        rules.add_abbreviation("z. B.", AbbreviationKind::Inner);
        assert_eq!(rules.abbreviation("etc"), Some(AbbreviationKind::Final));
        assert_eq!(rules.abbreviation("Etc"), Some(AbbreviationKind::Final));
        assert_eq!(rules.abbreviation("No"), Some(AbbreviationKind::Numeric));
        assert_eq!(rules.abbreviation("NO"), Some(AbbreviationKind::Numeric));
        assert_eq!(rules.abbreviation("no"), None);
        assert_eq!(rules.abbreviation("z.B"), Some(AbbreviationKind::Inner));
    }

    #[test]
    fn bad_rule_file_names_line() {
        let mut rules = LangRules::default();
        let err = rules.load("[prefix]\nMr\n[bogus]\n", "x.txt").unwrap_err();
        assert_eq!(err.to_string(), "x.txt:3: unknown section [bogus]");
    }
}
