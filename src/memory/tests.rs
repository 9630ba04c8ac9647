//! Tests of the memory library: duplicates, language tags, transactions, migrations,
//! locking, concordance, and recall of the indexed lookup against brute force.

use std::collections::BTreeMap;
use std::time::Duration;

use super::score::{inline_tags, score, Side};
use super::tokens::Analyzed;
use super::*;
use crate::error::ErrorKind;
use crate::text::LangTag;
use crate::unit::{Note, Prop, TranslationUnit, Variant};

fn tag(s: &str) -> LangTag {
    LangTag::parse(s).unwrap()
}

fn pair(src: &str, tgt: &str) -> TranslationUnit {
    TranslationUnit::pair(tag("en"), src, tag("ru"), tgt)
}

fn add_all(
    memory: &mut Memory,
    units: &[TranslationUnit],
    on_duplicate: OnDuplicate,
) -> Vec<AddOutcome> {
    let mut w = memory
        .writer(WriteOptions {
            on_duplicate,
            ..WriteOptions::default()
        })
        .unwrap();
    let out = units.iter().map(|u| w.add(u).unwrap()).collect();
    w.commit().unwrap();
    out
}

fn lookup(memory: &Memory, text: &str, min: u32) -> Vec<(String, u32)> {
    let mut opts = LookupOptions::new(tag("ru"));
    opts.min_percent = min;
    memory
        .lookup(&Query::new(text, tag("en")), &opts)
        .unwrap()
        .into_iter()
        .map(|h| (h.target.text, h.score.percent))
        .collect()
}

/// A path `name` in a new temporary folder, which lasts as long as the guard.
fn temp_file(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// Options that create the memory file.
fn creating() -> OpenOptions {
    OpenOptions {
        create: true,
        ..OpenOptions::default()
    }
}

fn count_units(memory: &Memory) -> usize {
    memory.units().count()
}

#[test]
fn add_and_look_up() {
    let mut m = Memory::in_memory().unwrap();
    add_all(
        &mut m,
        &[
            pair("Open the file.", "Откройте файл."),
            pair("Close the file.", "Закройте файл."),
            pair("Something else entirely.", "Другое."),
        ],
        OnDuplicate::Keep,
    );
    assert_eq!(
        lookup(&m, "Open the file.", 70),
        [
            ("Откройте файл.".to_string(), 100),
            ("Закройте файл.".to_string(), 75)
        ]
    );
    assert_eq!(
        lookup(&m, "open the file", 70)[0],
        ("Откройте файл.".to_string(), 98)
    );
    assert!(lookup(&m, "Nothing like it", 50).is_empty());
    let err = m
        .lookup(&Query::new("  ", tag("en")), &LookupOptions::new(tag("ru")))
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn duplicates_merge_alternatives_skip_replace() {
    let mut m = Memory::in_memory().unwrap();
    let mut first = pair("Save the file.", "Сохраните файл.");
    first.provenance.usage_count = Some(2);
    first.props.push(Prop {
        kind: "x-client".into(),
        value: "ACME".into(),
        lang: None,
    });
    let mut again = pair("Save the file.", "Сохраните файл.");
    again.provenance.usage_count = Some(5);
    again.notes.push(Note {
        text: "checked".into(),
        lang: None,
    });
    let out = add_all(&mut m, &[first, again], OnDuplicate::Keep);
    assert!(matches!(out[0], AddOutcome::Inserted { .. }));
    assert!(matches!(out[1], AddOutcome::Merged { .. }));
    assert_eq!(count_units(&m), 1);
    let unit = m.units().next().unwrap().unwrap().unit;
    assert_eq!(unit.provenance.usage_count, Some(5));
    assert_eq!(unit.props.len(), 1);
    assert_eq!(unit.notes.len(), 1);
    assert!(
        unit.provenance.changed.is_some(),
        "a merge records a change"
    );

    // Same source, other translation: kept as an alternative.
    let out = add_all(
        &mut m,
        &[pair("Save the file.", "Сохраните этот файл.")],
        OnDuplicate::Keep,
    );
    assert!(matches!(out[0], AddOutcome::Inserted { .. }));
    assert_eq!(count_units(&m), 2);
    let mut targets: Vec<String> = lookup(&m, "Save the file.", 100)
        .into_iter()
        .map(|h| h.0)
        .collect();
    targets.sort();
    assert_eq!(targets, ["Сохраните файл.", "Сохраните этот файл."]);

    // Skip: nothing changes.
    let out = add_all(
        &mut m,
        &[pair("Save the file.", "Третий вариант.")],
        OnDuplicate::Skip,
    );
    assert!(matches!(out[0], AddOutcome::Skipped { .. }));
    assert_eq!(count_units(&m), 2);

    // Replace: both stored alternatives go, the new one stays.
    let out = add_all(
        &mut m,
        &[pair("Save the file.", "Запишите файл.")],
        OnDuplicate::Replace,
    );
    match &out[0] {
        AddOutcome::Replaced { removed, .. } => assert_eq!(removed.len(), 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        lookup(&m, "Save the file.", 100),
        [("Запишите файл.".to_string(), 100)]
    );
    assert_eq!(count_units(&m), 1);
    // A different source in case only is another source (not a duplicate).
    let out = add_all(
        &mut m,
        &[pair("save the file.", "Запишите файл.")],
        OnDuplicate::Skip,
    );
    assert!(matches!(out[0], AddOutcome::Inserted { .. }));
}

/// Units that differ only in a number share a words key (issue 18: their import was
/// quadratic). Enough of them for the writer to index the stored ones by text hash;
/// duplicates are still found among them, in and across transactions, by every policy.
#[test]
fn numbered_units_are_all_stored_found_and_merged() {
    let en = |n: usize| format!("Sentence number {n} about the weather and the plan.");
    let ru = |n: usize| format!("Предложение номер {n} о погоде и плане.");
    let numbered = |range: std::ops::Range<usize>| -> Vec<TranslationUnit> {
        range.map(|n| pair(&en(n), &ru(n))).collect()
    };
    let mut m = Memory::in_memory().unwrap();
    let mut first = numbered(0..300);
    first.push(pair(&en(5), &ru(5)));
    first.push(pair(&en(6), "Другой перевод."));
    let out = add_all(&mut m, &first, OnDuplicate::Keep);
    assert!(out[..300]
        .iter()
        .all(|o| matches!(o, AddOutcome::Inserted { .. })));
    assert!(matches!(out[300], AddOutcome::Merged { .. }));
    assert!(matches!(out[301], AddOutcome::Inserted { .. }));
    assert_eq!(count_units(&m), 301);

    // New numbers, the stored ones again, and an alternative, into the stored memory.
    let mut second = numbered(300..600);
    second.extend(numbered(0..300));
    second.push(pair(&en(7), "Ещё один перевод."));
    let out = add_all(&mut m, &second, OnDuplicate::Keep);
    assert!(out[..300]
        .iter()
        .all(|o| matches!(o, AddOutcome::Inserted { .. })));
    assert!(out[300..600]
        .iter()
        .all(|o| matches!(o, AddOutcome::Merged { .. })));
    assert!(matches!(out[600], AddOutcome::Inserted { .. }));
    assert_eq!(count_units(&m), 602);
    for n in [0, 1, 299, 300, 457, 599] {
        let hits = lookup(&m, &en(n), 100);
        assert_eq!(hits, [(ru(n), 100)], "{n}");
    }
    let mut targets: Vec<String> = lookup(&m, &en(6), 100).into_iter().map(|h| h.0).collect();
    targets.sort();
    assert_eq!(targets, ["Другой перевод.", ru(6).as_str()]);
    assert_eq!(lookup(&m, &en(7), 100).len(), 2);

    // Skip and replace find the stored sources among the crowd too.
    let mut skipped = numbered(100..140);
    skipped.push(pair(&en(600), &ru(600)));
    let out = add_all(&mut m, &skipped, OnDuplicate::Skip);
    assert!(out[..40]
        .iter()
        .all(|o| matches!(o, AddOutcome::Skipped { .. })));
    assert!(matches!(out[40], AddOutcome::Inserted { .. }));
    let mut replacing = numbered(200..240);
    replacing.push(pair(&en(7), "Новый перевод."));
    replacing.push(pair(&en(7), "Самый новый перевод."));
    let out = add_all(&mut m, &replacing, OnDuplicate::Replace);
    let removed: Vec<usize> = out
        .iter()
        .map(|o| match o {
            AddOutcome::Replaced { removed, .. } => removed.len(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(removed[..40], [1; 40]);
    assert_eq!(removed[40..], [2, 1]);
    assert_eq!(
        lookup(&m, &en(7), 100),
        [("Самый новый перевод.".to_string(), 100)]
    );
    assert_eq!(lookup(&m, &en(210), 100), [(ru(210), 100)]);
    assert_eq!(count_units(&m), 602);
}

#[test]
fn duplicates_within_one_transaction_and_nfc() {
    let mut m = Memory::in_memory().unwrap();
    let out = add_all(
        &mut m,
        &[pair("Café.", "Кафе."), pair("Cafe\u{301}.", "Кафе.")],
        OnDuplicate::Keep,
    );
    assert!(matches!(out[1], AddOutcome::Merged { .. }), "{out:?}");
    assert_eq!(count_units(&m), 1);
}

#[test]
fn a_unit_gaining_a_language_is_merged() {
    let mut m = Memory::in_memory().unwrap();
    add_all(&mut m, &[pair("Yes.", "Да.")], OnDuplicate::Keep);
    let mut three = pair("Yes.", "Да.");
    three.variants.push(Variant::new(tag("de"), "Ja."));
    let out = add_all(&mut m, &[three.clone()], OnDuplicate::Keep);
    assert!(matches!(out[0], AddOutcome::Merged { .. }));
    let units: Vec<_> = m.units().map(|u| u.unwrap().unit).collect();
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].variants.len(), 3);
    // Adding the pair again is now a plain duplicate of a part of the unit.
    let out = add_all(&mut m, &[pair("Yes.", "Да.")], OnDuplicate::Keep);
    assert!(matches!(out[0], AddOutcome::Merged { .. }));
    assert_eq!(count_units(&m), 1);
    let mut opts = LookupOptions::new(tag("de"));
    opts.min_percent = 100;
    let hits = m.lookup(&Query::new("Yes.", tag("en")), &opts).unwrap();
    assert_eq!(hits[0].target.text, "Ja.");
}

#[test]
fn invalid_units_are_rejected_one_by_one() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    let one = TranslationUnit {
        variants: vec![Variant::new(tag("en"), "Alone")],
        ..TranslationUnit::default()
    };
    assert!(w.add(&one).is_err());
    assert!(w.add(&pair("Hello", "  ")).is_err());
    w.add(&pair("Hello", "Привет")).unwrap();
    w.commit().unwrap();
    assert_eq!(count_units(&m), 1);
}

#[test]
fn language_tags_are_normalised_and_matched() {
    let mut m = Memory::in_memory().unwrap();
    add_all(
        &mut m,
        &[TranslationUnit::pair(
            tag("EN_us"),
            "Color settings",
            tag("ru_RU"),
            "Настройки цвета",
        )],
        OnDuplicate::Keep,
    );
    let unit = m.units().next().unwrap().unwrap().unit;
    assert_eq!(unit.variants[0].lang.as_str(), "en-US");
    assert_eq!(unit.variants[1].lang.as_str(), "ru-RU");
    let run = |src: &str, tgt: &str, strict: bool| {
        let mut opts = LookupOptions::new(tag(tgt));
        opts.strict_lang = strict;
        m.lookup(&Query::new("Color settings", tag(src)), &opts)
            .unwrap()
            .len()
    };
    assert_eq!(run("en", "ru", false), 1, "en finds en-US, ru finds ru-RU");
    assert_eq!(run("en-us", "ru-ru", false), 1);
    assert_eq!(run("en", "ru", true), 0, "strict: en is not en-US");
    // Another variant of the language (issue 18): found, one point lower per side.
    assert_eq!(run("en-GB", "ru", false), 1);
    assert_eq!(run("en-GB", "ru", true), 0);
    assert_eq!(run("de", "ru", false), 0);
}

#[test]
fn language_variants_fall_back_with_a_penalty() {
    // Issue 18: `en-GB` finds units stored as `en` and `en-US`, `ru-RU` finds `ru`,
    // one point lower for each side that is another variant; the variant asked for
    // comes first.
    let mut m = Memory::in_memory().unwrap();
    let unit =
        |src: &str, s: &str, tgt: &str, t: &str| TranslationUnit::pair(tag(src), s, tag(tgt), t);
    add_all(
        &mut m,
        &[
            unit("en", "Open the file.", "ru", "Откройте файл (en)."),
            unit("en-US", "Open the file.", "ru-RU", "Откройте файл (en-US)."),
            unit("en-GB", "Open the file.", "ru", "Откройте файл (en-GB)."),
            unit("en", "Close the window.", "ru", "Закройте окно."),
            unit("sr-Latn", "Zatvori prozor.", "en", "Close the window (sr)."),
            unit("zh-Hans", "打开文件。", "en", "Open the file (zh-Hans)."),
        ],
        OnDuplicate::Keep,
    );
    let run = |text: &str, src: &str, tgt: &str, strict: bool| {
        let mut opts = LookupOptions::new(tag(tgt));
        opts.strict_lang = strict;
        opts.min_percent = 50;
        m.lookup(&Query::new(text, tag(src)), &opts)
            .unwrap()
            .into_iter()
            .map(|h| (h.target.text, h.score.percent, h.score.language))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run("Open the file.", "en-GB", "ru", false),
        [
            ("Откройте файл (en-GB).".to_string(), 100, 0),
            // Equal percentages: the newer unit first, as always.
            ("Откройте файл (en-US).".to_string(), 99, 1),
            ("Откройте файл (en).".to_string(), 99, 1),
        ]
    );
    assert_eq!(
        run("Open the file.", "en-US", "ru-RU", false),
        [
            ("Откройте файл (en-US).".to_string(), 100, 0),
            ("Откройте файл (en-GB).".to_string(), 98, 2),
            ("Откройте файл (en).".to_string(), 98, 2),
        ]
    );
    // `en` still finds its more specific forms without a penalty.
    let plain = run("Open the file.", "en", "ru", false);
    assert!(plain.iter().all(|h| h.2 == 0), "{plain:?}");
    assert_eq!(plain.iter().filter(|h| h.1 == 100).count(), 3, "{plain:?}");
    // Fuzzy matches too, and `--min` applies after the penalty.
    assert_eq!(
        run("Close the windows.", "en-GB", "ru-RU", false),
        [("Закройте окно.".to_string(), 73, 2)]
    );
    // Strict: only the tag asked for.
    assert_eq!(run("Open the file.", "en-GB", "ru", true).len(), 1);
    // Not across scripts.
    assert!(run("Zatvori prozor.", "sr-Cyrl", "en", false).is_empty());
    assert_eq!(run("Zatvori prozor.", "sr", "en", false).len(), 1);
    assert!(run("打开文件。", "zh-TW", "en", false).is_empty());
    assert_eq!(run("打开文件。", "zh-CN", "en", false)[0].2, 1);
    // The list is the best `max`, whatever the order the candidates came in.
    let mut opts = LookupOptions::new(tag("ru"));
    opts.max = 1;
    let best = m
        .lookup(&Query::new("Open the file.", tag("en-GB")), &opts)
        .unwrap();
    assert_eq!(best[0].target.text, "Откройте файл (en-GB).");
}

#[test]
fn dropping_a_writer_rolls_back() {
    let (_dir, path) = temp_file("tm.sqlite");
    let opts = creating();
    let mut m = Memory::open(&path, &opts).unwrap();
    add_all(&mut m, &[pair("Kept.", "Сохранено.")], OnDuplicate::Keep);
    {
        let mut w = m.writer(WriteOptions::default()).unwrap();
        w.add(&pair("Lost one.", "Потеряно.")).unwrap();
        w.add(&TranslationUnit::pair(
            tag("fr"),
            "Perdu.",
            tag("ru"),
            "Потеряно.",
        ))
        .unwrap();
        // Dropped without commit (as when an import fails half-way).
    }
    drop(m);
    let m = Memory::open(&path, &opts).unwrap();
    assert_eq!(count_units(&m), 1);
    assert!(lookup(&m, "Lost one.", 50).is_empty());
    assert_eq!(
        m.stats().unwrap().languages.len(),
        2,
        "the fr tag was rolled back too"
    );
    // The index is consistent: indexed and exhaustive agree.
    assert_eq!(lookup(&m, "Kept.", 50).len(), 1);
}

#[test]
fn a_second_writer_waits_then_fails_clearly() {
    let (_dir, path) = temp_file("tm.sqlite");
    let mut opts = creating();
    opts.busy_timeout = Duration::from_millis(200);
    let mut a = Memory::open(&path, &opts).unwrap();
    let mut b = Memory::open(&path, &opts).unwrap();
    let _w = a.writer(WriteOptions::default()).unwrap();
    let start = std::time::Instant::now();
    let err = b.writer(WriteOptions::default()).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(150), "it waited");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
    // Readers are not blocked by the writer.
    assert!(lookup(&b, "anything", 50).is_empty());
}

/// The write lock held by another process is reported as such (`ErrorKind::Busy`), naming
/// the file, and `set_busy_timeout(0)` gives up at once.
#[test]
fn a_busy_memory_is_named_and_recognised() {
    let (_dir, path) = temp_file("busy.sqlite");
    let opts = creating();
    let mut a = Memory::open(&path, &opts).unwrap();
    let mut b = Memory::open(&path, &opts).unwrap();
    b.set_busy_timeout(Duration::ZERO).unwrap();
    let _w = a.writer(WriteOptions::default()).unwrap();
    let err = b.writer(WriteOptions::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Busy), "{err}");
    assert!(!matches!(err.kind(), ErrorKind::Damaged(_)), "{err}");
    assert!(err.to_string().contains("busy.sqlite"), "{err}");
}

/// A reader waits its whole busy timeout for a connection holding the file
/// exclusively (as the last connection does while it checkpoints on closing), in every
/// connection it opens: here longer than SQLite's default of 5 s.
#[test]
fn a_reader_waits_its_busy_timeout_for_an_exclusive_lock() {
    let (_dir, path) = temp_file("exclusive.sqlite");
    let opts = creating();
    let mut m = Memory::open(&path, &opts).unwrap();
    add_all(
        &mut m,
        &[pair("Open the file.", "Откройте файл.")],
        OnDuplicate::Keep,
    );
    drop(m);
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; \
             UPDATE meta SET value = value; COMMIT;",
        )
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5500));
        drop(holder);
    });
    let reader = OpenOptions {
        read_only: true,
        busy_timeout: Duration::from_secs(120),
        ..OpenOptions::default()
    };
    let m = Memory::open(&path, &reader).unwrap();
    assert_eq!(lookup(&m, "Open the file.", 100).len(), 1);
    release.join().unwrap();
}

/// An iteration over the units (an export) reads one snapshot: a write committed by
/// another connection half-way through is not seen, neither its additions (beyond the
/// first batch of 1,000) nor its deletions.
#[test]
fn units_are_read_from_one_snapshot() {
    let (_dir, path) = temp_file("snapshot.sqlite");
    let opts = creating();
    let mut a = Memory::open(&path, &opts).unwrap();
    let units: Vec<_> = (0..2500)
        .map(|i| {
            pair(
                &format!("Sentence number {i}."),
                &format!("Предложение {i}."),
            )
        })
        .collect();
    add_all(&mut a, &units, OnDuplicate::Keep);
    let mut b = Memory::open(&path, &opts).unwrap();
    let mut iter = a.units();
    let first = iter.next().unwrap().unwrap();
    let more: Vec<_> = (0..10)
        .map(|i| {
            pair(
                &format!("Added later {i}."),
                &format!("Добавлено позже {i}."),
            )
        })
        .collect();
    add_all(&mut b, &more, OnDuplicate::Keep);
    let doomed = DeleteFilter {
        ids: vec![first.id + 1500],
        ..DeleteFilter::default()
    };
    assert_eq!(b.delete(&doomed).unwrap().len(), 1);
    let rest: Vec<_> = iter.map(|r| r.unwrap()).collect();
    assert_eq!(1 + rest.len(), 2500);
    assert!(rest.iter().any(|r| r.id == first.id + 1500));
    // A new iteration sees the changes.
    assert_eq!(count_units(&a), 2500 + 10 - 1);
}

#[test]
fn open_refuses_other_files_and_newer_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let opts = OpenOptions::default();
    let missing = Memory::open(&dir.path().join("none.sqlite"), &opts).unwrap_err();
    assert!(missing.to_string().contains("no memory here"), "{missing}");

    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x);")
        .unwrap();
    let err = Memory::open(&other, &opts).unwrap_err();
    assert!(err.to_string().contains("not a bitext memory"), "{err}");

    let text = dir.path().join("text.sqlite");
    std::fs::write(
        &text,
        "this is not a database at all, just some text padding it out ".repeat(200),
    )
    .unwrap();
    assert!(Memory::open(&text, &opts).is_err());

    let newer = dir.path().join("newer.sqlite");
    Memory::open(&newer, &creating()).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Memory::open(&newer, &opts).unwrap_err();
    assert!(err.to_string().contains("newer bitext"), "{err}");
}

fn add_a_table(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    tx.execute_batch("CREATE TABLE extra_next(x); ALTER TABLE units ADD COLUMN next_v TEXT;")
        .db()
}

fn broken(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    tx.execute_batch("CREATE TABLE extra_broken(x);").db()?;
    tx.execute_batch("THIS IS NOT SQL").db()
}

/// This build's migrations followed by `extra`.
fn migrations_plus(extra: &[(&'static str, migrate::MigrationFn)]) -> Vec<migrate::Migration> {
    let mut all: Vec<migrate::Migration> = migrate::MIGRATIONS
        .iter()
        .map(|m| migrate::Migration {
            to: m.to,
            description: m.description,
            apply: m.apply,
        })
        .collect();
    for (k, (description, apply)) in extra.iter().enumerate() {
        all.push(migrate::Migration {
            to: schema::CURRENT_VERSION + 1 + k as u32,
            description,
            apply: *apply,
        });
    }
    all
}

#[test]
fn migrations_run_in_order_and_all_or_nothing() {
    let (_dir, path) = temp_file("tm.sqlite");
    let mut m = Memory::open(&path, &creating()).unwrap();
    add_all(
        &mut m,
        &[pair("Old unit.", "Старая единица.")],
        OnDuplicate::Keep,
    );
    drop(m);
    let current = schema::CURRENT_VERSION;
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    let next = migrations_plus(&[("add a table", add_a_table)]);
    assert_eq!(migrate::migrate(&mut conn, &next).unwrap(), current);
    assert_eq!(schema::version(&conn).unwrap(), current + 1);
    let broken = migrations_plus(&[("add a table", add_a_table), ("broken", broken)]);
    let err = migrate::migrate(&mut conn, &broken).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("version {} (broken)", current + 2)),
        "{err}"
    );
    assert_eq!(
        schema::version(&conn).unwrap(),
        current + 1,
        "the failed migration left no trace"
    );
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'extra_broken'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
    let units: i64 = conn
        .query_row("SELECT count(*) FROM units", [], |r| r.get(0))
        .unwrap();
    assert_eq!(units, 1);
}

#[test]
fn old_tokenizer_version_is_reindexed_on_open() {
    let (_dir, path) = temp_file("tm.sqlite");
    let opts = creating();
    let mut m = Memory::open(&path, &opts).unwrap();
    add_all(
        &mut m,
        &[
            pair("Print the page.", "Напечатайте страницу."),
            pair("Print a page.", "Страницу."),
        ],
        OnDuplicate::Keep,
    );
    let before = lookup(&m, "Print the pages.", 50);
    drop(m);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "UPDATE meta SET value = '0' WHERE key = 'tokenizer_version';
             DELETE FROM postings; DELETE FROM terms; DELETE FROM words; DELETE FROM segments;",
        )
        .unwrap();
    }
    let m = Memory::open(&path, &opts).unwrap();
    assert_eq!(lookup(&m, "Print the pages.", 50), before);
    assert_eq!(before.len(), 2);
}

#[test]
fn context_matches_score_101() {
    let mut m = Memory::in_memory().unwrap();
    let mut unit = pair("Click OK.", "Нажмите ОК.");
    unit.context.prev = Some("The dialog opens.".into());
    unit.context.next = Some("It closes.".into());
    add_all(&mut m, &[unit], OnDuplicate::Keep);
    let mut q = Query::new("Click OK.", tag("en"));
    q.prev = Some("The dialog opens.".into());
    q.next = Some("It closes.".into());
    let opts = LookupOptions::new(tag("ru"));
    assert_eq!(m.lookup(&q, &opts).unwrap()[0].score.percent, 101);
    q.next = Some("Something else.".into());
    assert_eq!(m.lookup(&q, &opts).unwrap()[0].score.percent, 100);
}

#[test]
fn markup_is_kept_and_tags_cost_points() {
    let mut m = Memory::in_memory().unwrap();
    let mut unit = pair("Click Save.", "Нажмите «Сохранить».");
    unit.variants[0].markup =
        Some("Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>.".into());
    add_all(&mut m, &[unit.clone()], OnDuplicate::Keep);
    let hits = m
        .lookup(
            &Query::new("Click Save.", tag("en")),
            &LookupOptions::new(tag("ru")),
        )
        .unwrap();
    assert_eq!(hits[0].score.percent, 96);
    assert_eq!(hits[0].source.markup, unit.variants[0].markup);
    let mut q = Query::new("Click Save.", tag("en"));
    q.markup = unit.variants[0].markup.clone();
    assert_eq!(
        m.lookup(&q, &LookupOptions::new(tag("ru"))).unwrap()[0]
            .score
            .percent,
        100
    );
}

#[test]
fn delete_by_id_and_filter_keeps_the_index_consistent() {
    let mut m = Memory::in_memory().unwrap();
    let mut units = Vec::new();
    for i in 0..30 {
        let mut u = pair(
            &format!("Report number {i} is ready for review."),
            &format!("Отчёт {i} готов."),
        );
        u.origin.file = Some(if i % 3 == 0 { "a.tsv" } else { "b.tsv" }.into());
        units.push(u);
    }
    add_all(&mut m, &units, OnDuplicate::Keep);
    assert_eq!(
        lookup(&m, "Report number 7 is ready for review.", 95).len(),
        5
    );
    let gone = m
        .delete(&DeleteFilter {
            origin: Some("a.tsv".into()),
            ..DeleteFilter::default()
        })
        .unwrap();
    assert_eq!(gone.len(), 10);
    let gone = m
        .delete(&DeleteFilter {
            ids: vec![2, 3, 999],
            ..DeleteFilter::default()
        })
        .unwrap();
    assert_eq!(gone, [2, 3]);
    assert_eq!(count_units(&m), 18);
    assert!(
        m.delete(&DeleteFilter::default()).unwrap().is_empty(),
        "an empty filter deletes nothing"
    );
    check_recall(&m, "Report number 7 is ready for review.", 50);
    check_recall(&m, "Report ready", 30);
    // Terms of deleted units only are gone from the dictionary.
    let terms_before = m.stats().unwrap().terms;
    m.delete(&DeleteFilter {
        lang: Some(tag("en")),
        ..DeleteFilter::default()
    })
    .unwrap();
    assert_eq!(count_units(&m), 0);
    assert_eq!(m.stats().unwrap().terms, 0);
    assert!(terms_before > 0);
}

/// Found by the memory_ops fuzz target: a term with U+0000 made FTS5 fail
/// ("unterminated string"). It finds nothing (no stored text has one), without error,
/// whether its trigrams are all or only partly unusable.
#[test]
fn concordance_of_a_term_with_nul_is_no_error() {
    let mut m = Memory::in_memory().unwrap();
    let units: Vec<TranslationUnit> = (0..20)
        .map(|i| {
            pair(
                &format!("In view of report {i}."),
                &format!("Ввиду отчёта {i}."),
            )
        })
        .collect();
    add_all(&mut m, &units, OnDuplicate::Keep);
    m.update_concordance(|_| {}).unwrap();
    let opts = ConcordanceOptions::default();
    assert!(m
        .concordance("In view\0\u{8}\0\0 of", &opts)
        .unwrap()
        .is_empty());
    assert!(m.concordance("a\0b", &opts).unwrap().is_empty());
    assert_eq!(m.concordance("In view", &opts).unwrap().len(), 20);
}

#[test]
fn concordance_finds_substrings_in_any_script() {
    let mut m = Memory::in_memory().unwrap();
    add_all(
        &mut m,
        &[
            pair(
                "The parliamentary session opens.",
                "Парламентская сессия открывается.",
            ),
            pair("Parliament voted.", "Парламент проголосовал."),
            TranslationUnit::pair(
                tag("zh"),
                "我们明天去北京。",
                tag("en"),
                "We go to Beijing tomorrow.",
            ),
            pair("Nothing here.", "Ничего."),
            pair("A filler.", "Заполнитель."),
            pair("Another filler.", "Другой заполнитель."),
            pair("A third filler.", "Третий заполнитель."),
            pair("The last filler.", "Последний заполнитель."),
        ],
        OnDuplicate::Keep,
    );
    let opts = ConcordanceOptions {
        max: 10,
        ..ConcordanceOptions::default()
    };
    // Before the index is updated, texts are scanned.
    assert_eq!(m.concordance("PARLIAMENT", &opts).unwrap().len(), 2);
    assert_eq!(m.concordance_pending().unwrap(), 14);
    // The index holds blocks of eight unit ids: units 1 to 7 (unit 8 is scanned until
    // its block is complete).
    assert_eq!(m.update_concordance(|_| {}).unwrap(), 14);
    assert_eq!(m.concordance_pending().unwrap(), 0);
    assert_eq!(m.concordance("filler", &opts).unwrap().len(), 4);
    let hits = m.concordance("PARLIAMENT", &opts).unwrap();
    assert_eq!(hits.len(), 2);
    let h = &hits[0];
    assert_eq!(h.highlights[0].slice(&h.matched.text), "Parliament");
    let hits = m.concordance("парламент", &opts).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].matched.lang.as_str(), "ru");
    assert_eq!(
        m.concordance("北京", &opts).unwrap().len(),
        1,
        "short CJK term via tokens"
    );
    assert_eq!(m.concordance("明天去北京", &opts).unwrap().len(), 1);
    let only_en = ConcordanceOptions {
        lang: Some(tag("en")),
        target: Some(tag("ru")),
        max: 10,
        ..ConcordanceOptions::default()
    };
    let hits = m.concordance("parlament", &only_en).unwrap();
    assert!(
        hits.is_empty(),
        "the Russian text is not searched with --lang en"
    );
    // Deleted units leave the concordance.
    m.delete(&DeleteFilter {
        ids: vec![2],
        ..DeleteFilter::default()
    })
    .unwrap();
    assert_eq!(m.concordance("parliament", &opts).unwrap().len(), 1);
    assert_eq!(m.concordance_pending().unwrap(), 0);
}

#[test]
fn export_returns_what_was_added() {
    let mut m = Memory::in_memory().unwrap();
    let mut u = pair("Hello <b>world</b>", "Привет, мир");
    u.id = Some("tu-1".into());
    u.variants[0].markup =
        Some("Hello <bpt i='1'>&lt;b&gt;</bpt>world<ept i='1'>&lt;/b&gt;</ept>".into());
    u.variants[0].props.push(Prop {
        kind: "x-state".into(),
        value: "final".into(),
        lang: None,
    });
    u.provenance.created = Some("2020-01-02T03:04:05Z".parse().unwrap());
    u.provenance.created_by = Some("anna".into());
    u.origin.file = Some("doc.txt".into());
    u.origin.score = Some(0.75);
    u.context.prev = Some("Before.".into());
    u.notes.push(Note {
        text: "n".into(),
        lang: Some("en".into()),
    });
    add_all(&mut m, &[u.clone()], OnDuplicate::Keep);
    let back = m.units().next().unwrap().unwrap();
    assert_eq!(back.unit, u);
    assert_eq!(m.unit(back.id).unwrap().unwrap(), u);
}

#[test]
fn stats_count_pairs_languages_and_dates() {
    let mut m = Memory::in_memory().unwrap();
    let mut a = pair("One.", "Один.");
    a.provenance.created = Some("2019-05-01T00:00:00Z".parse().unwrap());
    let mut b = TranslationUnit::pair(tag("de"), "Zwei.", tag("en"), "Two.");
    b.provenance.created = Some("2021-05-01T00:00:00Z".parse().unwrap());
    b.variants.push(Variant::new(tag("ru"), "Два."));
    add_all(&mut m, &[a, b], OnDuplicate::Keep);
    let s = m.stats().unwrap();
    assert_eq!((s.units, s.variants), (2, 5));
    let pairs: Vec<(String, String, u64)> = s
        .pairs
        .iter()
        .map(|p| (p.source.clone(), p.target.clone(), p.units))
        .collect();
    assert!(pairs.contains(&("en".into(), "ru".into(), 1)));
    assert!(pairs.contains(&("de".into(), "en".into(), 1)));
    assert!(pairs.contains(&("de".into(), "ru".into(), 1)));
    let (lo, hi) = s.created.unwrap();
    assert_eq!(lo.to_string(), "2019-05-01T00:00:00Z");
    assert_eq!(hi.to_string(), "2021-05-01T00:00:00Z");
}

// ---------------------------------------------------------------------------------
// Recall: the indexed lookup against brute force over the texts.

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the", "a", "file", "open", "close", "save", "print", "page", "report", "user", "click",
    "button", "window", "settings", "color", "is", "not", "ready", "for", "review", "and", "of",
    "to", "in", "new", "old", "data", "error", "message", "server", "Paris", "Berlin", "today",
];
const PUNCT: &[&str] = &[",", ".", "!", "?", ":", "(", ")", "\"", "—"];

fn sentence(rng: &mut Rng) -> Vec<String> {
    let n = 1 + rng.below(18);
    (0..n)
        .map(|_| match rng.below(10) {
            0 => rng.below(50).to_string(),
            1 => rng.pick(PUNCT).to_string(),
            _ => rng.pick(WORDS).to_string(),
        })
        .collect()
}

/// A small edit: a word changed, added or removed, a number or punctuation changed,
/// a case change.
fn perturb(rng: &mut Rng, words: &mut Vec<String>) {
    let i = rng.below(words.len().max(1));
    match rng.below(6) {
        0 if words.len() > 1 => {
            words.remove(i);
        }
        1 => words.insert(i.min(words.len()), rng.pick(WORDS).to_string()),
        2 if !words.is_empty() => words[i] = rng.pick(WORDS).to_string(),
        3 if !words.is_empty() => words[i] = rng.below(50).to_string(),
        4 => words.insert(i.min(words.len()), rng.pick(PUNCT).to_string()),
        _ if !words.is_empty() => words[i] = words[i].to_uppercase(),
        _ => {}
    }
}

fn random_memory(seed: u64, bases: usize) -> (Memory, Vec<String>) {
    let mut rng = Rng(seed);
    let mut m = Memory::in_memory().unwrap();
    let mut texts = Vec::new();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    for b in 0..bases {
        let base = sentence(&mut rng);
        for v in 0..=rng.below(4) {
            let mut words = base.clone();
            for _ in 0..v {
                perturb(&mut rng, &mut words);
            }
            let text = words.join(if rng.below(8) == 0 { "  " } else { " " });
            let mut unit = pair(&text, &format!("перевод {b}.{v}"));
            if rng.below(5) == 0 {
                unit.context.prev = Some(format!("prev {}", rng.below(3)));
                unit.context.next = Some(format!("next {}", rng.below(3)));
            }
            w.add(&unit).unwrap();
            texts.push(text);
        }
    }
    w.commit().unwrap();
    (m, texts)
}

/// A stored source ready for comparison: unit id, tokens, tags, previous and next
/// segment.
type Source = (i64, Analyzed, Vec<String>, Option<String>, Option<String>);

/// The stored sources, tokenised once, for brute-force comparisons.
struct Sources(Vec<Source>);

impl Sources {
    fn of(m: &Memory) -> Sources {
        Sources(
            m.units()
                .map(|rec| {
                    let rec = rec.unwrap();
                    let src = &rec.unit.variants[0];
                    (
                        rec.id,
                        Analyzed::new(&src.text),
                        inline_tags(src.markup.as_deref()),
                        rec.unit.context.prev.clone(),
                        rec.unit.context.next.clone(),
                    )
                })
                .collect(),
        )
    }

    /// Every unit whose text scores at least `min` against the query, from the text
    /// alone: no index, no stored tokens.
    fn brute_force(&self, query: &Query, min: u32) -> BTreeMap<i64, u32> {
        let q = Analyzed::new(&query.text);
        let qtags = inline_tags(query.markup.as_deref());
        let mut out = BTreeMap::new();
        for (id, s, stags, prev, next) in &self.0 {
            let sc = score(
                Side {
                    text: &q,
                    tags: &qtags,
                    prev: query.prev.as_deref(),
                    next: query.next.as_deref(),
                },
                Side {
                    text: s,
                    tags: stags,
                    prev: prev.as_deref(),
                    next: next.as_deref(),
                },
            );
            if sc.percent >= min {
                out.insert(*id, sc.percent);
            }
        }
        out
    }
}

fn text_brute_force(m: &Memory, query: &Query, min: u32) -> BTreeMap<i64, u32> {
    Sources::of(m).brute_force(query, min)
}

fn results(m: &Memory, query: &Query, min: u32, exhaustive: bool) -> BTreeMap<i64, u32> {
    let mut opts = LookupOptions::new(tag("ru"));
    opts.min_percent = min;
    opts.max = usize::MAX;
    opts.exhaustive = exhaustive;
    m.lookup(query, &opts)
        .unwrap()
        .into_iter()
        .map(|h| (h.unit, h.score.percent))
        .collect()
}

fn check_recall(m: &Memory, text: &str, min: u32) {
    let q = Query::new(text, tag("en"));
    let truth = text_brute_force(m, &q, min);
    assert_eq!(
        results(m, &q, min, false),
        truth,
        "indexed, query {text:?} min {min}"
    );
    assert_eq!(
        results(m, &q, min, true),
        truth,
        "exhaustive, query {text:?} min {min}"
    );
}

#[test]
fn indexed_lookup_finds_exactly_what_brute_force_finds() {
    let mins = [1, 30, 50, 60, 70, 75, 80, 85, 90, 94, 95, 98, 100, 101];
    let mut checked = 0;
    let mut nonempty = 0;
    for seed in [1u64, 7, 42] {
        let (m, texts) = random_memory(seed, 300);
        let sources = Sources::of(&m);
        let mut rng = Rng(seed * 31 + 5);
        for _ in 0..1000 {
            let mut words: Vec<String> = if rng.below(6) == 0 {
                sentence(&mut rng)
            } else {
                rng.pick(&texts)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect()
            };
            for _ in 0..rng.below(4) {
                perturb(&mut rng, &mut words);
            }
            let text = words.join(" ");
            if Analyzed::new(&text).is_empty() {
                continue;
            }
            let mut q = Query::new(text, tag("en"));
            if rng.below(4) == 0 {
                q.prev = Some(format!("prev {}", rng.below(3)));
                q.next = Some(format!("next {}", rng.below(3)));
            }
            let min = *rng.pick(&mins);
            let truth = sources.brute_force(&q, min);
            let indexed = results(&m, &q, min, false);
            assert_eq!(indexed, truth, "seed {seed}, query {:?}, min {min}", q.text);
            checked += 1;
            nonempty += usize::from(!truth.is_empty());
        }
        // The exhaustive path agrees too (fewer queries: it is slow by design).
        for text in texts.iter().take(50) {
            let q = Query::new(text.clone(), tag("en"));
            assert_eq!(results(&m, &q, 60, true), sources.brute_force(&q, 60));
        }
    }
    assert!(checked > 2900, "{checked}");
    assert!(
        nonempty > checked / 2,
        "the queries must find something: {nonempty}/{checked}"
    );
}

#[test]
fn best_matches_come_first_and_max_limits() {
    let (m, texts) = random_memory(99, 200);
    let mut shortcut = 0;
    for (i, text) in texts.iter().enumerate().take(300) {
        // Stored texts, and some with a word changed.
        let text = if i % 2 == 0 {
            text.clone()
        } else {
            text.replacen("the", "a", 1)
        };
        let q = Query::new(text.clone(), tag("en"));
        let all = results(&m, &q, 50, false);
        for max in [1, 3] {
            let mut opts = LookupOptions::new(tag("ru"));
            opts.min_percent = 50;
            opts.max = max;
            let top = m.lookup(&q, &opts).unwrap();
            // The best `max` percentages of all matches, in order.
            let mut expected: Vec<u32> = all.values().copied().collect();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            expected.truncate(max);
            let got: Vec<u32> = top.iter().map(|h| h.score.percent).collect();
            assert_eq!(got, expected, "query {text:?}, max {max}");
            shortcut += usize::from(got.len() == max && got[max - 1] >= 95);
        }
    }
    assert!(
        shortcut > 50,
        "same-words matches fill the list often: {shortcut}"
    );
}

/// `stats` from the running totals equals a recount of the stored units after adds,
/// merges, alternatives, replacements, deletions and a rolled-back writer.
#[test]
fn running_totals_match_a_recount() {
    type Totals = (u64, Vec<(String, u64)>, Vec<(String, String, u64)>);
    fn recount(m: &Memory) -> Totals {
        let mut bytes = 0u64;
        let mut langs: BTreeMap<String, u64> = BTreeMap::new();
        let mut pairs: BTreeMap<(String, String), u64> = BTreeMap::new();
        for rec in m.units() {
            let u = rec.unwrap().unit;
            let src = super::analysis::source_index(&u);
            for (k, v) in u.variants.iter().enumerate() {
                bytes += v.text.len() as u64;
                *langs.entry(v.lang.to_string()).or_default() += 1;
                if k != src {
                    *pairs
                        .entry((u.variants[src].lang.to_string(), v.lang.to_string()))
                        .or_default() += 1;
                }
            }
        }
        (
            bytes,
            langs.into_iter().collect(),
            pairs.into_iter().map(|((a, b), n)| (a, b, n)).collect(),
        )
    }
    fn from_stats(m: &Memory) -> Totals {
        let s = m.stats().unwrap();
        let mut pairs: Vec<(String, String, u64)> = s
            .pairs
            .into_iter()
            .map(|p| (p.source, p.target, p.units))
            .collect();
        pairs.sort();
        (s.text_bytes, s.languages, pairs)
    }
    let mut m = Memory::in_memory().unwrap();
    let mut three = TranslationUnit::pair(tag("en-US"), "Yes.", tag("ru"), "Да.");
    three.variants.push(Variant::new(tag("de"), "Ja."));
    add_all(
        &mut m,
        &[
            pair("Yes.", "Да."),
            pair("Yes.", "Да."),
            pair("Yes.", "Ага."),
            TranslationUnit::pair(tag("en-US"), "Yes.", tag("ru"), "Да."),
            three,
            pair("No.", "Нет."),
        ],
        OnDuplicate::Keep,
    );
    assert_eq!(from_stats(&m), recount(&m));
    add_all(&mut m, &[pair("Yes.", "Конечно.")], OnDuplicate::Replace);
    assert_eq!(from_stats(&m), recount(&m));
    m.delete(&DeleteFilter {
        lang: Some(tag("de")),
        ..DeleteFilter::default()
    })
    .unwrap();
    assert_eq!(from_stats(&m), recount(&m));
    {
        let mut w = m.writer(WriteOptions::default()).unwrap();
        w.add(&pair("Lost.", "Потеряно.")).unwrap();
    }
    assert_eq!(from_stats(&m), recount(&m));
    m.delete(&DeleteFilter {
        lang: Some(tag("en")),
        ..DeleteFilter::default()
    })
    .unwrap();
    let (bytes, langs, pairs) = from_stats(&m);
    assert_eq!((bytes, langs.len(), pairs.len()), (0, 0, 0));
}

/// Duplicates of units stored in earlier transactions are found through the writer's
/// cache of words chunks, across many chunks and segments, and after a deletion in
/// the same transaction.
#[test]
fn duplicates_of_stored_units_are_found_across_many_words_chunks() {
    let mut m = Memory::in_memory().unwrap();
    let stored: Vec<TranslationUnit> = (0..3000)
        .map(|i| {
            pair(
                &format!("Sentence number {i} of the first lot."),
                &format!("Предложение {i}."),
            )
        })
        .collect();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    w.add_batch(&stored[..1500]).unwrap();
    w.commit().unwrap();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    w.add_batch(&stored[1500..]).unwrap();
    w.commit().unwrap();
    // Stored units again, in another order, with new units in between.
    let mut again: Vec<TranslationUnit> = Vec::new();
    for i in (0..3000).rev().step_by(3) {
        again.push(stored[i].clone());
        again.push(pair(&format!("A new sentence {i}."), "Новое."));
    }
    let mut w = m.writer(WriteOptions::default()).unwrap();
    let outcomes = w.add_batch(&again).unwrap();
    for (unit, outcome) in again.iter().zip(&outcomes) {
        let merged = matches!(outcome, Ok(AddOutcome::Merged { .. }));
        let new = unit.variants[0].text.starts_with("A new");
        assert_eq!(merged, !new, "{}: {outcome:?}", unit.variants[0].text);
    }
    // Deleting a stored unit, then adding it again in the same transaction: a new unit.
    let Ok(AddOutcome::Merged { unit: id }) = &outcomes[0] else {
        panic!("{:?}", outcomes[0]);
    };
    assert_eq!(w.delete(&[*id]).unwrap(), 1);
    let outcome = w.add(&again[0]).unwrap();
    assert!(
        matches!(outcome, AddOutcome::Inserted { .. }),
        "{outcome:?}"
    );
    w.commit().unwrap();
    assert_eq!(count_units(&m), 3000 + 1000);
}

/// A big batch into a memory with stored terms reads them all at once: stored terms
/// keep their ids and counts, new ones are added once.
#[test]
fn a_big_import_reads_the_stored_terms_at_once() {
    let mut m = Memory::in_memory().unwrap();
    let first: Vec<TranslationUnit> = (0..3000)
        .map(|i| pair(&format!("Old word{i} here."), &format!("Старое слово{i}.")))
        .collect();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    w.add_batch(&first).unwrap();
    w.commit().unwrap();
    // 3,000 stored terms met again, 3,000 new ones: more than enough to load them all.
    let second: Vec<TranslationUnit> = (0..3000)
        .map(|i| {
            pair(
                &format!("New word{i} fresh{i}."),
                &format!("Новое слово{i}."),
            )
        })
        .collect();
    let mut w = m.writer(WriteOptions::default()).unwrap();
    w.add_batch(&second).unwrap();
    w.commit().unwrap();
    let (df, terms): (i64, i64) = m
        .conn
        .query_row(
            "SELECT (SELECT df FROM terms WHERE token = 'word17'),
                    (SELECT count(*) FROM terms WHERE token LIKE 'word%')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((df, terms), (2, 3000));
    let hits = lookup(&m, "New word17 fresh17.", 70);
    assert_eq!(hits[0], ("Новое слово17.".to_string(), 100));
    let hits = lookup(&m, "Old word17 here.", 70);
    assert_eq!(hits[0], ("Старое слово17.".to_string(), 100));
}

#[test]
fn a_memory_sees_languages_another_connection_added_without_reopening() {
    let (_dir, path) = temp_file("tm.sqlite");
    let mut a = Memory::open(&path, &creating()).unwrap();
    add_all(
        &mut a,
        &[pair("Open the file.", "Откройте файл.")],
        OnDuplicate::Keep,
    );
    let mut b = Memory::open(&path, &OpenOptions::default()).unwrap();
    let reader = Memory::open(
        &path,
        &OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let de_lookup = |m: &Memory, text: &str| -> Vec<String> {
        m.lookup(&Query::new(text, tag("en")), &LookupOptions::new(tag("de")))
            .unwrap()
            .into_iter()
            .map(|h| format!("{} {}", h.target.lang, h.target.text))
            .collect()
    };
    assert!(de_lookup(&b, "Close the file.").is_empty());
    assert!(de_lookup(&reader, "Close the file.").is_empty());

    // A new language pair written through `a`: the others see it at their next read.
    let de = TranslationUnit::pair(
        tag("en"),
        "Close the file.",
        tag("de"),
        "Schließen Sie die Datei.",
    );
    add_all(&mut a, &[de], OnDuplicate::Keep);
    for m in [&b, &reader] {
        assert_eq!(
            de_lookup(m, "Close the file."),
            ["de Schließen Sie die Datei."]
        );
        let pairs: Vec<String> = m
            .languages()
            .unwrap()
            .pairs
            .iter()
            .map(|p| format!("{}-{}", p.source, p.target))
            .collect();
        assert!(pairs.contains(&"en-de".to_string()), "{pairs:?}");
        let unit = m.unit(2).unwrap().unwrap();
        assert_eq!(unit.variants[1].lang, tag("de"));
    }

    // `b` writes in the language `a` added (known, not added a second time), and a
    // language of its own, which `a` then sees.
    let more = [
        TranslationUnit::pair(
            tag("en"),
            "Save the file.",
            tag("de"),
            "Speichern Sie die Datei.",
        ),
        TranslationUnit::pair(
            tag("en"),
            "Save the file.",
            tag("fr"),
            "Enregistrez le fichier.",
        ),
    ];
    add_all(&mut b, &more, OnDuplicate::Keep);
    assert_eq!(
        de_lookup(&a, "Save the file.")[0],
        "de Speichern Sie die Datei."
    );
    let fr = a
        .lookup(
            &Query::new("Save the file.", tag("en")),
            &LookupOptions::new(tag("fr")),
        )
        .unwrap();
    assert_eq!(fr[0].target.text, "Enregistrez le fichier.");
    let tags: i64 = a
        .conn
        .query_row("SELECT count(*) FROM langs WHERE tag = 'de'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(tags, 1);
}

/// Rewrites the fuzzy index of a current memory in the layout of version 3 (one
/// postings row per segment and term, `key = segment << 32 | term`) and marks the file
/// as version 3: the memory as an older bitext left it.
fn downgrade_to_v3(path: &std::path::Path) {
    use super::postings::{for_each_posting, Posting, PostingList};
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut lists: BTreeMap<(i64, u32), Vec<Posting>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare("SELECT key, data FROM postings").unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let key: i64 = row.get(0).unwrap();
            let data: Vec<u8> = row.get(1).unwrap();
            let list = lists.entry((key >> 36, (key >> 4) as u32)).or_default();
            assert!(for_each_posting(&data, |p| list.push(p)));
        }
    }
    conn.execute_batch("DELETE FROM postings").unwrap();
    for ((segment, term), mut postings) in lists {
        postings.sort_by_key(|p| p.variant);
        let mut list = PostingList::default();
        for p in postings {
            list.push_posting(p);
        }
        conn.execute(
            "INSERT INTO postings(key, last, n, data) VALUES(?1, ?2, ?3, ?4)",
            rusqlite::params![
                (segment << 32) | i64::from(term),
                list.last_unit,
                list.len,
                list.data
            ],
        )
        .unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
}

/// (class, postings) of every postings row.
fn postings_rows(path: &std::path::Path) -> Vec<(u8, u32)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT key, n FROM postings").unwrap();
    let rows = stmt
        .query_map([], |r| Ok(((r.get::<_, i64>(0)? & 15) as u8, r.get(1)?)))
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn a_version_3_index_is_split_by_length_when_opened() {
    use super::postings::{MIXED, SPLIT_MIN};
    let (_dir, path) = temp_file("tm.sqlite");
    let mut m = Memory::open(&path, &creating()).unwrap();
    // Common words in texts of many lengths (lists past SPLIT_MIN, split by length),
    // rare ones in few texts (mixed lists); two transactions, two segments.
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    let text = |i: usize| -> String {
        let mut t = vec!["the", "cat", "sat"];
        t.extend(words.iter().cycle().skip(i % 8).take(i % 23));
        format!("{} number{i}.", t.join(" "))
    };
    for half in [0..60, 60..120] {
        let units: Vec<TranslationUnit> =
            half.map(|i| pair(&text(i), &format!("кот {i}"))).collect();
        add_all(&mut m, &units, OnDuplicate::Keep);
    }
    let queries: Vec<String> = [3, 17, 44, 90, 111].into_iter().map(text).collect();
    let before: Vec<_> = queries
        .iter()
        .flat_map(|q| [lookup(&m, q, 50), lookup(&m, q, 80)])
        .collect();
    assert!(before.iter().all(|hits| !hits.is_empty()));
    drop(m);
    let split = postings_rows(&path);
    assert!(split.iter().any(|&(c, _)| c == MIXED));
    assert!(split.iter().any(|&(c, _)| c != MIXED));
    let total: u32 = split.iter().map(|r| r.1).sum();

    downgrade_to_v3(&path);
    let old = postings_rows(&path);
    assert!(old.len() < split.len());
    assert!(old.iter().any(|&(_, n)| n >= SPLIT_MIN));
    // Opened for reading only, an old file is upgraded through a writable connection
    // first (it may be written here).
    let read_only = OpenOptions {
        read_only: true,
        ..OpenOptions::default()
    };
    let m = Memory::open(&path, &read_only).unwrap();
    let after: Vec<_> = queries
        .iter()
        .flat_map(|q| [lookup(&m, q, 50), lookup(&m, q, 80)])
        .collect();
    assert_eq!(after, before);
    drop(m);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::CURRENT_VERSION);
    drop(conn);
    let migrated = postings_rows(&path);
    assert!(migrated.iter().any(|&(c, _)| c != MIXED));
    assert_eq!(migrated.iter().map(|r| r.1).sum::<u32>(), total);
    // Only short lists stay mixed.
    assert!(migrated
        .iter()
        .filter(|r| r.0 == MIXED)
        .all(|r| r.1 < SPLIT_MIN));
}

/// A cancelled token (or one past its deadline) stops lookups, concordance searches
/// and writes with `Cancelled`, changing nothing; without it they work again.
#[test]
fn a_cancel_token_stops_reads_and_writes() {
    let mut memory = Memory::in_memory().unwrap();
    let units: Vec<TranslationUnit> = (0..300)
        .map(|i| {
            pair(
                &format!("Open the file number {i}."),
                &format!("Откройте файл {i}."),
            )
        })
        .collect();
    add_all(&mut memory, &units, OnDuplicate::Keep);
    let token = Cancel::new();
    memory.set_cancel(Some(token.clone())).unwrap();
    assert_eq!(lookup(&memory, "Open the file number 7.", 70).len(), 5);
    token.cancel();
    let query = Query::new("Open the file number 7.", tag("en"));
    let err = memory
        .lookup(&query, &LookupOptions::new(tag("ru")))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err}");
    let err = memory
        .concordance("file", &ConcordanceOptions::default())
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err}");
    // Work already running stops within SQLite's progress checks: a write whose
    // token is cancelled halfway fails, and leaves nothing.
    token.reset();
    let more: Vec<TranslationUnit> = (0..300)
        .map(|i| {
            pair(
                &format!("Close the window {i}."),
                &format!("Закройте окно {i}."),
            )
        })
        .collect();
    let failed = (|| -> crate::Result<()> {
        let mut w = memory.writer(WriteOptions::default())?;
        for (i, u) in more.iter().enumerate() {
            if i == 10 {
                token.cancel();
            }
            w.add(u)?;
        }
        w.commit()
    })();
    let err = failed.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err}");
    token.reset();
    token.set_deadline(Some(std::time::Instant::now() - Duration::from_millis(1)));
    let err = memory
        .lookup(&query, &LookupOptions::new(tag("ru")))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err}");
    memory.set_cancel(None).unwrap();
    assert_eq!(count_units(&memory), 300);
    assert_eq!(lookup(&memory, "Open the file number 7.", 70).len(), 5);
}

/// `refresh` says whether another connection committed since the last read; a read
/// catches up by itself (the new language's units are found without it).
#[test]
fn refresh_says_whether_another_connection_committed() {
    let (_dir, path) = temp_file("tm.sqlite");
    let mut writer = Memory::open(&path, &creating()).unwrap();
    add_all(
        &mut writer,
        &[pair("Open the file.", "Откройте файл.")],
        OnDuplicate::Keep,
    );
    let mut reader = Memory::open(
        &path,
        &OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert!(!reader.refresh().unwrap());
    assert_eq!(reader.languages().unwrap().tags().len(), 2);
    let de = TranslationUnit::pair(tag("en"), "Open the file.", tag("de"), "Öffne die Datei.");
    add_all(&mut writer, &[de], OnDuplicate::Keep);
    assert!(reader.refresh().unwrap());
    assert!(!reader.refresh().unwrap());
    // The cached languages went with the change.
    assert!(reader.languages().unwrap().tags().contains(&tag("de")));
    let fr = TranslationUnit::pair(tag("en"), "Open the file.", tag("fr"), "Ouvrez le fichier.");
    add_all(&mut writer, &[fr], OnDuplicate::Keep);
    let query = Query::new("Open the file.", tag("en"));
    let hits = reader
        .lookup(&query, &LookupOptions::new(tag("fr")))
        .unwrap();
    assert_eq!(hits[0].target.text, "Ouvrez le fichier.");
    assert!(reader.languages().unwrap().tags().contains(&tag("fr")));
    assert!(!reader.refresh().unwrap());
}

/// The concordance index is brought up to date in slices of whole blocks, each its
/// own transaction, to the same index as in one go.
#[test]
fn the_concordance_index_updates_in_slices() {
    let mut m = Memory::in_memory().unwrap();
    let units: Vec<TranslationUnit> = (0..100)
        .map(|i| {
            pair(
                &format!("Slice test number {i}."),
                &format!("Срез номер {i}."),
            )
        })
        .collect();
    add_all(&mut m, &units, OnDuplicate::Keep);
    // Units 96 to 100 wait for their block of eight to be complete.
    assert_eq!(m.concordance_pending().unwrap(), 190);
    // Units 1 to 31 (blocks 0 to 3, two variants each), then 32 to 63, 64 to 95.
    assert_eq!(m.update_concordance_some(32).unwrap(), 62);
    assert_eq!(m.concordance_pending().unwrap(), 128);
    assert_eq!(m.update_concordance_some(32).unwrap(), 64);
    assert_eq!(m.update_concordance_some(32).unwrap(), 64);
    assert_eq!(m.update_concordance_some(32).unwrap(), 0);
    assert_eq!(m.update_concordance(|_| {}).unwrap(), 0);
    let opts = ConcordanceOptions {
        max: 1000,
        ..ConcordanceOptions::default()
    };
    assert_eq!(m.concordance("slice test", &opts).unwrap().len(), 100);
}

/// With the automatic checkpoint off, a commit stays in the write-ahead log (the
/// file does not grow) until `checkpoint` copies it back; it can be turned on again.
#[test]
fn checkpoints_can_be_left_to_the_caller() {
    let (_dir, path) = temp_file("checkpoint.sqlite");
    let mut memory = Memory::open(&path, &creating()).unwrap();
    let file_len = || std::fs::metadata(&path).unwrap().len();
    let units = |from: usize| -> Vec<TranslationUnit> {
        (from..from + 2000)
            .map(|i| {
                pair(
                    &format!("Sentence number {i} of the test."),
                    &format!("Предложение номер {i} теста."),
                )
            })
            .collect()
    };
    memory.set_auto_checkpoint(false).unwrap();
    let before = file_len();
    add_all(&mut memory, &units(0), OnDuplicate::default());
    assert_eq!(file_len(), before, "the commit was copied into the file");
    memory.checkpoint().unwrap();
    let copied = file_len();
    assert!(copied > before, "{before} -> {copied}");
    let auto = |memory: &Memory| -> i64 {
        memory
            .conn
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(auto(&memory), 0);
    memory.set_auto_checkpoint(true).unwrap();
    assert_eq!(auto(&memory), 1000);
    add_all(&mut memory, &units(2000), OnDuplicate::default());
    assert_eq!(count_units(&memory), 4000);
}
