// Try it: detect (boxes, landmarks, attributes), compare (score on a bar with the documented thresholds),
// quality (each field against the guide's reference range, the optimal rotation), search (probe, databases,
// top_k, min_score, hits).
import { call, fileBase64 } from "./api.js";
import { $, clear, colour, drawFaces, drawPhoto, guarded, h, svg } from "./ui.js";
import { loadDatabases, loadInfo, state, thresholds } from "./state.js";

// The guide's "passport-like" reference ranges (inclusive; null: unbounded), as `faceprint quality` shows them
// (src/faceprint/cli/_output.py QUALITY_RANGES). Suggestions for one use, not rules.
export const QUALITY_RANGES = {
  "angle.yaw": [-10, 10], "angle.pitch": [-15, 15], "angle.roll": [-10, 10],
  "quality.distance2center": [0.2, 1], "quality.align_score": [1, null], "quality.brightness": [-0.5, 0.5],
  "quality.sharpness": [0.8, 1], "quality.mouth_open": [0, 0.4], "quality.missing": [0.9, 1],
  "quality.size": [0, 0.85],
  "occlusion.occlusion_total": [0, 0.02], "occlusion.eye": [0, 0], "occlusion.nose": [0, 0],
  "occlusion.mouth": [0, 0.4], "occlusion.eyebrow": [0, 0], "occlusion.face_line": [0, 0.1],
};

export function init() {
  for (const b of document.querySelectorAll("#try-tabs button")) {
    b.addEventListener("click", () => { location.hash = `#try/${b.dataset.tab}`; });
  }
  $("#det-file").addEventListener("change", () => guarded(detect, "detect"));
  $("#cmp-go").addEventListener("click", () => guarded(compare, "compare"));
  $("#q-file").addEventListener("change", () => guarded(quality, "quality"));
  $("#s-form").addEventListener("submit", (ev) => { ev.preventDefault(); guarded(search, "search"); });
}

export async function show(hash) {
  const tab = hash.split("/")[1] || "detect";
  for (const b of document.querySelectorAll("#try-tabs button")) b.classList.toggle("on", b.dataset.tab === tab);
  for (const t of document.querySelectorAll("#page-try .tab")) t.hidden = t.id !== `tab-${tab}`;
  if (!state.info) await loadInfo();
  if (tab === "search") await fillDatabases();
}

function picked(sel) {
  const f = $(sel).files[0];
  if (!f) throw new Error(`Choose a photo first (${sel.replace("#", "")}).`);
  return f;
}

const fmt = (x, d = 3) => (typeof x === "number" ? x.toFixed(d) : String(x));

async function detect() {
  const file = picked("#det-file");
  const out = clear($("#det-faces"));
  const canvas = $("#det-canvas");
  const scale = await drawPhoto(canvas, file);
  const r = await call("POST", "/detect", { images: [{ data: await fileBase64(file) }] });
  const status = r.results[0];
  if (status.code !== 0) {
    out.append(h("p", { class: "error-inline" },
      `${status.message} (code ${status.code}, internal_code ${status.internal_code}) trace_id ${r.trace_id}`));
    return;
  }
  const faces = r.batches[0].faces;
  drawFaces(canvas, scale, faces);
  out.append(h("p", { class: "det-count" }, `${faces.length} face(s)`), h("p", { class: "note" }, `trace_id ${r.trace_id}`));
  faces.forEach((f, i) => {
    const a = f.attributes;
    out.append(h("div", { class: "face card", "data-face": i + 1 },
      h("h3", {}, h("span", { class: "swatch", "data-colour": i % 6 }, "■"), ` face ${i + 1}`),
      h("dl", { class: "kv" },
        h("dt", {}, "box"), h("dd", {}, `left ${f.rectangle.left}, top ${f.rectangle.top}, ` +
          `${f.rectangle.width} x ${f.rectangle.height}`),
        h("dt", {}, "confidence"), h("dd", {}, fmt(f.quality)),
        h("dt", {}, "yaw / pitch / roll"), h("dd", {}, `${fmt(f.angle.yaw, 1)} / ${fmt(f.angle.pitch, 1)} / ` +
          `${fmt(f.angle.roll, 1)}`),
        h("dt", {}, "age"), h("dd", {}, `${a.age_lower_limit}-${a.age_up_limit} (${a.st_age})`),
        h("dt", {}, "gender"), h("dd", {}, a.gender_code),
        h("dt", {}, "expression"), h("dd", {}, a.st_expression),
        h("dt", {}, "glasses / cap / helmet"), h("dd", {}, `${a.glass_style} / ${a.cap_style} / ${a.st_helmet_style}`),
        h("dt", {}, "mask / moustache"), h("dd", {}, `${a.respirator_color} / ${a.mustache_style}`))));
  });
  for (const s of out.querySelectorAll(".swatch")) s.style.color = colour(Number(s.dataset.colour));
}

async function compare() {
  const one = picked("#cmp-one");
  const another = picked("#cmp-another");
  const out = clear($("#cmp-result"));
  const [s1, s2] = await Promise.all([drawPhoto($("#cmp-canvas-one"), one, 320),
    drawPhoto($("#cmp-canvas-another"), another, 320)]);
  const r = await call("POST", "/compare", { one: { data: await fileBase64(one) },
    another: { data: await fileBase64(another) } });
  drawFaces($("#cmp-canvas-one"), s1, [r.one_face]);
  drawFaces($("#cmp-canvas-another"), s2, [r.another_face]);
  const th = thresholds();
  const passed = th.filter((t) => r.score >= t.score);
  const strictest = passed.length ? passed[passed.length - 1] : null;
  out.append(h("p", { class: "score" }, "score ", h("strong", { id: "cmp-score" }, fmt(r.score, 4))),
    h("p", { class: "verdict" }, strictest
      ? `Same person at a false-accept rate of ${strictest.far} (score >= ${strictest.score}).`
      : `Below every documented threshold (the loosest is ${th.length ? th[0].score : "n/a"}): not the same person.`),
    scoreBar(r.score, th),
    h("p", { class: "note" }, "Thresholds of the default recogniser pack (GET info): one score means one " +
      "false-accept rate whatever the pack; 0.955 (FAR 1e-3) is the default. Trace " + r.trace_id));
}

/** An SVG bar from 0.9 to 1.0: the thresholds as ticks, the score as a marker (pinned at the left below 0.9). */
function scoreBar(score, th) {
  const W = 600, H = 70, lo = 0.9, hi = 1.0;
  const x = (v) => 10 + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (W - 20);
  const el = svg("svg", { width: W, height: H, class: "bar", id: "cmp-bar" });
  el.append(svg("rect", { x: 10, y: 20, width: W - 20, height: 14, fill: "#e5e7eb", rx: 3 }));
  if (th.length) {
    el.append(svg("rect", { x: x(th[0].score), y: 20, width: W - 10 - x(th[0].score), height: 14, fill: "#bbf7d0" }));
  }
  for (const t of th) {
    el.append(svg("line", { x1: x(t.score), x2: x(t.score), y1: 16, y2: 38, stroke: "#166534" }));
    el.append(svg("text", { x: x(t.score), y: 50, "text-anchor": "middle", "font-size": 11 }, `${t.score}`));
    el.append(svg("text", { x: x(t.score), y: 63, "text-anchor": "middle", "font-size": 10, fill: "#555" },
      `FAR ${Number(t.far).toExponential(0)}`));
  }
  el.append(svg("text", { x: 10, y: 12, "font-size": 10, fill: "#555" }, score < lo ? `< ${lo}` : `${lo}`));
  el.append(svg("text", { x: W - 10, y: 12, "font-size": 10, fill: "#555", "text-anchor": "end" }, `${hi}`));
  el.append(svg("polygon", { points: `${x(score) - 6},4 ${x(score) + 6},4 ${x(score)},18`, fill: "#1d4ed8" }));
  el.append(svg("rect", { x: x(score) - 1.5, y: 18, width: 3, height: 18, fill: "#1d4ed8" }));
  return el;
}

async function quality() {
  const file = picked("#q-file");
  const out = clear($("#q-result"));
  const canvas = $("#q-canvas");
  const scale = await drawPhoto(canvas, file);
  const r = await call("POST", "/quality", { image: { data: await fileBase64(file) } });
  drawFaces(canvas, scale, [{ rectangle: r.face.rectangle, landmarks: [] }]);
  const body = h("tbody");
  let outside = 0;
  for (const [name, [lo, hi]] of Object.entries(QUALITY_RANGES)) {
    const [group, field] = name.split(".");
    const v = r.face[group][field];
    const ok = (lo === null || v >= lo) && (hi === null || v <= hi);
    if (!ok) outside++;
    const range = hi === null ? `>= ${lo}` : lo === hi ? `${lo}` : `${lo} .. ${hi}`;
    body.append(h("tr", { class: ok ? "ok" : "out", "data-field": name },
      h("td", {}, name), h("td", {}, fmt(v, 3)), h("td", {}, range), h("td", {}, ok ? "in range" : "outside")));
  }
  const rot = r.optimal_rotation_angle;
  out.append(
    h("p", { class: "q-summary" }, outside ? `${outside} field(s) outside the guide's reference range`
      : "every field inside the guide's reference range"),
    h("p", { class: "q-rotation" }, `optimal_rotation_angle: ${rot}`,
      rot ? ` (turn the photo ${rot} degrees clockwise to make the face upright)` : " (upright)"),
    h("table", { class: "grid", id: "q-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "field"), h("th", {}, "value"), h("th", {}, "reference"), h("th"))), body),
    h("p", { class: "note" }, "Reference ranges: the Mercury guide's values for passport-like photos; adjust them " +
      `to your use. Trace ${r.trace_id}`));
}

async function fillDatabases() {
  await loadDatabases();
  const box = $("#s-dbs");
  const was = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  for (const l of box.querySelectorAll("label, p")) l.remove();
  if (!state.dbs.length) box.append(h("p", { class: "note" }, "No database: create one on the Databases page."));
  state.dbs.forEach((d, n) => {
    const cb = h("input", { type: "checkbox", value: d.db_id, checked: was.size ? was.has(d.db_id) : n === 0 });
    box.append(h("label", { class: "check" }, cb, ` ${d.name} (${d.size})`));
  });
}

async function search() {
  const file = picked("#s-file");
  const dbIds = [...document.querySelectorAll("#s-dbs input:checked")].map((i) => i.value);
  if (!dbIds.length) throw new Error("Tick at least one database to search.");
  const out = clear($("#s-result"));
  const canvas = $("#s-canvas");
  const scale = await drawPhoto(canvas, file, 320);
  const r = await call("POST", "/databases/search", { image: { data: await fileBase64(file) }, db_ids: dbIds,
    top_k: Number($("#s-topk").value), min_score: Number($("#s-min").value) });
  drawFaces(canvas, scale, [r.face]);
  dbIds.forEach((id, i) => {
    const d = state.dbs.find((x) => x.db_id === id);
    const st = r.results[i];
    const section = h("div", { class: "card s-batch", "data-db": id }, h("h3", {}, d ? d.name : id));
    if (st.code !== 0) {
      section.append(h("p", { class: "error-inline" },
        `${st.message} (code ${st.code}, internal_code ${st.internal_code}) trace_id ${r.trace_id}`));
    } else if (!r.batches[i].features.length) {
      section.append(h("p", { class: "note" }, "no hit at or above min_score"));
    } else {
      const body = h("tbody");
      r.batches[i].features.forEach((hit, j) => body.append(h("tr", { class: "s-hit" },
        h("td", {}, j + 1), h("td", { class: "s-score" }, fmt(hit.score, 4)), h("td", { class: "s-key" }, hit.feature.key),
        h("td", {}, hit.feature.extra_info), h("td", {}, h("code", {}, hit.feature.feature_id)))));
      section.append(h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "score"),
        h("th", {}, "key"), h("th", {}, "extra_info"), h("th", {}, "feature_id"))), body));
    }
    out.append(section);
  });
  out.append(h("p", { class: "note" }, `trace_id ${r.trace_id}`));
}
