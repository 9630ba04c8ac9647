//! A small memory built from the input, then searched: adding, lookup, concordance and
//! delete never panic, and
//!
//! * indexed lookup returns exactly what the exhaustive comparison returns (same units,
//!   same percentages, same order) — the recall guarantee of the index;
//! * every match reaches the threshold, and a unit whose source is the query scores
//!   100 when the query is stored;
//! * concordance hits contain the term (case-insensitively, highlights on character
//!   boundaries), and every unit containing a term of three or more characters is
//!   found, whether the trigram index is up to date or not;
//! * deleted units are never found again, and the counts of `stats` agree with the
//!   units stored.
//!
//! Input: byte 0 picks the threshold, byte 1 flags (source language en or ja, update
//! the concordance index, delete the first unit), the rest is lossy UTF-8, one item a
//! line: `source<TAB>target` adds a unit, any other line is a query (lookup and
//! concordance term).

use bitext::memory::fuzzing::{fold, nfc};
use bitext::memory::{
    ConcordanceOptions, DeleteFilter, LookupOptions, Memory, Query, WriteOptions,
};
use bitext::text::LangTag;
use bitext::unit::TranslationUnit;
use bitext::ErrorKind;

fn char_folded(text: &str) -> String {
    let mut out = String::new();
    let mut buf = [0u8; 4];
    for c in text.chars() {
        out.push_str(&fold(c.encode_utf8(&mut buf)));
    }
    out
}

/// Runs the checks on one input (panics on a violation).
pub fn check(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let min = 1 + u32::from(data[0]) % 101;
    let flags = data[1];
    let text = String::from_utf8_lossy(&data[2..]);
    let src = LangTag::parse(if flags & 1 == 0 { "en" } else { "ja" }).unwrap();
    let tgt = LangTag::parse("ru").unwrap();

    let mut memory = Memory::in_memory().unwrap();
    let mut queries = Vec::new();
    let mut units = Vec::new();
    for line in text.split('\n') {
        match line.split_once('\t') {
            Some((s, t)) if units.len() < 64 => units.push((s.to_string(), t.to_string())),
            Some(_) => {}
            None if queries.len() < 16 => queries.push(line.to_string()),
            None => {}
        }
    }
    let mut writer = memory.writer(WriteOptions::default()).unwrap();
    for (s, t) in &units {
        let unit = TranslationUnit::pair(src.clone(), s, tgt.clone(), t);
        match writer.add(&unit) {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::Invalid(_)) => {}
            Err(e) => panic!("add failed: {e}"),
        }
    }
    writer.commit().unwrap();
    if flags & 4 != 0 {
        let mut filter = DeleteFilter::default();
        filter.ids = vec![1];
        memory.delete(&filter).unwrap();
        assert!(memory.unit(1).unwrap().is_none());
    }
    if flags & 2 != 0 {
        memory.update_concordance(|_| {}).unwrap();
    }
    let stored: Vec<(i64, TranslationUnit)> = memory
        .units()
        .map(|r| r.map(|r| (r.id, r.unit)).unwrap())
        .collect();
    let stats = memory.stats().unwrap();
    assert_eq!(stats.units as usize, stored.len());
    assert_eq!(
        stats.variants as usize,
        stored.iter().map(|(_, u)| u.variants.len()).sum::<usize>()
    );

    for q in &queries {
        let query = Query::new(q.as_str(), src.clone());
        let mut options = LookupOptions::new(tgt.clone());
        options.min_percent = min;
        options.max = 1000;
        let indexed = memory.lookup(&query, &options);
        options.exhaustive = true;
        let exhaustive = memory.lookup(&query, &options);
        match (indexed, exhaustive) {
            (Ok(a), Ok(b)) => {
                let a: Vec<(i64, u32)> = a.iter().map(|h| (h.unit, h.score.percent)).collect();
                let b: Vec<(i64, u32)> = b.iter().map(|h| (h.unit, h.score.percent)).collect();
                assert_eq!(a, b, "indexed vs exhaustive lookup of {q:?} at {min}");
                assert!(a.iter().all(|&(_, p)| p >= min && p <= 101));
                if flags & 4 == 0 {
                    for (id, unit) in &stored {
                        if nfc(&unit.variants[0].text) == nfc(q) && min <= 100 {
                            assert!(a.iter().any(|&(u, p)| u == *id && p == 100), "{q:?}");
                        }
                    }
                } else {
                    assert!(a.iter().all(|&(u, _)| u != 1));
                }
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("lookup of {q:?}: {a:?} vs {b:?}"),
        }

        let mut options = ConcordanceOptions::default();
        options.max = 0;
        let term = nfc(q.trim()).into_owned();
        match memory.concordance(q, &options) {
            Err(e) => assert!(term.is_empty(), "concordance of {q:?}: {e}"),
            Ok(hits) => {
                let needle = fold(&term);
                for hit in &hits {
                    assert!(!hit.highlights.is_empty());
                    let text = &hit.matched.text;
                    for span in &hit.highlights {
                        assert!(span.start < span.end && span.end <= text.len());
                        assert!(
                            text.is_char_boundary(span.start) && text.is_char_boundary(span.end)
                        );
                    }
                    assert!(char_folded(text).contains(&needle), "{text:?} / {needle:?}");
                }
                let mut found: Vec<i64> = hits.iter().map(|h| h.unit).collect();
                found.sort_unstable();
                let mut expected: Vec<i64> = stored
                    .iter()
                    .filter(|(_, u)| {
                        u.variants
                            .iter()
                            .any(|v| char_folded(&v.text).contains(&needle))
                    })
                    .map(|(id, _)| *id)
                    .collect();
                expected.sort_unstable();
                assert!(
                    found.iter().all(|id| expected.contains(id)),
                    "{q:?}: {found:?} ⊄ {expected:?}"
                );
                if needle.chars().count() >= 3 {
                    assert_eq!(found, expected, "concordance of {q:?} (needle {needle:?})");
                }
            }
        }
    }
}
