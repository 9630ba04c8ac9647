// bitext page: the alignment review — beads side by side with their scores, fixed by
// mouse or keys, re-aligned around the fixed ones, then stored or downloaded.
//
// The model: the two sides' sentences, and the beads as counts of consecutive
// sentences (`ns` source, `nt` target), so that every edit keeps the alignment
// monotone and covering both texts by construction.
"use strict";

(() => {
  const { token, setToken, post, el, status, joinSentences, download, readFile, showStats } = Bitext;
  const LOW_SCORE = 0.5; // the self-check's "low" line (src/align/check.rs)

  const state = {
    src: [], // source sentences
    tgt: [], // target sentences
    srcLang: "",
    tgtLang: "",
    beads: [], // {ns, nt, score (null when fixed by hand), fixed}
    suspect: [], // self-check stretches: {src: [a, b), tgt: [a, b)}
    selected: 0,
    undo: [],
  };

  const beadsBox = document.getElementById("beads");

  // ---- loading ---------------------------------------------------------------

  /** A bead side as a count: a list of ids, or a range {start, end} / [start, end). */
  function countOf(side) {
    if (Array.isArray(side)) return side.length;
    if (side && typeof side === "object") return side.end - side.start;
    return 0;
  }

  function rangeOf(r) {
    if (Array.isArray(r)) return r;
    return [r.start, r.end];
  }

  /** One side's text as sentences the way the aligner reads --segmented input. */
  function lines(text) {
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "");
  }

  // Where a sentence may end inside a bead's joined text: terminal punctuation and
  // closing quotes, then the joining space (or nothing, in Chinese and Japanese).
  const SENTENCE_END = /[.!?…。！？]["'”’»)\]」』]*( |(?=[^\s"'”’»)\]」』]))/gu;

  /**
   * Splits a bead side's joined text back into `k` sentences (an `align -f jsonl`
   * file keeps only the joined text). Cuts go at sentence ends followed by no
   * lower-case letter, the latest ones first; `null` when there are too few.
   */
  function splitJoined(text, k) {
    if (k <= 1) return [text];
    const cuts = [];
    for (const m of text.matchAll(SENTENCE_END)) {
      const at = m.index + m[0].length;
      if (at >= text.length || /\p{Ll}/u.test(text[at])) continue;
      cuts.push({ end: m.index + m[0].length - m[1].length, next: at });
    }
    if (cuts.length < k - 1) return null;
    const chosen = cuts.slice(cuts.length - (k - 1));
    const out = [];
    let at = 0;
    for (const c of chosen) {
      out.push(text.slice(at, c.end));
      at = c.next;
    }
    out.push(text.slice(at));
    return out;
  }

  /**
   * Reads beads as the API and `align -f jsonl` give them. Sentences come from
   * `sentences` (when the caller has them) or are recovered from the beads' texts.
   */
  function loadBeads(beads, sentences, check) {
    const src = [];
    const tgt = [];
    const model = [];
    let guessed = 0;
    for (const b of beads) {
      let ns = countOf(b.src);
      let nt = countOf(b.tgt);
      if (!sentences) {
        for (const [side, n, text, out] of [
          ["src", ns, b.source, src],
          ["tgt", nt, b.target, tgt],
        ]) {
          if (n === 0) continue;
          let parts = splitJoined(text || "", n);
          if (parts === null) {
            parts = [text || ""]; // cannot tell them apart: keep them as one
            guessed++;
            if (side === "src") ns = 1;
            else nt = 1;
          }
          out.push(...parts);
        }
      }
      model.push({ ns, nt, score: typeof b.score === "number" ? b.score : null, fixed: Boolean(b.fixed || b.anchor) });
    }
    state.src = sentences ? sentences.src : src;
    state.tgt = sentences ? sentences.tgt : tgt;
    state.beads = model;
    state.suspect = ((check && check.suspect) || []).map((s) => ({ src: rangeOf(s.src), tgt: rangeOf(s.tgt) }));
    state.selected = Math.min(state.selected, Math.max(0, model.length - 1));
    const totalS = model.reduce((n, b) => n + b.ns, 0);
    const totalT = model.reduce((n, b) => n + b.nt, 0);
    if (totalS !== state.src.length || totalT !== state.tgt.length) {
      throw new Error(
        `the beads cover ${totalS} source and ${totalT} target sentences, the texts have ${state.src.length} and ${state.tgt.length}`,
      );
    }
    return guessed;
  }

  /** The sentences of an align answer, if it gives them (under any of the obvious names). */
  function sentencesOf(answer) {
    const s = answer.sentences;
    const src = answer.source_sentences || (s && (s.source || s.src));
    const tgt = answer.target_sentences || (s && (s.target || s.tgt));
    return Array.isArray(src) && Array.isArray(tgt) ? { src, tgt } : null;
  }

  async function align(request) {
    status("review-status", "Aligning…");
    const answer = await (await post("/api/v1/align", request)).json();
    let sentences = sentencesOf(answer);
    if (!sentences && request.segmented) {
      sentences = { src: lines(request.source_text), tgt: lines(request.target_text) };
    }
    return { answer, sentences };
  }

  function checkMessage(check) {
    if (!check) return "";
    const parts = [];
    if (check.suspect && check.suspect.length) {
      parts.push(`the self-check flags ${check.suspect.length} stretch(es) that look unrelated`);
    }
    if (typeof check.low_score_share === "number") {
      parts.push(`${Math.round(100 * check.low_score_share)} % of the pairs score below ${LOW_SCORE}`);
    }
    return parts.join("; ");
  }

  document.getElementById("align-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = {
      source_text: document.getElementById("align-src-text").value,
      target_text: document.getElementById("align-tgt-text").value,
      src: document.getElementById("align-src-lang").value.trim(),
      tgt: document.getElementById("align-tgt-lang").value.trim(),
      segmented: document.getElementById("align-segmented").checked,
      anchors: [],
    };
    if (!request.source_text.trim() || !request.target_text.trim()) {
      status("review-status", "Give both texts (paste them or choose the files).", true);
      return;
    }
    try {
      const { answer, sentences } = await align(request);
      state.srcLang = request.src;
      state.tgtLang = request.tgt;
      state.undo = [];
      state.selected = 0;
      const guessed = loadBeads(answer.beads || [], sentences, answer.check);
      document.getElementById("review-input").open = false;
      const check = checkMessage(answer.check);
      status(
        "review-status",
        `Aligned: ${state.beads.length} beads.${check ? ` ${check}.` : ""}${guessed ? " Some sentences could not be told apart." : ""}`,
      );
      show();
    } catch (e) {
      status("review-status", `Could not align: ${e.message}`, true);
    }
  });

  for (const side of ["src", "tgt"]) {
    document.getElementById(`align-${side}-file`).addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      try {
        document.getElementById(`align-${side}-text`).value = await readFile(file);
        if (/\.sent$/i.test(file.name)) document.getElementById("align-segmented").checked = true;
      } catch (e) {
        status("review-status", e.message, true);
      }
    });
  }

  /**
   * An alignment file: `bitext align -f jsonl` (one bead a line) or one JSON object
   * with `beads` (what the API answers). Throws naming the line of a bad bead.
   */
  function parseAlignment(text, name) {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") && !trimmed.includes("\n{")) {
      const whole = JSON.parse(trimmed);
      if (Array.isArray(whole.beads)) return whole;
    }
    const beads = [];
    trimmed.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      let bead;
      try {
        bead = JSON.parse(line);
      } catch (e) {
        throw new Error(`${name} line ${i + 1}: not JSON (${e.message})`);
      }
      if (!bead || bead.src === undefined || bead.tgt === undefined) {
        throw new Error(`${name} line ${i + 1}: not a bead (no "src" and "tgt"): is it \`bitext align -f jsonl\` output?`);
      }
      beads.push(bead);
    });
    return { beads };
  }

  document.getElementById("align-output-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const alignment = parseAlignment(await readFile(file), file.name);
      state.srcLang = document.getElementById("align-src-lang").value.trim() || alignment.src || "";
      state.tgtLang = document.getElementById("align-tgt-lang").value.trim() || alignment.tgt || "";
      state.undo = [];
      state.selected = 0;
      const guessed = loadBeads(alignment.beads, sentencesOf(alignment), alignment.check);
      document.getElementById("review-input").open = false;
      status(
        "review-status",
        `Opened ${file.name}: ${state.beads.length} beads.` +
          (guessed ? ` In ${guessed} bead side(s) the sentences could not be told apart; they stay together.` : ""),
      );
      show();
    } catch (e) {
      status("review-status", `Could not open ${file.name}: ${e.message}`, true);
    }
  });

  // ---- editing -----------------------------------------------------------------

  function snapshot() {
    state.undo.push(JSON.stringify({ beads: state.beads, selected: state.selected }));
    if (state.undo.length > 200) state.undo.shift();
  }

  function touch(...beads) {
    for (const b of beads) {
      b.fixed = true;
      b.score = null;
    }
  }

  /** Drops beads left with no sentence on either side. */
  function prune() {
    state.beads = state.beads.filter((b) => b.ns + b.nt > 0);
    state.selected = Math.max(0, Math.min(state.selected, state.beads.length - 1));
  }

  // Each edit returns a message when it cannot be done (nothing changes then).
  const edits = {
    merge() {
      const k = state.selected;
      const b = state.beads[k];
      const next = state.beads[k + 1];
      if (!next) return "the last bead has no next one to merge with";
      b.ns += next.ns;
      b.nt += next.nt;
      state.beads.splice(k + 1, 1);
      touch(b);
    },
    split() {
      const k = state.selected;
      const b = state.beads[k];
      const first = { ns: Math.min(1, b.ns), nt: Math.min(1, b.nt) };
      const rest = { ns: b.ns - first.ns, nt: b.nt - first.nt };
      if (rest.ns + rest.nt === 0) return "a bead of one sentence a side cannot be split (mark it as no pair instead)";
      const a = { ...first, score: null, fixed: true };
      const c = { ...rest, score: null, fixed: true };
      state.beads.splice(k, 1, a, c);
    },
    move(side, up) {
      const k = state.selected;
      const key = side === "src" ? "ns" : "nt";
      const b = state.beads[k];
      if (b[key] === 0) return `the bead has no ${side === "src" ? "source" : "target"} sentence to move`;
      if (up) {
        if (k === 0) return "the first bead has no previous one";
        state.beads[k - 1][key] += 1;
        b[key] -= 1;
        touch(state.beads[k - 1], b);
        if (b.ns + b.nt === 0) state.selected = k - 1;
      } else {
        if (k === state.beads.length - 1) state.beads.push({ ns: 0, nt: 0, score: null, fixed: true });
        state.beads[k + 1][key] += 1;
        b[key] -= 1;
        touch(state.beads[k + 1], b);
      }
      prune();
    },
    nopair() {
      const k = state.selected;
      const b = state.beads[k];
      if (b.ns === 0 || b.nt === 0) return "the bead has no pair already";
      state.beads.splice(
        k,
        1,
        { ns: b.ns, nt: 0, score: null, fixed: true },
        { ns: 0, nt: b.nt, score: null, fixed: true },
      );
    },
  };

  function apply(op) {
    if (op === "undo") {
      const last = state.undo.pop();
      if (!last) return status("review-status", "Nothing to undo.", true);
      Object.assign(state, JSON.parse(last));
      status("review-status", "Undone.");
      return show();
    }
    if (op === "realign") return realign();
    if (state.beads.length === 0) return;
    const before = JSON.stringify({ beads: state.beads, selected: state.selected });
    snapshot();
    const [name, arg] = op.split("-");
    const refused = name === "src" || name === "tgt" ? edits.move(name, arg === "up") : edits[name]();
    if (refused) {
      state.undo.pop();
      Object.assign(state, JSON.parse(before));
      status("review-status", `Cannot do that: ${refused}.`, true);
    } else {
      status("review-status", "");
    }
    show();
  }

  // ---- re-aligning around the fixed beads ------------------------------------

  /** Where each bead starts: [source index, target index]. */
  function starts() {
    let s = 0;
    let t = 0;
    return state.beads.map((b) => {
      const at = [s, t];
      s += b.ns;
      t += b.nt;
      return at;
    });
  }

  /**
   * Every bead fixed by hand, as an anchor: its source and target sentences as
   * ranges ({start, end}, end excluded; an empty side keeps its place). The server
   * keeps each as a bead of its own and aligns the text between two anchors on its own.
   */
  function anchors() {
    const at = starts();
    return state.beads.flatMap((b, k) => {
      if (!b.fixed) return [];
      const [s, t] = at[k];
      return [{ src: { start: s, end: s + b.ns }, tgt: { start: t, end: t + b.nt } }];
    });
  }

  async function realign() {
    if (!state.beads.length) return;
    if (!state.srcLang || !state.tgtLang) {
      status("review-status", "Give both languages above before re-aligning.", true);
      return;
    }
    const fixed = anchors();
    const request = {
      source_text: state.src.join("\n"),
      target_text: state.tgt.join("\n"),
      src: state.srcLang,
      tgt: state.tgtLang,
      segmented: true,
      anchors: fixed,
    };
    let answer;
    try {
      ({ answer } = await align(request));
    } catch (e) {
      status("review-status", `Could not re-align: ${e.message}`, true);
      return;
    }
    const before = JSON.stringify({ beads: state.beads, selected: state.selected });
    const suspect = state.suspect;
    try {
      // The server marks the anchors' beads `fixed`: each comes back whole.
      loadBeads(answer.beads || [], { src: state.src, tgt: state.tgt }, answer.check);
      const kept = state.beads.filter((b) => b.fixed).length;
      if (kept !== fixed.length) throw new Error(`the server kept ${kept} of the ${fixed.length} fixed beads`);
      state.undo.push(before);
    } catch (e) {
      Object.assign(state, JSON.parse(before));
      state.suspect = suspect;
      status("review-status", `Could not re-align: ${e.message}`, true);
      return show();
    }
    const check = checkMessage(answer.check);
    status("review-status", `Re-aligned around ${fixed.length} fixed bead(s).${check ? ` ${check}.` : ""}`);
    show();
  }

  // ---- display -----------------------------------------------------------------

  function overlaps([a, b], from, n) {
    return n > 0 && from < b && a < from + n;
  }

  function range(from, n) {
    return n === 0 ? "" : n === 1 ? `${from}` : `${from}-${from + n - 1}`;
  }

  function show() {
    document.getElementById("review-work").hidden = state.beads.length === 0;
    const at = starts();
    const rows = state.beads.map((b, k) => {
      const [s, t] = at[k];
      const flagged =
        !b.fixed && state.suspect.some((x) => overlaps(x.src, s, b.ns) || overlaps(x.tgt, t, b.nt));
      const low = !b.fixed && (b.score === null || b.score < LOW_SCORE);
      const nopair = b.ns === 0 || b.nt === 0;
      const classes = ["bead", b.fixed && "fixed", low && "low", flagged && "flagged", nopair && "nopair"];
      const score = b.fixed ? "fixed" : b.score === null ? "–" : b.score.toFixed(2);
      const notes = [b.fixed && "fixed by hand", low && (b.score === null ? "not scored" : "low score"), flagged && "flagged by the self-check", nopair && "no pair"]
        .filter(Boolean)
        .join(", ");
      const side = (sentences, from, n, lang, cls) =>
        el(
          "div",
          { class: `side ${cls}`, lang },
          sentences.slice(from, from + n).map((text, i) => el("p", { dataset: { i: from + i } }, el("span", { class: "num" }, `${from + i}`), " ", text)),
        );
      return el(
        "div",
        {
          class: classes.filter(Boolean).join(" "),
          id: `bead-${k}`,
          role: "option",
          "aria-selected": k === state.selected ? "true" : "false",
          tabindex: k === state.selected ? "0" : "-1",
          "aria-label": `Bead ${k + 1}: source ${range(s, b.ns) || "none"}, target ${range(t, b.nt) || "none"}, score ${score}${notes ? `, ${notes}` : ""}`,
          dataset: { k, src: range(s, b.ns), tgt: range(t, b.nt) },
        },
        el("div", { class: "score", title: notes || "score" }, score),
        side(state.src, s, b.ns, state.srcLang, "source"),
        side(state.tgt, t, b.nt, state.tgtLang, "target"),
      );
    });
    const hadFocus = beadsBox.contains(document.activeElement);
    beadsBox.replaceChildren(...rows);
    const pairs = state.beads.filter((b) => b.ns && b.nt).length;
    const fixed = state.beads.filter((b) => b.fixed).length;
    const low = state.beads.filter((b) => !b.fixed && (b.score === null || b.score < LOW_SCORE)).length;
    document.getElementById("review-summary").textContent =
      `${state.beads.length} beads, ${pairs} pairs to store; ${fixed} fixed by hand, ${low} to look at (score below ${LOW_SCORE} or none). ` +
      `${state.src.length} source and ${state.tgt.length} target sentences.`;
    const current = document.getElementById(`bead-${state.selected}`);
    if (current) {
      beadsBox.setAttribute("aria-activedescendant", current.id);
      if (hadFocus) current.focus({ preventScroll: false });
    }
  }

  function select(k, focus) {
    if (k < 0 || k >= state.beads.length) return;
    const old = document.getElementById(`bead-${state.selected}`);
    if (old) {
      old.setAttribute("aria-selected", "false");
      old.tabIndex = -1;
    }
    state.selected = k;
    const row = document.getElementById(`bead-${k}`);
    row.setAttribute("aria-selected", "true");
    row.tabIndex = 0;
    beadsBox.setAttribute("aria-activedescendant", row.id);
    if (focus) {
      row.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  beadsBox.addEventListener("click", (event) => {
    const row = event.target.closest(".bead");
    if (row) select(Number(row.dataset.k), true);
  });

  const KEYS = {
    m: "merge",
    s: "split",
    u: "src-up",
    d: "src-down",
    U: "tgt-up",
    D: "tgt-down",
    n: "nopair",
    z: "undo",
    r: "realign",
  };

  beadsBox.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey) return;
    if (event.ctrlKey) {
      if (event.key.toLowerCase() === "z") {
        event.preventDefault();
        apply("undo");
      }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "j") {
      event.preventDefault();
      select(state.selected + 1, true);
    } else if (event.key === "ArrowUp" || event.key === "k") {
      event.preventDefault();
      select(state.selected - 1, true);
    } else if (event.key === "Home") {
      event.preventDefault();
      select(0, true);
    } else if (event.key === "End") {
      event.preventDefault();
      select(state.beads.length - 1, true);
    } else if (KEYS[event.key]) {
      event.preventDefault();
      apply(KEYS[event.key]);
    }
  });

  document.querySelector("#review .toolbar").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-op]");
    if (!button) return;
    apply(button.dataset.op);
    const row = document.getElementById(`bead-${state.selected}`);
    if (row && button.dataset.op !== "realign") row.focus();
  });

  // ---- keeping the pairs -------------------------------------------------------

  /** The beads with sentences on both sides, as translation units. */
  function units() {
    const at = starts();
    return state.beads
      .map((b, k) => [b, at[k]])
      .filter(([b]) => b.ns > 0 && b.nt > 0)
      .map(([b, [s, t]]) => ({
        source: joinSentences(state.src.slice(s, s + b.ns)),
        target: joinSentences(state.tgt.slice(t, t + b.nt)),
        src: state.srcLang,
        tgt: state.tgtLang,
      }));
  }

  const tokenInput = document.getElementById("store-token");
  tokenInput.value = token();
  tokenInput.addEventListener("change", () => setToken(tokenInput.value));

  document.getElementById("store-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setToken(tokenInput.value);
    if (!token()) return status("store-status", "Storing needs the server's token.", true);
    if (!state.srcLang || !state.tgtLang) return status("store-status", "Give both languages above.", true);
    const list = units();
    if (!list.length) return status("store-status", "No pair to store.", true);
    status("store-status", `Storing ${list.length} pairs…`);
    try {
      const report = await (await post("/api/v1/units", { units: list })).json();
      // What became of each pair, as `bitext add` says it: inserted, merged, ...
      const counts = {};
      for (const o of report.outcomes || []) counts[o.action] = (counts[o.action] || 0) + 1;
      const said = Object.entries(counts)
        .map(([action, n]) => `${n} ${action}`)
        .join(", ");
      status("store-status", `Stored ${list.length} pairs in the memory${said ? `: ${said}` : ""}.`);
      showStats();
    } catch (e) {
      status("store-status", `Could not store: ${e.message}`, true);
    }
  });

  document.querySelectorAll("#review [data-download]").forEach((button) =>
    button.addEventListener("click", async () => {
      const to = button.dataset.download;
      const list = units();
      if (!list.length) return status("store-status", "No pair to download.", true);
      try {
        const response = await post(`/api/v1/convert?to=${to}`, { units: list });
        download(await response.blob(), `alignment.${to === "xliff" ? "xlf" : to}`);
        status("store-status", `Downloaded ${list.length} pairs as ${to.toUpperCase()}.`);
      } catch (e) {
        status("store-status", `Could not convert: ${e.message}`, true);
      }
    }),
  );
})();
