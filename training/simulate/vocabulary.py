"""Wording and reference tables of the simulated partner ecosystem (see ``training.simulate``).

The simulator's hidden truth is expressed in ids (capability keys, ISO codes, industry ids); these
tables turn it into the words people actually write. Every capability has several *profile*
phrasings (how partners describe themselves) and several *buyer* phrasings (how a customer or
seller describes the need). The two sides never share a phrase, so a recommender has to match
meaning, not strings. Industry ids, partner types and segments come from ``matcher.taxonomy``.

The tables are data, in ``vocabulary.toml`` beside this module (installed with the package);
:func:`load` reads and checks them once, and the module constants below are its fields, under
the names the simulator uses.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from matcher.taxonomy import INDUSTRIES, PARTNER_TYPES, SEGMENTS, sales_regions

VOCABULARY_FILE = "vocabulary.toml"
ASSET_KINDS = ("template", "integration", "accelerator")


@dataclass(frozen=True)
class Capability:
    """Something a partner can do for a customer, with the ways each side words it.

    Attributes:
        key: stable id of the capability (never written to the files).
        core: partner types for which it is a core offering.
        secondary: partner types that sometimes offer it.
        profile: phrasings partners use (specialism tags, descriptions).
        buyer: gerund phrasings buyers use ("moving our records..."); never contain a profile one.
        industries: industries where the capability is especially common.
        assets: (kind, name) pairs of templates, integrations and accelerators built for it.
    """

    key: str
    core: tuple[str, ...]
    secondary: tuple[str, ...]
    profile: tuple[str, ...]
    buyer: tuple[str, ...]
    industries: tuple[str, ...] = ()
    assets: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Country:
    """A country the vendor sells in: ISO code, English name, market weight, cluster, languages.

    ``languages`` are the ISO 639-1 codes business is done in, the most used first; a partner
    serving the country speaks at least one of them.
    """

    code: str
    name: str
    weight: float
    cluster: str
    macro: str
    languages: tuple[str, ...]
    legal_forms: tuple[str, ...]

    @property
    def prose(self) -> str:
        """The name as it reads in a sentence ("in the Netherlands")."""
        return f"the {self.name}" if self.name in _NAMES_WITH_ARTICLE else self.name


@dataclass(frozen=True)
class CertificationSpec:
    """A vendor certification and who tends to hold it (by partner type and capability)."""

    name: str
    base_logit: float
    types: tuple[str, ...]
    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Every table of ``vocabulary.toml``, typed (lists as tuples, in file order)."""

    capabilities: tuple[Capability, ...]
    signature_capabilities: dict[str, tuple[str, ...]]
    names_with_article: frozenset[str]
    countries: tuple[Country, ...]
    language_names: dict[str, str]
    language_prose_names: dict[str, str]
    region_words: dict[str, str]
    industry_weights: dict[str, float]
    industry_profile_words: dict[str, tuple[str, ...]]
    industry_buyer_words: dict[str, tuple[str, ...]]
    segment_profile_words: dict[str, tuple[str, ...]]
    segment_buyer_words: dict[str, tuple[str, ...]]
    type_profile_words: dict[str, tuple[str, ...]]
    type_flourishes: dict[str, tuple[str, ...]]
    type_name_words: dict[str, tuple[str, ...]]
    name_starts: tuple[str, ...]
    name_ends: tuple[str, ...]
    certifications: tuple[CertificationSpec, ...]
    templates: dict[str, tuple[str, ...]]
    deal_budget_template: str
    related_types: dict[str, tuple[str, ...]]


@functools.cache
def load() -> Vocabulary:
    """The vocabulary of the installed ``vocabulary.toml``, read and checked once per process.

    Raises:
        ValueError: a table names an unknown partner type, industry, segment, capability,
            language or region, or misses one it must cover.
    """
    text = resources.files("training.simulate").joinpath(VOCABULARY_FILE).read_text("utf-8")
    return parse(tomllib.loads(text))


def parse(raw: dict[str, Any]) -> Vocabulary:
    """A :class:`Vocabulary` from the parsed TOML document, checked (see :func:`load`)."""
    words = _words
    templates = raw["templates"]
    vocabulary = Vocabulary(
        capabilities=tuple(
            Capability(
                key=c["key"],
                core=tuple(c["core"]),
                secondary=tuple(c["secondary"]),
                profile=tuple(c["profile"]),
                buyer=tuple(c["buyer"]),
                industries=tuple(c.get("industries", ())),
                assets=tuple((kind, name) for kind, name in c.get("assets", ())),
            )
            for c in raw["capabilities"]
        ),
        signature_capabilities=words(raw["signature_capabilities"]),
        names_with_article=frozenset(raw["geography"]["names_with_article"]),
        countries=tuple(
            Country(
                code=c["code"],
                name=c["name"],
                weight=float(c["weight"]),
                cluster=c["cluster"],
                macro=c["macro"],
                languages=tuple(c["languages"]),
                legal_forms=tuple(c["legal_forms"]),
            )
            for c in raw["geography"]["countries"]
        ),
        language_names=dict(raw["language_names"]),
        language_prose_names={**raw["language_names"], **raw["prose_language_names"]},
        region_words=dict(raw["region_words"]),
        industry_weights={key: float(value) for key, value in raw["industry_weights"].items()},
        industry_profile_words=words(raw["industry_profile_words"]),
        industry_buyer_words=words(raw["industry_buyer_words"]),
        segment_profile_words=words(raw["segment_profile_words"]),
        segment_buyer_words=words(raw["segment_buyer_words"]),
        type_profile_words=words(raw["type_profile_words"]),
        type_flourishes=words(raw["type_flourishes"]),
        type_name_words=words(raw["type_name_words"]),
        name_starts=tuple(raw["company_names"]["starts"]),
        name_ends=tuple(raw["company_names"]["ends"]),
        certifications=tuple(
            CertificationSpec(
                name=c["name"],
                base_logit=float(c["base_logit"]),
                types=tuple(c["types"]),
                capabilities=tuple(c["capabilities"]),
            )
            for c in raw["certifications"]
        ),
        templates=words({key: value for key, value in templates.items() if key != "deal_budget"}),
        deal_budget_template=templates["deal_budget"],
        related_types=words(raw["related_types"]),
    )
    _check(vocabulary)
    return vocabulary


def _words(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(values) for key, values in table.items()}


def _check(v: Vocabulary) -> None:
    """Every name a table uses is one the simulator and ``matcher.taxonomy`` know."""
    keys = [c.key for c in v.capabilities]
    languages = {code for country in v.countries for code in country.languages}

    def within(where: str, values: Iterable[str], allowed: Iterable[str]) -> None:
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ValueError(f"{VOCABULARY_FILE} {where}: unknown values {unknown}")

    def covers(where: str, table: dict[str, Any], expected: Iterable[str]) -> None:
        within(where, table, expected)
        missing = sorted(set(expected) - set(table))
        if missing:
            raise ValueError(f"{VOCABULARY_FILE} {where}: missing {missing}")

    if len(set(keys)) != len(keys):
        raise ValueError(f"{VOCABULARY_FILE} [[capabilities]]: duplicate keys")
    for c in v.capabilities:
        within(f"capability {c.key}", [*c.core, *c.secondary], PARTNER_TYPES)
        within(f"capability {c.key} industries", c.industries, INDUSTRIES)
        within(f"capability {c.key} assets", [kind for kind, _ in c.assets], ASSET_KINDS)
    for spec in v.certifications:
        within(f"certification {spec.name!r}", spec.types, PARTNER_TYPES)
        within(f"certification {spec.name!r} capabilities", spec.capabilities, keys)
    by_type = ("signature_capabilities", "type_profile_words", "type_flourishes", "type_name_words")
    for table in (*by_type, "related_types"):
        covers(f"[{table}]", getattr(v, table), PARTNER_TYPES)
    for values in v.signature_capabilities.values():
        within("[signature_capabilities]", values, keys)
    for values in v.related_types.values():
        within("[related_types]", values, PARTNER_TYPES)
    for table in ("industry_weights", "industry_profile_words", "industry_buyer_words"):
        covers(f"[{table}]", getattr(v, table), INDUSTRIES)
    covers("[segment_profile_words]", v.segment_profile_words, SEGMENTS)
    covers("[segment_buyer_words]", v.segment_buyer_words, SEGMENTS)
    within("[language_names]", v.language_names, languages)
    covers("[language_names] + [prose_language_names]", v.language_prose_names, languages)
    within("[region_words]", v.region_words, sales_regions())
    within("[geography] names_with_article", v.names_with_article, [c.name for c in v.countries])


_VOCABULARY = load()
_NAMES_WITH_ARTICLE = _VOCABULARY.names_with_article
_TEMPLATES = _VOCABULARY.templates

CAPABILITIES: tuple[Capability, ...] = _VOCABULARY.capabilities
CAPABILITY_KEYS: tuple[str, ...] = tuple(capability.key for capability in CAPABILITIES)
# What defines each business model: nearly every partner of the type offers these.
SIGNATURE_CAPABILITIES: dict[str, tuple[str, ...]] = _VOCABULARY.signature_capabilities

COUNTRIES: tuple[Country, ...] = _VOCABULARY.countries
COUNTRY_CODES: tuple[str, ...] = tuple(country.code for country in COUNTRIES)
LANGUAGE_CODES: tuple[str, ...] = tuple(
    dict.fromkeys(code for country in COUNTRIES for code in country.languages)
)
# English names the ingestion normaliser accepts; for prose, also those it does not.
LANGUAGE_NAMES: dict[str, str] = _VOCABULARY.language_names
LANGUAGE_PROSE_NAMES: dict[str, str] = _VOCABULARY.language_prose_names
# Region words written instead of the country list when a partner serves exactly that region.
REGION_WORDS: dict[str, str] = _VOCABULARY.region_words

INDUSTRY_WEIGHTS: dict[str, float] = _VOCABULARY.industry_weights
INDUSTRY_IDS: tuple[str, ...] = tuple(INDUSTRIES)
INDUSTRY_PROFILE_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.industry_profile_words
INDUSTRY_BUYER_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.industry_buyer_words
SEGMENT_PROFILE_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.segment_profile_words
SEGMENT_BUYER_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.segment_buyer_words

TYPE_PROFILE_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.type_profile_words
TYPE_FLOURISHES: dict[str, tuple[str, ...]] = _VOCABULARY.type_flourishes
TYPE_NAME_WORDS: dict[str, tuple[str, ...]] = _VOCABULARY.type_name_words
NAME_STARTS: tuple[str, ...] = _VOCABULARY.name_starts
NAME_ENDS: tuple[str, ...] = _VOCABULARY.name_ends

CERTIFICATIONS: tuple[CertificationSpec, ...] = _VOCABULARY.certifications
CERTIFICATION_NAMES: tuple[str, ...] = tuple(spec.name for spec in CERTIFICATIONS)

INTRO_TEMPLATES: tuple[str, ...] = _TEMPLATES["intro"]
FOCUS_TEMPLATES: tuple[str, ...] = _TEMPLATES["focus"]
REACH_TEMPLATES: tuple[str, ...] = _TEMPLATES["reach"]
DEAL_TEMPLATES: tuple[str, ...] = _TEMPLATES["deal"]
DEAL_LANGUAGE_TEMPLATES: tuple[str, ...] = _TEMPLATES["deal_language"]
DEAL_BUDGET_TEMPLATE: str = _VOCABULARY.deal_budget_template
OUTCOME_TEMPLATES: tuple[str, ...] = _TEMPLATES["outcome"]

# Which related partner types a seller would accept alongside the one they think of first.
RELATED_TYPES: dict[str, tuple[str, ...]] = _VOCABULARY.related_types
