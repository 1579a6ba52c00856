"""Teams on deals built to need two partners: coverage, size, member relevance, latency.

The simulated ecosystem and its saved index come from :func:`bench.recommend_latency.
prepare_home` (cached under ``var/bench``). Each judged deal becomes a two-partner deal: two of
its relevant partners (grade ≥ 2) each bring a language the other lacks, both languages are
required (strict), and the deal is kept only when the hard filters then allow nobody, so no
single partner can take it. Per deal:

* the best team (:func:`matcher.engine.teams.recommend_teams`, ``max_team_size`` 3): fully
  covered or not, its size, and the mean judged grade of its members (0 for an unjudged one);
* the baseline: the top-1 of the relaxed ranking plus, in rank order, the next partners that
  add coverage, up to the same size: the same figures;
* latency of the teams call against one single-partner ``recommend`` of the same deal with
  ``strict: false`` (the strict one is answered empty by the filters at once).

"Fully covered" counts every requirement, specialism phrases of the brief included;
``hard_requirements_covered_share`` counts languages, certifications, country and types.

Run::

    python -m bench.teams --size 10000 --deals 100
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench.recommend_latency import prepare_home
from bench.results import percentiles, provenance, results_path, write_results
from matcher.embedding import get_embedder
from matcher.engine import Recommender, load_engine
from matcher.engine.query import read_deal
from matcher.engine.teams import CoSell, covered_by, recommend_teams, requirements
from matcher.ipp import default_scorer
from matcher.schemas import Deal
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import JudgedDeal, read_judged

TEAM_SIZE = 3


def two_partner_deal(engine: Recommender, judged: JudgedDeal) -> Deal | None:
    """The judged deal requiring one language from each of two relevant partners that the
    other lacks, if no single partner then passes the hard filters."""
    relevant = [pid for pid, grade in sorted(judged.relevance.items()) if grade >= 2]
    rows = [engine.columns.row_of[p] for p in relevant if p in engine.columns.row_of]
    profiles = [p for p in (engine.profiles.get(row) for row in rows) if p is not None]
    for first in profiles:
        for second in profiles:
            only_first = sorted(set(first.languages) - set(second.languages))
            only_second = sorted(set(second.languages) - set(first.languages))
            if not only_first or not only_second:
                continue
            deal = judged.deal.model_copy(
                update={"languages": [only_first[0], only_second[0]], "strict": True, "top_k": 5}
            )
            if engine.filter(read_deal(deal).deal).count == 0:
                return deal
    return None


def baseline_team(engine: Recommender, deal: Deal) -> tuple[list[str], bool, bool]:
    """Top-1 of the relaxed ranking, then each next-ranked partner that adds coverage; and
    whether they cover every requirement, and every hard (non-phrase) one."""
    read = read_deal(deal).deal
    needed = requirements(read)
    relaxed = read.model_copy(update={"strict": False, "read_description": False})
    ranked, _, _ = engine.rank(relaxed, top_k=40)
    team: list[str] = []
    covered: set[str] = set()
    for candidate in ranked:
        adds = covered_by(read, candidate, needed) - covered
        if not team or adds:
            team.append(candidate.partner.partner_id)
            covered |= adds
        if len(team) == TEAM_SIZE or len(covered) == len(needed):
            break
    hard = {r.key for r in needed if r.kind != "specialisms"}
    return team, len(covered) == len(needed), hard <= covered


def measure(size: int, work: Path, n_deals: int) -> dict[str, Any]:
    home, judged_path = prepare_home(size, work, real_vectors=10_000)
    settings = Settings(home=home)
    store = Store.from_settings(settings)
    engine = load_engine(store, get_embedder(settings), default_scorer(settings), settings)
    co_sell = CoSell.from_outcomes(store.outcomes_frame())
    deals = []
    for judged in read_judged(judged_path):
        deal = two_partner_deal(engine, judged)
        if deal is not None:
            deals.append((judged, deal))
        if len(deals) == n_deals:
            break
    engine.recommend(deals[0][1])  # warm-up
    rows, team_ms, single_ms = [], [], []
    for judged, deal in deals:
        start = time.perf_counter()
        engine.recommend(deal.model_copy(update={"strict": False}))
        single_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        answer = recommend_teams(engine, deal, TEAM_SIZE, co_sell)
        team_ms.append((time.perf_counter() - start) * 1000)
        teams: list[dict[str, Any]] = answer["teams"]  # type: ignore[assignment]
        best: dict[str, Any] = teams[0] if teams else {"members": [], "fully_covered": False}
        members = [m["partner_id"] for m in best["members"]]
        baseline, baseline_covered, baseline_hard = baseline_team(engine, deal)
        rows.append(
            {
                "covered": bool(best["fully_covered"]),
                "hard_covered": not any(
                    not key.startswith("specialisms:") for key in best.get("missing", [])
                ),
                "size": len(members),
                "grade": _mean([judged.relevance.get(p, 0) for p in members]),
                "baseline_covered": baseline_covered,
                "baseline_hard_covered": baseline_hard,
                "baseline_size": len(baseline),
                "baseline_grade": _mean([judged.relevance.get(p, 0) for p in baseline]),
            }
        )
    return {
        **provenance("bench.teams"),
        "partners": size,
        "deals": len(rows),
        "teams": {
            "fully_covered_share": _mean([r["covered"] for r in rows]),
            "hard_requirements_covered_share": _mean([r["hard_covered"] for r in rows]),
            "mean_size": _mean([r["size"] for r in rows]),
            "mean_member_grade": _mean([r["grade"] for r in rows]),
        },
        "baseline_top1_plus_coverage": {
            "fully_covered_share": _mean([r["baseline_covered"] for r in rows]),
            "hard_requirements_covered_share": _mean([r["baseline_hard_covered"] for r in rows]),
            "mean_size": _mean([r["baseline_size"] for r in rows]),
            "mean_member_grade": _mean([r["baseline_grade"] for r in rows]),
        },
        "latency": {
            "teams": percentiles(team_ms),
            "single_recommend_non_strict": percentiles(single_ms),
        },
    }


def _mean(values: list[Any]) -> float:
    return round(sum(float(v) for v in values) / len(values), 4) if values else 0.0


def table(run: dict[str, Any]) -> str:
    teams, base, latency = run["teams"], run["baseline_top1_plus_coverage"], run["latency"]
    return "\n".join(
        [
            f"# Teams ({run['partners']:,} partners, {run['deals']} two-partner deals)",
            "",
            f"`{run['command']}` · {run['measured_at']} · {run['machine']} · "
            f"load {run['load_average_1min']}",
            "",
            "| | fully covered | hard requirements covered | mean size | mean member grade (0–3) |",
            "|---|---|---|---|---|",
            f"| teams (greedy coverage × quality) | {teams['fully_covered_share']:.0%} | "
            f"{teams['hard_requirements_covered_share']:.0%} | "
            f"{teams['mean_size']:.2f} | {teams['mean_member_grade']:.2f} |",
            f"| top-1 + next that adds coverage | {base['fully_covered_share']:.0%} | "
            f"{base['hard_requirements_covered_share']:.0%} | "
            f"{base['mean_size']:.2f} | {base['mean_member_grade']:.2f} |",
            "",
            "| latency | p50 ms | p99 ms |",
            "|---|---|---|",
            *(
                f"| {name} | {latency[name]['p50_ms']} | {latency[name]['p99_ms']} |"
                for name in ("teams", "single_recommend_non_strict")
            ),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--quick", action="store_true", help="30 deals, var/bench results.")
    args = parser.parse_args(argv)
    run = measure(args.size, args.work, 30 if args.quick else args.deals)
    write_results(results_path("teams.json", args.quick), run, table(run))


if __name__ == "__main__":
    main()
