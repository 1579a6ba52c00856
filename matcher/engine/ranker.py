"""The learned ranker: a linear scoring function fitted on pairs (won ≻ lost ≻ not attached,
accepted ≻ served ≻ rejected), and how serving finds the promoted one.

Why linear: every answer must say why it is above the next one. A linear score is a sum of
per-feature contributions, so the difference between two results is exactly the sum of the
differences of their contributions, and the reason can name the largest (no approximation, as
tree explanations would need). Fitted pairwise (RankNet with a linear scorer, i.e. logistic
regression on feature differences, ``training/ranker.py``), so only the order within a deal is
learned, never a deal's base rate.

The hand weights (:class:`~matcher.engine.recommender.RankingWeights`) remain the cold-start
ranker: while no ranker version is promoted, or the promoted one cannot be loaded or was
trained on other features, serving ranks by them and logs why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.ipp.registry import ModelRegistry, RegistryError
from matcher.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnedRanker:
    """A registry version of the ranker: one coefficient per feature."""

    version: str
    feature_names: tuple[str, ...]
    coefficients: np.ndarray

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """Per candidate (rows) and feature (columns), what the feature adds to the score."""
        return features * self.coefficients

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The ranking score of each candidate (higher is better): the linear score over the
        sum of the positive coefficients, so a candidate at 1 on every helpful feature and 0
        on every harmful one scores 1. A match score on the hand weights' scale, not a
        probability (a logistic of the raw score saturated at 1.0 for every top result)."""
        return self.contributions(features).sum(axis=1) / self._scale

    @property
    def _scale(self) -> float:
        total = float(np.clip(self.coefficients, 0.0, None).sum())
        return total if total > 0 else 1.0


def load_ranker(settings: Settings, feature_names: Sequence[str]) -> LearnedRanker | None:
    """The promoted learned ranker of the home registry, or ``None`` (rank by the hand weights).

    A version trained on features other than ``feature_names`` (the ones this code computes)
    or one that does not load is not used; the warning says why.
    """
    registry = ModelRegistry(settings.resolved_models_dir, kind="ranker")
    try:
        version = registry.promoted()
        if version is None:
            return None
        model, manifest = registry.load_model(version)
    except RegistryError as error:
        log.warning("learned ranker unusable, ranking with the hand weights instead: %s", error)
        return None
    trained_on = tuple(manifest.get("feature_names", ()))
    coefficients = np.asarray(getattr(model, "coef_", np.zeros((1, 0))), dtype=np.float64)
    if trained_on != tuple(feature_names) or coefficients.shape != (1, len(trained_on)):
        log.warning(
            "learned ranker %s was trained on other features; ranking with the hand weights "
            "instead (retrain with `partnermatch train`)",
            version,
        )
        return None
    log.info("ranking with the learned ranker %s", version)
    return LearnedRanker(version, trained_on, coefficients[0])
