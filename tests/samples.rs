//! The sample texts and their gold data are consistent: every `.sent` line is a span of
//! its text, the lines cover every non-whitespace character in order, and each gold
//! alignment covers both sides with monotone beads.

use crate::util::repo;

fn no_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn gold_segmentations_cover_their_texts() {
    for lang in ["en", "ru", "zh"] {
        let text = std::fs::read_to_string(repo(&format!("samples/{lang}.txt"))).unwrap();
        let sents = std::fs::read_to_string(repo(&format!("samples/{lang}.sent"))).unwrap();
        let mut pos = 0;
        for line in sents.lines() {
            assert!(!line.trim().is_empty(), "{lang}: empty gold line");
            let found = text[pos..]
                .find(line)
                .unwrap_or_else(|| panic!("{lang}: {line:?} is not in the text in order"));
            assert!(
                text[pos..pos + found].trim().is_empty(),
                "{lang}: text skipped before {line:?}"
            );
            pos += found + line.len();
        }
        assert!(
            text[pos..].trim().is_empty(),
            "{lang}: text after the last sentence"
        );
        assert_eq!(no_ws(&sents), no_ws(&text));
    }
}

fn parse_beads(path: &str) -> Vec<(Vec<usize>, Vec<usize>)> {
    let side = |s: &str| -> Vec<usize> {
        s.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().parse().unwrap())
            .collect()
    };
    std::fs::read_to_string(repo(path))
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once("]:").unwrap();
            (side(&format!("{a}]")), side(b))
        })
        .collect()
}

#[test]
fn gold_alignments_are_monotone_and_complete() {
    for (pair, src, tgt) in [("en-ru", "en", "ru"), ("en-zh", "en", "zh")] {
        let beads = parse_beads(&format!("samples/{pair}.gold"));
        let n_src = std::fs::read_to_string(repo(&format!("samples/{src}.sent")))
            .unwrap()
            .lines()
            .count();
        let n_tgt = std::fs::read_to_string(repo(&format!("samples/{tgt}.sent")))
            .unwrap()
            .lines()
            .count();
        let (mut next_src, mut next_tgt) = (0, 0);
        for (s, t) in &beads {
            for &i in s {
                assert_eq!(i, next_src, "{pair}: source ids must be consecutive");
                next_src += 1;
            }
            for &j in t {
                assert_eq!(j, next_tgt, "{pair}: target ids must be consecutive");
                next_tgt += 1;
            }
        }
        assert_eq!(
            (next_src, next_tgt),
            (n_src, n_tgt),
            "{pair}: every sentence is aligned"
        );
    }
}

/// `memories/` is what `scripts/build-memories` makes from `samples/`: aligning the
/// samples again gives the same files byte for byte.
#[test]
fn memories_are_rebuilt_from_the_samples() {
    for lang in ["ru", "zh"] {
        for format in ["tmx", "csv"] {
            let out = crate::util::bitext()
                .args([
                    "align",
                    "samples/en.txt",
                    &format!("samples/{lang}.txt"),
                    "--src-lang",
                    "en",
                ])
                .args(["--tgt-lang", lang, "--format", format])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stored = std::fs::read(repo(&format!("memories/seed-en-{lang}.{format}"))).unwrap();
            assert!(
                out.stdout == stored,
                "memories/seed-en-{lang}.{format} is out of date: run scripts/build-memories"
            );
        }
    }
}
