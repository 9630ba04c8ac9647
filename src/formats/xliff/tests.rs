use super::*;
use crate::formats::tmx::inline::tag_difference;
use crate::formats::{self, input, Format};

fn options(states: Option<&[&str]>) -> ReadOptions {
    ReadOptions {
        format: Some(Format::Xliff),
        xliff_states: states.map(|s| StateFilter::new(s).unwrap()),
        ..ReadOptions::default()
    }
}

/// The units the formats reader makes of `xml`, and its report.
fn read_with(xml: &str, states: Option<&[&str]>) -> (Vec<TranslationUnit>, ReadReport) {
    let bytes: &'static [u8] = xml.as_bytes().to_vec().leak();
    let mut reader = formats::Reader::from_reader(bytes, None, &options(states)).unwrap();
    let units = reader.by_ref().collect::<Result<Vec<_>>>().unwrap();
    (units, reader.report().clone())
}

fn read(xml: &str) -> Vec<TranslationUnit> {
    read_with(xml, None).0
}

/// The first error reading `xml` gives.
fn error(xml: &str) -> Error {
    let bytes: &'static [u8] = xml.as_bytes().to_vec().leak();
    match formats::Reader::from_reader(bytes, None, &options(None)) {
        Err(e) => e,
        Ok(reader) => reader.into_iter().find_map(|r| r.err()).expect("an error"),
    }
}

fn xliff_units(xml: &str) -> Vec<XliffUnit> {
    let bytes: &'static [u8] = xml.as_bytes().to_vec().leak();
    let (prefix, head) = input::peek(bytes, input::PEEK_LEN).unwrap();
    let mut reader = XliffReader::new(&prefix, head, None, None).unwrap();
    let mut report = ReadReport::default();
    let mut units = Vec::new();
    while let Some(unit) = reader.next_unit(&mut report) {
        units.push(unit.unwrap());
    }
    units
}

fn v12(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file source-language="en" target-language="fr" datatype="plaintext" original="a.txt"><body>
{body}
</body></file></xliff>
"#
    )
}

fn v2(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="de">
<file id="f1" original="a.html">
{body}
</file></xliff>
"#
    )
}

fn markup(unit: &TranslationUnit, k: usize) -> &str {
    unit.variants[k].markup.as_deref().unwrap_or("")
}

#[test]
fn inline_codes_of_1_2() {
    let xml = v12(
        r#"<trans-unit id="g"><source>a <g id="1" ctype="bold">b</g> c</source><target state="translated">A <g id="1" ctype="bold">B</g> C</target></trans-unit>
<trans-unit id="x"><source>a<x id="2"/>b</source><target>A<x id="2"/>B</target></trans-unit>
<trans-unit id="bx"><source><bx id="3" rid="1"/>a<ex id="4" rid="1"/> <bx id="5"/>b</source><target>A<bx id="3" rid="1"/>B<ex id="4" rid="1"/></target></trans-unit>
<trans-unit id="native"><source><bpt id="1">&lt;b></bpt>bold<ept id="1">&lt;/b></ept> <ph id="2">&lt;br/></ph><it id="3" pos="close">&lt;/i></it></source><target>X</target></trans-unit>
<trans-unit id="sub"><source>See <ph id="1">&lt;img alt="<sub>the cat</sub>"/></ph>.</source><target>Voir.</target></trans-unit>
<trans-unit id="mrk"><source>a <mrk mtype="protected">Kimai</mrk> b</source><target>A</target></trans-unit>"#,
    );
    let units = read(&xml);
    assert_eq!(units.len(), 6);
    let g = &units[0];
    assert_eq!(g.variants[0].text, "a b c");
    assert_eq!(
        markup(g, 0),
        r#"a <bpt i="1" type="bold">&lt;g id="1" ctype="bold"&gt;</bpt>b<ept i="1">&lt;/g&gt;</ept> c"#
    );
    assert_eq!(g.variants[1].text, "A B C");
    assert_eq!(markup(&units[1], 0), r#"a<ph>&lt;x id="2"/&gt;</ph>b"#);
    // A bx/ex pair in one segment is a bpt/ept pair; a lone bx is isolated.
    assert_eq!(
        markup(&units[2], 0),
        r#"<bpt i="1">&lt;bx id="3" rid="1"/&gt;</bpt>a<ept i="1">&lt;ex id="4" rid="1"/&gt;</ept> <it pos="begin">&lt;bx id="5"/&gt;</it>b"#
    );
    // Native codes keep their content; an ept without its bpt becomes <it>.
    assert_eq!(
        markup(&units[3], 0),
        r#"<bpt i="1" x="1">&lt;b&gt;</bpt>bold<ept i="1">&lt;/b&gt;</ept> <ph x="2">&lt;br/&gt;</ph><it pos="end" x="3">&lt;/i&gt;</it>"#
    );
    assert_eq!(units[3].variants[0].text, "bold ");
    assert_eq!(
        markup(&units[4], 0),
        r#"See <ph x="1">&lt;img alt="<sub>the cat</sub>"/&gt;</ph>."#
    );
    assert_eq!(units[4].variants[0].text, "See .");
    assert_eq!(
        markup(&units[5], 0),
        r#"a <hi type="protected">Kimai</hi> b"#
    );
    assert_eq!(units[5].variants[0].text, "a Kimai b");
    // Tags count as the TMX equivalents do.
    let tmx_bold = r#"a <bpt i="1">&lt;b></bpt>b<ept i="1">&lt;/b></ept> c"#;
    assert_eq!(tag_difference(Some(markup(g, 0)), Some(tmx_bold)), 0);
    assert_eq!(
        tag_difference(Some(markup(&units[1], 0)), Some("a<ph/>b")),
        0
    );
}

#[test]
fn inline_codes_of_2_x() {
    let xml = v2(
        r#"<unit id="u1"><segment state="translated"><source>a <pc id="1" type="fmt" dataRefStart="d1">b</pc> <ph id="2"/> <sc id="3"/>c<ec startRef="3"/> <sc id="4" isolated="yes"/>d <mrk id="m1" type="term">e</mrk> <sm id="s1" type="comment"/>f<em startRef="s1"/><cp hex="0001"/></source><target>A</target></segment></unit>"#,
    );
    let units = read(&xml);
    assert_eq!(units.len(), 1);
    assert_eq!(
        markup(&units[0], 0),
        concat!(
            r#"a <bpt i="2" type="fmt">&lt;pc id="1" type="fmt" dataRefStart="d1"&gt;</bpt>b<ept i="2">&lt;/pc&gt;</ept> "#,
            r#"<ph>&lt;ph id="2"/&gt;</ph> "#,
            r#"<bpt i="1">&lt;sc id="3"/&gt;</bpt>c<ept i="1">&lt;ec startRef="3"/&gt;</ept> "#,
            r#"<it pos="begin">&lt;sc id="4" isolated="yes"/&gt;</it>d <hi type="term">e</hi> f"#,
            r#"<ph>&lt;cp hex="0001"/&gt;</ph>"#
        )
    );
    assert_eq!(units[0].variants[0].text, "a b  c d e f");
    assert_eq!(units[0].variants[1].lang.as_str(), "de");
}

#[test]
fn segmentation_of_1_2_and_2_x() {
    let xml = v12(r#"<trans-unit id="t1"><source>One. Two.</source>
<seg-source><mrk mtype="seg" mid="1">One.</mrk> <mrk mtype="seg" mid="2">Two.</mrk></seg-source>
<target state="translated"><mrk mtype="seg" mid="2">Deux.</mrk> <mrk mtype="seg" mid="1">Un.</mrk></target></trans-unit>"#);
    let units = read(&xml);
    let pairs: Vec<_> = units
        .iter()
        .map(|u| {
            (
                u.id.clone().unwrap(),
                u.variants[0].text.clone(),
                u.variants[1].text.clone(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("t1/1".into(), "One.".into(), "Un.".into()),
            ("t1/2".into(), "Two.".into(), "Deux.".into())
        ]
    );
    // Neighbouring segments are the context.
    assert_eq!(units[1].context.prev.as_deref(), Some("One."));
    assert_eq!(units[0].context.next.as_deref(), Some("Two."));
    let xml = v2(
        r#"<unit id="u1"><segment id="s1" state="final"><source>One.</source><target>Eins.</target></segment>
<ignorable><source> </source></ignorable>
<segment id="s2"><source>Two.</source><target>Zwei.</target></segment>
<segment id="s3" state="initial"><source>Three.</source><target>Drei.</target></segment></unit>"#,
    );
    let (units, report) = read_with(&xml, None);
    let ids: Vec<_> = units.iter().map(|u| u.id.clone().unwrap()).collect();
    assert_eq!(ids, ["u1/s1", "u1/s2"]);
    assert_eq!(report.left_out["state initial (not chosen by --state)"], 1);
}

#[test]
fn states_decide_what_is_read() {
    let xml = v12(
        r#"<trans-unit id="1"><source>a</source><target state="new">A</target></trans-unit>
<trans-unit id="2"><source>b</source><target state="needs-review-translation">B</target></trans-unit>
<trans-unit id="3" approved="yes"><source>c</source><target state="needs-review-translation">C</target></trans-unit>
<trans-unit id="4"><source>d</source><target state="final" state-qualifier="exact-match">D</target></trans-unit>
<trans-unit id="5"><source>e</source><target>E</target></trans-unit>
<trans-unit id="6"><source>f</source></trans-unit>
<trans-unit id="7"><source>g</source><target/></trans-unit>
<group translate="no"><trans-unit id="8"><source>h</source><target state="final">H</target></trans-unit></group>
<trans-unit id="9" translate="no"><source>i</source><target>I</target></trans-unit>"#,
    );
    let ids = |units: &[TranslationUnit]| -> Vec<String> {
        units.iter().map(|u| u.id.clone().unwrap()).collect()
    };
    let (units, report) = read_with(&xml, None);
    assert_eq!(ids(&units), ["3", "4", "5"]);
    assert_eq!(report.left_out["translate=\"no\""], 2);
    assert_eq!(report.left_out["untranslated (no target)"], 1);
    assert_eq!(report.left_out["untranslated (empty target)"], 1);
    assert_eq!(report.left_out["state new (not chosen by --state)"], 1);
    assert_eq!(report.units, 3);
    let props: Vec<_> = units[1]
        .props
        .iter()
        .map(|p| (p.kind.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        props,
        [
            (PROP_STATE, "final"),
            (PROP_STATE_QUALIFIER, "exact-match"),
            (PROP_FILE, "a.txt")
        ]
    );
    let (units, _) = read_with(&xml, Some(&["needs-review-translation"]));
    assert_eq!(ids(&units), ["2", "3"]);
    let (units, _) = read_with(&xml, Some(&["any"]));
    assert_eq!(ids(&units), ["1", "2", "3", "4", "5"]);
    assert!(StateFilter::new(&["done"]).is_err());
}

#[test]
fn tool_dialects() {
    let xml = r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:sdl="http://sdl.com/FileTypes/SdlXliff/1.0" xmlns:mq="MQXliff">
<file source-language="it-IT" target-language="en-US" datatype="x-sdlfilterframework2" original="a.txt"><body>
<trans-unit id="a"><source>Uno. Due.</source><seg-source><mrk mtype="seg" mid="1">Uno.</mrk> <mrk mtype="seg" mid="2">Due.</mrk></seg-source>
<target><mrk mtype="seg" mid="1">One.</mrk> <mrk mtype="seg" mid="2">Two.</mrk></target>
<sdl:seg-defs><sdl:seg id="1" conf="Draft"/><sdl:seg id="2" conf="ApprovedSignOff"><sdl:prev-origin conf="Draft"/><sdl:value key="modified_on">08/06/2024 10:26:20</sdl:value><sdl:value key="last_modified_by">anna</sdl:value></sdl:seg></sdl:seg-defs></trans-unit>
<trans-unit id="b" mq:status="ManuallyConfirmed" mq:lastchangedtimestamp="2010-04-23T17:43:37Z"><source>Tre.</source><target>Three.</target></trans-unit>
<trans-unit id="c" mq:status="NotStarted"><source>Quattro.</source><target>Four.</target></trans-unit>
</body></file></xliff>"#;
    let (units, report) = read_with(xml, None);
    let ids: Vec<_> = units.iter().map(|u| u.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a/2", "b"]);
    assert_eq!(
        units[0].provenance.changed.unwrap().to_string(),
        "2024-08-06T10:26:20Z"
    );
    assert_eq!(units[0].provenance.changed_by.as_deref(), Some("anna"));
    assert!(units[0]
        .props
        .iter()
        .any(|p| p.kind == PROP_TOOL_STATE && p.value == "sdl:conf=ApprovedSignOff"));
    assert_eq!(
        units[1].provenance.changed.unwrap().to_string(),
        "2010-04-23T17:43:37Z"
    );
    assert_eq!(
        report.left_out["state needs-review-translation (not chosen by --state)"],
        1
    );
    assert_eq!(report.left_out["state new (not chosen by --state)"], 1);
}

/// MadCap Lingo's per-segment status, on the target's `mrk`, decides over the target's
/// `state`: `Translated` is imported, `Untranslated` is not, another value leaves the
/// target's state.
#[test]
fn madcap_segment_status() {
    let xml = r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:MadCap="http://www.madcapsoftware.com/Schemas/MadCap.xsd">
<file source-language="en-US" target-language="zh-CN" datatype="xhtml" original="a.htm"><body>
<trans-unit id="1"><source>One. Two. Three.</source><seg-source><mrk mtype="seg" mid="1">One.</mrk> <mrk mtype="seg" mid="2">Two.</mrk> <mrk mtype="seg" mid="3">Three.</mrk></seg-source>
<target state="needs-translation"><mrk mtype="seg" mid="1" MadCap:segmentStatus="Translated" MadCap:matchPercent="100">一。</mrk> <mrk mtype="seg" mid="2" MadCap:segmentStatus="Untranslated" MadCap:matchPercent="87">二。</mrk> <mrk mtype="seg" mid="3" MadCap:segmentStatus="Reviewed">三。</mrk></target></trans-unit>
</body></file></xliff>"#;
    let (units, report) = read_with(xml, None);
    let ids: Vec<_> = units.iter().map(|u| u.id.clone().unwrap()).collect();
    assert_eq!(ids, ["1/1"]);
    assert!(units[0]
        .props
        .iter()
        .any(|p| p.kind == PROP_TOOL_STATE && p.value == "MadCap:segmentStatus=Translated"));
    assert_eq!(
        report.left_out["state needs-translation (not chosen by --state)"],
        2
    );
}

#[test]
fn target_places_are_byte_spans() {
    let xml = format!(
        "\u{FEFF}{}",
        v12(
            r#"<trans-unit id="1"><source>é</source><target state="translated">É <g id="1">x</g></target></trans-unit>
<trans-unit id="2"><source>b</source></trans-unit>
<trans-unit id="3"><source>c</source><seg-source><mrk mtype="seg" mid="1">c</mrk></seg-source><target/></trans-unit>"#
        )
    );
    let units = xliff_units(&xml);
    let bytes = xml.as_bytes();
    let span = |place: &TargetPlace| match place {
        TargetPlace::Element(r) => {
            std::str::from_utf8(&bytes[r.start as usize..r.end as usize]).unwrap()
        }
        TargetPlace::Missing { .. } => panic!("no target"),
    };
    assert_eq!(
        span(&units[0].segments[0].target_place),
        r#"<target state="translated">É <g id="1">x</g></target>"#
    );
    match &units[1].segments[0].target_place {
        TargetPlace::Missing { at } => {
            assert!(xml[..*at as usize].ends_with("<source>b</source>"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(span(&units[2].segments[0].target_place), "<target/>");
    let xml2 = v2(r#"<unit id="u"><segment><source>a</source>
  <target>b</target></segment><segment><source>c</source></segment></unit>"#);
    let units = xliff_units(&xml2);
    let bytes = xml2.as_bytes();
    match &units[0].segments[0].target_place {
        TargetPlace::Element(r) => {
            assert_eq!(
                &bytes[r.start as usize..r.end as usize],
                b"<target>b</target>"
            )
        }
        other => panic!("{other:?}"),
    }
    match &units[0].segments[1].target_place {
        TargetPlace::Missing { at } => {
            assert!(xml2[..*at as usize].ends_with("<source>c</source>"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn white_space_collapses_unless_preserved() {
    let xml = v12(
        "<trans-unit id=\"1\"><source>\n   Hello\n   <x id=\"1\"/>  world  \n</source><target>\n Bonjour   le monde </target></trans-unit>\n\
         <trans-unit id=\"2\" xml:space=\"preserve\"><source> a  b </source><target> A  B </target></trans-unit>",
    );
    let units = read(&xml);
    assert_eq!(units[0].variants[0].text, "Hello  world");
    assert_eq!(
        markup(&units[0], 0),
        r#"Hello <ph>&lt;x id="1"/&gt;</ph> world"#
    );
    assert_eq!(units[0].variants[1].text, "Bonjour le monde");
    assert_eq!(units[1].variants[0].text, " a  b ");
}

#[test]
fn languages_from_the_file_or_the_caller() {
    let xml = r#"<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="de">
<file id="f"><unit id="1"><segment><source>Ja</source><target>Yes</target></segment></unit></file></xliff>"#;
    let err = error(xml);
    assert!(
        err.to_string()
            .contains("no target language (give --tgt-lang)"),
        "{err}"
    );
    let mut opts = options(None);
    opts.target_lang = Some(LangTag::parse("en").unwrap());
    let bytes: &'static [u8] = xml.as_bytes();
    let units: Vec<_> = formats::Reader::from_reader(bytes, None, &opts)
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(units[0].variants[1].lang.as_str(), "en");
    assert_eq!(units[0].source_lang.as_ref().unwrap().as_str(), "de");
}

#[test]
fn bad_inputs_are_located_errors() {
    // An entity bomb: never expanded.
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<xliff version="1.2"><file source-language="en" target-language="fr" original="x" datatype="plaintext"><body>
<trans-unit id="1"><source>&b;</source><target>x</target></trans-unit></body></file></xliff>"#;
    let err = error(bomb).to_string();
    assert!(
        err.contains("line 4:") && err.contains("undefined entity &b;"),
        "{err}"
    );
    // XXE: the external entity is not fetched.
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xliff version="1.2"><file source-language="en" target-language="fr" original="x" datatype="plaintext"><body>
<trans-unit id="1"><source>a</source><target>&x;</target></trans-unit></body></file></xliff>"#;
    let err = error(xxe).to_string();
    assert!(
        err.contains("line 4:") && err.contains("undefined entity &x;"),
        "{err}"
    );
    // Truncated.
    let full = v12(r#"<trans-unit id="1"><source>a</source><target>b</target></trans-unit>"#);
    let cut = &full[..full.find("<target>").unwrap() + 9];
    let err = error(cut).to_string();
    assert!(
        err.contains("line 4:") && err.contains("truncated"),
        "{err}"
    );
    // Not XLIFF.
    let err = error("<tmx version=\"1.4\"><body/></tmx>").to_string();
    assert!(err.contains("root element is <tmx>, not <xliff>"), "{err}");
    // Mismatched tags.
    let err = error(&v12(
        r#"<trans-unit id="1"><source>a<g id="1">b</source></trans-unit>"#,
    ))
    .to_string();
    assert!(
        err.contains("line 4:") && err.contains("malformed XML"),
        "{err}"
    );
    // A unit without a source is invalid, and the file reads on with --skip-invalid.
    let xml = v12(r#"<trans-unit id="1"><target>b</target></trans-unit>
<trans-unit id="2"><source>c</source><target>C</target></trans-unit>"#);
    let err = error(&xml).to_string();
    assert!(
        err.contains("unit 1") && err.contains("no <source>"),
        "{err}"
    );
    let mut opts = options(None);
    opts.skip_invalid = true;
    let bytes: &'static [u8] = xml.into_bytes().leak();
    let mut reader = formats::Reader::from_reader(bytes, None, &opts).unwrap();
    assert_eq!(reader.by_ref().count(), 1);
    assert_eq!(reader.report().skipped, 1);
}
