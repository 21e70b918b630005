// Features of a database: add photos (drag and drop, 16 per request, progress, per-photo result), list them
// page by page (GET databases/{db_id}/features, a Faceprint extension), find by feature_id or key, edit
// extra_info, delete.
import { call, fileBase64, itemError } from "./api.js";
import { $, clear, confirmDialog, errorText, guarded, h, showError } from "./ui.js";
import { loadDatabases, state } from "./state.js";

const BATCH = 16; // images per batch-add request (the API's limit)
const PAGE = 50; // features listed per page
const KEY = /^[A-Za-z0-9-]{1,48}$/;
let queue = []; // [{file, url, key, extra_info, row, result}]
let dbId = "";
let offset = 0;

export function init() {
  const drop = $("#drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    enqueue([...ev.dataTransfer.files]);
  });
  $("#ft-files").addEventListener("change", (ev) => { enqueue([...ev.target.files]); ev.target.value = ""; });
  $("#ft-add").addEventListener("click", () => guarded(addAll, "add photos"));
  $("#ft-clear").addEventListener("click", () => { clearQueue(); });
  $("#ft-db").addEventListener("change", (ev) => { location.hash = `#features/${ev.target.value}`; });
  $("#ft-find").addEventListener("submit", (ev) => { ev.preventDefault(); guarded(find, "find feature"); });
  $("#ft-prev").addEventListener("click", () => guarded(() => listPage(Math.max(0, offset - PAGE)), "list features"));
  $("#ft-next").addEventListener("click", () => guarded(() => listPage(offset + PAGE), "list features"));
}

export async function show(hash) {
  await loadDatabases();
  const wanted = (hash.split("/")[1] || "").trim();
  const sel = clear($("#ft-db"));
  for (const d of state.dbs) sel.append(h("option", { value: d.db_id }, `${d.name} (${d.db_id.slice(0, 8)})`));
  if (!state.dbs.length) {
    dbId = "";
    sel.append(h("option", { value: "" }, "no database: create one first"));
  } else {
    dbId = state.dbs.some((d) => d.db_id === wanted) ? wanted : state.dbs[0].db_id;
    sel.value = dbId;
  }
  clear($("#ft-found"));
  renderSize();
  renderQueueButton();
  await listPage(0);
}

function db() {
  return state.dbs.find((d) => d.db_id === dbId);
}

function renderSize() {
  const d = db();
  $("#ft-db-size").textContent = d ? `${d.size} / ${d.max_size} features, ${d.model_version}` : "";
}

function enqueue(files) {
  const images = files.filter((f) => f.type.startsWith("image/") || /\.(jpe?g|png|bmp|tiff?|gif|webp)$/i.test(f.name));
  for (const file of images) {
    const item = { file, url: URL.createObjectURL(file), key: keyOf(file.name), extra_info: "" };
    const keyIn = h("input", { class: "q-key", value: item.key, maxlength: 48, pattern: "[A-Za-z0-9\\-]{1,48}" });
    keyIn.addEventListener("input", () => { item.key = keyIn.value; });
    const infoIn = h("input", { class: "q-info", value: "", maxlength: 1024, placeholder: "{\"name\": ...}" });
    infoIn.addEventListener("input", () => { item.extra_info = infoIn.value; });
    item.result = h("td", { class: "q-result note" }, "waiting");
    item.row = h("tr", { class: "q-item" }, h("td", {}, h("img", { src: item.url, alt: "", class: "thumb" })),
      h("td", {}, file.name), h("td", {}, keyIn), h("td", {}, infoIn), item.result);
    $("#ft-queue tbody").append(item.row);
    queue.push(item);
  }
  if (files.length > images.length) {
    const skipped = files.filter((f) => !images.includes(f)).map((f) => f.name).join(", ");
    $("#ft-progress-text").textContent = `not an image, left out: ${skipped}`;
  }
  renderQueueButton();
}

/** The file name as a key: the API takes 1-48 characters of A-Z, a-z, 0-9 and '-'. */
export function keyOf(name) {
  return name.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48) || "photo";
}

function clearQueue() {
  for (const it of queue) URL.revokeObjectURL(it.url);
  queue = [];
  clear($("#ft-queue tbody"));
  $("#ft-progress").hidden = true;
  $("#ft-progress-text").textContent = "";
  renderQueueButton();
}

function pending() {
  return queue.filter((it) => !it.done);
}

function renderQueueButton() {
  const n = pending().length;
  $("#ft-queue").hidden = queue.length === 0;
  $("#ft-add").disabled = n === 0 || !dbId;
  $("#ft-add").textContent = n ? `Add ${n} photo(s)` : "Add photos";
}

async function addAll() {
  const todo = pending();
  if (!todo.length || !dbId) return;
  const target = dbId;
  const bar = $("#ft-progress");
  bar.hidden = false;
  bar.max = todo.length;
  bar.value = 0;
  let added = 0;
  let failed = 0;
  $("#ft-add").disabled = true;
  for (let start = 0; start < todo.length; start += BATCH) {
    const batch = todo.slice(start, start + BATCH);
    batch.forEach((it) => { it.result.textContent = "sending"; });
    let resp;
    try {
      const images = await Promise.all(batch.map(async (it) => {
        const item = { image: { data: await fileBase64(it.file) } };
        if (it.key) item.key = it.key;
        if (it.extra_info) item.extra_info = it.extra_info;
        return item;
      }));
      resp = await call("POST", `/databases/${encodeURIComponent(target)}/features`, { images });
    } catch (e) {
      // the whole request failed (unknown database, body too large, refused): every photo of it shows why
      showError(e, "add photos");
      for (const it of batch) { setResult(it, null, e); failed++; }
      bar.value += batch.length;
      continue;
    }
    batch.forEach((it, i) => {
      const err = itemError(resp.results[i], resp.trace_id, it.file.name);
      const f = resp.features[i];
      if (err) { setResult(it, null, err); failed++; return; }
      setResult(it, f, null);
      added++;
    });
    bar.value += batch.length;
    $("#ft-progress-text").textContent = `${bar.value} / ${todo.length} sent`;
  }
  $("#ft-progress-text").textContent = `${added} added, ${failed} failed, of ${todo.length}`;
  await loadDatabases();
  renderSize();
  renderQueueButton();
  if (target === dbId) await listPage(offset);
}

function setResult(it, feature, err) {
  clear(it.result);
  it.result.className = "q-result";
  it.row.classList.remove("failed", "ok");
  if (err) {
    it.row.classList.add("failed");
    it.result.append(errorText(err));
    return;
  }
  it.done = true;
  it.row.classList.add("ok");
  it.result.append("added ", h("code", { class: "q-feature" }, feature.feature_id));
}

const featurePath = (id) => `/databases/${encodeURIComponent(dbId)}/features/${encodeURIComponent(id)}`;

function featureRow(f, n, { onGone = null } = {}) {
  const info = h("input", { class: "f-info", value: f.extra_info, maxlength: 1024 });
  const status = h("span", { class: "f-status note" });
  info.addEventListener("input", () => { status.textContent = ""; });
  const save = async () => {
    const r = await call("POST", `${featurePath(f.feature_id)}/extra_info`, { extra_info: info.value });
    f.extra_info = r.extra_info;
    status.textContent = "saved";
  };
  const remove = async () => {
    if (!(await confirmDialog(`Delete the feature "${f.key}" (${f.feature_id})?`))) return;
    await call("DELETE", featurePath(f.feature_id));
    await loadDatabases();
    renderSize();
    if (onGone) onGone();
    await listPage(offset);
  };
  return h("tr", { "data-feature": f.feature_id, "data-key": f.key },
    h("td", { class: "note" }, n),
    h("td", { class: "f-key" }, f.key),
    h("td", {}, h("code", {}, f.feature_id)),
    h("td", {}, info, " ", status),
    h("td", { class: "note" }, f.created_at ? f.created_at.replace("T", " ").replace("Z", "") : ""),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "small f-save", onclick: () => guarded(save, "update extra_info") }, "Save"),
      h("button", { type: "button", class: "small danger f-delete", onclick: () => guarded(remove, "delete feature") },
        "Delete")));
}

/** One page of the database's features, from ``from`` (a Faceprint extension of the API). */
async function listPage(from) {
  const body = clear($("#ft-table tbody"));
  if (!dbId) {
    body.append(h("tr", {}, h("td", { colspan: 6, class: "note" }, "No database.")));
    return;
  }
  const r = await call("GET", `/databases/${encodeURIComponent(dbId)}/features?offset=${from}&limit=${PAGE}`);
  offset = from;
  r.features.forEach((f, i) => body.append(featureRow(f, from + i + 1)));
  if (!r.features.length) body.append(h("tr", {}, h("td", { colspan: 6, class: "note" }, "No feature yet.")));
  const d = db();
  $("#ft-page").textContent = r.features.length
    ? `${from + 1}-${from + r.features.length}${d ? ` of ${d.size}` : ""}` : "";
  $("#ft-prev").disabled = from === 0;
  $("#ft-next").disabled = r.next_offset === null;
}

/** By feature_id (GET the feature) and by key (the list filtered by key): whichever finds something. */
async function find() {
  const q = $("#ft-find-q").value.trim();
  const out = clear($("#ft-found"));
  if (!q || !dbId) return;
  const found = new Map();
  try {
    const r = await call("GET", featurePath(q));
    found.set(r.feature.feature_id, r.feature);
  } catch (e) {
    if (e.internalCode !== 2003 && e.internalCode !== 1308) throw e; // not an id of this database: maybe a key
  }
  if (KEY.test(q)) {
    const r = await call("GET", `/databases/${encodeURIComponent(dbId)}/features?key=${encodeURIComponent(q)}` +
      "&limit=1000");
    for (const f of r.features) found.set(f.feature_id, f);
  }
  if (!found.size) {
    out.append(h("p", { class: "note ft-none" }, `No feature with the feature_id or key "${q}" in this database.`));
    return;
  }
  const body = h("tbody");
  [...found.values()].forEach((f, i) => body.append(featureRow(f, i + 1, { onGone: () => clear(out) })));
  out.append(h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "key"),
    h("th", {}, "feature_id"), h("th", {}, "extra_info"), h("th", {}, "added"), h("th"))), body));
}
