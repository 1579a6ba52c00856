from __future__ import annotations

import math
import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ipp.config import MatrixConfig
from matcher.ipp.four_cs import FEATURE_NAMES, FourCsAssessor, fit_priors, model_features
from matcher.ipp.history import PerformanceHistory, Priors
from matcher.schemas import Deal, Partner, Prospect

TODAY = date(2026, 1, 31)


def partner(**fields: object) -> Partner:
    values: dict[str, object] = {"partner_id": "P-1", "name": "Acme", "partner_type": "consultancy"}
    values.update(fields)
    return Partner(**values)


@pytest.fixture(scope="module")
def assessor() -> FourCsAssessor:
    return FourCsAssessor(reference_date=TODAY)


def test_evidence_lines_say_what_was_seen(assessor: FourCsAssessor) -> None:
    scores = assessor.assess(
        partner(
            employees=40, certified_staff=12, training_completion=0.85, last_active="2026-01-22"
        )
    )
    assert "12 certified staff of 40" in scores.evidence["capacity"]
    assert "training 85 % complete" in scores.evidence["commitment"]
    assert "last active 9 days ago" in scores.evidence["commitment"]


def test_commitment_known_answer(assessor: FourCsAssessor) -> None:
    # training 0.85 (w 1.5), manager yes 1.0 (w 1), registrations unknown -> prior 0.5 (w 1),
    # active 9 days ago -> 1.0 (w 1), 12/40 = 30 % certified -> 0.6 (w 1):
    # 100 * (1.275 + 1 + 0.5 + 1 + 0.6) / 5.5 = 79.545...
    scores = assessor.assess(
        partner(
            employees=40,
            certified_staff=12,
            training_completion=0.85,
            dedicated_manager=True,
            last_active="2026-01-22",
        )
    )
    assert scores.commitment == pytest.approx(100 * 4.375 / 5.5)


def test_customer_fit_against_a_deal_known_answer(assessor: FourCsAssessor) -> None:
    # industry served 1.0 (w 1.5), country not served 0.0 (w 1.5), segment served 1.0 (w 1)
    deal = Deal(industry="manufacturing", country="FR", segment="mid_market")
    scores = assessor.assess(
        partner(industries=["manufacturing"], countries=["DE"], segments=["mid_market"]), deal
    )
    assert scores.customer_fit == pytest.approx(100 * 2.5 / 4)
    assert "serves the deal's industry (Manufacturing)" in scores.evidence["customer_fit"]
    assert "does not serve FR" in scores.evidence["customer_fit"]


def test_win_rate_is_shrunk_toward_the_population_mean_with_the_sample_size(
    assessor: FourCsAssessor,
) -> None:
    # (8 + 10 * 0.3) / (10 + 10) = 0.55; value 0.5 + 0.55 - 0.3 = 0.75
    assessment = assessor.assess_detailed(partner(deals_won_12m=8, deals_lost_12m=2))
    track = next(c for c in assessment.criteria if c.name == "track_record")
    assert track.value == pytest.approx(0.75)
    assert track.evidence == "win rate 55 % (shrunk from 8 of 10 deals)"


def test_three_lucky_wins_do_not_beat_a_long_good_record(assessor: FourCsAssessor) -> None:
    lucky = assessor.assess_detailed(partner(deals_won_12m=3, deals_lost_12m=0))
    steady = assessor.assess_detailed(partner(deals_won_12m=60, deals_lost_12m=40))
    value = {
        a: next(c.value for c in x.criteria if c.name == "track_record")
        for a, x in (("lucky", lucky), ("steady", steady))
    }
    assert value["lucky"] < value["steady"]


def test_unknown_is_not_zero(assessor: FourCsAssessor) -> None:
    unknown = assessor.assess(partner(employees=40))
    zero = assessor.assess(partner(employees=40, certified_staff=0))
    assert "certified staff unknown" in unknown.evidence["capacity"]
    assert "0 certified staff of 40" in zero.evidence["capacity"]
    assert unknown.capacity > zero.capacity
    assert unknown.confidence < zero.confidence


def test_unknown_takes_the_population_prior() -> None:
    priors = Priors(values={"capacity.employees": 0.9})
    with_prior = FourCsAssessor(priors=priors, reference_date=TODAY).assess(partner())
    without = FourCsAssessor(reference_date=TODAY).assess(partner())
    # capacity: every criterion unknown, so it is the weighted mean of the priors
    assert with_prior.capacity > without.capacity
    assert without.capacity == pytest.approx(50.0)


def test_an_empty_profile_scores_neutral_with_zero_confidence(assessor: FourCsAssessor) -> None:
    scores = assessor.assess(Prospect(partner_id="X", name="X", partner_type="isv"))
    assert scores.as_dict() == {
        "capacity": 50.0,
        "capability": 50.0,
        "commitment": 50.0,
        "customer_fit": 50.0,
    }
    assert scores.confidence == 0.0
    assert "employees unknown" in scores.evidence["capacity"]


def test_prospects_are_not_penalised_for_having_no_history(assessor: FourCsAssessor) -> None:
    fields = {"partner_id": "X", "name": "X", "partner_type": "isv", "employees": 10}
    prospect = assessor.assess_detailed(Prospect(**fields))
    assert not any(c.name in ("track_record", "csat") for c in prospect.criteria)


def test_icp_customer_fit_names_the_missing_regions(assessor: FourCsAssessor) -> None:
    scores = assessor.assess(partner(countries=["GB", "US"]))
    line = next(e for e in scores.evidence["customer_fit"] if e.startswith("covers"))
    assert line.startswith("covers 2 of 5 target regions")
    assert "DACH" in line


def test_required_certifications_are_matched_by_normalised_name(assessor: FourCsAssessor) -> None:
    deal = Deal(industry="retail", certifications=["smartsheet certified  solution partner"])
    scores = assessor.assess(
        partner(certifications=["Smartsheet Certified Solution-Partner:4"]), deal
    )
    assert "holds 1 of 1 required certifications" in scores.evidence["capability"]


def test_config_refuses_unknown_criteria_listing_the_allowed() -> None:
    with pytest.raises(ValueError, match="allowed: employees"):
        MatrixConfig.from_dict({"criteria": {"capacity": {"staff": 1.0}}})


def test_fit_priors_averages_known_values_only() -> None:
    priors = fit_priors(
        [partner(partner_id="A", training_completion=0.2), partner(partner_id="B")],
        reference_date=TODAY,
    )
    assert priors.values["commitment.training"] == pytest.approx(0.2)


def test_model_features_mark_unknown_as_nan(assessor: FourCsAssessor) -> None:
    assessment = assessor.assess_detailed(partner(employees=40), Deal(industry="retail"))
    row = dict(zip(FEATURE_NAMES, model_features(assessment, None), strict=True))
    assert row["capacity.employees"] == pytest.approx(math.log1p(40) / math.log1p(500))
    assert math.isnan(row["capacity.customers"])


def test_history_argument_overrides_partner_fields(assessor: FourCsAssessor) -> None:
    history = PerformanceHistory(deals=4, wins=4, industry_deals={"retail": 3})
    assessment = assessor.assess_detailed(
        partner(deals_won_12m=0, deals_lost_12m=10), Deal(industry="retail"), history
    )
    evidence = assessment.four_cs.evidence["capability"]
    assert "3 past deals in Retail" in evidence
    assert any(line.startswith("win rate") and "4 of 4" in line for line in evidence)


def test_assess_is_fast(assessor: FourCsAssessor) -> None:
    full = partner(
        employees=40,
        certified_staff=12,
        customers=80,
        countries="EMEA",
        industries=["manufacturing", "retail"],
        segments=["mid_market"],
        languages=["de", "en"],
        certifications=["A:3", "B"],
        specialisms=["data migration"],
        training_completion=0.5,
        last_active="2026-01-01",
        dedicated_manager=True,
        deals_won_12m=5,
        deals_lost_12m=5,
        csat=80,
        active_projects=3,
        max_projects=10,
    )
    deal = Deal(
        description="x",
        industry="retail",
        country="DE",
        segment="mid_market",
        languages=["de"],
        certifications=["A"],
        partner_types=["consultancy"],
        specialisms=["data migration"],
    )
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        assessor.assess(full, deal)
    per_call = (time.perf_counter() - started) / runs
    assert per_call < 0.0005  # budget 0.1 ms on a quiet machine; generous for shared CI


counts = st.none() | st.integers(min_value=0, max_value=100_000)


@settings(max_examples=150, deadline=None)
@given(
    employees=counts,
    certified_staff=counts,
    customers=counts,
    active_projects=counts,
    max_projects=counts,
    deal_registrations_12m=counts,
    deals_won_12m=counts,
    deals_lost_12m=counts,
    training_completion=st.none() | st.floats(min_value=0, max_value=1),
    csat=st.none() | st.floats(min_value=0, max_value=100),
    dedicated_manager=st.none() | st.booleans(),
    last_active=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
)
def test_scores_stay_in_range_whatever_is_known(**fields: object) -> None:
    scores = FourCsAssessor(reference_date=TODAY).assess(
        partner(**fields), Deal(industry="retail", country="DE", segment="smb")
    )
    for value in scores.as_dict().values():
        assert 0.0 <= value <= 100.0
    assert 0.0 <= scores.confidence <= 1.0


# -- the partner's own criteria, computed once per profile ------------------------------------

CACHE_DEALS = [
    None,
    Deal(industry="manufacturing", country="DE", segment="mid_market", languages=["de"]),
    Deal(
        description="ERP migration",
        certifications=["Certified Solution Partner"],
        specialisms=["data migration", "ERP"],
        partner_types=["consultancy"],
    ),
]
CACHE_PARTNERS = [
    partner(),
    partner(
        partner_id="P-2",
        employees=40,
        certified_staff=12,
        customers=90,
        countries=["DE", "AT"],
        active_projects=3,
        max_projects=10,
        certifications=["Certified Solution Partner:4"],
        specialisms=["ERP data migration", "PPM"],
        industries=["manufacturing"],
        segments=["mid_market"],
        languages=["de", "en"],
        assets=["template:Migration plan"],
        dedicated_manager=True,
        training_completion=0.5,
        deal_registrations_12m=7,
        last_active="2026-01-02",
        deals_won_12m=6,
        deals_lost_12m=2,
        csat=88,
    ),
]


@pytest.mark.parametrize("target", CACHE_DEALS)
@pytest.mark.parametrize("profile", CACHE_PARTNERS, ids=["bare", "full"])
def test_an_assessment_from_the_cached_own_criteria_equals_a_fresh_one(
    profile: Partner, target: Deal | None
) -> None:
    history = PerformanceHistory(deals=10, wins=4, industry_deals={"manufacturing": 3})
    cached = FourCsAssessor(reference_date=TODAY)
    for other in CACHE_DEALS:  # the partner's own criteria cached by other deals first
        cached.assess_detailed(profile, other, history)

    assessment = cached.assess_detailed(profile, target, history)

    fresh = FourCsAssessor(reference_date=TODAY).assess_detailed(profile, target, history)
    assert assessment.criteria == fresh.criteria
    assert assessment.four_cs == fresh.four_cs


def test_a_partners_own_criteria_are_computed_once_per_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assessor = FourCsAssessor(reference_date=TODAY)
    computed: list[str] = []
    own = assessor._own
    monkeypatch.setattr(
        assessor, "_own", lambda p, h, today: computed.append(p.partner_id) or own(p, h, today)
    )
    profile = CACHE_PARTNERS[1]

    for target in CACHE_DEALS:
        assessor.assess(profile, target)

    assert computed == ["P-2"]


def test_a_rewritten_profile_of_the_same_partner_is_assessed_from_its_new_fields() -> None:
    assessor = FourCsAssessor(reference_date=TODAY)
    before = assessor.assess(partner(employees=2, certified_staff=0))

    after = assessor.assess(partner(employees=400, certified_staff=120))

    assert "400 employees" in after.evidence["capacity"]
    assert after.capacity > before.capacity
    assert after == FourCsAssessor(reference_date=TODAY).assess(
        partner(employees=400, certified_staff=120)
    )


def test_training_rows_assessed_as_of_a_day_are_not_cached() -> None:
    assessor = FourCsAssessor()
    profile = partner(last_active="2026-01-02")

    early = assessor.assess_detailed(profile, reference_date=date(2026, 1, 3))
    late = assessor.assess_detailed(profile, reference_date=date(2026, 6, 30))

    assert early.four_cs.commitment > late.four_cs.commitment
    assert assessor._own_criteria == {}
