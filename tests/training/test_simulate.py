"""The simulated ecosystem: determinism, valid vocabularies, coherent profiles, hidden truth."""

from __future__ import annotations

import csv
import json
import re
import tomllib
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from matcher import taxonomy
from matcher.schemas import Deal, Outcome, Partner
from training.cli import register
from training.simulate import (
    HISTORY_DAYS,
    PARTNER_CHUNK,
    REFERENCE_DATE,
    generate_partners,
    partner_truth,
    simulate,
)
from training.simulate import vocabulary as vocab

N_PARTNERS, N_DEALS, N_JUDGED, SEED = 400, 4000, 60, 7
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ecosystem")
    simulate(out, N_PARTNERS, N_DEALS, n_judged=N_JUDGED, seed=SEED)
    return out


@pytest.fixture(scope="module")
def partner_rows(ecosystem: Path) -> list[dict[str, str]]:
    with (ecosystem / "partners.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def partners(partner_rows: list[dict[str, str]]) -> dict[str, Partner]:
    """Partner rows as ingestion reads them (normalised codes, ids and keys)."""
    return {row["partner_id"]: Partner.model_validate(row) for row in partner_rows}


@pytest.fixture(scope="module")
def outcome_rows(ecosystem: Path) -> list[dict[str, str]]:
    with (ecosystem / "outcomes.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def judged(ecosystem: Path) -> list[dict]:
    lines = (ecosystem / "judged_deals.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _items(cell: str) -> list[str]:
    return [item for item in cell.split(";") if item]


def _contains_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()) is not None


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", 150, 600, n_outcomes=700, n_judged=10, seed=3)
    second = simulate(tmp_path / "b", 150, 600, n_outcomes=700, n_judged=10, seed=3)
    for name in ("partners_path", "outcomes_path", "judged_path"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes()


def test_different_seeds_write_different_files(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", 150, 600, n_judged=10, seed=3)
    second = simulate(tmp_path / "b", 150, 600, n_judged=10, seed=4)
    for name in ("partners_path", "outcomes_path", "judged_path"):
        assert getattr(first, name).read_bytes() != getattr(second, name).read_bytes()


def test_first_partners_do_not_depend_on_how_many_are_generated() -> None:
    few = list(generate_partners(5, seed=11))
    many = generate_partners(PARTNER_CHUNK + 5, seed=11)
    assert [next(many) for _ in range(5)] == few


# --- partner profiles ----------------------------------------------------------------------------


def test_every_partner_row_passes_the_ingestion_schema(
    partner_rows: list[dict[str, str]], partners: dict[str, Partner]
) -> None:
    assert len(partners) == len(partner_rows) == N_PARTNERS
    assert list(partners)[:2] == ["P-000001", "P-000002"]


def test_partner_values_are_within_the_vocabularies(partners: dict[str, Partner]) -> None:
    certification_keys = {taxonomy.certification_key(name) for name in vocab.CERTIFICATION_NAMES}
    for partner in partners.values():
        assert partner.partner_type in taxonomy.PARTNER_TYPES
        assert set(partner.industries) <= set(taxonomy.INDUSTRIES)
        assert set(partner.segments) <= set(taxonomy.SEGMENTS)
        assert partner.tier is None or partner.tier in taxonomy.TIERS
        assert set(partner.countries) <= set(vocab.COUNTRY_CODES)
        assert set(partner.languages) <= set(vocab.LANGUAGE_CODES)
        assert {c.key for c in partner.certifications} <= certification_keys
        assert {asset.split(":")[0] for asset in partner.assets} <= set(taxonomy.ASSET_KINDS)
        assert partner.countries, "a partner always says where it works"


def test_partner_ids_are_sequential_and_unique(partner_rows: list[dict[str, str]]) -> None:
    ids = [row["partner_id"] for row in partner_rows]
    assert ids == [f"P-{i:06d}" for i in range(1, N_PARTNERS + 1)]


def test_partners_speak_a_language_of_every_country_they_serve(
    partners: dict[str, Partner],
) -> None:
    official = {country.code: set(country.languages) for country in vocab.COUNTRIES}
    checked = 0
    for partner in partners.values():
        if not partner.languages:  # not published: unknown, nothing to check
            continue
        for country in partner.countries:
            assert official[country] & set(partner.languages), (partner.partner_id, country)
        checked += 1
    assert checked > 0.9 * len(partners)


def test_a_partner_serving_only_germany_speaks_german(partners: dict[str, Partner]) -> None:
    german_only = [p for p in partners.values() if p.countries == ["DE"] and p.languages]
    assert german_only
    assert all("de" in partner.languages for partner in german_only)


def test_certification_holders_never_exceed_certified_staff_nor_employees(
    partners: dict[str, Partner],
) -> None:
    truth = partner_truth(N_PARTNERS, SEED)
    assert np.all(truth.certified_staff <= truth.employees)
    for i, partner in enumerate(partners.values()):
        for certification in partner.certifications:
            assert 1 <= certification.holders <= truth.certified_staff[i]
        if partner.certified_staff is not None and partner.employees is not None:
            assert partner.certified_staff <= partner.employees


def test_optional_fields_are_sometimes_missing(partner_rows: list[dict[str, str]]) -> None:
    for column in ("description", "employees", "csat", "tier", "last_active"):
        blank = sum(not row[column] for row in partner_rows) / len(partner_rows)
        assert 0.005 < blank < 0.2, column


def test_profiles_state_every_hidden_capability_in_tags_or_description(
    partner_rows: list[dict[str, str]],
) -> None:
    truth = partner_truth(N_PARTNERS, SEED)
    for i, row in enumerate(partner_rows):
        text = (row["description"] + " " + row["specialisms"].replace(";", " ; ")).lower()
        for c, capability in enumerate(vocab.CAPABILITIES):
            if int(truth.capabilities[i]) >> c & 1:
                assert any(_contains_phrase(text, p) for p in capability.profile), (
                    row["partner_id"],
                    capability.key,
                )


def test_capabilities_follow_the_business_model(partners: dict[str, Partner]) -> None:
    truth = partner_truth(N_PARTNERS, SEED)
    managed_operations = 1 << vocab.CAPABILITY_KEYS.index("managed_operations")
    msp = taxonomy.PARTNER_TYPES.index("managed_service_provider")
    is_msp = truth.partner_type == msp
    has_it = (truth.capabilities & np.uint64(managed_operations)) > 0
    assert has_it[is_msp].mean() > 0.5 > 0.1 > has_it[~is_msp].mean()


def test_generate_partners_yields_the_rows_simulate_writes(
    partner_rows: list[dict[str, str]],
) -> None:
    first = next(generate_partners(1, seed=SEED))
    assert first["partner_id"] == partner_rows[0]["partner_id"]
    assert first["name"] == partner_rows[0]["name"]
    assert ";".join(first["specialisms"]) == partner_rows[0]["specialisms"]


# --- outcomes ------------------------------------------------------------------------------------


def test_every_outcome_row_passes_the_ingestion_schema_and_names_a_known_partner(
    outcome_rows: list[dict[str, str]], partners: dict[str, Partner]
) -> None:
    assert len(outcome_rows) == N_DEALS
    for row in outcome_rows:
        outcome = Outcome.model_validate(row)
        assert outcome.partner_id in partners


def test_deals_closed_within_three_years_before_the_reference_date(
    outcome_rows: list[dict[str, str]],
) -> None:
    closed = [date.fromisoformat(row["closed_on"]) for row in outcome_rows]
    assert REFERENCE_DATE - timedelta(days=HISTORY_DAYS) <= min(closed)
    assert max(closed) <= REFERENCE_DATE


def test_strong_partners_win_more_often_than_weak_ones(
    outcome_rows: list[dict[str, str]],
) -> None:
    strong = partner_truth(N_PARTNERS, SEED).strong
    won = np.array([row["won"] == "true" for row in outcome_rows])
    by_strong = np.array([strong[int(row["partner_id"][2:]) - 1] for row in outcome_rows])
    assert won[by_strong].mean() > won[~by_strong].mean() + 0.15


def test_the_strongest_fifth_of_partners_drive_most_wins(
    outcome_rows: list[dict[str, str]],
) -> None:
    strong = partner_truth(N_PARTNERS, SEED).strong
    wins = [int(row["partner_id"][2:]) - 1 for row in outcome_rows if row["won"] == "true"]
    assert 0.1 < strong.mean() < 0.3
    assert strong[wins].mean() > 0.5


def test_extra_outcome_rows_add_an_influencing_partner_to_existing_deals(tmp_path: Path) -> None:
    summary = simulate(tmp_path, 50, 100, n_outcomes=130, n_judged=0)
    with summary.outcomes_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    deals: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        deals.setdefault(row["deal_id"], []).append(row)
    assert len(rows) == 130 and len(deals) == 100
    co_sold = [pair for pair in deals.values() if len(pair) == 2]
    assert len(co_sold) == 30
    for first, second in co_sold:
        assert second["role"] == "influenced" and first["partner_id"] != second["partner_id"]
        assert first["won"] == second["won"]


# --- judged deals --------------------------------------------------------------------------------


def test_every_judged_deal_is_a_valid_request_with_graded_relevant_partners(
    judged: list[dict], partners: dict[str, Partner]
) -> None:
    assert [record["deal_id"] for record in judged[:2]] == ["J-0001", "J-0002"]
    assert len(judged) == N_JUDGED
    for record in judged:
        Deal.model_validate(record["deal"])
        assert record["relevance"], record["deal_id"]
        assert set(record["relevance"]) <= set(partners)
        assert set(record["relevance"].values()) <= {1, 2, 3}


def test_judged_deals_vary_in_shape_and_strictness(judged: list[dict]) -> None:
    deals = [record["deal"] for record in judged]
    description_only = [d for d in deals if "description" in d and "specialisms" not in d]
    structured_only = [d for d in deals if "description" not in d]
    assert description_only and structured_only
    assert any(d["strict"] for d in deals) and any(not d["strict"] for d in deals)
    assert any(d["strict"] and "languages" in d for d in deals)


def test_relevant_partners_of_strict_deals_satisfy_every_hard_constraint(
    judged: list[dict], partners: dict[str, Partner]
) -> None:
    for record in judged:
        deal = Deal.model_validate(record["deal"])
        if not deal.strict:
            continue
        for partner_id in record["relevance"]:
            partner = partners[partner_id]
            if deal.country:
                assert deal.country in partner.countries
            assert set(deal.languages) <= set(partner.languages)
            assert set(deal.certification_keys) <= {c.key for c in partner.certifications}
            if deal.partner_types:
                assert partner.partner_type in deal.partner_types


def test_judged_descriptions_are_not_copies_of_partner_descriptions(
    judged: list[dict], partners: dict[str, Partner]
) -> None:
    profiles = " ".join(p.description or "" for p in partners.values()).lower()
    descriptions = [r["deal"]["description"] for r in judged if "description" in r["deal"]]
    assert descriptions
    for description in descriptions:
        assert description.lower() not in profiles


def test_judged_descriptions_use_none_of_the_partners_specialism_tags(
    judged: list[dict], partners: dict[str, Partner]
) -> None:
    tags = {tag for partner in partners.values() for tag in partner.specialisms}
    for record in judged:
        description = record["deal"].get("description", "")
        assert not [tag for tag in tags if _contains_phrase(description, tag)], record["deal_id"]


def test_buyer_phrasings_never_contain_a_profile_phrasing() -> None:
    profile = [phrase for capability in vocab.CAPABILITIES for phrase in capability.profile]
    buyer_side = [phrase for capability in vocab.CAPABILITIES for phrase in capability.buyer]
    buyer_side += [word for words in vocab.INDUSTRY_BUYER_WORDS.values() for word in words]
    buyer_side += [*vocab.DEAL_TEMPLATES, *vocab.OUTCOME_TEMPLATES]
    clashes = [(p, b) for b in buyer_side for p in profile if _contains_phrase(b, p)]
    assert clashes == []


# --- vocabulary tables ---------------------------------------------------------------------------


def test_country_and_language_tables_round_trip_through_ingestion_normalisers() -> None:
    for country in vocab.COUNTRIES:
        assert taxonomy.normalise_country(country.code) == country.code
        assert taxonomy.normalise_country(country.name) == country.code
        for code in country.languages:
            assert taxonomy.normalise_language(code) == code
    for code, name in vocab.LANGUAGE_NAMES.items():
        assert taxonomy.normalise_language(name) == code


def test_vocabulary_covers_every_partner_type_and_industry() -> None:
    assert set(vocab.TYPE_PROFILE_WORDS) == set(taxonomy.PARTNER_TYPES)
    assert set(vocab.INDUSTRY_WEIGHTS) == set(taxonomy.INDUSTRIES)
    assert set(vocab.INDUSTRY_BUYER_WORDS) == set(taxonomy.INDUSTRIES)
    assert 30 <= len(vocab.CAPABILITIES) <= 40
    assert all(3 <= len(capability.profile) <= 5 for capability in vocab.CAPABILITIES)


def test_vocabulary_is_a_data_file_of_the_package_read_once() -> None:
    text = resources.files("training.simulate").joinpath("vocabulary.toml").read_text("utf-8")
    assert vocab.load() is vocab.load()
    assert vocab.parse(tomllib.loads(text)) == vocab.load()
    assert vocab.CAPABILITIES is vocab.load().capabilities
    pyproject = tomllib.loads((SAMPLE.parents[1] / "pyproject.toml").read_text("utf-8"))
    assert "*.toml" in pyproject["tool"]["setuptools"]["package-data"]["training.simulate"]


@pytest.mark.parametrize(
    ("table", "edit", "message"),
    [
        ("related_types", lambda t: t.update(reseller=["wholesaler"]), "unknown values"),
        ("industry_weights", lambda t: t.pop("banking"), "missing ['banking']"),
        ("region_words", lambda t: t.update(atlantis="Atlantis"), "[region_words]"),
    ],
)
def test_vocabulary_names_only_known_values(table: str, edit, message: str) -> None:
    text = resources.files("training.simulate").joinpath("vocabulary.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    edit(raw[table])
    with pytest.raises(ValueError, match=re.escape(message)):
        vocab.parse(raw)


# --- formats and arguments -----------------------------------------------------------------------


def test_jsonl_format_writes_lists_as_arrays(tmp_path: Path) -> None:
    summary = simulate(tmp_path, 30, 20, n_judged=2, fmt="jsonl")
    first = json.loads(summary.partners_path.read_text(encoding="utf-8").splitlines()[0])
    assert summary.partners_path.name == "partners.jsonl"
    assert isinstance(first["countries"], list) and isinstance(first["certifications"], list)
    Partner.model_validate(first)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_partners": 0, "n_deals": 10}, "n_partners must be at least 1"),
        ({"n_partners": 10, "n_deals": -1}, "n_deals must be at least 0"),
        ({"n_partners": 10, "n_deals": 10, "n_outcomes": 25}, "n_outcomes must be between"),
        ({"n_partners": 10, "n_deals": 10, "fmt": "xml"}, "fmt must be one of csv, jsonl"),
        ({"n_partners": 10, "n_deals": 10, "seed": -3}, "seed must be at least 0"),
    ],
)
def test_simulate_refuses_out_of_range_arguments(
    tmp_path: Path, arguments: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(tmp_path, **arguments)


def test_committed_sample_has_the_documented_size() -> None:
    assert sum(1 for _ in (SAMPLE / "partners.csv").open(encoding="utf-8")) == 1_001
    assert sum(1 for _ in (SAMPLE / "outcomes.csv").open(encoding="utf-8")) == 10_001
    assert sum(1 for _ in (SAMPLE / "judged_deals.jsonl").open(encoding="utf-8")) == 200
    assert sum(path.stat().st_size for path in SAMPLE.iterdir()) < 5_000_000


# --- command line --------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """A stand-in for the partnermatch app."""

    register(app)
    return app


def test_cli_simulate_writes_the_three_files(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "eco"
    args = ["simulate", "--partners", "40", "--deals", "60", "--judged", "3", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert {path.name for path in out.iterdir()} == {
        "partners.csv",
        "outcomes.csv",
        "judged_deals.jsonl",
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--partners", "-5", "--deals", "10"], "must be at least 1"),
        (["--partners", "10", "--deals", "10", "--outcomes", "50"], "between --deals and twice"),
        (["--partners", "10", "--deals", "10", "--format", "xml"], "xml"),
    ],
)
def test_cli_bad_arguments_give_a_clear_error_without_traceback(
    cli: typer.Typer, tmp_path: Path, extra: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["simulate", *extra, "--out", str(tmp_path / "eco")])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "eco").exists()
