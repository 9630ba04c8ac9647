//! The review page in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven through WebDriver (fantoccini) against `bitext serve`.
//!
//! The test seeds a memory, serves it, looks a sentence up and searches a word on the
//! page, aligns the sample pair (samples/en.txt, samples/ru.txt) through upload, breaks
//! two beads on purpose and fixes them again — once with the mouse (merge, then split),
//! once with the keys (move a target sentence down into the wrong bead, then back up)
//! —, re-aligns around the fixed beads, marks the last bead as having no pair, stores
//! the pairs with the token and checks with `bitext export` that the memory holds the
//! gold alignment's pairs (samples/en-ru.gold) less the one marked, and nothing broken.
//!
//! Chromium and chromedriver must be installed: the test fails (it does not skip)
//! without them. scripts/test installs them when run as root.
//!
//! A screenshot of the review is written to target/serve-review.png, or to
//! docs/serve-review.png (the README's) with BITEXT_UPDATE_SCREENSHOTS=1.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::util::{repo, tempdir, tm_cmd};

const CHROMIUM: &str = "/usr/bin/chromium";
const TOKEN: &str = "page-test-token-5c1e";
/// How long the page may take to answer a step (aligning the sample takes < 1 s).
const STEP: Duration = Duration::from_secs(30);

/// chromedriver and Chromium, or a failure that says how to get them.
fn browser() -> (PathBuf, PathBuf) {
    let chromium = std::env::var_os("BITEXT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM));
    let driver = std::env::var_os("BITEXT_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| which("chromedriver"));
    let missing = !chromium.is_file() || !driver.as_ref().is_some_and(|d| d.is_file());
    assert!(
        !missing,
        "the review page test needs Chromium ({}) and chromedriver (on PATH): install them \
         with `apt-get install --no-install-recommends chromium chromium-driver` (scripts/test \
         does so when run as root with apt-get), or set BITEXT_CHROMIUM and BITEXT_CHROMEDRIVER",
        chromium.display()
    );
    (chromium, driver.expect("checked above"))
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A port nobody listens on now (the OS picks it; the child binds it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// A child process in its own process group, killed with the group (Chromium and its
/// helpers included) when dropped: on success, failure and panic alike.
struct Guard {
    name: &'static str,
    child: Child,
    /// Where its standard error goes, shown when it fails.
    log: Option<PathBuf>,
}

impl Guard {
    fn spawn(name: &'static str, cmd: &mut Command, log: Option<PathBuf>) -> Guard {
        use std::os::unix::process::CommandExt;
        if let Some(log) = &log {
            cmd.stderr(fs::File::create(log).unwrap());
        } else {
            cmd.stderr(Stdio::null());
        }
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Guard { name, child, log }
    }

    fn log(&self) -> String {
        self.log
            .as_ref()
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Asks the process to stop (SIGTERM) and waits for it; true if it exited cleanly.
    fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}\n{}", self.name, self.log());
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `GET path` on localhost:`port`: the status, or None while nothing answers. Only the
/// status line is read (chromedriver keeps the connection open and ignores HTTP/1.0).
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// Waits until `GET path` answers 200.
fn wait_ready(guard: &mut Guard, port: u16, path: &str) {
    let started = Instant::now();
    loop {
        guard.assert_running();
        if http_status(port, path) == Some(200) {
            return;
        }
        assert!(
            started.elapsed() < STEP,
            "{} did not answer GET {path} on port {port} within {STEP:?}\n{}",
            guard.name,
            guard.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The gold alignment of the sample pair as (English, Russian) texts of the beads with
/// both sides, sentences joined by a space (as the page and the aligner join them).
fn gold_pairs() -> Vec<(String, String)> {
    let en = fs::read_to_string(repo("samples/en.sent")).unwrap();
    let ru = fs::read_to_string(repo("samples/ru.sent")).unwrap();
    let en: Vec<&str> = en.lines().collect();
    let ru: Vec<&str> = ru.lines().collect();
    let ids = |s: &str| -> Vec<usize> {
        s.trim_matches(['[', ']'])
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().parse().unwrap())
            .collect()
    };
    fs::read_to_string(repo("samples/en-ru.gold"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (s, t) = line.split_once(':')?;
            let (s, t) = (ids(s), ids(t));
            let join = |side: &[&str], ids: &[usize]| {
                ids.iter().map(|&i| side[i]).collect::<Vec<_>>().join(" ")
            };
            (!s.is_empty() && !t.is_empty()).then(|| (join(&en, &s), join(&ru, &t)))
        })
        .collect()
}

/// The memory's en→ru units as (source, target).
fn stored_pairs(tm: &Path, dir: &Path) -> BTreeSet<(String, String)> {
    let out = dir.join("export.jsonl");
    tm_cmd(tm)
        .args(["export", "-s", "en", "-t", "ru", "--simple"])
        .arg(&out)
        .assert()
        .success();
    fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["source"].as_str().unwrap().to_string(),
                v["target"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn review_page_fixes_beads_and_stores_the_corrected_pairs() {
    let (chromium, chromedriver) = browser();
    let dir = tempdir();
    let tm = dir.path().join("tm.sqlite");
    let seeded = (
        "The session will be held via videoconference.".to_string(),
        "Сессия пройдет в формате видеоконференции.".to_string(),
    );
    tm_cmd(&tm)
        .args(["add", "-s", "en", "-t", "ru", &seeded.0, &seeded.1])
        .assert()
        .success();
    let token_file = dir.path().join("token");
    fs::write(&token_file, format!("{TOKEN}\n")).unwrap();

    let port = free_port();
    let mut server = Guard::spawn(
        "bitext serve",
        Command::new(env!("CARGO_BIN_EXE_bitext"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--tm"])
            .arg(&tm)
            .arg("--token-file")
            .arg(&token_file)
            .env_remove("BITEXT_SERVE_TOKEN")
            .env_remove("BITEXT_TM"),
        Some(dir.path().join("serve.log")),
    );
    wait_ready(&mut server, port, "/api/v1/stats");

    let driver_port = free_port();
    let mut driver = Guard::spawn(
        "chromedriver",
        Command::new(&chromedriver).arg(format!("--port={driver_port}")),
        None,
    );
    wait_ready(&mut driver, driver_port, "/status");

    let screenshot = if std::env::var_os("BITEXT_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        repo("docs/serve-review.png")
    } else {
        repo("target/serve-review.png")
    };
    let profile = dir.path().join("chromium-profile");
    let downloads = dir.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--lang=en-US",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            },
        });
        let caps = caps.as_object().unwrap().clone();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("chromedriver starts a Chromium session");
        // The steps run as their own task so that a failed assertion still closes the
        // browser session before the test fails.
        let page = Page {
            client: client.clone(),
            base: format!("http://127.0.0.1:{port}"),
            downloads: downloads.clone(),
        };
        let screenshot = screenshot.clone();
        let steps = tokio::spawn(async move { page.run(&screenshot).await });
        let outcome = steps.await;
        let _ = client.close().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    });
    drop(driver);
    assert!(
        server.stop(),
        "bitext serve did not stop cleanly on SIGTERM"
    );

    // The memory holds the seeded pair and the gold pairs but the one marked as no pair
    // (the last), and nothing the broken beads would have stored.
    let gold = gold_pairs();
    let (kept, dropped) = gold.split_at(gold.len() - 1);
    let mut expected: BTreeSet<(String, String)> = kept.iter().cloned().collect();
    expected.insert(seeded);
    let stored = stored_pairs(&tm, dir.path());
    let missing: Vec<_> = expected.difference(&stored).collect();
    let extra: Vec<_> = stored.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the memory does not hold the corrected alignment:\nmissing {missing:#?}\nextra {extra:#?}"
    );
    assert!(!stored.contains(&dropped[0]));
    assert!(screenshot.is_file());
}

/// The page in the browser, and the steps of the test.
struct Page {
    client: Client,
    base: String,
    /// Where the browser saves downloads.
    downloads: PathBuf,
}

impl Page {
    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} on the page: {e}"))
    }

    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    async fn type_in(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Keys sent to the element that has the focus (the selected bead).
    async fn keys(&self, keys: &str) {
        let active = self.client.active_element().await.unwrap();
        active.send_keys(keys).await.unwrap();
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
    }

    /// Waits until `script` returns something truthy; fails with `what` and the page's
    /// status lines otherwise.
    async fn until(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let v = self.js(script).await;
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            if started.elapsed() > STEP {
                let status = self
                    .js("return [...document.querySelectorAll('[role=status], .error')].map(e => e.textContent).join(' | ')")
                    .await;
                panic!("{what}: not after {STEP:?}; the page says: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The beads shown, as (source ids, target ids, classes), e.g. ("3-4", "3", "bead").
    async fn beads(&self) -> Vec<(String, String, String)> {
        let v = self
            .js("return [...document.querySelectorAll('#beads .bead')].map(b => [b.dataset.src, b.dataset.tgt, b.className])")
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let s = |i: usize| b[i].as_str().unwrap().to_string();
                (s(0), s(1), s(2))
            })
            .collect()
    }

    async fn bead(&self, k: usize) -> (String, String, String) {
        self.beads().await.swap_remove(k)
    }

    async fn run(&self, screenshot: &Path) {
        self.client.goto(&format!("{}/", self.base)).await.unwrap();
        self.until(
            "the page shows the memory's size",
            "return document.getElementById('memory-stats').textContent.includes('1 units')",
        )
        .await;

        // Lookup: the match percentage, and the diff against the query.
        self.type_in("#lookup-q", "The session will be held by videoconference.")
            .await;
        self.click("#lookup-form button[type=submit]").await;
        self.until(
            "a lookup match",
            "return document.querySelector('#lookup-results .match')",
        )
        .await;
        let shown = self
            .js("const m = document.querySelector('#lookup-results .match'); return [m.querySelector('.percent').textContent, [...m.querySelectorAll('del')].map(e => e.textContent).join('|'), [...m.querySelectorAll('ins')].map(e => e.textContent).join('|'), m.querySelector('.target').textContent]")
            .await;
        let percent: u32 = shown[0]
            .as_str()
            .unwrap()
            .trim_end_matches(" %")
            .parse()
            .unwrap();
        assert!((70..100).contains(&percent), "{shown}");
        assert_eq!(shown[1], "via", "{shown}");
        assert_eq!(shown[2], "by", "{shown}");
        assert_eq!(shown[3], "Сессия пройдет в формате видеоконференции.");

        // Concordance: the word marked in the stored unit.
        self.type_in("#concordance-q", "videoconference").await;
        self.click("#concordance-form button[type=submit]").await;
        let marked = self
            .until(
                "a concordance hit",
                "const m = document.querySelector('#concordance-results mark'); return m && m.textContent",
            )
            .await;
        assert_eq!(marked, "videoconference");

        // Align the sample pair, uploaded as files.
        self.type_in("#align-src-lang", "en").await;
        self.type_in("#align-tgt-lang", "ru").await;
        for (input, file) in [("#align-src-file", "en.txt"), ("#align-tgt-file", "ru.txt")] {
            let path = repo("samples").join(file);
            self.type_in(input, path.to_str().unwrap()).await;
        }
        self.until(
            "the uploaded texts in the text boxes",
            "return document.getElementById('align-src-text').value.startsWith('Putin') && document.getElementById('align-tgt-text').value.startsWith('Путин')",
        )
        .await;
        self.click("#align-button").await;
        self.until(
            "the beads of the sample pair",
            "return document.querySelectorAll('#beads .bead').length",
        )
        .await;
        let beads = self.beads().await;
        assert_eq!(beads.len(), 25, "{beads:?}");
        assert_eq!((&*beads[3].0, &*beads[3].1), ("3-4", "3"), "{beads:?}");

        // With the mouse: merge beads 0 and 1 (a wrong bead), then split it again.
        self.click("#bead-0").await;
        self.click("button[data-op=merge]").await;
        assert_eq!(self.beads().await.len(), 24);
        let merged = self.bead(0).await;
        assert_eq!((&*merged.0, &*merged.1), ("0-1", "0-1"), "{merged:?}");
        assert!(merged.2.contains("fixed"), "{merged:?}");
        self.click("button[data-op=split]").await;
        let beads = self.beads().await;
        assert_eq!(beads.len(), 25);
        assert_eq!((&*beads[0].0, &*beads[0].1), ("0", "0"), "{beads:?}");
        assert_eq!((&*beads[1].0, &*beads[1].1), ("1", "1"), "{beads:?}");

        // With the keys: move bead 2's target sentence down into bead 3 (wrong: bead 2
        // is left without a pair, bead 3 pairs 3-4 with 2-3), then back up from bead 3.
        self.click("#bead-2").await;
        self.keys("D").await;
        let beads = self.beads().await;
        assert_eq!((&*beads[2].0, &*beads[2].1), ("2", ""), "{beads:?}");
        assert!(beads[2].2.contains("nopair"), "{beads:?}");
        assert_eq!((&*beads[3].0, &*beads[3].1), ("3-4", "2-3"), "{beads:?}");
        self.keys("\u{E015}").await; // ArrowDown: select bead 3
        self.keys("U").await;
        let beads = self.beads().await;
        assert_eq!((&*beads[2].0, &*beads[2].1), ("2", "2"), "{beads:?}");
        assert_eq!((&*beads[3].0, &*beads[3].1), ("3-4", "3"), "{beads:?}");
        assert!(beads[3].2.contains("fixed"), "{beads:?}");

        // Undo takes back a merge.
        self.keys("m").await;
        assert_eq!(self.beads().await.len(), 24);
        self.keys("z").await;
        assert_eq!(self.beads().await, beads);

        // A 2-1 fix the aligner would never make: source 7 moved up into bead 5
        // (source 6-7 with target 5), leaving target 6 without a pair.
        self.click("#bead-6").await;
        self.keys("u").await;
        let beads = self.beads().await;
        assert_eq!(beads.len(), 25, "{beads:?}");
        assert_eq!((&*beads[5].0, &*beads[5].1), ("6-7", "5"), "{beads:?}");
        assert_eq!((&*beads[6].0, &*beads[6].1), ("", "6"), "{beads:?}");

        // Re-align the rest around the six fixed beads (1-1, 2-1 and 0-1): every one
        // is sent whole as an anchor and comes back as it was. The server's answer is
        // watched too: it must keep them itself, not the page put them back.
        let watching = self
            .js("window.alignAnswers = []; const f = window.fetch; window.fetch = async (...a) => { const r = await f(...a); if (String(a[0]).includes('/api/v1/align')) window.alignAnswers.push(await r.clone().json()); return r; }; return true")
            .await;
        assert_eq!(watching, true);
        self.click("#bead-3").await;
        self.keys("r").await;
        self.until(
            "the re-alignment",
            "return document.getElementById('review-status').textContent.startsWith('Re-aligned around 6 fixed')",
        )
        .await;
        let realigned = self.beads().await;
        assert_eq!(realigned.len(), 25, "{realigned:?}");
        for k in [0, 1, 2, 3, 5, 6] {
            assert_eq!(
                (&realigned[k].0, &realigned[k].1),
                (&beads[k].0, &beads[k].1)
            );
            assert!(realigned[k].2.contains("fixed"), "{realigned:?}");
        }
        assert!(!realigned[4].2.contains("fixed"), "{realigned:?}");
        let kept = self
            .js("return window.alignAnswers.at(-1).beads.filter(b => b.fixed).map(b => [b.src, b.tgt])")
            .await;
        assert_eq!(
            kept,
            json!([
                [[0], [0]],
                [[1], [1]],
                [[2], [2]],
                [[3, 4], [3]],
                [[6, 7], [5]],
                [[], [6]]
            ])
        );

        // The screenshot of the README: the review with the fixed beads and bead 3
        // selected.
        let shot = self
            .js("document.getElementById('review-work').scrollIntoView(); window.scrollBy(0, -8); return true")
            .await;
        assert_eq!(shot, true);
        let png = self.client.screenshot().await.unwrap();
        fs::write(screenshot, png).unwrap();

        // The 2-1 fix undone by hand: split it, then move target 6 up to source 7.
        self.click("#bead-5").await;
        self.keys("s").await;
        self.click("#bead-7").await;
        self.keys("U").await;
        let beads = self.beads().await;
        assert_eq!(beads.len(), 25, "{beads:?}");
        for (k, (s, t)) in [(5, ("6", "5")), (6, ("7", "6")), (7, ("8", "7"))] {
            assert_eq!((&*beads[k].0, &*beads[k].1), (s, t), "{beads:?}");
        }

        // The last bead ("Based on materials from TASS") has no pair: not stored.
        self.keys("\u{E010}").await; // End: select the last bead
        self.keys("n").await;
        let beads = self.beads().await;
        assert_eq!(beads.len(), 26, "{beads:?}");
        assert!(beads[24].2.contains("nopair") && beads[25].2.contains("nopair"));

        // Store with the token.
        self.type_in("#store-token", TOKEN).await;
        self.click("#store-button").await;
        let said = self
            .until(
                "the store's report",
                "const s = document.getElementById('store-status'); return !s.textContent.endsWith('…') && s.textContent",
            )
            .await;
        assert_eq!(said, "Stored 24 pairs in the memory: 24 inserted.");

        // Download the same pairs as TMX.
        self.click("button[data-download=tmx]").await;
        let tmx = self.downloads.join("alignment.tmx");
        let started = Instant::now();
        while !tmx.is_file() {
            if started.elapsed() > STEP {
                let said = self
                    .js("return document.getElementById('store-status').textContent")
                    .await;
                panic!("no {} downloaded; the page says: {said}", tmx.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await; // written whole
        let tmx = fs::read_to_string(&tmx).unwrap();
        assert_eq!(
            tmx.matches("<tu>").count() + tmx.matches("<tu ").count(),
            24,
            "{tmx}"
        );
        assert!(tmx.contains("23 августа 2021 г."), "{tmx}");
    }
}
