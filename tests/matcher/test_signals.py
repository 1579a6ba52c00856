"""The vectorised structured signals agree with the per-partner definitions they replace."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.engine.filters import PartnerColumns, coverage
from matcher.engine.query import DealTerms
from matcher.engine.signals import TRACK_RECORD_SCALE, structured_signals
from matcher.schemas import Deal, Partner

PARTNERS = [
    Partner(
        partner_id="P-1",
        name="One",
        partner_type="system_integrator",
        languages=["de", "en"],
        countries=["DE", "AT"],
        industries=["manufacturing"],
        segments=["mid_market"],
        certifications=["SAP S/4HANA"],
        active_projects=3,
        max_projects=4,
    ),
    Partner(
        partner_id="P-2",
        name="Two",
        partner_type="reseller",
        languages=["en"],
        countries=["GB"],
        industries=["retail"],
        segments=["enterprise"],
        active_projects=9,
        max_projects=4,
    ),
    Partner(partner_id="P-3", name="Three", partner_type="msp"),  # leaves everything out
]


@pytest.fixture
def columns() -> PartnerColumns:
    return PartnerColumns.from_rows([(row, p) for row, p in enumerate(PARTNERS, start=5)])


def _signals(columns: PartnerColumns, deal: Deal, terms: DealTerms | None = None) -> dict:
    rows = np.array([5, 6, 7])
    ids = [p.partner_id for p in PARTNERS]
    wins = {("P-1", "manufacturing"): 5}
    return structured_signals(deal, terms or DealTerms(), columns, rows, ids, None, wins)


def test_unknown_scores_half_and_known_mismatch_zero(columns: PartnerColumns) -> None:
    signals = _signals(columns, Deal(industry="manufacturing", segment="mid_market"))
    assert signals["industry"].tolist() == [1.0, 0.0, 0.5]
    assert signals["segment"].tolist() == [1.0, 0.0, 0.5]
    assert signals["track_record"].tolist() == pytest.approx(
        [1 - np.exp(-5 / TRACK_RECORD_SCALE), 0.0, 0.0]
    )
    # 1 of 4 projects free; overbooked clamps to 0; unknown capacity is 0.5
    assert signals["capacity"].tolist() == pytest.approx([0.25, 0.0, 0.5])
    assert "specialisms" not in signals and "languages" not in signals


def test_description_terms_count_when_the_fields_are_empty(columns: PartnerColumns) -> None:
    terms = DealTerms(countries=("GB",), industries=("retail",))
    signals = _signals(columns, Deal(description="retail roll-out in the UK"), terms)
    assert signals["country"].tolist() == [0.0, 1.0, 0.5]
    assert signals["industry"].tolist() == [0.0, 1.0, 0.5]


def test_relaxed_constraints_match_per_partner_coverage(columns: PartnerColumns) -> None:
    deal = Deal(
        description="S/4HANA roll-out",
        country="DE",
        languages=["de", "fr"],
        certifications=["sap s/4hana"],
        partner_types=["reseller", "system_integrator"],
        strict=False,
    )
    signals = _signals(columns, deal)
    for position, partner in enumerate(PARTNERS):
        met = coverage(deal, partner)
        assert signals["languages"][position] == met.language_share
        assert signals["certifications"][position] == met.certification_share
        assert signals["country"][position] == float(bool(met.country_served))
        assert signals["partner_types"][position] == float(bool(met.partner_type_match))
    assert signals["languages"].tolist() == [0.5, 0.0, 0.0]


def test_strict_deals_have_no_coverage_signals(columns: PartnerColumns) -> None:
    deal = Deal(industry="retail", country="DE", languages=["de"], strict=True)
    signals = _signals(columns, deal)
    assert not {"languages", "country", "certifications", "partner_types"} & signals.keys()


def test_a_removed_row_forgets_its_capacity(columns: PartnerColumns) -> None:
    columns.remove(5)
    assert np.isnan(columns.headroom[5])
    assert not columns.has_any("industry", ["manufacturing"], np.array([5]))[0]
