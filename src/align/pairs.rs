//! An alignment's beads as translation units: what `align -f tmx`, `-f csv` and
//! `--into` store.

use super::{Alignment, Bead, Document};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// What translation units made from beads carry besides the texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInfo {
    /// The source side's language.
    pub src_lang: LangTag,
    /// The target side's language.
    pub tgt_lang: LangTag,
    /// The source file's name (`origin`).
    pub file: Option<String>,
}

/// The beads with sentences on both sides (and a score of at least `min_score`) as
/// translation units: texts, languages, origin file, score, and the neighbouring source
/// segments as context (for in-context matches). A bead's sentences are joined as
/// [`Document::joined`] does.
pub fn bead_units(
    alignment: &Alignment,
    src: &Document,
    tgt: &Document,
    min_score: Option<f64>,
    info: &UnitInfo,
) -> Vec<TranslationUnit> {
    let pairs: Vec<&Bead> = alignment
        .beads
        .iter()
        .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
        .collect();
    let mut units = Vec::with_capacity(pairs.len());
    for (k, bead) in pairs.iter().enumerate() {
        if min_score.is_some_and(|min| bead.score < min) {
            continue;
        }
        let mut unit = TranslationUnit::pair(
            info.src_lang.clone(),
            src.joined(&bead.src),
            info.tgt_lang.clone(),
            tgt.joined(&bead.tgt),
        );
        unit.origin.file = info.file.clone();
        unit.origin.score = Some((bead.score * 10_000.0).round() / 10_000.0);
        // The neighbours are those of the pairs, whatever --min-score keeps.
        unit.context.prev = k.checked_sub(1).map(|p| src.joined(&pairs[p].src));
        unit.context.next = pairs.get(k + 1).map(|n| src.joined(&n.src));
        units.push(unit);
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::Aligner;

    #[test]
    fn pairs_become_units_with_context() {
        let src = Document::from_lines("It rained.\nWe stayed home.\nThe end.\n");
        let tgt = Document::from_lines("Es regnete.\nWir blieben zu Hause.\nDas Ende.\n");
        let alignment = Aligner::new().align(&src.sentences(), &tgt.sentences());
        let info = UnitInfo {
            src_lang: LangTag::parse("en").unwrap(),
            tgt_lang: LangTag::parse("de").unwrap(),
            file: Some("a.txt".into()),
        };
        let units = bead_units(&alignment, &src, &tgt, None, &info);
        assert_eq!(units.len(), 3);
        assert_eq!(units[1].context.prev.as_deref(), Some("It rained."));
        assert_eq!(units[1].context.next.as_deref(), Some("The end."));
        assert_eq!(units[0].origin.file.as_deref(), Some("a.txt"));
        assert!(bead_units(&alignment, &src, &tgt, Some(1.01), &info).is_empty());
    }
}
