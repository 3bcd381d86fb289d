/// The web page at `/`: one HTML file with its style and script inline, nothing fetched from
/// elsewhere. It asks `/v1/models` what is loaded and shows the forms that apply: a word's
/// neighbours (a list with scores and a 2-D map), an analogy, and text for every loaded model
/// (tags with entity spans highlighted, labels with probabilities). Usable by keyboard (forms,
/// labels, focus outlines, results announced) and at phone width (one column below 40em).
enum Page {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wordpipe serve</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
  body { margin: 0 auto; max-width: 60em; padding: 1em; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 1em; margin: 1em 0; }
  h2 { font-size: 1.1em; margin-top: 0; }
  form { display: flex; flex-wrap: wrap; gap: .5em; align-items: end; }
  label { display: flex; flex-direction: column; font-size: .9em; gap: .2em; }
  input, textarea, select, button { font: inherit; padding: .35em .5em; border: 1px solid #888; border-radius: 4px; }
  textarea { width: 100%; min-height: 4em; box-sizing: border-box; }
  button { background: #1d4ed8; color: #fff; border-color: #1d4ed8; cursor: pointer; }
  :focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  .row { display: flex; flex-wrap: wrap; gap: 1em; }
  .row > * { flex: 1 1 18em; min-width: 0; }
  ol { margin: .3em 0; padding-left: 1.6em; }
  .score { color: #555; font-variant-numeric: tabular-nums; }
  .error { color: #b91c1c; font-weight: 600; }
  svg { width: 100%; height: auto; border: 1px solid #eee; background: #fcfcff; }
  svg text { font-size: 11px; }
  mark { padding: 0 .15em; border-radius: 3px; background: #fde68a; }
  mark small { font-size: .7em; font-weight: 700; margin-left: .2em; color: #7c2d12; }
  .muted { color: #666; font-size: .9em; }
  @media (max-width: 40em) { body { padding: .5em; } form { flex-direction: column; align-items: stretch; } }
</style>
</head>
<body>
<h1>wordpipe serve</h1>
<p class="muted" id="loaded">Loading what is served…</p>

<section id="nearest-section" hidden>
  <h2>Nearest words</h2>
  <form id="nearest-form">
    <label>Word <input id="nearest-word" name="word" required autocomplete="off"></label>
    <label>How many <input id="nearest-k" name="k" type="number" min="1" max="200" value="10"></label>
    <button type="submit">Search</button>
  </form>
  <div class="row">
    <div><ol id="nearest-list" aria-live="polite"></ol><p id="nearest-error" class="error" role="alert"></p></div>
    <div><svg id="nearest-map" viewBox="0 0 400 300" role="img" aria-label="Map of the neighbourhood"></svg>
      <p class="muted" id="nearest-projection"></p></div>
  </div>
</section>

<section id="analogy-section" hidden>
  <h2>Analogy</h2>
  <form id="analogy-form">
    <label>A <input id="analogy-a" required autocomplete="off"></label>
    <label>is to B <input id="analogy-b" required autocomplete="off"></label>
    <label>as C <input id="analogy-c" required autocomplete="off"></label>
    <button type="submit">is to ?</button>
  </form>
  <ol id="analogy-list" aria-live="polite"></ol><p id="analogy-error" class="error" role="alert"></p>
</section>

<section id="text-section" hidden>
  <h2>Text</h2>
  <form id="text-form">
    <label style="flex: 1 1 100%">Text <textarea id="text-input" required>John Smith went to Paris last week.</textarea></label>
    <button type="submit">Apply the models</button>
  </form>
  <div id="text-results" aria-live="polite"></div><p id="text-error" class="error" role="alert"></p>
</section>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({ error: { message: "the server sent no JSON (status " + response.status + ")" } }));
  if (!response.ok) throw new Error((data.error && data.error.field ? data.error.field + ": " : "") + (data.error ? data.error.message : response.statusText));
  return data;
}

function showNeighbours(list, neighbours) {
  list.replaceChildren(...neighbours.map((n) => { const li = el("li", n.word + " "); li.append(el("span", n.score.toFixed(3), "score")); return li; }));
}

function drawMap(svg, points, query) {
  svg.replaceChildren();
  if (!points || points.length === 0) return;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => 30 + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * 340;
  const sy = (y) => 20 + (y1 > y0 ? (y1 - y) / (y1 - y0) : 0.5) * 260;
  const ns = "http://www.w3.org/2000/svg";
  for (const p of points) {
    const g = document.createElementNS(ns, "g");
    g.setAttribute("class", "point");
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("cx", sx(p.x)); c.setAttribute("cy", sy(p.y)); c.setAttribute("r", p.word === query ? 5 : 3);
    c.setAttribute("fill", p.word === query ? "#b91c1c" : "#1d4ed8");
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", sx(p.x) + 5); t.setAttribute("y", sy(p.y) - 4); t.textContent = p.word;
    const title = document.createElementNS(ns, "title"); title.textContent = p.word;
    g.append(c, t, title); svg.append(g);
  }
}

$("nearest-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("nearest-error").textContent = "";
  const word = $("nearest-word").value.trim();
  try {
    const answer = await call("/v1/nearest", { word, k: Number($("nearest-k").value) || 10, map: true });
    showNeighbours($("nearest-list"), answer.neighbours);
    drawMap($("nearest-map"), answer.map, word);
    $("nearest-projection").textContent = answer.projection || "";
  } catch (error) {
    $("nearest-list").replaceChildren(); $("nearest-map").replaceChildren();
    $("nearest-error").textContent = error.message;
  }
});

$("analogy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("analogy-error").textContent = "";
  try {
    const answer = await call("/v1/analogy", { a: $("analogy-a").value.trim(), b: $("analogy-b").value.trim(), c: $("analogy-c").value.trim(), k: 5 });
    showNeighbours($("analogy-list"), answer.neighbours);
  } catch (error) { $("analogy-list").replaceChildren(); $("analogy-error").textContent = error.message; }
});

function highlighted(answer) {
  // The text with each entity span (Unicode-scalar offsets) in a <mark>.
  const scalars = Array.from(answer.text), p = el("p");
  let at = 0;
  for (const e of answer.entities.filter((e) => e.start !== null).sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue;
    p.append(scalars.slice(at, e.start).join(""));
    const mark = el("mark", scalars.slice(e.start, e.end).join(""));
    mark.setAttribute("data-type", e.type); mark.append(el("small", e.type));
    p.append(mark); at = e.end;
  }
  p.append(scalars.slice(at).join(""));
  return p;
}

let models = [];
$("text-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("text-error").textContent = "";
  const text = $("text-input").value, results = [];
  for (const m of models) {
    const verb = m.endpoint[0];
    try {
      const answer = await call(verb, { text, model: m.name, top: verb === "/v1/classify" ? Math.min(3, m.labels.length) : undefined });
      const box = el("div"); box.append(el("h3", m.name + " (" + m.kind + ")"));
      if (answer.entities !== undefined) {
        box.append(highlighted(answer));
        box.append(el("p", answer.tokens.map((t, i) => t + "/" + answer.tags[i]).join(" "), "muted"));
      } else if (answer.labels !== undefined) {
        const ol = el("ol", undefined, "labels");
        for (const l of answer.labels) { const li = el("li", l.label + " "); li.append(el("span", l.probability.toFixed(3), "score")); ol.append(li); }
        box.append(ol);
      } else if (answer.translation !== undefined) {
        box.append(el("p", answer.translation));
      } else if (answer.logprobs !== undefined) {
        box.append(el("p", answer.text));
      } else { box.append(el("pre", JSON.stringify(answer, null, 1))); }
      results.push(box);
    } catch (error) { const p = el("p", m.name + ": " + error.message, "error"); results.push(p); }
  }
  $("text-results").replaceChildren(...results);
});

(async () => {
  try {
    const loaded = await call("/v1/models");
    $("loaded").textContent = "Serving " + loaded.map((a) => a.name + " (" + a.kind + (a.words ? ", " + a.words + " words" + (a.dimension ? " × " + a.dimension : "") : "") + ")").join(", ") + ".";
    const hasVectors = loaded.some((a) => a.kind === "vectors");
    $("nearest-section").hidden = !hasVectors; $("analogy-section").hidden = !hasVectors;
    models = loaded.filter((a) => a.kind !== "vectors");
    $("text-section").hidden = models.length === 0;
  } catch (error) { $("loaded").textContent = "Cannot reach the server: " + error.message; $("loaded").className = "error"; }
})();
</script>
</body>
</html>
"""#
}
