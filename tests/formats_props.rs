//! Property tests: for any units, writing and reading back gives the same units
//! (TMX, JSON Lines; CSV for what CSV can hold).

use std::io::Cursor;

use bitext::formats::{self, Column, Format, ReadOptions, UnitWriteOptions, UnitWriter};
use bitext::text::LangTag;
use bitext::unit::{Context, Note, Origin, Prop, Provenance, TranslationUnit, Variant};
use jiff::Timestamp;
use proptest::prelude::*;

/// Text XML 1.0 can hold, biased towards what escaping must get right.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<char>().prop_map(|c| {
                if bitext::formats::tmx::inline::is_xml_char(c) { c } else { '\u{FFFD}' }
            }),
            1 => prop::sample::select(vec![
                '&', '<', '>', '"', '\'', '\r', '\n', '\t', ' ', ';', ']', '#', '𝐀', 'é', ',',
            ]),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn lang() -> impl Strategy<Value = LangTag> {
    prop::sample::select(vec![
        "en",
        "en-US",
        "fr",
        "de-CH",
        "zh-Hant-TW",
        "ru",
        "x-klingon",
    ])
    .prop_map(|s| LangTag::parse(s).unwrap())
}

fn date() -> impl Strategy<Value = Option<Timestamp>> {
    proptest::option::of((0i64..4_000_000_000).prop_map(|s| Timestamp::from_second(s).unwrap()))
}

fn provenance() -> impl Strategy<Value = Provenance> {
    (
        date(),
        proptest::option::of(text()),
        date(),
        proptest::option::of(text()),
        date(),
        proptest::option::of(0u64..1000),
    )
        .prop_map(
            |(created, created_by, changed, changed_by, last_used, usage_count)| Provenance {
                created,
                created_by,
                changed,
                changed_by,
                last_used,
                usage_count,
            },
        )
}

fn props() -> impl Strategy<Value = Vec<Prop>> {
    proptest::collection::vec(
        (text(), text(), proptest::option::of(text())).prop_map(|(kind, value, lang)| Prop {
            kind: format!("x-{kind}"),
            value,
            lang,
        }),
        0..2,
    )
}

fn notes() -> impl Strategy<Value = Vec<Note>> {
    proptest::collection::vec(
        (text(), proptest::option::of(text())).prop_map(|(text, lang)| Note { text, lang }),
        0..2,
    )
}

fn variant() -> impl Strategy<Value = Variant> {
    (lang(), text(), provenance(), props(), notes()).prop_map(
        |(lang, text, provenance, props, notes)| Variant {
            lang,
            text,
            markup: None,
            provenance,
            props,
            notes,
        },
    )
}

fn unit() -> impl Strategy<Value = TranslationUnit> {
    (
        proptest::option::of(text()),
        proptest::collection::vec(variant(), 1..4),
        any::<bool>(),
        provenance(),
        (
            proptest::option::of(text()),
            proptest::option::of(-1.0e6f64..1.0e6),
        ),
        (proptest::option::of(text()), proptest::option::of(text())),
        props(),
        notes(),
    )
        .prop_map(
            |(id, variants, has_source, provenance, (file, score), (prev, next), props, notes)| {
                TranslationUnit {
                    id,
                    source_lang: has_source.then(|| variants[0].lang.clone()),
                    variants,
                    provenance,
                    origin: Origin { file, score },
                    context: Context { prev, next },
                    props,
                    notes,
                }
            },
        )
}

fn round_trip(
    format: Format,
    units: &[TranslationUnit],
    options: &UnitWriteOptions,
    read: &ReadOptions,
) -> Vec<TranslationUnit> {
    let mut writer = UnitWriter::new(format, Vec::new(), options).unwrap();
    for unit in units {
        assert!(writer.write_unit(unit).unwrap());
    }
    let bytes = writer.finish().unwrap();
    let mut read = read.clone();
    read.format = Some(format);
    formats::Reader::from_reader(Cursor::new(bytes), None, &read)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn tmx_round_trip(units in proptest::collection::vec(unit(), 0..6)) {
        let back = round_trip(Format::Tmx, &units, &UnitWriteOptions::default(), &ReadOptions::default());
        prop_assert_eq!(back, units);
    }

    #[test]
    fn jsonl_round_trip(units in proptest::collection::vec(unit(), 1..6)) {
        // (No units make an empty file, which reading refuses.)
        let back = round_trip(Format::Jsonl, &units, &UnitWriteOptions::default(), &ReadOptions::default());
        prop_assert_eq!(back, units);
    }

    #[test]
    fn delimited_round_trip(
        rows in proptest::collection::vec((text(), text(), proptest::option::of(text()), proptest::option::of(0.0f64..1.0)), 1..8),
        tsv in any::<bool>(),
    ) {
        let en = LangTag::parse("en").unwrap();
        let ru = LangTag::parse("ru").unwrap();
        // Rows with no text at all are not units; a CSV cell cannot tell "" from none.
        let units: Vec<TranslationUnit> = rows
            .into_iter()
            .filter(|(a, b, _, _)| !a.is_empty() || !b.is_empty())
            .map(|(a, b, note, score)| {
                let mut unit = TranslationUnit { source_lang: Some(en.clone()), ..TranslationUnit::default() };
                if !a.is_empty() { unit.variants.push(Variant::new(en.clone(), a)); }
                if !b.is_empty() { unit.variants.push(Variant::new(ru.clone(), b)); }
                if let Some(text) = note.filter(|n| !n.is_empty()) {
                    unit.notes.push(Note { text, lang: None });
                }
                unit.origin.score = score;
                unit
            })
            .collect();
        let mut options = UnitWriteOptions::default();
        options.langs = vec![en.clone(), ru.clone()];
        options.columns = vec![Column::Note, Column::Score];
        let format = if tsv { Format::Tsv } else { Format::Csv };
        let back = round_trip(format, &units, &options, &ReadOptions::default());
        prop_assert_eq!(back, units);
    }
}
