// The console's entry: sign-in, the page router (#databases, #features, #try, #service), sign-out.
import { ApiError, call, current, forget, remember } from "./api.js";
import { $, clearErrors, guarded, showError } from "./ui.js";
import { loadInfo, state } from "./state.js";
import * as databases from "./databases.js";
import * as features from "./features.js";
import * as tryit from "./tryit.js";
import * as service from "./service.js";

const PAGES = { databases, features, try: tryit, service };
const started = new Set();

function pageName() {
  const name = location.hash.replace(/^#/, "").split("/")[0];
  return name in PAGES ? name : "databases";
}

async function show() {
  delete document.body.dataset.ready;
  const signedIn = Boolean(current());
  $("#nav").hidden = !signedIn;
  $("#signout").hidden = !signedIn;
  $("#who").hidden = !signedIn;
  for (const s of document.querySelectorAll(".page")) s.hidden = true;
  if (!signedIn) {
    $("#page-signin").hidden = false;
    document.body.dataset.page = "signin";
    return;
  }
  const name = pageName();
  $("#who").textContent = `app ${current().app_id}`;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("on", a.dataset.page === name);
  $(`#page-${name}`).hidden = false;
  document.body.dataset.page = name;
  const page = PAGES[name];
  if (!started.has(name)) {
    started.add(name);
    page.init();
  }
  await guarded(() => page.show(location.hash), name);
  document.body.dataset.ready = name;
}

async function signIn(ev) {
  ev.preventDefault();
  clearErrors();
  const pasted = $("#signin-json").value.trim();
  let cred = { app_id: $("#signin-app").value.trim(), access_key: $("#signin-ak").value.trim(),
    secret_key: $("#signin-sk").value };
  if (pasted) {
    try {
      const j = JSON.parse(pasted);
      cred = { app_id: String(j.app_id || ""), access_key: String(j.access_key || ""),
        secret_key: String(j.secret_key || "") };
    } catch (e) {
      showError(new ApiError({ message: `The pasted text is not JSON: ${e.message}` }), "sign-in");
      return;
    }
  }
  if (!cred.app_id || !cred.access_key || !cred.secret_key) {
    showError(new ApiError({ message: "App id, access key and secret key are all needed." }), "sign-in");
    return;
  }
  // The key is checked by a signed GET info: the service's own refusal (Kong's message) is what is shown.
  const info = await guarded(() => call("GET", "/info", undefined, cred), "sign-in");
  if (!info) return;
  remember(cred);
  state.info = info;
  $("#signin-sk").value = "";
  $("#signin-json").value = "";
  if (!location.hash || location.hash === "#signin") location.hash = "#databases";
  else await show();
}

function signOut() {
  forget();
  // a fresh page: nothing of this app's data stays in the document or in memory
  location.replace(location.pathname);
}

async function start() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", show);
  window.addEventListener("unhandledrejection", (ev) => showError(ev.reason));
  window.addEventListener("error", (ev) => showError(ev.error || ev.message));
  if (current()) await guarded(loadInfo, "GET /info");
  await show();
  document.body.dataset.started = "1";
}

start();
