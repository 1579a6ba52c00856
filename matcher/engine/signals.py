"""Structured ranking signals in 0–1 for a whole candidate set at once.

A deal meets a few hundred candidates; asking each partner object in Python ("serves this
industry?") cost more than the vector search. The filter columns already hold one bitmap per
facet value, so each signal is a handful of vectorised bit lookups over the candidates' row ids.

A signal that does not apply to the deal is left out (so it weighs nothing), and a partner that
left the field empty scores 0.5 on it: unknown is not zero. Countries, industries, languages
and partner types the description names (and does not require) count as preferences when the
deal's own fields are empty (:func:`matcher.engine.query.read_deal`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matcher.engine.filters import PartnerColumns
from matcher.engine.query import DealTerms
from matcher.schemas import Deal

TRACK_RECORD_SCALE = 5.0


def structured_signals(
    deal: Deal,
    terms: DealTerms,
    columns: PartnerColumns,
    rows: np.ndarray,
    partner_ids: Sequence[str],
    specialism_fit: np.ndarray | None,
    industry_wins: Mapping[tuple[str, str], int] | None,
) -> dict[str, np.ndarray]:
    """Per signal name, its values for the candidates ``rows`` (``partner_ids`` in the same
    order); ``specialism_fit`` is ``None`` when the deal names no specialism phrases."""
    signals: dict[str, np.ndarray] = {}
    if specialism_fit is not None:
        signals["specialisms"] = specialism_fit
    industries = [deal.industry] if deal.industry else list(terms.industries)
    if industries:
        signals["industry"] = _known_or_half(columns, "industry", industries, rows)
        if industry_wins is not None:
            wins = np.array(
                [max(industry_wins.get((pid, i), 0) for i in industries) for pid in partner_ids],
                dtype=np.float64,
            )
            signals["track_record"] = 1.0 - np.exp(-wins / TRACK_RECORD_SCALE)
    if terms.countries:
        signals["country"] = _known_or_half(columns, "country", terms.countries, rows)
    if terms.languages:
        wanted = list(terms.languages)
        signals["languages"] = columns.count_of("language", wanted, rows) / len(wanted)
    if terms.partner_types:
        matched = columns.has_any("partner_type", terms.partner_types, rows)
        signals["partner_types"] = matched.astype(np.float64)
    if deal.segment:
        signals["segment"] = _known_or_half(columns, "segment", [deal.segment], rows)
    headroom = columns.headroom[rows].astype(np.float64)
    signals["capacity"] = np.where(np.isnan(headroom), 0.5, headroom)
    if not deal.strict:
        signals.update(_constraint_coverage(deal, columns, rows))
    return signals


def _constraint_coverage(
    deal: Deal, columns: PartnerColumns, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """With ``strict: false`` the hard constraints become signals: the share of the wanted
    languages and certifications a partner has, whether it serves the country, and whether its
    type is one asked for (the vectorised :func:`matcher.engine.filters.coverage`)."""
    coverage: dict[str, np.ndarray] = {}
    if deal.languages:
        wanted = list(dict.fromkeys(deal.languages))
        coverage["languages"] = columns.count_of("language", wanted, rows) / len(wanted)
    if deal.certifications:
        wanted = list(dict.fromkeys(deal.certification_keys))
        coverage["certifications"] = columns.count_of("certification", wanted, rows) / len(wanted)
    if deal.country:
        coverage["country"] = columns.has_any("country", [deal.country], rows).astype(np.float64)
    if deal.partner_types:
        matched = columns.has_any("partner_type", deal.partner_types, rows)
        coverage["partner_types"] = matched.astype(np.float64)
    return coverage


def _known_or_half(
    columns: PartnerColumns, facet: str, wanted: Sequence[str], rows: np.ndarray
) -> np.ndarray:
    """1 where the partner has one of ``wanted``, 0 where it has others, 0.5 where it listed
    none (the ``known`` facet records which list fields a partner filled in)."""
    hit = columns.has_any(facet, wanted, rows).astype(np.float64)
    known = columns.has_any("known", [_LIST_FIELD[facet]], rows)
    return np.where(known, hit, 0.5)


_LIST_FIELD = {"industry": "industries", "country": "countries", "segment": "segments"}
