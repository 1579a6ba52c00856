"""The Ideal Partner Profile: the 4 Cs of a partner with evidence, the rule-based Partner
Evaluation Matrix, the trained model and the registry that chooses between them.

Example::

    from matcher.ipp import MatrixScorer
    four_cs = MatrixScorer().assess(partner)
"""

from matcher.ipp.base import FOUR_CS, FourCs, IppScorer, NeutralScorer
from matcher.ipp.config import Icp, MatrixConfig, validate_weights
from matcher.ipp.four_cs import (
    FEATURE_NAMES,
    FourCsAssessor,
    feature_schema_hash,
    fit_priors,
    model_features,
)
from matcher.ipp.history import PerformanceHistory, Priors, histories_as_of, shrunk_win_rate
from matcher.ipp.matrix import MatrixScorer, weighted_overall
from matcher.ipp.registry import (
    ModelRegistry,
    RegistryError,
    VersionInfo,
    default_scorer,
    load_scorer,
)
from matcher.ipp.scorecard import partner_quarters, quarterly_scorecards, top_performers
from matcher.ipp.trained import TrainedScorer

__all__ = [
    "FEATURE_NAMES",
    "FOUR_CS",
    "FourCs",
    "FourCsAssessor",
    "Icp",
    "IppScorer",
    "MatrixConfig",
    "MatrixScorer",
    "ModelRegistry",
    "NeutralScorer",
    "PerformanceHistory",
    "Priors",
    "RegistryError",
    "TrainedScorer",
    "VersionInfo",
    "default_scorer",
    "feature_schema_hash",
    "fit_priors",
    "histories_as_of",
    "load_scorer",
    "model_features",
    "partner_quarters",
    "quarterly_scorecards",
    "shrunk_win_rate",
    "top_performers",
    "validate_weights",
    "weighted_overall",
]
