"""What the Partner Evaluation Matrix is configured with.

The ideal customer profile, the criteria and their weights per C, and the validation that
names the allowed values when a configuration asks for something else.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from matcher import taxonomy
from matcher.ipp.base import FOUR_CS


def _allowed(what: str, value: object, allowed: Iterable[str]) -> ValueError:
    return ValueError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")


@dataclass(frozen=True)
class Icp:
    """The vendor's ideal customer profile: what a prospect's customer fit is measured against."""

    segments: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Icp:
        """Normalise an ``[icp]`` table; region words (``DACH``) and countries are both fine."""
        for region in raw.get("regions", []):
            taxonomy.normalise_countries(region)
        return cls(
            segments=tuple(taxonomy.normalise_segment(s) for s in raw.get("segments", [])),
            industries=tuple(taxonomy.normalise_industry(i) for i in raw.get("industries", [])),
            regions=tuple(raw.get("regions", [])),
            languages=tuple(taxonomy.normalise_language(lang) for lang in raw.get("languages", [])),
        )

    def region_codes(self) -> list[tuple[str, frozenset[str]]]:
        """Each target region with the ISO country codes that count as covering it."""
        return [
            (region, frozenset(taxonomy.normalise_countries(region))) for region in self.regions
        ]


@dataclass(frozen=True)
class MatrixConfig:
    """The Partner Evaluation Matrix (``matrix.toml``): weights, scales, ICP, bands, tiers."""

    weights: Mapping[str, float]
    criteria: Mapping[str, Mapping[str, float]]
    scales: Mapping[str, float]
    prior_strength: float
    population_win_rate: float
    default_prior: float
    icp: Icp
    bands: Mapping[str, float]
    tiers: tuple[tuple[str, Mapping[str, float]], ...]

    @classmethod
    def load(cls, path: Path | None = None) -> MatrixConfig:
        """Read a matrix file; ``None`` reads the packaged default ``matcher/ipp/matrix.toml``."""
        if path is None:
            text = resources.files("matcher.ipp").joinpath("matrix.toml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        return cls.from_dict(tomllib.loads(text))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MatrixConfig:
        """Validate a parsed matrix file; an unknown name raises ``ValueError`` listing options."""
        criteria: dict[str, dict[str, float]] = {}
        for c, table in raw.get("criteria", {}).items():
            if c not in CRITERIA:
                raise _allowed("C", c, FOUR_CS)
            for name, weight in table.items():
                if name not in CRITERIA[c]:
                    raise _allowed(f"{c} criterion", name, CRITERIA[c])
                if weight < 0:
                    raise ValueError(f"criterion weight {c}.{name} must be >= 0, not {weight}")
            criteria[c] = {name: float(table.get(name, 0.0)) for name in CRITERIA[c]}
        for c in FOUR_CS:
            criteria.setdefault(c, {name: 1.0 for name in CRITERIA[c]})
        scales = dict(raw.get("scales", {}))
        for name in scales:
            if name not in SCALES:
                raise _allowed("scale", name, SCALES)
        missing = [name for name in SCALES if name not in scales]
        if missing:
            raise ValueError(f"matrix config: scales missing: {', '.join(missing)}")
        tiers = tuple(
            (taxonomy.normalise_tier(name), {k: float(v) for k, v in minimums.items()})
            for name, minimums in raw.get("tiers", {}).items()
        )
        performance = raw.get("performance", {})
        return cls(
            weights=validate_weights(raw.get("weights", {})),
            criteria=criteria,
            scales={name: float(value) for name, value in scales.items()},
            prior_strength=float(performance.get("prior_strength", 10)),
            population_win_rate=float(performance.get("population_win_rate", 0.3)),
            default_prior=float(raw.get("priors", {}).get("default", 0.5)),
            icp=Icp.parse(raw.get("icp", {})),
            bands={name: float(value) for name, value in raw.get("bands", {}).items()},
            tiers=tuple(sorted(tiers, key=lambda tier: -tier[1].get("overall", 0.0))),
        )

    def fingerprint(self) -> str:
        """A hash of what shapes the model features (criterion weights and scales)."""
        canonical = json.dumps(
            {"criteria": self.criteria, "scales": self.scales, "k": self.prior_strength},
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def validate_weights(
    weights: Mapping[str, float], base: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Per-C weights merged over ``base`` (default equal); unknown C or negative weight refused."""
    merged = dict(base) if base is not None else dict.fromkeys(FOUR_CS, 1.0)
    for c, weight in weights.items():
        if c not in FOUR_CS:
            raise _allowed("C", c, FOUR_CS)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"weight of {c} must be a number >= 0, not {weight!r}")
        merged[c] = float(weight)
    if sum(merged.values()) <= 0:
        raise ValueError("at least one C needs a weight > 0")
    return merged


CRITERIA: dict[str, tuple[str, ...]] = {
    "capacity": ("employees", "certified_staff", "customers", "reach", "headroom"),
    "capability": (
        "certifications",
        "specialisms",
        "industry_depth",
        "track_record",
        "csat",
        "assets",
        "partner_type",
    ),
    "commitment": (
        "dedicated_manager",
        "training",
        "deal_registrations",
        "recency",
        "certified_share",
    ),
    "customer_fit": ("industries", "regions", "segments", "languages"),
}


SCALES: tuple[str, ...] = (
    "employees",
    "certified_staff",
    "customers",
    "countries",
    "deal_registrations",
    "certifications",
    "specialisms",
    "assets",
    "industries",
    "recency_full_days",
    "recency_zero_days",
)
