from __future__ import annotations

import pytest

from matcher import taxonomy
from matcher.taxonomy import UnknownValueError


@pytest.mark.parametrize("value", ["de", "DE", "German", "german", "deu", " German "])
def test_language_codes_and_english_names_normalise_to_iso_639_1(value: str) -> None:
    assert taxonomy.normalise_language(value) == "de"


@pytest.mark.parametrize(
    ("value", "code"), [("Malay", "ms"), ("Swahili", "sw"), ("Mandarin", "zh")]
)
def test_macrolanguages_and_common_names_are_understood(value: str, code: str) -> None:
    assert taxonomy.normalise_language(value) == code


def test_unknown_language_names_the_field_value_and_suggestions() -> None:
    with pytest.raises(UnknownValueError) as caught:
        taxonomy.normalise_language("Germn")
    assert caught.value.field == "language"
    assert caught.value.value == "Germn"
    assert "German" in caught.value.suggestions
    assert "Germn" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "code"),
    [("DE", "DE"), ("Germany", "DE"), ("deu", "DE"), ("UK", "GB"), ("United States", "US")],
)
def test_country_codes_and_names_normalise_to_alpha_2(value: str, code: str) -> None:
    assert taxonomy.normalise_country(value) == code


def test_region_words_expand_to_their_countries() -> None:
    assert taxonomy.normalise_countries("DACH") == ("DE", "AT", "CH")
    assert set(taxonomy.normalise_countries("Benelux")) == {"BE", "NL", "LU"}
    assert {"US", "CA", "BR", "MX"} <= set(taxonomy.normalise_countries("AMER"))
    emea = set(taxonomy.normalise_countries("EMEA"))
    assert {"DE", "FR", "SE", "ZA", "AE"} <= emea
    assert "US" not in emea


def test_every_region_member_is_a_real_country() -> None:
    import pycountry

    for codes in taxonomy.sales_regions().values():
        assert all(pycountry.countries.get(alpha_2=code) for code in codes)


def test_unknown_country_suggests_the_closest_names() -> None:
    with pytest.raises(UnknownValueError) as caught:
        taxonomy.normalise_countries("Germny")
    assert "Germany" in caught.value.suggestions


@pytest.mark.parametrize(
    ("value", "industry_id"),
    [
        ("manufacturing", "manufacturing"),
        ("Energy & Utilities", "energy_utilities"),
        ("energy and utilities", "energy_utilities"),
        ("ENERGY_UTILITIES", "energy_utilities"),
        ("Pharma", "life_sciences"),
        ("government", "public_sector"),
        ("Logistics", "transportation_logistics"),
        ("software", "technology"),
        ("telco", "telecommunications"),
        ("Architecture", "construction_engineering"),
    ],
)
def test_industry_names_ids_and_synonyms_map_to_canonical_ids(value: str, industry_id: str) -> None:
    assert taxonomy.normalise_industry(value) == industry_id


def test_unknown_industry_suggests_the_closest_ids() -> None:
    with pytest.raises(UnknownValueError) as caught:
        taxonomy.normalise_industry("manufactoring")
    assert caught.value.suggestions[0] == "manufacturing"


def test_certification_key_ignores_case_spacing_and_punctuation() -> None:
    keys = {
        taxonomy.certification_key(name)
        for name in [
            "Smartsheet Certified Solution Partner",
            "smartsheet  certified solution-partner",
            "SMARTSHEET CERTIFIED SOLUTION PARTNER.",
        ]
    }
    assert keys == {"smartsheet-certified-solution-partner"}


@pytest.mark.parametrize(
    ("value", "partner_type"),
    [
        ("System Integrator", "system_integrator"),
        ("MSP", "managed_service_provider"),
        ("VAR", "reseller"),
    ],
)
def test_partner_type_accepts_labels_and_common_abbreviations(
    value: str, partner_type: str
) -> None:
    assert taxonomy.normalise_partner_type(value) == partner_type


@pytest.mark.parametrize(
    ("normalise", "value", "expected"),
    [
        (taxonomy.normalise_segment, "Mid-market", "mid_market"),
        (taxonomy.normalise_segment, "SMB", "smb"),
        (taxonomy.normalise_tier, "Gold", "gold"),
        (taxonomy.normalise_tier, "Authorized", "registered"),
        (taxonomy.normalise_role, "Sourced", "sourced"),
    ],
)
def test_enums_normalise_case_and_spelling(normalise, value: str, expected: str) -> None:
    assert normalise(value) == expected


def test_unknown_tier_is_an_error_with_suggestions() -> None:
    with pytest.raises(UnknownValueError) as caught:
        taxonomy.normalise_tier("platnum")
    assert caught.value.suggestions[0] == "platinum"


def test_asset_must_name_a_known_kind() -> None:
    assert taxonomy.asset_kind("Template: Resource planning") == ("template", "Resource planning")
    with pytest.raises(UnknownValueError):
        taxonomy.asset_kind("widget:Thing")
    with pytest.raises(ValueError, match="must look like"):
        taxonomy.asset_kind("just a name")
