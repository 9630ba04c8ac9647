// bitext page: what the search and the review share — API calls, text helpers, the
// word diff. Plain JavaScript, no build step, no network beyond this server.
"use strict";

const Bitext = (() => {
  /** An error the server answered with: its JSON "error" message when it sent one. */
  async function apiError(response) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && (body.error || body.message)) {
        message = body.error || body.message;
        if (typeof message === "object") message = message.message || JSON.stringify(message);
      }
    } catch (_) {
      /* not JSON: keep the status line */
    }
    return new Error(message);
  }

  const TOKEN_KEY = "bitext.token";

  /** The token given on this page (kept in session storage only), or "". */
  function token() {
    return (sessionStorage.getItem(TOKEN_KEY) || "").trim();
  }

  /** Keeps the token for this browser tab only. */
  function setToken(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  }

  /** Headers of an API call: JSON, and the token when one was given (a server run
   * with --read-token needs it for reads too). */
  function headers(extra) {
    const h = { Accept: "application/json", ...extra };
    if (token()) h.Authorization = `Bearer ${token()}`;
    return h;
  }

  /** GET `path` with query `params` (empty values left out); the parsed JSON. */
  async function getJson(path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && String(v).trim() !== "") query.set(k, String(v).trim());
    }
    const response = await fetch(`${path}?${query}`, { headers: headers() });
    if (!response.ok) throw await apiError(response);
    return response.json();
  }

  /** POST `body` as JSON; the response (checked for success). */
  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await apiError(response);
    return response;
  }

  /** An element with attributes and children (strings become text: never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Shows `message` in the status element `id` (class "error" for failures). */
  function status(id, message, isError) {
    const node = document.getElementById(id);
    node.textContent = message || "";
    node.classList.toggle("error", Boolean(isError));
  }

  // Characters between which sentences are joined without a space (Chinese and
  // Japanese; the rule of the aligner's Document::joined).
  const SPACELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\uFF00-\uFF65\uFFE0-\uFFEF]/u;

  /** Sentences as one text, as the aligner joins a bead's side. */
  function joinSentences(sentences) {
    let out = "";
    for (const s of sentences) {
      if (out && s && !(SPACELESS.test(out.slice(-1)) && SPACELESS.test(Array.from(s)[0]))) out += " ";
      out += s;
    }
    return out;
  }

  /** Words and the spaces/punctuation between them, for the word diff. */
  function tokens(text) {
    return text.match(/[\p{L}\p{N}\p{M}_'’-]+|\s+|[^\p{L}\p{N}\p{M}\s]/gu) || [];
  }

  /**
   * A word-level diff (longest common subsequence) from `stored` to `query`: a list of
   * {op: "=" | "-" | "+", text}, "-" being in the stored text only and "+" in the query
   * only — the shape the lookup API gives.
   */
  function wordDiff(stored, query) {
    const a = tokens(stored);
    const b = tokens(query);
    const n = a.length;
    const m = b.length;
    // lcs[i][j]: common subsequence length of a[i..] and b[j..].
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    const ops = [];
    const push = (op, text) => {
      const last = ops[ops.length - 1];
      if (last && last.op === op) last.text += text;
      else ops.push({ op, text });
    };
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) {
        push("=", a[i]);
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        push("+", b[j]);
        j++;
      } else {
        push("-", a[i]);
        i++;
      }
    }
    return ops;
  }

  /** A diff as marked-up nodes: <del> for the stored text only, <ins> for the query only. */
  function renderDiff(ops) {
    return ops.map(({ op, text }) => {
      if (op === "-") return el("del", { title: "in the stored text, not in yours" }, text);
      if (op === "+") return el("ins", { title: "in your text, not in the stored one" }, text);
      return document.createTextNode(text);
    });
  }

  /** Offers `blob` as a download named `name`. */
  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** Reads a chosen file as text. */
  function readFile(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(new Error(`cannot read ${file.name}: ${reader.error}`));
      reader.readAsText(file);
    });
  }

  async function showStats() {
    try {
      const stats = await getJson("/api/v1/stats");
      const pairs = (stats.pairs || []).map((p) => `${p.source}→${p.target}`).join(", ");
      document.getElementById("memory-stats").textContent =
        `Memory: ${stats.units} units${pairs ? ` (${pairs})` : ""}` +
        (stats.writable === false ? ` · read-only${stats.read_only ? `: ${stats.read_only}` : ""}` : "");
      return stats;
    } catch (e) {
      document.getElementById("memory-stats").textContent = `Memory: ${e.message}`;
      return null;
    }
  }

  return { token, setToken, getJson, post, el, status, joinSentences, wordDiff, renderDiff, download, readFile, showStats };
})();
