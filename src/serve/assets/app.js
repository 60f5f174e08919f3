// mmsearch web page: search as you type, filters, paper pages, similar
// papers, explanations and a map of the collection. Plain JavaScript, no
// dependencies, everything from this server (works offline).
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
};
const SVG_NS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};

const FIELDS = ["q", "mode", "venue", "section", "author"];
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];

const state = { map: null, sectionColour: new Map(), hits: [], selected: -1, request: 0 };

// --- URL <-> form ---------------------------------------------------------

function readUrl() {
  const p = new URLSearchParams(location.search);
  for (const f of FIELDS) $("#" + f).value = p.get(f) || (f === "mode" ? "hybrid" : "");
  const [from, to] = (p.get("year") || "").split("..");
  $("#year-from").value = from || "";
  $("#year-to").value = (p.get("year") || "").includes("..") ? (to || "") : (from || "");
  $("#explain").checked = p.get("explain") === "1";
  return p;
}

function yearParam() {
  const from = $("#year-from").value.trim();
  const to = $("#year-to").value.trim();
  if (!from && !to) return "";
  if (from && to && from === to) return from;
  return `${from}..${to}`;
}

function formParams() {
  const p = new URLSearchParams();
  for (const f of FIELDS) {
    const v = $("#" + f).value.trim();
    if (v && !(f === "mode" && v === "hybrid")) p.set(f, v);
  }
  const year = yearParam();
  if (year) p.set("year", year);
  if ($("#explain").checked) p.set("explain", "1");
  return p;
}

function filterParams(p) {
  const out = new URLSearchParams();
  for (const k of ["mode", "venue", "section", "author", "year"]) if (p.get(k)) out.set(k, p.get(k));
  return out;
}

// --- fetching ---------------------------------------------------------------

async function api(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  let body;
  try { body = await response.json(); } catch (_) { body = { error: `HTTP ${response.status}` }; }
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function setStatus(text, isError = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

// --- rendering --------------------------------------------------------------

// Snippet highlights are byte ranges into the UTF-8 text.
function snippetNode(snippet) {
  const bytes = new TextEncoder().encode(snippet.text);
  const dec = new TextDecoder();
  const node = el("p", { class: "snippet" });
  let at = 0;
  for (const r of [...snippet.highlights].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    node.append(dec.decode(bytes.slice(at, r.start)));
    node.append(el("mark", {}, dec.decode(bytes.slice(r.start, r.end))));
    at = r.end;
  }
  node.append(dec.decode(bytes.slice(at)));
  return node;
}

function shortAbstract(text, n = 240) {
  if (!text) return null;
  const flat = text.replace(/\s+/g, " ").trim();
  return el("p", { class: "snippet" }, flat.length > n ? flat.slice(0, n - 1) + "…" : flat);
}

function meta(hit) {
  const venueYear = [hit.venue, hit.year].filter((x) => x !== null && x !== undefined).join(" ");
  return el("p", { class: "meta" },
    venueYear ? el("span", { class: "venue" }, venueYear) : null,
    hit.sections.length ? el("span", { class: "sections" }, hit.sections.join(" / ")) : null);
}

function linksNode(hit) {
  const links = hit.links.map((l) => el("a", { href: l.url, rel: "noopener", target: "_blank" }, l.label || "link"));
  if (!links.length && hit.url) links.push(el("a", { href: hit.url, rel: "noopener", target: "_blank" }, "link"));
  return links;
}

function legText(name, what, leg) {
  if (!leg) return `${name}: not returned`;
  const where = leg.past_top ? `past its top ${leg.past_top}` : `rank ${leg.rank}`;
  return `${name}: ${where}, ${what} ${leg.score.toFixed(3)}, adds ${leg.contribution.toFixed(4)}`;
}

function explainNode(hit) {
  const e = hit.explain;
  if (!e) return null;
  return el("div", { class: "explain" },
    el("ul", {},
      el("li", { class: "leg-keyword" }, legText("keyword", "BM25", e.keyword)),
      el("li", { class: "leg-semantic" }, legText("semantic", "cosine", e.semantic)),
      el("li", { class: "fused" }, `${e.fusion.method}: ${e.fusion.formula}`,
        e.fusion.exact_match_first ? " (exact match, shown first)" : "")));
}

function hitNode(hit, index, withSnippet = true) {
  const explain = explainNode(hit);
  if (explain) explain.hidden = !$("#explain").checked;
  const toggle = explain ? el("button", {
    type: "button", class: "toggle-explain", "aria-expanded": String(!explain.hidden),
    onclick: () => { explain.hidden = !explain.hidden; toggle.setAttribute("aria-expanded", String(!explain.hidden)); },
  }, "explain") : null;
  return el("li", { class: "hit", "data-id": hit.id, "data-index": index, tabindex: "-1" },
    el("h3", { class: "title" }, el("a", { href: `/?paper=${encodeURIComponent(hit.id)}`, "data-nav": "1" }, hit.title)),
    hit.authors.length ? el("p", { class: "authors" }, hit.authors.join(", ")) : null,
    meta(hit),
    withSnippet && hit.snippet ? snippetNode(hit.snippet) : shortAbstract(hit.abstract),
    el("p", { class: "actions" },
      ...linksNode(hit),
      el("a", { href: `/?similar=${encodeURIComponent(hit.id)}`, class: "similar", "data-nav": "1" }, "similar"),
      toggle,
      el("span", { class: "score", title: "fused score" }, `score ${hit.score.toFixed(4)}`)),
    explain);
}

function renderHits(hits, withSnippet = true) {
  const list = $("#results");
  list.replaceChildren(...hits.map((h, i) => hitNode(h, i, withSnippet)));
  state.hits = hits;
  state.selected = -1;
  highlightOnMap(new Set(hits.map((h) => h.id)));
}

// --- views ------------------------------------------------------------------

async function showSearch(p) {
  $("#paper").hidden = true;
  $("#results").hidden = false;
  const q = (p.get("q") || "").trim();
  document.title = q ? `${q} — mmsearch` : "mmsearch";
  if (!q) { renderHits([]); setStatus("Type to search the collection."); return; }
  const params = filterParams(p);
  params.set("q", q);
  params.set("explain", "1");
  params.set("limit", "20");
  const ticket = ++state.request;
  setStatus("searching…");
  try {
    const doc = await api(`/api/search?${params}`);
    if (ticket !== state.request) return; // a newer query is on its way
    renderHits(doc.hits);
    setStatus(doc.hits.length ? `${doc.hits.length} papers for “${doc.query}” (${doc.mode})` : `no papers found for “${doc.query}”`);
  } catch (err) {
    if (ticket !== state.request) return;
    renderHits([]);
    setStatus(err.message, true);
  }
}

async function showSimilar(p) {
  $("#paper").hidden = true;
  $("#results").hidden = false;
  const params = filterParams(p);
  for (const id of p.getAll("similar")) params.append("paper", id);
  params.set("explain", "1");
  params.set("limit", "20");
  const ticket = ++state.request;
  try {
    const doc = await api(`/api/similar?${params}`);
    if (ticket !== state.request) return;
    renderHits(doc.hits, false);
    setStatus(`${doc.hits.length} papers ${doc.query}`);
  } catch (err) {
    if (ticket !== state.request) return;
    renderHits([]);
    setStatus(err.message, true);
  }
}

async function showPaper(id) {
  const ticket = ++state.request;
  $("#results").hidden = true;
  const box = $("#paper");
  box.hidden = false;
  try {
    const paper = await api(`/api/papers/${encodeURIComponent(id)}`);
    if (ticket !== state.request) return;
    document.title = `${paper.title} — mmsearch`;
    box.replaceChildren(
      el("h2", { class: "title" }, paper.title),
      paper.authors.length ? el("p", { class: "authors" }, paper.authors.join(", ")) : null,
      meta(paper),
      el("dl", {},
        el("dt", {}, "id"), el("dd", { class: "id" }, paper.id),
        el("dt", {}, "tags"), el("dd", {}, paper.tags.join(", ")),
        paper.arxiv_id ? [el("dt", {}, "arXiv"), el("dd", {}, paper.arxiv_id)] : null,
        paper.doi ? [el("dt", {}, "DOI"), el("dd", {}, paper.doi)] : null),
      el("p", { class: "actions" }, ...linksNode(paper),
        el("a", { href: `/?similar=${encodeURIComponent(paper.id)}`, class: "similar", "data-nav": "1" }, "similar papers")),
      paper.abstract ? el("p", { class: "abstract" }, paper.abstract) : el("p", { class: "abstract none" }, "No abstract."),
      el("p", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); history.back(); } }, "← back")));
    setStatus("");
    highlightOnMap(new Set([paper.id]));
  } catch (err) {
    if (ticket !== state.request) return;
    box.replaceChildren(el("p", { class: "error" }, err.message));
  }
}

function route() {
  const p = readUrl();
  if (p.get("paper")) return showPaper(p.get("paper"));
  if (p.get("similar")) return showSimilar(p);
  return showSearch(p);
}

function navigate(url, replace = false) {
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  route();
}

// --- the map ----------------------------------------------------------------

const MAP_SIZE = 500, MAP_PAD = 14;

async function loadMap() {
  try {
    state.map = await api("/api/map");
  } catch (err) {
    $("#map-panel .hint").textContent = `map unavailable: ${err.message}`;
    return;
  }
  const { points, sections } = state.map;
  sections.forEach((s, i) => state.sectionColour.set(s, PALETTE[i % PALETTE.length]));
  const select = $("#section");
  const wanted = new URLSearchParams(location.search).get("section") || "";
  for (const s of sections) select.append(el("option", { value: s }, s));
  select.value = wanted;
  const venues = [...new Set(points.map((pt) => pt.venue).filter(Boolean))].sort();
  $("#venues").replaceChildren(...venues.map((v) => el("option", { value: v })));
  drawMap();
}

function drawMap() {
  const svg = $("#map");
  const { points } = state.map;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => MAP_PAD + ((x - x0) / ((x1 - x0) || 1)) * (MAP_SIZE - 2 * MAP_PAD);
  const sy = (y) => MAP_SIZE - MAP_PAD - ((y - y0) / ((y1 - y0) || 1)) * (MAP_SIZE - 2 * MAP_PAD);
  const tip = $("#tooltip");
  const group = svgEl("g", { class: "points" });
  for (const pt of points) {
    const c = svgEl("circle", {
      cx: sx(pt.x).toFixed(1), cy: sy(pt.y).toFixed(1), r: "5",
      fill: state.sectionColour.get(pt.section) || "#999", class: "point", "data-id": pt.id, tabindex: "0",
    });
    const title = svgEl("title");
    title.textContent = pt.title;
    c.append(title);
    c.addEventListener("mouseenter", () => {
      tip.textContent = `${pt.title}${pt.section ? " — " + pt.section : ""}`;
      tip.hidden = false;
    });
    c.addEventListener("mousemove", (e) => { tip.style.left = `${e.pageX + 12}px`; tip.style.top = `${e.pageY + 12}px`; });
    c.addEventListener("mouseleave", () => { tip.hidden = true; });
    c.addEventListener("click", () => navigate(`/?paper=${encodeURIComponent(pt.id)}`));
    c.addEventListener("keydown", (e) => { if (e.key === "Enter") navigate(`/?paper=${encodeURIComponent(pt.id)}`); });
    group.append(c);
  }
  svg.replaceChildren(group);
  svg.dataset.points = String(points.length);
  $("#legend").replaceChildren(...state.map.sections.map((s) =>
    el("li", {}, el("span", { class: "swatch", style: `background:${state.sectionColour.get(s)}` }), s)));
  highlightOnMap(new Set(state.hits.map((h) => h.id)));
}

function highlightOnMap(ids) {
  const svg = $("#map");
  let n = 0;
  for (const c of svg.querySelectorAll("circle.point")) {
    const on = ids.has(c.dataset.id);
    c.classList.toggle("hit", on);
    c.setAttribute("r", on ? "7" : "5");
    if (on) { c.parentNode.append(c); n++; } // drawn on top
  }
  svg.dataset.highlighted = String(n);
}

// --- events -----------------------------------------------------------------

let debounce = null;
function scheduleSearch() {
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    const p = formParams();
    const url = p.toString() ? `/?${p}` : "/";
    const current = new URLSearchParams(location.search);
    // typing replaces the history entry; a new search from another view pushes one
    navigate(url, !current.get("paper") && !current.get("similar"));
  }, 200);
}

function select(index) {
  const items = [...document.querySelectorAll("#results .hit")];
  if (!items.length) return;
  state.selected = Math.max(0, Math.min(items.length - 1, index));
  items.forEach((it, i) => it.classList.toggle("selected", i === state.selected));
  items[state.selected].focus();
  items[state.selected].scrollIntoView({ block: "nearest" });
}

function init() {
  $("#search").addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(debounce); navigate(`/?${formParams()}`); });
  $("#q").addEventListener("input", scheduleSearch);
  for (const id of ["mode", "section", "explain"]) $("#" + id).addEventListener("change", scheduleSearch);
  for (const id of ["year-from", "year-to", "venue", "author"]) $("#" + id).addEventListener("input", scheduleSearch);
  $("#clear-filters").addEventListener("click", () => {
    for (const id of ["year-from", "year-to", "venue", "section", "author"]) $("#" + id).value = "";
    scheduleSearch();
  });
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-nav]");
    if (a && !e.ctrlKey && !e.metaKey && !e.shiftKey) { e.preventDefault(); navigate(a.getAttribute("href")); }
  });
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (e.key === "/" && !typing) { e.preventDefault(); $("#q").focus(); $("#q").select(); return; }
    if (e.key === "Escape") {
      if (typing) { document.activeElement.blur(); return; }
      if (!$("#paper").hidden || new URLSearchParams(location.search).get("similar")) history.back();
      return;
    }
    if (typing && !["ArrowDown", "ArrowUp"].includes(e.key)) return;
    const current = state.selected;
    if (e.key === "ArrowDown" || e.key === "j") { e.preventDefault(); select(current + 1); }
    else if (e.key === "ArrowUp" || e.key === "k") { e.preventDefault(); select(current - 1); }
    else if (current >= 0 && state.hits[current]) {
      const id = encodeURIComponent(state.hits[current].id);
      if (e.key === "Enter") navigate(`/?paper=${id}`);
      else if (e.key === "s") navigate(`/?similar=${id}`);
      else if (e.key === "e") document.querySelectorAll("#results .hit")[current].querySelector(".toggle-explain")?.click();
    }
  });
  window.addEventListener("popstate", route);
  api("/api/health").then((h) => {
    $("#health").textContent = `${h.papers} papers · generation ${h.generation} · ${h.model}`;
  }).catch(() => {});
  loadMap();
  route();
}

init();
