from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.embedding.base import FakeEmbedder
from matcher.engine.build import build_engine
from matcher.engine.filters import PartnerColumns, coverage, violations
from matcher.engine.recommender import Recommender
from matcher.ipp.base import NeutralScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store

COUNTRIES = ["DE", "AT", "FR", "US", "JP"]
LANGUAGES = ["de", "en", "fr", "ja"]
CERTIFICATIONS = ["Cloud Architect", "Data Pro", "Security Expert"]
TYPES = ["reseller", "system_integrator", "consultancy", "managed_service_provider"]
WORDS = ["portfolio", "migration", "erp", "crm", "analytics", "security", "cloud", "retail"]


def synthetic_partners(n: int, seed: int = 0) -> list[Partner]:
    """A small random ecosystem over a narrow vocabulary, so filters bite often."""
    rng = random.Random(seed)
    partners = []
    for i in range(n):
        words = rng.sample(WORDS, 3)
        partners.append(
            Partner(
                partner_id=f"P-{i:03d}",
                name=f"Partner {i}",
                partner_type=rng.choice(TYPES),
                description=f"We deliver {' and '.join(words)} projects.",
                specialisms=[f"{words[0]} {words[1]}"],
                languages=rng.sample(LANGUAGES, rng.randint(0, 2)),
                countries=rng.sample(COUNTRIES, rng.randint(0, 2)),
                certifications=rng.sample(CERTIFICATIONS, rng.randint(0, 2)),
                industries=rng.sample(["manufacturing", "retail", "banking"], 1),
            )
        )
    return partners


def _columns(partners: list[Partner]) -> PartnerColumns:
    return PartnerColumns.from_rows(enumerate(partners, start=1))


def _allowed_ids(columns: PartnerColumns, deal: Deal) -> set[str]:
    return {columns.partner_of[r] for r in columns.compile(deal).allowed_rows().tolist()}


def test_funnel_counts_each_constraint_cumulatively() -> None:
    partners = [
        Partner(
            partner_id="A", name="a", partner_type="reseller", countries=["DE"], languages=["de"]
        ),
        Partner(
            partner_id="B",
            name="b",
            partner_type="consultancy",
            countries=["DE"],
            languages=["de", "en"],
            certifications=["Data Pro"],
        ),
        Partner(partner_id="C", name="c", partner_type="consultancy", countries=["FR"]),
    ]
    deal = Deal(
        description="x",
        country="DE",
        languages=["de"],
        certifications=["data  pro"],
        partner_types=["consultancy"],
    )
    result = _columns(partners).compile(deal)
    assert result.funnel == {
        "total": 3,
        "country": 2,
        "languages": 2,
        "certifications": 1,
        "partner_types": 1,
    }
    assert result.count == 1 and result.emptied_by is None


def test_empty_answer_names_the_constraint_that_emptied_it() -> None:
    partners = [Partner(partner_id="A", name="a", partner_type="reseller", countries=["DE"])]
    result = _columns(partners).compile(Deal(description="x", country="DE", languages=["ja"]))
    assert result.count == 0
    assert result.emptied_by == "languages"
    assert result.funnel["country"] == 1 and result.funnel["languages"] == 0


def test_certifications_match_by_normalised_key() -> None:
    partners = [
        Partner(partner_id="A", name="a", partner_type="reseller", certifications=["Data-Pro"])
    ]
    deal = Deal(description="x", certifications=["DATA pro"])
    assert _allowed_ids(_columns(partners), deal) == {"A"}


def test_excluded_partners_are_not_allowed_and_not_counted_as_filtered() -> None:
    partners = synthetic_partners(10)
    columns = _columns(partners)
    result = columns.compile(Deal(description="x", exclude=["P-003"]))
    assert "P-003" not in _allowed_ids(columns, Deal(description="x", exclude=["P-003"]))
    assert result.funnel["partner_types"] == 10


def test_non_strict_deal_allows_everyone_but_still_reports_the_funnel() -> None:
    partners = synthetic_partners(30)
    columns = _columns(partners)
    deal = Deal(description="x", country="JP", languages=["ja", "fr"], strict=False)
    result = columns.compile(deal)
    assert result.count == 30
    assert result.funnel["languages"] < 30
    assert result.emptied_by is None


def test_removed_partner_passes_no_filter() -> None:
    partners = synthetic_partners(5)
    columns = _columns(partners)
    columns.remove(1)
    assert "P-000" not in _allowed_ids(columns, Deal(description="x"))
    assert columns.compile(Deal(description="x")).funnel["total"] == 4


def test_an_updated_partner_leaves_its_old_facet_values() -> None:
    before = Partner(partner_id="Z", name="z", partner_type="isv", languages=["ja", "de"])
    after = Partner(partner_id="Z", name="z", partner_type="msp", languages=["fr"])
    columns = PartnerColumns.from_rows([(3, before)])
    columns.upsert(3, after)
    assert _allowed_ids(columns, Deal(description="x", languages=["ja"])) == set()
    assert _allowed_ids(columns, Deal(description="x", partner_types=["isv"])) == set()
    assert _allowed_ids(columns, Deal(description="x", languages=["fr"])) == {"Z"}
    assert len(columns) == 1


def test_columns_grow_for_row_ids_beyond_their_capacity() -> None:
    columns = PartnerColumns(capacity_rows=8)
    partner = Partner(partner_id="Z", name="z", partner_type="isv", languages=["ja"])
    columns.upsert(10_000, partner)
    assert _allowed_ids(columns, Deal(description="x", languages=["ja"])) == {"Z"}


def test_coverage_reports_shares_for_soft_matching() -> None:
    partner = Partner(
        partner_id="A", name="a", partner_type="reseller", languages=["de"], countries=["AT"]
    )
    deal = Deal(description="x", languages=["de", "fr"], country="DE", strict=False)
    found = coverage(deal, partner)
    assert found.language_share == 0.5
    assert found.country_served is False
    assert violations(deal, partner) == ["country", "languages"]


# -- property: strict constraints are never violated by the recommender ----------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Recommender:
    home = Path(tmp_path_factory.mktemp("filters-home"))
    settings = Settings(home=home)
    store = Store.from_settings(settings)
    store.upsert_partners(synthetic_partners(120, seed=7))
    return build_engine(store, FakeEmbedder(), NeutralScorer(), settings, save=False)


deals = st.builds(
    Deal,
    description=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    country=st.none() | st.sampled_from(COUNTRIES),
    languages=st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True),
    certifications=st.lists(st.sampled_from(CERTIFICATIONS), max_size=2, unique=True),
    partner_types=st.lists(st.sampled_from(TYPES), max_size=2, unique=True),
    top_k=st.integers(min_value=1, max_value=30),
    exclude=st.lists(st.sampled_from([f"P-{i:03d}" for i in range(120)]), max_size=5),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deal=deals)
def test_strict_filters_are_never_violated(engine: Recommender, deal: Deal) -> None:
    answer = engine.recommend(deal)
    for result in answer["results"]:
        _, partner = engine.store.get_partner_row(result["partner_id"])
        assert violations(deal, partner) == []
        assert partner.partner_id not in deal.exclude
    passing = answer["funnel"]["partner_types"]
    eligible = passing - sum(
        1
        for partner_id in set(deal.exclude)
        if partner_id in engine.columns.row_of
        and not violations(deal, engine.store.get_partner_row(partner_id)[1])
    )
    # the search is restricted, not post-filtered: every eligible partner up to top_k comes back
    assert len(answer["results"]) == min(deal.top_k, eligible)


def test_strict_language_filter_never_returns_a_non_speaker(engine: Recommender) -> None:
    answer = engine.recommend(Deal(description="cloud security", languages=["ja"], top_k=50))
    assert answer["results"]
    for result in answer["results"]:
        assert "ja" in result["evidence"]["languages"]


def test_allowed_rows_is_a_boolean_view_of_the_bitmap() -> None:
    columns = _columns(synthetic_partners(20))
    rows = columns.compile(Deal(description="x")).allowed_rows()
    assert rows.tolist() == list(range(1, 21))
    assert isinstance(rows, np.ndarray)
