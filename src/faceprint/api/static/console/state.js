// What the pages share: the app's /info (recogniser packs, thresholds, quota) and its databases.
import { call } from "./api.js";

export const state = { info: null, dbs: [] };

export async function loadInfo() {
  state.info = await call("GET", "/info");
  return state.info;
}

/** Every database of the app, oldest first, each read in full (GET databases/{db_id}). */
export async function loadDatabases() {
  const list = await call("GET", "/databases");
  state.dbs = await Promise.all(list.databases.map((id) => call("GET", `/databases/${encodeURIComponent(id)}`)));
  return state.dbs;
}

/** The default pack's score per false-accept rate, [{far, score}], highest FAR first. */
export function thresholds() {
  const packs = (state.info && state.info.recognizers) || [];
  const pack = packs.find((p) => p.default) || packs[0];
  return pack ? [...pack.thresholds].sort((a, b) => b.far - a.far) : [];
}

// The journal of features added from this browser, per app and database (the API lists no features).
function journalKey(appId, dbId) {
  return `faceprint.console.journal.${appId}.${dbId}`;
}

export function journal(appId, dbId) {
  try {
    return JSON.parse(localStorage.getItem(journalKey(appId, dbId)) || "[]");
  } catch {
    return [];
  }
}

export function saveJournal(appId, dbId, entries) {
  if (entries.length) localStorage.setItem(journalKey(appId, dbId), JSON.stringify(entries));
  else localStorage.removeItem(journalKey(appId, dbId));
}

export function journalUpsert(appId, dbId, feature) {
  const entries = journal(appId, dbId);
  const entry = { feature_id: feature.feature_id, key: feature.key, extra_info: feature.extra_info };
  const at = entries.findIndex((e) => e.feature_id === feature.feature_id);
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
  saveJournal(appId, dbId, entries);
}

export function journalDrop(appId, dbId, featureId) {
  saveJournal(appId, dbId, journal(appId, dbId).filter((e) => e.feature_id !== featureId));
}
