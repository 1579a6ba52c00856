"""A simulated partner ecosystem with a documented hidden truth, for demos, tests and benchmarks.

Three files come out, in the formats of DESIGN.md 3.1-3.3: ``partners.csv`` (or ``.jsonl``),
``outcomes.csv`` (history of partner-attached deals) and ``judged_deals.jsonl`` (deal requests
with graded relevance, for evaluating recommenders). Behind them sits a hidden truth per partner
(:class:`PartnerTruth`: a latent quality and the true capability, industry, country, language
and certification sets); wins and relevance grades are computed from it by the formulas in
``data/README.md``, whose coefficients are the constants :data:`WIN_MODEL` and
:data:`RELEVANCE` below.

Everything is drawn from ``numpy.random.default_rng`` streams keyed by ``(seed, stream, chunk)``:
the same seed gives byte-identical files, and the first ``k`` partners are the same whatever the
total. Partner rows are written chunk by chunk; only compact numpy arrays of the hidden truth are
kept (about 90 MB for a million partners).

Example:
    >>> from pathlib import Path
    >>> summary = simulate(Path("/tmp/eco"), n_partners=200, n_deals=500, n_judged=5)
    >>> summary.partners_path.name, summary.n_outcomes
    ('partners.csv', 500)
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from matcher.schemas import Outcome
from matcher.taxonomy import INDUSTRIES, PARTNER_TYPES, ROLES, SEGMENTS, TIERS, sales_regions
from training import vocabulary as vocab

logger = logging.getLogger(__name__)

REFERENCE_DATE = date(2026, 10, 1)
"""The simulated "today": history ends here, so files do not depend on the calendar."""
HISTORY_DAYS = 3 * 365
PARTNER_CHUNK = 4096
"""Partners per random-stream chunk. Part of the seed contract: changing it changes the files."""
DEAL_CHUNK = 20_000
MAX_JUDGED_PARTNERS = 100
"""At most this many partners (the highest hidden utility) are judged per judged deal."""
FORMATS = ("csv", "jsonl")

PARTNER_COLUMNS: tuple[str, ...] = (
    "partner_id",
    "name",
    "partner_type",
    "description",
    "specialisms",
    "languages",
    "industries",
    "certifications",
    "countries",
    "segments",
    "tier",
    "employees",
    "certified_staff",
    "customers",
    "active_projects",
    "max_projects",
    "training_completion",
    "deal_registrations_12m",
    "last_active",
    "dedicated_manager",
    "deals_won_12m",
    "deals_lost_12m",
    "revenue_12m",
    "csat",
    "assets",
)
OUTCOME_COLUMNS: tuple[str, ...] = tuple(Outcome.model_fields)

# Random streams: (seed, stream, chunk) keys, so each part can be regenerated on its own.
_STREAM_TRUTH, _STREAM_TEXT, _STREAM_OUTCOMES, _STREAM_JUDGED = 1, 2, 3, 4


@dataclass(frozen=True)
class TypeProfile:
    """How a partner business model looks in the simulation (DOMAIN.md, partner types)."""

    share: float
    employees_median: float
    employees_sigma: float
    capabilities: tuple[int, int]
    industries: tuple[int, int]
    reach: float
    deal_volume: float
    certified_offset: float
    staff_per_project: float
    customers_per_employee: float
    roles: tuple[float, float, float]
    asset_rate: float
    asset_kinds: tuple[float, float, float]


# fmt: off
TYPE_PROFILES: dict[str, TypeProfile] = {
    "reseller": TypeProfile(
        share=0.22, employees_median=40, employees_sigma=1.0, capabilities=(2, 5),
        industries=(1, 3), reach=1.0, deal_volume=1.2, certified_offset=0.0,
        staff_per_project=5, customers_per_employee=8.0, asset_rate=0.08,
        roles=(0.35, 0.55, 0.1), asset_kinds=(0.5, 0.2, 0.3),
    ),
    "system_integrator": TypeProfile(
        share=0.18, employees_median=120, employees_sigma=1.2, capabilities=(3, 8),
        industries=(1, 4), reach=1.4, deal_volume=1.0, certified_offset=0.3,
        staff_per_project=4, customers_per_employee=1.5, asset_rate=0.5,
        roles=(0.45, 0.2, 0.35), asset_kinds=(0.35, 0.2, 0.45),
    ),
    "managed_service_provider": TypeProfile(
        share=0.12, employees_median=80, employees_sigma=1.0, capabilities=(3, 6),
        industries=(1, 3), reach=1.0, deal_volume=0.9, certified_offset=0.2,
        staff_per_project=6, customers_per_employee=3.0, asset_rate=0.2,
        roles=(0.35, 0.45, 0.2), asset_kinds=(0.3, 0.2, 0.5),
    ),
    "isv": TypeProfile(
        share=0.12, employees_median=35, employees_sigma=1.0, capabilities=(1, 4),
        industries=(1, 3), reach=1.6, deal_volume=0.6, certified_offset=-0.2,
        staff_per_project=10, customers_per_employee=10.0, asset_rate=0.9,
        roles=(0.2, 0.1, 0.7), asset_kinds=(0.2, 0.75, 0.05),
    ),
    "referral": TypeProfile(
        share=0.14, employees_median=6, employees_sigma=1.0, capabilities=(1, 3),
        industries=(1, 2), reach=0.6, deal_volume=0.8, certified_offset=-1.0,
        staff_per_project=2, customers_per_employee=5.0, asset_rate=0.02,
        roles=(0.8, 0.05, 0.15), asset_kinds=(1.0, 0.0, 0.0),
    ),
    "consultancy": TypeProfile(
        share=0.12, employees_median=25, employees_sigma=1.2, capabilities=(2, 6),
        industries=(1, 4), reach=1.0, deal_volume=0.9, certified_offset=0.2,
        staff_per_project=3, customers_per_employee=1.2, asset_rate=0.4,
        roles=(0.45, 0.1, 0.45), asset_kinds=(0.7, 0.0, 0.3),
    ),
    "distributor": TypeProfile(
        share=0.03, employees_median=300, employees_sigma=0.9, capabilities=(2, 4),
        industries=(1, 3), reach=3.0, deal_volume=1.5, certified_offset=-0.3,
        staff_per_project=20, customers_per_employee=50.0, asset_rate=0.05,
        roles=(0.1, 0.85, 0.05), asset_kinds=(0.6, 0.2, 0.2),
    ),
    "agency": TypeProfile(
        share=0.07, employees_median=30, employees_sigma=0.9, capabilities=(2, 5),
        industries=(1, 3), reach=0.8, deal_volume=0.7, certified_offset=-0.3,
        staff_per_project=3, customers_per_employee=2.0, asset_rate=0.3,
        roles=(0.5, 0.15, 0.35), asset_kinds=(0.8, 0.15, 0.05),
    ),
}
# fmt: on

PARETO_SIGMA = 1.2
"""Deal volume grows as exp(PARETO_SIGMA * quality): the top 20 % of partners get ~65 % of deals."""
STRONG_QUALITY = 0.8416
"""Quality above this z (the top 20 % of a standard normal) marks a *strong* partner."""
DEALS_PER_PARTNER_YEAR = 6.0
SEGMENT_SHARES = (0.35, 0.35, 0.20, 0.10)
SEGMENT_DEAL_SIZE = (15_000.0, 60_000.0, 250_000.0, 150_000.0)
SEGMENT_CYCLE_DAYS = (30.0, 60.0, 120.0, 150.0)
TIER_THRESHOLDS = (-0.12, 0.64, 1.40)

MISSING_RATES: dict[str, float] = {
    "description": 0.03,
    "specialisms": 0.05,
    "industries": 0.05,
    "segments": 0.07,
    "tier": 0.05,
    "employees": 0.07,
    "certified_staff": 0.07,
    "customers": 0.07,
    "active_projects": 0.07,
    "max_projects": 0.07,
    "training_completion": 0.07,
    "deal_registrations_12m": 0.07,
    "last_active": 0.05,
    "dedicated_manager": 0.07,
    "deals_won_12m": 0.06,
    "deals_lost_12m": 0.06,
    "revenue_12m": 0.07,
    "csat": 0.10,
}
LANGUAGES_MISSING_RATE = 0.03
"""Partners that do not publish their languages (the truth still says what they speak)."""


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
class PartnerTruth:
    """The hidden truth about every partner, as compact arrays indexed by partner position.

    Bit ``i`` of a mask refers to the ``i``-th entry of ``vocabulary.CAPABILITY_KEYS``,
    ``vocabulary.INDUSTRY_IDS``, ``vocabulary.COUNTRY_CODES``, ``vocabulary.LANGUAGE_CODES``,
    ``vocabulary.CERTIFICATION_NAMES`` or ``matcher.taxonomy.SEGMENTS``. Partner ``i`` is
    ``P-{i+1:06d}``.
    """

    quality: np.ndarray
    partner_type: np.ndarray
    employees: np.ndarray
    certified_staff: np.ndarray
    capabilities: np.ndarray
    industries: np.ndarray
    countries: np.ndarray
    languages: np.ndarray
    languages_published: np.ndarray
    certifications: np.ndarray
    segments: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.quality)

    @property
    def strong(self) -> np.ndarray:
        """Partners in the top 20 % of latent quality (the Pareto few)."""
        return self.quality > STRONG_QUALITY

    def head(self, n: int) -> PartnerTruth:
        """The first ``n`` partners."""
        return PartnerTruth(**{name: getattr(self, name)[:n] for name in self.__dataclass_fields__})

    @classmethod
    def concatenate(cls, parts: Sequence[PartnerTruth]) -> PartnerTruth:
        """One truth from consecutive chunks."""
        names = cls.__dataclass_fields__
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote: paths, counts and a few headline figures."""

    out_dir: Path
    partners_path: Path
    outcomes_path: Path
    judged_path: Path
    n_partners: int
    n_deals: int
    n_outcomes: int
    n_judged: int
    seed: int
    fmt: str
    win_rate: float
    seconds: float


Progress = Callable[[str, int, int], None]
"""Progress callback: ``progress(stage, done, total)`` with stage partners/outcomes/judged deals."""


# --- reference arrays built once from the vocabulary --------------------------------------------

_N_TYPES = len(PARTNER_TYPES)
_N_CAPS = len(vocab.CAPABILITIES)
_N_INDUSTRIES = len(vocab.INDUSTRY_IDS)
_N_COUNTRIES = len(vocab.COUNTRIES)
_N_LANGUAGES = len(vocab.LANGUAGE_CODES)
_N_CERTS = len(vocab.CERTIFICATIONS)
_N_SEGMENTS = len(SEGMENTS)

_TYPE_SHARE = np.array([TYPE_PROFILES[t].share for t in PARTNER_TYPES])
_EMP_MEDIAN = np.array([TYPE_PROFILES[t].employees_median for t in PARTNER_TYPES], dtype=float)
_EMP_SIGMA = np.array([TYPE_PROFILES[t].employees_sigma for t in PARTNER_TYPES])
_CAP_RANGE = np.array([TYPE_PROFILES[t].capabilities for t in PARTNER_TYPES])
_IND_RANGE = np.array([TYPE_PROFILES[t].industries for t in PARTNER_TYPES])
_REACH = np.array([TYPE_PROFILES[t].reach for t in PARTNER_TYPES])
_TYPE_VOLUME = np.array([TYPE_PROFILES[t].deal_volume for t in PARTNER_TYPES])
_CERTIFIED_OFFSET = np.array([TYPE_PROFILES[t].certified_offset for t in PARTNER_TYPES])
_STAFF_PER_PROJECT = np.array([TYPE_PROFILES[t].staff_per_project for t in PARTNER_TYPES])
_CUSTOMERS_RATIO = np.array([TYPE_PROFILES[t].customers_per_employee for t in PARTNER_TYPES])
_ROLE_P = np.array([TYPE_PROFILES[t].roles for t in PARTNER_TYPES])


def _type_capability_weights() -> np.ndarray:
    weights = np.full((_N_TYPES, _N_CAPS), 0.02)
    for c, capability in enumerate(vocab.CAPABILITIES):
        for t, partner_type in enumerate(PARTNER_TYPES):
            if capability.key in vocab.SIGNATURE_CAPABILITIES[partner_type]:
                weights[t, c] = 8.0
            elif partner_type in capability.core:
                weights[t, c] = 1.0
            elif partner_type in capability.secondary:
                weights[t, c] = 0.3
    return weights


_CAP_WEIGHT = _type_capability_weights()
_CAP_LOGW = np.log(_CAP_WEIGHT)
_CAP_POPULARITY = (_TYPE_SHARE @ _CAP_WEIGHT) / (_TYPE_SHARE @ _CAP_WEIGHT).sum()
_CAP_INDUSTRY = np.array(
    [[industry in c.industries for industry in vocab.INDUSTRY_IDS] for c in vocab.CAPABILITIES],
    dtype=float,
)
_INDUSTRY_WEIGHT = np.array([vocab.INDUSTRY_WEIGHTS[i] for i in vocab.INDUSTRY_IDS])
_INDUSTRY_P = _INDUSTRY_WEIGHT / _INDUSTRY_WEIGHT.sum()
_PUBLIC_SECTOR = vocab.INDUSTRY_IDS.index("public_sector")

_COUNTRY_WEIGHT = np.array([country.weight for country in vocab.COUNTRIES])
_COUNTRY_P = _COUNTRY_WEIGHT / _COUNTRY_WEIGHT.sum()


def _country_affinity() -> np.ndarray:
    """How likely a partner at home in country i also serves country j (before market size)."""
    affinity = np.full((_N_COUNTRIES, _N_COUNTRIES), 0.3)
    for i, home in enumerate(vocab.COUNTRIES):
        for j, other in enumerate(vocab.COUNTRIES):
            if home.cluster == other.cluster:
                affinity[i, j] = 20.0
            elif home.macro == other.macro:
                affinity[i, j] = 3.0
    return np.log(affinity * _COUNTRY_WEIGHT[None, :])


_COUNTRY_LOG_AFFINITY = _country_affinity()
_LANGUAGE_INDEX = {code: i for i, code in enumerate(vocab.LANGUAGE_CODES)}
_PRIMARY_LANGUAGE = np.zeros((_N_COUNTRIES, _N_LANGUAGES))
_OFFICIAL_LANGUAGE = np.zeros((_N_COUNTRIES, _N_LANGUAGES))
for _c, _country in enumerate(vocab.COUNTRIES):
    _PRIMARY_LANGUAGE[_c, _LANGUAGE_INDEX[_country.languages[0]]] = 1
    for _code in _country.languages:
        _OFFICIAL_LANGUAGE[_c, _LANGUAGE_INDEX[_code]] = 1
_BITS64 = np.uint64(1) << np.arange(64, dtype=np.uint64)
_COUNTRY_LANGUAGE_MASK = (_OFFICIAL_LANGUAGE.astype(np.uint64) * _BITS64[:_N_LANGUAGES]).sum(axis=1)
_ENGLISH = _LANGUAGE_INDEX["en"]

_CERT_BASE = np.array([spec.base_logit for spec in vocab.CERTIFICATIONS])
_CERT_TYPE = np.array(
    [[t in spec.types for spec in vocab.CERTIFICATIONS] for t in PARTNER_TYPES], dtype=float
)
_CERT_CAPABILITY = np.array(
    [[c.key in spec.capabilities for spec in vocab.CERTIFICATIONS] for c in vocab.CAPABILITIES],
    dtype=float,
)

# Region words are written only when a partner serves exactly the region's countries.
_REGION_BY_COUNTRIES: dict[frozenset[str], str] = {
    frozenset(sales_regions()[key]): word for key, word in vocab.REGION_WORDS.items()
}
_DATES = [(REFERENCE_DATE - timedelta(days=d)).isoformat() for d in range(HISTORY_DAYS + 800)]


def _sigmoid(x: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, stream, chunk])


def _mask(chosen: np.ndarray) -> np.ndarray:
    """Boolean (n, k) membership → uint64 bitmask per row (k ≤ 64)."""
    return (chosen.astype(np.uint64) * _BITS64[: chosen.shape[1]]).sum(axis=1, dtype=np.uint64)


def _top_k(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per row, membership of the ``counts[i]`` largest keys. With Gumbel noise added to log
    weights this is weighted sampling without replacement."""
    order = np.argsort(-keys, axis=1, kind="stable")
    ranks = np.empty_like(order)
    ranks[np.arange(keys.shape[0])[:, None], order] = np.arange(keys.shape[1])[None, :]
    return ranks < counts[:, None]


def _bits(mask: int) -> list[int]:
    """Indices of the set bits of ``mask``, lowest first."""
    bits = []
    while mask:
        low = mask & -mask
        bits.append(low.bit_length() - 1)
        mask ^= low
    return bits


def _random_set_bit(masks: np.ndarray, u: np.ndarray, width: int) -> np.ndarray:
    """For each mask, the index of a uniformly chosen set bit (-1 where no bit is set)."""
    bits = ((masks[:, None] >> np.arange(width, dtype=np.uint64)[None, :]) & np.uint64(1)).astype(
        bool
    )
    counts = bits.sum(axis=1)
    target = np.minimum((u * counts).astype(np.int64), np.maximum(counts - 1, 0))
    chosen = np.argmax(np.cumsum(bits, axis=1) > target[:, None], axis=1)
    return np.where(counts > 0, chosen, -1)


# --- hidden truth -------------------------------------------------------------------------------


def _truth_chunk(rng: np.random.Generator, n: int) -> PartnerTruth:
    """Draw the hidden truth of ``n`` partners (vectorised)."""
    types = rng.choice(_N_TYPES, size=n, p=_TYPE_SHARE)
    quality = rng.standard_normal(n)
    median = _EMP_MEDIAN[types]
    employees = np.clip(
        np.rint(median * np.exp(_EMP_SIGMA[types] * rng.standard_normal(n) + 0.15 * quality)),
        1,
        250_000,
    ).astype(np.int64)
    size = np.log10(employees / median)

    low, high = _CAP_RANGE[types, 0], _CAP_RANGE[types, 1]
    n_caps = low + rng.binomial(high - low, np.clip(0.35 + 0.35 * size + 0.1 * quality, 0.05, 0.95))
    capabilities = _top_k(_CAP_LOGW[types] + rng.gumbel(size=(n, _N_CAPS)), n_caps)

    linked = (capabilities.astype(float) @ _CAP_INDUSTRY) > 0
    industry_keys = np.log(_INDUSTRY_WEIGHT[None, :] * np.where(linked, 6.0, 1.0))
    low, high = _IND_RANGE[types, 0], _IND_RANGE[types, 1]
    n_industries = low + rng.binomial(high - low, np.clip(0.35 + 0.3 * size, 0.05, 0.95))
    industries = _top_k(industry_keys + rng.gumbel(size=(n, _N_INDUSTRIES)), n_industries)

    home = rng.choice(_N_COUNTRIES, size=n, p=_COUNTRY_P)
    reach = 0.3 * (employees / 30.0) ** 0.45 * _REACH[types]
    n_countries = 1 + np.minimum(rng.poisson(reach), 15)
    country_keys = _COUNTRY_LOG_AFFINITY[home] + rng.gumbel(size=(n, _N_COUNTRIES))
    country_keys[np.arange(n), home] = np.inf
    countries = _top_k(country_keys, n_countries)

    spoken = (countries.astype(float) @ _PRIMARY_LANGUAGE) > 0
    official = (countries.astype(float) @ _OFFICIAL_LANGUAGE) > 0
    spoken |= official & (rng.random((n, _N_LANGUAGES)) < 0.35)
    english = _sigmoid(0.2 + 1.0 * (n_countries > 1) + 0.8 * size + 0.3 * quality)
    spoken[:, _ENGLISH] |= rng.random(n) < english
    extra = rng.random(n) < 0.04
    spoken[np.arange(n)[extra], rng.integers(_N_LANGUAGES, size=int(extra.sum()))] = True
    languages_published = rng.random(n) >= LANGUAGES_MISSING_RATE

    decades = np.log10(employees)
    segment_p = np.column_stack(
        [
            _sigmoid(2.0 - 1.6 * (decades - 1.5)),
            np.full(n, 0.75),
            _sigmoid(-2.2 + 1.6 * (decades - 1.5) + 0.4 * quality),
            0.12 + 0.55 * industries[:, _PUBLIC_SECTOR],
        ]
    )
    segments = rng.random((n, _N_SEGMENTS)) < segment_p
    segments[~segments.any(axis=1), SEGMENTS.index("mid_market")] = True

    certified_share = _sigmoid(
        -1.2 + 0.8 * quality + _CERTIFIED_OFFSET[types] + 0.5 * rng.standard_normal(n)
    )
    certified_staff = np.rint(employees * certified_share).astype(np.int64)
    cert_logit = (
        _CERT_BASE[None, :]
        + 2.0 * _CERT_TYPE[types]
        + 2.0 * ((capabilities.astype(float) @ _CERT_CAPABILITY) > 0)
        + 0.6 * quality[:, None]
        + 0.3 * np.log10(certified_staff + 1.0)[:, None]
    )
    certifications = (rng.random((n, _N_CERTS)) < _sigmoid(cert_logit)) & (
        certified_staff[:, None] > 0
    )

    volume = (
        np.exp(PARETO_SIGMA * quality - PARETO_SIGMA**2 / 2)
        * (employees / median) ** 0.25
        * _TYPE_VOLUME[types]
    )
    return PartnerTruth(
        quality=quality.astype(np.float32),
        partner_type=types.astype(np.uint8),
        employees=employees,
        certified_staff=certified_staff,
        capabilities=_mask(capabilities),
        industries=_mask(industries),
        countries=_mask(countries),
        languages=_mask(spoken),
        languages_published=languages_published,
        certifications=_mask(certifications),
        segments=_mask(segments),
        volume=volume,
    )


def _truth_chunks(n_partners: int, seed: int) -> Iterator[tuple[int, int, PartnerTruth]]:
    """(start, size, truth of the whole chunk): chunks are always drawn whole, so the first
    partners are the same whatever the total."""
    for chunk, start in enumerate(range(0, n_partners, PARTNER_CHUNK)):
        size = min(PARTNER_CHUNK, n_partners - start)
        yield start, size, _truth_chunk(_rng(seed, _STREAM_TRUTH, chunk), PARTNER_CHUNK)


def partner_truth(n_partners: int, seed: int = 42) -> PartnerTruth:
    """The hidden truth behind the partners that ``simulate(..., seed=seed)`` writes.

    Cheap to recompute (no text is rendered), so tests and benchmarks can compare what a model
    learned with what the simulator knows.
    """
    _check_count("n_partners", n_partners, minimum=1)
    chunks = _truth_chunks(n_partners, seed)
    return PartnerTruth.concatenate([truth.head(size) for _, size, truth in chunks])


# --- partner rows -------------------------------------------------------------------------------


class _Picker:
    """Cheap scalar draws for text choices, fed in blocks from one numpy stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        blocks = iter(lambda: rng.random(8192).tolist(), None)
        self.uniform: Callable[[], float] = itertools.chain.from_iterable(blocks).__next__

    def chance(self, p: float) -> bool:
        return self.uniform() < p

    def index(self, n: int) -> int:
        return int(self.uniform() * n)

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.uniform() * len(options))]

    def sample(self, options: Sequence[Any], k: int) -> list[Any]:
        pool = list(options)
        for i in range(min(k, len(pool))):
            j = i + self.index(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def _with_article(phrase: str) -> str:
    """``a consultancy``, ``an ISV``, ``an MSP``: the article as the phrase is spoken."""
    spoken_vowel = phrase[0] in "aeiouAEIOU" or phrase.split()[0] in {"MSP", "MSSP", "SI"}
    return f"{'an' if spoken_vowel else 'a'} {phrase}"


def _join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _partner_numbers(truth: PartnerTruth, rng: np.random.Generator) -> dict[str, list[Any]]:
    """Capacity, commitment and performance fields, correlated with the hidden quality."""
    n = len(truth)
    z = truth.quality.astype(float)
    types = truth.partner_type
    employees = truth.employees
    relative = np.log(employees / _EMP_MEDIAN[types])
    max_projects = np.maximum(
        1, np.rint(employees / _STAFF_PER_PROJECT[types] * rng.lognormal(0, 0.3, n))
    ).astype(np.int64)
    utilisation = np.clip(0.55 + 0.12 * z + 0.2 * rng.standard_normal(n), 0, 1)
    customers = np.rint(
        employees * _CUSTOMERS_RATIO[types] * np.exp(0.2 * z) * rng.lognormal(0, 0.5, n)
    ).astype(np.int64)
    dedicated = rng.random(n) < _sigmoid(-1.2 + 1.0 * z + 0.5 * np.log10(employees / 50.0))
    deals_12m = rng.poisson(DEALS_PER_PARTNER_YEAR * truth.volume)
    won_12m = rng.binomial(deals_12m, _sigmoid(-0.6 + 0.9 * z))
    served = (truth.segments[:, None] >> np.arange(_N_SEGMENTS, dtype=np.uint64)) & np.uint64(1)
    segment_size = (served @ np.array(SEGMENT_DEAL_SIZE)) / served.sum(axis=1)
    revenue = np.round(won_12m * segment_size * rng.lognormal(0, 0.35, n), -2)
    tier_score = 0.8 * z + 0.35 * relative + 0.4 * rng.standard_normal(n)
    days_idle = np.minimum(rng.exponential(15.0 * np.exp(-0.7 * z)), 720).astype(np.int64)
    return {
        "tier": [TIERS[i] for i in np.searchsorted(TIER_THRESHOLDS, tier_score)],
        "employees": employees.tolist(),
        "certified_staff": truth.certified_staff.tolist(),
        "customers": customers.tolist(),
        "active_projects": np.rint(max_projects * utilisation).astype(np.int64).tolist(),
        "max_projects": max_projects.tolist(),
        "training_completion": np.round(
            _sigmoid(0.3 + 0.9 * z + 0.7 * rng.standard_normal(n)), 2
        ).tolist(),
        "deal_registrations_12m": rng.poisson(0.7 * deals_12m + 0.8 * dedicated).tolist(),
        "last_active": [_DATES[d] for d in days_idle.tolist()],
        "dedicated_manager": dedicated.tolist(),
        "deals_won_12m": won_12m.tolist(),
        "deals_lost_12m": (deals_12m - won_12m).tolist(),
        "revenue_12m": revenue.tolist(),
        "csat": np.round(np.clip(74 + 8 * z + 7 * rng.standard_normal(n), 15, 100), 1).tolist(),
    }


class _Facts(NamedTuple):
    """One partner's hidden truth as plain Python values (fast to read in the render loop)."""

    partner_type: int
    capabilities: int
    industries: int
    countries: int
    languages: int
    segments: int
    certifications: int
    certified_staff: int
    employees: int
    languages_published: bool


def _render_chunk(
    start: int, size: int, truth: PartnerTruth, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """The first ``size`` partner rows (DESIGN.md 3.1) of a chunk: words, numbers, gaps."""
    numbers = _partner_numbers(truth, rng)
    missing = {
        name: (rng.random(len(truth)) < rate).tolist() for name, rate in MISSING_RATES.items()
    }
    picker = _Picker(rng)
    facts = zip(*(getattr(truth, name)[:size].tolist() for name in _Facts._fields), strict=True)
    rows = []
    for i, partner in enumerate(facts):
        hidden = {name for name, flags in missing.items() if flags[i]}
        if {"description", "specialisms"} <= hidden:
            hidden.discard("specialisms")
        row = _render_partner(start + i, _Facts(*partner), hidden, picker)
        row.update({key: values[i] for key, values in numbers.items()})
        row["assets"] = row.pop("assets")
        for name in hidden:
            row[name] = [] if isinstance(row[name], list) else None
        if not partner[-1]:
            row["languages"] = []
        rows.append(row)
    return rows


def _render_partner(index: int, facts: _Facts, hidden: set[str], picker: _Picker) -> dict[str, Any]:
    """The public words of one partner row (numbers are added by the caller).

    Every capability shows in the specialisms or the description (or both), so the text always
    carries the truth a reader could find, unless the row hides one of them.
    """
    partner_type = PARTNER_TYPES[facts.partner_type]
    capabilities = [vocab.CAPABILITIES[c] for c in _bits(facts.capabilities)]
    capabilities = picker.sample(capabilities, len(capabilities))
    industries = [vocab.INDUSTRY_IDS[k] for k in _bits(facts.industries)]
    countries = [vocab.COUNTRIES[k] for k in _bits(facts.countries)]
    countries.sort(key=lambda country: -country.weight)
    languages = [vocab.LANGUAGE_CODES[k] for k in _bits(facts.languages)]
    segments = [SEGMENTS[s] for s in _bits(facts.segments)]
    home = countries[0]
    name = (
        f"{picker.pick(vocab.NAME_STARTS)}{picker.pick(vocab.NAME_ENDS)} "
        f"{picker.pick(vocab.TYPE_NAME_WORDS[partner_type])} {picker.pick(home.legal_forms)}"
    )

    # Each capability gets a tag phrasing; the description uses a different phrasing of it.
    tag_choice = [picker.index(len(c.profile)) for c in capabilities]
    if "specialisms" in hidden:
        tagged = [False] * len(capabilities)
    else:
        tagged = [picker.chance(0.85) or "description" in hidden for _ in capabilities]
    untagged = [j for j, is_tagged in enumerate(tagged) if not is_tagged]
    mentioned = untagged + [j for j, is_tagged in enumerate(tagged) if is_tagged]
    spoken_of = []
    for j in mentioned[: max(3, len(untagged))]:
        phrasings = capabilities[j].profile
        shift = 1 + picker.index(len(phrasings) - 1)
        spoken_of.append(phrasings[(tag_choice[j] + shift) % len(phrasings)])

    fields = {
        "name": name,
        "type": _with_article(picker.pick(vocab.TYPE_PROFILE_WORDS[partner_type])),
        "home": home.prose,
        "year": 1985 + picker.index(38),
        "employees": facts.employees,
        "capabilities": _join(spoken_of),
        "segments": _join([picker.pick(vocab.SEGMENT_PROFILE_WORDS[s]) for s in segments[:2]]),
        "industries": _join([picker.pick(vocab.INDUSTRY_PROFILE_WORDS[k]) for k in industries[:3]]),
        "countries": _join([country.prose for country in countries[:6]]),
        "languages": _join([vocab.LANGUAGE_PROSE_NAMES[code] for code in languages]),
        "count": 10 * (2 + picker.index(40)),
    }
    sentences = [
        picker.pick(vocab.INTRO_TEMPLATES).format_map(fields),
        picker.pick(vocab.FOCUS_TEMPLATES).format_map(fields),
    ]
    if (len(countries) > 1 or len(languages) > 1) and picker.chance(0.6):
        sentences.append(picker.pick(vocab.REACH_TEMPLATES).format_map(fields))
    if picker.chance(0.35):
        sentences.append(picker.pick(vocab.TYPE_FLOURISHES[partner_type]).format_map(fields))

    profile = TYPE_PROFILES[partner_type]
    assets: list[str] = []
    if picker.chance(profile.asset_rate):
        candidates = [asset for c in capabilities for asset in c.assets]
        kinds = profile.asset_kinds
        weighted = [a for a in candidates if picker.uniform() < 0.2 + kinds[_KIND_INDEX[a[0]]]]
        assets = [f"{kind}:{asset_name}" for kind, asset_name in weighted[: 1 + picker.index(4)]]

    return {
        "partner_id": f"P-{index + 1:06d}",
        "name": name,
        "partner_type": partner_type,
        "description": " ".join(sentences),
        "specialisms": [
            capabilities[j].profile[tag_choice[j]] for j, keep in enumerate(tagged) if keep
        ],
        "languages": _write_languages(languages, home, picker),
        "industries": [INDUSTRIES[k] if picker.chance(0.05) else k for k in industries],
        "certifications": _holders(facts, picker),
        "countries": _write_countries(countries, picker),
        "segments": segments,
        "assets": assets,
    }


_KIND_INDEX = {"template": 0, "integration": 1, "accelerator": 2}


def _holders(facts: _Facts, picker: _Picker) -> list[str]:
    """``name:holders`` for each certification held; 1 ≤ holders ≤ certified staff."""
    certified = facts.certified_staff
    return [
        f"{vocab.CERTIFICATION_NAMES[c]}:"
        f"{1 + int((certified - 1) * (0.05 + 0.55 * picker.uniform()))}"
        for c in _bits(facts.certifications)
    ]


def _write_languages(languages: list[str], home: vocab.Country, picker: _Picker) -> list[str]:
    """Codes, home language first; now and then English names, as people type them."""
    ordered = sorted(languages, key=lambda code: (code != home.languages[0], code != "en", code))
    if picker.chance(0.03):
        return [vocab.LANGUAGE_NAMES.get(code, code) for code in ordered]
    return ordered


def _write_countries(countries: list[vocab.Country], picker: _Picker) -> list[str]:
    """ISO codes; a region word where the partner serves exactly that region; some names."""
    codes = frozenset(country.code for country in countries)
    region = _REGION_BY_COUNTRIES.get(codes)
    if region is not None and picker.chance(0.5):
        return [region]
    return [country.name if picker.chance(0.04) else country.code for country in countries]


def _partner_chunks(
    n_partners: int, seed: int
) -> Iterator[tuple[list[dict[str, Any]], PartnerTruth]]:
    for start, size, truth in _truth_chunks(n_partners, seed):
        rng = _rng(seed, _STREAM_TEXT, start // PARTNER_CHUNK)
        yield _render_chunk(start, size, truth, rng), truth.head(size)


def generate_partners(n: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Partner rows (DESIGN.md 3.1 fields; lists as lists, missing values as ``None``/``[]``).

    The same rows :func:`simulate` writes for the same seed, produced lazily: handy for
    benchmarks that want rows without files.

    Example:
        >>> next(generate_partners(1))["partner_id"]
        'P-000001'
    """
    _check_count("n", n, minimum=0)
    if n == 0:
        return
    for rows, _ in _partner_chunks(n, seed):
        yield from rows


# --- outcomes -----------------------------------------------------------------------------------


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


# --- judged deals -------------------------------------------------------------------------------


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


# --- writing ------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """One CSV cell: lists ``;``-joined, booleans ``true``/``false``, missing blank."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is list:
        return ";".join(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float and value.is_integer():
        return str(int(value))
    return str(value)


class _RowWriter:
    """Writes dict rows as CSV (DESIGN.md lists ``;``-joined) or JSONL, atomically on close."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: str) -> None:
        self.path = path
        self._columns = columns
        self._fmt = fmt
        self._tmp = path.with_name(path.name + ".tmp")
        self._handle = self._tmp.open("w", encoding="utf-8", newline="")
        if fmt == "csv":
            self._csv = csv.writer(self._handle, lineterminator="\n")
            self._csv.writerow(columns)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self._fmt == "csv":
            self._csv.writerows([[_cell(row[c]) for c in self._columns] for row in rows])
        else:
            self._handle.writelines(
                json.dumps({c: _json_value(row[c]) for c in self._columns}, ensure_ascii=False)
                + "\n"
                for row in rows
            )

    def close(self) -> None:
        self._handle.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._handle.close()
        self._tmp.unlink(missing_ok=True)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_count(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def simulate(
    out_dir: Path,
    n_partners: int,
    n_deals: int,
    *,
    n_outcomes: int | None = None,
    n_judged: int = 200,
    seed: int = 42,
    fmt: str = "csv",
    progress: Progress | None = None,
) -> SimulationSummary:
    """Write a simulated ecosystem: partners, outcomes and judged deals, in ``out_dir``.

    Args:
        out_dir: created if missing; existing files of the same names are replaced.
        n_partners: partner rows (at least 1).
        n_deals: distinct historical deals. Each deal has one attached partner, so without
            ``n_outcomes`` this is also the number of outcome rows.
        n_outcomes: outcome rows, between ``n_deals`` and ``2 * n_deals``: the extra rows attach a
            second, influencing partner to randomly chosen deals (a co-sell).
        n_judged: judged deal requests written to ``judged_deals.jsonl``.
        seed: the same seed gives byte-identical files.
        fmt: ``csv`` or ``jsonl`` for partners and outcomes (judged deals are always JSONL).
        progress: called as ``progress(stage, done, total)`` after each chunk.

    Returns:
        A :class:`SimulationSummary`.

    Raises:
        ValueError: a count, the seed or the format is out of range.
    """
    _check_count("n_partners", n_partners, minimum=1)
    _check_count("n_deals", n_deals, minimum=0)
    _check_count("n_judged", n_judged, minimum=0)
    _check_count("seed", seed, minimum=0)
    if n_outcomes is None:
        n_outcomes = n_deals
    _check_count("n_outcomes", n_outcomes, minimum=0)
    if not n_deals <= n_outcomes <= 2 * n_deals:
        raise ValueError(
            f"n_outcomes must be between n_deals and 2 * n_deals ({n_deals}..{2 * n_deals}), "
            f"not {n_outcomes}"
        )
    if n_outcomes > n_deals and n_partners < 2:
        raise ValueError("co-sold deals (n_outcomes > n_deals) need at least 2 partners")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    partners_path = out_dir / f"partners.{fmt}"
    writer = _RowWriter(partners_path, PARTNER_COLUMNS, fmt)
    parts = []
    try:
        for rows, truth in _partner_chunks(n_partners, seed):
            writer.write(rows)
            parts.append(truth)
            report("partners", min(len(parts) * PARTNER_CHUNK, n_partners), n_partners)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    truth = PartnerTruth.concatenate(parts)

    outcomes_path = out_dir / f"outcomes.{fmt}"
    wins = _write_outcomes(outcomes_path, truth, n_deals, n_outcomes, seed, fmt, report)

    judged_path = out_dir / "judged_deals.jsonl"
    tmp = judged_path.with_name(judged_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        for j, record in enumerate(judged_deals(truth, n_judged, seed), start=1):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            if j % 20 == 0 or j == n_judged:
                report("judged deals", j, n_judged)
    os.replace(tmp, judged_path)

    summary = SimulationSummary(
        out_dir=out_dir,
        partners_path=partners_path,
        outcomes_path=outcomes_path,
        judged_path=judged_path,
        n_partners=n_partners,
        n_deals=n_deals,
        n_outcomes=n_outcomes,
        n_judged=n_judged,
        seed=seed,
        fmt=fmt,
        win_rate=wins / n_deals if n_deals else float("nan"),
        seconds=time.perf_counter() - started,
    )
    logger.info("simulated %s in %.1f s", summary, summary.seconds)
    return summary


def _write_outcomes(
    path: Path,
    truth: PartnerTruth,
    n_deals: int,
    n_outcomes: int,
    seed: int,
    fmt: str,
    report: Progress,
) -> int:
    """Write outcome rows chunk by chunk; returns the number of won deals."""
    cumulative_volume = np.cumsum(truth.volume)
    co_sell_left = n_outcomes - n_deals
    plan = _rng(seed, _STREAM_OUTCOMES)
    writer = _RowWriter(path, OUTCOME_COLUMNS, fmt)
    wins = written = 0
    try:
        for chunk, first in enumerate(range(0, n_deals, DEAL_CHUNK), start=1):
            size = min(DEAL_CHUNK, n_deals - first)
            deals_left = n_deals - first
            co_sell = (
                int(plan.hypergeometric(co_sell_left, deals_left - co_sell_left, size))
                if co_sell_left
                else 0
            )
            co_sell_left -= co_sell
            rows, won = _outcome_rows(
                truth, cumulative_volume, first, size, co_sell, _rng(seed, _STREAM_OUTCOMES, chunk)
            )
            writer.write(rows)
            wins += won
            written += len(rows)
            report("outcomes", written, n_outcomes)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return wins
