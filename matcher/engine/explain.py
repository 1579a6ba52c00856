"""Why a partner was recommended: deal-fit evidence and one plain-English reason line.

A seller acts on a recommendation only if the reason is concrete ("Speaks German, holds 2 of 2
required certifications, 14 manufacturing deals won; strong capability match on portfolio
management"). Missing data is said ("capacity unknown"), never hidden, because a missing value
is unknown, not zero (DESIGN.md 3.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pycountry

from matcher import taxonomy
from matcher.engine.filters import Coverage
from matcher.schemas import Deal, Partner

STRONG_MATCH = 0.75
_SEGMENT = re.compile(r"[;:!?()\n]|[.,](?!\d)")  # "3,000 staff" stays whole
_LINK = re.compile(r"\s(for|with|and|in|at|across|to|of)\s", re.IGNORECASE)
MAX_PHRASES = 8
# what starts a destination ("to the cloud", "to our tenant"), not an infinitive ("to use")
_DESTINATION = frozenset(("a", "an", "the", "our", "my", "your", "their", "its", "this", "these"))
# first words of a clause that are not its verb ("a partner to", "we need to", "help us to"):
# a destination then keeps no verb
_NOT_A_VERB = (
    _DESTINATION
    | frozenset(("that", "those", "we", "i", "you", "they", "it", "us", "some", "one", "any"))
    | frozenset(("help", "need", "needs", "want", "wants", "looking", "customer", "client"))
)


@dataclass(frozen=True)
class SpecialismMatch:
    """A partner specialism that matched a phrase of the deal, and how closely (cosine)."""

    specialism: str
    deal_phrase: str
    similarity: float


@dataclass(frozen=True)
class Explanation:
    """Evidence (DESIGN.md 3.3 keys plus ``missing``) and the reason line of one result."""

    evidence: dict[str, object]
    reason: str
    missing: list[str] = field(default_factory=list)


def deal_phrases(deal: Deal) -> list[str]:
    """The phrases of a deal that partner specialisms are matched against.

    The deal's own specialisms when given; otherwise the clauses of its description: split at
    punctuation and linking words, so "Roll out portfolio management for a car-parts maker"
    yields "Roll out portfolio management" and "a car-parts maker". Two repairs keep the need
    in the phrase that carries it:

    - a one-word clause stays joined to its neighbour rather than being dropped ("Training for
      admins", "Migration in die Cloud"); a one-word sentence is dropped ("fast") unless it is
      a term ("PPM", "24/7") or the description has nothing else;
    - a destination keeps its verb: "Migrate the billing to the cloud" yields "Migrate to the
      cloud" where "the cloud" alone would say nothing about moving (it is 0.53 from "cloud
      migration" with all-MiniLM-L6-v2, "Migrate to the cloud" 0.91).
    """
    if deal.specialisms:
        return list(deal.specialisms[:MAX_PHRASES])
    if not deal.description:
        return []
    segments = [" ".join(segment.split()) for segment in _SEGMENT.split(deal.description)]
    phrases = [
        phrase
        for segment in segments
        if len(segment.split()) > 1 or _is_term(segment)
        for phrase in _segment_phrases(segment)
    ]
    return (phrases or [segment for segment in segments if segment])[:MAX_PHRASES]


def _is_term(word: str) -> bool:
    """Whether a one-word sentence names something ("PPM", "FP&A", "24/7"), not "fast"."""
    return sum(c.isupper() for c in word) >= 2 or any(c.isdigit() or c in "&/+" for c in word)


def _segment_phrases(segment: str) -> list[str]:
    """The clauses of one sentence or comma-separated part (see :func:`deal_phrases`)."""
    parts = _LINK.split(segment)
    clauses, links = parts[0::2], [link.lower() for link in parts[1::2]]
    if len(clauses) == 1:
        return clauses
    # a one-word clause joins the next one ("Training for admins", "SSO and reporting"); the
    # last one joins the one before ("reporting and training")
    i = 0
    while i < len(clauses) and len(clauses) > 1:
        if len(clauses[i].split()) > 1:
            i += 1
            continue
        at = i if i < len(clauses) - 1 else i - 1
        clauses[at : at + 2] = [f"{clauses[at]} {links[at]} {clauses[at + 1]}"]
        del links[at]
        i = at
    phrases = list(clauses)
    for i, link in enumerate(links):
        verb = clauses[i].split()[0]
        target = clauses[i + 1].split()[0]
        if (
            link == "to"
            and verb.lower() not in _NOT_A_VERB
            and (target.lower() in _DESTINATION or target[:1].isupper())
        ):
            phrases[i + 1] = f"{verb} to {clauses[i + 1]}"
    return phrases


def match_specialisms(
    specialisms: list[str],
    specialism_vectors: np.ndarray,
    phrases: list[str],
    phrase_vectors: np.ndarray,
    threshold: float,
) -> list[SpecialismMatch]:
    """Partner specialisms whose cosine to some deal phrase reaches ``threshold``, best first.

    Vectors are L2-normalised rows (one per specialism / phrase); each specialism is credited
    to the deal phrase it is closest to.
    """
    if not specialisms or not phrases:
        return []
    similarity = specialism_vectors @ phrase_vectors.T
    matches = []
    for row, specialism in enumerate(specialisms):
        best = int(np.argmax(similarity[row]))
        value = float(similarity[row, best])
        if value >= threshold:
            matches.append(SpecialismMatch(specialism, phrases[best], round(value, 3)))
    return sorted(matches, key=lambda match: (-match.similarity, match.specialism))


def _country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def explain(
    deal: Deal,
    partner: Partner,
    coverage: Coverage,
    matches: list[SpecialismMatch],
    industry_wins: int | None,
    phrases: list[str] | None = None,
) -> Explanation:
    """Evidence and reason line for ``partner`` on ``deal``.

    Args:
        coverage: which of the deal's constraints the partner meets (:func:`filters.coverage`).
        matches: the partner's specialisms that matched deal phrases.
        industry_wins: won deals on record in the deal's industry; ``None`` when no outcome
            history is loaded (then the explanation says the track record is unknown).
        phrases: the deal's :func:`deal_phrases`, when the caller has them (one deal explains
            ten results); read from the deal otherwise.
    """
    clauses: list[str] = []
    missing: list[str] = []

    if deal.languages:
        spoken = [taxonomy.language_name(code) for code in coverage.languages]
        unspoken = [
            taxonomy.language_name(code)
            for code in deal.languages
            if code not in coverage.languages
        ]
        if spoken and not unspoken:
            clauses.append(f"Speaks {_join(spoken)}")
        elif spoken:
            clauses.append(f"Speaks {_join(spoken)} but not {_join(unspoken)}")
        elif not partner.languages:
            missing.append("languages not listed")
        else:
            clauses.append(f"Does not speak {_join(unspoken)}")

    wanted = len(dict.fromkeys(deal.certification_keys))
    if wanted:
        held = len(coverage.certifications)
        if wanted == 1:
            clauses.append(
                "holds the required certification" if held else "lacks the required certification"
            )
        else:
            clauses.append(f"holds {held} of {wanted} required certifications")
        today = date.today()
        lapsed = [
            f"{certification.name} expired {certification.expires_on.isoformat()}"
            for certification in partner.certifications
            if certification.key in deal.certification_keys
            and certification.expires_on is not None
            and not certification.valid_on(today)
        ]
        missing.extend(lapsed)

    if deal.country:
        name = _country_name(deal.country)
        if coverage.country_served:
            clauses.append(f"serves {name}")
        elif not partner.countries:
            missing.append("countries served not listed")
        else:
            clauses.append(f"does not serve {name}")

    industries: list[str] = []
    if deal.industry:
        industry_name = taxonomy.INDUSTRIES.get(deal.industry, deal.industry)
        if deal.industry in partner.industries:
            industries.append(deal.industry)
        elif not partner.industries:
            missing.append("industries not listed")
        if industry_wins is None:
            missing.append("no deal history loaded")
        elif industry_wins > 0:
            plural = "deal" if industry_wins == 1 else "deals"
            clauses.append(f"{industry_wins} {industry_name.lower()} {plural} won")
        elif deal.industry in partner.industries:
            clauses.append(f"works in {industry_name.lower()} (no won deals on record)")

    if partner.active_projects is not None and partner.max_projects:
        if partner.active_projects >= partner.max_projects:
            clauses.append(
                f"at capacity ({partner.active_projects} of {partner.max_projects} projects)"
            )
        elif partner.active_projects / partner.max_projects >= 0.8:
            clauses.append(
                f"near capacity ({partner.active_projects} of {partner.max_projects} projects)"
            )
    else:
        missing.append("capacity unknown")

    reason = ", ".join(clauses)
    if matches:
        strength = (
            "strong capability match"
            if matches[0].similarity >= STRONG_MATCH
            else "capability match"
        )
        named = _join([match.specialism for match in matches[:2]])
        reason = (
            f"{reason}; {strength} on {named}" if reason else f"{strength.capitalize()} on {named}"
        )
    elif phrases if phrases is not None else deal_phrases(deal):
        if not partner.specialisms:
            missing.append("specialisms not listed")
        else:
            no_match = "no listed specialism matches the deal"
            reason = f"{reason}; {no_match}" if reason else no_match
    if missing:
        reason = f"{reason} ({'; '.join(missing)})" if reason else _join(missing).capitalize()
    reason = (reason[:1].upper() + reason[1:]) if reason else "General fit on the deal description"

    evidence: dict[str, object] = {
        "languages": coverage.languages,
        "certifications": coverage.certifications,
        "industries": industries,
        "specialisms": [match.specialism for match in matches],
        "specialism_matches": [
            {"specialism": m.specialism, "deal_phrase": m.deal_phrase, "similarity": m.similarity}
            for m in matches
        ],
        "country": deal.country if coverage.country_served else None,
        "industry_deals_won": industry_wins,
        "missing": missing,
    }
    return Explanation(evidence=evidence, reason=reason, missing=missing)
