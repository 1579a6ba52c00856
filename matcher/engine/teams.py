"""Teams: two or three partners who together cover what no single partner can.

A strict deal whose languages, certifications, country and partner types no one partner meets
comes back empty; a team can still cover it (an integrator to implement, an ISV to integrate).
The requirements are each required language, certification, the country, each partner type and
each specialism phrase read from the brief (:func:`requirements`). Candidates come from the
single-partner recommender's own filtered retrieval with those requirements relaxed to "any
member covers" (the deal as read, ``strict: false``), so members are ranked partners and their
score is their quality.

The search is greedy on the coverage-quality objective

    f(T) = Σ over requirements r of max(score of a member of T covering r)  (0 if none does)

a facility-location function: monotone and submodular, so the greedy team of k members has
f ≥ (1 − 1/e)·f(best team of k) (Nemhauser, Wolsey and Fisher, 1978). Complementary partner
types and past co-selling (two partners attached to the same won deal) choose only among
candidates whose marginal gain is within :data:`PREFERENCE_SLACK` of the best, so each step
is a (gain − slack)-greedy step and the bound becomes f ≥ (1 − 1/e)·OPT − k·slack.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import Field

from matcher import taxonomy
from matcher.engine.explain import deal_phrases
from matcher.engine.filters import coverage
from matcher.engine.query import read_deal
from matcher.schemas import Deal

if TYPE_CHECKING:
    from matcher.engine.recommender import Candidate, Recommender

# how far below the best marginal gain a candidate may be and still win on a preference
PREFERENCE_SLACK = 0.05
# candidates the relaxed retrieval returns (each is scored like a single-partner result)
TEAM_POOL = 40
MAX_TEAM_SIZE = 5
# candidates retrieved for each hard requirement the relaxed retrieval's candidates leave unmet
PER_REQUIREMENT_POOL = 10


class TeamDeal(Deal):
    """A deal (DESIGN.md 3.3) asked of teams: ``top_k`` teams of at most ``max_team_size``."""

    max_team_size: int = Field(
        default=3,
        ge=1,
        le=MAX_TEAM_SIZE,
        description="The most partners in one team (1 asks for single partners that cover all).",
    )


@dataclass(frozen=True)
class Requirement:
    """One thing the deal needs covered, keyed ``kind:value`` (``languages:de``)."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def requirements(deal: Deal) -> list[Requirement]:
    """What a team must cover for ``deal`` (already read, :func:`read_deal`): each language,
    certification and partner type, the country, and each specialism phrase of the brief."""
    found = [Requirement("languages", code) for code in deal.languages]
    found += [Requirement("certifications", name) for name in deal.certifications]
    if deal.country:
        found.append(Requirement("country", deal.country))
    found += [Requirement("partner_types", kind) for kind in deal.partner_types]
    found += [Requirement("specialisms", phrase) for phrase in deal_phrases(deal)]
    return list(dict.fromkeys(found))


def covered_by(deal: Deal, candidate: Candidate, needed: Sequence[Requirement]) -> set[str]:
    """The keys of ``needed`` one candidate covers: hard fields by the same coverage the
    filters use (an expired certification covers nothing), phrases by its specialism matches."""
    partner = candidate.partner
    met = coverage(deal, partner)
    held = {taxonomy.certification_key(name) for name in met.certifications}
    phrases = {match.deal_phrase for match in candidate.matches}
    keys = set()
    for requirement in needed:
        if requirement.kind == "languages":
            hit = requirement.value in met.languages
        elif requirement.kind == "certifications":
            hit = taxonomy.certification_key(requirement.value) in held
        elif requirement.kind == "country":
            hit = bool(met.country_served)
        elif requirement.kind == "partner_types":
            hit = partner.partner_type == requirement.value
        else:
            hit = requirement.value in phrases
        if hit:
            keys.add(requirement.key)
    return keys


class CoSell:
    """Pairs of partners attached to the same won deal, and how many such deals they share."""

    def __init__(self, pairs: Mapping[frozenset[str], int]) -> None:
        self.pairs = dict(pairs)

    @classmethod
    def from_outcomes(cls, outcomes: pd.DataFrame) -> CoSell:
        """Count, for every won ``deal_id`` with several partners, each pair of them."""
        pairs: dict[frozenset[str], int] = defaultdict(int)
        if len(outcomes):
            won = outcomes[outcomes["won"].astype(bool)]
            for partner_ids in won.groupby("deal_id")["partner_id"].unique():
                for pair in combinations(sorted(partner_ids), 2):
                    pairs[frozenset(pair)] += 1
        return cls(pairs)

    def deals(self, first: str, second: str) -> int:
        return self.pairs.get(frozenset((first, second)), 0)


@dataclass
class Team:
    """A team under construction: members in the order chosen, and who covers what."""

    members: list[Candidate]
    covers: dict[str, Candidate]

    def value(self) -> float:
        """f(T): the score of the best member covering each covered requirement."""
        return sum(member.score for member in self.covers.values())


def build_team(
    seed: Candidate,
    candidates: Sequence[Candidate],
    covers: Mapping[str, set[str]],
    needed: Sequence[Requirement],
    max_size: int,
    co_sell: CoSell,
) -> Team:
    """Greedy team from ``seed``: add the candidate with the largest marginal gain of f (ties
    within :data:`PREFERENCE_SLACK` go to a new partner type, then to past co-selling) until
    every requirement is covered, nobody adds anything, or the team has ``max_size``."""
    team = Team([seed], {key: seed for key in covers[seed.partner.partner_id]})
    all_keys = [requirement.key for requirement in needed]
    while len(team.members) < max_size and len(team.covers) < len(all_keys):
        gains = [
            (_gain(team, candidate, covers[candidate.partner.partner_id]), candidate)
            for candidate in candidates
            if candidate not in team.members
        ]
        gains = [(gain, candidate) for gain, candidate in gains if gain > 0]
        if not gains:
            break
        best = max(gain for gain, _ in gains)
        close = [(gain, c) for gain, c in gains if gain >= best - PREFERENCE_SLACK]
        _, chosen = max(close, key=lambda pair: (*_preference(team, pair[1], co_sell), pair[0]))
        team.members.append(chosen)
        for key in covers[chosen.partner.partner_id]:
            if key not in team.covers or team.covers[key].score < chosen.score:
                team.covers[key] = chosen
    # a member a better one displaced on everything it covered adds nothing to f: drop it
    team.members = [member for member in team.members if member in team.covers.values()]
    return team


def _gain(team: Team, candidate: Candidate, keys: Iterable[str]) -> float:
    """f(T ∪ {candidate}) − f(T)."""
    gain = 0.0
    for key in keys:
        current = team.covers.get(key)
        gain += max(0.0, candidate.score - (current.score if current is not None else 0.0))
    return gain


def _preference(team: Team, candidate: Candidate, co_sell: CoSell) -> tuple[bool, int]:
    """A new partner type for the team, then won deals shared with its members."""
    types = {member.partner.partner_type for member in team.members}
    shared = sum(
        co_sell.deals(candidate.partner.partner_id, member.partner.partner_id)
        for member in team.members
    )
    return candidate.partner.partner_type not in types, shared


def team_candidates(
    engine: Recommender, deal: Deal, needed: Sequence[Requirement], pool: int
) -> tuple[list[Candidate], dict[str, int]]:
    """Who may be in a team: the ``pool`` best for the deal with every hard requirement
    relaxed to a preference, plus, for each hard requirement none of those meets (a rare
    language or certification), the :data:`PER_REQUIREMENT_POOL` best partners meeting that
    one requirement strictly (the others are for other members to cover). Returns them, each
    partner once, and the relaxed retrieval's funnel."""
    relaxed = deal.model_copy(update={"strict": False, "read_description": False})
    candidates, funnel, _ = engine.rank(relaxed, top_k=pool)
    met = set().union(*(covered_by(deal, c, needed) for c in candidates))
    seen = {c.partner.partner_id for c in candidates}
    for requirement in needed:
        if requirement.key in met or requirement.kind == "specialisms":
            continue
        alone = deal.model_copy(
            update={
                "strict": True,
                "read_description": False,
                "languages": [],
                "certifications": [],
                "country": None,
                "partner_types": [],
                # a requirement's kind is the deal field it comes from
                requirement.kind: (
                    requirement.value if requirement.kind == "country" else [requirement.value]
                ),
            }
        )
        found, _, _ = engine.rank(alone, top_k=PER_REQUIREMENT_POOL)
        for candidate in found:
            if candidate.partner.partner_id not in seen:
                seen.add(candidate.partner.partner_id)
                candidates.append(candidate)
    return candidates, funnel


def recommend_teams(
    engine: Recommender, deal: Deal, max_team_size: int = 3, co_sell: CoSell | None = None
) -> dict[str, object]:
    """Up to ``deal.top_k`` teams for ``deal``, best coverage first, each saying which member
    covers each requirement and what none covers (``missing``).

    Team *j* starts from the *j*-th best single member by marginal gain, then grows greedily
    (:func:`build_team`); identical member sets are reported once.

    Example:
        >>> recommend_teams(engine, Deal(description="SAP rollout", languages=["de", "ja"]))
        ... # doctest: +SKIP
    """
    if not 1 <= max_team_size <= MAX_TEAM_SIZE:
        raise ValueError(f"max_team_size must be 1 to {MAX_TEAM_SIZE}, got {max_team_size}")
    co_sell = co_sell or CoSell({})
    read = read_deal(deal)
    needed = requirements(read.deal)
    candidates, funnel = team_candidates(engine, read.deal, needed, max(TEAM_POOL, deal.top_k))
    covers = {c.partner.partner_id: covered_by(read.deal, c, needed) for c in candidates}
    empty = Team([], {})
    seed_gains = {
        c.partner.partner_id: _gain(empty, c, covers[c.partner.partner_id]) for c in candidates
    }
    seeds = sorted(
        (c for c in candidates if seed_gains[c.partner.partner_id] > 0),
        key=lambda c: (-seed_gains[c.partner.partner_id], c.partner.partner_id),
    )
    teams: list[Team] = []
    seen: set[frozenset[str]] = set()
    for seed in seeds:
        if len(teams) >= deal.top_k:
            break
        team = build_team(seed, candidates, covers, needed, max_team_size, co_sell)
        ids = frozenset(member.partner.partner_id for member in team.members)
        if ids not in seen:
            seen.add(ids)
            teams.append(team)
    teams.sort(key=lambda t: (-len(t.covers), -t.value(), len(t.members)))
    return {
        "recommendation_id": "t_" + uuid.uuid4().hex[:20],
        "model_version": engine.scorer.version,
        "index_version": engine.index.index_version,
        "requirements": [requirement.key for requirement in needed],
        "funnel": funnel,
        "teams": [_team_result(rank, team, needed, co_sell) for rank, team in enumerate(teams, 1)],
    }


def _team_result(
    rank: int, team: Team, needed: Sequence[Requirement], co_sell: CoSell
) -> dict[str, object]:
    members = [
        {
            "partner_id": member.partner.partner_id,
            "name": member.partner.name,
            "partner_type": member.partner.partner_type,
            "score": round(min(1.0, max(0.0, member.score)), 4),
            "covers": sorted(key for key, by in team.covers.items() if by is member),
        }
        for member in team.members
    ]
    co_sold = [
        {"partners": [first.partner.partner_id, second.partner.partner_id], "won_deals": count}
        for first, second in combinations(team.members, 2)
        if (count := co_sell.deals(first.partner.partner_id, second.partner.partner_id))
    ]
    missing = [r.key for r in needed if r.key not in team.covers]
    return {
        "rank": rank,
        "members": members,
        "covered_by": {key: team.covers[key].partner.partner_id for key in sorted(team.covers)},
        "missing": missing,
        "fully_covered": not missing,
        "coverage": round(len(team.covers) / len(needed), 4) if needed else 1.0,
        "score": round(team.value() / len(needed), 4) if needed else 0.0,
        "co_sold": co_sold,
    }
