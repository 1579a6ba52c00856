// Recruiter page: upload prospects → POST /v1/prospects/screen → table, histogram, CSV download.
import { ApiError, api, bindKeyField, el, humanise, say } from "./app.js";

const WEIGHTS = ["capacity", "capability", "commitment", "customer_fit"];
const BAND_COLOURS = { strong_fit: "#1e7b4a", possible_fit: "#d99a2b", weak_fit: "#c0504a" };
const COLUMNS = [
  { id: "name", label: "Prospect", value: (row) => row.name.toLowerCase() },
  { id: "capacity", label: "Capacity", value: (row) => row.four_cs.capacity, numeric: true },
  { id: "capability", label: "Capability", value: (row) => row.four_cs.capability, numeric: true },
  { id: "commitment", label: "Commitment", value: (row) => row.four_cs.commitment, numeric: true },
  { id: "customer_fit", label: "Customer fit", value: (row) => row.four_cs.customer_fit, numeric: true },
  { id: "overall", label: "Overall", value: (row) => row.overall, numeric: true },
  { id: "band", label: "Band", value: (row) => ["weak_fit", "possible_fit", "strong_fit"].indexOf(row.band) },
  { id: "gaps", label: "Gaps", value: (row) => row.gaps.length },
  { id: "looks_like", label: "Looks like", value: (row) => row.looks_like[0]?.similarity ?? 0 },
];

const form = document.getElementById("screen-form");
const fileInput = document.getElementById("prospects-file");
const message = document.getElementById("message");
const currentKey = bindKeyField("recruiter");
let screened = null; // the last JSON answer
let sort = { column: "overall", descending: true };
let weightsTouched = false;

/** Query string for the weights, only once the sliders were moved (else the matrix defaults). */
function query(format) {
  const params = new URLSearchParams();
  if (format) params.set("format", format);
  if (weightsTouched) {
    for (const name of WEIGHTS) params.set(name, document.getElementById(`w-${name}`).value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function upload() {
  const data = new FormData();
  data.append("file", fileInput.files[0]);
  return data;
}

function ready() {
  if (!currentKey()) {
    say(message, "Enter your API key first.", "error");
    document.getElementById("api-key").focus();
    return false;
  }
  if (!fileInput.files.length) {
    say(message, "Choose a prospects file first.", "error");
    fileInput.focus();
    return false;
  }
  return true;
}

async function screen() {
  say(message, "");
  if (!ready()) return;
  const button = document.getElementById("screen");
  button.disabled = true;
  try {
    screened = await api(`/v1/prospects/screen${query()}`, { key: currentKey(), form: upload() });
    render();
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

function render() {
  const { rows_read: read, rows_scored: scored, results, problems } = screened;
  showProblems(problems);
  if (problems.length) {
    const lines = [...new Set(problems.map((p) => p.line))];
    say(
      message,
      `${lines.length} row(s) could not be scored (line ${lines.join(", ")}); the table below lists each problem.`,
      "error",
    );
  }
  const batch = document.getElementById("batch");
  batch.hidden = results.length === 0;
  document.getElementById("summary").textContent =
    `${read} row(s) read, ${scored} scored` + (problems.length ? `, ${problems.length} problem(s).` : ".");
  drawHistogram(results);
  renderTable();
}

function renderTable() {
  const head = document.getElementById("prospects-head");
  head.replaceChildren(
    ...COLUMNS.map((column) => {
      const active = sort.column === column.id;
      return el(
        "th",
        { scope: "col", "aria-sort": active ? (sort.descending ? "descending" : "ascending") : null },
        el("button", { type: "button", onclick: () => sortBy(column.id) }, column.label),
      );
    }),
  );
  const column = COLUMNS.find((c) => c.id === sort.column);
  const rows = [...screened.results].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.descending ? -order : order;
  });
  document.getElementById("prospect-rows").replaceChildren(...rows.map(row));
}

function row(prospect) {
  const number = (value) => el("td", { class: "num" }, Math.round(value));
  return el(
    "tr",
    { dataset: { partnerId: prospect.partner_id } },
    el("td", {}, el("strong", {}, prospect.name), el("br"), el("span", { class: "muted" }, prospect.partner_id)),
    number(prospect.four_cs.capacity),
    number(prospect.four_cs.capability),
    number(prospect.four_cs.commitment),
    number(prospect.four_cs.customer_fit),
    el("td", { class: "num overall" }, prospect.overall.toFixed(1)),
    el("td", {}, el("span", { class: `band band-${prospect.band}` }, humanise(prospect.band))),
    el("td", {}, prospect.gaps.join("; ") || "—"),
    el(
      "td",
      {},
      prospect.looks_like.map((alike) =>
        el("div", {}, `${alike.name} `, el("span", { class: "muted" }, `(${alike.similarity.toFixed(2)})`)),
      ),
    ),
  );
}

function sortBy(columnId) {
  sort =
    sort.column === columnId
      ? { column: columnId, descending: !sort.descending }
      : { column: columnId, descending: columnId !== "name" };
  renderTable();
  document.querySelector(`#prospects-head th[aria-sort] button`)?.focus();
}

/** A histogram of the overall scores (10 bins of 10 points), stacked by band; plain SVG. */
function drawHistogram(results) {
  const bands = Object.keys(BAND_COLOURS);
  const bins = Array.from({ length: 10 }, () => Object.fromEntries(bands.map((b) => [b, 0])));
  for (const prospect of results) {
    const bin = Math.min(9, Math.floor(prospect.overall / 10));
    bins[bin][prospect.band] = (bins[bin][prospect.band] || 0) + 1;
  }
  const totals = bins.map((bin) => Object.values(bin).reduce((a, b) => a + b, 0));
  const highest = Math.max(1, ...totals);
  const [width, height, left, bottom, top] = [600, 220, 32, 28, 12];
  const barWidth = (width - left) / 10;
  const scale = (height - bottom - top) / highest;
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...children) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    node.append(...children);
    return node;
  };
  const description = totals
    .map((count, i) => (count ? `${count} between ${i * 10} and ${i * 10 + 10}` : null))
    .filter(Boolean)
    .join(", ");
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Overall score histogram: ${description}` },
  );
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
          svg("title", {}, `${bin[band]} ${humanise(band).toLowerCase()}, overall ${i * 10}–${i * 10 + 10}`),
        ),
      );
    }
    chart.append(
      svg(
        "text",
        { x: x + (barWidth - 6) / 2, y: height - 10, "text-anchor": "middle", "font-size": 11, fill: "#5b6575" },
        String(i * 10),
      ),
    );
  });
  document.getElementById("histogram").replaceChildren(chart);
}

async function download() {
  say(message, "");
  if (!ready()) return;
  try {
    const response = await api(`/v1/prospects/screen${query("csv")}`, {
      key: currentKey(),
      form: upload(),
      raw: true,
    });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: "scored-prospects.csv", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showFailure(error);
  }
}

for (const name of WEIGHTS) {
  const slider = document.getElementById(`w-${name}`);
  const output = document.getElementById(`w-${name}-out`);
  slider.addEventListener("input", () => {
    output.textContent = slider.value;
  });
  slider.addEventListener("change", () => {
    weightsTouched = true;
    if (screened) screen();
  });
}
document.getElementById("reset-weights").addEventListener("click", () => {
  for (const name of WEIGHTS) {
    document.getElementById(`w-${name}`).value = 25;
    document.getElementById(`w-${name}-out`).textContent = "25";
  }
  weightsTouched = false;
  if (screened) screen();
});
document.getElementById("download").addEventListener("click", download);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  screen();
});
