// Seller console: deal form → POST /v1/recommendations → ranked partner cards with feedback.
// Above the cards: what was read from the brief (chips a seller can drop and restore, each
// drop re-asking with `ignore_read`) and the answer's warnings (low relevance among them).
import {
  api,
  bandLegend,
  bindKeyField,
  el,
  fourCsBars,
  humanise,
  loadOptions,
  partnerLink,
  say,
  splitList,
} from "./app.js";

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
 * the seller just dropped or restored) instead of the results heading. */
async function search({ focusKey = null } = {}) {
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
  results.replaceChildren(el("p", { class: "muted" }, "Searching…"));
  results.setAttribute("aria-busy", "true");
  try {
    const answer = await api("/v1/recommendations", { key, json: dealFromForm() });
    if (number !== requestNumber) return; // a later search is under way
    const entries = answer.read_from_description?.entries || [];
    ignoreRead = new Set(entries.filter((e) => e.applied === "ignored").map((e) => e.key));
    if (answer.results.length) renderCards(answer);
    else renderEmpty(answer);
    const chip = focusKey && results.querySelector(`[data-key="${CSS.escape(focusKey)}"] button`);
    (chip || document.getElementById("results-heading")).focus();
  } catch (error) {
    if (number !== requestNumber) return;
    say(message, error.message, "error");
    clearResults();
  } finally {
    if (number === requestNumber) {
      button.disabled = false;
      results.removeAttribute("aria-busy");
    }
  }
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

function renderCards(answer) {
  const passed = Object.values(answer.funnel).at(-1);
  const list = el("ol", { class: "cards" });
  for (const partner of answer.results) list.append(card(partner, answer.recommendation_id));
  results.replaceChildren(
    ...preamble(answer),
    el(
      "p",
      { class: "summary" },
      `${answer.results.length} best of ${passed} partners that pass the hard filters `,
      `(of ${answer.funnel.total}); model ${answer.model_version}.`,
    ),
    bandLegend(scoreBands),
    list,
  );
  fillProfiles(answer.results);
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
  const outcome = el("span", { class: "outcome", role: "status" });
  const reason = el(
    "select",
    { name: "reason" },
    el("option", { value: "" }, "Choose a reason…"),
    rejectReasons.map((code) => el("option", { value: code }, humanise(code))),
  );
  const accept = el("button", { type: "button", class: "good" }, "Accept");
  const reject = el("button", { type: "button", class: "danger" }, "Reject");
  const buttons = [accept, reject, reason];
  const send = async (kind) => {
    const feedback = { kind, recommendation_id: recommendationId, partner_id: partner.partner_id };
    if (kind === "rejected" && reason.value) feedback.reason = reason.value;
    outcome.className = "outcome";
    outcome.textContent = "Sending…";
    try {
      await api("/v1/feedback", { key: currentKey(), json: feedback });
      for (const control of buttons) control.disabled = true;
      outcome.textContent =
        kind === "accepted" ? "Accepted — recorded." : `Rejected (${humanise(reason.value)}) — recorded.`;
    } catch (error) {
      outcome.className = "outcome error";
      outcome.textContent = error.message;
    }
  };
  accept.addEventListener("click", () => send("accepted"));
  reject.addEventListener("click", () => send("rejected"));
  const reasonId = `reason-${partner.partner_id}`;
  reason.id = reasonId;

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
          { class: "score", title: "Match score for ordering this list (0–1), not a win probability" },
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
      ),
      fourCsBars(partner.four_cs, scoreBands),
      evidenceChips(partner.evidence || {}),
      el("p", { class: "reason" }, partner.reason),
      el(
        "div",
        { class: "feedback", role: "group", "aria-label": `Feedback on ${partner.name}` },
        accept,
        el("label", { for: reasonId }, "Reason"),
        reason,
        reject,
        outcome,
      ),
    ),
  );
}

/** Type and tier are not in the recommendation answer: read them from the partner profiles. */
async function fillProfiles(partners) {
  const key = currentKey();
  await Promise.all(
    partners.map(async (partner) => {
      const node = results.querySelector(`[data-partner-id="${CSS.escape(partner.partner_id)}"]`);
      if (!node) return;
      let profile = null;
      try {
        profile = await api(`/v1/partners/${encodeURIComponent(partner.partner_id)}`, { key });
      } catch {
        // the card keeps its placeholders
      }
      node.querySelector(".type").textContent = profile ? humanise(profile.partner_type) : "type unknown";
      const tier = node.querySelector(".tier");
      tier.textContent = profile?.tier ? `${humanise(profile.tier)} tier` : "no tier";
    }),
  );
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
  includeAtCapacity = false;
  search();
});
init();
