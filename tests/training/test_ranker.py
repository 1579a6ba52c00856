"""The learned ranker: pairs, fitting, validation, the registry, and the feedback loop."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from matcher.embedding import FakeEmbedder
from matcher.engine.ranker import LearnedRanker, load_ranker
from matcher.engine.recommender import RANKER_FEATURES
from matcher.ipp.base import NeutralScorer
from matcher.ipp.registry import ModelRegistry
from matcher.settings import Settings
from training import evaluate, evaluate_ranking
from training.ranker import RankingGroup, fit_ranker, pair_differences, register_ranker

COUNTRY = RANKER_FEATURES.index("country")
SEMANTIC = RANKER_FEATURES.index("semantic")


def _group(key: str, day: int, labels: list[int], country: list[float], source: str = "outcome"):
    features = np.zeros((len(labels), len(RANKER_FEATURES)))
    features[:, COUNTRY] = country
    # a distractor the hand order (the group's order) follows but the labels do not
    features[:, SEMANTIC] = np.linspace(1.0, 0.0, len(labels))
    return RankingGroup(
        key=key,
        moment=date(2026, 1, 1) + timedelta(days=day),
        source=source,
        partner_ids=tuple(f"P-{key}-{i}" for i in range(len(labels))),
        features=features,
        labels=np.array(labels, dtype=np.float64),
    )


def test_pairs_are_every_differently_labelled_pair_both_ways_round() -> None:
    group = _group("a", 0, [2, 0, 1], [1.0, 0.0, 0.5])
    differences, targets = pair_differences([group])
    # 2 > 0, 2 > 1, 1 > 0: three pairs, each also mirrored with the opposite target
    assert len(differences) == 6 and targets.tolist() == [1, 1, 1, 0, 0, 0]
    assert sorted(differences[:3, COUNTRY].tolist()) == [0.5, 0.5, 1.0]
    np.testing.assert_allclose(differences[3:], -differences[:3])


def test_fit_learns_the_feature_that_orders_the_labels_and_beats_the_hand_order() -> None:
    rng = np.random.default_rng(1)
    groups = []
    for number in range(50):
        country = rng.random(6)
        labels = [0] * 6
        labels[int(np.argmax(country))] = 2
        groups.append(_group(str(number), number, labels, country.tolist()))
    result = fit_ranker(groups)
    coefficients = result.metrics["coefficients"]
    assert coefficients["country"] > 0
    assert coefficients["country"] > abs(coefficients["semantic"])
    validation = result.metrics["validation"]
    assert validation["groups"] == 10 and validation["from"] == "2026-02-10"
    assert validation["ndcg@10"]["learned"] > validation["ndcg@10"]["hand_weights"]
    assert validation["beats_hand_weights"]


def test_feedback_groups_are_validated_on_their_own_newest_share() -> None:
    outcome = [_group(str(n), n, [2, 0], [1.0, 0.0]) for n in range(20)]
    feedback = [_group(f"f{n}", 100, [1, 0], [1.0, 0.0], "feedback") for n in range(10)]
    result = fit_ranker(outcome + feedback)
    assert result.metrics["validation"]["groups"] == 4 + 2
    assert result.metrics["data"]["feedback_groups"] == 10


def test_too_few_groups_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too few to train and validate"):
        fit_ranker([_group("a", 0, [1, 0], [1.0, 0.0])])


def test_ranker_versions_live_beside_the_ipp_ones_and_load_back(settings: Settings) -> None:
    groups = [_group(str(n), n, [0, 0, 2], [0.0, 0.2, 1.0]) for n in range(20)]
    result = fit_ranker(groups)
    registry = ModelRegistry(settings.resolved_models_dir, kind="ranker")
    version, promoted = register_ranker(result, registry, promote=None)
    assert (version, promoted) == ("ranker-0001", True)
    assert ModelRegistry(settings.resolved_models_dir).versions() == []
    card = (registry.path(version) / "MODEL_CARD.md").read_text()
    assert card.startswith("# Learned ranker ranker-0001") and "| country |" in card
    ranker = load_ranker(settings, RANKER_FEATURES)
    assert ranker is not None and ranker.version == "ranker-0001"
    np.testing.assert_allclose(ranker.coefficients, result.model.coef_[0])


def test_a_ranker_trained_on_other_features_falls_back_to_the_hand_weights(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    groups = [_group(str(n), n, [2, 0], [1.0, 0.0]) for n in range(20)]
    registry = ModelRegistry(settings.resolved_models_dir, kind="ranker")
    version, _ = register_ranker(fit_ranker(groups), registry, promote=True)
    manifest_path = registry.path(version) / "features.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["feature_names"] = manifest["feature_names"][:-1]
    manifest_path.write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING):
        assert load_ranker(settings, RANKER_FEATURES) is None
    assert "trained on other features" in caplog.text


def test_scores_are_ordered_as_the_linear_score_and_add_up_from_contributions() -> None:
    coefficients = np.linspace(-1.0, 1.0, len(RANKER_FEATURES))
    ranker = LearnedRanker("ranker-0001", RANKER_FEATURES, coefficients)
    features = np.random.default_rng(2).random((5, len(RANKER_FEATURES)))
    scores = ranker.scores(features)
    linear = ranker.contributions(features).sum(axis=1)
    assert (scores <= 1).all()
    assert np.argsort(scores).tolist() == np.argsort(linear).tolist()
    best = (coefficients > 0).astype(float)[None, :]
    assert ranker.scores(best)[0] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from training import simulate

    out = tmp_path_factory.mktemp("ranker-eco")
    simulate.simulate(out, n_partners=200, n_deals=1500, n_judged=20, seed=5)
    return out


def test_rejections_and_losses_move_the_leader_out_of_the_top_3_after_retraining(
    ecosystem: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    engine = evaluate.load_engine_for(ecosystem, home, FakeEmbedder(), NeutralScorer())
    _, evaluation = evaluate.split(evaluate.read_judged(ecosystem / "judged_deals.jsonl"))
    deal = evaluation[0].deal
    before = engine.recommend(deal)
    assert before["ranker"] == "hand-weights"
    loop = evaluate_ranking.feedback_loop(engine, Settings(home=home), deal, evaluation)
    assert loop["rank_before"] == 1
    assert loop["out_of_top_3"], loop
    assert loop["coefficient_rejected_expertise"] < 0
    after = engine.recommend(deal)
    assert after["ranker"] == "ranker-0001"
    assert loop["partner_id"] not in [r["partner_id"] for r in after["results"][:3]]
    # every result but the last says what put it above the next one
    results = after["results"]
    assert all(r["above_next"] == [] or "Above #" in r["reason"] for r in results)
    assert any(r["above_next"] for r in results[:-1])
