from __future__ import annotations

import numpy as np
import pytest

from matcher.embedding.base import Embedder, FakeEmbedder
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


HOSPITAL_DEAL = Deal(
    description=(
        "Migrate a French hospital group's patient billing to the cloud, "
        "French-speaking team required"
    )
)


def test_a_destination_keeps_its_verb() -> None:
    # "the cloud" alone was the phrase "cloud migration" had to match (0.53 with MiniLM)
    assert deal_phrases(HOSPITAL_DEAL) == [
        "Migrate a French hospital group's patient billing",
        "Migrate to the cloud",
        "French-speaking team required",
    ]
    assert "Move to the cloud" in deal_phrases(Deal(description="Move our ERP to the cloud"))
    # not an infinitive, nor a clause opened by someone rather than a verb
    assert deal_phrases(Deal(description="Train staff to use the platform")) == [
        "Train staff",
        "use the platform",
    ]
    assert deal_phrases(Deal(description="We are moving from Jira to the platform")) == [
        "We are moving from Jira",
        "the platform",
    ]


def test_one_word_clauses_stay_with_their_neighbour_instead_of_vanishing() -> None:
    assert deal_phrases(Deal(description="Training for admins")) == ["Training for admins"]
    assert deal_phrases(Deal(description="Migration in die Cloud")) == ["Migration in die Cloud"]
    assert deal_phrases(Deal(description="Projektportfoliomanagement")) == [
        "Projektportfoliomanagement"
    ]
    assert deal_phrases(Deal(description="PPM, SSO and reporting")) == ["PPM", "SSO and reporting"]
    assert deal_phrases(Deal(description="SSO for 3,000 staff at a bank")) == [
        "SSO for 3,000 staff",
        "a bank",
    ]


@pytest.mark.parametrize("threshold", [-1.0, 0.3, 2.0])
def test_reason_names_what_match_specialisms_matched_and_only_that(threshold: float) -> None:
    embedder = FakeEmbedder()
    partner = _partner(specialisms=["cloud migration", "patient-care workflows"])
    phrases = deal_phrases(HOSPITAL_DEAL)
    matches = match_specialisms(
        partner.specialisms,
        embedder.embed(partner.specialisms),
        phrases,
        embedder.embed(phrases),
        threshold,
    )
    reason = explain(HOSPITAL_DEAL, partner, coverage(HOSPITAL_DEAL, partner), matches, None)
    matched = [m.specialism for m in matches]
    assert [s for s in partner.specialisms if s in reason.reason] == [
        s for s in partner.specialisms if s in matched
    ]
    assert ("no listed specialism matches" in reason.reason.lower()) == (not matches)


@pytest.mark.slow
def test_the_hospital_cloud_deal_credits_cloud_migration_not_patient_care(
    real_embedder: Embedder,
) -> None:
    """The complaint: "No listed specialism matches the deal" for a partner listing "cloud
    migration" on a deal to move hospital billing to the cloud."""
    from matcher.embedding.calibration import calibration_for

    partner = _partner(specialisms=["patient-care workflows", "cloud migration"])
    phrases = deal_phrases(HOSPITAL_DEAL)
    matches = match_specialisms(
        partner.specialisms,
        real_embedder.embed(partner.specialisms),
        phrases,
        real_embedder.embed(phrases),
        calibration_for(real_embedder.model_id).specialism_match,
    )
    assert [(m.specialism, m.deal_phrase) for m in matches] == [
        ("cloud migration", "Migrate to the cloud")
    ]
    reason = explain(HOSPITAL_DEAL, partner, coverage(HOSPITAL_DEAL, partner), matches, None)
    assert "strong capability match on cloud migration" in reason.reason.lower()
    assert "patient-care" not in reason.reason and "no listed specialism" not in reason.reason
