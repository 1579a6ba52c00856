"""The fixed data contracts of DESIGN.md 3.1–3.5 as pydantic models, with normalisation.

Rows arrive from CSV (``;``-separated lists, blanks for missing values), JSONL (arrays, nulls)
or HTTP JSON; every one of them passes through these models, so a partner is stored, filtered
and scored in one canonical form whatever its source. A missing value stays ``None`` (unknown),
never zero: scores treat unknown differently from "none".
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from matcher import taxonomy

MAX_DESCRIPTION_CHARS = 5_000
MAX_NAME_CHARS = 200
MAX_TAG_CHARS = 200
MAX_LIST_ITEMS = 200
MAX_EXCLUDED_IDS = 1_000
# Before normalising: no list, however repetitive, costs more than this many items of work.
MAX_INPUT_ITEMS = 5_000
# ISO 3166-1 has 249 codes; a region (EMEA, worldwide) expands to many of them.
MAX_COUNTRIES = 300
MAX_MONEY = 1e13
PARTNER_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTNER_ID = re.compile(PARTNER_ID_RE)


def _partner_id(value: Any) -> Any:
    """Ids appear in URLs and files: 1–64 letters, digits, ``.``, ``_``, ``:``, ``-``.

    An id is text, never a number: ``"007"`` and ``7`` are different ids, so JSON numbers are
    refused rather than guessed at.
    """
    if not isinstance(value, str):
        raise ValueError("an id must be text (quote it in JSON)")
    if not _PARTNER_ID.fullmatch(value.strip()):
        raise ValueError(
            f"{value!r} is not a valid id: use 1-64 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )
    return value.strip()


PartnerId = Annotated[str, BeforeValidator(_partner_id)]


def _unique(items: list[Any]) -> list[Any]:
    """Items in first-seen order without repeats, in linear time.

    A list-membership scan was quadratic: 40,000 ``exclude`` ids took 12 s on the event loop
    before the size limit could refuse them. Items may be unhashable (bad JSON input, left for
    pydantic to reject); those are compared by their ``repr``.
    """
    seen: set[tuple[bool, Any]] = set()
    unique: list[Any] = []
    for item in items:
        key = (True, item) if isinstance(item, Hashable) else (False, repr(item))
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _split_list(value: Any) -> Any:
    """Accept a list, a ``;``-separated string (CSV) or a blank; drop empty items and duplicates.

    Anything else is returned unchanged for pydantic to reject with a proper message.
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(";")
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_INPUT_ITEMS:
            raise ValueError(f"at most {MAX_INPUT_ITEMS:,} items")
        items = [item.strip() if isinstance(item, str) else item for item in value]
        return _unique([item for item in items if item != ""])
    return value


def _unknown_number(value: Any) -> Any:
    """CSV writes a missing value as an empty string; it means unknown.

    JSON ``true``/``false`` is refused for numbers (pydantic's lax mode would read it as 1/0).
    """
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _unknown_if_blank(value: Any) -> Any:
    """A blank CSV cell of a non-numeric field is unknown."""
    return None if isinstance(value, str) and not value.strip() else value


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _flag(value: Any) -> Any:
    """A yes/no value: JSON true/false, or CSV text like ``true``/``no``; never a number."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in _TRUE | _FALSE:
            return text in _TRUE
    raise ValueError("expected true or false")


Flag = Annotated[bool | None, BeforeValidator(_flag)]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG_CHARS)]


def text_list_schema(max_items: int) -> WithJsonSchema:
    """The documented request schema of a text list, with its size limits in the OpenAPI.

    Lists arrive as JSON arrays or, from CSV, as one `;`-separated string: the schema says both
    (responses are always arrays).
    """
    return WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "array",
                    "items": {"type": "string", "maxLength": MAX_TAG_CHARS},
                    "maxItems": max_items,
                },
                {"type": "string", "description": f"at most {max_items} items separated by ';'"},
                {"type": "null", "description": "same as an empty list"},
            ]
        },
        mode="validation",
    )


TagList = Annotated[
    list[Tag],
    BeforeValidator(_split_list),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]
Count = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_unknown_number)]
Share = Annotated[Annotated[float, Field(ge=0, le=1)] | None, BeforeValidator(_unknown_number)]
Percent = Annotated[Annotated[float, Field(ge=0, le=100)] | None, BeforeValidator(_unknown_number)]
# A money amount up to 10 trillion (deal sizes, revenues): 1e308 would overflow the scores.
Money = Annotated[
    Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)] | None,
    BeforeValidator(_unknown_number),
]
Text = Annotated[
    Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS)] | None,
    BeforeValidator(_unknown_if_blank),
]


def _website(value: Any) -> Any:
    """A web address with its scheme: ``example.com`` → ``https://example.com``; only http(s)."""
    value = _unknown_if_blank(value)
    if value is None:
        return None
    if not isinstance(value, str):  # str() made {} the address "https://{}"
        raise ValueError("website must be text: an http(s) address")
    text = value.strip()
    if "://" not in text:
        text = f"https://{text}"
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or any(c.isspace() for c in text):
        raise ValueError(f"website must be an http(s) address, not {value!r}")
    return f"{scheme.lower()}://{rest}"


Website = Annotated[
    Annotated[str, Field(max_length=300)] | None,
    BeforeValidator(_website),
]


class Certification(BaseModel):
    """A vendor certification a partner holds: display name, normalised key, certified holders
    and, when it lapses, the day it expires (an expired one satisfies no requirement)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=MAX_TAG_CHARS)
    key: str
    holders: int | None = Field(default=None, ge=0)
    expires_on: date | None = None

    @classmethod
    def parse(cls, value: Any) -> Certification:
        """Read ``"Name"``, ``"Name:holders"``, ``"Name:holders:YYYY-MM-DD"``,
        ``"Name::YYYY-MM-DD"`` or a mapping ``{"name", "holders", "expires_on"}``."""
        if isinstance(value, Certification):
            return value
        expires: Any = None
        if isinstance(value, dict):
            name, holders = str(value.get("name", "")), value.get("holders")
            expires = value.get("expires_on")
        elif not isinstance(value, str):
            raise ValueError(
                "a certification is a name, 'name:holders', 'name:holders:YYYY-MM-DD' or "
                "{name, holders, expires_on}"
            )
        else:
            name, holders = str(value), None
            head, separator, last = name.rpartition(":")
            if separator and _DATE.fullmatch(last.strip()):
                name, expires = head, last.strip()
                head, separator, last = name.rpartition(":")
                if separator and (not last.strip() or last.strip().isdigit()):
                    name, holders = head, int(last) if last.strip() else None
            elif separator and last.strip().isdigit():
                name, holders = head, int(last)
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires.strip())
            except ValueError:
                raise ValueError(
                    f"certification expiry {expires!r} is not a YYYY-MM-DD date"
                ) from None
        name = " ".join(name.split())
        return cls(
            name=name, key=taxonomy.certification_key(name), holders=holders, expires_on=expires
        )

    def valid_on(self, day: date) -> bool:
        """Whether the certification still counts on ``day`` (it counts on its expiry day)."""
        return self.expires_on is None or day <= self.expires_on


def _parse_certifications(value: Any) -> Any:
    items = _split_list(value)
    if not isinstance(items, list):
        return items
    certifications: dict[str, Certification] = {}
    for item in items:
        certification = Certification.parse(item)
        certifications.setdefault(certification.key, certification)
    return list(certifications.values())


Certifications = Annotated[
    list[Certification],
    BeforeValidator(_parse_certifications),
    Field(max_length=MAX_LIST_ITEMS),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"type": "string", "description": "name or name:holders"},
                            {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "holders": {"type": ["integer", "null"], "minimum": 0},
                                },
                                "required": ["name"],
                            },
                        ]
                    },
                },
                {"type": "string", "description": "items separated by ';'"},
                {"type": "null", "description": "same as an empty list"},
            ]
        },
        mode="validation",
    ),
]


def _normalised(normalise: Any) -> BeforeValidator:
    """A before-validator applying a taxonomy normaliser to one optional value."""

    def apply(value: Any) -> Any:
        value = _unknown_if_blank(value)
        return normalise(value) if isinstance(value, str) else value

    return BeforeValidator(apply)


def _normalised_list(normalise: Any, *, expands: bool = False) -> BeforeValidator:
    """A before-validator applying a taxonomy normaliser to every item of a list, keeping order."""

    def apply(value: Any) -> Any:
        items = _split_list(value)
        if not isinstance(items, list):
            return items
        normalised: list[Any] = []
        for item in items:
            if not isinstance(item, str):
                normalised.append(item)
            elif expands:
                normalised.extend(normalise(item))
            else:
                normalised.append(normalise(item))
        return _unique(normalised)

    return BeforeValidator(apply)


PartnerType = Annotated[str, _normalised(taxonomy.normalise_partner_type)]
Industry = Annotated[str | None, _normalised(taxonomy.normalise_industry)]
Country = Annotated[str | None, _normalised(taxonomy.normalise_country)]
Segment = Annotated[str | None, _normalised(taxonomy.normalise_segment)]
Tier = Annotated[str | None, _normalised(taxonomy.normalise_tier)]
Languages = Annotated[
    list[str],
    _normalised_list(taxonomy.normalise_language),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]
Countries = Annotated[
    list[str],
    _normalised_list(taxonomy.normalise_countries, expands=True),
    Field(max_length=MAX_COUNTRIES),
    text_list_schema(MAX_COUNTRIES),
]
Industries = Annotated[
    list[str],
    _normalised_list(taxonomy.normalise_industry),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]
Segments = Annotated[
    list[str],
    _normalised_list(taxonomy.normalise_segment),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]
PartnerTypes = Annotated[
    list[str],
    _normalised_list(taxonomy.normalise_partner_type),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]


def _normalise_asset(asset: str) -> str:
    kind, name = taxonomy.asset_kind(asset)
    return f"{kind}:{name}"


Assets = Annotated[
    list[str],
    _normalised_list(_normalise_asset),
    Field(max_length=MAX_LIST_ITEMS),
    text_list_schema(MAX_LIST_ITEMS),
]


class PartnerProfile(BaseModel):
    """What a partner says about itself and what the vendor knows without performance history.

    Shared by :class:`Partner` (an existing partner) and :class:`Prospect` (a candidate).
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    PUBLIC_FIELDS: ClassVar[tuple[str, ...]] = (
        "partner_id",
        "name",
        "partner_type",
        "description",
        "specialisms",
        "languages",
        "industries",
        "certifications",
        "countries",
        "tier",
        "assets",
    )

    partner_id: PartnerId
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    partner_type: PartnerType
    description: Text = None
    specialisms: TagList = []
    languages: Languages = []
    industries: Industries = []
    certifications: Certifications = []
    countries: Countries = []
    segments: Segments = []
    tier: Tier = None
    employees: Count = None
    certified_staff: Count = None
    customers: Count = None
    active_projects: Count = None
    max_projects: Count = None
    training_completion: Share = None
    deal_registrations_12m: Count = None
    last_active: Annotated[date | None, BeforeValidator(_unknown_if_blank)] = None
    dedicated_manager: Flag = None
    paused_until: Annotated[date | None, BeforeValidator(_unknown_if_blank)] = Field(
        default=None,
        description=(
            "Taking no new projects before this date (YYYY-MM-DD): left out of recommendations "
            "until that day, like a partner at capacity. Internal, never shown publicly."
        ),
    )
    assets: Assets = []
    website: Website = Field(
        default=None,
        description="The partner's web site, an http(s) address (`example.com` is read as "
        "`https://example.com`). Internal: the partner profile page links it.",
    )
    contact: Annotated[
        Annotated[str, Field(max_length=MAX_NAME_CHARS)] | None,
        BeforeValidator(_unknown_if_blank),
    ] = Field(
        default=None,
        description="Who to talk to at the partner (name, e-mail, phone), as free text. Internal.",
    )

    @classmethod
    def from_stored(cls, profile: dict[str, Any]) -> Self:
        """A profile read back from the store, without validating it again.

        Every stored profile was validated and normalised on the way in and written with
        ``model_dump(mode="json")``, so only the JSON-typed fields are rebuilt here. Loading a
        100k-partner engine spent 24 of its 51 s re-running the validators.
        """
        fields = dict(profile)
        fields["certifications"] = [
            Certification.model_construct(
                **{
                    **certification,
                    "expires_on": date.fromisoformat(certification["expires_on"])
                    if certification.get("expires_on")
                    else None,
                }
            )
            for certification in fields.get("certifications", ())
        ]
        for name in ("last_active", "paused_until"):
            if fields.get(name) is not None:
                fields[name] = date.fromisoformat(fields[name])
        return cls.model_construct(**fields)

    def public(self) -> dict[str, Any]:
        """The fields a customer-facing surface (the in-app widget) may show."""
        public = self.model_dump(include=set(self.PUBLIC_FIELDS), mode="json")
        public["certifications"] = [certification.name for certification in self.certifications]
        return public


class Partner(PartnerProfile):
    """An existing partner (DESIGN.md 3.1), including internal performance fields."""

    deals_won_12m: Count = None
    deals_lost_12m: Count = None
    revenue_12m: Money = None
    csat: Percent = None


class Prospect(PartnerProfile):
    """A prospective partner screened by a recruiter (DESIGN.md 3.5): a profile without history."""


class Outcome(BaseModel):
    """One partner-attached deal from history (DESIGN.md 3.2); the training signal for the IPP."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    deal_id: PartnerId
    partner_id: PartnerId
    role: Annotated[str, _normalised(taxonomy.normalise_role)]
    industry: Industry = None
    country: Country = None
    segment: Segment = None
    deal_size: Money = None
    won: Annotated[bool, BeforeValidator(_flag)]
    closed_on: date
    cycle_days: Count = None
    csat: Percent = None
    description: Text = None


class Deal(BaseModel):
    """A seller's recommendation request (DESIGN.md 3.3).

    With ``strict`` (the default) languages (all), certifications (all), partner types (any) and
    country (served) are hard constraints; otherwise they are preferences.

    Example:
        >>> Deal(description="ERP data migration", country="Germany", languages=["German"]).country
        'DE'
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Text = None
    industry: Industry = None
    country: Country = None
    segment: Segment = None
    languages: Languages = []
    certifications: Annotated[
        list[Tag],
        BeforeValidator(_split_list),
        Field(max_length=MAX_LIST_ITEMS),
        text_list_schema(MAX_LIST_ITEMS),
    ] = []
    partner_types: PartnerTypes = []
    specialisms: TagList = []
    deal_size: Money = None
    top_k: int = Field(default=10, ge=1, le=100, strict=True)
    exclude: Annotated[
        list[Annotated[str, Field(max_length=MAX_TAG_CHARS)]],
        BeforeValidator(_split_list),
        Field(max_length=MAX_EXCLUDED_IDS),
        text_list_schema(MAX_EXCLUDED_IDS),
    ] = []
    strict: Annotated[bool, BeforeValidator(_flag)] = True
    include_at_capacity: Annotated[bool, BeforeValidator(_flag)] = Field(
        default=False,
        description=(
            "Also consider partners with no room for a project: at capacity (`active_projects` "
            "≥ `max_projects`) or paused (`paused_until` after today). Left out by default and "
            "counted in `funnel.at_capacity`."
        ),
    )
    read_description: Annotated[bool, BeforeValidator(_flag)] = Field(
        default=True,
        description=(
            "Read countries, languages, industries, segment and partner types from the "
            "description (English, German, French, Spanish, Dutch); false turns reading off."
        ),
    )
    ignore_read: TagList = Field(
        default=[],
        description=(
            "Values read from the description to drop, by the `key` of their "
            "`read_from_description.entries` entry (`countries:DE`, `languages:fr`, "
            "`industries:healthcare`, `segments:enterprise`, `partner_types:isv`): neither "
            "applied nor counted, reported as `applied: ignored`. Case-insensitive; a key the "
            "text does not name is skipped."
        ),
    )

    @field_validator("certifications")
    @classmethod
    def _certification_names_are_valid(cls, names: list[str]) -> list[str]:
        for name in names:
            taxonomy.certification_key(name)
        return names

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Deal:
        if not (self.description or self.industry or self.specialisms):
            raise ValueError("a deal needs at least one of description, industry or specialisms")
        return self

    @property
    def certification_keys(self) -> list[str]:
        """Normalised keys of the required certifications, comparable with a partner's."""
        return [taxonomy.certification_key(name) for name in self.certifications]


class FieldProblem(BaseModel):
    """One validation problem, named by the field (column) it concerns."""

    field: str
    message: str


def field_problems(error: ValidationError) -> list[FieldProblem]:
    """Flatten a pydantic error into (field, message) pairs people can act on.

    ``("languages", 2)`` becomes field ``languages``; pydantic's ``"Value error, "`` prefix goes.
    """
    problems: list[FieldProblem] = []
    for detail in error.errors(include_url=False):
        location = [str(part) for part in detail["loc"] if not isinstance(part, int)]
        field = location[0] if location else "(row)"
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = "required value is missing"
        problems.append(FieldProblem(field=field, message=message))
    return problems
