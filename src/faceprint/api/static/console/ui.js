// DOM helpers: elements built with textContent only (no HTML from data), the error list, the confirm dialog,
// photos drawn on canvases.

export const $ = (sel) => document.querySelector(sel);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== null) el.textContent = text;
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Shows an error (an ApiError or anything thrown) at the top of the page until dismissed. */
export function showError(e, context = "") {
  const box = $("#errors");
  const parts = [];
  if (e && e.code !== null && e.code !== undefined) parts.push(`code ${e.code}`);
  if (e && e.internalCode !== null && e.internalCode !== undefined) parts.push(`internal_code ${e.internalCode}`);
  if (e && e.status) parts.push(`HTTP ${e.status}`);
  const item = h("div", { class: "error" },
    h("strong", { class: "msg" }, (e && e.message) || String(e)),
    parts.length ? h("span", { class: "codes" }, ` (${parts.join(", ")})`) : null,
    context || (e && e.what) ? h("span", { class: "ctx" }, ` in ${context || e.what}`) : null,
    e && e.traceId ? h("span", { class: "trace" }, " trace_id ", h("code", { class: "trace-id" }, e.traceId)) : null,
    h("button", { type: "button", class: "link dismiss", title: "dismiss", onclick: () => item.remove() }, "x"));
  box.append(item);
  while (box.children.length > 5) box.firstChild.remove();
  if (!(e && e.traceId !== undefined)) console.error(e);
}

export function clearErrors() {
  clear($("#errors"));
}

/** The same error inline (beside a photo or a row). */
export function errorText(e) {
  const bits = [e.message];
  if (e.code !== null && e.code !== undefined) bits.push(`code ${e.code}`);
  if (e.internalCode) bits.push(`internal_code ${e.internalCode}`);
  if (e.traceId) bits.push(`trace_id ${e.traceId}`);
  return h("span", { class: "error-inline" }, bits.join(" · "));
}

/** Runs ``fn`` with the busy marker shown; any error is shown, never swallowed. Returns fn's value or undefined. */
let busyCount = 0;
export async function guarded(fn, context = "") {
  busyCount++;
  $("#busy").hidden = false;
  try {
    return await fn();
  } catch (e) {
    showError(e, context);
    return undefined;
  } finally {
    busyCount--;
    if (busyCount === 0) $("#busy").hidden = true;
  }
}

/** A modal confirmation; resolves true only on the explicit "Delete". */
export function confirmDialog(text) {
  const dlg = $("#confirm");
  $("#confirm-text").textContent = text;
  return new Promise((resolve) => {
    const done = (v) => {
      $("#confirm-yes").removeEventListener("click", yes);
      $("#confirm-no").removeEventListener("click", no);
      dlg.removeEventListener("cancel", no);
      dlg.close();
      resolve(v);
    };
    const yes = () => done(true);
    const no = () => done(false);
    $("#confirm-yes").addEventListener("click", yes);
    $("#confirm-no").addEventListener("click", no);
    dlg.addEventListener("cancel", no);
    dlg.showModal();
  });
}

/** Draws a File on a canvas (at most ``max`` px wide); returns the scale from image pixels to canvas pixels.
 * The browser applies EXIF orientation, as the service does, so boxes line up. */
export async function drawPhoto(canvas, file, max = 640) {
  const bmp = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, max / bmp.width);
  canvas.width = Math.max(1, Math.round(bmp.width * scale));
  canvas.height = Math.max(1, Math.round(bmp.height * scale));
  canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
  bmp.close();
  return scale;
}

const COLOURS = ["#1f9d55", "#d97706", "#2563eb", "#db2777", "#7c3aed", "#0891b2"];

/** Boxes (and landmarks) of faces over a photo drawn by drawPhoto. */
export function drawFaces(canvas, scale, faces) {
  const ctx = canvas.getContext("2d");
  ctx.lineWidth = Math.max(2, canvas.width / 300);
  ctx.font = `${Math.max(12, Math.round(canvas.width / 40))}px sans-serif`;
  faces.forEach((f, i) => {
    const c = COLOURS[i % COLOURS.length];
    const r = f.rectangle;
    ctx.strokeStyle = c;
    ctx.fillStyle = c;
    ctx.strokeRect(r.left * scale, r.top * scale, r.width * scale, r.height * scale);
    ctx.fillText(String(i + 1), r.left * scale + 3, r.top * scale - 4);
    for (const p of f.landmarks || []) {
      ctx.beginPath();
      ctx.arc(p.x * scale, p.y * scale, Math.max(2, ctx.lineWidth), 0, 2 * Math.PI);
      ctx.fill();
    }
  });
}

export function colour(i) {
  return COLOURS[i % COLOURS.length];
}

export function kv(dl, pairs) {
  clear(dl);
  for (const [k, v] of pairs) dl.append(h("dt", {}, k), h("dd", {}, v));
}
