// Seller console: deal form → POST /v1/recommendations → ranked partner cards with feedback.
// Above the cards: what was read from the brief (chips a seller can drop and restore, each
// drop re-asking with `ignore_read`) and the answer's warnings (low relevance among them).
import {
  api,
  bandLegend,
  bandOf,
  bindKeyField,
  el,
  fourCsBars,
  humanise,
  loadOptions,
  partnerLink,
  say,
  splitList,
  verdictControls,
} from "./app.js";
import { teamOffer } from "./teams.js";

// Which form field holds each hard constraint the funnel reports.
const CONSTRAINT_FIELDS = {
  country: "country",
  languages: "languages",
  certifications: "certifications",
  partner_types: "partner_types",
};

// What each kind of value read from the brief is called on its chip.
const READ_KINDS = {
  countries: "country",
  languages: "language",
  industries: "industry",
  segments: "segment",
  partner_types: "partner type",
};
// The funnel's constraint names and the kind of value read that fills each.
const READ_CONSTRAINTS = { country: "countries", languages: "languages", partner_types: "partner_types" };

const form = document.getElementById("deal-form");
const results = document.getElementById("results");
const message = document.getElementById("message");
const currentKey = bindKeyField("seller");
let rejectReasons = [];
let industryLabels = {};
let scoreBands = undefined; // the 4 C colour thresholds, from /ui/options.json
// Keys of values read from the brief that the seller dropped; sent as `ignore_read`. Pruned
// after each answer to the keys it still reports, so a key the new text no longer reads goes.
let ignoreRead = new Set();
let requestNumber = 0;
// Set by "include partners at capacity" on an answer emptied by capacity; the next brief resets it.
let includeAtCapacity = false;

async function init() {
  try {
    const options = await loadOptions();
    rejectReasons = options.reject_reasons;
    industryLabels = options.industries;
    scoreBands = options.score_bands;
    const industry = document.getElementById("industry");
    for (const [id, label] of Object.entries(options.industries)) {
      industry.append(el("option", { value: id }, label));
    }
    const segment = document.getElementById("segment");
    for (const id of options.segments) segment.append(el("option", { value: id }, humanise(id)));
    const types = document.getElementById("partner-types");
    for (const id of options.partner_types) {
      types.append(
        el("label", {}, el("input", { type: "checkbox", name: "partner_types", value: id }), humanise(id)),
      );
    }
  } catch (error) {
    say(message, error.message, "error");
  }
}

/** The deal as DESIGN.md 3.3 describes it; empty fields are left out. */
function dealFromForm() {
  const data = new FormData(form);
  const deal = { strict: form.elements.strict.checked };
  const description = String(data.get("description") || "").trim();
  if (description) deal.description = description;
  for (const name of ["industry", "segment", "country"]) {
    const value = String(data.get(name) || "").trim();
    if (value) deal[name] = value;
  }
  const languages = splitList(data.get("languages"));
  if (languages.length) deal.languages = languages;
  const certifications = splitList(data.get("certifications"));
  if (certifications.length) deal.certifications = certifications;
  const types = data.getAll("partner_types").map(String);
  if (types.length) deal.partner_types = types;
  const size = String(data.get("deal_size") || "").trim();
  if (size) deal.deal_size = Number(size);
  const topK = String(data.get("top_k") || "").trim();
  if (topK) deal.top_k = Number(topK);
  if (ignoreRead.size) deal.ignore_read = [...ignoreRead];
  if (includeAtCapacity) deal.include_at_capacity = true;
  return deal;
}

/** Ask for partners. `focusKey`: after the answer, focus that read chip's button (the chip
 * the seller just dropped or restored) instead of the results heading; `focusId`: that element. */
async function search({ focusKey = null, focusId = null } = {}) {
  say(message, "");
  const key = currentKey();
  if (!key) {
    say(message, "Enter your API key first.", "error");
    clearResults();
    document.getElementById("api-key").focus();
    return;
  }
  const number = ++requestNumber;
  const button = document.getElementById("find");
  button.disabled = true;
  // the previous answer (its cards, chips and notices) never stays under a new one or an error
  answerShown = null;
  results.replaceChildren(el("p", { class: "muted" }, "Searching…"));
  results.setAttribute("aria-busy", "true");
  try {
    const answer = await api("/v1/recommendations", { key, json: dealFromForm() });
    if (number !== requestNumber) return; // a later search is under way
    const entries = answer.read_from_description?.entries || [];
    ignoreRead = new Set(entries.filter((e) => e.applied === "ignored").map((e) => e.key));
    renderAnswer(answer);
    remember(answer);
    const chip = focusKey && results.querySelector(`[data-key="${CSS.escape(focusKey)}"] button`);
    const target = chip || (focusId && document.getElementById(focusId));
    (target || document.getElementById("results-heading")).focus();
  } catch (error) {
    if (number !== requestNumber) return;
    say(message, error.message, "error");
    clearResults();
    forget();
  } finally {
    if (number === requestNumber) {
      button.disabled = false;
      results.removeAttribute("aria-busy");
    }
  }
}

// What the team offer asks with: the deal as the form says now, the key, the reject reasons.
const teamContext = {
  deal: () => dealFromForm(),
  key: () => currentKey(),
  get reasons() {
    return rejectReasons;
  },
};

/** The team offer when the API says a team covers what no single partner does. */
function teamOfferFor(answer) {
  return answer.team_available ? [teamOffer(teamContext)] : [];
}

function renderAnswer(answer) {
  if (answer.results.length) renderCards(answer);
  else renderEmpty(answer);
}

// The last answer and the form it answered stay in this tab's session storage, so that coming
// back from a partner's profile shows the same results (never in localStorage, never in a URL).
const LAST_ANSWER = "partnermatch.console.last";

function remember(answer) {
  const fields = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "checkbox") {
      if (element.name === "partner_types") (fields.partner_types ||= []).push(...(element.checked ? [element.value] : []));
      else fields[element.name] = element.checked;
    } else fields[element.name] = element.value;
  }
  const state = { fields, answer, ignoreRead: [...ignoreRead], includeAtCapacity };
  try {
    sessionStorage.setItem(LAST_ANSWER, JSON.stringify(state));
  } catch {
    // storage full or refused: coming back shows an empty page, nothing worse
  }
}

function forget() {
  answerShown = null;
  sessionStorage.removeItem(LAST_ANSWER);
}

function restore() {
  let state = null;
  try {
    state = JSON.parse(sessionStorage.getItem(LAST_ANSWER) || "null");
  } catch {
    state = null;
  }
  if (!state || !currentKey()) return;
  for (const element of form.elements) {
    if (!element.name || !(element.name in state.fields)) continue;
    if (element.name === "partner_types") element.checked = state.fields.partner_types.includes(element.value);
    else if (element.type === "checkbox") element.checked = Boolean(state.fields[element.name]);
    else element.value = state.fields[element.name];
  }
  ignoreRead = new Set(state.ignoreRead || []);
  includeAtCapacity = Boolean(state.includeAtCapacity);
  renderAnswer(state.answer);
}

function clearResults() {
  results.replaceChildren(
    el("p", { class: "muted" }, "No results: correct the deal and press ", el("strong", {}, "Find partners"), "."),
  );
}

/** What goes above the cards or the funnel: the answer's warnings and the read chips. */
function preamble(answer) {
  const nodes = [];
  const warnings = [...(answer.warnings || [])];
  if (answer.low_relevance) {
    // the engine appends the low-relevance notice after any other warning
    const notice = warnings.pop() || "Nothing in the partner profiles matches the description well.";
    nodes.push(
      el(
        "p",
        { class: "message warn", id: "low-relevance", role: "status" },
        el("strong", {}, "Low relevance: "),
        notice,
      ),
    );
  }
  for (const warning of warnings) nodes.push(el("p", { class: "message warn warning" }, warning));
  const entries = answer.read_from_description?.entries || [];
  if (entries.length) nodes.push(readRow(entries));
  return nodes;
}

function readLabel(entry) {
  if (entry.label) return entry.label;
  if (entry.kind === "industries") return industryLabels[entry.value] || humanise(entry.value);
  return humanise(entry.value);
}

/** "Read from the brief:" chips, one per value read; × drops one and asks again, Undo restores. */
function readRow(entries) {
  const chips = el("ul", { class: "chips read-chips", "aria-labelledby": "read-label" });
  for (const entry of entries) {
    const kind = READ_KINDS[entry.kind] || humanise(entry.kind);
    const label = readLabel(entry);
    const ignored = entry.applied === "ignored";
    const words = (entry.words || []).map((word) => `“${word}”`).join(", ");
    const toggle = ignored
      ? el(
          "button",
          {
            type: "button",
            class: "chip-undo",
            "aria-label": `Use ${label} again and search again`,
            onclick: () => toggleRead(entry.key, false),
          },
          "Undo",
        )
      : el(
          "button",
          {
            type: "button",
            class: "chip-remove",
            "aria-label": `Ignore ${label} and search again`,
            onclick: () => toggleRead(entry.key, true),
          },
          "×",
        );
    chips.append(
      el(
        "li",
        {
          class: `chip read ${entry.applied}`,
          dataset: { key: entry.key, applied: entry.applied },
          title: words ? `Read from ${words}` : null,
        },
        el("span", { class: "kind" }, kind),
        el(ignored ? "s" : "span", { class: "label" }, label),
        entry.applied === "constraint" ? el("span", { class: "tag" }, "required") : null,
        ignored ? el("span", { class: "tag" }, "ignored") : null,
        toggle,
      ),
    );
  }
  return el(
    "div",
    { class: "read-row", id: "read-row" },
    el("span", { class: "read-label", id: "read-label" }, "Read from the brief:"),
    chips,
  );
}

function toggleRead(key, ignore) {
  if (ignore) ignoreRead.add(key);
  else ignoreRead.delete(key);
  search({ focusKey: key });
}

// -- the answer's cards: sort, filter, compare, feedback, copy --------------------------------

const SORTS = {
  rank: { label: "Rank (best first)", key: (p) => p.rank, ascending: true },
  score: { label: "Match score", key: (p) => p.score },
  capacity: { label: "Capacity", key: (p) => p.four_cs.capacity },
  capability: { label: "Capability", key: (p) => p.four_cs.capability },
  commitment: { label: "Commitment", key: (p) => p.four_cs.commitment },
  customer_fit: { label: "Customer fit", key: (p) => p.four_cs.customer_fit },
  name: { label: "Name (A–Z)", key: (p) => p.name.toLowerCase(), ascending: true },
};
const MAX_COMPARED = 3;
const regionNames = new Intl.DisplayNames(["en"], { type: "region" });
let answerShown = null; // the answer the cards show
let profiles = new Map(); // partner_id → profile (null: could not be read)
let view = { sort: "rank", type: "", country: "", tier: "" };
let compared = new Set();

function countryName(code) {
  try {
    return regionNames.of(code) || code;
  } catch {
    return code;
  }
}

/** At capacity (every project slot taken) or paused until a later day: as the API decides. */
function atCapacity(profile) {
  if (!profile) return false;
  const { active_projects: active, max_projects: most, paused_until: paused } = profile;
  const full = active !== null && most !== null && most > 0 && active >= most;
  const today = new Date().toISOString().slice(0, 10);
  return full || Boolean(paused && paused > today);
}

function renderCards(answer) {
  answerShown = answer;
  profiles = new Map();
  compared = new Set();
  view = { ...view, type: "", country: "", tier: "" };
  const passed = Object.values(answer.funnel).at(-1);
  results.replaceChildren(
    ...preamble(answer),
    el(
      "p",
      { class: "summary" },
      `${answer.results.length} best of ${passed} partners that pass the hard filters `,
      `(of ${answer.funnel.total}); model ${answer.model_version}.`,
    ),
    ...teamOfferFor(answer),
    scoreLegend(),
    toolbar(),
    el("div", { id: "compare-bar", class: "compare-bar", role: "status" }),
    el("section", { id: "compare", class: "panel compare", "aria-labelledby": "compare-heading", hidden: true }),
    el("p", { id: "shown", class: "muted", role: "status" }),
    el("ol", { class: "cards", id: "cards" }),
  );
  drawCards();
  updateCompareBar();
  fillProfiles(answer.results);
}

function scoreLegend() {
  return el(
    "div",
    { class: "score-legend", id: "score-legend" },
    el(
      "p",
      {},
      el("strong", {}, "Match score"),
      " (0–1) orders the partners for this deal: higher fits better. It is ",
      el("em", {}, "not"),
      " a probability of winning; compare it only within this list.",
    ),
    el("p", {}, el("strong", {}, "4 C bars"), " (0–100) are coloured by band:"),
    bandLegend(scoreBands),
  );
}

function toolbar() {
  const select = (id, label, choices) =>
    el(
      "div",
      { class: "field" },
      el("label", { for: id }, label),
      el("select", { id, onchange: onViewChange }, choices.map(([value, text]) => el("option", { value }, text))),
    );
  return el(
    "div",
    { class: "toolbar", role: "group", "aria-label": "Sort and filter the results" },
    select("sort-by", "Sort by", Object.entries(SORTS).map(([id, sort]) => [id, sort.label])),
    select("filter-type", "Type", [["", "Any type"]]),
    select("filter-country", "Serves", [["", "Any country"]]),
    select("filter-tier", "Tier", [["", "Any tier"]]),
    el(
      "div",
      { class: "toggle" },
      el("input", {
        id: "show-at-capacity",
        type: "checkbox",
        checked: includeAtCapacity,
        onchange: (event) => {
          includeAtCapacity = event.target.checked;
          search({ focusId: "show-at-capacity" });
        },
      }),
      el("label", { for: "show-at-capacity" }, "Show partners at capacity"),
    ),
    el(
      "div",
      { class: "toolbar-actions" },
      el("button", { type: "button", class: "secondary", id: "copy-all", onclick: copyShown }, "Copy summary for CRM"),
    ),
  );
}

function onViewChange() {
  view = {
    sort: document.getElementById("sort-by").value,
    type: document.getElementById("filter-type").value,
    country: document.getElementById("filter-country").value,
    tier: document.getElementById("filter-tier").value,
  };
  drawCards();
}

/** Whether a partner passes the filters (type, tier, country served). */
function passes(partner) {
  const profile = profiles.get(partner.partner_id);
  if (view.type && profile?.partner_type !== view.type) return false;
  if (view.tier && (profile?.tier || "none") !== view.tier) return false;
  if (view.country && !(profile?.countries || []).includes(view.country)) return false;
  return true;
}

/** The answer's partners in the chosen order (ties keep the rank order). */
function sortedPartners() {
  const sort = SORTS[view.sort] || SORTS.rank;
  return [...answerShown.results].sort((a, b) => {
    const x = sort.key(a);
    const y = sort.key(b);
    if (x === y) return a.rank - b.rank;
    return (x < y ? -1 : 1) * (sort.ascending ? 1 : -1);
  });
}

/** The answer's partners that pass the filters, in the chosen order. */
function shownPartners() {
  return sortedPartners().filter(passes);
}

function drawCards() {
  const list = document.getElementById("cards");
  if (!list) return;
  // cards are kept (their feedback state and focus with them): a filter hides them, a sort
  // moves them, and nothing moves when the order is unchanged (moving a node drops its focus)
  const byId = new Map([...list.querySelectorAll(":scope > li.card")].map((node) => [node.dataset.partnerId, node]));
  const ordered = sortedPartners().map((partner) => {
    const node = byId.get(partner.partner_id) || card(partner, answerShown.recommendation_id);
    node.hidden = !passes(partner);
    return node;
  });
  const current = [...list.children].filter((node) => node.classList.contains("card"));
  if (current.length !== ordered.length || current.some((node, i) => node !== ordered[i])) {
    list.replaceChildren(...ordered);
  }
  list.querySelector(":scope > .no-match")?.remove();
  const shown = ordered.filter((node) => !node.hidden).length;
  const total = ordered.length;
  const filtered = view.type || view.country || view.tier;
  const status = document.getElementById("shown");
  status.replaceChildren(shown === total ? `Showing all ${total}.` : `Showing ${shown} of ${total}. `);
  if (filtered) {
    status.append(el("button", { type: "button", class: "link-button", id: "clear-filters", onclick: clearFilters }, "Clear filters"));
  }
  if (!shown) list.append(el("li", { class: "muted no-match" }, "No result passes these filters."));
}

function clearFilters() {
  for (const id of ["filter-type", "filter-country", "filter-tier"]) document.getElementById(id).value = "";
  onViewChange();
  document.getElementById("filter-type").focus();
}

/** The filters offer the values the answer's partners have. */
function fillFilterChoices() {
  const known = [...profiles.values()].filter(Boolean);
  const fill = (id, values, label) => {
    const select = document.getElementById(id);
    if (!select) return;
    const current = select.value;
    select.replaceChildren(
      select.options[0],
      ...[...values].sort().map((value) => el("option", { value }, label(value))),
    );
    select.value = current;
  };
  fill("filter-type", new Set(known.map((p) => p.partner_type)), humanise);
  fill("filter-country", new Set(known.flatMap((p) => p.countries)), (code) => `${countryName(code)} (${code})`);
  fill("filter-tier", new Set(known.map((p) => p.tier || "none")), (tier) => (tier === "none" ? "No tier" : humanise(tier)));
}

function evidenceChips(evidence) {
  const chips = el("ul", { class: "chips", "aria-label": "Matched evidence" });
  const chip = (kind, text, extra = "") =>
    el("li", { class: `chip ${extra}`.trim() }, el("span", { class: "kind" }, kind), text);
  if (evidence.country) chips.append(chip("country", evidence.country));
  for (const code of evidence.languages || []) chips.append(chip("language", code));
  for (const name of evidence.certifications || []) chips.append(chip("certified", name));
  for (const id of evidence.industries || []) chips.append(chip("industry", humanise(id)));
  for (const tag of evidence.specialisms || []) chips.append(chip("specialism", tag));
  for (const gap of evidence.missing || []) chips.append(chip("unknown", gap, "missing"));
  return chips;
}

function card(partner, recommendationId) {
  const nameId = `partner-${partner.partner_id}`;
  const { accept, reject, reasons, outcome } = verdictControls({
    label: partner.name,
    reasons: rejectReasons,
    send: async (kind, reason) => {
      const feedback = { kind, recommendation_id: recommendationId, partner_id: partner.partner_id };
      if (reason) feedback.reason = reason;
      await api("/v1/feedback", { key: currentKey(), json: feedback });
      outcome.closest(".card").dataset.feedback = kind;
    },
  });
  const copy = el("button", { type: "button", class: "secondary copy", onclick: () => copyPartners([partner], outcome) }, "Copy for CRM");
  const compareBox = el("input", {
    type: "checkbox",
    class: "compare-box",
    id: `compare-${partner.partner_id}`,
    onchange: (event) => toggleCompared(partner.partner_id, event.target.checked),
  });

  return el(
    "li",
    { class: "card", dataset: { partnerId: partner.partner_id } },
    el(
      "article",
      { "aria-labelledby": nameId },
      el(
        "header",
        {},
        el("span", { class: "rank" }, `#${partner.rank}`),
        el("h3", { id: nameId }, partnerLink(partner.partner_id, partner.name, { class: "profile-link" })),
        el(
          "span",
          { class: "score", title: "Match score for ordering this list (0–1), not a win probability", "aria-describedby": "score-legend" },
          `match ${partner.score.toFixed(2)}`,
        ),
      ),
      el(
        "p",
        { class: "meta" },
        el("span", { class: "type" }, partner.partner_type ? humanise(partner.partner_type) : "…"),
        " · ",
        el("span", { class: "tier" }, partner.tier || "…"),
        " · ",
        el("span", { class: "muted" }, partner.partner_id),
        el("span", { class: "capacity-badge", hidden: true }),
      ),
      fourCsBars(partner.four_cs, scoreBands),
      evidenceChips(partner.evidence || {}),
      el("p", { class: "reason" }, partner.reason),
      el(
        "div",
        { class: "feedback", role: "group", "aria-label": `Feedback on ${partner.name}` },
        accept,
        reject,
        copy,
        el("label", { class: "compare-label" }, compareBox, `Compare`),
        outcome,
      ),
      reasons,
    ),
  );
}

/** Type, tier, countries and capacity are not in the answer: read them from the profiles. */
async function fillProfiles(partners) {
  const key = currentKey();
  const answer = answerShown;
  await Promise.all(
    partners.map(async (partner) => {
      let profile = null;
      try {
        profile = await api(`/v1/partners/${encodeURIComponent(partner.partner_id)}`, { key });
      } catch {
        // the card keeps its placeholders
      }
      if (answer !== answerShown) return; // a newer answer replaced this one
      profiles.set(partner.partner_id, profile);
      const node = results.querySelector(`[data-partner-id="${CSS.escape(partner.partner_id)}"]`);
      if (!node) return;
      node.querySelector(".type").textContent = profile ? humanise(profile.partner_type) : "type unknown";
      node.querySelector(".tier").textContent = profile?.tier ? `${humanise(profile.tier)} tier` : "no tier";
      if (atCapacity(profile)) {
        const badge = node.querySelector(".capacity-badge");
        badge.hidden = false;
        badge.textContent = profile.paused_until ? `paused until ${profile.paused_until}` : "at capacity";
        node.classList.add("at-capacity");
      }
    }),
  );
  if (answer !== answerShown) return;
  fillFilterChoices();
  drawCards();
  const panel = document.getElementById("compare");
  if (panel && !panel.hidden) renderCompare();
}

// -- compare side by side -----------------------------------------------------------------

function toggleCompared(partnerId, on) {
  if (on) compared.add(partnerId);
  else compared.delete(partnerId);
  updateCompareBar();
  const panel = document.getElementById("compare");
  if (!panel.hidden) {
    if (compared.size >= 2) renderCompare();
    else closeCompare(false);
  }
}

function updateCompareBar() {
  const bar = document.getElementById("compare-bar");
  if (!bar) return;
  for (const box of results.querySelectorAll(".compare-box")) {
    box.disabled = !box.checked && compared.size >= MAX_COMPARED;
    box.title = box.disabled ? `Compare at most ${MAX_COMPARED} partners` : "";
  }
  if (!compared.size) {
    bar.replaceChildren(el("span", { class: "muted" }, `Tick Compare on 2 or ${MAX_COMPARED} partners to see them side by side.`));
    return;
  }
  bar.replaceChildren(
    el("span", {}, `${compared.size} of ${MAX_COMPARED} chosen to compare. `),
    el(
      "button",
      { type: "button", id: "compare-open", disabled: compared.size < 2, onclick: () => renderCompare(true) },
      "Compare side by side",
    ),
    el("button", { type: "button", class: "link-button", onclick: clearCompared }, "Clear"),
  );
}

function clearCompared() {
  compared = new Set();
  for (const box of results.querySelectorAll(".compare-box")) box.checked = false;
  closeCompare(false);
  updateCompareBar();
}

function closeCompare(focus) {
  const panel = document.getElementById("compare");
  panel.hidden = true;
  panel.replaceChildren();
  if (focus) document.getElementById("compare-open")?.focus();
}

function renderCompare(focus = false) {
  const panel = document.getElementById("compare");
  const partners = answerShown.results.filter((p) => compared.has(p.partner_id));
  const profile = (p) => profiles.get(p.partner_id);
  const list = (values) => (values && values.length ? values.join(", ") : "—");
  const rows = [
    ["Rank", (p) => `#${p.rank}`],
    ["Match score", (p) => p.score.toFixed(2)],
    ...FOUR_C_ROWS.map(([id, label]) => [label, (p) => fourCsCell(p.four_cs[id])]),
    ["Type", (p) => (profile(p) ? humanise(profile(p).partner_type) : "…")],
    ["Tier", (p) => (profile(p)?.tier ? humanise(profile(p).tier) : "none")],
    ["Countries", (p) => list(profile(p)?.countries)],
    ["Languages", (p) => list(profile(p)?.languages)],
    ["Certifications", (p) => list((profile(p)?.certifications || []).map((c) => c.name))],
    ["Capacity", (p) => (atCapacity(profile(p)) ? "at capacity" : "has room")],
    ["Matched", (p) => list(matchedEvidence(p.evidence || {}))],
    ["Why", (p) => p.reason],
  ];
  panel.replaceChildren(
    el(
      "div",
      { class: "compare-head" },
      el("h3", { id: "compare-heading", tabindex: "-1" }, `Comparing ${partners.length} partners`),
      el("button", { type: "button", class: "secondary", onclick: () => closeCompare(true) }, "Close comparison"),
    ),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { id: "compare-table" },
        el(
          "thead",
          {},
          el("tr", {}, el("td", {}), partners.map((p) => el("th", { scope: "col" }, partnerLink(p.partner_id, p.name)))),
        ),
        el(
          "tbody",
          {},
          rows.map(([label, cell]) => el("tr", {}, el("th", { scope: "row" }, label), partners.map((p) => el("td", {}, cell(p))))),
        ),
      ),
    ),
  );
  panel.hidden = false;
  if (focus) document.getElementById("compare-heading").focus();
}

const FOUR_C_ROWS = [
  ["capacity", "Capacity"],
  ["capability", "Capability"],
  ["commitment", "Commitment"],
  ["customer_fit", "Customer fit"],
];

function fourCsCell(value) {
  const rounded = Math.round(value);
  return el("span", { class: `band-text band-${bandOf(rounded, scoreBands)}` }, rounded);
}

function matchedEvidence(evidence) {
  return [
    evidence.country,
    ...(evidence.languages || []),
    ...(evidence.certifications || []),
    ...(evidence.industries || []).map(humanise),
    ...(evidence.specialisms || []),
  ].filter(Boolean);
}

// -- copy for a CRM -------------------------------------------------------------------------

function summaryText(partners) {
  const answer = answerShown;
  const brief = (form.elements.description.value || "").trim();
  const lines = [
    `Partner recommendation${partners.length > 1 ? "s" : ""}${brief ? ` for: ${brief}` : ""}`,
    `(partnermatch ${answer.recommendation_id}, ${new Date().toISOString().slice(0, 10)}; match score 0–1 ranks partners for this deal, not a win probability)`,
    "",
  ];
  for (const partner of partners) {
    const profile = profiles.get(partner.partner_id);
    const facts = [profile ? humanise(profile.partner_type) : null, profile?.tier ? `${humanise(profile.tier)} tier` : null]
      .filter(Boolean)
      .join(", ");
    const cs = FOUR_C_ROWS.map(([id, label]) => `${label} ${Math.round(partner.four_cs[id])}`).join(" · ");
    lines.push(
      `#${partner.rank} ${partner.name} (${partner.partner_id})${facts ? ` — ${facts}` : ""}`,
      `   Match score ${partner.score.toFixed(2)}; 4 Cs: ${cs}`,
      `   Why: ${partner.reason}`,
      `   Profile: ${location.origin}/partners/${encodeURIComponent(partner.partner_id)}`,
    );
  }
  return lines.join("\n");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // no clipboard API here (an insecure origin): the old way
    const area = el("textarea", { class: "offscreen", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }
}

async function copyPartners(partners, status) {
  const text = summaryText(partners);
  const copied = await copyText(text);
  status.className = copied ? "outcome" : "outcome error";
  status.textContent = copied
    ? `Copied ${partners.length === 1 ? "this partner" : `${partners.length} partners`} to the clipboard.`
    : "The browser refused the clipboard: select the text in the box below and copy it.";
  if (!copied) status.after(el("textarea", { class: "copy-fallback", readonly: true, "aria-label": "Summary to copy" }, text));
}

function copyShown() {
  copyPartners(shownPartners(), document.getElementById("shown"));
}

function renderEmpty(answer) {
  const emptiedBy = answer.emptied_by;
  const total = answer.funnel.total || 0;
  const funnel = el("ol", { class: "funnel", "aria-label": "Partners left after each hard filter" });
  for (const [step, reported] of Object.entries(answer.funnel)) {
    // `at_capacity` counts the partners left out; the bar shows those still available
    const count = step === "at_capacity" ? total - reported : reported;
    const width = total ? (100 * count) / total : 0;
    funnel.append(
      el(
        "li",
        { class: step === emptiedBy ? "emptied" : null },
        el(
          "span",
          {},
          step === "total" ? "All partners" : step === "at_capacity" ? "Free to take a project" : humanise(step),
        ),
        el("span", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width: ${width}%` })),
        el("span", { class: "count" }, count),
      ),
    );
  }
  const relax = el("div", { class: "relax" });
  // a constraint read from the brief (the form field is empty): drop what was read instead
  const readKind = READ_CONSTRAINTS[emptiedBy];
  const readKeys = (answer.read_from_description?.entries || [])
    .filter((entry) => entry.kind === readKind && entry.applied === "constraint")
    .map((entry) => entry.key);
  if (emptiedBy === "at_capacity") {
    relax.append(
      el(
        "button",
        { type: "button", class: "secondary", onclick: () => includeFullPartners() },
        "Search again including partners at capacity or paused",
      ),
    );
  } else if (readKeys.length) {
    relax.append(
      el(
        "button",
        { type: "button", class: "secondary", onclick: () => ignoreReadConstraint(readKeys) },
        `Search again without the ${humanise(emptiedBy).toLowerCase()} read from the brief`,
      ),
    );
  } else if (emptiedBy && CONSTRAINT_FIELDS[emptiedBy]) {
    relax.append(
      el(
        "button",
        { type: "button", class: "secondary", onclick: () => dropConstraint(emptiedBy) },
        `Search again without the ${humanise(emptiedBy).toLowerCase()} constraint`,
      ),
    );
  }
  if (answer.strict !== false && form.elements.strict.checked) {
    relax.append(
      el(
        "button",
        { type: "button", class: "secondary", onclick: () => relaxStrict() },
        "Search again with strict off (constraints become preferences)",
      ),
    );
  }
  const why =
    emptiedBy === "at_capacity"
      ? "Every partner that fits is at capacity or paused."
      : emptiedBy
        ? `No partner is left after the ${humanise(emptiedBy).toLowerCase()} constraint.`
        : "No partner matched this deal. Try a broader description.";
  results.replaceChildren(
    ...preamble(answer),
    el("p", { class: "message info", id: "empty-reason" }, why),
    ...teamOfferFor(answer),
    funnel,
    relax,
  );
}

function ignoreReadConstraint(keys) {
  for (const key of keys) ignoreRead.add(key);
  search();
}

function dropConstraint(constraint) {
  const field = CONSTRAINT_FIELDS[constraint];
  if (field === "partner_types") {
    for (const box of form.querySelectorAll('input[name="partner_types"]')) box.checked = false;
  } else {
    form.elements[field].value = "";
  }
  search();
}

function includeFullPartners() {
  includeAtCapacity = true;
  search();
}

function relaxStrict() {
  form.elements.strict.checked = false;
  search();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
init().then(restore);
