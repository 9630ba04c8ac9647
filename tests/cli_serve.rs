//! `bitext serve`: the real binary on a free port against a temporary memory, talked
//! to over HTTP as its clients talk to it (the JSON API; Weblate's tmserver and
//! MyMemory backends, with their requests and their way of reading the answers).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{json_lines, repo, tempdir, tm_cmd};

const TOKEN: &str = "test-token-0123456789abcdef";

/// A running `bitext serve`, stopped (SIGTERM) when dropped.
struct Server {
    child: Option<Child>,
    base: String,
    agent: ureq::Agent,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

/// An answer: status, headers we look at, body.
struct Answer {
    status: u16,
    body: String,
    content_type: String,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An error answer: the status, JSON `{"error"}`, and the message.
    fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {}", self.body))
            .to_string()
    }
}

impl Server {
    /// Starts `bitext serve --tm tm ARGS` on a free port with `token` (as
    /// $BITEXT_SERVE_TOKEN, if any), and waits until it listens.
    fn start(tm: &Path, token: Option<&str>, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitext"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--tm"])
            .arg(tm)
            .args(args)
            .env_remove("BITEXT_SERVE_TOKEN")
            .env_remove("BITEXT_TM")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(t) = token {
            cmd.env("BITEXT_SERVE_TOKEN", t);
        }
        let mut child = cmd.spawn().expect("bitext serve starts");
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("on http://") {
                    let addr = line[at + 3..]
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .to_string();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr);
                    }
                }
                let mut log = log2.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                panic!(
                    "bitext serve did not start ({status}):\n{}",
                    log.lock().unwrap()
                );
            }
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server {
            child: Some(child),
            base,
            agent,
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect::<Vec<_>>();
        let content_type = headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut body = String::new();
        response
            .body_mut()
            .as_reader()
            .read_to_string(&mut body)
            .expect("a UTF-8 body");
        Answer {
            status,
            body,
            content_type,
            headers,
        }
    }

    /// GET as Weblate sends it (`Accept: application/json`), with a token if given.
    fn get_with(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self
            .agent
            .get(self.url(path))
            .header("Accept", "application/json; charset=utf-8");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Server::answer(req.call().expect("the request is answered"))
    }

    fn get(&self, path: &str) -> Answer {
        self.get_with(path, None)
    }

    fn post_with(&self, path: &str, body: &[u8], token: Option<&str>) -> Answer {
        let mut req = self.agent.post(self.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Server::answer(req.send(body).expect("the request is answered"))
    }

    fn post(&self, path: &str, body: &Value) -> Answer {
        self.post_with(path, body.to_string().as_bytes(), None)
    }

    fn post_token(&self, path: &str, body: &[u8]) -> Answer {
        self.post_with(path, body, Some(TOKEN))
    }

    /// SIGTERM, and the exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!(
                    "bitext serve did not stop on SIGTERM:\n{}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
    }
}

/// A memory with the seed pairs (en -> ru), in a fresh folder.
fn seed_memory(dir: &Path) -> PathBuf {
    let tm = dir.join("memory.sqlite");
    tm_cmd(&tm)
        .args(["import"])
        .arg(repo("memories/seed-en-ru.tmx"))
        .assert()
        .success();
    tm
}

/// The CLI's JSON Lines output of `args` on `tm`.
fn cli_json(tm: &Path, args: &[&str]) -> Vec<Value> {
    let out = tm_cmd(tm).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

const SEED_SOURCE: &str = "Putin to discuss the situation in Afghanistan at a session of the CSTO Collective Security Council";

#[test]
fn lookups_and_concordance_answer_as_the_cli() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, None, &[]);
    // One query: the CLI's record, the same scores.
    let query = "Putin to discuss the situation in Afghanistan at a session of the CSTO Council";
    let cli = cli_json(
        &tm,
        &["lookup", query, "-s", "en", "-t", "ru", "-f", "jsonl"],
    );
    let answer = server.get(&format!("/api/v1/lookup?q={}&src=en&tgt=ru", enc(query)));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let got = answer.json();
    assert_eq!(got["matches"], cli[0]["matches"]);
    assert!(got["matches"][0]["score"]["percent"].as_u64().unwrap() >= 70);
    assert_eq!(
        (got["src"].as_str(), got["tgt"].as_str()),
        (Some("en"), Some("ru"))
    );
    // Languages left out: the memory's only pair, as the CLI takes it.
    assert_eq!(
        server
            .get(&format!("/api/v1/lookup?q={}", enc(query)))
            .json()["matches"],
        cli[0]["matches"]
    );
    // A batch: strings and the CLI's query records, in order, ids echoed.
    let batch = server.post(
        "/api/v1/lookup",
        &json!({"queries": [query, {"text": "Nothing like this at all", "id": 7}], "src": "en", "tgt": "ru", "min": 50, "limit": 2}),
    );
    assert_eq!(batch.status, 200, "{}", batch.body);
    let results = batch.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["query"], query);
    assert_eq!(results[0]["matches"][0], cli[0]["matches"][0]);
    assert_eq!(results[1]["id"], 7);
    // Concordance: the CLI's records.
    let cli = cli_json(&tm, &["concordance", "Afghanistan", "-f", "jsonl"]);
    let got = server.get("/api/v1/concordance?q=Afghanistan").json();
    assert_eq!(got["hits"].as_array().unwrap(), &cli);
    assert!(!cli.is_empty());
    // Stats: the CLI's figures, the file's name only, and whether it writes.
    let cli = cli_json(&tm, &["stats", "-f", "jsonl"]);
    let got = server.get("/api/v1/stats").json();
    assert_eq!(got["units"], cli[0]["units"]);
    assert_eq!(got["pairs"], cli[0]["pairs"]);
    assert_eq!(got["path"], "memory.sqlite");
    assert_eq!(got["writable"], false);
    assert!(got["read_only"].as_str().unwrap().contains("no token"));
}

#[test]
fn units_and_imports_are_stored_and_exports_stream_them() {
    let dir = tempdir();
    let tm = dir.path().join("new.sqlite");
    let server = Server::start(&tm, Some(TOKEN), &[]);
    // Add two units in one request.
    let units = json!({"units": [
        {"source": "Open the file.", "target": "Откройте файл.", "src": "en", "tgt": "ru", "note": "menu"},
        {"source": "Close the file.", "target": "Закройте файл.", "src": "en", "tgt": "ru", "prev": "Open the file."},
    ]});
    let added = server.post_token("/api/v1/units", units.to_string().as_bytes());
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(
        added.json()["outcomes"],
        json!([{"action": "inserted", "unit": 1}, {"action": "inserted", "unit": 2}])
    );
    let hit = server
        .get("/api/v1/lookup?q=Open%20the%20files.&src=en&tgt=ru")
        .json();
    assert_eq!(hit["matches"][0]["target"]["text"], "Откройте файл.");
    assert_eq!(hit["matches"][0]["score"]["percent"], 75);
    // Import the seed TMX: the CLI's report (as `import --report jsonl`).
    let tmx = std::fs::read(repo("memories/seed-en-ru.tmx")).unwrap();
    let report = server.post_token("/api/v1/import?format=tmx", &tmx);
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.json();
    let other = dir.path().join("cli.sqlite");
    let cli = cli_json(
        &other,
        &[
            "import",
            repo("memories/seed-en-ru.tmx").to_str().unwrap(),
            "--report",
            "jsonl",
        ],
    );
    for field in [
        "format", "read", "imported", "merged", "replaced", "skipped", "skips", "warnings",
    ] {
        assert_eq!(report[field], cli[0][field], "{field}");
    }
    assert_eq!(report["file"], "request body");
    assert_eq!(report["read"], 25);
    // Export: streamed, what the CLI exports from the same memory.
    for format in ["jsonl", "tmx", "tsv", "csv"] {
        let got = server.get(&format!("/api/v1/export?format={format}"));
        assert_eq!(got.status, 200, "{}", got.body);
        let out = tm_cmd(&tm)
            .args(["export", "-", "-f", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        let cli = String::from_utf8(out.stdout).unwrap();
        if format == "tmx" {
            // The header's creation date is the time of writing.
            let strip = |s: &str| {
                s.lines()
                    .filter(|l| !l.contains("creationdate=\"2"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(&got.body), strip(&cli), "{format}");
        } else {
            assert_eq!(got.body, cli, "{format}");
        }
        assert!(got
            .header("content-disposition")
            .unwrap()
            .contains(&format!("new.{format}")));
    }
    let pair = server.get("/api/v1/export?format=jsonl&src=en&tgt=ru");
    assert_eq!(pair.body.lines().count(), 27);
    // A bad import changes nothing, and says where.
    let bad = server.post_token(
        "/api/v1/import?format=tmx",
        b"<tmx version=\"1.4\"><body><tu><tuv xml:lang=\"en\"><seg>x</seg></tuv>",
    );
    let message = bad.error(400);
    assert!(
        message.contains("nothing of the request body was imported"),
        "{message}"
    );
    assert_eq!(server.get("/api/v1/stats").json()["units"], 27);
}

#[test]
fn pretranslate_align_and_convert_give_the_cli_results() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, None, &[]);
    // Pretranslate an XLIFF file: the CLI's output.
    let doc = dir.path().join("doc.xlf");
    std::fs::write(
        &doc,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="doc.txt" source-language="en" target-language="ru" datatype="plaintext">
    <body>
      <trans-unit id="1"><source>{SEED_SOURCE}</source></trans-unit>
      <trans-unit id="2"><source>Something else entirely.</source></trans-unit>
    </body>
  </file>
</xliff>
"#
        ),
    )
    .unwrap();
    let got = server.post_with("/api/v1/pretranslate", &std::fs::read(&doc).unwrap(), None);
    assert_eq!(got.status, 200, "{}", got.body);
    let out = tm_cmd(&tm).arg("pretranslate").arg(&doc).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(got.body, String::from_utf8(out.stdout).unwrap());
    assert!(got.body.contains("Путин обсудит ситуацию"));
    assert_eq!(got.header("x-bitext-filled"), Some("1 0"));
    assert_eq!(got.header("x-bitext-segments"), Some("2"));
    // A text: made XLIFF, then filled.
    let got = server.post_with(
        "/api/v1/pretranslate?format=text&src=en&tgt=ru",
        format!("{SEED_SOURCE}\n\nAnother paragraph.\n").as_bytes(),
        None,
    );
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.body.contains("<target state=\"translated\""),
        "{}",
        got.body
    );
    // Align: the CLI's beads, and the self-check.
    let (en, ru) = (repo("samples/en.txt"), repo("samples/ru.txt"));
    let cli = cli_json(
        &tm,
        &[
            "align",
            en.to_str().unwrap(),
            ru.to_str().unwrap(),
            "-s",
            "en",
            "-t",
            "ru",
            "-f",
            "jsonl",
        ],
    );
    let body = json!({
        "source_text": std::fs::read_to_string(&en).unwrap(),
        "target_text": std::fs::read_to_string(&ru).unwrap(),
        "src": "en", "tgt": "ru",
    });
    let got = server.post("/api/v1/align", &body);
    assert_eq!(got.status, 200, "{}", got.body);
    let got = got.json();
    assert_eq!(got["beads"].as_array().unwrap(), &cli);
    assert!(got["check"]["pairs"].as_u64().unwrap() > 3);
    // An anchor the user fixed: kept, and the rest aligned around it.
    let mut anchored = body.clone();
    anchored["anchors"] = json!([[2, 3]]);
    let got = server.post("/api/v1/align", &anchored).json();
    let fixed: Vec<&Value> = got["beads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["fixed"] == true)
        .collect();
    assert_eq!(fixed.len(), 1);
    assert_eq!(
        (fixed[0]["src"].clone(), fixed[0]["tgt"].clone()),
        (json!([2]), json!([3]))
    );
    // Whole beads as anchors: a 2-1 bead, a source sentence without counterpart, a
    // target sentence without counterpart, and the older pair form beside them. Each
    // comes back as it was sent, marked fixed, and nothing else is.
    let range = |start: usize, end: usize| json!({"start": start, "end": end});
    anchored["anchors"] = json!([
        {"src": range(0, 2), "tgt": range(0, 1)},
        {"src": range(2, 3), "tgt": range(1, 1)},
        {"src": range(3, 3), "tgt": range(1, 2)},
        [5, 4],
    ]);
    let got = server.post("/api/v1/align", &anchored);
    assert_eq!(got.status, 200, "{}", got.body);
    let got = got.json();
    let fixed: Vec<(Value, Value)> = got["beads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["fixed"] == true)
        .map(|b| (b["src"].clone(), b["tgt"].clone()))
        .collect();
    assert_eq!(
        fixed,
        [
            (json!([0, 1]), json!([0])),
            (json!([2]), json!([])),
            (json!([]), json!([1])),
            (json!([5]), json!([4])),
        ]
    );
    let beads = got["beads"].as_array().unwrap();
    assert_eq!(beads[0]["score"], 1.0);
    assert_eq!(
        beads[0]["source"].as_str().unwrap(),
        format!(
            "{} {}",
            got["source_sentences"][0].as_str().unwrap(),
            got["source_sentences"][1].as_str().unwrap()
        )
    );
    // Convert reviewed pairs to each format; the XLIFF reads back as the pairs.
    let units = json!({"units": [
        {"source": "A & B <1>", "target": "А и Б <1>", "src": "en", "tgt": "ru"},
        {"source": "Second.", "target": "Второе.", "src": "en", "tgt": "ru", "note": "checked"},
    ]});
    for to in ["tmx", "tsv", "csv", "jsonl", "xliff"] {
        let got = server.post(&format!("/api/v1/convert?to={to}"), &units);
        assert_eq!(got.status, 200, "{to}: {}", got.body);
        let ext = if to == "xliff" { "xlf" } else { to };
        let file = dir.path().join(format!("units.{ext}"));
        std::fs::write(&file, &got.body).unwrap();
        let back = tm_cmd(&tm)
            .args(["convert"])
            .arg(&file)
            .args(["-", "-f", "jsonl", "--simple", "-s", "en", "-t", "ru"])
            .output()
            .unwrap();
        assert!(
            back.status.success(),
            "{to}: {}",
            String::from_utf8_lossy(&back.stderr)
        );
        let records = json_lines(&back.stdout);
        assert_eq!(records.len(), 2, "{to}");
        assert_eq!(records[0]["source"], "A & B <1>", "{to}");
        assert_eq!(records[0]["target"], "А и Б <1>", "{to}");
        assert_eq!(records[1]["target"], "Второе.", "{to}");
    }
}

#[test]
fn tmserver_clients_get_what_weblate_reads() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    // A pair with a slash and a regional variant, as Weblate sends them.
    tm_cmd(&tm)
        .args([
            "add",
            "Open the a/b file.",
            "Откройте файл a/b.",
            "-s",
            "en-US",
            "-t",
            "pt-BR",
        ])
        .assert()
        .success();
    let server = Server::start(&tm, Some(TOKEN), &[]);
    // Weblate's download_languages: GET {base}/languages/ with the trailing slash.
    let langs = server.get("/tmserver/languages/").json();
    let sources: Vec<&str> = langs["sourceLanguages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for code in ["en", "en_us", "pt", "pt_br", "ru"] {
        assert!(sources.contains(&code), "{code} in {sources:?}");
    }
    assert_eq!(langs["sourceLanguages"], langs["targetLanguages"]);
    // Weblate's download_translations: the text quoted with safe="" (a '/' is %2F),
    // languages lowercased with '_'.
    let text = "Open the a/b file.";
    let url = format!("/tmserver/en_us/pt_br/unit/{}", enc(text));
    assert!(url.contains("%2F"));
    let answer = server.get(&url);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let payload = answer.json();
    let mut kept = Vec::new();
    for line in payload.as_array().unwrap() {
        let quality = line["quality"].as_u64().expect("quality is an int");
        assert!(quality <= 100);
        if quality < 75 {
            continue;
        }
        kept.push((
            line["target"].as_str().unwrap().to_string(),
            line["source"].as_str().unwrap().to_string(),
        ));
        assert!(line.get("context").is_some());
    }
    assert_eq!(kept, [("Откройте файл a/b.".to_string(), text.to_string())]);
    assert_eq!(payload[0]["quality"], 100);
    // A base language finds its variants (as `lookup -s en -t pt` does).
    let answer = server
        .get(&format!("/tmserver/en/pt/unit/{}", enc(text)))
        .json();
    assert_eq!(answer[0]["target"], "Откройте файл a/b.");
    assert!(answer[0]["quality"].as_u64().unwrap() >= 98);
    // No match, or a pair the memory lacks: an empty list, not an error.
    assert_eq!(
        server.get("/tmserver/en/ru/unit/zzz%20qqq").json(),
        json!([])
    );
    assert_eq!(server.get("/tmserver/de/fr/unit/Hallo").json(), json!([]));
    // The tmserver POST stores a pair (with the token).
    let body = json!({"source": "Save as", "target": "Сохранить как"}).to_string();
    let refused = server.post_with("/tmserver/en/ru/unit/Save%20as", body.as_bytes(), None);
    refused.error(401);
    let stored = server.post_token("/tmserver/en/ru/unit/Save%20as", body.as_bytes());
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.json()["action"], "inserted");
    let found = server.get("/tmserver/en/ru/unit/Save%20as").json();
    assert_eq!(found[0]["target"], "Сохранить как");
}

#[test]
fn mymemory_clients_get_what_weblate_reads() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, None, &[]);
    // As Weblate's MyMemory backend asks: q, langpair with '|', de/user/key.
    let q = SEED_SOURCE.replace("CSTO ", "");
    let answer = server.get(&format!(
        "/get?q={}&langpair=en%7Cru&de=a%40b.c&user=u&key=k",
        enc(&q)
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let response = answer.json();
    assert_eq!(response["responseStatus"], 200);
    assert_eq!(response["responseDetails"], "");
    let matches = response["matches"].as_array().unwrap();
    assert!(!matches.is_empty());
    for m in matches {
        // Weblate's format_match: int(100 * match), and these keys must exist.
        let quality = (100.0 * m["match"].as_f64().unwrap()) as u64;
        assert!((50..=100).contains(&quality));
        assert!(m["translation"].is_string() && m["segment"].is_string());
        assert!(m.get("last-updated-by").is_some() && m.get("reference").is_some());
        for key in [
            "quality",
            "created-by",
            "create-date",
            "last-update-date",
            "usage-count",
        ] {
            assert!(m.get(key).is_some(), "{key}");
        }
    }
    assert_eq!(matches[0]["segment"], SEED_SOURCE);
    assert_eq!(
        response["responseData"]["translatedText"],
        matches[0]["translation"]
    );
    assert_eq!(response["responseData"]["match"], matches[0]["match"]);
    // MyMemory's own path too.
    assert_eq!(
        server
            .get(&format!("/api/get?q={}&langpair=en|ru", enc(&q)))
            .json()["matches"],
        response["matches"]
    );
    // A bad request: the status in the body too, and not 403/429 (Weblate backs off).
    let bad = server.get("/get?q=Hello&langpair=english");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["responseStatus"], 400);
    assert!(bad.json()["responseDetails"]
        .as_str()
        .unwrap()
        .contains("en|ru"));
}

#[test]
fn writes_need_the_token_and_a_writable_memory() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let unit =
        json!({"units": [{"source": "Yes", "target": "Да", "src": "en", "tgt": "ru"}]}).to_string();
    {
        // No token configured: read-only, said at start and on each write.
        let server = Server::start(&tm, None, &[]);
        let message = server
            .post_token("/api/v1/units", unit.as_bytes())
            .error(403);
        assert!(message.contains("read-only"), "{message}");
        assert!(server.log.lock().unwrap().contains("read-only"));
        assert_eq!(server.get("/api/v1/stats").status, 200);
    }
    {
        let server = Server::start(&tm, Some(TOKEN), &[]);
        let missing = server.post_with("/api/v1/units", unit.as_bytes(), None);
        missing.error(401);
        assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
        server
            .post_with(
                "/api/v1/units",
                unit.as_bytes(),
                Some("wrong-token-0123456789"),
            )
            .error(401);
        server.post_with("/api/v1/import", b"x", None).error(401);
        assert_eq!(
            server.post_token("/api/v1/units", unit.as_bytes()).status,
            200
        );
        // Reads are open.
        assert_eq!(server.get("/api/v1/lookup?q=Yes&src=en&tgt=ru").status, 200);
    }
    {
        // --read-token: reads need it too.
        let server = Server::start(&tm, Some(TOKEN), &["--read-token"]);
        server.get("/api/v1/lookup?q=Yes&src=en&tgt=ru").error(401);
        server.get("/tmserver/en/ru/unit/Yes").error(401);
        let ok = server.get_with("/api/v1/lookup?q=Yes&src=en&tgt=ru", Some(TOKEN));
        assert_eq!(ok.json()["matches"][0]["target"]["text"], "Да");
    }
    {
        // A memory whose file is read-only: reads served, writes refused.
        let mut perms = std::fs::metadata(&tm).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&tm, perms.clone()).unwrap();
        let server = Server::start(&tm, Some(TOKEN), &[]);
        let message = server
            .post_token("/api/v1/units", unit.as_bytes())
            .error(403);
        assert!(message.contains("read-only"), "{message}");
        assert_eq!(
            server.get("/api/v1/lookup?q=Yes&src=en&tgt=ru").json()["matches"][0]["target"]["text"],
            "Да"
        );
        assert_eq!(server.get("/api/v1/stats").json()["writable"], false);
        drop(server);
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&tm, perms).unwrap();
    }
    // The token is never a command-line value.
    tm_cmd(&tm)
        .args(["serve", "--token", TOKEN])
        .assert()
        .failure();
    let short = dir.path().join("short");
    std::fs::write(&short, "abc\n").unwrap();
    let out = tm_cmd(&tm)
        .args(["serve", "--listen", "127.0.0.1:0", "--token-file"])
        .arg(&short)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16"));
}

#[test]
fn bad_requests_get_json_errors_not_500() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(
        &tm,
        Some(TOKEN),
        &[
            "--max-body",
            "2000",
            "--max-query",
            "3000",
            "--max-import",
            "5000",
        ],
    );
    let cases: Vec<(Answer, u16, &str)> = vec![
        (server.get("/api/v1/lookup"), 400, "missing field `q`"),
        (server.get("/api/v1/lookup?q=x&min=abc"), 400, "min"),
        (server.get("/api/v1/lookup?q=x&min=0"), 400, "1-101"),
        (server.get("/api/v1/lookup?q=x&limit=0"), 400, "0 would show nothing"),
        (server.get("/api/v1/lookup?q=x&src=eng&tgt=ru"), 400, "use en"),
        (server.get("/api/v1/lookup?q=x&src=de&tgt=fr"), 400, "the memory holds no de -> fr units"),
        (server.get("/api/v1/lookup?q=x&src=en&tgt=en"), 400, "both en"),
        (server.get("/api/v1/lookup?q=x&bogus=1"), 400, "unknown field `bogus`"),
        (server.get("/api/v1/concordance?q=x&src=de"), 400, "holds no de texts"),
        (server.get("/api/v1/export?format=xliff"), 400, "exported as"),
        (server.get("/api/v1/export?format=doc"), 400, "expected one of"),
        (server.post("/api/v1/lookup", &json!({"queries": "x"})), 400, "not the JSON expected"),
        (server.post_with("/api/v1/lookup", b"{not json", None), 400, "not the JSON expected"),
        (server.post("/api/v1/align", &json!({"source_text": "A.", "target_text": "B."})), 400, "src is required"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": [[1, 0], [0, 1]]})), 400, "anchors[1] (source 0, target 1) crosses anchors[0] (source 1, target 0)"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB\nE", "target_text": "C\nD", "segmented": true, "anchors": [{"src": {"start": 0, "end": 2}, "tgt": {"start": 0, "end": 1}}, {"src": {"start": 1, "end": 2}, "tgt": {"start": 1, "end": 2}}]})), 400, "anchors[1] (source 1, target 1) overlaps anchors[0] (source 0-1, target 0)"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": [[1, 1], [0, 0]]})), 400, "anchors[1] (source 0, target 0) is out of order"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": [{"src": {"start": 1, "end": 3}, "tgt": {"start": 1, "end": 1}}]})), 400, "anchors[0] (source 1-2, no target (before target 1)) lies beyond the documents: they have 2 source and 2 target sentences"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": [[0, 0], {"src": [1, 2], "tgt": [1, 2]}]})), 400, "anchors[1]: \"src\" must be a range"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": [[0, -1]]})), 400, "anchors[0]: the target sentence must be a sentence index"),
        (server.post("/api/v1/align", &json!({"source_text": "A\nB", "target_text": "C\nD", "segmented": true, "anchors": ["0-0"]})), 400, "anchors[0] is not an anchor"),
        (server.post("/api/v1/align", &json!({"source_text": "", "target_text": "C", "segmented": true})), 400, "no sentence"),
        (server.post("/api/v1/convert?to=tmx", &json!({"units": []})), 400, "nothing to convert"),
        (server.post("/api/v1/convert?to=xliff", &json!({"units": [{"source": "a", "target": "b", "src": "en", "tgt": "ru"}, {"source": "a", "target": "b", "src": "en", "tgt": "de"}]})), 400, "one language pair"),
        (server.post_with("/api/v1/pretranslate", b"", None), 400, "empty"),
        (server.post_with("/api/v1/pretranslate", b"<xliff", None), 400, ""),
        (server.post_with("/api/v1/pretranslate?format=doc", b"x", None), 400, "expected xliff or text"),
        (server.post_token("/api/v1/units", b"{\"units\": [{\"source\": \"a\", \"target\": \"b\", \"src\": \"en\", \"tgt\": \"english\"}]}"), 400, "units[0]"),
        (server.post_token("/api/v1/import?format=tmx", b"\x00\x01binary"), 400, "binary"),
        (server.post_token("/api/v1/import", b""), 400, "empty"),
        (server.post_token("/api/v1/import?format=tsv&skip_invalid=maybe", b"a\tb"), 400, "skip_invalid"),
        (server.get("/no/such/route"), 404, "no such route"),
        (server.post("/api/v1/stats", &json!({})), 405, "not allowed"),
        (server.get("/tmserver/english!/ru/unit/x"), 400, "src"),
        // Limits: the body, the request target, an import.
        (server.post("/api/v1/lookup", &json!({"queries": ["x".repeat(3000)]})), 413, ""),
        (server.get(&format!("/api/v1/lookup?q={}", "x".repeat(3000))), 414, "at most 3000"),
        (server.post_token("/api/v1/import?format=tsv", "a\tb\n".repeat(2000).as_bytes()), 413, "--max-import"),
    ];
    for (i, (answer, status, wording)) in cases.iter().enumerate() {
        let message = answer.error(*status);
        assert!(
            message.contains(wording),
            "case {i}: {message:?} lacks {wording:?}"
        );
    }
    // Nothing was stored by any of them.
    assert_eq!(server.get("/api/v1/stats").json()["units"], 25);
    assert!(!server.log.lock().unwrap().contains("panicked"));
}

#[test]
fn openapi_cors_and_timeouts() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, None, &[]);
    let doc = server.get("/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/lookup",
        "/api/v1/import",
        "/tmserver/{src}/{tgt}/unit/{text}",
        "/get",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    // CORS is off: no header, whatever the origin.
    let answer = Server::answer(
        server
            .agent
            .get(server.url("/api/v1/stats"))
            .header("Origin", "https://example.org")
            .call()
            .unwrap(),
    );
    assert_eq!(answer.header("access-control-allow-origin"), None);
    drop(server);
    let server = Server::start(
        &tm,
        None,
        &["--cors-origin", "https://example.org", "--timeout", "0.001"],
    );
    let answer = Server::answer(
        server
            .agent
            .get(server.url("/openapi.json"))
            .header("Origin", "https://example.org")
            .call()
            .unwrap(),
    );
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    // Aligning two texts takes longer than a millisecond.
    let body = json!({
        "source_text": std::fs::read_to_string(repo("samples/en.txt")).unwrap(),
        "target_text": std::fs::read_to_string(repo("samples/ru.txt")).unwrap(),
        "src": "en", "tgt": "ru",
    });
    let slow = server.post("/api/v1/align", &body);
    let message = slow.error(504);
    assert!(
        message.contains("longer than the server's limit of 0.001 s"),
        "{message}"
    );
}

#[test]
fn sigterm_stops_the_server_after_its_requests_with_the_memory_intact() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let mut server = Server::start(&tm, Some(TOKEN), &[]);
    let unit = json!({"units": [{"source": "Stop here.", "target": "Остановитесь здесь.", "src": "en", "tgt": "ru"}]}).to_string();
    assert_eq!(
        server.post_token("/api/v1/units", unit.as_bytes()).status,
        200
    );
    // An import in flight when the signal comes is finished, not cut.
    let tsv: String = (0..3000)
        .map(|i| format!("Line number {i} of the test.\tСтрока номер {i} теста.\n"))
        .collect();
    let importer = import_in_background(&server, tsv);
    std::thread::sleep(Duration::from_millis(150));
    let status = server.stop();
    assert!(status.success(), "{status}: {}", server.log.lock().unwrap());
    let imported = importer.join().unwrap();
    let units = cli_json(&tm, &["stats", "-f", "jsonl"])[0]["units"]
        .as_u64()
        .unwrap();
    // Either the import was answered and is all there, or it was refused before it
    // started: never half of it.
    match imported {
        Ok(200) => assert_eq!(units, 26 + 3000),
        _ => assert!(units == 26 || units == 26 + 3000, "{units}"),
    }
    let out = tm_cmd(&tm)
        .args(["lookup", "Stop here.", "-s", "en", "-t", "ru"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Остановитесь здесь."));
    assert!(server.log.lock().unwrap().contains("stopped"));
}

/// A request that times out has its answer (504) and its work stopped: a batch of
/// lookups that would take far longer than the limit is interrupted on its blocking
/// thread, and says so in the log, rather than running to its end for nobody.
#[test]
fn a_timed_out_request_is_stopped() {
    let dir = tempdir();
    let tm = numbered_memory(dir.path(), 3000);
    let server = Server::start(&tm, None, &["--timeout", "0.001"]);
    // A thousand lookups take well over a millisecond.
    let queries: Vec<String> = (0..1000)
        .map(|i| format!("Line number {} of a test, with more words.", i * 3))
        .collect();
    let slow = server.post(
        "/api/v1/lookup",
        &json!({"queries": queries, "src": "en", "tgt": "ru"}),
    );
    let message = slow.error(504);
    assert!(
        message.contains("longer than the server's limit of 0.001 s"),
        "{message}"
    );
    let start = Instant::now();
    let stopped = "the work of a request that timed out or whose client left was stopped";
    while !server.log.lock().unwrap().contains(stopped) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the timed-out batch was not stopped:\n{}",
            server.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A write's answer says what happened: units added while an import holds the
/// writer far longer than the limit are answered 504 and are then not in the memory
/// (they were not added behind the client's back once the import ended); those
/// answered 200 are. The import itself is all there.
#[test]
fn a_write_that_timed_out_is_not_done() {
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, Some(TOKEN), &["--timeout", "0.2"]);
    let lines = 60_000;
    let tsv: String = (0..lines)
        .map(|i| format!("Imported line {i} of the test.\tИмпортированная строка {i} теста.\n"))
        .collect();
    let importer = import_in_background(&server, tsv);
    let mut statuses = Vec::new();
    while !importer.is_finished() {
        let k = statuses.len();
        let unit = json!({"units": [{"source": format!("Probe number {k}."), "target": format!("Проба номер {k}."), "src": "en", "tgt": "ru"}]});
        let answer = server.post_token("/api/v1/units", unit.to_string().as_bytes());
        if answer.status == 504 {
            let message = answer.error(504);
            assert!(message.contains("server's limit of 0.2 s"), "{message}");
        } else {
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        statuses.push(answer.status);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(importer.join().unwrap().unwrap(), 200);
    let added = statuses.iter().filter(|&&s| s == 200).count();
    let timed_out = statuses.len() - added;
    assert!(
        timed_out > 0,
        "no write waited past its limit behind the import: {statuses:?}"
    );
    // Writes answered 504 may still be on their way when the import ends: wait for
    // what a write done behind the client's back would have added.
    std::thread::sleep(Duration::from_millis(500));
    let units = server.get("/api/v1/stats").json()["units"]
        .as_u64()
        .unwrap();
    assert_eq!(
        units as usize,
        25 + lines + added,
        "{added} writes answered 200 and {timed_out} answered 504"
    );
    assert!(server
        .log
        .lock()
        .unwrap()
        .contains("a write waited for another (an import?) until its limit and was not done"));
}

/// An import whose client leaves before the answer is stopped and rolled back: the
/// client cannot know it happened, so it did not.
#[test]
fn an_import_whose_client_left_is_rolled_back() {
    use std::io::Write as _;
    let dir = tempdir();
    let tm = seed_memory(dir.path());
    let server = Server::start(&tm, Some(TOKEN), &[]);
    let body: String = (0..200_000)
        .map(|i| format!("Imported line {i} of the test.\tИмпортированная строка {i} теста.\n"))
        .collect();
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/v1/import?format=tsv&src=en&tgt=ru HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    // The import of 200,000 lines takes seconds: leave while it runs.
    std::thread::sleep(Duration::from_millis(300));
    drop(stream);
    let start = Instant::now();
    let stopped = "a write that timed out or whose client left was stopped and rolled back";
    while !server.log.lock().unwrap().contains(stopped) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the import was not stopped:\n{}",
            server.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.get("/api/v1/stats").json()["units"], 25);
}

/// Posts `tsv` (en-ru) to the server's import on a thread of its own: the status.
fn import_in_background(
    server: &Server,
    tsv: String,
) -> std::thread::JoinHandle<Result<u16, ureq::Error>> {
    let base = server.base.clone();
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(format!("{base}/api/v1/import?format=tsv&src=en&tgt=ru"))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .send(tsv.as_bytes())
            .map(|r| r.status().as_u16())
    })
}

/// A memory of `n` numbered en-ru pairs, made with the CLI.
fn numbered_memory(dir: &Path, n: usize) -> PathBuf {
    let tm = dir.join("memory.sqlite");
    let tsv_path = dir.join("lines.tsv");
    let tsv: String = (0..n)
        .map(|i| {
            format!(
                "Line number {i} of the test, with some more words to make it longer.\t\
                 Строка номер {i} теста, с другими словами, чтобы она была длиннее.\n"
            )
        })
        .collect();
    std::fs::write(&tsv_path, tsv).unwrap();
    tm_cmd(&tm)
        .args(["import", "-s", "en", "-t", "ru"])
        .arg(&tsv_path)
        .assert()
        .success();
    tm
}

/// An export far larger than the stream's buffers is answered whole: the export runs
/// beside the streaming answer, not before it (which waited for ever once the
/// buffers were full).
#[test]
fn a_large_export_streams_whole() {
    let dir = tempdir();
    let tm = numbered_memory(dir.path(), 8000);
    let server = Server::start(&tm, None, &[]);
    let got = server.get("/api/v1/export?format=tsv");
    assert_eq!(got.status, 200, "{}", &got.body[..got.body.len().min(300)]);
    assert!(got.body.len() > 1_000_000, "{}", got.body.len());
    assert_eq!(
        got.body
            .lines()
            .filter(|l| l.contains("Line number"))
            .count(),
        8000
    );
    assert!(got.body.contains("Line number 7999 of the test"));
}
