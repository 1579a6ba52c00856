// Shared by the seller console and the recruiter page: DOM building, API calls, the key field.

/** Create an element: el("li", {class: "chip"}, "text", child). Text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const ACRONYMS = { isv: "ISV", smb: "SMB" };

/** "system_integrator" → "System integrator"; "isv" → "ISV". */
export function humanise(id) {
  const value = String(id ?? "");
  if (ACRONYMS[value]) return ACRONYMS[value];
  const text = value.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An API error carrying the problem+json `detail` and, when given, the whole body. */
export class ApiError extends Error {
  constructor(status, detail, body = null) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall back to the status line
  }
  const detail = body && typeof body.detail === "string" ? body.detail : null;
  return new ApiError(response.status, detail || `${response.status} ${response.statusText}`, body);
}

/**
 * Call the API with the Bearer key. `json` sends a JSON body, `form` a FormData body.
 * Returns the parsed JSON, or the Response itself with `raw: true`; throws ApiError.
 */
export async function api(path, { key, method, json, form, raw = false } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let response;
  try {
    response = await fetch(path, { method: method || (body ? "POST" : "GET"), headers, body });
  } catch (error) {
    throw new ApiError(0, `cannot reach the server (${error.message})`);
  }
  if (!response.ok) throw await problemOf(response);
  return raw ? response : response.json();
}

/** The values the forms offer (partner types, segments, industries, reject reasons). */
export async function loadOptions() {
  return api("/ui/options.json");
}

/**
 * Wire the API key field: the key lives in this tab's sessionStorage (never in a URL).
 * Returns a function giving the current key.
 */
export function bindKeyField(storageName) {
  const input = document.getElementById("api-key");
  const forget = document.getElementById("forget-key");
  const slot = `partnermatch.key.${storageName}`;
  input.value = sessionStorage.getItem(slot) || "";
  input.addEventListener("input", () => {
    const value = input.value.trim();
    if (value) sessionStorage.setItem(slot, value);
    else sessionStorage.removeItem(slot);
  });
  forget.addEventListener("click", () => {
    sessionStorage.removeItem(slot);
    input.value = "";
    input.focus();
  });
  return () => input.value.trim();
}

/** Show `text` in a message region (role=alert or status), or clear it with "". */
export function say(region, text, kind = "info") {
  region.className = `message ${kind}`;
  region.textContent = text;
}

/** Split "de, en; fr" into ["de", "en", "fr"]. */
export function splitList(text) {
  return String(text || "")
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter(Boolean);
}
