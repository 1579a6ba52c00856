from __future__ import annotations

import pytest

from matcher import taxonomy
from matcher.engine.query import DealTerms, read_deal, read_terms
from matcher.schemas import Deal


def test_country_and_industry_named_in_the_text_are_read() -> None:
    terms = read_terms("A regional bank in the United Kingdom needs a CRM rollout")
    assert (terms.countries, terms.industries) == (("GB",), ("banking",))
    assert not terms.required


def test_two_letter_words_do_not_match_codes_or_synonyms() -> None:
    assert read_terms("We want it done by us, in time") == DealTerms()


def test_empty_text_names_nothing() -> None:
    assert read_terms(None) == DealTerms()


def test_a_bare_demonym_names_the_customers_country_not_a_language() -> None:
    terms = read_terms("Migrate a French hospital group's patient billing to the cloud")
    assert terms.countries == ("FR",) and terms.languages == ()
    assert terms.industries == ("healthcare",)


def test_a_speaking_phrase_names_a_language_not_a_country() -> None:
    terms = read_terms("A French-speaking team for a retailer")
    assert terms.languages == ("fr",) and terms.countries == ()


def test_the_issue_brief_reads_france_healthcare_and_a_required_french_team() -> None:
    read = read_deal(
        Deal(
            description="Migrate a French hospital group's patient billing to the cloud, "
            "French-speaking team required"
        )
    )
    assert read.deal.languages == ["fr"]  # "required": a hard constraint under strict
    assert read.terms.countries == ("FR",)  # named without a requirement: a preference
    assert read.report is not None
    assert read.report["applied"] == {
        "countries": "preference",
        "industries": "preference",
        "languages": "constraint",
    }


@pytest.mark.parametrize(
    ("brief", "country", "language", "industry"),
    [
        (
            "Einführung eines ERP-Systems bei einem mittelständischen Maschinenbauer in Bayern, "
            "deutschsprachiges Team zwingend",
            "DE",
            "de",
            "manufacturing",
        ),
        (
            "Migration de la facturation d'un hôpital à Lyon, équipe francophone obligatoire",
            "FR",
            "fr",
            "healthcare",
        ),
        (
            "Implantación de un CRM para una cadena de tiendas de moda en Madrid, "
            "el partner debe hablar español",
            "ES",
            "es",
            "retail",
        ),
        (
            "Implementatie van een ERP-systeem voor een ziekenhuis in Rotterdam, "
            "alleen Nederlandstalige partners",
            "NL",
            "nl",
            "healthcare",
        ),
    ],
)
def test_briefs_in_four_languages_are_read_with_their_requirement(
    brief: str, country: str, language: str, industry: str
) -> None:
    read = read_deal(Deal(description=brief))
    assert read.deal.languages == [language]
    assert read.terms.countries == (country,)
    assert read.terms.industries == (industry,)


def test_a_required_country_becomes_the_served_country_constraint() -> None:
    read = read_deal(Deal(description="ERP rollout; the partner must be based in Austria"))
    assert read.deal.country == "AT" and read.terms.countries == ()


def test_a_required_region_stays_a_preference_a_deal_has_one_country() -> None:
    read = read_deal(Deal(description="Insurer rollout, DACH coverage required"))
    assert read.deal.country is None
    assert set(read.terms.countries) == {"DE", "AT", "CH"}


def test_structured_fields_win_over_the_text() -> None:
    read = read_deal(
        Deal(description="A retailer in France, French-speaking required", country="DE")
    )
    assert read.deal.country == "DE" and read.terms.countries == ()
    assert read.report is not None and read.report["countries"] == []


def test_a_non_strict_deal_reads_requirements_as_preferences() -> None:
    read = read_deal(Deal(description="French-speaking team required", strict=False))
    assert read.deal.languages == [] and read.terms.languages == ("fr",)


def test_reading_can_be_turned_off() -> None:
    read = read_deal(Deal(description="French-speaking team required", read_description=False))
    assert read.deal.languages == [] and read.terms == DealTerms() and read.report is None


def test_upper_case_us_is_the_country_lower_case_us_is_not() -> None:
    assert read_terms("Rollout for a US retailer").countries == ("US",)
    assert read_terms("Let us know").countries == ()


def test_segment_and_partner_type_are_read_as_preferences() -> None:
    read = read_deal(Deal(description="Managed services provider for a mid-market insurer"))
    assert read.deal.segment == "mid_market"
    assert read.terms.partner_types == ("managed_service_provider",)
    assert read.deal.partner_types == []


def test_every_value_read_is_a_report_entry_with_a_stable_key() -> None:
    read = read_deal(Deal(description="A hospital in Munich, German-speaking team required"))
    assert read.report is not None
    assert read.report["entries"] == [
        {
            "key": "countries:DE",
            "kind": "countries",
            "value": "DE",
            "label": "Germany",
            "applied": "preference",
            "words": ["munich"],
        },
        {
            "key": "industries:healthcare",
            "kind": "industries",
            "value": "healthcare",
            "label": "Healthcare",
            "applied": "preference",
            "words": ["hospital"],
        },
        {
            "key": "languages:de",
            "kind": "languages",
            "value": "de",
            "label": "German",
            "applied": "constraint",
            "words": ["german"],
        },
    ]


def test_an_ignored_required_country_is_neither_a_constraint_nor_a_preference() -> None:
    brief = "ERP-Einführung bei einem Maschinenbauer, der Partner muss in Deutschland sitzen"
    assert read_deal(Deal(description=brief)).deal.country == "DE"
    read = read_deal(Deal(description=brief, ignore_read=["countries:DE"]))
    assert read.deal.country is None and read.terms.countries == ()
    assert read.target.country is None  # no "serves Germany" in the explanations either
    assert read.terms.industries == ("manufacturing",)  # the other values still apply
    assert read.report is not None
    assert read.report["countries"] == [] and read.report["applied"] == {"industries": "preference"}
    applied = {entry["key"]: entry["applied"] for entry in read.report["entries"]}
    assert applied == {"countries:DE": "ignored", "industries:manufacturing": "preference"}


def test_ignoring_one_language_keeps_the_others_required() -> None:
    brief = "French and English-speaking team required for a retailer"
    read = read_deal(Deal(description=brief, ignore_read=["languages:en"]))
    assert read.deal.languages == ["fr"]
    assert read.report is not None and read.report["applied"]["languages"] == "constraint"


def test_ignoring_one_country_of_a_region_keeps_the_rest_as_preferences() -> None:
    read = read_deal(Deal(description="Insurer rollout in DACH", ignore_read=["countries:DE"]))
    assert read.terms.countries == ("AT", "CH")


def test_ignore_keys_match_case_insensitively_and_unknown_ones_are_skipped() -> None:
    brief = "Managed services provider for a mid-market insurer"
    plain = read_deal(Deal(description=brief))
    stale = read_deal(Deal(description=brief, ignore_read=["countries:FR", "nonsense"]))
    assert stale.deal == plain.deal.model_copy(update={"ignore_read": ["countries:FR", "nonsense"]})
    assert stale.report == plain.report
    read = read_deal(Deal(description=brief, ignore_read=["SEGMENTS:Mid_Market"]))
    assert read.deal.segment is None
    assert read.terms.partner_types == ("managed_service_provider",)


def test_a_brief_whose_every_value_is_ignored_still_reports_them() -> None:
    read = read_deal(Deal(description="Rollout in France", ignore_read=["countries:FR"]))
    assert read.terms == DealTerms() and read.deal.country is None
    assert read.report is not None
    assert [entry["applied"] for entry in read.report["entries"]] == ["ignored"]


@pytest.mark.parametrize(
    ("normalise", "value", "expected"),
    [
        (taxonomy.normalise_country, "Österreich", "AT"),
        (taxonomy.normalise_country, "Allemagne", "DE"),
        (taxonomy.normalise_country, "Países Bajos", "NL"),
        (taxonomy.normalise_language, "Deutsch", "de"),
        (taxonomy.normalise_language, "néerlandais", "nl"),
        (taxonomy.normalise_industry, "fashion", "retail"),
        (taxonomy.normalise_industry, "Krankenhaus", "healthcare"),
        (taxonomy.normalise_segment, "Mittelstand", "mid_market"),
        (taxonomy.normalise_partner_type, "Systemhaus", "system_integrator"),
    ],
)
def test_structured_fields_accept_the_five_languages(normalise, value, expected) -> None:  # type: ignore[no-untyped-def]
    assert normalise(value) == expected


def test_a_misspelt_country_is_told_the_country_it_meant() -> None:
    with pytest.raises(taxonomy.UnknownValueError) as raised:
        taxonomy.normalise_country("Deutschlnd")
    assert raised.value.suggestions[0] == "Germany"


def test_an_unknown_language_is_not_told_bare_codes() -> None:
    with pytest.raises(taxonomy.UnknownValueError) as raised:
        taxonomy.normalise_language("klingon")
    assert all(len(suggestion) > 3 for suggestion in raised.value.suggestions)
