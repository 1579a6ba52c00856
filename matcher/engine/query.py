"""What a deal's prose says about the partner it needs, read in English, German, French,
Spanish or Dutch.

Sellers write "ERP rollout for a mid-size manufacturer in Bavaria, German-speaking team
required" and fill in no field. The words are matched against the same vocabularies the
structured fields use (:mod:`matcher.taxonomy`: ISO names and their translations, synonyms,
demonyms, cities of note, region words), so "in Österreich" means ``AT`` exactly as
``"country": "Austria"`` would.

What is read is a *preference* (it raises a score) unless its clause says it is required
("required", "must", "only", "zwingend", "obligatoire", "obligatorio", "verplicht", ...): then,
for a strict deal, it is a hard constraint like the structured field. A language counts only
where the text says the partner must speak it ("French-speaking", "auf Deutsch", "en
français"); a bare "French hospital group" names the customer's country. Structured fields
always win over text, and ``read_description: false`` turns reading off.

Each value read is one entry of the answer's ``read_from_description["entries"]``, named by a
stable key ``"<kind>:<value>"`` (``"countries:DE"``, ``"languages:fr"``,
``"industries:healthcare"``, ``"segments:enterprise"``, ``"partner_types:isv"``). A key listed
in the deal's ``ignore_read`` is dropped before anything is applied: the value is neither a
constraint nor a preference, and its entry says ``"applied": "ignored"`` so that a client can
offer to undo it. Keys match case-insensitively; a key naming nothing the text says (left over
from an earlier text) is skipped without error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from matcher import taxonomy
from matcher.schemas import Deal

MAX_WORDS = 5
MIN_TERM_CHARS = 3  # "it" (technology) or "us" would match everywhere
# the read fields that can become hard constraints, and the Deal field each fills
CONSTRAINT_FIELDS: dict[str, str] = {
    "countries": "country",
    "languages": "languages",
    "partner_types": "partner_types",
}
_CLAUSE = re.compile(r"[.;:!?\n,]+")  # an aside in brackets stays in its clause
# inflections German, Dutch, French and Spanish add to a word ("mittelständischen",
# "Krankenhäuser", "deutschsprachiges"), tried off a single word the vocabularies lack
_ENDINGS: tuple[str, ...] = ("en", "es", "em", "er", "e", "s")
MIN_STEM_CHARS = 5


@dataclass(frozen=True)
class DealTerms:
    """Values named in a text, in order of appearance, with the words they were read from.

    ``required`` holds the fields (``"countries"``, ``"languages"``, ``"partner_types"``) whose
    values were named in a clause that says they are required. ``words`` holds, per field, the
    phrases read; ``phrases``, per field and value, the phrases that value was read from.
    """

    countries: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    partner_types: tuple[str, ...] = ()
    required: frozenset[str] = frozenset()
    words: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    phrases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return bool(self.countries or self.industries or self.languages or self.segments) or bool(
            self.partner_types
        )


@dataclass(frozen=True)
class ReadDeal:
    """A deal as it is ranked: its own fields, plus the hard constraints its text added.

    ``deal`` is what the hard filters and signals see; ``terms`` are the preferences the text
    adds on top (only what the structured fields leave open); ``target`` is the deal with
    those preferences filled in as if they were fields, for the IPP's customer fit and the
    explanations ("serves France"); ``report`` is the answer's ``read_from_description``.
    """

    deal: Deal
    terms: DealTerms
    target: Deal
    report: dict[str, object] | None


def _keep(terms: dict[str, str]) -> dict[str, str]:
    return {term: value for term, value in terms.items() if len(term) >= MIN_TERM_CHARS}


@cache
def _vocabularies() -> dict[str, dict[str, str]]:
    """Per read field, folded term → value (regions expand later)."""
    countries = _keep(taxonomy.country_lookup())
    for region in taxonomy.sales_regions():
        countries[region] = "region:" + region
    return {
        "countries": countries,
        "industries": _keep(taxonomy.industry_lookup()),
        "segments": _keep(taxonomy.segment_lookup()),
        "partner_types": _keep(taxonomy.partner_type_lookup()),
    }


@cache
def _language_names() -> dict[str, str]:
    """Language names as prose writes them: longer than an ISO code, so "run in English"
    does not read "run" (ISO 639-3 for Rundi)."""
    return {term: code for term, code in taxonomy.language_lookup().items() if len(term) > 3}


@cache
def _cues() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Hard-requirement words, "speaking" words, and the language words that say "speaks
    it" on their own ("deutschsprachig", "francophone")."""
    cues = taxonomy.lexicon()["cues"]
    spoken = frozenset(term for terms in taxonomy.lexicon()["languages"].values() for term in terms)
    return frozenset(cues["hard"]), frozenset(cues["speaking"]), spoken


# upper-case country abbreviations that fold into common words ("US" → "us")
_ABBREVIATIONS = re.compile(r"\b(U\.?S\.?A?|U\.?K\.?)(?![\w.])")
_SPELLED = {"US": "united states", "USA": "united states", "UK": "united kingdom"}


def _words(text: str) -> list[str]:
    return taxonomy.fold(text.replace("-", " ").replace("'s ", " ")).split()


def _spans(words: list[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, phrase) of each word span, longest first at each start; a single word is
    also offered without its inflection endings."""
    for start in range(len(words)):
        for size in range(min(MAX_WORDS, len(words) - start), 0, -1):
            yield start, start + size, " ".join(words[start : start + size])
        word = words[start]
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM_CHARS:
                yield start, start + 1, word.removesuffix(ending)


# words joining languages that share one "speaking" cue ("French and English-speaking")
_JOINING = frozenset({"and", "or", "und", "oder", "et", "ou", "y", "e", "o", "u", "en", "of"})


def _spoken(
    words: list[str],
    mentions: list[tuple[int, int, str]],
    spoken: frozenset[str],
    speaking: frozenset[str],
) -> list[tuple[int, int, str]]:
    """The language mentions (in word order) that say the partner must speak the language: a
    word like "deutschsprachig", a cue next to it, or a join to such a mention ("French and
    English-speaking", "Deutsch oder Englisch sprechend")."""
    said = []
    for start, end, phrase in mentions:
        before = words[start - 1] if start > 0 else ""
        after = words[end] if end < len(words) else ""
        said.append(phrase in spoken or before in speaking or after in speaking)
    for position in range(len(mentions) - 2, -1, -1):
        end, following = mentions[position][1], mentions[position + 1][0]
        joined = following == end or (following == end + 1 and words[end] in _JOINING)
        said[position] = said[position] or (joined and said[position + 1])
    return [mention for mention, is_said in zip(mentions, said, strict=True) if is_said]


def _add(found: dict[str, list[str]], value: str, phrase: str) -> None:
    phrases = found.setdefault(value, [])
    if phrase not in phrases:
        phrases.append(phrase)


def _read_clause(words: list[str], found: dict[str, dict[str, list[str]]]) -> set[str]:
    """Add what one clause names to ``found`` (field → value → the phrases read); returns the
    fields it named. A span once read is not read again as something shorter."""
    hard, speaking, spoken = _cues()
    languages = _language_names()
    vocabularies = _vocabularies()
    used = [False] * len(words)
    named: set[str] = set()
    # languages first: "French-speaking" must not also read as the country France
    mentions: list[tuple[int, int, str]] = []
    for start, end, phrase in _spans(words):
        if phrase in languages and not any(start < e and s < end for s, e, _ in mentions):
            mentions.append((start, end, phrase))
    for start, end, phrase in _spoken(words, sorted(mentions), spoken, speaking):
        _add(found["languages"], languages[phrase], phrase)
        named.add("languages")
        used[start:end] = [True] * (end - start)
    for start, end, phrase in _spans(words):
        if any(used[start:end]):
            continue
        for name, vocabulary in vocabularies.items():
            value = vocabulary.get(phrase)
            if value is None:
                continue
            if value.startswith("region:"):
                for code in taxonomy.sales_regions()[value.removeprefix("region:")]:
                    _add(found[name], code, phrase)
            else:
                _add(found[name], value, phrase)
            named.add(name)
            used[start:end] = [True] * (end - start)
            break
    return named if hard & set(words) else set()


def read_terms(text: str | None) -> DealTerms:
    """The countries, industries, languages, segments and partner types named in ``text``.

    Example:
        >>> read_terms("Ein Softwarehaus in Österreich, deutschsprachig zwingend").languages
        ('de',)
    """
    if not text:
        return DealTerms()
    found: dict[str, dict[str, list[str]]] = {
        name: {} for name in ("countries", "industries", "languages", "segments", "partner_types")
    }
    required: set[str] = set()
    text = _ABBREVIATIONS.sub(lambda m: f" {_SPELLED[m.group(1).replace('.', '')]} ", text)
    for clause in _CLAUSE.split(text):
        required |= _read_clause(_words(clause), found)
    weak = frozenset(taxonomy.lexicon()["cues"]["weak_industry"])
    industries = found["industries"]
    if any(phrases[0] not in weak for phrases in industries.values()):
        found["industries"] = {k: v for k, v in industries.items() if v[0] not in weak}
    return DealTerms(
        countries=tuple(found["countries"]),
        industries=tuple(found["industries"]),
        languages=tuple(found["languages"]),
        segments=tuple(found["segments"]),
        partner_types=tuple(found["partner_types"]),
        required=frozenset(required & set(CONSTRAINT_FIELDS)),
        words={
            name: tuple(dict.fromkeys(p for phrases in values.values() for p in phrases))
            for name, values in found.items()
            if values
        },
        phrases={
            name: {value: tuple(phrases) for value, phrases in values.items()}
            for name, values in found.items()
            if values
        },
    )


def read_key(kind: str, value: str) -> str:
    """The stable key of one value read, as ``ignore_read`` names it: ``"countries:DE"``."""
    return f"{kind}:{value}"


def _label(kind: str, value: str) -> str:
    """What a person calls a value read: ``"Germany"``, ``"French"``, ``"Healthcare"``."""
    if kind == "countries":
        return taxonomy.country_name(value)
    if kind == "languages":
        return taxonomy.language_name(value)
    if kind == "industries":
        return taxonomy.INDUSTRIES.get(value, value)
    return {"isv": "ISV", "smb": "SMB"}.get(value, value.replace("_", " ").capitalize())


def read_deal(deal: Deal) -> ReadDeal:
    """``deal`` with what its description says applied: structured fields win; for a strict
    deal, values the text requires become hard constraints (one country; all languages; any
    partner type), everything else read stays a preference. Values whose key is in
    ``deal.ignore_read`` are left out before that.

    Example:
        >>> read = read_deal(Deal(description="Partner in France, French-speaking required"))
        >>> read.deal.languages, read.terms.countries
        (['fr'], ('FR',))
        >>> ignored = read_deal(Deal(description="Partner in France", ignore_read=["countries:FR"]))
        >>> ignored.terms.countries, ignored.report["entries"][0]["applied"]
        ((), 'ignored')
    """
    if not deal.read_description:
        return ReadDeal(deal, DealTerms(), deal, None)
    read = read_terms(deal.description)
    if not read:
        return ReadDeal(deal, read, deal, None)
    open_fields = {
        "countries": not deal.country,
        "industries": not deal.industry,
        "languages": not deal.languages,
        "segments": not deal.segment,
        "partner_types": not deal.partner_types,
    }
    ignored = {key.strip().casefold() for key in deal.ignore_read}

    def kept(name: str, value: str) -> bool:
        return read_key(name, value).casefold() not in ignored

    named: dict[str, tuple[str, ...]] = {
        name: getattr(read, name) if open_fields[name] else () for name in open_fields
    }
    values = {name: tuple(v for v in found if kept(name, v)) for name, found in named.items()}
    hard = {
        name
        for name in read.required
        if deal.strict and values[name] and not (name == "countries" and len(values[name]) > 1)
    }
    update: dict[str, object] = {}
    if "countries" in hard:
        update["country"] = values["countries"][0]
    if "languages" in hard:
        update["languages"] = list(values["languages"])
    if "partner_types" in hard:
        update["partner_types"] = list(values["partner_types"])
    if values["segments"]:
        update["segment"] = values["segments"][0]  # a segment is always a preference
    preferences = DealTerms(
        countries=() if "countries" in hard else values["countries"],
        industries=values["industries"],
        languages=() if "languages" in hard else values["languages"],
        partner_types=() if "partner_types" in hard else values["partner_types"],
    )
    ranked = deal.model_copy(update=update)
    shown: dict[str, object] = {}
    if len(preferences.countries) == 1:
        shown["country"] = preferences.countries[0]
    if preferences.languages:
        shown["languages"] = list(preferences.languages)
    if preferences.industries:
        shown["industry"] = preferences.industries[0]
    report = _report(read, named, values, hard)
    return ReadDeal(ranked, preferences, ranked.model_copy(update=shown), report)


def _report(
    read: DealTerms,
    named: dict[str, tuple[str, ...]],
    values: dict[str, tuple[str, ...]],
    hard: set[str],
) -> dict[str, object]:
    """The answer's ``read_from_description``: per field the values applied, how each field
    was applied and the words read (as before), and ``entries``, one per value read (ignored
    ones included), each with its ``key``, ``kind``, ``value``, ``label``, ``applied``
    (``constraint``, ``preference`` or ``ignored``) and the ``words`` it was read from."""
    report: dict[str, object] = {name: list(found) for name, found in values.items()}
    report["applied"] = {
        name: ("constraint" if name in hard else "preference")
        for name, found in values.items()
        if found
    }
    report["words"] = {
        name: list(dict.fromkeys(p for value in found for p in read.phrases[name][value]))
        for name, found in values.items()
        if found
    }
    entries: list[dict[str, object]] = []
    for name, found in named.items():
        for value in found:
            if value not in values[name]:
                applied = "ignored"
            else:
                applied = "constraint" if name in hard else "preference"
            entries.append(
                {
                    "key": read_key(name, value),
                    "kind": name,
                    "value": value,
                    "label": _label(name, value),
                    "applied": applied,
                    "words": list(read.phrases[name][value]),
                }
            )
    report["entries"] = entries
    return report
