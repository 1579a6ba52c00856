from __future__ import annotations

from datetime import date

import pytest

from matcher.ipp.base import FourCs, IppScorer
from matcher.ipp.matrix import MatrixScorer
from matcher.schemas import Deal, Partner

SCORES = FourCs(capacity=40.0, capability=80.0, commitment=60.0, customer_fit=100.0)


@pytest.fixture(scope="module")
def scorer() -> MatrixScorer:
    return MatrixScorer(reference_date=date(2026, 1, 31))


def partner(**fields: object) -> Partner:
    values: dict[str, object] = {"partner_id": "P-1", "name": "Acme", "partner_type": "reseller"}
    values.update(fields)
    return Partner(**values)


def test_matrix_is_an_ipp_scorer_named_matrix_default(scorer: MatrixScorer) -> None:
    assert isinstance(scorer, IppScorer)
    assert scorer.version == "matrix-default"


def test_fit_is_the_equal_weighted_mean_by_default(scorer: MatrixScorer) -> None:
    assert scorer.fit(partner(), SCORES) == pytest.approx(0.70)


def test_weights_override_per_request(scorer: MatrixScorer) -> None:
    # (2*80 + 40 + 60 + 100) / 5 = 72
    heavier = scorer.with_weights({"capability": 2})
    assert heavier.fit(partner(), SCORES) == pytest.approx(0.72)
    assert scorer.fit(partner(), SCORES) == pytest.approx(0.70)
    assert MatrixScorer(weights={"capability": 2}).fit(partner(), SCORES) == pytest.approx(0.72)


def test_unknown_c_in_weights_is_refused_listing_the_allowed(scorer: MatrixScorer) -> None:
    with pytest.raises(ValueError, match="allowed: capacity, capability, commitment, customer_fit"):
        scorer.with_weights({"charisma": 1})


def test_negative_weight_is_refused(scorer: MatrixScorer) -> None:
    with pytest.raises(ValueError, match="capacity"):
        MatrixScorer(weights={"capacity": -1})


def test_works_with_no_history_at_all(scorer: MatrixScorer) -> None:
    deal = Deal(description="ERP roll-out", industry="manufacturing", country="DE")
    scores = scorer.assess(partner(industries=["manufacturing"], countries=["DE"]), deal)
    fit = scorer.fit(partner(), scores, deal)
    assert 0 <= fit <= 1
    assert "win rate unknown (no closed deals)" in scores.evidence["capability"]


def test_a_better_matching_partner_scores_higher(scorer: MatrixScorer) -> None:
    deal = Deal(industry="manufacturing", country="DE", languages=["de"])
    good = partner(industries=["manufacturing"], countries=["DE"], languages=["de"])
    poor = partner(industries=["retail"], countries=["FR"], languages=["fr"])
    assert scorer.fit(good, scorer.assess(good, deal), deal) > scorer.fit(
        poor, scorer.assess(poor, deal), deal
    )


def test_fit_many_equals_fit(scorer: MatrixScorer) -> None:
    partners = [partner(partner_id=f"P-{i}", employees=10 * i + 1) for i in range(3)]
    four_cs = [scorer.assess(p) for p in partners]
    many = scorer.fit_many(partners, four_cs)
    assert list(many) == [scorer.fit(p, f) for p, f in zip(partners, four_cs, strict=True)]
