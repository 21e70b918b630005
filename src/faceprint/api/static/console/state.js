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
