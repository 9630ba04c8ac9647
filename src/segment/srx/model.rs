//! The rules as loaded: language rules of ordered break and exception rules, and the
//! maps that say which apply to a language.

use std::sync::Arc;

use super::SrxHeader;
use crate::segment::regex::Regex;

/// One `<rule>`.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub(super) is_break: bool,
    /// Its patterns compiled (rules that did not are removed after numbering).
    pub(super) ok: bool,
    /// `None`: empty, matches everywhere.
    pub(super) before: Option<Arc<Regex>>,
    pub(super) after: Option<Arc<Regex>>,
}

#[derive(Debug)]
pub(super) struct LanguageRule {
    pub(super) name: String,
    pub(super) rules: Vec<Rule>,
}

#[derive(Debug)]
pub(super) struct LanguageMap {
    pub(super) pattern: Arc<Regex>,
    /// Index into `Doc::language_rules`.
    pub(super) rule: usize,
}

#[derive(Debug)]
pub(super) struct Doc {
    pub(super) version: String,
    pub(super) header: SrxHeader,
    pub(super) language_rules: Vec<LanguageRule>,
    pub(super) maps: Vec<LanguageMap>,
    pub(super) patterns: usize,
    pub(super) backtracking: usize,
}
