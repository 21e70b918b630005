// Databases: list (name, size / max_size, feature_version, model_version), create, delete with confirmation.
import { call } from "./api.js";
import { $, clear, confirmDialog, guarded, h } from "./ui.js";
import { loadDatabases, loadInfo, state } from "./state.js";

export function init() {
  $("#db-create").addEventListener("submit", (ev) => {
    ev.preventDefault();
    guarded(create, "create database");
  });
}

export async function show() {
  if (!state.info) await loadInfo();
  fillPacks();
  await render();
}

function fillPacks() {
  const sel = clear($("#db-fv"));
  for (const p of state.info.recognizers || []) {
    sel.append(h("option", { value: p.feature_version, selected: p.default },
      `${p.name} (feature_version ${p.feature_version})${p.default ? ", default" : ""}`));
  }
}

async function render() {
  const dbs = await loadDatabases();
  const i = state.info;
  $("#db-quota").textContent = `${dbs.length} database(s); quota ${i.quota} feature ids, ` +
    `${i.quota_used} reserved by max_size.`;
  const body = clear($("#db-table tbody"));
  if (!dbs.length) body.append(h("tr", {}, h("td", { colspan: 8, class: "note" }, "No database yet.")));
  dbs.forEach((d) => {
    body.append(h("tr", { "data-db": d.db_id },
      h("td", { class: "db-name" }, h("a", { href: `#features/${d.db_id}` }, d.name)),
      h("td", {}, h("code", {}, d.db_id)),
      h("td", {}, d.description),
      h("td", { class: "db-size" }, `${d.size} / ${d.max_size} `,
        h("meter", { min: 0, max: d.max_size, value: d.size, high: d.max_size * 0.9 })),
      h("td", {}, d.feature_version),
      h("td", {}, h("code", {}, d.model_version)),
      h("td", { class: "db-created" }, created(d.created_at)),
      h("td", {}, h("button", { type: "button", class: "danger small db-delete",
        onclick: () => guarded(() => remove(d), "delete database") }, "Delete"))));
  });
}

/** "2026-12-05 02:30:48", or a note where the server sends no created_at (not Faceprint). */
export function created(at) {
  return at ? at.replace("T", " ").replace("Z", "") : "not given by this server";
}

async function create() {
  const body = {
    name: $("#db-name").value.trim(),
    description: $("#db-desc").value.trim(),
    max_size: Number($("#db-max").value),
    feature_version: Number($("#db-fv").value) || undefined,
  };
  const db = await call("POST", "/databases", body);
  $("#db-name").value = "";
  $("#db-desc").value = "";
  state.info = await loadInfo();
  await render();
  const row = document.querySelector(`#db-table tr[data-db="${db.db_id}"]`);
  if (row) row.classList.add("fresh");
}

async function remove(d) {
  const ok = await confirmDialog(`Delete the database "${d.name}" (${d.db_id}) and its ${d.size} feature(s)? ` +
    "This cannot be undone.");
  if (!ok) return;
  await call("DELETE", `/databases/${encodeURIComponent(d.db_id)}`);
  state.info = await loadInfo();
  await render();
}
