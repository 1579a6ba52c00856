from __future__ import annotations

import numpy as np

from matcher.embedding.base import FakeEmbedder
from matcher.engine.explain import SpecialismMatch, deal_phrases, explain, match_specialisms
from matcher.engine.filters import coverage
from matcher.schemas import Deal, Partner

GERMAN_DEAL = Deal(
    description="Roll out portfolio management for a German car-parts maker",
    industry="manufacturing",
    languages=["de"],
    certifications=["Smartsheet Certified Solution Partner", "Smartsheet Admin"],
)


def _partner(**fields: object) -> Partner:
    fields.setdefault("partner_type", "system_integrator")
    return Partner(partner_id="P-1", name="Acme", **fields)


def test_reason_line_reads_like_the_seller_example() -> None:
    partner = _partner(
        languages=["de"],
        industries=["manufacturing"],
        certifications=["Smartsheet certified solution partner", "Smartsheet Admin:2"],
        active_projects=3,
        max_projects=10,
    )
    match = SpecialismMatch("portfolio management", "Roll out portfolio management", 0.82)
    result = explain(GERMAN_DEAL, partner, coverage(GERMAN_DEAL, partner), [match], 14)
    assert result.reason == (
        "Speaks German, holds 2 of 2 required certifications, 14 manufacturing deals won; "
        "strong capability match on portfolio management"
    )
    assert result.evidence["languages"] == ["de"]
    assert result.evidence["industries"] == ["manufacturing"]
    assert result.evidence["specialisms"] == ["portfolio management"]
    assert (
        result.evidence["specialism_matches"][0]["deal_phrase"] == "Roll out portfolio management"
    )


def test_missing_data_is_said_not_hidden() -> None:
    partner = _partner()
    result = explain(GERMAN_DEAL, partner, coverage(GERMAN_DEAL, partner), [], None)
    assert "languages not listed" in result.reason
    assert "industries not listed" in result.reason
    assert "capacity unknown" in result.reason
    assert "no deal history loaded" in result.reason
    assert "holds 0 of 2 required certifications" in result.reason.lower()
    assert "specialisms not listed" in result.reason
    assert result.missing == result.evidence["missing"]


def test_partial_language_coverage_is_spelled_out() -> None:
    deal = Deal(description="x", languages=["de", "fr"], strict=False)
    partner = _partner(languages=["de"])
    assert explain(deal, partner, coverage(deal, partner), [], None).reason.startswith(
        "Speaks German but not French"
    )


def test_single_required_certification_reads_naturally() -> None:
    deal = Deal(description="x", certifications=["Data Pro"])
    partner = _partner(certifications=["data pro"], active_projects=1, max_projects=4)
    assert (
        "holds the required certification"
        in explain(deal, partner, coverage(deal, partner), [], None).reason.lower()
    )


def test_country_served_is_evidence() -> None:
    deal = Deal(description="x", country="DE")
    partner = _partner(countries=["DACH"], active_projects=1, max_projects=4)
    result = explain(deal, partner, coverage(deal, partner), [], None)
    assert result.evidence["country"] == "DE"
    assert "serves germany" in result.reason.lower()


def test_deal_phrases_come_from_specialisms_or_description_clauses() -> None:
    assert deal_phrases(Deal(specialisms=["PPM", "data migration"])) == ["PPM", "data migration"]
    assert deal_phrases(Deal(description="Roll out PPM for a car-parts maker, fast")) == [
        "Roll out PPM",
        "a car-parts maker",
    ]


def test_specialisms_match_the_closest_deal_phrase_above_the_threshold() -> None:
    embedder = FakeEmbedder()
    specialisms = ["project portfolio management", "crm"]
    phrases = ["portfolio management", "a car maker"]
    matches = match_specialisms(
        specialisms, embedder.embed(specialisms), phrases, embedder.embed(phrases), 0.6
    )
    assert [(m.specialism, m.deal_phrase) for m in matches] == [
        ("project portfolio management", "portfolio management")
    ]
    assert 0.6 <= matches[0].similarity <= 1.0
    assert match_specialisms([], np.zeros((0, 4)), phrases, np.zeros((2, 4)), 0.6) == []
