// Service: version and recogniser packs (GET info, signed), health (/healthz, /readyz) and the request counts
// and latencies of /metrics (Prometheus text) as a small chart.
import { ops } from "./api.js";
import { $, clear, h, kv, svg, guarded } from "./ui.js";
import { loadInfo } from "./state.js";

let timer = null;

export function init() {
  $("#svc-refresh").addEventListener("click", () => guarded(refresh, "service"));
  $("#svc-auto").addEventListener("change", (ev) => {
    clearInterval(timer);
    timer = ev.target.checked ? setInterval(() => {
      if (document.body.dataset.page === "service") guarded(refresh, "service");
    }, 5000) : null;
  });
}

export async function show() {
  await refresh();
}

async function refresh() {
  const [info, live, ready, metrics] = await Promise.all([loadInfo(), ops("/healthz"), ops("/readyz"),
    ops("/metrics")]);
  kv($("#svc-info"), [
    ["server", `${info.server} ${info.server_version}`],
    ["API version", `Mercury Cloud face OpenAPI ${info.version}`],
    ["default recogniser", `${info.model_version} (feature_version ${info.feature_version})`],
    ["app", info.app_id],
    ["quota", `${info.quota_used} of ${info.quota} feature ids reserved, ${info.databases} database(s)`],
  ]);
  const problems = (ready.body && ready.body.problems) || [];
  kv($("#svc-health"), [
    ["/healthz", h("span", { class: live.ok ? "good" : "bad", id: "svc-live" },
      `${live.status} ${live.body && live.body.status ? live.body.status : ""}`)],
    ["/readyz", h("span", { class: ready.ok ? "good" : "bad", id: "svc-ready" },
      `${ready.status} ${ready.body && ready.body.status ? ready.body.status : ""}`)],
    ["problems", problems.length ? problems.join("; ") : "none"],
    ["models loaded", ready.ok ? (info.recognizers || []).map((p) => p.name).join(", ")
      : "not ready: see problems"],
  ]);
  const body = clear($("#svc-packs tbody"));
  for (const p of info.recognizers || []) {
    body.append(h("tr", {}, h("td", {}, p.name), h("td", {}, p.feature_version), h("td", {}, h("code", {}, p.model_version)),
      h("td", {}, p.dim), h("td", {}, p.default ? "yes" : ""),
      h("td", {}, p.thresholds.length ? p.thresholds.map((t) => `${t.score} @ ${t.far}`).join(", ") : "uncalibrated"),
      h("td", {}, p.licence)));
  }
  if (!metrics.ok) throw new Error(`/metrics answered HTTP ${metrics.status}`);
  chart(parseMetrics(String(metrics.body)));
}

/** Prometheus text exposition -> [{name, labels, value}] (comments skipped). */
export function parseProm(text) {
  const out = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split("\n")) {
    if (!raw || raw.startsWith("#")) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(label)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Per "METHOD endpoint": requests (all statuses), errors (status >= 400), mean and p95 latency in seconds. */
export function parseMetrics(text) {
  const rows = new Map();
  const get = (l) => {
    const k = `${l.method} ${(l.endpoint || "").replace("/openapi/face/v1/{app_id}/", "")}`;
    if (!rows.has(k)) rows.set(k, { name: k, requests: 0, errors: 0, sum: 0, count: 0, buckets: [] });
    return rows.get(k);
  };
  for (const s of parseProm(text)) {
    if (s.name === "faceprint_requests_total") {
      const r = get(s.labels);
      r.requests += s.value;
      if (Number(s.labels.status) >= 400) r.errors += s.value;
    } else if (s.name === "faceprint_request_seconds_sum") get(s.labels).sum = s.value;
    else if (s.name === "faceprint_request_seconds_count") get(s.labels).count = s.value;
    else if (s.name === "faceprint_request_seconds_bucket") get(s.labels).buckets.push([Number(s.labels.le), s.value]);
  }
  for (const r of rows.values()) {
    r.mean = r.count ? r.sum / r.count : 0;
    r.buckets.sort((a, b) => a[0] - b[0]);
    const need = 0.95 * r.count;
    const b = r.buckets.find(([, c]) => c >= need);
    r.p95 = b ? b[0] : 0;
  }
  return [...rows.values()].filter((r) => r.requests > 0).sort((a, b) => b.requests - a.requests);
}

function ms(s) {
  return s === Infinity ? "> 30 s" : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(s < 0.01 ? 1 : 0)} ms`;
}

function chart(rows) {
  const el = clear($("#svc-chart"));
  const W = 760, row = 22, left = 260, barW = 260;
  el.setAttribute("height", String(Math.max(30, rows.length * row + 10)));
  if (!rows.length) {
    el.append(svg("text", { x: 4, y: 20, "font-size": 12 }, "no request answered yet"));
    return;
  }
  const max = Math.max(...rows.map((r) => r.requests));
  rows.forEach((r, i) => {
    const y = 5 + i * row;
    const w = Math.max(1, (r.requests / max) * barW);
    const ew = (r.errors / max) * barW;
    el.append(svg("text", { x: left - 6, y: y + 14, "text-anchor": "end", "font-size": 12, class: "svc-endpoint" },
      r.name));
    el.append(svg("rect", { x: left, y, width: w, height: row - 6, fill: "#60a5fa" }));
    if (ew > 0) el.append(svg("rect", { x: left + w - ew, y, width: ew, height: row - 6, fill: "#f87171" }));
    el.append(svg("text", { x: left + w + 6, y: y + 14, "font-size": 12, class: "svc-count" },
      `${r.requests}${r.errors ? ` (${r.errors} errors)` : ""}  mean ${ms(r.mean)}, p95 <= ${ms(r.p95)}`));
  });
  el.setAttribute("width", String(W + 120));
}
