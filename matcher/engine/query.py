"""Countries and industries a deal's free text names, for deals that leave those fields empty.

Sellers often write "a software company in Sweden" and fill in nothing else. The words are
matched against the same vocabularies the structured fields use (ISO country names and aliases,
the industry names and synonyms of DESIGN.md 3.4), so "in Sweden" means ``SE`` exactly as
``"country": "Sweden"`` would. What is read from text is only ever a *preference* that raises a
score, never a hard filter: text can be ambiguous, a constraint must not be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pycountry

from matcher import taxonomy

MAX_WORDS = 4
MIN_TERM_CHARS = 3  # "it" (technology) or "us" would match everywhere


@dataclass(frozen=True)
class DealTerms:
    """Countries (ISO alpha-2) and industry ids named in a text, in order of appearance."""

    countries: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()


@cache
def _country_terms() -> dict[str, str]:
    terms: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                terms[taxonomy.fold(name)] = country.alpha_2
    terms.update(taxonomy.COUNTRY_ALIASES)
    return {term: code for term, code in terms.items() if len(term) >= MIN_TERM_CHARS}


@cache
def _industry_terms() -> dict[str, str]:
    lookup = taxonomy.industry_lookup()
    return {term: industry for term, industry in lookup.items() if len(term) >= MIN_TERM_CHARS}


def _spans(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", taxonomy.fold(text.replace("-", " ")))
    spans = []
    for start in range(len(words)):
        for size in range(MAX_WORDS, 0, -1):
            if start + size <= len(words):
                spans.append(" ".join(words[start : start + size]))
    return spans


def read_terms(text: str | None) -> DealTerms:
    """The countries and industries named in ``text``.

    Example:
        >>> read_terms("A software company in Sweden")
        DealTerms(countries=('SE',), industries=('technology',))
    """
    if not text:
        return DealTerms()
    countries, industries = _country_terms(), _industry_terms()
    found_countries: dict[str, None] = {}
    found_industries: dict[str, None] = {}
    for span in _spans(text):
        if span in countries:
            found_countries[countries[span]] = None
        if span in industries:
            found_industries[industries[span]] = None
    return DealTerms(tuple(found_countries), tuple(found_industries))
