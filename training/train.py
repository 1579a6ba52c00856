"""Fitting the Ideal Partner Profile model: P(win | partner, deal) from outcomes.

:class:`IppClassifier` follows scikit-learn's estimator contract (STYLE.md): ``__init__`` only
stores parameters, ``fit`` validates and returns ``self``, learned state ends in ``_``, an
unfitted model refuses to predict, and a bad option raises ``ValueError`` naming the allowed
values, so ``clone`` and grid search work. :func:`train_ipp` does the whole job: a time-ordered
train/validation split (the newest 20 % of close dates validate), calibrated probabilities,
ROC-AUC / Brier / calibration table / lift against the untrained matrix, and the relative weight
of each C (:class:`FourCsWeights`) so that the IPP can be explained in one sentence.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from matcher.ipp import FEATURE_NAMES, FOUR_CS, MatrixConfig, Priors, feature_schema_hash
from matcher.schemas import Partner
from training.features import build_training_set, training_priors

logger = logging.getLogger(__name__)

MODELS = ("logistic", "gradient_boosting")
CALIBRATIONS = ("isotonic", "sigmoid", "none")
VALIDATION_SHARE = 0.2
C_LABELS = {
    "capacity": "Capacity",
    "capability": "Capability",
    "commitment": "Commitment",
    "customer_fit": "Customer fit",
}


def _check_option(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


class IppClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated win-probability classifier over the 4 C features (missing values allowed).

    Args:
        model: ``"logistic"`` (imputer + scaler + L2 logistic regression; small, fast to serve,
            explainable) or ``"gradient_boosting"`` (histogram boosting; captures interactions,
            slower to serve).
        calibration: ``"isotonic"``, ``"sigmoid"`` or ``"none"``.
        C: inverse regularisation strength of the logistic model.
        cv: folds of the calibration cross-validation.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 10)
        >>> y = np.array([0, 0, 1, 1] * 10)
        >>> IppClassifier(calibration="none").fit(X, y).predict(np.array([[3.0]]))
        array([1])
    """

    def __init__(
        self,
        model: str = "logistic",
        calibration: str = "sigmoid",
        C: float = 1.0,
        cv: int = 3,
        max_iter: int = 150,
        random_state: int | None = 0,
    ) -> None:
        self.model = model
        self.calibration = calibration
        self.C = C
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    def _base(self) -> Any:
        if self.model == "logistic":
            return make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
                LogisticRegression(C=self.C, max_iter=1000),
            )
        # Trees split a -1 fill (below every feature's range) like "missing"; it also spares
        # the booster a column that is missing everywhere, which its binning cannot take.
        return make_pipeline(
            SimpleImputer(strategy="constant", fill_value=-1.0, keep_empty_features=True),
            HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=0.05,
                max_leaf_nodes=15,
                min_samples_leaf=40,
                l2_regularization=1.0,
                random_state=self.random_state,
            ),
        )

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> IppClassifier:
        """Fit the base model and its probability calibration; returns ``self``."""
        _check_option("model", self.model, MODELS)
        _check_option("calibration", self.calibration, CALIBRATIONS)
        if not isinstance(self.cv, int) or self.cv < 2:
            raise ValueError(f"cv must be an integer >= 2; got {self.cv!r}")
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                f"need both won and lost outcomes to learn from; got classes {self.classes_}"
            )
        base = self._base()
        fit_params = {}
        if sample_weight is not None and np.all(np.asarray(sample_weight) == 1.0):
            sample_weight = None
        if sample_weight is not None:
            fit_params = {"sample_weight": np.asarray(sample_weight, dtype=float)}
            if isinstance(base, Pipeline):
                last = base.steps[-1][0]
                fit_params = {f"{last}__sample_weight": fit_params["sample_weight"]}
        if self.calibration == "none":
            self.estimator_ = base.fit(X, y, **fit_params)
        else:
            calibrated = CalibratedClassifierCV(
                base, method=self.calibration, cv=self.cv, ensemble=False
            )
            weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
            with warnings.catch_warnings():
                # A pipeline cannot take sample weights without metadata routing: the weights
                # then shape the calibration only. Feedback rows are few; accepted limitation.
                warnings.filterwarnings("ignore", message="Since Pipeline does not appear")
                self.estimator_ = calibrated.fit(X, y, sample_weight=weights)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated [P(lost), P(won)] per row."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return self.estimator_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The likelier class per row."""
        probability = self.predict_proba(X)  # refuses an unfitted model first
        return self.classes_[np.argmax(probability, axis=1)]


class FourCsWeights(ClassifierMixin, BaseEstimator):
    """A logistic model over the four sub-scores: how much each C matters in *your* wins.

    Coefficients are per sub-score point (all four share the 0–100 scale), so their ratios read
    directly: "Capability matters 2.1× as much as Capacity". A C whose coefficient is negative
    gets relative weight 0 (more of it did not help win).
    """

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FourCsWeights:
        """X: the four sub-scores (0–100) in :data:`~matcher.ipp.FOUR_CS` order."""
        X, y = validate_data(self, X, y)
        if X.shape[1] != len(FOUR_CS):
            raise ValueError(
                f"expected the {len(FOUR_CS)} sub-scores {FOUR_CS}; got {X.shape[1]} columns"
            )
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError("need both won and lost outcomes to learn the C weights")
        self.model_ = LogisticRegression(C=self.C, max_iter=1000).fit(
            X / 100.0, y, sample_weight=sample_weight
        )
        coef = self.model_.coef_[0]
        self.coef_ = dict(zip(FOUR_CS, (float(v) for v in coef), strict=True))
        positive = np.clip(coef, 0.0, None)
        scale = positive.sum() / len(FOUR_CS) if positive.sum() > 0 else 1.0
        self.relative_weights_ = {
            c: round(float(v / scale), 3) for c, v in zip(FOUR_CS, positive, strict=True)
        }
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Win probability from the four sub-scores alone."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False)
        return self.model_.predict_proba(X / 100.0)

    def predict(self, X: Any) -> np.ndarray:
        """The likelier class per row."""
        probability = self.predict_proba(X)  # refuses an unfitted model first
        return self.classes_[np.argmax(probability, axis=1)]

    def explanation(self) -> str:
        """One sentence comparing the strongest C with the weakest that still helps."""
        check_is_fitted(self, "relative_weights_")
        ranked = sorted(self.relative_weights_.items(), key=lambda item: -item[1])
        top, top_weight = ranked[0]
        helping = [(c, w) for c, w in ranked[1:] if w > 0]
        if top_weight <= 0:
            return "None of the 4 Cs separates wins from losses in this data."
        if not helping:
            return f"Only {C_LABELS[top]} raises the odds of winning in your data."
        low, low_weight = helping[-1]
        ratio = top_weight / low_weight
        sentence = f"{C_LABELS[top]} matters {ratio:.1f}× as much as {C_LABELS[low]} in your wins."
        idle = [C_LABELS[c] for c, w in ranked if w <= 0]
        if idle:
            verb = "does" if len(idle) == 1 else "do"
            sentence += f" {' and '.join(idle)} {verb} not raise the odds of winning here."
        return sentence


# -- metrics -----------------------------------------------------------------------------------


def calibration_table(
    y: np.ndarray, probability: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Predicted vs observed win rate per probability decile (equal-count bins)."""
    order = np.argsort(probability, kind="stable")
    rows = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "low": round(float(probability[chunk].min()), 4),
                "high": round(float(probability[chunk].max()), 4),
                "predicted": round(float(probability[chunk].mean()), 4),
                "observed": round(float(y[chunk].mean()), 4),
                "count": len(chunk),
            }
        )
    return rows


def top_share_win_rate(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> float:
    """Win rate among the top ``share`` of rows by score."""
    count = max(1, math.ceil(share * len(y)))
    top = np.argsort(-score, kind="stable")[:count]
    return float(y[top].mean())


def score_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC-AUC, Brier score and top-decile lift of one scoring of the validation rows."""
    base_rate = float(y.mean())
    top = top_share_win_rate(y, score)
    return {
        "roc_auc": round(float(roc_auc_score(y, score)), 4),
        "brier": round(float(brier_score_loss(y, np.clip(score, 0, 1))), 4),
        "top_decile_win_rate": round(top, 4),
        "top_decile_lift": round(top / base_rate, 3) if base_rate else float("nan"),
    }


# -- the training run --------------------------------------------------------------------------


@dataclass
class TrainingResult:
    """What a registry version holds: the fitted model, its features, metrics and card data."""

    classifier: IppClassifier
    c_weights: FourCsWeights
    priors: Priors
    feature_names: tuple[str, ...]
    schema_hash: str
    metrics: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


def time_split(closed_on: np.ndarray, validation_share: float = VALIDATION_SHARE) -> np.ndarray:
    """Boolean mask of the validation rows: every deal closed on or after the cutoff date.

    The cutoff is the close date at the ``1 - validation_share`` quantile, so no day is split
    between training and validation.
    """
    if not 0 < validation_share < 1:
        raise ValueError(f"validation_share must be in (0, 1); got {validation_share}")
    ordered = np.sort(closed_on)
    cutoff = ordered[min(len(ordered) - 1, int(len(ordered) * (1 - validation_share)))]
    return closed_on >= cutoff


def train_ipp(
    outcomes: pd.DataFrame,
    partners: Mapping[str, Partner],
    config: MatrixConfig | None = None,
    classifier: IppClassifier | None = None,
    validation_share: float = VALIDATION_SHARE,
) -> TrainingResult:
    """Fit, validate on the newest close dates, then refit on all rows for serving.

    Raises:
        ValueError: too little data (each split needs won and lost outcomes).
    """
    config = config or MatrixConfig.load()
    classifier = classifier if classifier is not None else IppClassifier()
    known = outcomes[outcomes["partner_id"].isin(partners.keys())]
    if len(known) < 20:
        raise ValueError(f"need at least 20 outcomes of known partners to train; got {len(known)}")
    closed = pd.to_datetime(known["closed_on"]).to_numpy(dtype="datetime64[D]")
    validation = time_split(closed, validation_share)
    train_priors = training_priors(partners, known[~validation], config)
    dataset = build_training_set(known, partners, config, train_priors)
    validation = time_split(dataset.closed_on, validation_share)
    train, valid = dataset.subset(~validation), dataset.subset(validation)
    for name, part in (("training", train), ("validation", valid)):
        if len(np.unique(part.y)) != 2:
            raise ValueError(f"the {name} split needs both won and lost outcomes; add more history")

    fitted = clone(classifier).fit(train.X, train.y, sample_weight=train.sample_weight)
    probability = fitted.predict_proba(valid.X)[:, 1]
    matrix_platt = LogisticRegression().fit(train.matrix_score.reshape(-1, 1), train.y)
    matrix_calibrated = matrix_platt.predict_proba(valid.matrix_score.reshape(-1, 1))[:, 1]
    model_metrics = score_metrics(valid.y, probability)
    matrix_metrics = score_metrics(valid.y, valid.matrix_score)
    matrix_calibrated_metrics = score_metrics(valid.y, matrix_calibrated)
    c_weights = FourCsWeights().fit(train.four_cs, train.y, sample_weight=train.sample_weight)

    # The served model is refit on every row with the same features (and priors) it was
    # validated with, so the newest deals teach it too.
    final = clone(classifier).fit(dataset.X, dataset.y, sample_weight=dataset.sample_weight)
    final_weights = FourCsWeights().fit(
        dataset.four_cs, dataset.y, sample_weight=dataset.sample_weight
    )

    metrics = {
        "validation": {
            "model": model_metrics,
            "matrix": matrix_metrics,
            "matrix_calibrated": matrix_calibrated_metrics,
            "lift_over_matrix": {
                "roc_auc": round(model_metrics["roc_auc"] - matrix_metrics["roc_auc"], 4),
                "brier": round(matrix_metrics["brier"] - model_metrics["brier"], 4),
                "brier_reduction_pct": round(
                    100
                    * (matrix_metrics["brier"] - model_metrics["brier"])
                    / matrix_metrics["brier"],
                    1,
                ),
                "top_decile_win_rate_ratio": round(
                    model_metrics["top_decile_win_rate"]
                    / max(matrix_metrics["top_decile_win_rate"], 1e-9),
                    3,
                ),
            },
            "calibration": calibration_table(valid.y, probability),
            "beats_matrix": bool(
                model_metrics["roc_auc"] > matrix_metrics["roc_auc"]
                and model_metrics["brier"] < matrix_metrics["brier"]
            ),
        },
        "c_weights": {
            "relative": final_weights.relative_weights_,
            "coefficients": final_weights.coef_,
            "explanation": final_weights.explanation(),
            "validation_split_relative": c_weights.relative_weights_,
        },
        "params": classifier.get_params(),
    }
    data = {
        "rows": len(dataset),
        "training_rows": len(train),
        "validation_rows": len(valid),
        "partners": len(np.unique(dataset.partner_ids)),
        "win_rate": round(float(dataset.y.mean()), 4),
        "feedback_rows": int((dataset.sample_weight != 1.0).sum()),
        "first_close": str(dataset.closed_on.min()),
        "validation_from": str(valid.closed_on.min()),
        "last_close": str(dataset.closed_on.max()),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return TrainingResult(
        classifier=final,
        c_weights=final_weights,
        priors=train_priors,
        feature_names=FEATURE_NAMES,
        schema_hash=feature_schema_hash(config),
        metrics=metrics,
        data=data,
    )


def _metric_row(label: str, metrics: Mapping[str, float]) -> str:
    return (
        f"| {label} | {metrics['roc_auc']:.3f} | {metrics['brier']:.4f} "
        f"| {metrics['top_decile_win_rate']:.1%} | {metrics['top_decile_lift']:.2f}× |"
    )


def model_card(result: TrainingResult, version: str) -> str:
    """The Markdown model card of a registry version: data, metrics, intended use, limits."""
    valid = result.metrics["validation"]
    lift = valid["lift_over_matrix"]
    data = result.data
    params = result.metrics["params"]
    weights = result.metrics["c_weights"]
    verdict = "beats" if valid["beats_matrix"] else "does NOT beat"
    lines = [
        f"# IPP model {version}",
        "",
        f"P(win | partner, deal): a calibrated {params['model']} classifier "
        f"({params['calibration']} calibration) over {len(result.feature_names)} features built "
        "from the 4 Cs (`matcher.ipp.four_cs.model_features`).",
        f"Feature schema hash `{result.schema_hash}`.",
        "",
        "## Data",
        f"- {data['rows']} outcomes of {data['partners']} partners, closed {data['first_close']} "
        f"to {data['last_close']}; win rate {data['win_rate']:.1%}; "
        f"{data['feedback_rows']} rows from seller feedback.",
        f"- Time-ordered split: trained on the {data['training_rows']} deals closed before "
        f"{data['validation_from']}, validated on the {data['validation_rows']} closed from then "
        "on. The served model is refit on all rows.",
        "- History features use only each partner's deals closed strictly before the deal "
        "(12-month window).",
        "",
        f"## Validation metrics (newest {data['validation_rows']} deals)",
        "| scorer | ROC-AUC | Brier | top-decile win rate | top-decile lift |",
        "|---|---|---|---|---|",
        _metric_row("this model", valid["model"]),
        _metric_row("untrained matrix", valid["matrix"]),
        _metric_row("matrix + Platt scaling", valid["matrix_calibrated"]),
        "",
        f"The model {verdict} the untrained matrix: ROC-AUC {lift['roc_auc']:+.3f}, Brier score "
        f"{lift['brier']:.4f} lower ({lift['brier_reduction_pct']:.1f} % reduction); its top "
        f"decile wins {lift['top_decile_win_rate_ratio']:.2f}× as often as the matrix's.",
        "",
        "### Calibration (validation, equal-count bins)",
        "| predicted range | mean predicted | observed win rate | deals |",
        "|---|---|---|---|",
        *(
            f"| {row['low']:.2f}–{row['high']:.2f} | {row['predicted']:.3f} "
            f"| {row['observed']:.3f} | {row['count']} |"
            for row in valid["calibration"]
        ),
        "",
        "## What the IPP weighs (logistic model over the four sub-scores)",
        weights["explanation"],
        "",
        "| C | relative weight (equal = 1) |",
        "|---|---|",
        *(f"| {C_LABELS[c]} | {w:.2f} |" for c, w in weights["relative"].items()),
        "",
        "## Intended use",
        "Ranking partners for a seller's deal and explaining the ranking (with the 4 C evidence),",
        "and estimating a partner's chance of winning a deal. Not for judging or tiering partners",
        "on its own, and not for prospects (they have no history; screening uses the matrix).",
        "",
        "## Limits",
        "- Profile fields (staff, certifications, training, last activity) are today's snapshot,",
        "  also for older deals: a partner that improved recently looks better on its old deals.",
        "- Outcomes record only deals partners were attached to: who was *not* picked is unseen.",
        "- Deals without an industry, country or segment score customer fit against the ICP.",
        "- Seller rejections (weak negatives) weigh only in the calibration step.",
        "- Retrain when the matrix criteria or scales change: the feature schema hash no longer",
        "  matches and serving falls back to the matrix.",
        "",
    ]
    return "\n".join(lines)
