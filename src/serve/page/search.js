// bitext page: the search panel — fuzzy lookup with the diff against the query, and
// the concordance.
"use strict";

(() => {
  const { getJson, el, renderDiff, wordDiff, showStats } = Bitext;
  const srcInput = document.getElementById("search-src");
  const tgtInput = document.getElementById("search-tgt");

  // A memory with one language pair needs no language fields: fill them in.
  showStats().then((stats) => {
    const pairs = (stats && stats.pairs) || [];
    if (pairs.length === 1) {
      if (!srcInput.value) srcInput.value = pairs[0].source;
      if (!tgtInput.value) tgtInput.value = pairs[0].target;
    }
  });

  function langs() {
    return { src: srcInput.value, tgt: tgtInput.value };
  }

  /** The matches of one lookup answer: `{query, matches}` (or a list of them). */
  function matchesOf(answer) {
    if (Array.isArray(answer)) return answer.flatMap(matchesOf);
    if (answer && Array.isArray(answer.results)) return answer.results.flatMap(matchesOf);
    return (answer && answer.matches) || [];
  }

  function textOf(v) {
    return v && typeof v === "object" ? v.text : v;
  }

  function percentOf(score) {
    if (score && typeof score === "object") return score.percent;
    return score;
  }

  document.getElementById("lookup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("lookup-results");
    const q = document.getElementById("lookup-q").value;
    out.replaceChildren(el("p", { class: "muted" }, "Looking up…"));
    try {
      const answer = await getJson("/api/v1/lookup", {
        q,
        ...langs(),
        min: document.getElementById("lookup-min").value,
        limit: 10,
      });
      const matches = matchesOf(answer);
      if (matches.length === 0) {
        out.replaceChildren(el("p", { class: "muted" }, "No match at or above the lowest match percentage."));
        return;
      }
      out.replaceChildren(
        el(
          "ol",
          { class: "matches", "aria-label": "Matches, best first" },
          matches.map((m) => {
            const source = textOf(m.source);
            const diff = Array.isArray(m.diff) ? m.diff : wordDiff(source, q);
            const percent = percentOf(m.score);
            return el(
              "li",
              { class: "match" },
              el("span", { class: `percent p${Math.min(100, Math.floor(percent / 10) * 10)}` }, `${percent} %`),
              el(
                "div",
                { class: "pair" },
                el("p", { class: "source", lang: m.source && m.source.lang }, renderDiff(diff)),
                el("p", { class: "target", lang: m.target && m.target.lang }, textOf(m.target)),
              ),
            );
          }),
        ),
      );
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", role: "alert" }, e.message));
    }
  });

  /** `text` with the byte spans `highlights` marked. */
  function highlighted(text, highlights) {
    const bytes = new TextEncoder().encode(text);
    const decode = (a, b) => new TextDecoder().decode(bytes.subarray(a, b));
    const parts = [];
    let at = 0;
    for (const [a, b] of highlights || []) {
      if (a < at) continue;
      parts.push(decode(at, a), el("mark", {}, decode(a, b)));
      at = b;
    }
    parts.push(decode(at, bytes.length));
    return parts;
  }

  /** The hits of a concordance answer: a list, or `{hits}` / `{results}`. */
  function hitsOf(answer) {
    if (Array.isArray(answer)) return answer;
    return (answer && (answer.hits || answer.results)) || [];
  }

  document.getElementById("concordance-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("concordance-results");
    out.replaceChildren(el("p", { class: "muted" }, "Searching…"));
    try {
      const answer = await getJson("/api/v1/concordance", {
        q: document.getElementById("concordance-q").value,
        ...langs(),
        limit: 50,
      });
      const hits = hitsOf(answer);
      if (hits.length === 0) {
        out.replaceChildren(el("p", { class: "muted" }, "No stored unit contains it."));
        return;
      }
      out.replaceChildren(
        el(
          "ol",
          { class: "matches", "aria-label": "Units containing it" },
          hits.map((h) =>
            el(
              "li",
              { class: "match" },
              el(
                "div",
                { class: "pair" },
                el("p", { class: "source", lang: h.matched.lang }, highlighted(h.matched.text, h.highlights)),
                (h.others || []).map((o) => el("p", { class: "target", lang: o.lang }, o.text)),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", role: "alert" }, e.message));
    }
  });
})();
