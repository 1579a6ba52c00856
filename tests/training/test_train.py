from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matcher.feedback import Feedback, record_feedback
from matcher.ipp.history import PerformanceHistory
from matcher.ipp.registry import ModelRegistry
from matcher.ipp.trained import compile_linear
from matcher.store import Store
from training.features import (
    build_training_set,
    feedback_training_rows,
    histories_before_close,
    training_outcomes,
)
from training.train import FourCsWeights, IppClassifier, TrainingResult, time_split, train_ipp
from training.train_cli import train_and_register


@pytest.fixture(scope="module")
def trained(ipp_ecosystem) -> TrainingResult:
    partners, outcomes = ipp_ecosystem
    return train_ipp(outcomes, partners)


def small_xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.normal(scale=0.5, size=200) > 0).astype(int)
    return X, y


# -- the estimator contract -------------------------------------------------------------------


def test_init_only_stores_parameters() -> None:
    model = IppClassifier(model="not-a-model", calibration="sigmoid", C=0.5)
    assert model.get_params()["model"] == "not-a-model"
    assert not [name for name in vars(model) if name.endswith("_")]


def test_fit_returns_self_and_learned_state_ends_in_underscore() -> None:
    X, y = small_xy()
    model = IppClassifier()
    assert model.fit(X, y) is model
    assert hasattr(model, "estimator_") and hasattr(model, "classes_")
    assert model.predict_proba(X).shape == (200, 2)
    assert set(model.predict(X)) <= {0, 1}


def test_clone_gives_an_unfitted_copy_with_the_same_parameters() -> None:
    X, y = small_xy()
    fitted = IppClassifier(calibration="sigmoid", C=0.3).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(X)


@pytest.mark.parametrize("estimator", [IppClassifier(), FourCsWeights()])
def test_an_unfitted_model_refuses_to_predict(estimator) -> None:
    with pytest.raises(NotFittedError):
        estimator.predict_proba(np.zeros((1, 4)))


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        ({"model": "forest"}, "logistic, gradient_boosting"),
        ({"calibration": "platt"}, "isotonic, sigmoid, none"),
    ],
)
def test_a_bad_option_raises_listing_the_allowed_values(params, allowed) -> None:
    X, y = small_xy()
    with pytest.raises(ValueError, match=allowed):
        IppClassifier(**params).fit(X, y)


def test_one_class_only_is_refused() -> None:
    X, _ = small_xy()
    with pytest.raises(ValueError, match="both won and lost"):
        IppClassifier().fit(X, np.ones(len(X), dtype=int))


def test_predict_checks_the_feature_count() -> None:
    X, y = small_xy()
    model = IppClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((1, 5)))


def test_c_weights_explain_which_c_matters_more() -> None:
    rng = np.random.default_rng(1)
    four_cs = rng.uniform(0, 100, size=(2000, 4))
    logit = 0.06 * (four_cs[:, 1] - 50) + 0.02 * (four_cs[:, 0] - 50)
    y = (rng.random(2000) < 1 / (1 + np.exp(-logit))).astype(int)
    weights = FourCsWeights().fit(four_cs, y)
    assert weights.relative_weights_["capability"] > 2 * weights.relative_weights_["capacity"]
    assert weights.explanation().startswith("Capability matters")
    assert "× as much as" in weights.explanation()


# -- leakage ----------------------------------------------------------------------------------


def _leaks(histories_fn, outcomes: pd.DataFrame, sample: int = 60) -> bool:
    """True if some row's history differs from the one built from strictly earlier deals only."""
    frame = outcomes.sort_values("closed_on", kind="stable").reset_index(drop=True)
    full = histories_fn(frame)
    rng = np.random.default_rng(3)
    for row in rng.choice(len(frame), size=min(sample, len(frame)), replace=False):
        close = frame.loc[row, "closed_on"]
        earlier = frame[(frame["closed_on"] < close) | (frame.index == row)]
        position = list(earlier.index).index(row)
        if histories_fn(earlier.reset_index(drop=True))[position] != full[row]:
            return True
    return False


def test_history_features_use_only_deals_closed_strictly_before(ipp_ecosystem) -> None:
    _, outcomes = ipp_ecosystem
    assert not _leaks(histories_before_close, outcomes)


def test_the_leakage_check_catches_a_feature_computed_after_the_close(ipp_ecosystem) -> None:
    _, outcomes = ipp_ecosystem

    def leaky(frame: pd.DataFrame) -> list[PerformanceHistory]:
        totals = frame.groupby("partner_id")["won"].agg(["sum", "size"])
        return [
            PerformanceHistory(deals=int(totals.loc[p, "size"]), wins=int(totals.loc[p, "sum"]))
            for p in frame["partner_id"]
        ]

    assert _leaks(leaky, outcomes)


def test_a_deal_on_the_same_day_is_not_history() -> None:
    outcomes = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3"],
            "partner_id": ["P", "P", "P"],
            "industry": ["retail", "retail", "retail"],
            "won": [True, True, False],
            "closed_on": [date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 1)],
            "csat": [90.0, None, None],
        }
    )
    first, second, third = histories_before_close(outcomes)
    assert first.deals == 0
    assert (
        second
        == third
        == PerformanceHistory(deals=1, wins=1, csat=90.0, industry_deals={"retail": 1})
    )


def test_partner_performance_snapshot_fields_are_not_features(ipp_ecosystem) -> None:
    partners, outcomes = ipp_ecosystem
    head = outcomes.head(300)
    plain = build_training_set(head, partners)
    boasting = {
        pid: p.model_copy(update={"deals_won_12m": 99, "deals_lost_12m": 0, "csat": 100})
        for pid, p in partners.items()
    }
    np.testing.assert_array_equal(plain.X, build_training_set(head, boasting).X)


def test_time_split_validates_on_the_newest_dates_without_splitting_a_day() -> None:
    closed = np.array(
        ["2025-01-01"] * 5 + ["2025-02-01"] * 3 + ["2025-03-01"] * 2, dtype="datetime64[D]"
    )
    validation = time_split(closed, 0.2)
    assert closed[~validation].max() < closed[validation].min()


# -- the training run -------------------------------------------------------------------------


def test_trained_model_beats_the_untrained_matrix(trained: TrainingResult) -> None:
    validation = trained.metrics["validation"]
    assert validation["model"]["roc_auc"] > validation["matrix"]["roc_auc"]
    assert validation["model"]["brier"] < validation["matrix"]["brier"]
    assert validation["beats_matrix"]


def test_calibration_table_covers_every_validation_row(trained: TrainingResult) -> None:
    table = trained.metrics["validation"]["calibration"]
    assert sum(row["count"] for row in table) == trained.data["validation_rows"]
    assert all(0 <= row["observed"] <= 1 for row in table)


def test_compiled_serving_path_equals_predict_proba(trained: TrainingResult, ipp_ecosystem) -> None:
    partners, outcomes = ipp_ecosystem
    dataset = build_training_set(outcomes.head(500), partners, priors=trained.priors)
    compiled = compile_linear(trained.classifier.estimator_)
    assert compiled is not None
    expected = trained.classifier.predict_proba(dataset.X)[:, 1]
    np.testing.assert_allclose(compiled(dataset.X), expected, atol=1e-9)


# -- feedback becomes training rows ------------------------------------------------------------


def test_feedback_events_become_weighted_training_rows() -> None:
    events = pd.DataFrame(
        [
            {
                "kind": "outcome",
                "deal_id": "D9",
                "partner_id": "P1",
                "recommendation_id": None,
                "won": True,
                "payload": {"deal_size": 5000.0},
                "created_at": datetime(2026, 1, 5, tzinfo=UTC),
            },
            {
                "kind": "rejected",
                "deal_id": None,
                "partner_id": "P2",
                "recommendation_id": "r_1",
                "won": None,
                "payload": None,
                "created_at": datetime(2026, 1, 6, tzinfo=UTC),
            },
            {
                "kind": "accepted",
                "deal_id": None,
                "partner_id": "P3",
                "recommendation_id": "r_1",
                "won": None,
                "payload": None,
                "created_at": datetime(2026, 1, 6, tzinfo=UTC),
            },
            {
                "kind": "outcome",
                "deal_id": "D1",
                "partner_id": "P1",
                "recommendation_id": None,
                "won": False,
                "payload": None,
                "created_at": datetime(2026, 1, 7, tzinfo=UTC),
            },
        ]
    )
    outcomes = pd.DataFrame({"deal_id": ["D1"], "partner_id": ["P1"]})
    rows = feedback_training_rows(
        events, outcomes, deals={"r_1": {"industry": "Retail", "country": "Germany"}}
    )
    assert list(rows["deal_id"]) == ["D9", "rec:r_1"]  # D1/P1 is already an outcome
    assert list(rows["won"]) == [True, False]
    assert list(rows["sample_weight"]) == [1.0, 0.25]
    assert (rows.loc[1, "industry"], rows.loc[1, "country"]) == ("retail", "DE")
    assert rows.loc[0, "deal_size"] == 5000.0


def test_feedback_in_the_store_reaches_training(store: Store, ipp_ecosystem) -> None:
    partners, outcomes = ipp_ecosystem
    store.upsert_partners(partners.values())
    record_feedback(store, Feedback(kind="outcome", deal_id="D-new", partner_id="P-0001", won=True))
    record_feedback(
        store,
        Feedback(
            kind="rejected", recommendation_id="r_9", partner_id="P-0002", reason="no_capacity"
        ),
    )
    rows = training_outcomes(outcomes, store.feedback_frame())
    assert len(rows) == len(outcomes) + 2
    dataset = build_training_set(rows, partners)
    assert sorted(dataset.sample_weight[dataset.sample_weight != 1.0]) == [0.25]


def test_train_and_register_writes_and_promotes_a_version(
    store: Store, ipp_ecosystem, tmp_path
) -> None:
    partners, outcomes = ipp_ecosystem
    store.upsert_partners(partners.values())
    from matcher.schemas import Outcome

    rows = outcomes.astype(object).where(outcomes.notna(), None).to_dict("records")
    store.upsert_outcomes(Outcome.model_validate(row) for row in rows)
    registry = ModelRegistry(tmp_path / "models")
    version, _, promoted = train_and_register(store, registry)
    assert version == "ipp-0001" and promoted
    assert registry.promoted() == "ipp-0001"
    card = (registry.path(version) / "MODEL_CARD.md").read_text()
    assert "beats the untrained matrix" in card
    assert (registry.path(version) / "model.skops").stat().st_size < 500_000
