from __future__ import annotations

from matcher.engine.query import DealTerms, read_terms


def test_country_and_industry_named_in_the_text_are_read() -> None:
    terms = read_terms("A regional bank in the United Kingdom needs a CRM rollout")
    assert terms == DealTerms(countries=("GB",), industries=("banking",))


def test_two_letter_words_do_not_match_codes_or_synonyms() -> None:
    assert read_terms("We want it done by us, in time") == DealTerms()


def test_empty_text_names_nothing() -> None:
    assert read_terms(None) == DealTerms()
