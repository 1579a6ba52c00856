"""The hidden truth model: partner business models, latent quality and the true capability,
industry, country, language and certification sets, drawn from seeded random streams.

Also the reference arrays built once from the vocabulary and the random-draw helpers every
other part of the simulator shares.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from matcher.taxonomy import PARTNER_TYPES, SEGMENTS
from training.simulate import vocabulary as vocab

REFERENCE_DATE = date(2026, 10, 1)
"""The simulated "today": history ends here, so files do not depend on the calendar."""
HISTORY_DAYS = 3 * 365
PARTNER_CHUNK = 4096
"""Partners per random-stream chunk. Part of the seed contract: changing it changes the files."""

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
SEGMENT_SHARES = (0.35, 0.35, 0.20, 0.10)
SEGMENT_DEAL_SIZE = (15_000.0, 60_000.0, 250_000.0, 150_000.0)
LANGUAGES_MISSING_RATE = 0.03
"""Partners that do not publish their languages (the truth still says what they speak)."""


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


def _check_count(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


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
