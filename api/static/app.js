// Shared by the pages (seller console, partner profile, recruiter): DOM building, API calls,
// the key field, the 4 C bars.

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

export const FOUR_CS = [
  ["capacity", "Capacity"],
  ["capability", "Capability"],
  ["commitment", "Commitment"],
  ["customer_fit", "Customer fit"],
];

// The band names of a 0–100 score, as a person reads them (thresholds: /ui/options.json).
const BAND_WORDS = { strong_fit: "strong", possible_fit: "fair", weak_fit: "weak" };
const DEFAULT_BANDS = { strong_fit: 65, possible_fit: 45 };

/** "strong_fit" / "possible_fit" / "weak_fit" for a 0–100 score, by the matrix's thresholds. */
export function bandOf(value, bands = DEFAULT_BANDS) {
  if (value >= bands.strong_fit) return "strong_fit";
  if (value >= bands.possible_fit) return "possible_fit";
  return "weak_fit";
}

/** The 4 C bars, each coloured by its band and labelled with value and band for screen readers. */
export function fourCsBars(fourCs, bands = DEFAULT_BANDS) {
  const list = el("dl", { class: "four-cs" });
  for (const [id, label] of FOUR_CS) {
    const value = Math.round(fourCs[id]);
    const band = bandOf(value, bands);
    list.append(
      el("dt", {}, label),
      el(
        "dd",
        {},
        el(
          "span",
          {
            class: `bar band-${band}`,
            role: "img",
            "aria-label": `${label} ${value} of 100, ${BAND_WORDS[band]}`,
            dataset: { c: id, band },
          },
          el("span", { style: `width: ${Math.max(0, Math.min(100, value))}%` }),
        ),
      ),
      el("dd", { class: "value", "aria-hidden": "true" }, value),
    );
  }
  return list;
}

/** The legend of the 4 C bar colours, with the thresholds in force. */
export function bandLegend(bands = DEFAULT_BANDS) {
  const strong = Math.round(bands.strong_fit);
  const fair = Math.round(bands.possible_fit);
  const item = (band, text) =>
    el("li", {}, el("span", { class: `swatch band-${band}`, "aria-hidden": "true" }), text);
  return el(
    "ul",
    { class: "legend band-legend", "aria-label": "4 C bar colours" },
    item("strong_fit", `strong (${strong}+)`),
    item("possible_fit", `fair (${fair}–${strong - 1})`),
    item("weak_fit", `weak (under ${fair})`),
  );
}

/** A link to a partner's profile page. */
export function partnerLink(partnerId, text, attrs = {}) {
  return el("a", { href: `/partners/${encodeURIComponent(partnerId)}`, ...attrs }, text);
}

/** A scrollable table: column headers, then the body rows (an optional caption first). */
export function dataTable(attrs, headers, rows, caption = null) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      attrs,
      caption,
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows),
    ),
  );
}

/** "12 Mar 2026" for an ISO date or timestamp (the browser's locale, UTC day). */
export function formatDate(iso) {
  if (!iso) return "—";
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/** 1234567 → "1.2M", 45000 → "45k" (chart axes, compact tables). */
export function compactNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

/** The line shown when feedback was refused: what to do next, never a raw validation message. */
export function feedbackProblem(error) {
  if (error.status === 0) return "Not recorded: the server cannot be reached. Try again.";
  if (error.status === 401 || error.status === 403) return `Not recorded: ${error.message}`;
  const fields = (error.body?.errors || []).map((e) => e.field);
  if (fields.includes("reason")) return "Not recorded: choose a reason for the rejection.";
  if (fields.includes("recommendation_id") || fields.includes("team_rank")) {
    return "Not recorded: this answer is no longer on file; search again.";
  }
  return "Not recorded: the server refused it. Search again and retry.";
}

/**
 * Accept / Reject… buttons, the reason chips a rejection needs (Escape or Cancel closes them)
 * and the outcome line, for one partner's card or a whole team's. `send(kind, reason)` records
 * the verdict (a rejected promise's ApiError is shown through `feedbackProblem`); once recorded
 * every control is disabled, so a verdict is given once.
 */
export function verdictControls({ label, reasons, send }) {
  const outcome = el("span", { class: "outcome", role: "status" });
  const accept = el("button", { type: "button", class: "good" }, "Accept");
  const reject = el("button", { type: "button", class: "danger", "aria-expanded": "false" }, "Reject…");
  const group = el(
    "div",
    { class: "reasons", role: "group", "aria-label": `Why reject ${label}?`, hidden: true },
    el("span", { class: "reasons-label" }, "Why?"),
    reasons.map((code) =>
      el("button", { type: "button", class: "reason-chip", dataset: { reason: code }, onclick: () => record("rejected", code) }, humanise(code)),
    ),
    el("button", { type: "button", class: "link-button", onclick: () => close(true) }, "Cancel"),
  );
  const close = (focus) => {
    group.hidden = true;
    reject.setAttribute("aria-expanded", "false");
    if (focus) reject.focus();
  };
  const record = async (kind, reason = null) => {
    outcome.className = "outcome";
    outcome.textContent = "Sending…";
    try {
      await send(kind, reason);
      for (const control of [accept, reject, ...group.querySelectorAll("button")]) control.disabled = true;
      close(false);
      outcome.textContent = kind === "accepted" ? "Accepted — recorded." : `Rejected (${humanise(reason)}) — recorded.`;
    } catch (error) {
      outcome.className = "outcome error";
      outcome.textContent = feedbackProblem(error);
    }
  };
  accept.addEventListener("click", () => record("accepted"));
  reject.addEventListener("click", () => {
    const opening = group.hidden;
    group.hidden = !opening;
    reject.setAttribute("aria-expanded", String(opening));
    outcome.className = "outcome";
    outcome.textContent = opening ? "Choose a reason to reject." : "";
    if (opening) group.querySelector(".reason-chip").focus();
  });
  group.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close(true);
  });
  return { accept, reject, reasons: group, outcome };
}
