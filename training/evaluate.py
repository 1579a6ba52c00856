"""Ranking quality of the recommender and its single-signal baselines on judged deals.

Judged deals (``judged_deals.jsonl``, written by the simulator) carry graded relevance per
partner: ``{"deal_id", "deal": {...DESIGN.md 3.3}, "relevance": {"P-000123": 3, ...}}``. They are
split once by a hash of ``deal_id``: even hashes form the *tuning* split (the only deals weights
may be tuned on), the rest the *evaluation* split every reported number comes from.

Metrics come from ``ir-measures`` (pytrec_eval underneath): nDCG@10 with raw graded gains and
the ideal over every judged partner, recall@10 and MRR with relevance ≥ 1.

Run (writes ``bench/results/quality.md`` and ``quality.json``)::

    python -m training.evaluate --data data/sample
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import ir_measures
import numpy as np
from ir_measures import RR, Qrel, R, ScoredDoc, nDCG

from matcher.embedding import Embedder, deal_text, get_embedder
from matcher.engine import SIGNALS, RankingWeights, Recommender, build_engine, packed_selector
from matcher.ingest import ingest
from matcher.ipp import IppScorer, default_scorer
from matcher.schemas import Deal
from matcher.settings import Settings
from matcher.store import Store

log = logging.getLogger(__name__)

SYSTEMS: tuple[str, ...] = ("random", "bm25", "embedding", "structured", "full")
RESULTS_DIR = Path("bench/results")


@dataclass(frozen=True)
class JudgedDeal:
    """One deal with graded relevance (0–3) of the partners judged for it."""

    deal_id: str
    deal: Deal
    relevance: dict[str, int]


def read_judged(path: Path) -> list[JudgedDeal]:
    """Read ``judged_deals.jsonl``; a bad line names its line number."""
    judged = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                judged.append(
                    JudgedDeal(
                        deal_id=str(raw["deal_id"]),
                        deal=Deal.model_validate(raw["deal"]),
                        relevance={str(k): int(v) for k, v in raw["relevance"].items()},
                    )
                )
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: {error}") from None
    return judged


def is_tuning(deal_id: str) -> bool:
    """The fixed split: a deal whose id hashes even may be used for tuning, never reported."""
    return hashlib.sha256(deal_id.encode("utf-8")).digest()[-1] % 2 == 0


def split(judged: Iterable[JudgedDeal]) -> tuple[list[JudgedDeal], list[JudgedDeal]]:
    """``(tuning, evaluation)`` deals."""
    judged = list(judged)
    return [j for j in judged if is_tuning(j.deal_id)], [
        j for j in judged if not is_tuning(j.deal_id)
    ]


def metrics(
    rankings: dict[str, list[str]], judged: list[JudgedDeal], k: int = 10
) -> dict[str, float]:
    """Mean nDCG@k, recall@k and MRR of ``rankings`` (deal id → partner ids, best first).

    A deal with an empty ranking still counts (as zero), so a system cannot win by abstaining.
    """
    names = {str(nDCG @ k): f"ndcg@{k}", str(R @ k): f"recall@{k}", str(RR): "mrr"}
    qrels = [
        Qrel(j.deal_id, partner_id, grade)
        for j in judged
        for partner_id, grade in j.relevance.items()
    ]
    run = [
        ScoredDoc(deal_id, partner_id, float(len(ranked) - position))
        for deal_id, ranked in rankings.items()
        for position, partner_id in enumerate(ranked)
    ]
    per_query: dict[str, dict[str, float]] = {}
    for metric in ir_measures.iter_calc([nDCG @ k, R @ k, RR], qrels, run):
        per_query.setdefault(names[str(metric.measure)], {})[metric.query_id] = metric.value
    judged_ids = [j.deal_id for j in judged if any(g > 0 for g in j.relevance.values())]
    return {
        name: float(np.mean([per_query.get(name, {}).get(q, 0.0) for q in judged_ids]))
        if judged_ids
        else 0.0
        for name in names.values()
    }


def _partner_ids(engine: Recommender, row_ids: Iterable[int]) -> list[str]:
    known = engine.columns.partner_of
    return [known[int(r)] for r in row_ids if int(r) in known]


def rank_with(
    engine: Recommender, system: str, deal: Deal, k: int = 10, weights: RankingWeights | None = None
) -> list[str]:
    """The top ``k`` partner ids ``system`` returns for ``deal``, under the same hard filters."""
    if system == "full":
        ranked, _, _ = engine.rank(deal, weights, top_k=k)
        return [candidate.partner.partner_id for candidate in ranked]
    if system == "structured":
        return [c.partner.partner_id for c in engine.structured_rank(deal, k)]
    filtered = engine.columns.compile(deal)
    allowed_rows = filtered.allowed_rows()
    if system == "random":
        rng = random.Random(hashlib.sha256(deal_text(deal).encode()).hexdigest())
        rows = allowed_rows.tolist()
        return _partner_ids(engine, rng.sample(rows, min(k, len(rows))))
    if system == "embedding":
        query = engine.embedder.embed([deal_text(deal)])[0]
        rows, _ = engine.index.search(query, k, allowed=packed_selector(filtered.allowed))
        return _partner_ids(engine, rows)
    if system == "bm25":
        mask = np.unpackbits(filtered.allowed, bitorder="little").astype(bool)
        rows, _ = engine.lexical.top(engine.lexical_query(deal), k, mask)
        return _partner_ids(engine, rows)
    raise ValueError(f"unknown system {system!r}; allowed: {', '.join(SYSTEMS)}")


def evaluate_systems(
    engine: Recommender,
    judged: list[JudgedDeal],
    systems: Iterable[str] = SYSTEMS,
    weights: RankingWeights | None = None,
) -> dict[str, dict[str, float]]:
    """Metrics per system over ``judged``."""
    report = {}
    for system in systems:
        started = time.perf_counter()
        rankings = {j.deal_id: rank_with(engine, system, j.deal, 10, weights) for j in judged}
        report[system] = metrics(rankings, judged)
        log.info("%s: %s (%.1f s)", system, report[system], time.perf_counter() - started)
    return report


def tune_weights(
    engine: Recommender,
    tuning: list[JudgedDeal],
    start: RankingWeights | None = None,
    steps: Iterable[float] = (0.0, 0.5, 2.0),
    rounds: int = 2,
) -> tuple[RankingWeights, float]:
    """Coordinate search on the tuning split's nDCG@10: scale one weight at a time, keep gains.

    Only tuning deals are seen here; the evaluation split stays untouched.
    """
    best = start or engine.weights

    def score(weights: RankingWeights) -> float:
        return evaluate_systems(engine, tuning, ["full"], weights)["full"]["ndcg@10"]

    best_score = score(best)
    for _ in range(rounds):
        improved = False
        for name in SIGNALS:
            for factor in steps:
                current = getattr(best, name)
                value = factor * (current if current > 0 else 0.05)
                candidate = replace(best, **{name: round(value, 4)})
                if candidate == best:
                    continue
                candidate_score = score(candidate)
                if candidate_score > best_score + 1e-4:
                    best, best_score, improved = candidate, candidate_score, True
        if not improved:
            break
    return best, best_score


def load_engine_for(
    data: Path,
    home: Path,
    embedder: Embedder | None = None,
    scorer: IppScorer | None = None,
) -> Recommender:
    """A fresh store under ``home`` with ``data``'s partners (and outcomes), and its engine."""
    settings = Settings(home=home)
    store = Store.from_settings(settings)
    partners = next(
        (data / name for name in ("partners.jsonl", "partners.csv") if (data / name).exists()), None
    )
    if partners is None:
        raise FileNotFoundError(f"no partners.jsonl or partners.csv in {data}")
    ingest(store, "partners", partners, skip_invalid=True)
    for name in ("outcomes.csv", "outcomes.jsonl"):
        if (data / name).exists():
            ingest(store, "outcomes", data / name, skip_invalid=True)
            break
    embedder = embedder or get_embedder(settings)
    return build_engine(store, embedder, scorer or default_scorer(settings), settings, save=False)


def markdown_table(report: dict[str, dict[str, float]], title: str) -> str:
    """The report as a Markdown table, systems as rows."""
    lines = [f"### {title}", "", "| system | nDCG@10 | recall@10 | MRR |", "|---|---|---|---|"]
    for system, values in report.items():
        lines.append(
            f"| {system} | {values['ndcg@10']:.3f} | {values['recall@10']:.3f} "
            f"| {values['mrr']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def run(
    data: Path,
    judged_path: Path | None = None,
    out: Path = RESULTS_DIR,
    home: Path | None = None,
    tune: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Evaluate every system on the evaluation split and write ``quality.md`` / ``quality.json``."""
    judged = read_judged(judged_path or data / "judged_deals.jsonl")
    tuning, evaluation = split(judged)
    with tempfile.TemporaryDirectory() as scratch:
        engine = load_engine_for(data, home or Path(scratch))
        weights = engine.weights
        tuned_score = None
        if tune:
            weights, tuned_score = tune_weights(engine, tuning)
            engine.weights = weights
        report = evaluate_systems(engine, evaluation)
        result: dict[str, object] = {
            "data": str(data),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}",
            "deals": {"tuning": len(tuning), "evaluation": len(evaluation)},
            "embedder": engine.embedder.model_id,
            "ipp_scorer": engine.scorer.version,
            "weights": asdict(weights),
            "tuning_ndcg@10": tuned_score,
            "evaluation": report,
            "full_beats_every_baseline": all(
                report["full"]["ndcg@10"] > report[s]["ndcg@10"] for s in SYSTEMS if s != "full"
            ),
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    title = (
        f"Evaluation split: {len(evaluation)} judged deals "
        f"({engine.embedder.model_id}, IPP {engine.scorer.version})"
    )
    (out / "quality.md").write_text(markdown_table(report, title), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    """``python -m training.evaluate --data data/sample [--judged FILE] [--tune]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/sample"))
    parser.add_argument("--judged", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--home", type=Path, default=None, help="Keep the store (and its vector cache) here."
    )
    parser.add_argument(
        "--tune", action="store_true", help="Tune weights on the tuning split first."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = run(args.data, args.judged, args.out, args.home, args.tune)
    print((args.out / "quality.md").read_text(encoding="utf-8"))
    print(json.dumps({k: v for k, v in result.items() if k != "evaluation"}, indent=2))


if __name__ == "__main__":
    main()
