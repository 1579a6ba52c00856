from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.embedding.base import FakeEmbedder
from matcher.ipp.base import NeutralScorer
from matcher.schemas import Deal
from training import evaluate
from training.evaluate import JudgedDeal, metrics, read_judged, split


def _judged(deal_id: str, relevance: dict[str, int]) -> JudgedDeal:
    return JudgedDeal(deal_id, Deal(description="x"), relevance)


def test_ndcg_matches_the_textbook_example_when_all_judged_are_retrieved() -> None:
    gains = [3, 2, 3, 0, 1, 2]
    judged = [_judged("q", {f"d{i}": g for i, g in enumerate(gains)})]
    result = metrics({"q": [f"d{i}" for i in range(6)]}, judged, k=6)
    assert result["ndcg@6"] == pytest.approx(0.961, abs=1e-3)


def test_ndcg_counts_unretrieved_judged_documents_in_the_ideal() -> None:
    gains = [3, 2, 3, 0, 1, 2]
    relevance = {f"d{i}": g for i, g in enumerate(gains)} | {"x1": 3, "x2": 2}
    result = metrics({"q": [f"d{i}" for i in range(6)]}, [_judged("q", relevance)], k=6)
    assert result["ndcg@6"] == pytest.approx(0.785, abs=1e-3)
    assert result["recall@6"] == pytest.approx(5 / 7)
    assert result["mrr"] == 1.0


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant() -> None:
    result = metrics({"q": ["a", "b", "c"]}, [_judged("q", {"c": 1, "a": 0})])
    assert result["mrr"] == pytest.approx(1 / 3)


def test_a_deal_with_no_answer_counts_as_zero() -> None:
    judged = [_judged("q1", {"a": 2}), _judged("q2", {"b": 2})]
    assert metrics({"q1": ["a"]}, judged)["ndcg@10"] == pytest.approx(0.5)


def test_split_is_stable_and_disjoint() -> None:
    judged = [_judged(f"J-{i:04d}", {"a": 1}) for i in range(200)]
    tuning, evaluation = split(judged)
    assert {j.deal_id for j in tuning}.isdisjoint({j.deal_id for j in evaluation})
    assert 60 < len(tuning) < 140
    assert split(judged)[0] == tuning


def test_read_judged_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "judged.jsonl"
    path.write_text(
        json.dumps({"deal_id": "J-1", "deal": {"description": "x"}, "relevance": {"P-1": 2}})
        + "\n"
        + json.dumps({"deal_id": "J-2", "deal": {}, "relevance": {}})
        + "\n"
    )
    with pytest.raises(ValueError, match=":2:"):
        read_judged(path)


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    simulate = pytest.importorskip("training.simulate")
    out = tmp_path_factory.mktemp("eco")
    simulate.simulate(out, n_partners=150, n_deals=600, n_judged=40, seed=3)
    return out


def test_every_system_is_evaluated_on_a_small_simulated_ecosystem(
    ecosystem: Path, tmp_path: Path
) -> None:
    engine = evaluate.load_engine_for(ecosystem, tmp_path / "home", FakeEmbedder(), NeutralScorer())
    _, evaluation = split(read_judged(ecosystem / "judged_deals.jsonl"))
    report = evaluate.evaluate_systems(engine, evaluation)
    assert set(report) == set(evaluate.SYSTEMS)
    for values in report.values():
        assert set(values) == {"ndcg@10", "recall@10", "mrr"}
        assert all(0.0 <= v <= 1.0 for v in values.values())
    table = evaluate.markdown_table(report, "t")
    assert "| full |" in table


def test_tuning_only_keeps_changes_that_improve_the_tuning_split(
    ecosystem: Path, tmp_path: Path
) -> None:
    engine = evaluate.load_engine_for(ecosystem, tmp_path / "home", FakeEmbedder(), NeutralScorer())
    tuning, _ = split(read_judged(ecosystem / "judged_deals.jsonl"))
    start = evaluate.evaluate_systems(engine, tuning, ["full"])["full"]["ndcg@10"]
    weights, tuned = evaluate.tune_weights(engine, tuning, steps=(0.0,), rounds=1)
    assert tuned >= start
    assert evaluate.evaluate_systems(engine, tuning, ["full"], weights)["full"]["ndcg@10"] == tuned
