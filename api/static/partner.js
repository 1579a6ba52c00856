// Partner profile: GET /v1/partners/{id} (+ /four-cs, /scorecard, /activity) → the profile,
// 4 C bars coloured by band with their evidence, certifications with expiry, quarterly
// scorecard charts (uPlot, vendored under /static/vendor/uplot) and the recent activity.
import {
  FOUR_CS,
  api,
  bandLegend,
  bindKeyField,
  compactNumber,
  dataTable,
  el,
  formatDate,
  fourCsBars,
  humanise,
  loadOptions,
  say,
} from "./app.js";

const partnerId = decodeURIComponent(location.pathname.replace(/^\/partners\//, "").replace(/\/$/, ""));
const message = document.getElementById("message");
const profile = document.getElementById("profile");
const currentKey = bindKeyField("seller");
const EXPIRING_DAYS = 90;
const DAY_MS = 86_400_000;
const CHART_COLOURS = { raw: "#9aa4b2", shrunk: "#1f5fbf", sourced: "#1f5fbf", influenced: "#d99a2b", revenue: "#1e7b4a", csat: "#6b4fbb" };
let options = { industries: {}, score_bands: { strong_fit: 65, possible_fit: 45 } };
let quarters = [];
let charts = [];

const languageNames = new Intl.DisplayNames(["en"], { type: "language" });
const regionNames = new Intl.DisplayNames(["en"], { type: "region" });
const nameOf = (names, code) => {
  try {
    return names.of(code) || code;
  } catch {
    return code;
  }
};

async function load() {
  say(message, "");
  const key = currentKey();
  if (!key) {
    profile.hidden = true;
    say(message, "Enter your seller API key below, then press Show profile.", "info");
    document.getElementById("api-key").focus();
    return;
  }
  try {
    options = await loadOptions();
  } catch {
    // the page still works with the default thresholds
  }
  let partner;
  try {
    partner = await api(`/v1/partners/${encodeURIComponent(partnerId)}`, { key });
  } catch (error) {
    profile.hidden = true;
    document.getElementById("partner-meta").textContent = "";
    say(message, error.status === 404 ? `No partner with id ${partnerId}.` : error.message, "error");
    return;
  }
  renderPartner(partner);
  profile.hidden = false;
  const heading = document.getElementById("partner-name");
  heading.focus();
  await Promise.all([loadFourCs(key), loadScorecard(key), loadActivity(key)]);
}

// -- the profile itself ---------------------------------------------------------------------

function renderPartner(partner) {
  document.title = `${partner.name} · partnermatch`;
  document.getElementById("partner-name").textContent = partner.name;
  document
    .getElementById("partner-meta")
    .replaceChildren(
      humanise(partner.partner_type),
      " · ",
      partner.tier ? `${humanise(partner.tier)} tier` : "no tier",
      " · ",
      el("span", { class: "partner-id" }, partner.partner_id),
    );
  document.getElementById("description").textContent = partner.description || "No description on file.";
  const facts = document.getElementById("facts");
  facts.replaceChildren();
  const fact = (label, value) => {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
      facts.append(el("dt", {}, label), el("dd", { class: "muted" }, "unknown"));
    } else {
      facts.append(el("dt", {}, label), el("dd", {}, value));
    }
  };
  fact("Countries", partner.countries.map((code) => nameOf(regionNames, code)).join(", "));
  fact("Languages", partner.languages.map((code) => nameOf(languageNames, code)).join(", "));
  fact("Industries", partner.industries.map((id) => options.industries[id] || humanise(id)).join(", "));
  fact("Segments", partner.segments.map(humanise).join(", "));
  fact(
    "Specialisms",
    partner.specialisms.length
      ? el("ul", { class: "chips" }, partner.specialisms.map((tag) => el("li", { class: "chip" }, tag)))
      : null,
  );
  fact("Employees", partner.employees ?? null);
  fact("Certified staff", partner.certified_staff ?? null);
  fact("Customers", partner.customers ?? null);
  fact("Projects", projectsText(partner));
  if (partner.paused_until) fact("Paused until", formatDate(partner.paused_until));
  fact("Deals won / lost (12 months)", partner.deals_won_12m === null && partner.deals_lost_12m === null ? null : `${partner.deals_won_12m ?? "?"} / ${partner.deals_lost_12m ?? "?"}`);
  fact("Revenue (12 months)", partner.revenue_12m === null ? null : compactNumber(partner.revenue_12m));
  fact("CSAT", partner.csat === null ? null : Math.round(partner.csat));
  fact(
    "Templates and integrations",
    partner.assets.length
      ? el("ul", { class: "chips" }, partner.assets.map((asset) => el("li", { class: "chip" }, asset)))
      : null,
  );
  renderContact(partner);
  renderCertifications(partner.certifications);
}

function projectsText(partner) {
  const { active_projects: active, max_projects: most } = partner;
  if (active === null && most === null) return null;
  if (most === null) return `${active} active, no maximum on file`;
  const full = active !== null && active >= most;
  return el(
    "span",
    {},
    `${active ?? "?"} of ${most} project slots in use`,
    full ? el("strong", { class: "at-capacity" }, " — at capacity") : null,
  );
}

function renderContact(partner) {
  const contact = document.getElementById("contact");
  const website = safeWebsite(partner.website);
  contact.replaceChildren(
    el("dt", {}, "Website"),
    website
      ? el("dd", {}, el("a", { href: website, rel: "noopener noreferrer", target: "_blank", id: "website" }, website.replace(/^https?:\/\//, "")))
      : el("dd", { class: "muted" }, "not on file"),
    el("dt", {}, "Contact"),
    partner.contact ? el("dd", { id: "contact-text" }, partner.contact) : el("dd", { class: "muted" }, "not on file"),
  );
}

/** Only an http(s) address becomes a link (the API checks it too). */
function safeWebsite(address) {
  if (!address) return null;
  try {
    const url = new URL(address);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function renderCertifications(certifications) {
  const target = document.getElementById("certifications");
  if (!certifications.length) {
    target.replaceChildren(el("p", { class: "muted" }, "No certifications on file."));
    return;
  }
  const today = Date.now();
  const rows = [...certifications]
    .sort((a, b) => (a.expires_on || "9999").localeCompare(b.expires_on || "9999"))
    .map((cert) => {
      let status = el("span", { class: "cert-status valid" }, "valid, no expiry on file");
      if (cert.expires_on) {
        const days = Math.floor((Date.parse(`${cert.expires_on}T23:59:59Z`) - today) / DAY_MS);
        if (days < 0) status = el("span", { class: "cert-status expired" }, `expired ${-days} day${days === -1 ? "" : "s"} ago`);
        else if (days <= EXPIRING_DAYS) status = el("span", { class: "cert-status expiring" }, `expires in ${days} day${days === 1 ? "" : "s"}`);
        else status = el("span", { class: "cert-status valid" }, "valid");
      }
      return el(
        "tr",
        { dataset: { cert: cert.key } },
        el("th", { scope: "row" }, cert.name),
        el("td", { class: "num" }, cert.holders ?? "—"),
        el("td", {}, cert.expires_on ? formatDate(cert.expires_on) : "—"),
        el("td", {}, status),
      );
    });
  target.replaceChildren(dataTable({ id: "certifications-table" }, ["Certification", "Certified staff", "Expires", "Status"], rows));
}

// -- 4 Cs ------------------------------------------------------------------------------------

async function loadFourCs(key) {
  const target = document.getElementById("four-cs");
  try {
    const assessed = await api(`/v1/partners/${encodeURIComponent(partnerId)}/four-cs`, { key });
    const evidence = el("div", { class: "evidence-grid" });
    for (const [id, label] of FOUR_CS) {
      const lines = assessed.evidence[id] || [];
      evidence.append(
        el(
          "div",
          { class: "evidence", dataset: { c: id } },
          el("h3", {}, `${label} `, el("span", { class: "muted" }, Math.round(assessed.four_cs[id]))),
          lines.length ? el("ul", {}, lines.map((line) => el("li", {}, line))) : el("p", { class: "muted" }, "no evidence"),
        ),
      );
    }
    target.replaceChildren(
      fourCsBars(assessed.four_cs, options.score_bands),
      bandLegend(options.score_bands),
      el(
        "p",
        { class: "hint muted" },
        `Scored by ${assessed.model_version}; ${Math.round(assessed.confidence * 100)} % of the inputs were known (an unknown input counts as the population's typical value, not zero).`,
      ),
      evidence,
    );
  } catch (error) {
    target.replaceChildren(el("p", { class: "message error" }, `The 4 Cs are unavailable: ${error.message}`));
  }
}

// -- scorecard charts ------------------------------------------------------------------------

async function loadScorecard(key) {
  const target = document.getElementById("scorecard");
  try {
    const card = await api(`/v1/partners/${encodeURIComponent(partnerId)}/scorecard`, { key });
    quarters = card.quarters;
  } catch (error) {
    target.replaceChildren(el("p", { class: "message error" }, `The scorecard is unavailable: ${error.message}`));
    return;
  }
  if (!quarters.length) {
    target.replaceChildren(el("p", { class: "muted" }, "No deal outcomes recorded for this partner yet."));
    return;
  }
  const latest = quarters.at(-1);
  target.replaceChildren(
    el(
      "p",
      { class: "summary" },
      `${quarters.length} quarter(s) with deals; latest ${latest.quarter}: `,
      el("span", { class: `status status-${latest.status}` }, latest.status),
      `, win rate ${percent(latest.win_rate_shrunk)} shrunk (${latest.wins} of ${latest.deals} won).`,
    ),
    el("div", { class: "charts", id: "charts" }),
    scorecardTable(),
  );
  drawCharts();
}

const percent = (share) => (share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`);

function chartSpecs() {
  const column = (name) => quarters.map((q) => q[name]);
  return [
    {
      id: "win-rate",
      title: "Win rate",
      describe: quarters.map((q) => `${q.quarter} ${percent(q.win_rate_shrunk)} shrunk, ${percent(q.win_rate)} raw (n=${q.deals})`),
      series: [
        { label: "raw", values: column("win_rate"), colour: CHART_COLOURS.raw, bars: true },
        { label: "shrunk", values: column("win_rate_shrunk"), colour: CHART_COLOURS.shrunk },
      ],
      range: [0, 1],
      format: (v) => `${Math.round(v * 100)} %`,
      withSampleSize: true,
    },
    {
      id: "pipeline",
      title: "Pipeline",
      describe: quarters.map((q) => `${q.quarter} ${compactNumber(q.pipeline_sourced)} sourced, ${compactNumber(q.pipeline_influenced)} influenced`),
      series: [
        { label: "sourced", values: column("pipeline_sourced"), colour: CHART_COLOURS.sourced, bars: true, align: -1 },
        { label: "influenced", values: column("pipeline_influenced"), colour: CHART_COLOURS.influenced, bars: true, align: 1 },
      ],
      format: compactNumber,
    },
    {
      id: "revenue",
      title: "Revenue closed",
      describe: quarters.map((q) => `${q.quarter} ${compactNumber(q.revenue_closed)}`),
      series: [{ label: "revenue", values: column("revenue_closed"), colour: CHART_COLOURS.revenue, bars: true }],
      format: compactNumber,
    },
    {
      id: "csat",
      title: "CSAT",
      describe: quarters.map((q) => `${q.quarter} ${q.csat === null ? "no rating" : Math.round(q.csat)}`),
      series: [{ label: "CSAT", values: column("csat"), colour: CHART_COLOURS.csat }],
      range: [0, 100],
      format: (v) => String(Math.round(v)),
    },
  ];
}

function drawCharts() {
  const holder = document.getElementById("charts");
  if (!holder) return;
  for (const chart of charts) chart.destroy();
  charts = [];
  holder.replaceChildren();
  if (!window.uPlot) {
    holder.append(el("p", { class: "muted" }, "The charts could not load; the table below has the figures."));
    return;
  }
  for (const spec of chartSpecs()) {
    const empty = spec.series.every((series) => series.values.every((v) => v === null));
    const figure = el(
      "figure",
      { class: "chart", id: `chart-${spec.id}` },
      el("figcaption", {}, spec.title, empty ? el("span", { class: "muted" }, " (none recorded)") : null),
    );
    const canvasHolder = el("div", { class: "chart-canvas", role: "img", "aria-label": `${spec.title} by quarter: ${spec.describe.join("; ")}` });
    figure.append(canvasHolder);
    holder.append(figure);
    charts.push(makeChart(spec, canvasHolder));
  }
}

function makeChart(spec, target) {
  const width = Math.max(240, Math.floor(target.getBoundingClientRect().width || 300));
  const count = quarters.length;
  const every = Math.max(1, Math.ceil((count * 64) / width));
  const labels = quarters.map((q, i) => {
    if (i % every !== 0 && i !== count - 1) return "";
    return spec.withSampleSize ? `${q.quarter}\nn=${q.deals}` : q.quarter;
  });
  const bars = (align) =>
    window.uPlot.paths.bars({ size: [align ? 0.38 : 0.6, 48], align: align || 0 });
  return new window.uPlot(
    {
      width,
      height: 200,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.6, count - 0.4] },
        y: spec.range ? { range: spec.range } : { range: (u, min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [
        {
          splits: () => quarters.map((_, i) => i),
          values: (u, splits) => splits.map((i) => labels[i] ?? ""),
          size: spec.withSampleSize ? 48 : 32,
          gap: 4,
          grid: { show: false },
        },
        { values: (u, splits) => splits.map(spec.format), size: 52, grid: { stroke: "#e6eaf0" } },
      ],
      series: [
        {},
        ...spec.series.map((series) => ({
          label: series.label,
          stroke: series.colour,
          fill: series.bars ? series.colour : undefined,
          width: series.bars ? 0 : 2,
          paths: series.bars ? bars(series.align) : undefined,
          points: { show: !series.bars, size: 6, fill: series.colour },
          spanGaps: false,
        })),
      ],
    },
    [quarters.map((_, i) => i), ...spec.series.map((series) => series.values)],
    target,
  );
}

function scorecardTable() {
  const money = (v) => (v === null ? "—" : Math.round(v).toLocaleString("en"));
  const header = ["Quarter", "Deals (n)", "Won", "Win rate (raw)", "Win rate (shrunk)", "Pipeline sourced", "Pipeline influenced", "Revenue closed", "CSAT", "Status"];
  return el(
    "details",
    { class: "scorecard-table" },
    el("summary", {}, "The figures as a table"),
    dataTable(
      { id: "scorecard-table" },
      header,
      quarters.map((q) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, q.quarter),
          el("td", { class: "num" }, q.deals),
          el("td", { class: "num" }, q.wins),
          el("td", { class: "num" }, percent(q.win_rate)),
          el("td", { class: "num" }, percent(q.win_rate_shrunk)),
          el("td", { class: "num" }, money(q.pipeline_sourced)),
          el("td", { class: "num" }, money(q.pipeline_influenced)),
          el("td", { class: "num" }, money(q.revenue_closed)),
          el("td", { class: "num" }, q.csat === null ? "—" : Math.round(q.csat)),
          el("td", {}, el("span", { class: `status status-${q.status}` }, q.status)),
        ),
      ),
    ),
  );
}

// -- recent activity -------------------------------------------------------------------------

async function loadActivity(key) {
  const target = document.getElementById("activity");
  let activity;
  try {
    activity = await api(`/v1/partners/${encodeURIComponent(partnerId)}/activity?limit=10`, { key });
  } catch (error) {
    target.replaceChildren(el("p", { class: "message error" }, `The activity is unavailable: ${error.message}`));
    return;
  }
  const { totals } = activity;
  const reasons = Object.entries(totals.rejected_by_reason)
    .map(([reason, count]) => `${humanise(reason).toLowerCase()} ${count}`)
    .join(", ");
  const summary = el(
    "p",
    { class: "summary", id: "feedback-totals" },
    `All sellers: accepted ${totals.accepted} time(s), rejected ${totals.rejected}`,
    reasons ? ` (${reasons})` : "",
    `; deal outcomes reported: ${totals.won} won, ${totals.lost} lost.`,
  );
  const recommendations = activity.recommendations.length
    ? dataTable(
        { id: "recent-recommendations" },
        ["When", "Deal", "Rank", "Match score", "Feedback"],
        activity.recommendations.map((r) =>
          el(
            "tr",
            { dataset: { recommendationId: r.recommendation_id } },
            el("td", {}, formatDate(r.created_at)),
            el("td", {}, dealText(r.request)),
            el("td", { class: "num" }, r.rank === null ? "—" : `#${r.rank} of ${r.results}`),
            el("td", { class: "num" }, r.score === null ? "—" : r.score.toFixed(2)),
            el(
              "td",
              {},
              r.feedback.length
                ? r.feedback.map((f) => el("span", { class: `chip feedback-${f.kind}` }, feedbackText(f)))
                : el("span", { class: "muted" }, "none"),
            ),
          ),
        ),
        el("caption", { class: "muted" }, "Recommendations that ranked this partner (yours; an admin sees everyone's)"),
      )
    : el("p", { class: "muted", id: "no-recommendations" }, "No recommendation of yours has ranked this partner yet.");
  const events = activity.feedback.length
    ? el(
        "ul",
        { class: "feedback-list", id: "recent-feedback" },
        activity.feedback.map((f) =>
          el(
            "li",
            {},
            el("span", { class: "muted" }, formatDate(f.created_at)),
            " ",
            el("span", { class: `chip feedback-${f.kind}` }, feedbackText(f)),
            f.deal_id ? ` deal ${f.deal_id}` : "",
            f.note ? el("q", {}, f.note) : null,
          ),
        ),
      )
    : el("p", { class: "muted" }, "No feedback of yours on this partner yet.");
  target.replaceChildren(
    summary,
    recommendations,
    el("h3", {}, "Feedback"),
    events,
  );
}

function dealText(request) {
  const text = (request.description || "").trim();
  const short = text.length > 120 ? `${text.slice(0, 117)}…` : text;
  const facets = [request.industry && (options.industries[request.industry] || humanise(request.industry)), request.country]
    .filter(Boolean)
    .join(", ");
  return [short || "(no description)", facets ? ` · ${facets}` : ""].join("");
}

function feedbackText(feedback) {
  if (feedback.kind === "accepted") return "accepted";
  if (feedback.kind === "rejected") return `rejected: ${humanise(feedback.reason || "other").toLowerCase()}`;
  return feedback.won ? "deal won" : "deal lost";
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (quarters.length && !profile.hidden) drawCharts();
  }, 150);
});
document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
document.getElementById("back-link").addEventListener("click", (event) => {
  // back to the results the seller came from, when there is one to go back to
  if (document.referrer && new URL(document.referrer).origin === location.origin && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});
// the deferred uPlot script runs before module scripts, so the charts can be drawn at once
load();
