// The console's one way to the service: signed calls to the public API (Mercury paths and the documented
// Faceprint extensions, docs/api.md) and the unsigned /healthz, /readyz, /metrics. Nothing else.
import { signHeaders } from "./sign.js";

export const PREFIX = "/openapi/face/v1";
const SESSION_KEY = "faceprint.console.session";

/** An API refusal or failure, with what the service said: message, code, internal_code, trace_id. */
export class ApiError extends Error {
  constructor({ message, code = null, internalCode = null, traceId = "", status = 0, what = "" }) {
    super(message);
    this.code = code;
    this.internalCode = internalCode;
    this.traceId = traceId;
    this.status = status;
    this.what = what;
  }
}

let session = null; // {app_id, access_key, secret_key}: in memory, and in this tab's sessionStorage

export function current() {
  if (session) return session;
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (raw) session = JSON.parse(raw);
  } catch { session = null; }
  return session;
}

export function remember(cred) {
  session = { app_id: cred.app_id, access_key: cred.access_key, secret_key: cred.secret_key };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forget() {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
}

async function readBody(resp) {
  const text = await resp.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { message: text.slice(0, 300) }; }
}

/** A signed call: ``rest`` is the part after /openapi/face/v1/{app_id}. */
export async function call(method, rest, body = undefined, cred = current()) {
  if (!cred) throw new ApiError({ message: "Not signed in.", what: `${method} ${rest}` });
  const path = `${PREFIX}/${encodeURIComponent(cred.app_id)}${rest}`;
  const what = `${method} ${rest || "/"}`;
  let headers;
  try {
    headers = await signHeaders(cred.access_key, cred.secret_key, method, path);
  } catch (e) {
    throw new ApiError({ message: `Signing failed in this browser: ${e.message || e}`, what });
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit", redirect: "error",
    });
  } catch (e) {
    throw new ApiError({ message: `The service could not be reached: ${e.message || e}`, what });
  }
  const data = await readBody(resp);
  if (!resp.ok) {
    const d = data || {};
    throw new ApiError({
      message: d.message || `HTTP ${resp.status} ${resp.statusText}`,
      code: d.code ?? null, internalCode: d.internal_code ?? null,
      traceId: d.trace_id || resp.headers.get("x-trace-id") || "", status: resp.status, what,
    });
  }
  return data;
}

/** An unsigned ops call (/healthz, /readyz, /metrics): {status, ok, body (JSON or text)}. */
export async function ops(path) {
  let resp;
  try {
    resp = await fetch(path, { cache: "no-store", credentials: "omit" });
  } catch (e) {
    throw new ApiError({ message: `The service could not be reached: ${e.message || e}`, what: `GET ${path}` });
  }
  const text = await resp.text();
  let body = text;
  if ((resp.headers.get("content-type") || "").includes("json")) {
    try { body = JSON.parse(text); } catch { /* keep the text */ }
  }
  return { status: resp.status, ok: resp.ok, body, traceId: resp.headers.get("x-trace-id") || "" };
}

/** A per-item status of a batch (results[i]) as an ApiError, or null when it succeeded. */
export function itemError(status, traceId, what) {
  if (!status || status.code === 0) return null;
  return new ApiError({ message: status.message, code: status.code, internalCode: status.internal_code,
    traceId, what });
}

/** Base64 of a File's bytes (no data-URL prefix). */
export function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ""));
    r.onerror = () => reject(new ApiError({ message: `Could not read ${file.name}: ${r.error}` }));
    r.readAsDataURL(file);
  });
}
