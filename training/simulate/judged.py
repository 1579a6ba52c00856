"""Judged deals: deal requests (DESIGN.md 3.3) with graded relevance from the hidden truth."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.taxonomy import PARTNER_TYPES, SEGMENTS
from training.simulate import vocabulary as vocab
from training.simulate.outcomes import _draw_deals
from training.simulate.partners import _join
from training.simulate.truth import (
    _COUNTRY_LANGUAGE_MASK,
    _ENGLISH,
    _N_COUNTRIES,
    _STREAM_JUDGED,
    PartnerTruth,
    _bits,
    _Picker,
    _random_set_bit,
    _rng,
    _sigmoid,
)

logger = logging.getLogger(__name__)

MAX_JUDGED_PARTNERS = 100
"""At most this many partners (the highest hidden utility) are judged per judged deal."""


@dataclass(frozen=True)
class RelevanceModel:
    """Weights and grade cut-offs of the hidden relevance of a partner to a judged deal.

    ``utility = capability * cap + industry * ind + country * geo + language * lang +
    certifications * certs + partner_types * types + quality * sigmoid(1.702 z)``.
    Every grade needs ``cap > 0`` and geo (the partner serves the deal's country). Grade 3:
    ``cap == 1``, ind, lang and ``utility >= grade3``; grade 2: ``cap >= 0.5`` and
    ``utility >= grade2``; grade 1: ``utility >= grade1``; otherwise 0. A strict deal
    grades 0 every partner violating one of its hard constraints.
    """

    capability: float = 4.0
    industry: float = 1.5
    country: float = 1.5
    language: float = 1.0
    certifications: float = 0.5
    partner_types: float = 0.5
    quality: float = 2.0
    grade3: float = 10.0
    grade2: float = 8.0
    grade1: float = 6.5


RELEVANCE = RelevanceModel()


@dataclass(frozen=True)
class _Request:
    """A judged deal's visible request and the hidden facts behind it."""

    deal: dict[str, Any]
    needs: int  # capability mask
    industry: int
    country: int
    languages: int | None  # language mask if requested
    certifications: int  # certification mask if requested (0 = none)
    partner_types: tuple[int, ...]


def _relevance_grades(truth: PartnerTruth, request: _Request) -> tuple[np.ndarray, np.ndarray]:
    """Hidden relevance (:data:`RELEVANCE`) of every partner to a judged deal: grades, utility."""
    r = RELEVANCE
    one = np.uint64(1)
    need = np.uint64(request.needs)
    cap = np.bitwise_count(truth.capabilities & need) / np.bitwise_count(need)
    ind = ((truth.industries >> np.uint64(request.industry)) & one).astype(bool)
    geo = ((truth.countries >> np.uint64(request.country)) & one).astype(bool)
    if request.languages is not None:
        wanted = np.uint64(request.languages)
        lang = (truth.languages & wanted) == wanted
    else:
        lang = (truth.languages & _COUNTRY_LANGUAGE_MASK[request.country]) > 0
    creds = np.ones(len(truth))
    if request.certifications:
        wanted_certs = np.uint64(request.certifications)
        creds = np.bitwise_count(truth.certifications & wanted_certs) / int(
            np.bitwise_count(wanted_certs)
        )
    types_ok = (
        np.isin(truth.partner_type, request.partner_types)
        if request.partner_types
        else np.ones(len(truth), dtype=bool)
    )
    quality = _sigmoid(1.702 * truth.quality.astype(float))
    utility = (
        r.capability * cap
        + r.industry * ind
        + r.country * geo
        + r.language * lang
        + r.certifications * creds
        + r.partner_types * types_ok
        + r.quality * quality
    )
    grade1 = (cap > 0) & geo & (utility >= r.grade1)
    grade2 = grade1 & (cap >= 0.5) & (utility >= r.grade2)
    grade3 = grade2 & (cap == 1) & ind & lang & (utility >= r.grade3)
    grades = np.where(grade3, 3, np.where(grade2, 2, np.where(grade1, 1, 0)))
    if request.deal.get("strict"):
        allowed = np.ones(len(truth), dtype=bool)
        if "country" in request.deal:
            allowed &= geo
        if request.languages is not None and "languages" in request.deal:
            wanted = np.uint64(request.languages)
            allowed &= truth.languages_published & ((truth.languages & wanted) == wanted)
        if "certifications" in request.deal:
            allowed &= creds == 1
        if "partner_types" in request.deal:
            allowed &= types_ok
        grades = np.where(allowed, grades, 0)
    return grades, utility


def _judged_request(truth: PartnerTruth, rng: np.random.Generator, picker: _Picker) -> _Request:
    """A deal request built around a random anchor partner, worded the way a buyer talks."""
    anchor = int(rng.integers(len(truth)))
    draw = _draw_deals(truth, np.array([anchor]), rng, stretch=0.0)
    needs = [c for c in dict.fromkeys(draw.needs[0].tolist()) if c >= 0]
    industry, country, segment = int(draw.industry[0]), int(draw.country[0]), int(draw.segment[0])
    if not truth.countries[anchor] >> np.uint64(country) & np.uint64(1):
        country = int(_random_set_bit(truth.countries[[anchor]], rng.random(1), _N_COUNTRIES)[0])
    shape = picker.pick(("description", "structured", "mixed", "mixed"))
    strict = picker.chance(0.5)
    deal: dict[str, Any] = {}
    language_mask: int | None = None
    certification_mask = 0
    partner_types: tuple[int, ...] = ()
    country_info = vocab.COUNTRIES[country]

    wanted_languages: list[str] = []
    if (
        shape != "description"
        and picker.chance(0.5 if strict else 0.25)
        and (truth.languages_published[anchor] or not strict)
    ):
        spoken = _bits(int(truth.languages[anchor]))
        local = [k for k in spoken if vocab.LANGUAGE_CODES[k] in country_info.languages]
        chosen = [picker.pick(local)]
        if _ENGLISH in spoken and _ENGLISH not in chosen and picker.chance(0.25):
            chosen.append(_ENGLISH)
        wanted_languages = [vocab.LANGUAGE_CODES[k] for k in chosen]
        language_mask = sum(1 << k for k in chosen)
    held = _bits(int(truth.certifications[anchor]))
    wanted_certs: list[int] = []
    if shape != "description" and held and picker.chance(0.35 if strict else 0.15):
        wanted_certs = picker.sample(held, 2 if picker.chance(0.2) else 1)
        certification_mask = sum(1 << k for k in wanted_certs)
    if shape != "description" and picker.chance(0.4 if strict else 0.2):
        anchor_type = PARTNER_TYPES[truth.partner_type[anchor]]
        names = [anchor_type] + [t for t in vocab.RELATED_TYPES[anchor_type] if picker.chance(0.5)]
        partner_types = tuple(PARTNER_TYPES.index(name) for name in names)

    if shape in ("description", "mixed"):
        deal["description"] = _deal_description(
            needs, industry, country, segment, wanted_languages, draw.deal_size[0], picker
        )
    if shape == "structured" or (shape == "mixed" and picker.chance(0.7)):
        deal["industry"] = vocab.INDUSTRY_IDS[industry]
    if shape == "structured" or (shape == "mixed" and picker.chance(0.8)):
        deal["country"] = country_info.code
    if shape != "description" and picker.chance(0.5):
        deal["segment"] = SEGMENTS[segment]
    if wanted_languages:
        deal["languages"] = wanted_languages
    if wanted_certs:
        deal["certifications"] = [vocab.CERTIFICATION_NAMES[k] for k in wanted_certs]
    if partner_types:
        deal["partner_types"] = [PARTNER_TYPES[t] for t in partner_types]
    if shape == "structured" or (shape == "mixed" and picker.chance(0.4)):
        deal["specialisms"] = [picker.pick(vocab.CAPABILITIES[c].profile) for c in needs]
    if picker.chance(0.6):
        deal["deal_size"] = int(draw.deal_size[0])
    deal["top_k"] = 10
    deal["strict"] = strict
    return _Request(
        deal=deal,
        needs=sum(1 << c for c in needs),
        industry=industry,
        country=country,
        languages=language_mask,
        certifications=certification_mask,
        partner_types=partner_types,
    )


def _deal_description(
    needs: list[int],
    industry: int,
    country: int,
    segment: int,
    languages: list[str],
    deal_size: float,
    picker: _Picker,
) -> str:
    segment_word = picker.pick(vocab.SEGMENT_BUYER_WORDS[SEGMENTS[segment]])
    text = picker.pick(vocab.DEAL_TEMPLATES).format(
        needs=_join([picker.pick(vocab.CAPABILITIES[c].buyer) for c in needs]),
        Segment=segment_word.capitalize(),
        segment=segment_word,
        industry=picker.pick(vocab.INDUSTRY_BUYER_WORDS[vocab.INDUSTRY_IDS[industry]]),
        country=vocab.COUNTRIES[country].prose,
    )
    sentences = [text]
    if languages and picker.chance(0.6):
        names = [vocab.LANGUAGE_PROSE_NAMES[code] for code in languages]
        sentences.append(picker.pick(vocab.DEAL_LANGUAGE_TEMPLATES).format(language=_join(names)))
    if picker.chance(0.3):
        amount = f"{round(deal_size / 1000):,}k" if deal_size < 1e6 else f"{deal_size / 1e6:.1f}M"
        sentences.append(vocab.DEAL_BUDGET_TEMPLATE.format(amount=amount))
    return " ".join(sentences)


def judged_deals(truth: PartnerTruth, n_judged: int, seed: int) -> Iterator[dict[str, Any]]:
    """Judged deal records ``{"deal_id", "deal", "relevance"}`` with graded relevance 1-3.

    Requests are redrawn until at least one partner is relevant (up to 50 times: only a tiny
    ecosystem can run out). At most :data:`MAX_JUDGED_PARTNERS` are listed, best first (grade,
    then hidden utility, then partner id).
    """
    rng = _rng(seed, _STREAM_JUDGED)
    picker = _Picker(rng)
    for j in range(n_judged):
        for _attempt in range(50):
            request = _judged_request(truth, rng, picker)
            grades, utility = _relevance_grades(truth, request)
            relevant = np.flatnonzero(grades > 0)
            if len(relevant):
                break
        else:
            logger.warning("judged deal %d has no relevant partner after 50 draws", j + 1)
        order = relevant[np.lexsort((relevant, -utility[relevant], -grades[relevant]))]
        order = order[:MAX_JUDGED_PARTNERS]
        yield {
            "deal_id": f"J-{j + 1:04d}",
            "deal": request.deal,
            "relevance": {f"P-{int(p) + 1:06d}": int(grades[p]) for p in order},
        }
