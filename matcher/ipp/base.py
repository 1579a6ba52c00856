"""The scorer interface where the matching engine and the Ideal Partner Profile model meet.

Two implementations live behind it: the rule-based Partner Evaluation Matrix (works with no
history) and the trained IPP model (learned from outcomes). The recommender and the prospect
screening only ever see :class:`IppScorer`; they never check which one they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from matcher.schemas import Deal, PartnerProfile

FOUR_CS: tuple[str, ...] = ("capacity", "capability", "commitment", "customer_fit")


@dataclass(frozen=True)
class FourCs:
    """The 4 C sub-scores (0–100) of one partner against a target, with evidence per C.

    ``confidence`` (0–1) is the share of the inputs that were known: a missing field lowers
    confidence and is named in the evidence, it does not drive a score to zero. ``detail`` is
    the scorer's own working behind the scores (e.g. its criteria), so that ``fit`` on the same
    partner and target need not redo what ``assess`` did.
    """

    capacity: float
    capability: float
    commitment: float
    customer_fit: float
    evidence: dict[str, list[str]] = field(default_factory=dict)
    confidence: float = 1.0
    detail: Any = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, float]:
        """The four sub-scores keyed by C, rounded for display (DESIGN.md 3.3 ``four_cs``)."""
        return {c: round(getattr(self, c), 1) for c in FOUR_CS}


@runtime_checkable
class IppScorer(Protocol):
    """Scores how well a partner fits: 4 C sub-scores with evidence, and one overall fit.

    ``target`` is the deal for recommendations, or ``None`` for the vendor's ideal customer
    profile (prospect screening).
    """

    @property
    def version(self) -> str:
        """What scored: e.g. ``"matrix-default"`` or a registry version ``"ipp-0003"``."""
        ...

    def assess(self, partner: PartnerProfile, target: Deal | None = None) -> FourCs:
        """The 4 C sub-scores and evidence of ``partner`` against ``target``."""
        ...

    def fit(self, partner: PartnerProfile, four_cs: FourCs, target: Deal | None = None) -> float:
        """Overall fit in 0–1 (a calibrated win probability for the trained model)."""
        ...

    def fit_many(
        self,
        partners: Sequence[PartnerProfile],
        four_cs: Sequence[FourCs],
        target: Deal | None = None,
    ) -> np.ndarray:
        """:meth:`fit` for many partners against one target, in one call (the ranking path)."""
        ...


class NeutralScorer:
    """An IPP scorer with no opinion (4 Cs at 50, fit 0.5): used when no IPP model is available."""

    version = "neutral"

    def assess(self, partner: object, target: object = None) -> FourCs:
        """Every C at 50, saying there is no model."""
        note = {
            c: ["no IPP model loaded"]
            for c in ("capacity", "capability", "commitment", "customer_fit")
        }
        return FourCs(50.0, 50.0, 50.0, 50.0, evidence=note, confidence=0.0)

    def fit(self, partner: object, four_cs: FourCs, target: object = None) -> float:
        """A neutral 0.5."""
        return 0.5

    def fit_many(
        self, partners: Sequence[object], four_cs: Sequence[FourCs], target: object = None
    ) -> np.ndarray:
        """A neutral 0.5 each."""
        return np.full(len(partners), 0.5)
