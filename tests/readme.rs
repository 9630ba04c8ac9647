//! The README is the user's manual: its examples run as written (issue 18).
//!
//! Every ` ```console ` block of README.md is a shell session, run with `bash` in a
//! scratch copy of a fresh clone: `samples/` and `memories/` copied, the other tracked
//! folders linked, `../shared` beside it, and the `bitext` under test first on PATH
//! (as `cargo install --path .` leaves it). The blocks run in README order in one
//! directory, so a file an example makes is there for the examples after it;
//! variables last to the end of their block.
//!
//! In a block, `$ ` starts a command; `> ` lines right after it continue it (a
//! heredoc); the lines up to the next `$ ` are what the command prints on standard
//! output and standard error together. `...` alone on a line stands for any number of
//! lines, and inside a line for any text (timings, dates). A command running bitext
//! whose output shows `bitext: error:` must fail, every other one must succeed (the
//! status of other programs, such as diff, is theirs). Blocks that show
//! measurements (benchmarks, timings of whole sets) are ` ```text ` and are not run;
//! a `$ bitext` example anywhere else (an indented block, another fence) fails this
//! test, so that none can drift unseen.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::repo;

/// One command of a console block and what it should print.
struct Example {
    /// Line of the `$ ` in README.md (1-based).
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The console blocks of `text`, each as its examples.
fn console_blocks(text: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<Example>> = None;
    for (i, line) in text.lines().enumerate() {
        match current.as_mut() {
            None => {
                if line.trim_end() == "```console" {
                    current = Some(Vec::new());
                }
            }
            Some(examples) => {
                if line.trim_end() == "```" {
                    blocks.push(current.take().unwrap());
                } else if let Some(command) = line.strip_prefix("$ ") {
                    examples.push(Example {
                        line: i + 1,
                        command: command.to_string(),
                        expected: Vec::new(),
                    });
                } else {
                    let example = examples
                        .last_mut()
                        .unwrap_or_else(|| panic!("README.md:{}: output before any `$ `", i + 1));
                    let continuation = line.strip_prefix("> ").or((line == ">").then_some(""));
                    match continuation {
                        Some(more) if example.expected.is_empty() => {
                            example.command.push('\n');
                            example.command.push_str(more);
                        }
                        _ => example.expected.push(line.to_string()),
                    }
                }
            }
        }
    }
    assert!(
        current.is_none(),
        "README.md: a ```console block is not closed"
    );
    blocks
}

/// `$ bitext` examples outside console blocks (indented or in other fences): line
/// numbers.
fn untested_examples(text: &str) -> Vec<usize> {
    let mut fence: Option<String> = None;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                None => Some(info.trim().to_string()),
                Some(_) => None,
            };
            continue;
        }
        let command = line.trim_start().strip_prefix("$ ");
        let runs_bitext = command.is_some_and(|c| {
            c.split(['|', ';', '&'])
                .any(|part| part.trim_start().starts_with("bitext "))
        });
        let tested = matches!(fence.as_deref(), Some("console") | Some("text"));
        if runs_bitext && !tested {
            found.push(i + 1);
        }
    }
    found
}

/// Whether `actual` matches `pattern`, where `...` stands for any text.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    if !actual.ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the `actual` lines match the `expected` ones (a `...` line: any number of
/// lines).
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

/// Makes a fresh clone's working directory under `root`: `samples/` and `memories/`
/// copied (examples may write beside them), the other tracked top-level entries
/// linked, `../shared` linked beside it.
fn scratch_clone(root: &Path) -> PathBuf {
    let clone = root.join("bitext");
    fs::create_dir(&clone).unwrap();
    let repo_dir = repo("");
    let shared = repo_dir.join("../shared");
    std::os::unix::fs::symlink(shared.canonicalize().unwrap(), root.join("shared")).unwrap();
    for entry in fs::read_dir(&repo_dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') || name_str == "target" {
            continue;
        }
        let to = clone.join(&name);
        if matches!(&*name_str, "samples" | "memories") {
            copy_dir(&entry.path(), &to);
        } else {
            std::os::unix::fs::symlink(entry.path(), &to).unwrap();
        }
    }
    clone
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

const MARK: &str = "\u{1e}README-EXAMPLE-END ";

/// Runs one block's commands in one shell; gives each command's output (stdout and
/// stderr interleaved as written) and exit status.
fn run_block(examples: &[Example], dir: &Path, root: &Path) -> Vec<(String, i32)> {
    let mut script = String::new();
    for example in examples {
        script.push_str(&example.command);
        script.push_str(&format!("\nprintf '{MARK}%s\\n' $?\n"));
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_bitext"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = root.join("block.log");
    let out = fs::File::create(&log).unwrap();
    let status = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", root.join("home"))
        // The sentence encoder's model (`align --semantic`) from the real cache.
        .env("BITEXT_MODEL", model_path())
        .env("XDG_DATA_HOME", root.join("home/.local/share"))
        .env("LC_ALL", "C.UTF-8")
        .env_remove("BITEXT_TM")
        .env_remove("BITEXT_USER")
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "the README example script failed: {status}"
    );
    let text = fs::read_to_string(&log).unwrap();
    let mut results = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(MARK) {
        let output = rest[..at].to_string();
        let after = &rest[at + MARK.len()..];
        let end = after.find('\n').unwrap_or(after.len());
        let code = after[..end].trim().parse().unwrap();
        results.push((output, code));
        rest = &after[(end + 1).min(after.len())..];
    }
    assert_eq!(results.len(), examples.len(), "output:\n{text}");
    results
}

#[test]
fn readme_examples_run_as_written() {
    let readme = fs::read_to_string(repo("README.md")).unwrap();
    let untested = untested_examples(&readme);
    assert!(
        untested.is_empty(),
        "README.md lines {untested:?}: a `$ bitext` example outside a ```console block \
         (tested) or a ```text block (measurements, not run)"
    );
    let blocks = console_blocks(&readme);
    assert!(blocks.len() >= 8, "{} console blocks", blocks.len());
    let root = crate::util::tempdir();
    fs::create_dir_all(root.path().join("home/.local/share")).unwrap();
    let clone = scratch_clone(root.path());
    let mut failures = Vec::new();
    for block in &blocks {
        for (example, (output, code)) in block.iter().zip(run_block(block, &clone, root.path())) {
            // Trailing spaces and blank lines are not compared (editors drop them).
            let mut actual: Vec<&str> = output.lines().map(str::trim_end).collect();
            while actual.last() == Some(&"") {
                actual.pop();
            }
            let mut expected: Vec<String> = example
                .expected
                .iter()
                .map(|l| l.trim_end().to_string())
                .collect();
            while expected.last().is_some_and(|l| l.is_empty()) {
                expected.pop();
            }
            // Other programs (diff, grep) say things by their status: only bitext's is
            // checked.
            let runs_bitext = example.command.contains("bitext ");
            let wants_error = expected.iter().any(|l| l.starts_with("bitext: error:"));
            let status_ok = !runs_bitext || (code != 0) == wants_error;
            if !status_ok || !lines_match(&expected, &actual) {
                failures.push(format!(
                    "README.md:{}: $ {}\nexit status {code}{}\n--- README shows:\n{}\n--- it prints:\n{}\n",
                    example.line,
                    example.command,
                    if wants_error { " (expected a failure)" } else { "" },
                    expected.join("\n"),
                    actual.join("\n")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} README example(s) drifted:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    let stray = not_ignored(&clone, &clone);
    assert!(
        stray.is_empty(),
        "the README's examples leave files that .gitignore does not list: {stray:?}"
    );
}

/// The files under `dir` (not following links) that are not in the repository and
/// that git would not ignore there: what the examples made and a user would see.
fn not_ignored(dir: &Path, clone: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let rel = entry.path().strip_prefix(clone).unwrap().to_path_buf();
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            found.extend(not_ignored(&entry.path(), clone));
            continue;
        }
        if repo("").join(&rel).exists() {
            continue;
        }
        let ignored = Command::new("git")
            .arg("-C")
            .arg(repo(""))
            .args(["check-ignore", "-q", "--no-index"])
            .arg(&rel)
            .status()
            .expect("git runs");
        assert!(ignored.code() != Some(128), "git check-ignore failed");
        if !ignored.success() {
            found.push(rel.display().to_string());
        }
    }
    found
}

#[test]
fn elisions_match_what_they_should() {
    assert!(line_matches("a ... b", "a x y b"));
    assert!(line_matches("(... units/s)", "(0.0 s, 1786 units/s)"));
    assert!(!line_matches("a ... b", "a x y c"));
    assert!(!line_matches("ab...ba", "aba"));
    assert!(line_matches("exact", "exact") && !line_matches("exact", "exact "));
    let lines = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(lines_match(
        &lines(&["1", "...", "4"]),
        &["1", "2", "3", "4"]
    ));
    assert!(lines_match(&lines(&["1", "...", "2"]), &["1", "2"]));
    assert!(!lines_match(&lines(&["1", "...", "4"]), &["1", "2", "3"]));
    assert!(!lines_match(&lines(&["1"]), &["1", "2"]));
    let blocks = console_blocks(
        "x\n```console\n$ cat > a <<'EOF'\n> one\n> EOF\n$ cat a\none\n> two\n```\n",
    );
    assert_eq!(blocks[0][0].command, "cat > a <<'EOF'\none\nEOF");
    assert_eq!(blocks[0][1].expected, ["one", "> two"]);
    assert_eq!(
        untested_examples(
            "    $ bitext stats\n```console\n$ bitext stats\n```\n    $ echo a | bitext segment\n"
        ),
        [1, 5]
    );
}

/// Where the sentence encoder's model is outside the scratch HOME: `$BITEXT_MODEL`, else
/// bitext's cache directory (which scripts/test fills).
fn model_path() -> PathBuf {
    if let Some(path) = std::env::var_os("BITEXT_MODEL") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_default();
    cache.join("bitext")
}
