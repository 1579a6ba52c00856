from __future__ import annotations

import pytest
from pydantic import ValidationError

from matcher.schemas import MAX_DESCRIPTION_CHARS, Deal, Outcome, Partner, Prospect, field_problems


def problems(model: type, **values: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model(**values)
    return {problem.field: problem.message for problem in field_problems(caught.value)}


def test_csv_style_partner_row_is_normalised() -> None:
    partner = Partner(
        partner_id="P-1",
        name="Acme Consulting",
        partner_type="System Integrator",
        languages="German; English",
        countries="DACH;France",
        industries="Pharma;Energy and Utilities",
        certifications="Certified Solution Partner:3; PMP",
        segments="Mid-market",
        tier="Gold",
        employees="40",
        training_completion="0.85",
        dedicated_manager="yes",
        last_active="2026-10-01",
        assets="template:Portfolio intake",
    )
    assert partner.partner_type == "system_integrator"
    assert partner.languages == ["de", "en"]
    assert partner.countries == ["DE", "AT", "CH", "FR"]
    assert partner.industries == ["life_sciences", "energy_utilities"]
    assert [(c.key, c.name, c.holders) for c in partner.certifications] == [
        ("certified-solution-partner", "Certified Solution Partner", 3),
        ("pmp", "PMP", None),
    ]
    assert partner.segments == ["mid_market"]
    assert partner.employees == 40
    assert partner.dedicated_manager is True


def test_blank_csv_cells_are_unknown_not_zero() -> None:
    partner = Partner(
        partner_id="P-1", name="A", partner_type="isv", employees="", csat="", languages=""
    )
    assert partner.employees is None
    assert partner.csat is None
    assert partner.languages == []


def test_jsonl_arrays_are_accepted_like_csv_lists() -> None:
    from_csv = Partner(partner_id="P-1", name="A", partner_type="isv", languages="de;fr")
    from_json = Partner(partner_id="P-1", name="A", partner_type="isv", languages=["de", "fr"])
    assert from_csv == from_json


def test_duplicate_list_values_collapse_after_normalisation() -> None:
    partner = Partner(partner_id="P-1", name="A", partner_type="isv", languages="de;German;deu")
    assert partner.languages == ["de"]


def test_ids_are_text_with_leading_zeros_kept_and_numbers_refused() -> None:
    assert Partner(partner_id="007", name="Bond", partner_type="agency").partner_id == "007"
    assert problems(Partner, partner_id=7, name="Bond", partner_type="agency") == {
        "partner_id": "an id must be text (quote it in JSON)"
    }


def test_every_bad_field_is_reported_by_name() -> None:
    found = problems(
        Partner,
        partner_id="P 1",
        name="",
        partner_type="integratr",
        industries="manufactoring",
        employees="-3",
        training_completion="1.5",
        csat="abc",
    )
    assert set(found) == {
        "partner_id",
        "name",
        "partner_type",
        "industries",
        "employees",
        "training_completion",
        "csat",
    }
    assert "closest allowed: manufacturing" in found["industries"]
    assert "system_integrator" in found["partner_type"]


def test_missing_required_fields_are_named() -> None:
    found = problems(Partner, name="A")
    assert found == {
        "partner_id": "required value is missing",
        "partner_type": "required value is missing",
    }


def test_over_long_description_is_rejected() -> None:
    found = problems(
        Partner,
        partner_id="P-1",
        name="A",
        partner_type="isv",
        description="x" * (MAX_DESCRIPTION_CHARS + 1),
    )
    assert "description" in found


def test_public_view_holds_no_internal_field() -> None:
    partner = Partner(
        partner_id="P-1",
        name="A",
        partner_type="isv",
        csat=90,
        revenue_12m=1e6,
        deals_won_12m=4,
        employees=10,
        certifications="X:2",
    )
    public = partner.public()
    assert set(public) == set(Partner.PUBLIC_FIELDS)
    assert public["certifications"] == ["X"]


def test_prospect_ignores_performance_history() -> None:
    prospect = Prospect(partner_id="N-1", name="New", partner_type="msp", deals_won_12m=10)
    assert not hasattr(prospect, "deals_won_12m")


def test_outcome_normalises_role_country_and_booleans() -> None:
    outcome = Outcome(
        deal_id="D-1",
        partner_id="P-1",
        role="Sourced",
        won="false",
        closed_on="2025-03-01",
        country="Germany",
        industry="Pharma",
        deal_size="120000",
    )
    assert (outcome.role, outcome.won, outcome.country, outcome.industry) == (
        "sourced",
        False,
        "DE",
        "life_sciences",
    )


def test_outcome_rejects_an_unknown_role_and_bad_date() -> None:
    found = problems(
        Outcome, deal_id="D-1", partner_id="P-1", role="owner", won="true", closed_on="yesterday"
    )
    assert set(found) == {"role", "closed_on"}


def test_deal_contract_example_validates() -> None:
    deal = Deal.model_validate(
        {
            "description": "Roll out portfolio management for a mid-size German car-parts maker",
            "industry": "manufacturing",
            "country": "DE",
            "segment": "mid_market",
            "languages": ["de"],
            "certifications": ["Smartsheet Certified Solution Partner"],
            "partner_types": ["system_integrator", "consultancy"],
            "specialisms": ["portfolio management"],
            "deal_size": 120000,
            "top_k": 10,
            "exclude": [],
            "strict": True,
        }
    )
    assert deal.certification_keys == ["smartsheet-certified-solution-partner"]
    assert deal.strict is True


def test_deal_needs_description_industry_or_specialisms() -> None:
    with pytest.raises(
        ValidationError, match="at least one of description, industry or specialisms"
    ):
        Deal(country="DE")


@pytest.mark.parametrize("top_k", [0, 101])
def test_deal_top_k_is_bounded(top_k: int) -> None:
    assert "top_k" in problems(Deal, description="x", top_k=top_k)


def test_deal_rejects_unknown_keys() -> None:
    assert "colour" in problems(Deal, description="x", colour="red")
