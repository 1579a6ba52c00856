"""The rule-based Partner Evaluation Matrix: the IPP scorer that works with no history at all.

The overall fit is the weighted mean of the 4 C sub-scores (weights from ``matrix.toml``,
overridable per request), divided by 100. It is a ranking score, not a calibrated probability;
the trained model (:mod:`matcher.ipp.registry`) replaces it once there are outcomes to learn from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from matcher.ipp.base import FOUR_CS, FourCs
from matcher.ipp.config import MatrixConfig, validate_weights
from matcher.ipp.four_cs import FourCsAssessor
from matcher.ipp.history import PerformanceHistory, Priors
from matcher.schemas import Deal, PartnerProfile

MATRIX_VERSION = "matrix-default"


def weighted_overall(four_cs: FourCs, weights: Mapping[str, float]) -> float:
    """The weighted mean of the sub-scores, 0–100."""
    total = sum(weights[c] for c in FOUR_CS)
    return sum(weights[c] * getattr(four_cs, c) for c in FOUR_CS) / total


class MatrixScorer:
    """The Partner Evaluation Matrix as an :class:`~matcher.ipp.IppScorer`.

    Example:
        >>> scorer = MatrixScorer(weights={"capability": 2})
        >>> scorer.weights["capability"], scorer.weights["capacity"]
        (2.0, 1.0)
    """

    def __init__(
        self,
        config: MatrixConfig | None = None,
        weights: Mapping[str, float] | None = None,
        priors: Priors | None = None,
        reference_date: date | None = None,
        histories: Mapping[str, PerformanceHistory] | None = None,
    ) -> None:
        self.config = config or MatrixConfig.load()
        self.weights = validate_weights(weights or {}, base=self.config.weights)
        self.assessor = FourCsAssessor(self.config, priors, reference_date)
        self.histories = histories or {}

    @property
    def version(self) -> str:
        """Always ``"matrix-default"``: the matrix is configuration, not a trained artefact."""
        return MATRIX_VERSION

    def with_weights(self, weights: Mapping[str, float]) -> MatrixScorer:
        """A scorer with some C weights overridden (per request); this one is unchanged."""
        scorer = MatrixScorer.__new__(MatrixScorer)
        scorer.config = self.config
        scorer.weights = validate_weights(weights, base=self.weights)
        scorer.assessor = self.assessor
        scorer.histories = self.histories
        return scorer

    def assess(self, partner: PartnerProfile, target: Deal | None = None) -> FourCs:
        """The 4 C sub-scores and evidence of ``partner`` against ``target`` (ICP if ``None``)."""
        return self.assessor.assess(partner, target, self.histories.get(partner.partner_id))

    def fit(self, partner: PartnerProfile, four_cs: FourCs, target: Deal | None = None) -> float:
        """Weighted mean of the sub-scores in 0–1 (a ranking score, not a probability)."""
        return weighted_overall(four_cs, self.weights) / 100.0

    def fit_many(
        self,
        partners: Sequence[PartnerProfile],
        four_cs: Sequence[FourCs],
        target: Deal | None = None,
    ) -> np.ndarray:
        """:meth:`fit` for many candidates at once."""
        return np.array([self.fit(p, f, target) for p, f in zip(partners, four_cs, strict=True)])
