"""The learned ranker against the hand weights, and whether seller feedback moves a partner.

Three measurements (``bench/results/ranking.{json,md}``):

* **Quality**: the ranker is trained on the sample's outcomes (time split inside, see
  :mod:`training.ranker`) and the judged deals' evaluation split is ranked by the hand weights
  and by the learned ranker: nDCG@10, recall@10, MRR.
* **Feedback loop**: the #1 partner of a deal is served and rejected for ``wrong_expertise``
  sixty times and loses twenty deals; the ranker is retrained and promoted through the
  registry. Reported: that partner's rank before and after, for that deal and for every judged
  deal it led.
* **Exposure**: a stream of requests (the judged deals three times over, plus historical
  deals as sellers would send them) served with near-tie rotation at several tolerances:
  the share of top-5 slots taken by the most-exposed 5 % of partners, the Gini coefficient of
  the slots, and nDCG@10 of the judged answers, for each ranker.

Run::

    python -m training.evaluate_ranking --data data/sample
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matcher.audit import record_recommendation
from matcher.embedding import Embedder
from matcher.engine.evidence import evidence_from_store
from matcher.engine.exposure import ExposureLedger, concentration
from matcher.engine.ranker import load_ranker
from matcher.engine.recommender import RANKER_FEATURES, Recommender
from matcher.feedback import Feedback, record_feedback
from matcher.ipp.history import histories_as_of
from matcher.ipp.registry import ModelRegistry, load_scorer
from matcher.schemas import Deal
from matcher.settings import Settings
from training.evaluate import RESULTS_DIR, JudgedDeal, load_engine_for, metrics, read_judged, split
from training.features import deal_of
from training.ranker import RankerResult, register_ranker, train_ranker

log = logging.getLogger(__name__)

REJECTIONS = 60
LOST_DEALS = 20
TOLERANCES = (0.0, 0.02, 0.05, 0.08, 0.1)
REPEATS = 3
HISTORICAL_REQUESTS = 300


def retrain(engine: Recommender, settings: Settings) -> RankerResult:
    """Train the ranker on the engine's store, promote it, and serve it (as a server does on
    promotion: :meth:`matcher.engine.service.MatchingService.reload_scorer`)."""
    result = train_ranker(
        engine,
        engine.store,
        lambda history: load_scorer(
            settings, histories=histories_as_of(history), store=engine.store
        ),
    )
    register_ranker(result, ModelRegistry(settings.resolved_models_dir, kind="ranker"), True)
    engine.ranker = load_ranker(settings, RANKER_FEATURES)
    engine.evidence = evidence_from_store(engine.store)
    return result


def leader_of(engine: Recommender, deal: Deal) -> str | None:
    """The partner the engine ranks first for ``deal``."""
    candidates, _, _ = engine.rank(deal, top_k=1)
    return candidates[0].partner.partner_id if candidates else None


def rank_of(engine: Recommender, deal: Deal, partner_id: str, depth: int = 30) -> int | None:
    """The 1-based rank of ``partner_id`` in the engine's answer (``None``: not in the top
    ``depth``)."""
    candidates, _, _ = engine.rank(deal, top_k=depth)
    ids = [candidate.partner.partner_id for candidate in candidates]
    return ids.index(partner_id) + 1 if partner_id in ids else None


def reject_repeatedly(
    engine: Recommender, deal: Deal, partner_id: str, rejections: int, lost: int
) -> None:
    """Serve ``deal`` ``rejections`` times (logged as served) with ``partner_id`` rejected for
    ``wrong_expertise`` each time, and report ``lost`` deals lost with it."""
    request = deal.model_dump(mode="json")
    for _ in range(rejections):
        answer = engine.recommend(deal)
        record_recommendation(engine.store, request, answer, key_id=None, channel="cli")
        record_feedback(
            engine.store,
            Feedback(
                kind="rejected",
                partner_id=partner_id,
                recommendation_id=str(answer["recommendation_id"]),
                reason="wrong_expertise",
            ),
        )
    for number in range(lost):
        record_feedback(
            engine.store,
            Feedback(kind="outcome", partner_id=partner_id, deal_id=f"LOST-{number}", won=False),
        )


def feedback_loop(
    engine: Recommender, settings: Settings, deal: Deal, judged: list[JudgedDeal]
) -> dict[str, Any]:
    """The scenario of the module docstring on ``deal``; the engine is left serving the
    retrained ranker."""
    leader = leader_of(engine, deal)
    if leader is None:
        raise ValueError("the deal has no candidates to reject")
    led = [j for j in judged if leader_of(engine, j.deal) == leader]
    before = rank_of(engine, deal, leader)
    reject_repeatedly(engine, deal, leader, REJECTIONS, LOST_DEALS)
    result = retrain(engine, settings)
    after = rank_of(engine, deal, leader)
    return {
        "partner_id": leader,
        "rejections": REJECTIONS,
        "lost_deals": LOST_DEALS,
        "rank_before": before,
        "rank_after": after,
        "out_of_top_3": after is None or after > 3,
        "other_deals_it_led": {j.deal_id: rank_of(engine, j.deal, leader) for j in led},
        "coefficient_rejected_expertise": result.metrics["coefficients"]["rejected_expertise"],
    }


def quality(
    engine: Recommender, settings: Settings, evaluation: list[JudgedDeal]
) -> dict[str, Any]:
    """The judged deals ranked by the hand weights, then by a ranker trained on the outcomes."""

    def ranked() -> dict[str, list[str]]:
        return {
            j.deal_id: [c.partner.partner_id for c in engine.rank(j.deal, top_k=10)[0]]
            for j in evaluation
        }

    engine.ranker = None
    hand = metrics(ranked(), evaluation)
    result = retrain(engine, settings)
    learned = metrics(ranked(), evaluation)
    return {
        "hand_weights": hand,
        "learned": learned,
        "ranker_validation": result.metrics["validation"],
        "ranker_data": result.metrics["data"],
        "coefficients": result.metrics["coefficients"],
    }


def request_stream(engine: Recommender, evaluation: list[JudgedDeal]) -> list[tuple[str, Deal]]:
    """What sellers send: each judged deal :data:`REPEATS` times (keyed by its id, to score
    the answer) and the newest described historical deals (keyed ``""``), interleaved."""
    outcomes = engine.store.outcomes_frame()
    described = outcomes[outcomes["description"].notna()].drop_duplicates("deal_id")
    historical = [
        ("", deal_of(row).model_copy(update={"strict": False}))
        for row in described.tail(HISTORICAL_REQUESTS).to_dict("records")
    ]
    judged = [(j.deal_id, j.deal) for _ in range(REPEATS) for j in evaluation]
    stream: list[tuple[str, Deal]] = []
    for position in range(max(len(judged), len(historical))):
        stream += judged[position : position + 1] + historical[position : position + 1]
    return stream


def exposure(
    engine: Recommender, evaluation: list[JudgedDeal], tolerances: tuple[float, ...] = TOLERANCES
) -> list[dict[str, Any]]:
    """Concentration and quality of the stream served at each tolerance (a fresh ledger each)."""
    stream = request_stream(engine, evaluation)
    judged = {j.deal_id: j for j in evaluation}
    rows = []
    for tolerance in tolerances:
        engine.exposure = ExposureLedger()
        engine.tie_tolerance = tolerance
        answers: dict[int, dict[str, list[str]]] = {}
        seen: Counter[str] = Counter()
        for deal_id, deal in stream:
            candidates, _, _ = engine.rank(deal)
            engine.exposure.record([c.partner.partner_id for c in candidates])
            if deal_id:
                repeat = answers.setdefault(seen[deal_id], {})
                repeat[deal_id] = [c.partner.partner_id for c in candidates]
                seen[deal_id] += 1
        quality = [metrics(ranked, [judged[d] for d in ranked]) for ranked in answers.values()]
        rows.append(
            {
                "tolerance": tolerance,
                "requests": len(stream),
                **concentration(engine.exposure.snapshot(), len(engine.columns.row_of)),
                "ndcg@10": round(sum(q["ndcg@10"] for q in quality) / len(quality), 4),
            }
        )
    engine.exposure = ExposureLedger()
    engine.tie_tolerance = 0.0
    return rows


def run(data: Path, home: Path, embedder: Embedder | None = None) -> dict[str, Any]:
    """Both measurements on ``data`` (a fresh store under ``home``)."""
    engine = load_engine_for(data, home, embedder)
    engine.tie_tolerance = 0.0  # the rankers are compared as they order; exposure() rotates
    settings = Settings(home=home)
    _, evaluation = split(read_judged(data / "judged_deals.jsonl"))
    report: dict[str, Any] = {
        "command": f"python -m training.evaluate_ranking --data {data}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "embedder": engine.embedder.model_id,
        "deals": len(evaluation),
    }
    engine.ranker = None
    report["exposure"] = {"hand_weights": exposure(engine, evaluation)}
    report["quality"] = quality(engine, settings, evaluation)
    report["exposure"]["learned"] = exposure(engine, evaluation)
    report["feedback_loop"] = feedback_loop(engine, settings, evaluation[0].deal, evaluation)
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as the README's tables."""
    q, loop = report["quality"], report["feedback_loop"]
    lines = [
        f"`{report['command']}` · {report['measured_at']} · {report['machine']} · "
        f"{report['embedder']}",
        "",
        f"{report['deals']} judged deals of the evaluation split:",
        "",
        "| ranker | nDCG@10 | recall@10 | MRR |",
        "|---|---|---|---|",
    ]
    for name in ("hand_weights", "learned"):
        m = q[name]
        lines.append(
            f"| {name.replace('_', ' ')} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} "
            f"| {m['mrr']:.3f} |"
        )
    validation = q["ranker_validation"]
    lines += [
        "",
        f"Time-ordered validation inside training ({validation['groups']} newest groups, "
        f"{validation['from']} to {validation['to']}): nDCG@10 "
        f"{validation['ndcg@10']['learned']:.3f} learned vs "
        f"{validation['ndcg@10']['hand_weights']:.3f} hand weights.",
        "",
        f"Feedback loop: {loop['partner_id']}, #1 for the first evaluation deal, rejected "
        f"{loop['rejections']} times for wrong expertise and {loop['lost_deals']} deals lost: "
        f"rank {loop['rank_before']} before, {loop['rank_after'] or '> 30'} after retraining "
        f"(out of the top 3: {'yes' if loop['out_of_top_3'] else 'no'}).",
    ]
    lines += [
        "",
        f"Exposure over {report['exposure']['hand_weights'][0]['requests']} requests (top-5 "
        "slots; top 5 % share = the share of all slots taken by the most-exposed 5 % of "
        "partners):",
        "",
        "| ranker | near-tie tolerance | top 5 % share | Gini | nDCG@10 (judged) |",
        "|---|---|---|---|---|",
    ]
    for name, rows in report["exposure"].items():
        for row in rows:
            lines.append(
                f"| {name.replace('_', ' ')} | {row['tolerance']:.2f} | {row['top_share']:.3f} "
                f"| {row['gini']:.3f} | {row['ndcg@10']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Measure and write ``ranking.json`` and ``ranking.md`` to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/sample"))
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--home", type=Path, default=None, help="Scratch home (default: temp).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="pm-ranking-") as scratch:
        report = run(args.data, args.home or Path(scratch))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ranking.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    (args.out / "ranking.md").write_text(markdown(report), "utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main()
