"""The text-only rewrite of judged deals says in prose exactly what the fields said."""

from __future__ import annotations

from pathlib import Path

from matcher.engine.query import read_deal
from matcher.schemas import Deal
from training.evaluate import read_judged
from training.evaluate_text import PROSE_FIELDS, markdown, prose_only, read_translations

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_a_deal_without_those_fields_is_not_rewritten() -> None:
    assert prose_only("J-1", Deal(description="ERP rollout", specialisms=["erp"])) is None


def test_the_fields_move_into_the_description_and_are_cleared() -> None:
    deal = Deal(
        description="ERP rollout",
        country="DK",
        languages=["da"],
        industry="public_sector",
        partner_types=["reseller"],
        certifications=["Acme Expert"],
    )
    prose = prose_only("J-1", deal)
    assert prose is not None and prose.description is not None
    assert prose.description.startswith("ERP rollout ")
    assert "Denmark" in prose.description and "Danish" in prose.description
    assert all(not getattr(prose, name) for name in PROSE_FIELDS)
    assert prose.certifications == ["Acme Expert"]  # only the five fields move


def test_the_reader_recovers_every_moved_field_of_the_sample_deals() -> None:
    """Each rewritten sample deal is read back to its fields: languages and partner types as
    constraints when the deal was strict, the country and industry among the preferences."""
    for judged in read_judged(SAMPLE / "judged_deals.jsonl"):
        deal = judged.deal
        prose = prose_only(judged.deal_id, deal)
        if prose is None:
            continue
        read = read_deal(prose)
        if deal.country:
            assert deal.country in read.terms.countries, (judged.deal_id, prose.description)
        named = read.terms.industries
        # "technology" is a weak word (usually what is bought) and yields to another industry
        if deal.industry:
            wanted = named[:1] if deal.industry == "technology" else (deal.industry,)
            assert wanted and set(wanted) <= set(named), (judged.deal_id, prose.description)
        if deal.languages and deal.strict:
            assert set(read.deal.languages) == set(deal.languages), prose.description
        if deal.partner_types and deal.strict:
            assert set(read.deal.partner_types) == set(deal.partner_types), prose.description


def test_the_report_renders_both_tables() -> None:
    row = {
        "embedder": "m",
        "text_only": {
            "text_only": {"ndcg@10": 0.5},
            "with_fields": {"ndcg@10": 0.6},
            "ndcg_ratio": 0.83,
            "top5_country_share": {"text_only": 0.9, "with_fields": 1.0},
        },
        "cross_language": {"de": {"top10_overlap": 0.4, "ndcg_ratio": 0.8}},
        "query_latency": {"p50_ms": 2.0, "p99_ms": 3.0},
        "installed_mb": 31.5,
    }
    table = markdown({"backends": {"use": row}})
    assert "| m | 0.500 / 0.600 | 0.83 | 0.9 / 1.0 | 2.0 / 3.0 ms | 31.5 MB |" in table
    assert "| m | 0.40, 0.8 |" in table


def test_translations_are_read_per_language(tmp_path: Path) -> None:
    (tmp_path / "translations").mkdir()
    (tmp_path / "translations" / "de.jsonl").write_text(
        '{"deal_id": "J-1", "description": "ERP-Einführung"}\n', encoding="utf-8"
    )
    assert read_translations(tmp_path) == {"de": {"J-1": "ERP-Einführung"}}
