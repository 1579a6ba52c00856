from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.embedding.base import FakeEmbedder
from matcher.ingest import IngestError
from matcher.ipp.four_cs import FourCsAssessor
from matcher.recruiting.lookalikes import LookalikeIndex
from matcher.recruiting.prospects import ProspectScorer
from matcher.recruiting.screening import screen_file
from matcher.schemas import Partner, Prospect

TODAY = date(2026, 1, 31)
STRONG = {
    "partner_id": "X-1",
    "name": "Strong GmbH",
    "partner_type": "system_integrator",
    "description": "Manufacturing portfolio management and data migration",
    "employees": 120,
    "certified_staff": 30,
    "customers": 150,
    "countries": "DACH;GB;US;SE;NL",
    "industries": "manufacturing;technology;healthcare",
    "segments": "mid_market;enterprise",
    "certifications": "Smartsheet Certified:10;PMP;ITIL",
    "specialisms": "portfolio management;data migration;PMO;resource planning",
    "training_completion": 0.95,
    "deal_registrations_12m": 20,
    "last_active": "2026-01-25",
    "dedicated_manager": True,
    "active_projects": 2,
    "max_projects": 10,
    "assets": "template:PMO;integration:SAP;accelerator:migration",
}


@pytest.fixture(scope="module")
def scorer() -> ProspectScorer:
    return ProspectScorer(reference_date=TODAY)


def test_a_strong_profile_is_a_strong_fit_with_a_high_tier(scorer: ProspectScorer) -> None:
    result = scorer.score(Prospect(**STRONG))
    assert result.band == "strong_fit"
    assert result.suggested_tier in ("gold", "platinum")
    assert result.gaps == []


def test_shape_follows_the_contract(scorer: ProspectScorer) -> None:
    shape = scorer.score(Prospect(**STRONG)).as_dict()
    assert {
        "partner_id",
        "four_cs",
        "evidence",
        "overall",
        "band",
        "gaps",
        "suggested_tier",
        "looks_like",
    } <= set(shape)
    assert (
        set(shape["four_cs"])
        == set(shape["evidence"])
        == {
            "capacity",
            "capability",
            "commitment",
            "customer_fit",
        }
    )
    json.dumps(shape)


def test_gaps_name_what_holds_a_prospect_back(scorer: ProspectScorer) -> None:
    weak = Prospect(
        partner_id="X-2",
        name="Weak Ltd",
        partner_type="reseller",
        certified_staff=0,
        countries=["GB"],
        training_completion=0.2,
        dedicated_manager=False,
    )
    result = scorer.score(weak)
    assert "no certified staff" in result.gaps
    # one summarised line for the regions, not one "no X coverage" per region
    assert "covers 1 of 5 target regions (not DACH, North America, Nordics, Benelux)" in (
        result.gaps
    )
    assert not any(gap.endswith(" coverage") for gap in result.gaps)
    assert "training only 20 % complete" in result.gaps
    assert "no dedicated partner manager" in result.gaps
    assert result.band == "weak_fit"
    assert result.suggested_tier == "registered"


def test_unknown_fields_are_listed_not_counted_as_gaps(scorer: ProspectScorer) -> None:
    result = scorer.score(Prospect(partner_id="X-3", name="Quiet", partner_type="isv"))
    assert result.gaps == []
    assert "employees" in result.unknown and "certified staff" in result.unknown
    assert result.as_dict()["confidence"] == 0.0
    assert result.band == "possible_fit"  # neutral 50: unknown is not weak


def test_overall_weights_are_configurable(scorer: ProspectScorer) -> None:
    prospect = Prospect(**{**STRONG, "countries": "FR", "industries": "retail"})
    default = ProspectScorer(reference_date=TODAY).score(prospect)
    fit_heavy = ProspectScorer(weights={"customer_fit": 5}, reference_date=TODAY).score(prospect)
    assert fit_heavy.overall < default.overall
    c = default.four_cs
    equal = (c.capacity + c.capability + c.commitment + c.customer_fit) / 4
    assert default.overall == pytest.approx(equal)


def test_look_alikes_are_the_nearest_top_performers() -> None:
    assessor = FourCsAssessor(reference_date=TODAY)
    partners = {
        "P-PMO": Partner(
            partner_id="P-PMO",
            name="PMO experts",
            partner_type="consultancy",
            description="portfolio management PMO data migration manufacturing",
        ),
        "P-HR": Partner(
            partner_id="P-HR",
            name="HR people",
            partner_type="consultancy",
            description="payroll and human resources for retail",
        ),
        "P-LOW": Partner(
            partner_id="P-LOW",
            name="Low revenue",
            partner_type="consultancy",
            description="portfolio management PMO data migration manufacturing",
        ),
    }
    outcomes = pd.DataFrame(
        {
            "partner_id": ["P-PMO", "P-HR", "P-LOW"],
            "deal_size": [500_000.0, 400_000.0, 1_000.0],
            "won": [True, True, True],
        }
    )
    embedder = FakeEmbedder()
    index = LookalikeIndex.build(partners, outcomes, embedder, assessor, share=0.67)
    assert {p.partner_id for p in index.partners} == {"P-PMO", "P-HR"}
    scorer = ProspectScorer(lookalikes=index, embedder=embedder, reference_date=TODAY)
    looks_like = scorer.score(Prospect(**STRONG)).looks_like
    assert [a.partner_id for a in looks_like] == ["P-PMO", "P-HR"]
    assert 0 <= looks_like[1].similarity < looks_like[0].similarity <= 1


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_screen_scores_good_rows_and_reports_bad_ones_by_line_and_column(
    scorer: ProspectScorer, tmp_path: Path
) -> None:
    rows = [
        STRONG,
        {"partner_id": "X-2", "name": "Bad", "partner_type": "reseller", "employees": "many"},
        {"partner_id": "X-3", "name": "Fine", "partner_type": "isv", "employees": "12"},
    ]
    source = write_csv(tmp_path / "prospects.csv", rows)
    report = screen_file(source, tmp_path / "scored.csv", scorer)
    assert (report.rows_read, report.rows_scored) == (3, 2)
    assert [(p.line, p.column) for p in report.problems] == [(3, "employees")]
    scored = pd.read_csv(tmp_path / "scored.csv", keep_default_na=False)
    assert list(scored["partner_id"]) == ["X-1", "X-3"]
    assert {
        "capacity",
        "capability",
        "commitment",
        "customer_fit",
        "overall",
        "band",
        "gaps",
    } <= set(scored.columns)


def test_screen_gaps_are_joined_by_semicolons(scorer: ProspectScorer, tmp_path: Path) -> None:
    row = {
        "partner_id": "X-9",
        "name": "Gappy",
        "partner_type": "isv",
        "certified_staff": 0,
        "countries": "GB",
    }
    screen_file(write_csv(tmp_path / "p.csv", [row]), tmp_path / "s.csv", scorer)
    gaps = pd.read_csv(tmp_path / "s.csv", keep_default_na=False).loc[0, "gaps"]
    assert gaps.startswith("no certified staff;covers 1 of 5 target regions (not DACH, North")


def test_screen_without_required_columns_is_a_file_error(
    scorer: ProspectScorer, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "p.csv", [{"name": "No id"}])
    with pytest.raises(IngestError, match="partner_id"):
        screen_file(source, tmp_path / "s.csv", scorer)
    assert not (tmp_path / "s.csv").exists()


def test_cli_score_prints_the_contract_json(settings, tmp_path: Path) -> None:
    from matcher.cli import app

    path = tmp_path / "prospect.json"
    path.write_text(json.dumps(STRONG))
    result = CliRunner().invoke(app, ["score", str(path), "--looks-like", "none"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["partner_id"] == "X-1"


def test_cli_score_reports_a_bad_field_without_a_traceback(settings, tmp_path: Path) -> None:
    from matcher.cli import app

    path = tmp_path / "prospect.json"
    path.write_text(json.dumps({**STRONG, "training_completion": 7}))
    result = CliRunner().invoke(app, ["score", str(path), "--looks-like", "none"])
    assert result.exit_code == 1
    assert "training_completion" in result.output and "Traceback" not in result.output


def test_cli_screen_writes_the_scored_csv(settings, tmp_path: Path) -> None:
    from matcher.cli import app

    source = write_csv(tmp_path / "p.csv", [STRONG])
    target = tmp_path / "out" / "scored.csv"
    result = CliRunner().invoke(
        app, ["screen", str(source), "-o", str(target), "--looks-like", "none"]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(target).loc[0, "band"] == "strong_fit"


def test_lexical_embedder_compares_texts_by_shared_words() -> None:
    from matcher.embedding.lexical import LexicalEmbedder

    embedder = LexicalEmbedder().fit(["portfolio management PMO", "payroll human resources"])
    vectors = embedder.embed(["PMO and portfolio management", "payroll", "quantum chemistry"])
    assert vectors.shape == (3, embedder.dim)
    reference = embedder.embed(["portfolio management PMO"])[0]
    assert vectors[0] @ reference > 0.5
    assert vectors[1] @ reference == 0.0
    assert not vectors[2].any()  # no shared word: no similarity, not an error


def test_lexical_embedder_must_be_fitted_first() -> None:
    from matcher.embedding.lexical import LexicalEmbedder

    with pytest.raises(ValueError, match="fit"):
        LexicalEmbedder().embed(["x"])


def test_cli_screen_finds_lexical_look_alikes_among_top_performers(
    settings, store, ipp_ecosystem, tmp_path: Path
) -> None:
    from matcher.cli import app
    from matcher.schemas import Outcome

    partners, outcomes = ipp_ecosystem
    store.upsert_partners(partners.values())
    rows = outcomes.astype(object).where(outcomes.notna(), None).to_dict("records")
    store.upsert_outcomes(Outcome.model_validate(row) for row in rows)
    source = write_csv(tmp_path / "p.csv", [STRONG])
    target = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["screen", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.output
    looks_like = pd.read_csv(target, keep_default_na=False).loc[0, "looks_like"].split(";")
    assert len(looks_like) == 3
    for cell in looks_like:  # "Name (P-042)": names a person reads, with the id to look up
        name, _, rest = cell.rpartition(" (")
        assert rest.endswith(")") and partners[rest[:-1]].name.replace(";", ",") == name


def test_region_gaps_are_one_summary_line() -> None:
    from matcher.recruiting import region_coverage_gap

    regions = [
        ("DACH", frozenset({"DE", "AT", "CH"})),
        ("GB", frozenset({"GB"})),
        ("Nordics", frozenset({"SE", "NO", "DK", "FI", "IS"})),
    ]
    assert region_coverage_gap(["DE", "GB", "SE"], regions) is None
    assert region_coverage_gap(["AT"], regions) == "covers 1 of 3 target regions (not GB, Nordics)"
    assert region_coverage_gap(["US"], regions) == (
        "covers 0 of 3 target regions (not DACH, GB, Nordics)"
    )


def test_look_alikes_read_as_names_with_their_ids() -> None:
    from matcher.recruiting import LookAlike, looks_like_text

    alikes = [LookAlike("P-1", "Acme; Sons", 0.9), LookAlike("P-2", "Beta", 0.8)]
    assert looks_like_text(alikes) == "Acme, Sons (P-1);Beta (P-2)"
    assert looks_like_text([]) == ""
