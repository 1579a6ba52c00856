"""Teams: greedy coverage × quality over the relaxed retrieval, co-sell evidence, bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.engine.build import build_engine
from matcher.engine.recommender import Candidate, Recommender
from matcher.engine.teams import CoSell, Requirement, build_team, recommend_teams, requirements
from matcher.ipp.base import NeutralScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store


def _partner(partner_id: str, **fields: object) -> Partner:
    fields.setdefault("name", f"Partner {partner_id}")
    fields.setdefault("partner_type", "system_integrator")
    fields.setdefault("countries", ["DE"])
    return Partner(partner_id=partner_id, **fields)


ECOSYSTEM = [
    _partner(
        "P-SI-DE",
        description="ERP implementation for German manufacturers",
        specialisms=["erp implementation"],
        languages=["de"],
    ),
    _partner(
        "P-SI-DE2",
        description="ERP implementation and rollouts in Germany",
        specialisms=["erp implementation"],
        languages=["de"],
    ),
    _partner(
        "P-ISV-JA",
        description="Integration software connecting ERP to Japanese logistics systems",
        specialisms=["japanese logistics integration"],
        languages=["ja", "en"],
        partner_type="isv",
    ),
    _partner(
        "P-ISV-JA2",
        description="Integration connectors for ERP and logistics",
        specialisms=["japanese logistics integration"],
        languages=["ja"],
        partner_type="isv",
    ),
    _partner(
        "P-FR",
        description="CRM for French retailers",
        specialisms=["crm"],
        languages=["fr"],
        countries=["FR"],
        partner_type="reseller",
    ),
]

TWO_PARTNER_DEAL = Deal(
    description="ERP implementation with integration to Japanese logistics",
    specialisms=["erp implementation", "japanese logistics integration"],
    country="DE",
    languages=["de", "ja"],
)


@pytest.fixture
def engine(store: Store, settings: Settings, real_embedder) -> Recommender:  # type: ignore[no-untyped-def]
    store.upsert_partners(ECOSYSTEM)
    return build_engine(store, real_embedder, NeutralScorer(), settings)


def test_a_strict_deal_no_single_partner_meets_is_covered_by_a_team(engine: Recommender) -> None:
    assert engine.recommend(TWO_PARTNER_DEAL)["results"] == []
    best = recommend_teams(engine, TWO_PARTNER_DEAL)["teams"][0]  # type: ignore[index]
    covered_by = best["covered_by"]
    assert best["fully_covered"] and best["missing"] == []
    assert covered_by["languages:de"].startswith("P-SI-DE")
    assert covered_by["languages:ja"].startswith("P-ISV-JA")
    assert len(best["members"]) == 2


def test_every_member_lists_what_it_covers_and_nothing_is_double_counted(
    engine: Recommender,
) -> None:
    answer = recommend_teams(engine, TWO_PARTNER_DEAL)
    for team in answer["teams"]:  # type: ignore[attr-defined]
        listed = [key for member in team["members"] for key in member["covers"]]
        assert sorted(listed) == sorted(team["covered_by"])
        assert set(listed) | set(team["missing"]) == set(answer["requirements"])  # type: ignore[arg-type]


def _candidate(partner_id: str, score: float, partner_type: str = "isv") -> Candidate:
    return Candidate(0, _partner(partner_id, partner_type=partner_type), {}, score=score)


def test_co_sell_evidence_picks_among_near_equal_gains_the_partner_who_won_with_the_team() -> None:
    outcomes = pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D2", "D2"],
            "partner_id": ["P-SI", "P-ISV-B"] * 2,
            "won": [True, True, False, False],
        }
    )
    co_sell = CoSell.from_outcomes(outcomes)
    seed, better, co_sold = (
        _candidate("P-SI", 0.8, "system_integrator"),
        _candidate("P-ISV-A", 0.72),
        _candidate("P-ISV-B", 0.70),
    )
    needed = [Requirement("languages", "de"), Requirement("languages", "ja")]
    covers = {"P-SI": {"languages:de"}, "P-ISV-A": {"languages:ja"}, "P-ISV-B": {"languages:ja"}}
    candidates = [seed, better, co_sold]
    team = build_team(seed, candidates, covers, needed, 3, co_sell)
    assert [m.partner.partner_id for m in team.members] == ["P-SI", "P-ISV-B"]
    alone = build_team(seed, candidates, covers, needed, 3, CoSell({}))
    assert [m.partner.partner_id for m in alone.members] == ["P-SI", "P-ISV-A"]


def test_a_gain_beyond_the_slack_beats_co_sell_evidence() -> None:
    co_sell = CoSell({frozenset(("P-SI", "P-ISV-B")): 5})
    seed = _candidate("P-SI", 0.8, "system_integrator")
    candidates = [seed, _candidate("P-ISV-A", 0.9), _candidate("P-ISV-B", 0.5)]
    needed = [Requirement("languages", "de"), Requirement("languages", "ja")]
    covers = {"P-SI": {"languages:de"}, "P-ISV-A": {"languages:ja"}, "P-ISV-B": {"languages:ja"}}
    team = build_team(seed, candidates, covers, needed, 3, co_sell)
    assert [m.partner.partner_id for m in team.members] == ["P-SI", "P-ISV-A"]
    assert team.value() == pytest.approx(1.7)


def test_a_team_never_exceeds_max_team_size(engine: Recommender) -> None:
    for team in recommend_teams(engine, TWO_PARTNER_DEAL, max_team_size=1)["teams"]:  # type: ignore[attr-defined]
        assert len(team["members"]) == 1
        assert not team["fully_covered"]


def test_max_team_size_out_of_bounds_is_refused(engine: Recommender) -> None:
    with pytest.raises(ValueError, match="max_team_size"):
        recommend_teams(engine, TWO_PARTNER_DEAL, max_team_size=0)


def test_requirements_name_each_language_type_country_and_phrase() -> None:
    deal = Deal(
        specialisms=["erp integration"],
        country="DE",
        languages=["de", "ja"],
        partner_types=["isv", "system_integrator"],
    )
    assert [r.key for r in requirements(deal)] == [
        "languages:de",
        "languages:ja",
        "country:DE",
        "partner_types:isv",
        "partner_types:system_integrator",
        "specialisms:erp integration",
    ]


def test_cli_recommend_teams_prints_who_covers_what(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_embedder
) -> None:  # type: ignore[no-untyped-def]
    import matcher.embedding.factory
    import matcher.ipp.registry
    from matcher.cli import app

    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _s: real_embedder)
    monkeypatch.setattr(matcher.ipp.registry, "default_scorer", lambda _s: NeutralScorer())
    store.upsert_partners(ECOSYSTEM)
    runner = CliRunner()
    assert runner.invoke(app, ["index", "build"]).exit_code == 0
    deal = tmp_path / "deal.json"
    deal.write_text(TWO_PARTNER_DEAL.model_dump_json())
    result = runner.invoke(app, ["recommend", "--teams", "--max-team-size", "2", str(deal)])
    assert result.exit_code == 0, result.output
    best = json.loads(result.stdout)["teams"][0]
    assert best["fully_covered"] and len(best["members"]) == 2
    too_big = runner.invoke(app, ["recommend", "--teams", "--max-team-size", "9", str(deal)])
    assert too_big.exit_code == 2
