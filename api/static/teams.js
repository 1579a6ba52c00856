// Teams on the seller console: when a strict answer is empty or thin and the API says a team
// of partners could cover the deal (`team_available`), offer to ask POST
// /v1/recommendations/teams and show each team as a card: who covers which requirement, what
// no member covers, past co-selling, and accept / reject for the whole team.
import { api, el, humanise, partnerLink, say, verdictControls } from "./app.js";

const REQUIREMENT_KINDS = {
  languages: "language",
  certifications: "certification",
  country: "country",
  partner_types: "partner type",
  specialisms: "need",
};

/** "languages:de" → "language de"; "partner_types:isv" → "partner type ISV". */
function requirementLabel(key) {
  const [kind, ...rest] = key.split(":");
  const value = rest.join(":");
  return `${REQUIREMENT_KINDS[kind] || humanise(kind)} ${kind === "partner_types" ? humanise(value) : value}`;
}

/**
 * The offer shown above a thin or empty strict answer. `context`: `deal()` the deal as the form
 * now says, `key()` the seller's key, `reasons` the reject reason codes.
 */
export function teamOffer(context) {
  const section = el("section", { class: "panel team-offer", id: "team-offer", "aria-labelledby": "team-offer-heading" });
  const status = el("p", { class: "message", role: "status" });
  const ask = el("button", { type: "button", class: "secondary", id: "find-team" }, "Find a team that covers it");
  ask.addEventListener("click", () => findTeams(section, status, ask, context));
  section.append(
    el("h3", { id: "team-offer-heading", tabindex: "-1" }, "A team can cover this deal"),
    el("p", {}, "No single partner meets every requirement, but partners together can: each requirement is covered by one member."),
    ask,
    status,
  );
  return section;
}

async function findTeams(section, status, ask, context) {
  ask.disabled = true;
  say(status, "Building teams…");
  try {
    const answer = await api("/v1/recommendations/teams", { key: context.key(), json: { ...context.deal(), top_k: 3 } });
    say(status, "");
    section.querySelector(".teams")?.remove();
    const list = el("ol", { class: "cards teams", "aria-label": "Teams of partners" });
    for (const team of answer.teams) list.append(teamCard(team, answer, context));
    if (!answer.teams.length) say(status, "No team covers any requirement of this deal.", "info");
    section.append(list);
    list.querySelector("h4")?.focus();
  } catch (error) {
    say(status, error.message, "error");
  } finally {
    ask.disabled = false;
  }
}

function teamCard(team, answer, context) {
  const headingId = `team-${team.rank}`;
  const names = team.members.map((member) => member.name).join(", ");
  const { accept, reject, reasons, outcome } = verdictControls({
    label: `team ${team.rank} (${names})`,
    reasons: context.reasons,
    send: async (kind, reason) => {
      const feedback = { kind, recommendation_id: answer.recommendation_id, team_rank: team.rank };
      if (reason) feedback.reason = reason;
      await api("/v1/feedback/teams", { key: context.key(), json: feedback });
    },
  });
  const covered = Object.keys(team.covered_by).length;
  const members = el(
    "ul",
    { class: "members" },
    team.members.map((member) =>
      el(
        "li",
        { class: "member", dataset: { partnerId: member.partner_id } },
        partnerLink(member.partner_id, member.name, { class: "profile-link" }),
        el("span", { class: "muted" }, ` · ${humanise(member.partner_type)} · match ${member.score.toFixed(2)}`),
        el(
          "ul",
          { class: "chips", "aria-label": `What ${member.name} covers` },
          member.covers.map((key) => el("li", { class: "chip" }, requirementLabel(key))),
        ),
      ),
    ),
  );
  const coSold = team.co_sold.map(({ partners, won_deals: won }) => {
    const [first, second] = partners.map((id) => team.members.find((m) => m.partner_id === id)?.name || id);
    return `${first} and ${second} won ${won} deal${won === 1 ? "" : "s"} together`;
  });
  return el(
    "li",
    { class: "card team", dataset: { teamRank: team.rank } },
    el(
      "article",
      { "aria-labelledby": headingId },
      el(
        "header",
        {},
        el("span", { class: "rank" }, `#${team.rank}`),
        el("h4", { id: headingId, tabindex: "-1" }, `Team of ${team.members.length}`),
        el("span", { class: "coverage" }, `covers ${covered} of ${answer.requirements.length} requirements`),
      ),
      members,
      team.missing.length
        ? el("p", { class: "missing" }, `Not covered by any member: ${team.missing.map(requirementLabel).join("; ")}.`)
        : el("p", { class: "covered" }, "Every requirement is covered."),
      coSold.length ? el("p", { class: "muted" }, `${coSold.join("; ")}.`) : null,
      el("div", { class: "feedback", role: "group", "aria-label": `Feedback on team ${team.rank}` }, accept, reject, outcome),
      reasons,
    ),
  );
}
