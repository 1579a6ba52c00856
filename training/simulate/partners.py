"""Partner profiles (DESIGN.md 3.1): the public words and numbers of each partner row, drawn from
its hidden truth, with the gaps real profiles have.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from matcher.taxonomy import INDUSTRIES, PARTNER_TYPES, SEGMENTS, TIERS, sales_regions
from training.simulate import vocabulary as vocab
from training.simulate.truth import (
    _CUSTOMERS_RATIO,
    _DATES,
    _EMP_MEDIAN,
    _N_SEGMENTS,
    _STAFF_PER_PROJECT,
    _STREAM_TEXT,
    PARTNER_CHUNK,
    SEGMENT_DEAL_SIZE,
    TYPE_PROFILES,
    PartnerTruth,
    _bits,
    _check_count,
    _Picker,
    _rng,
    _sigmoid,
    _truth_chunks,
)

DEALS_PER_PARTNER_YEAR = 6.0
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


# Region words are written only when a partner serves exactly the region's countries.
_REGION_BY_COUNTRIES: dict[frozenset[str], str] = {
    frozenset(sales_regions()[key]): word for key, word in vocab.REGION_WORDS.items()
}


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
