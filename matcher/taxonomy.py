"""Controlled vocabularies of the partner domain and the normalisers that map free input onto them.

Every value a person types (a language name, a country, an industry synonym, a certification
spelled three ways) is mapped here to one canonical key, so that filters and scores compare like
with like. ISO data comes from ``pycountry``; the industry ids and sales-region words are the
fixed contract of DESIGN.md 3.1/3.4. An unknown value raises :class:`UnknownValueError`, which
names the field, the value and the closest allowed values.
"""

from __future__ import annotations

import gettext
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources

import pycountry
from rapidfuzz import fuzz, process

PARTNER_TYPES: tuple[str, ...] = (
    "reseller",
    "system_integrator",
    "managed_service_provider",
    "isv",
    "referral",
    "consultancy",
    "distributor",
    "agency",
)
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise", "public_sector")
TIERS: tuple[str, ...] = ("registered", "silver", "gold", "platinum")
ROLES: tuple[str, ...] = ("sourced", "transacted", "influenced")
ASSET_KINDS: tuple[str, ...] = ("template", "integration", "accelerator")
# The languages other than English whose words for countries, languages, industries and the
# rest are understood, in structured fields and in a deal's prose alike.
TEXT_LOCALES: tuple[str, ...] = ("de", "fr", "es", "nl")

INDUSTRIES: dict[str, str] = {
    "agriculture": "Agriculture",
    "automotive": "Automotive",
    "aerospace_defense": "Aerospace & Defense",
    "banking": "Banking",
    "construction_engineering": "Construction & Engineering",
    "consumer_goods": "Consumer Goods",
    "education": "Education",
    "energy_utilities": "Energy & Utilities",
    "financial_services": "Financial Services",
    "healthcare": "Healthcare",
    "hospitality_travel": "Hospitality & Travel",
    "insurance": "Insurance",
    "life_sciences": "Life Sciences",
    "manufacturing": "Manufacturing",
    "media_entertainment": "Media & Entertainment",
    "nonprofit": "Nonprofit",
    "professional_services": "Professional Services",
    "public_sector": "Public Sector",
    "real_estate": "Real Estate",
    "retail": "Retail",
    "technology": "Technology",
    "telecommunications": "Telecommunications",
    "transportation_logistics": "Transportation & Logistics",
}

# Synonyms people use for the canonical industries (keys already in `fold` form).
_INDUSTRY_SYNONYMS: dict[str, str] = {
    "agri": "agriculture",
    "farming": "agriculture",
    "automobile": "automotive",
    "auto": "automotive",
    "car": "automotive",
    "aerospace": "aerospace_defense",
    "defense": "aerospace_defense",
    "defence": "aerospace_defense",
    "aerospace and defence": "aerospace_defense",
    "bank": "banking",
    "construction": "construction_engineering",
    "engineering": "construction_engineering",
    "architecture": "construction_engineering",
    "aec": "construction_engineering",
    "cpg": "consumer_goods",
    "fmcg": "consumer_goods",
    "consumer products": "consumer_goods",
    "higher education": "education",
    "edtech": "education",
    "schools": "education",
    "energy": "energy_utilities",
    "utilities": "energy_utilities",
    "oil and gas": "energy_utilities",
    "finance": "financial_services",
    "fintech": "financial_services",
    "financial": "financial_services",
    "health": "healthcare",
    "health care": "healthcare",
    "hospitals": "healthcare",
    "hospitality": "hospitality_travel",
    "travel": "hospitality_travel",
    "tourism": "hospitality_travel",
    "pharma": "life_sciences",
    "pharmaceuticals": "life_sciences",
    "biotech": "life_sciences",
    "medtech": "life_sciences",
    "industrial": "manufacturing",
    "media": "media_entertainment",
    "entertainment": "media_entertainment",
    "non profit": "nonprofit",
    "not for profit": "nonprofit",
    "ngo": "nonprofit",
    "charity": "nonprofit",
    "consulting": "professional_services",
    "legal": "professional_services",
    "government": "public_sector",
    "public administration": "public_sector",
    "gov": "public_sector",
    "property": "real_estate",
    "ecommerce": "retail",
    "e commerce": "retail",
    "software": "technology",
    "high tech": "technology",
    "hi tech": "technology",
    "it": "technology",
    "saas": "technology",
    "telco": "telecommunications",
    "telecom": "telecommunications",
    "telecoms": "telecommunications",
    "logistics": "transportation_logistics",
    "transportation": "transportation_logistics",
    "transport": "transportation_logistics",
    "supply chain": "transportation_logistics",
}

_SEGMENT_SYNONYMS: dict[str, str] = {
    "small business": "smb",
    "small and medium business": "smb",
    "sme": "smb",
    "mid market": "mid_market",
    "midmarket": "mid_market",
    "mid size": "mid_market",
    "mid sized": "mid_market",
    "large enterprise": "enterprise",
    "public sector": "public_sector",
    "government": "public_sector",
}

_PARTNER_TYPE_SYNONYMS: dict[str, str] = {
    "var": "reseller",
    "value added reseller": "reseller",
    "si": "system_integrator",
    "integrator": "system_integrator",
    "msp": "managed_service_provider",
    "mssp": "managed_service_provider",
    "managed services": "managed_service_provider",
    "technology partner": "isv",
    "affiliate": "referral",
    "consulting": "consultancy",
    "consultant": "consultancy",
    "marketing agency": "agency",
}

# Country names people write that ISO 3166 spells differently.
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "britain": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "holland": "NL",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "vietnam": "VN",
    "czechia": "CZ",
    "czech republic": "CZ",
    "turkey": "TR",
    "taiwan": "TW",
    "iran": "IR",
    "uae": "AE",
    "emirates": "AE",
}

# Language names people write that ISO 639 spells differently.
_LANGUAGE_ALIASES: dict[str, str] = {
    "mandarin": "zh",
    "cantonese": "zh",
    "chinese": "zh",
    "farsi": "fa",
    "castilian": "es",
    "flemish": "nl",
    "brazilian portuguese": "pt",
}


class UnknownValueError(ValueError):
    """A value outside a controlled vocabulary, with the closest allowed values as a hint."""

    def __init__(
        self, field: str, value: str, suggestions: list[str], reason: str | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.suggestions = suggestions
        hint = f"; closest allowed: {', '.join(suggestions)}" if suggestions else ""
        message = f"{field} {value!r}: {reason}" if reason else f"unknown {field} {value!r}"
        super().__init__(message + hint)


def fold(value: str) -> str:
    """Case-, accent-, `&`/`and`- and punctuation-insensitive form used for lookups.

    ``"Österreich"`` → ``"osterreich"``, ``"Straße"`` → ``"strasse"``: a German or French
    word matches however it was typed.
    """
    decomposed = unicodedata.normalize("NFKD", value.strip().lower().replace("ß", "ss"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("&", " and ")
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    return re.sub(r"\s+", " ", folded).strip()


def closest(value: str, allowed: list[str] | tuple[str, ...], limit: int = 3) -> list[str]:
    """The allowed values most like ``value`` (fuzzy string similarity), best first."""
    matches = process.extract(value, list(allowed), scorer=fuzz.WRatio, limit=limit)
    return [match for match, score, _ in matches if score >= 50]


def closest_named(
    value: str, lookup: Mapping[str, str], display: Callable[[str], str], limit: int = 3
) -> list[str]:
    """The canonical values whose names (in any language, synonyms included) are most like
    ``value``, shown by ``display``: ``"Deutschlnd"`` is near ``"deutschland"``, so the hint
    is Germany, not the English name that happens to share most letters."""
    folded = fold(value)
    matches = process.extract(folded, list(lookup), scorer=fuzz.WRatio, limit=limit * 8)
    named = [display(lookup[term]) for term, score, _ in matches if score >= 60]
    return list(dict.fromkeys(named))[:limit]


@cache
def lexicon() -> dict[str, dict[str, tuple[str, ...]]]:
    """The words of ``lexicon.toml`` by section, each term folded; every value is checked
    against its vocabulary when first loaded, so a typo in the file fails loudly."""
    raw = tomllib.loads(resources.files("matcher").joinpath("lexicon.toml").read_text("utf-8"))
    allowed: dict[str, Callable[[str], bool]] = {
        "industries": lambda v: v in INDUSTRIES,
        "countries": lambda v: pycountry.countries.get(alpha_2=v) is not None,
        "languages": lambda v: pycountry.languages.get(alpha_2=v) is not None,
        "segments": lambda v: v in SEGMENTS,
        "partner_types": lambda v: v in PARTNER_TYPES,
        "cues": lambda v: v in ("hard", "weak_industry", "speaking"),
    }
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    for section, entries in raw.items():
        unknown = [value for value in entries if not allowed[section](value)]
        if unknown:
            raise ValueError(f"lexicon.toml [{section}]: unknown values {unknown}")
        words[section] = {
            value: tuple(dict.fromkeys(fold(term) for term in terms))
            for value, terms in entries.items()
        }
    return words


def _lexicon_terms(section: str) -> dict[str, str]:
    """``lexicon.toml`` section as folded term → value."""
    return {term: value for value, terms in lexicon()[section].items() for term in terms}


def _translations(domain: str, english: Iterable[str]) -> dict[str, str]:
    """Folded names in each of :data:`TEXT_LOCALES` → the English name they translate, from
    the ISO translations pycountry ships (``iso3166-1``, ``iso639-3``)."""
    names: dict[str, str] = {}
    for locale in TEXT_LOCALES:
        translation = gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale])
        for name in english:
            names.setdefault(fold(translation.gettext(name)), name)
    return names


@cache
def industry_lookup() -> dict[str, str]:
    """Folded industry names, ids and synonyms (English, German, French, Spanish, Dutch) → id."""
    lookup = {fold(industry_id.replace("_", " ")): industry_id for industry_id in INDUSTRIES}
    lookup.update({fold(name): industry_id for industry_id, name in INDUSTRIES.items()})
    lookup.update(_INDUSTRY_SYNONYMS)
    for term, industry_id in _lexicon_terms("industries").items():
        lookup.setdefault(term, industry_id)
    return lookup


@cache
def normalise_industry(value: str) -> str:
    """Map an industry name, id or synonym (``"Pharma"``, ``"fashion"``, ``"Krankenhaus"``)
    to its id."""
    industry_id = industry_lookup().get(fold(value))
    if industry_id is None:
        suggestions = closest_named(value, industry_lookup(), str)
        raise UnknownValueError("industry", value, suggestions)
    return industry_id


@cache
def partner_type_lookup() -> dict[str, str]:
    """Folded partner-type names and synonyms in the five languages → enum value."""
    lookup = {fold(value.replace("_", " ")): value for value in PARTNER_TYPES}
    lookup.update(_PARTNER_TYPE_SYNONYMS)
    for term, value in _lexicon_terms("partner_types").items():
        lookup.setdefault(term, value)
    return lookup


@cache
def segment_lookup() -> dict[str, str]:
    """Folded segment names and synonyms in the five languages → enum value."""
    lookup = {fold(value.replace("_", " ")): value for value in SEGMENTS}
    lookup.update(_SEGMENT_SYNONYMS)
    for term, value in _lexicon_terms("segments").items():
        lookup.setdefault(term, value)
    return lookup


def _normalise_enum(
    field: str, value: str, allowed: tuple[str, ...], lookup: dict[str, str]
) -> str:
    folded = fold(value)
    candidate = folded.replace(" ", "_")
    if candidate in allowed:
        return candidate
    if folded in lookup:
        return lookup[folded]
    raise UnknownValueError(field, value, closest_named(value, lookup, str))


@cache
def normalise_partner_type(value: str) -> str:
    """Map a partner type (``"System Integrator"``, ``"MSP"``, ``"Systemhaus"``) to its value."""
    return _normalise_enum("partner_type", value, PARTNER_TYPES, partner_type_lookup())


@cache
def normalise_segment(value: str) -> str:
    """Map a customer segment (``"Mid-market"``, ``"SMB"``, ``"Mittelstand"``) to its value."""
    return _normalise_enum("segment", value, SEGMENTS, segment_lookup())


@cache
def normalise_tier(value: str) -> str:
    """Map a partner tier to its enum value (``"Gold"`` → ``"gold"``, ``"Authorized"`` too)."""
    synonyms = {"authorized": "registered", "authorised": "registered"}
    return _normalise_enum("tier", value, TIERS, {**{v: v for v in TIERS}, **synonyms})


@cache
def normalise_role(value: str) -> str:
    """Map a deal attribution role to ``sourced``, ``transacted`` or ``influenced``."""
    return _normalise_enum("role", value, ROLES, {v: v for v in ROLES})


@cache
def language_lookup() -> dict[str, str]:
    """Folded ISO 639 codes and language names (English, and as German, French, Spanish and
    Dutch write them: ``"Deutsch"``, ``"allemand"``) → ISO 639-1 code."""
    lookup: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None)
        if code is None:
            continue
        lookup[code] = code
        lookup[language.alpha_3] = code
        lookup[fold(language.name)] = code
        by_name[language.name] = code
        for name in language.name.split(";"):
            # pycountry calls some languages "Malay (macrolanguage)"; people write "Malay".
            lookup.setdefault(fold(name.removesuffix(" (macrolanguage)")), code)
    lookup.update(_LANGUAGE_ALIASES)
    for term, name in _translations("iso639-3", by_name).items():
        lookup.setdefault(term.removesuffix(" macrolanguage"), by_name[name])
    for term, code in _lexicon_terms("languages").items():
        lookup.setdefault(term, code)
    return lookup


@cache
def language_codes() -> tuple[str, ...]:
    """All ISO 639-1 codes known to pycountry."""
    return tuple(sorted({code for code in language_lookup().values()}))


@cache
def language_name(code: str) -> str:
    """English name of an ISO 639-1 code (``"de"`` → ``"German"``), for explanations."""
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language is not None else code


@cache
def normalise_language(value: str) -> str:
    """Map an ISO 639-1/639-3 code or English name (``"German"``, ``"deu"``) to ISO 639-1."""
    code = language_lookup().get(fold(value))
    if code is None:
        raise UnknownValueError(
            "language", value, closest_named(value, _named_languages(), language_name)
        )
    return code


@cache
def _named_languages() -> dict[str, str]:
    """:func:`language_lookup` without the bare codes, for suggestions ("klingon" should not
    be told "kl")."""
    return {term: code for term, code in language_lookup().items() if len(term) > 3}


@cache
def sales_regions() -> dict[str, tuple[str, ...]]:
    """Sales-region words (``DACH``, ``EMEA``...) and the ISO country codes each expands to.

    Regions are a vendor's sales convention, not ISO data, so they live in ``regions.toml``;
    every code there is checked against pycountry when first loaded.
    """
    raw = tomllib.loads(resources.files("matcher").joinpath("regions.toml").read_text("utf-8"))
    regions: dict[str, tuple[str, ...]] = {}
    for name, spec in raw["regions"].items():
        codes: list[str] = []
        for member in spec["members"]:
            codes.extend(regions.get(fold(member), [member]))
        unknown = [code for code in codes if pycountry.countries.get(alpha_2=code) is None]
        if unknown:
            raise ValueError(f"regions.toml: {name} lists unknown country codes {unknown}")
        regions[fold(name)] = tuple(dict.fromkeys(codes))
    return regions


@cache
def normalise_countries(value: str) -> tuple[str, ...]:
    """Map a country (code or name) or a region word to ISO 3166-1 alpha-2 codes.

    ``"Germany"`` → ``("DE",)``; ``"DACH"`` → ``("DE", "AT", "CH")``.
    """
    folded = fold(value)
    regions = sales_regions()
    if folded in regions:
        return regions[folded]
    return (normalise_country(value),)


@cache
def country_lookup() -> dict[str, str]:
    """Folded country names → ISO 3166-1 alpha-2: ISO's names in English and as German,
    French, Spanish and Dutch write them (``"Österreich"``, ``"Allemagne"``), common aliases,
    and from ``lexicon.toml`` demonyms and cities of note (``"Munich"`` → ``DE``)."""
    lookup: dict[str, str] = {}
    english: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                lookup.setdefault(fold(name), country.alpha_2)
                english.setdefault(name, country.alpha_2)
    lookup.update(COUNTRY_ALIASES)
    for term, name in _translations("iso3166-1", english).items():
        lookup.setdefault(term, english[name])
    for term, code in _lexicon_terms("countries").items():
        lookup.setdefault(term, code)
    return lookup


def country_name(code: str) -> str:
    """English name of an ISO 3166-1 alpha-2 code (``"AT"`` → ``"Austria"``)."""
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


@cache
def normalise_country(value: str) -> str:
    """Map one country code or name (in English, German, French, Spanish or Dutch) to ISO
    3166-1 alpha-2; region words are not accepted here."""
    code = country_lookup().get(fold(value))
    if code is not None:
        return code
    try:
        return str(pycountry.countries.lookup(value.strip()).alpha_2)
    except LookupError:
        suggestions = closest_named(value, country_lookup(), country_name)
        raise UnknownValueError("country", value, suggestions) from None


@cache
def certification_key(name: str) -> str:
    """Normalised key of a certification name: case, spacing and punctuation do not matter.

    ``"Smartsheet Certified  Solution-Partner"`` → ``"smartsheet-certified-solution-partner"``.
    """
    key = fold(name.replace("&", " and ")).replace(" ", "-")
    if not key:
        raise UnknownValueError("certification", name, [], "no letters or digits in the name")
    return key


@cache
def asset_kind(asset: str) -> tuple[str, str]:
    """Split an asset ``"template:Resource planning"`` into its kind and name, checking the kind."""
    kind, separator, name = asset.partition(":")
    kind = fold(kind)
    if not separator or not name.strip():
        raise ValueError(
            f"asset {asset!r} must look like 'template:<name>', 'integration:<name>' "
            "or 'accelerator:<name>'"
        )
    if kind not in ASSET_KINDS:
        raise UnknownValueError("asset kind", kind, closest(kind, ASSET_KINDS))
    return kind, name.strip()
