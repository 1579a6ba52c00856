"""The trained IPP model as an :class:`~matcher.ipp.IppScorer`: calibrated P(win | partner, deal).

The 4 C sub-scores and evidence are the matrix's (one definition, :mod:`matcher.ipp.four_cs`);
the overall fit is the model's calibrated win probability over
:func:`~matcher.ipp.four_cs.model_features`.
Scoring one candidate through scikit-learn's ``predict_proba`` costs milliseconds (input
validation dominates), too slow for a recommender scoring a hundred candidates per request, so a
logistic pipeline is *compiled* to a few numpy operations (:func:`compile_linear`); a test keeps
the compiled path equal to ``predict_proba``. Models it cannot compile still work, just slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np

from matcher.ipp.base import FourCs
from matcher.ipp.config import MatrixConfig
from matcher.ipp.four_cs import Assessment, FourCsAssessor, model_features
from matcher.ipp.history import PerformanceHistory, Priors
from matcher.schemas import Deal, PartnerProfile

Predictor = Callable[[np.ndarray], np.ndarray]
_NO_DEALS = PerformanceHistory()


def compile_linear(estimator: Any) -> Predictor | None:
    """A numpy function equal to ``estimator.predict_proba(X)[:, 1]``, or ``None`` if unsupported.

    Supports a ``SimpleImputer → StandardScaler → LogisticRegression`` pipeline, bare or inside
    a ``CalibratedClassifierCV(ensemble=False)`` with isotonic or sigmoid calibration.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.impute import SimpleImputer
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    calibrator: Any = None
    base = estimator
    if isinstance(estimator, CalibratedClassifierCV):
        if len(estimator.calibrated_classifiers_) != 1:
            return None
        calibrated = estimator.calibrated_classifiers_[0]
        base, calibrator = calibrated.estimator, calibrated.calibrators[0]
    if not isinstance(base, Pipeline) or len(base.steps) != 3:
        return None
    imputer, scaler, logistic = (step for _, step in base.steps)
    if not (
        isinstance(imputer, SimpleImputer)
        and isinstance(scaler, StandardScaler)
        and isinstance(logistic, LogisticRegression)
        and logistic.coef_.shape[0] == 1
        and len(imputer.statistics_) == imputer.n_features_in_
    ):
        return None
    statistics = np.asarray(imputer.statistics_, dtype=float)
    indicator_columns = (
        np.asarray(imputer.indicator_.features_)
        if imputer.add_indicator
        else np.array([], dtype=int)
    )
    mean = scaler.mean_ if scaler.with_mean else 0.0
    scale = scaler.scale_ if scaler.with_std else 1.0
    coef = logistic.coef_[0] / scale
    intercept = float(logistic.intercept_[0] - np.sum(coef * mean))

    def decision(X: np.ndarray) -> np.ndarray:
        missing = np.isnan(X)
        filled = np.where(missing, statistics, X)
        design = np.hstack([filled, missing[:, indicator_columns].astype(float)])
        return design @ coef + intercept

    if calibrator is None:
        return lambda X: 1.0 / (1.0 + np.exp(-decision(X)))
    if isinstance(calibrator, IsotonicRegression):
        low, high = calibrator.X_min_, calibrator.X_max_
        xs, ys = calibrator.X_thresholds_, calibrator.y_thresholds_
        return lambda X: np.clip(np.interp(np.clip(decision(X), low, high), xs, ys), 0.0, 1.0)
    if hasattr(calibrator, "a_") and hasattr(calibrator, "b_"):
        a, b = float(calibrator.a_), float(calibrator.b_)
        return lambda X: np.clip(1.0 / (1.0 + np.exp(a * decision(X) + b)), 0.0, 1.0)
    return None


class TrainedScorer:
    """A registry version serving as the IPP scorer (see the module docstring)."""

    def __init__(
        self,
        version: str,
        model: Any,
        feature_names: Sequence[str],
        priors: Priors,
        config: MatrixConfig | None = None,
        histories: Mapping[str, PerformanceHistory] | None = None,
        reference_date: date | None = None,
    ) -> None:
        self._version = version
        self.model = model
        self.feature_names = tuple(feature_names)
        self.assessor = FourCsAssessor(config, priors, reference_date)
        # With histories from outcomes (what training used), a partner without a deal in the
        # window has an empty history, as in training; without them, its 12-month fields count.
        self.histories = histories
        compiled = compile_linear(model)
        self._predict: Predictor = compiled or (lambda X: model.predict_proba(X)[:, 1])
        self.compiled = compiled is not None

    @property
    def version(self) -> str:
        """The registry version, e.g. ``"ipp-0003"``."""
        return self._version

    def _history(self, partner: PartnerProfile) -> PerformanceHistory | None:
        if self.histories is None:
            return None
        return self.histories.get(partner.partner_id, _NO_DEALS)

    def assess(self, partner: PartnerProfile, target: Deal | None = None) -> FourCs:
        """The 4 C sub-scores and evidence (the matrix's definitions, this model's priors).

        The criteria behind them travel in ``detail``, so :meth:`fit` reuses them.
        """
        assessment = self.assessor.assess_detailed(partner, target, self._history(partner))
        return replace(assessment.four_cs, detail=assessment)

    def features(
        self, partner: PartnerProfile, target: Deal | None = None, four_cs: FourCs | None = None
    ) -> list[float]:
        """The model's input row for one partner and deal (from ``four_cs.detail`` if given)."""
        assessment = four_cs.detail if four_cs is not None else None
        if not isinstance(assessment, Assessment):
            assessment = self.assessor.assess_detailed(partner, target, self._history(partner))
        return model_features(assessment, target)

    def fit(self, partner: PartnerProfile, four_cs: FourCs, target: Deal | None = None) -> float:
        """Calibrated win probability (0–1) of ``partner`` on ``target``."""
        row = np.asarray([self.features(partner, target, four_cs)], dtype=float)
        probability = float(self._predict(row)[0])
        return probability if not math.isnan(probability) else 0.0

    def fit_many(
        self,
        partners: Sequence[PartnerProfile],
        four_cs: Sequence[FourCs],
        target: Deal | None = None,
    ) -> np.ndarray:
        """:meth:`fit` for many candidates in one model call."""
        if not partners:
            return np.zeros(0)
        rows = np.asarray(
            [
                self.features(partner, target, cs)
                for partner, cs in zip(partners, four_cs, strict=True)
            ],
            dtype=float,
        )
        return np.nan_to_num(self._predict(rows))
