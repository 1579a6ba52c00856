// Recruiter page: a prospects file → POST /v1/screening-batches (a saved batch) → the batch a
// page at a time (search, band, status, sort), a status per prospect that survives a reload,
// re-weighting (PUT .../weights), the histogram of the whole batch and the scored CSV.
import { ApiError, api, bindKeyField, dataTable, el, formatDate, humanise, loadOptions, say } from "./app.js";

const WEIGHTS = ["capacity", "capability", "commitment", "customer_fit"];
const BAND_COLOURS = { strong_fit: "#1e7b4a", possible_fit: "#d99a2b", weak_fit: "#c0504a" };
const STATUSES = ["new", "contacted", "onboarding", "declined"];
const GAPS_SHOWN = 2;
// the sortable columns (the API's `sort` names); the first click orders best first, A–Z for names
const COLUMNS = [
  { id: "name", label: "Prospect", first: "asc" },
  { id: "capacity", label: "Capacity" },
  { id: "capability", label: "Capability" },
  { id: "commitment", label: "Commitment" },
  { id: "customer_fit", label: "Customer fit" },
  { id: "overall", label: "Overall" },
  { id: "band", label: "Band" },
  { id: "gaps", label: "Gaps" },
  { id: null, label: "Looks like" },
  { id: "status", label: "Status", first: "asc" },
];

const form = document.getElementById("screen-form");
const fileInput = document.getElementById("prospects-file");
const message = document.getElementById("message");
const currentKey = bindKeyField("recruiter");
let batch = null; // the open batch's summary
let query = { q: "", band: "", status: "", sort: "overall", order: "desc", offset: 0, limit: 25 };
let total = 0;
let pageNumber = 0; // bumps on each page request; a late answer for an older one is dropped

const batchUrl = (suffix = "") => `/v1/screening-batches/${encodeURIComponent(batch.batch_id)}${suffix}`;

function needKey() {
  if (currentKey()) return false;
  say(message, "Enter your API key first.", "error");
  document.getElementById("api-key").focus();
  return true;
}

// -- saved batches ---------------------------------------------------------------------------

async function loadBatches() {
  const target = document.getElementById("saved-batches");
  if (!currentKey()) return;
  let listing;
  try {
    listing = await api("/v1/screening-batches?limit=20", { key: currentKey() });
  } catch (error) {
    target.replaceChildren(el("p", { class: "message error" }, `The saved batches are unavailable: ${error.message}`));
    return;
  }
  if (!listing.batches.length) {
    target.replaceChildren(el("p", { class: "muted" }, "No batch saved yet: screen a file below."));
    return;
  }
  target.replaceChildren(
    dataTable(
      { id: "batches-table" },
      ["Batch", "Screened", "Prospects", "Pipeline", ""],
      listing.batches.map((b) =>
        el(
          "tr",
          { dataset: { batchId: b.batch_id }, class: batch?.batch_id === b.batch_id ? "current" : null },
          el("th", { scope: "row" }, b.name),
          el("td", {}, formatDate(b.created_at)),
          el("td", { class: "num" }, b.rows_scored),
          el("td", {}, STATUSES.map((s) => `${humanise(s)} ${b.status_counts[s]}`).join(" · ")),
          el(
            "td",
            {},
            el(
              "button",
              { type: "button", class: "secondary", "aria-label": `Open ${b.name}`, onclick: () => openBatch(b.batch_id, true) },
              "Open",
            ),
          ),
        ),
      ),
    ),
  );
}

// -- screening a file into a new batch -------------------------------------------------------

/** Query string for the weights, only once the sliders were moved (else the matrix defaults). */
function weightParams() {
  const params = new URLSearchParams();
  if (weightsTouched()) for (const name of WEIGHTS) params.set(name, document.getElementById(`w-${name}`).value);
  return params;
}

function weightsTouched() {
  return WEIGHTS.some((name) => document.getElementById(`w-${name}`).value !== "25");
}

async function screen() {
  say(message, "");
  if (needKey()) return;
  if (!fileInput.files.length) {
    say(message, "Choose a prospects file first.", "error");
    fileInput.focus();
    return;
  }
  const button = document.getElementById("screen");
  button.disabled = true;
  const data = new FormData();
  data.append("file", fileInput.files[0]);
  const params = weightParams();
  try {
    const created = await api(`/v1/screening-batches${params.size ? `?${params}` : ""}`, { key: currentKey(), form: data });
    query = { ...query, q: "", band: "", status: "", offset: 0 };
    await showBatch(created, true);
    loadBatches();
  } catch (error) {
    showFailure(error);
  } finally {
    button.disabled = false;
  }
}

function showFailure(error) {
  say(message, error.message, "error");
  // a whole-file problem (missing columns, empty file) may name the field at fault
  const fieldErrors = error instanceof ApiError ? error.body?.errors || [] : [];
  showProblems(fieldErrors.map((e) => ({ line: "—", column: e.field, message: e.message })));
  document.getElementById("batch").hidden = true;
}

function showProblems(problems) {
  const section = document.getElementById("problems");
  section.hidden = problems.length === 0;
  document
    .getElementById("problem-rows")
    .replaceChildren(
      ...problems.map((p) => el("tr", {}, el("td", { class: "num" }, p.line), el("td", {}, p.column), el("td", {}, p.message))),
    );
}

// -- the open batch --------------------------------------------------------------------------

async function openBatch(batchId, focus = false) {
  say(message, "");
  if (needKey()) return;
  try {
    const summary = await api(`/v1/screening-batches/${encodeURIComponent(batchId)}`, { key: currentKey() });
    query = { ...query, q: "", band: "", status: "", offset: 0 };
    await showBatch(summary, focus);
  } catch (error) {
    say(message, error.status === 404 ? "That batch is no longer saved." : error.message, "error");
    document.getElementById("batch").hidden = true;
    history.replaceState(null, "", location.pathname);
  }
}

async function showBatch(summary, focus) {
  batch = summary;
  history.replaceState(null, "", `${location.pathname}?batch=${encodeURIComponent(batch.batch_id)}`);
  for (const name of WEIGHTS) {
    const value = batch.weights[name] ?? 25;
    document.getElementById(`w-${name}`).value = value;
    document.getElementById(`w-${name}-out`).textContent = String(value);
  }
  document.getElementById("search").value = query.q;
  document.getElementById("band-filter").value = query.band;
  document.getElementById("status-filter").value = query.status;
  renderSummary();
  document.getElementById("batch").hidden = false;
  await loadPage();
  if (focus) document.getElementById("batch-heading").focus();
}

function renderSummary() {
  const { rows_read: read, rows_scored: scored, problems } = batch;
  showProblems(problems);
  if (problems.length) {
    const lines = [...new Set(problems.map((p) => p.line))];
    say(
      message,
      `${lines.length} row(s) could not be scored (line ${lines.join(", ")}); the table below lists each problem.`,
      "error",
    );
  }
  document.getElementById("batch-heading").textContent = `${batch.name} — ${scored} prospect(s)`;
  document.getElementById("summary").textContent =
    `${read} row(s) read, ${scored} scored` +
    (problems.length ? `, ${problems.length} problem(s).` : ".") +
    ` Screened ${formatDate(batch.created_at)}.`;
  renderPipeline();
  drawHistogram(batch.histogram);
}

function renderPipeline() {
  const counts = batch.status_counts;
  document.getElementById("pipeline").replaceChildren(
    ...["", ...STATUSES].map((status) =>
      el(
        "button",
        {
          type: "button",
          class: `pipeline-step${query.status === status ? " active" : ""}`,
          "aria-pressed": String(query.status === status),
          dataset: { status },
          onclick: () => {
            query = { ...query, status, offset: 0 };
            document.getElementById("status-filter").value = status;
            renderPipeline();
            loadPage();
          },
        },
        status ? humanise(status) : "All",
        " ",
        el("span", { class: "count" }, status ? counts[status] : batch.rows_scored),
      ),
    ),
  );
}

async function loadPage() {
  const number = ++pageNumber;
  const params = new URLSearchParams({ sort: query.sort, order: query.order, offset: query.offset, limit: query.limit });
  for (const name of ["q", "band", "status"]) if (query[name]) params.set(name, query[name]);
  const body = document.getElementById("prospect-rows");
  body.setAttribute("aria-busy", "true");
  let page;
  try {
    page = await api(batchUrl(`/prospects?${params}`), { key: currentKey() });
  } catch (error) {
    if (number !== pageNumber) return;
    body.replaceChildren();
    say(message, error.message, "error");
    return;
  } finally {
    if (number === pageNumber) body.removeAttribute("aria-busy");
  }
  if (number !== pageNumber) return;
  total = page.total;
  renderHead();
  body.replaceChildren(...page.prospects.map(row));
  if (!page.prospects.length) {
    body.append(el("tr", {}, el("td", { colspan: COLUMNS.length, class: "muted" }, "No prospect matches.")));
  }
  const first = total ? query.offset + 1 : 0;
  const last = query.offset + page.prospects.length;
  const pages = Math.max(1, Math.ceil(total / query.limit));
  const current = Math.floor(query.offset / query.limit) + 1;
  document.getElementById("page-status").textContent =
    `Showing ${first}–${last} of ${total.toLocaleString("en")} · page ${current} of ${pages}`;
  document.getElementById("previous-page").disabled = query.offset === 0;
  document.getElementById("next-page").disabled = last >= total;
}

function renderHead() {
  document.getElementById("prospects-head").replaceChildren(
    ...COLUMNS.map((column) => {
      if (!column.id) return el("th", { scope: "col" }, column.label);
      const active = query.sort === column.id;
      return el(
        "th",
        { scope: "col", "aria-sort": active ? (query.order === "desc" ? "descending" : "ascending") : null },
        el("button", { type: "button", onclick: () => sortBy(column) }, column.label),
      );
    }),
  );
}

function sortBy(column) {
  query =
    query.sort === column.id
      ? { ...query, order: query.order === "desc" ? "asc" : "desc", offset: 0 }
      : { ...query, sort: column.id, order: column.first || "desc", offset: 0 };
  loadPage().then(() => document.querySelector("#prospects-head th[aria-sort] button")?.focus());
}

function gapsCell(gaps) {
  if (!gaps.length) return el("td", { class: "muted" }, "—");
  const list = (items) => el("ul", { class: "gaps" }, items.map((gap) => el("li", {}, gap)));
  if (gaps.length <= GAPS_SHOWN + 1) return el("td", {}, list(gaps));
  return el(
    "td",
    {},
    list(gaps.slice(0, GAPS_SHOWN)),
    el("details", { class: "more-gaps" }, el("summary", {}, `${gaps.length - GAPS_SHOWN} more`), list(gaps.slice(GAPS_SHOWN))),
  );
}

function row(prospect) {
  const number = (value) => el("td", { class: "num" }, Math.round(value));
  const statusId = `status-${prospect.partner_id}`;
  const select = el(
    "select",
    {
      id: statusId,
      class: "status-select",
      "aria-label": `Status of ${prospect.name}`,
      onchange: (event) => changeStatus(prospect, event.target),
    },
    STATUSES.map((status) => el("option", { value: status, selected: status === prospect.status }, humanise(status))),
  );
  return el(
    "tr",
    { dataset: { partnerId: prospect.partner_id, status: prospect.status } },
    el("td", {}, el("strong", {}, prospect.name), el("br"), el("span", { class: "muted" }, prospect.partner_id)),
    number(prospect.four_cs.capacity),
    number(prospect.four_cs.capability),
    number(prospect.four_cs.commitment),
    number(prospect.four_cs.customer_fit),
    el("td", { class: "num overall" }, prospect.overall.toFixed(1)),
    el("td", {}, el("span", { class: `band band-${prospect.band}` }, humanise(prospect.band))),
    gapsCell(prospect.gaps),
    el(
      "td",
      { class: "looks-like" },
      prospect.looks_like.length
        ? prospect.looks_like.map((alike) =>
            el("div", {}, `${alike.name} `, el("span", { class: "muted" }, `(${alike.partner_id}, ${alike.similarity.toFixed(2)})`)),
          )
        : el("span", { class: "muted" }, "—"),
    ),
    el("td", {}, select, el("span", { class: "status-saved", role: "status" })),
  );
}

async function changeStatus(prospect, select) {
  const saved = select.parentElement.querySelector(".status-saved");
  const previous = prospect.status;
  saved.className = "status-saved";
  saved.textContent = "Saving…";
  try {
    const changed = await api(batchUrl(`/prospects/${encodeURIComponent(prospect.partner_id)}`), {
      key: currentKey(),
      method: "PATCH",
      json: { status: select.value },
    });
    prospect.status = changed.status;
    select.closest("tr").dataset.status = changed.status;
    batch.status_counts[previous] -= 1;
    batch.status_counts[changed.status] += 1;
    renderPipeline();
    saved.textContent = "Saved";
  } catch (error) {
    select.value = previous;
    saved.className = "status-saved error";
    saved.textContent = `Not saved: ${error.message}`;
  }
}

/** A histogram of the overall scores (10 bins of 10 points), stacked by band; plain SVG. */
function drawHistogram(bins) {
  const bands = Object.keys(BAND_COLOURS);
  const totals = bins.map((bin) => bands.reduce((sum, band) => sum + bin[band], 0));
  const highest = Math.max(1, ...totals);
  const [width, height, left, bottom, top] = [600, 220, 32, 28, 12];
  const barWidth = (width - left) / bins.length;
  const scale = (height - bottom - top) / highest;
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...children) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    node.append(...children);
    return node;
  };
  const description = totals
    .map((count, i) => (count ? `${count} between ${bins[i].low} and ${bins[i].high}` : null))
    .filter(Boolean)
    .join(", ");
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Overall score histogram: ${description}` });
  chart.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#9aa4b2" }));
  for (const tick of [0, Math.ceil(highest / 2), highest]) {
    const y = height - bottom - tick * scale;
    chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6575" }, String(tick)));
  }
  bins.forEach((bin, i) => {
    let y = height - bottom;
    const x = left + i * barWidth + 3;
    for (const band of bands) {
      const h = bin[band] * scale;
      if (!h) continue;
      y -= h;
      chart.append(
        svg(
          "rect",
          { x, y, width: barWidth - 6, height: h, fill: BAND_COLOURS[band], class: "hist-bar" },
          svg("title", {}, `${bin[band]} ${humanise(band).toLowerCase()}, overall ${bin.low}–${bin.high}`),
        ),
      );
    }
    chart.append(
      svg("text", { x: x + (barWidth - 6) / 2, y: height - 10, "text-anchor": "middle", "font-size": 11, fill: "#5b6575" }, String(bin.low)),
    );
  });
  document.getElementById("histogram").replaceChildren(chart);
}

async function download() {
  say(message, "");
  if (needKey() || !batch) return;
  const params = new URLSearchParams({ sort: query.sort, order: query.order });
  for (const name of ["q", "band", "status"]) if (query[name]) params.set(name, query[name]);
  try {
    const response = await api(batchUrl(`/csv?${params}`), { key: currentKey(), raw: true });
    const disposition = response.headers.get("Content-Disposition") || "";
    // the exact name is the UTF-8 `filename*`; `filename` is its ASCII stand-in
    const exact = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
    const filename =
      (exact && decodeURIComponent(exact)) ||
      /filename="([^"]+)"/.exec(disposition)?.[1] ||
      "scored-prospects.csv";
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    say(message, error.message, "error");
  }
}

async function reweight() {
  if (!batch || needKey()) return;
  const weights = weightsTouched()
    ? Object.fromEntries(WEIGHTS.map((name) => [name, Number(document.getElementById(`w-${name}`).value)]))
    : {};
  try {
    batch = await api(batchUrl("/weights"), { key: currentKey(), method: "PUT", json: weights });
    say(message, "");
    renderSummary();
    await loadPage();
  } catch (error) {
    say(message, error.message, "error");
  }
}

// -- wiring ----------------------------------------------------------------------------------

for (const name of WEIGHTS) {
  const slider = document.getElementById(`w-${name}`);
  const output = document.getElementById(`w-${name}-out`);
  slider.addEventListener("input", () => {
    output.textContent = slider.value;
  });
  slider.addEventListener("change", reweight);
}
document.getElementById("reset-weights").addEventListener("click", () => {
  for (const name of WEIGHTS) {
    document.getElementById(`w-${name}`).value = 25;
    document.getElementById(`w-${name}-out`).textContent = "25";
  }
  reweight();
});
let searchTimer = null;
document.getElementById("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    query = { ...query, q: event.target.value.trim(), offset: 0 };
    loadPage();
  }, 250);
});
document.getElementById("find-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  query = { ...query, q: document.getElementById("search").value.trim(), offset: 0 };
  loadPage();
});
document.getElementById("band-filter").addEventListener("change", (event) => {
  query = { ...query, band: event.target.value, offset: 0 };
  loadPage();
});
document.getElementById("status-filter").addEventListener("change", (event) => {
  query = { ...query, status: event.target.value, offset: 0 };
  renderPipeline();
  loadPage();
});
document.getElementById("page-size").addEventListener("change", (event) => {
  query = { ...query, limit: Number(event.target.value), offset: 0 };
  loadPage();
});
document.getElementById("previous-page").addEventListener("click", () => {
  query = { ...query, offset: Math.max(0, query.offset - query.limit) };
  loadPage();
});
document.getElementById("next-page").addEventListener("click", () => {
  query = { ...query, offset: query.offset + query.limit };
  loadPage();
});
document.getElementById("download").addEventListener("click", download);
document.getElementById("api-key").addEventListener("change", () => {
  loadBatches();
  const wanted = new URLSearchParams(location.search).get("batch");
  if (wanted && !batch) openBatch(wanted);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  screen();
});

async function init() {
  const statusFilter = document.getElementById("status-filter");
  try {
    const options = await loadOptions();
    for (const status of options.prospect_statuses || STATUSES) statusFilter.append(el("option", { value: status }, humanise(status)));
  } catch {
    for (const status of STATUSES) statusFilter.append(el("option", { value: status }, humanise(status)));
  }
  if (!currentKey()) return;
  loadBatches();
  const wanted = new URLSearchParams(location.search).get("batch");
  if (wanted) openBatch(wanted);
}
init();
