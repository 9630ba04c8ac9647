//! translate-toolkit (the Python localization library behind Pootle and Weblate) reads
//! the XLIFF files `bitext pretranslate` writes, 1.2 and 2.x, and sees the units,
//! sources, targets and states bitext meant: its `translate.storage.xliff` and
//! `xliff2` readers run on each output and on its input. The toolkit is installed in a
//! scratch virtual environment under `target/` (scripts/test prepares it); when Python
//! or pip cannot provide it the test fails and says why.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bitext::formats::xliff::{Content, Match, XliffDocument};

use crate::util::{repo, shared, tempdir};

/// The virtual environment's Python, with translate-toolkit installed in it.
fn toolkit_python() -> PathBuf {
    let venv = std::env::var_os("BITEXT_TOOLKIT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo("target/translate-toolkit"));
    let python = venv.join("bin").join("python");
    let ready = |python: &Path| {
        Command::new(python)
            .args([
                "-c",
                "import translate.storage.xliff, translate.storage.xliff2",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return python;
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output();
    match made {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "cannot make a Python virtual environment at {} for translate-toolkit: {}",
            venv.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("python3 is needed to run translate-toolkit (pip): {e}"),
    }
    let pip = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "translate-toolkit"])
        .output()
        .expect("pip runs");
    assert!(
        pip.status.success() && ready(&python),
        "pip cannot install translate-toolkit into {}: {}",
        venv.display(),
        String::from_utf8_lossy(&pip.stderr)
    );
    python
}

/// What translate-toolkit sees in each file: per unit (1.2 trans-unit, 2.x segment)
/// its id, source, target and state attribute.
const DUMP: &str = r#"
import json, sys
from translate.storage import xliff, xliff2
result = {}
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    units = []
    if b"urn:oasis:names:tc:xliff:document:2.0" in data:
        for u in xliff2.Xliff2File.parsestring(data).units:
            units.append([u.getid(), u.source or "", u.target or "", u.xmlelement.get("state")])
    else:
        for u in xliff.xlifffile.parsestring(data).units:
            if u.isheader():
                continue
            t = u.getlanguageNode(lang=None, index=1)
            units.append([u.xmlelement.get("id") or "", u.source or "", u.target or "",
                          None if t is None else t.get("state")])
    result[path] = units
print(json.dumps(result))
"#;

type Seen = Vec<(String, String, String, Option<String>)>;

fn toolkit(python: &Path, files: &[PathBuf]) -> std::collections::HashMap<String, Seen> {
    let out = Command::new(python)
        .arg("-c")
        .arg(DUMP)
        .args(files)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "translate-toolkit cannot read bitext's output: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut all = std::collections::HashMap::new();
    for (path, units) in json.as_object().unwrap() {
        let units = units
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let s = |k: usize| u[k].as_str().unwrap_or_default().to_string();
                (s(0), s(1), s(2), u[3].as_str().map(str::to_string))
            })
            .collect();
        all.insert(path.clone(), units);
    }
    all
}

/// Text as translate-toolkit gives it: the memory's markup with the content of native
/// codes kept (codes standing for XLIFF tags left out); white space removed, as the
/// two readers treat it differently.
fn toolkit_text(content: &Content) -> String {
    let Some(markup) = &content.markup else {
        return squeeze(&content.text);
    };
    let mut out = String::new();
    let mut rest = markup.as_str();
    let mut in_code: Option<bool> = None;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('<') {
            let end = tail.find('>').unwrap();
            let tag = &tail[..end];
            rest = &tail[end + 1..];
            let name = tag
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap();
            if matches!(name, "bpt" | "ept" | "ph" | "it") {
                // A code: its content is native unless it is an escaped XLIFF tag.
                if tag.starts_with('/') || tag.ends_with('/') {
                    in_code = None;
                } else {
                    let inner = &rest[..rest.find("</").unwrap_or(rest.len())];
                    let xliff_tag = inner.strip_prefix("&lt;").is_some_and(|t| {
                        let t = t.trim_start_matches('/');
                        let n = t.split([' ', '/', '&']).next().unwrap_or("");
                        matches!(
                            n,
                            "g" | "x" | "bx" | "ex" | "pc" | "ph" | "sc" | "ec" | "cp"
                        )
                    });
                    in_code = Some(!xliff_tag);
                }
            }
            continue;
        }
        let next = rest.find('<').unwrap_or(rest.len());
        if in_code != Some(false) {
            out.push_str(&rest[..next]);
        }
        rest = &rest[next..];
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    squeeze(&out)
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// bitext's own reading of a file: per toolkit unit (1.2 trans-unit, 2.x segment) its
/// target and state, segments of a 1.2 unit joined.
fn bitext_view(bytes: &[u8]) -> Vec<(Option<String>, String, Option<String>, bool)> {
    let doc = XliffDocument::parse(bytes.to_vec(), None).unwrap();
    let mut out = Vec::new();
    for unit in doc.units() {
        let tool = unit.segments.iter().any(|s| s.state.tool_state.is_some());
        match unit.version {
            bitext::formats::xliff::Version::V1 => {
                let target: String = unit
                    .segments
                    .iter()
                    .filter_map(|s| s.target.as_ref().map(toolkit_text))
                    .collect();
                let state = unit.segments[0].state.state.clone();
                out.push((unit.id.clone(), target, state, tool));
            }
            bitext::formats::xliff::Version::V2 => {
                for s in &unit.segments {
                    let target = s.target.as_ref().map(toolkit_text).unwrap_or_default();
                    out.push((unit.id.clone(), target, s.state.state.clone(), tool));
                }
            }
        }
    }
    out
}

/// Checks translate-toolkit's view of `output` against its view of `input` and
/// bitext's view of `output`: same units and sources; changed targets as bitext
/// wrote them, with the states it wrote. Returns how many targets changed.
fn compare(
    name: &str,
    input: &Seen,
    output: &Seen,
    ours: &[(Option<String>, String, Option<String>, bool)],
) -> usize {
    assert_eq!(input.len(), output.len(), "{name}: units");
    // The toolkit's units that bitext reads (units without a source are left out).
    let mut k = 0;
    let mut changed = 0;
    for (before, after) in input.iter().zip(output) {
        // (2.x segments without id get one, for their matches' ref.)
        assert!(
            before.0 == after.0 || after.0.contains("::bitext-s"),
            "{name}: unit ids {} and {}",
            before.0,
            after.0
        );
        assert_eq!(before.1, after.1, "{name} {}: source", after.0);
        let Some(mine) = ours.get(k) else { break };
        let id = mine.0.clone().unwrap_or_default();
        if !after.0.ends_with(&id) && !after.0.contains(&format!("{id}::")) {
            continue;
        }
        k += 1;
        if before.2 == after.2 && before.3 == after.3 {
            continue;
        }
        changed += 1;
        assert_eq!(squeeze(&after.2), mine.1, "{name} {}: target", after.0);
        if !mine.3 {
            assert_eq!(after.3, mine.2, "{name} {}: state", after.0);
        }
    }
    assert_eq!(k, ours.len(), "{name}: bitext's units not all met");
    changed
}

#[test]
fn translate_toolkit_reads_what_pretranslate_writes() {
    use crate::cli_xliff_pretranslate::{pretranslated, DOC_12, DOC_2, DOC_SEG, MEM_12, MEM_2};
    let python = toolkit_python();
    let dir = tempdir();
    let mut pairs: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    // The CLI's outputs: 1.2, 2.x, and 1.2 units segmented with <seg-source>.
    for (name, mem, doc) in [
        ("doc12.xlf", MEM_12, DOC_12),
        ("doc2.xlf", MEM_2, DOC_2),
        ("seg.sdlxliff", MEM_12, DOC_SEG),
    ] {
        let sub = dir.path().join(name.replace('.', "-"));
        fs::create_dir(&sub).unwrap();
        let (input, output) = pretranslated(&sub, mem, name, doc);
        pairs.push((name.to_string(), input, output));
    }
    // Every real file with each fillable segment filled (its source as target).
    let mut real = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(shared("data/xliff/real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let raw = fs::read(&file).unwrap();
        let mut doc = XliffDocument::parse(raw, Some(&file)).unwrap();
        for u in 0..doc.units().len() {
            for s in 0..doc.units()[u].segments.len() {
                if doc.fillable(u, s).is_ok() {
                    let source = doc.units()[u].segments[s].source.clone();
                    let m = Match {
                        percent: 100,
                        source: source.clone(),
                        target: source,
                        origin: "bitext:test".into(),
                    };
                    doc.fill(u, s, Some(&m), &[]).unwrap().ok();
                }
            }
        }
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let output = dir.path().join(format!("out-{name}"));
        fs::write(&output, doc.output().unwrap()).unwrap();
        real.push(name.clone());
        pairs.push((name, file, output));
    }
    let paths: Vec<PathBuf> = pairs
        .iter()
        .flat_map(|(_, i, o)| [i.clone(), o.clone()])
        .collect();
    let seen = toolkit(&python, &paths);
    let key = |p: &Path| p.display().to_string();
    let mut real_changed = 0;
    for (name, input, output) in &pairs {
        let ours = bitext_view(&fs::read(output).unwrap());
        let changed = compare(name, &seen[&key(input)], &seen[&key(output)], &ours);
        eprintln!("{name}: {changed} targets changed, as translate-toolkit reads them");
        if real.contains(name) {
            real_changed += changed;
        } else {
            assert!(changed >= 2, "{name}: {changed} targets changed");
        }
    }
    assert!(
        real_changed >= 100,
        "only {real_changed} targets in the real files"
    );
}
