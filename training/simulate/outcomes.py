"""Deal outcomes (DESIGN.md 3.2): historical partner-attached deals and the hidden win model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.taxonomy import ROLES, SEGMENTS
from training.simulate import vocabulary as vocab
from training.simulate.partners import _join
from training.simulate.truth import (
    _BITS64,
    _CAP_POPULARITY,
    _COUNTRY_LANGUAGE_MASK,
    _COUNTRY_P,
    _DATES,
    _INDUSTRY_P,
    _N_CAPS,
    _N_COUNTRIES,
    _N_INDUSTRIES,
    _N_SEGMENTS,
    _ROLE_P,
    HISTORY_DAYS,
    SEGMENT_DEAL_SIZE,
    SEGMENT_SHARES,
    PartnerTruth,
    _Picker,
    _random_set_bit,
    _sigmoid,
)

SEGMENT_CYCLE_DAYS = (30.0, 60.0, 120.0, 150.0)


@dataclass(frozen=True)
class WinModel:
    """Coefficients of the hidden win probability of a historical deal (see data/README.md).

    ``P(won) = sigmoid(intercept + capability * cap_fit + industry * ind_fit + language *
    lang_fit + country * geo_fit + segment * seg_fit + quality * z + deal_size *
    log10(size / 50000) + role[role] + co_sell * has_second_partner)``
    """

    intercept: float = -4.5
    capability: float = 1.8
    industry: float = 0.6
    language: float = 0.7
    country: float = 0.3
    segment: float = 0.3
    quality: float = 0.9
    deal_size: float = -0.3
    role: tuple[float, float, float] = (0.0, 0.2, -0.1)  # sourced, transacted, influenced
    co_sell: float = 0.3


WIN_MODEL = WinModel()


@dataclass
class _DealDraw:
    """Vectorised hidden facts of a batch of deals attached to partners."""

    partner: np.ndarray
    country: np.ndarray
    industry: np.ndarray
    segment: np.ndarray
    needs: np.ndarray  # (n, 3) capability indices, -1 for unused slots
    deal_size: np.ndarray


def _choose_from_mask_or_global(
    masks: np.ndarray, width: int, p_own: float, global_p: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    n = len(masks)
    own = _random_set_bit(masks, rng.random(n), width)
    other = rng.choice(width, size=n, p=global_p)
    use_own = (rng.random(n) < p_own) & (own >= 0)
    return np.where(use_own, own, other)


def _draw_deals(
    truth: PartnerTruth, partner: np.ndarray, rng: np.random.Generator, *, stretch: float = 0.3
) -> _DealDraw:
    """Country, industry, segment and needed capabilities of deals attached to ``partner``."""
    n = len(partner)
    country = _choose_from_mask_or_global(
        truth.countries[partner], _N_COUNTRIES, 0.85, _COUNTRY_P, rng
    )
    industry = _choose_from_mask_or_global(
        truth.industries[partner], _N_INDUSTRIES, 0.75, _INDUSTRY_P, rng
    )
    segment = _choose_from_mask_or_global(
        truth.segments[partner], _N_SEGMENTS, 0.8, np.array(SEGMENT_SHARES), rng
    )
    slots = np.column_stack(
        [
            _choose_from_mask_or_global(
                truth.capabilities[partner], _N_CAPS, 1.0 if j == 0 else 0.6, _CAP_POPULARITY, rng
            )
            for j in range(3)
        ]
    )
    n_needs = 1 + rng.binomial(2, 0.35, size=n)
    slots[np.arange(3)[None, :] >= n_needs[:, None]] = -1
    # A share of deals (``stretch``) need something the partner does not list as its first need.
    stretched = rng.random(n) < stretch
    slots[stretched, 0] = rng.choice(_N_CAPS, size=int(stretched.sum()), p=_CAP_POPULARITY)
    deal_size = np.maximum(
        1000,
        np.round(np.array(SEGMENT_DEAL_SIZE)[segment] * rng.lognormal(0, 0.8, n) / 500) * 500,
    )
    return _DealDraw(partner, country, industry, segment, slots, deal_size)


def _needs_mask(needs: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(needs), dtype=np.uint64)
    for j in range(needs.shape[1]):
        used = needs[:, j] >= 0
        mask[used] |= _BITS64[needs[used, j]]
    return mask


def _win_probability(
    truth: PartnerTruth, deals: _DealDraw, role: np.ndarray, co_sell: np.ndarray
) -> np.ndarray:
    """The hidden logistic win model (:data:`WIN_MODEL`) for deals attached to partners."""
    p = deals.partner
    need = _needs_mask(deals.needs)
    cap_fit = np.bitwise_count(need & truth.capabilities[p]) / np.bitwise_count(need)
    one = np.uint64(1)
    ind_fit = (truth.industries[p] >> deals.industry.astype(np.uint64)) & one
    geo_fit = (truth.countries[p] >> deals.country.astype(np.uint64)) & one
    seg_fit = (truth.segments[p] >> deals.segment.astype(np.uint64)) & one
    lang_fit = (truth.languages[p] & _COUNTRY_LANGUAGE_MASK[deals.country]) > 0
    m = WIN_MODEL
    logit = (
        m.intercept
        + m.capability * cap_fit
        + m.industry * ind_fit
        + m.language * lang_fit
        + m.country * geo_fit
        + m.segment * seg_fit
        + m.quality * truth.quality[p]
        + m.deal_size * np.log10(deals.deal_size / 50_000)
        + np.array(m.role)[role]
        + m.co_sell * co_sell
    )
    return _sigmoid(logit.astype(float))


def _outcome_rows(
    truth: PartnerTruth,
    cumulative_volume: np.ndarray,
    first_deal: int,
    n_deals: int,
    n_co_sell: int,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], int]:
    """Outcome rows for deals ``first_deal ..`` (+ influencer rows for co-sold deals)."""
    n_partners = len(truth)
    partner = np.minimum(
        np.searchsorted(cumulative_volume, rng.random(n_deals) * cumulative_volume[-1], "right"),
        n_partners - 1,
    )
    deals = _draw_deals(truth, partner, rng)
    types = truth.partner_type[partner]
    role = (rng.random(n_deals)[:, None] > np.cumsum(_ROLE_P[types], axis=1)).sum(axis=1)
    role = np.minimum(role, 2)
    co_sell = np.zeros(n_deals, dtype=bool)
    co_sell[rng.choice(n_deals, size=n_co_sell, replace=False)] = True
    second = np.minimum(
        np.searchsorted(cumulative_volume, rng.random(n_deals) * cumulative_volume[-1], "right"),
        n_partners - 1,
    )
    second = np.where(second == partner, (partner + 1) % n_partners, second)
    won = rng.random(n_deals) < _win_probability(truth, deals, role, co_sell)
    age = np.floor(HISTORY_DAYS * rng.random(n_deals) ** 1.25).astype(np.int64)
    cycle = np.rint(
        np.array(SEGMENT_CYCLE_DAYS)[deals.segment]
        * rng.lognormal(0, 0.5, n_deals)
        * np.where(won, 1.0, 1.15)
    ).astype(np.int64)
    need_mask = _needs_mask(deals.needs)
    cap_fit = np.bitwise_count(need_mask & truth.capabilities[partner]) / np.bitwise_count(
        need_mask
    )
    csat = np.round(
        np.clip(
            70 + 8 * truth.quality[partner] + 10 * cap_fit + 8 * rng.standard_normal(n_deals),
            0,
            100,
        ),
        1,
    )
    csat = np.where(won & (rng.random(n_deals) < 0.7), csat, np.nan)
    has_description = rng.random(n_deals) < 0.65
    picker = _Picker(rng)

    rows = []
    columns = zip(
        partner.tolist(),
        role.tolist(),
        deals.country.tolist(),
        deals.industry.tolist(),
        deals.segment.tolist(),
        deals.deal_size.tolist(),
        won.tolist(),
        age.tolist(),
        cycle.tolist(),
        csat.tolist(),
        deals.needs.tolist(),
        has_description.tolist(),
        co_sell.tolist(),
        second.tolist(),
        strict=True,
    )
    for i, (p, r, c, k, s, size, w, a, cy, cs, needs, described, co_sold, other) in enumerate(
        columns
    ):
        row = {
            "deal_id": f"D-{first_deal + i + 1:07d}",
            "partner_id": f"P-{p + 1:06d}",
            "role": ROLES[r],
            "industry": vocab.INDUSTRY_IDS[k],
            "country": vocab.COUNTRY_CODES[c],
            "segment": SEGMENTS[s],
            "deal_size": size,
            "won": w,
            "closed_on": _DATES[a],
            "cycle_days": cy,
            "csat": None if math.isnan(cs) else cs,
            "description": _outcome_description(needs, k, c, s, picker) if described else None,
        }
        rows.append(row)
        if co_sold:
            rows.append(
                {**row, "partner_id": f"P-{other + 1:06d}", "role": "influenced", "csat": None}
            )
    return rows, int(won.sum())


def _outcome_description(
    needs: list[int], industry: int, country: int, segment: int, picker: _Picker
) -> str:
    phrases = [picker.pick(vocab.CAPABILITIES[c].buyer) for c in dict.fromkeys(needs) if c >= 0]
    segment_word = picker.pick(vocab.SEGMENT_BUYER_WORDS[SEGMENTS[segment]])
    text = _join(phrases)
    return picker.pick(vocab.OUTCOME_TEMPLATES).format(
        Segment=segment_word.capitalize(),
        segment=segment_word,
        industry=picker.pick(vocab.INDUSTRY_BUYER_WORDS[vocab.INDUSTRY_IDS[industry]]),
        country=vocab.COUNTRIES[country].prose,
        needs=text,
        needs_cap=text[0].upper() + text[1:],
    )
