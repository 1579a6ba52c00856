from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.embedding.base import FakeEmbedder
from matcher.engine.build import build_engine
from matcher.engine.filters import FUNNEL_KEYS, PartnerColumns, at_capacity, coverage, violations
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
        "at_capacity": 0,
        "country": 2,
        "languages": 2,
        "certifications": 1,
        "partner_types": 1,
    }
    assert result.count == 1 and result.emptied_by is None
    assert tuple(result.funnel) == FUNNEL_KEYS


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


# -- capacity: at capacity or paused partners are left out unless the deal includes them -----

TODAY = date.today()


def _capacity_partners() -> list[Partner]:
    def partner(partner_id: str, **fields: object) -> Partner:
        return Partner(partner_id=partner_id, name=partner_id, partner_type="consultancy", **fields)

    return [
        partner("FREE", active_projects=2, max_projects=5, countries=["DE"]),
        partner("FULL", active_projects=5, max_projects=5, countries=["DE"]),
        partner("OVER", active_projects=7, max_projects=5, countries=["FR"]),
        partner("UNKNOWN", active_projects=9, countries=["DE"]),  # no maximum: not full
        partner("ZERO", active_projects=3, max_projects=0, countries=["DE"]),  # 0: unknown
        partner("PAUSED", paused_until=TODAY + timedelta(days=30), countries=["DE"]),
        partner("PAUSE-ENDS-TODAY", paused_until=TODAY, countries=["DE"]),
        partner("PAUSE-OVER", paused_until=TODAY - timedelta(days=3), countries=["DE"]),
    ]


def test_at_capacity_means_both_counts_known_and_every_slot_taken() -> None:
    flags = {p.partner_id: at_capacity(p) for p in _capacity_partners()}
    assert {pid for pid, full in flags.items() if full} == {"FULL", "OVER"}


def test_at_capacity_and_paused_partners_are_left_out_and_counted() -> None:
    columns = _columns(_capacity_partners())
    result = columns.compile(Deal(description="x"))
    allowed = {columns.partner_of[r] for r in result.allowed_rows().tolist()}
    assert allowed == {"FREE", "UNKNOWN", "ZERO", "PAUSE-ENDS-TODAY", "PAUSE-OVER"}
    assert result.funnel["total"] == 8
    assert result.funnel["at_capacity"] == 3
    # the constraints count after capacity: 5 available, all consultancies
    assert result.funnel["partner_types"] == 5
    assert result.emptied_by is None


def test_the_constraints_count_available_partners_and_capacity_can_empty_the_pool() -> None:
    columns = _columns(_capacity_partners())
    result = columns.compile(Deal(description="x", country="FR"))
    assert result.funnel["at_capacity"] == 3
    assert result.funnel["country"] == 0  # OVER is the only one serving France
    # France is served, by a partner with no room: capacity emptied the pool, not the country
    assert result.emptied_by == "at_capacity"
    nobody = columns.compile(Deal(description="x", country="JP"))
    assert nobody.funnel["country"] == 0 and nobody.emptied_by == "country"
    with_full = columns.compile(Deal(description="x", country="FR", include_at_capacity=True))
    assert with_full.count == 1 and with_full.emptied_by is None


def test_include_at_capacity_brings_them_back() -> None:
    columns = _columns(_capacity_partners())
    result = columns.compile(Deal(description="x", include_at_capacity=True))
    assert result.count == 8
    assert result.funnel["at_capacity"] == 0
    assert result.funnel["partner_types"] == 8


def test_capacity_applies_to_non_strict_deals_too() -> None:
    columns = _columns(_capacity_partners())
    result = columns.compile(Deal(description="x", country="JP", strict=False))
    assert result.count == 5  # the constraints do not restrict, capacity does
    assert result.funnel["at_capacity"] == 3
    assert result.emptied_by is None
    included = columns.compile(
        Deal(description="x", country="JP", strict=False, include_at_capacity=True)
    )
    assert included.count == 8


def test_a_pause_expires_on_its_date_without_a_rebuild() -> None:
    columns = _columns(_capacity_partners())
    deal = Deal(description="x")
    paused_row = columns.row_of["PAUSED"]
    assert paused_row not in columns.compile(deal).allowed_rows().tolist()
    later = TODAY + timedelta(days=30)
    assert paused_row in columns.compile(deal, today=later).allowed_rows().tolist()
    assert columns.compile(deal, today=later).funnel["at_capacity"] == 2
    # and before today, the pauses that are over today still held
    earlier = columns.compile(deal, today=TODAY - timedelta(days=4))
    assert earlier.funnel["at_capacity"] == 5
    assert columns.compile(deal).funnel["at_capacity"] == 3  # the cached day is not stuck


def test_a_pool_emptied_by_capacity_says_so() -> None:
    partners = [
        Partner(partner_id="A", name="a", partner_type="isv", active_projects=4, max_projects=4),
        Partner(
            partner_id="B", name="b", partner_type="isv", paused_until=TODAY + timedelta(days=1)
        ),
    ]
    columns = _columns(partners)
    strict = columns.compile(Deal(description="x", languages=["de"]))
    assert strict.count == 0
    assert strict.funnel["at_capacity"] == 2 and strict.funnel["languages"] == 0
    assert strict.emptied_by == "at_capacity"
    loose = columns.compile(Deal(description="x", strict=False))
    assert loose.count == 0 and loose.emptied_by == "at_capacity"
    assert columns.compile(Deal(description="x", include_at_capacity=True)).count == 2


def test_upsert_and_remove_maintain_availability() -> None:
    free = Partner(partner_id="Z", name="z", partner_type="isv", active_projects=1, max_projects=3)
    columns = PartnerColumns.from_rows([(3, free)])
    deal = Deal(description="x")
    assert columns.compile(deal).count == 1
    columns.upsert(3, free.model_copy(update={"active_projects": 3}))
    assert columns.compile(deal).count == 0
    assert columns.compile(deal).funnel["at_capacity"] == 1
    columns.upsert(3, free.model_copy(update={"paused_until": TODAY + timedelta(days=9)}))
    assert columns.compile(deal).count == 0
    columns.upsert(3, free)  # unpaused, room again
    assert columns.compile(deal).count == 1
    # a new row beyond the current capacity, at capacity from the start
    columns.upsert(5_000, free.model_copy(update={"partner_id": "Y", "active_projects": 3}))
    result = columns.compile(deal)
    assert result.funnel == {**result.funnel, "total": 2, "at_capacity": 1}
    columns.remove(5_000)
    assert columns.compile(deal).funnel["at_capacity"] == 0
    assert columns.compile(deal).funnel["total"] == 1


def _certified(partner_id: str, certification: str) -> Partner:
    return Partner(
        partner_id=partner_id,
        name=partner_id,
        partner_type="reseller",
        description="crm rollout",
        certifications=[certification],
    )


def test_an_expired_certification_meets_no_requirement_and_says_so() -> None:
    today = date.today()
    past, future = today - timedelta(days=1), today + timedelta(days=30)
    rows = [
        (0, _certified("P-OLD", f"Cloud Pro:3:{past.isoformat()}")),
        (1, _certified("P-NEW", f"Cloud Pro:2:{future.isoformat()}")),
        (2, _certified("P-FOREVER", "Cloud Pro")),
    ]
    columns = PartnerColumns.from_rows(rows)
    deal = Deal(description="crm", certifications=["Cloud Pro"])
    assert columns.compile(deal).funnel["certifications"] == 2
    # the day after its expiry the second one lapses too, without a rebuild
    later = columns.compile(deal, today=future + timedelta(days=1))
    assert later.funnel["certifications"] == 1
    assert columns.row_ids(later.allowed).tolist() == [2]
    # renewed by an upsert, it counts again (the lapse of the old date does not clear it)
    columns.upsert(1, _certified("P-NEW", "Cloud Pro:2:2099-01-01"))
    assert columns.compile(deal, today=future + timedelta(days=2)).funnel["certifications"] == 2
    old = rows[0][1]
    assert coverage(deal, old).certifications == []
    assert old.certifications[0].expires_on == past and old.certifications[0].holders == 3


def test_the_reason_names_an_expired_required_certification() -> None:
    from matcher.engine.explain import explain

    past = date.today() - timedelta(days=10)
    partner = _certified("P-OLD", f"Cloud Pro:3:{past.isoformat()}")
    deal = Deal(description="crm", certifications=["Cloud Pro"], strict=False)
    explanation = explain(deal, partner, coverage(deal, partner), [], None)
    assert "lacks the required certification" in explanation.reason.lower()
    assert f"Cloud Pro expired {past.isoformat()}" in explanation.reason


def test_a_bad_expiry_date_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="certification expiry '2025-13-01'"):
        _certified("P-X", "Cloud Pro:3:2025-13-01")


def test_certification_expiry_survives_the_store(store: Store) -> None:
    store.upsert_partners([_certified("P-OLD", "Cloud Pro:3:2025-01-01")])
    stored = store.get_partner("P-OLD")
    assert stored is not None
    assert stored.certifications[0].expires_on == date(2025, 1, 1)
    assert not stored.certifications[0].valid_on(date(2025, 1, 2))
