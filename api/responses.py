"""The API's response models, one per use, in one place.

Request bodies are the core's own models (:mod:`matcher.schemas`, :mod:`matcher.feedback`):
what a client sends is what the library validates. What the API answers is a shape of its
own (an envelope, a page, public fields only), so those shapes live here, where the routes
and the OpenAPI schema share them and the same shape is never declared twice.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.ipp import VersionInfo
from matcher.schemas import Partner


class Readiness(BaseModel):
    """Which services are loaded."""

    status: str
    checks: dict[str, bool]


class FeedbackRecorded(BaseModel):
    """The stored event's id."""

    feedback_id: int


class TeamFeedbackRecorded(BaseModel):
    """The stored event's id for each member of the team."""

    feedback_ids: dict[str, int]


class ModelList(BaseModel):
    """Registered versions and what is serving now."""

    versions: list[VersionInfo]
    serving: str | None


class RebuildStarted(BaseModel):
    """A full re-index has started; the current index is served until it is swapped."""

    status: str
    serving_index_version: str | None


class PartnerList(BaseModel):
    """One page of partners and the total that matched."""

    partners: list[Partner]
    total: int
    offset: int
    limit: int


class QuarterScorecard(BaseModel):
    """One quarter of a partner's KPIs with a red/amber/green status."""

    model_config = ConfigDict(extra="allow")

    quarter: str
    deals: int
    win_rate: float
    status: str


class Scorecard(BaseModel):
    """A partner's quarterly scorecard, most recent quarter last."""

    partner_id: str
    quarters: list[QuarterScorecard]


class FourCsScores(BaseModel):
    """The 4 C sub-scores, 0–100."""

    capacity: float
    capability: float
    commitment: float
    customer_fit: float


class LookAlike(BaseModel):
    """An existing top-performing partner the prospect resembles."""

    partner_id: str
    name: str
    similarity: float


class ProspectScore(BaseModel):
    """A prospect scored against the Ideal Partner Profile (DESIGN.md 3.5)."""

    model_config = ConfigDict(extra="allow")

    partner_id: str
    four_cs: FourCsScores
    evidence: dict[str, list[str]]
    overall: float
    band: str
    gaps: list[str]
    suggested_tier: str
    looks_like: list[LookAlike]


class ScreenedProspect(ProspectScore):
    """One screened row: the score plus the prospect's name."""

    name: str


class RowProblemOut(BaseModel):
    """A bad row: its line (CSV header = line 1), column and problem."""

    line: int
    column: str
    message: str


class ScreenResult(BaseModel):
    """Every valid row scored; every bad row named with its line and column."""

    rows_read: int
    rows_scored: int
    results: list[ScreenedProspect]
    problems: list[RowProblemOut]


class RankedPartner(BaseModel):
    """One recommended partner with the evidence and the reason (DESIGN.md 3.3)."""

    model_config = ConfigDict(extra="allow")

    partner_id: str
    name: str
    rank: int
    score: float = Field(
        description="Match score in 0–1 for ordering the answer; not a win probability."
    )
    four_cs: FourCsScores
    evidence: dict[str, Any]
    reason: str
    above_next: list[str] = Field(
        [],
        description="The ranking features that put this partner above the next result "
        "(largest first; empty for the last result or a tie).",
    )


class ReadEntry(BaseModel):
    """One value read from the description, and what was done with it."""

    key: str = Field(
        description="Stable name of this value, `<kind>:<value>` (`countries:DE`); list it in "
        "the deal's `ignore_read` to drop the value and ask again."
    )
    kind: Literal["countries", "industries", "languages", "segments", "partner_types"]
    value: str = Field(description="The normalised value: ISO code or taxonomy id.")
    label: str = Field(description="The value as a person names it (`Germany`, `French`).")
    applied: Literal["constraint", "preference", "ignored"] = Field(
        description="A hard constraint (the text requires it, strict deal), a preference that "
        "raises the score, or dropped because the deal's `ignore_read` names it."
    )
    words: list[str] = Field(description="The words of the description it was read from.")


class ReadFromDescription(BaseModel):
    """What the description was read for (absent with `read_description: false`).

    The per-field lists hold the values applied (ignored ones left out); `applied` says how
    each field was applied; `entries` lists every value read, ignored ones included.
    """

    model_config = ConfigDict(extra="allow")

    countries: list[str] = []
    industries: list[str] = []
    languages: list[str] = []
    segments: list[str] = []
    partner_types: list[str] = []
    applied: dict[str, Literal["constraint", "preference"]] = {}
    words: dict[str, list[str]] = {}
    entries: list[ReadEntry] = []


class Recommendation(BaseModel):
    """Ranked partners for a deal; ``funnel`` says how many passed each hard filter."""

    model_config = ConfigDict(extra="allow")

    recommendation_id: str
    model_version: str
    ranker: str = Field(
        "hand-weights",
        description="What ordered the results: a learned ranker version (`ranker-0001`) or "
        "`hand-weights`, the cold-start ranking.",
    )
    index_version: str
    funnel: dict[str, int] = Field(
        description="In order: `total` live partners; `at_capacity`, how many were left out "
        "for having no room (at `max_projects`, or `paused_until` a later day; 0 with "
        "`include_at_capacity`); then how many of the rest passed `country`, `languages`, "
        "`certifications` and `partner_types` in turn (with `strict: false`, how many would)."
    )
    results: list[RankedPartner]
    read_from_description: ReadFromDescription | None = Field(
        None,
        description="What the description was read for and how each value was applied; null "
        "when nothing was read or reading is off.",
    )
    low_relevance: bool = Field(
        False,
        description="True when nothing in the partner profiles matches the description well: "
        "the results are the nearest partners, not good fits.",
    )
    warnings: list[str] = Field(
        [], description="What the seller should know, e.g. a certification no partner holds."
    )
    team_available: bool | None = Field(
        None,
        description="Only on a strict answer with fewer than 3 results: true when a team of "
        "partners covers every requirement (ask `POST /v1/recommendations/teams`).",
    )


class TeamMember(BaseModel):
    """One partner of a team, and the requirements it is the team's best cover for."""

    partner_id: str
    name: str
    partner_type: str
    score: float = Field(description="Its single-partner match score (0–1), its quality.")
    covers: list[str]


class Team(BaseModel):
    """Partners who together cover a deal, and who covers each requirement."""

    rank: int
    members: list[TeamMember]
    covered_by: dict[str, str] = Field(description="Requirement key → the member covering it.")
    missing: list[str] = Field(description="Requirements no member covers.")
    fully_covered: bool
    coverage: float = Field(description="Share of the requirements covered.")
    score: float = Field(
        description="Mean over the requirements of the covering member's score (0 if none)."
    )
    co_sold: list[dict[str, Any]] = Field(
        description="Member pairs attached to the same won deals before, and how many."
    )


class Teams(BaseModel):
    """Teams for a deal, best coverage first (then quality, then fewer members)."""

    model_config = ConfigDict(extra="allow")

    recommendation_id: str
    model_version: str
    index_version: str
    requirements: list[str] = Field(
        description="What a team must cover, `kind:value` (`languages:de`, `country:DE`, "
        "`certifications:…`, `partner_types:isv`, `specialisms:<phrase of the brief>`)."
    )
    funnel: dict[str, int]
    teams: list[Team]


class RecommendationRecord(BaseModel):
    """What was asked, who asked, which model and index answered, and what came back."""

    recommendation_id: str
    created_at: str
    key_id: str | None
    channel: str
    request: dict[str, Any]
    model_version: str
    index_version: str
    results: list[dict[str, Any]]


class WidgetPartner(BaseModel):
    """A partner as a customer may see it: public profile fields only (DESIGN.md 3.1)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str
    name: str
    partner_type: str
    description: str | None
    specialisms: list[str]
    languages: list[str]
    industries: list[str]
    certifications: list[str]
    countries: list[str]
    tier: str | None
    assets: list[str]
    rank: int
    matching_assets: list[str]


class WidgetAnswer(BaseModel):
    """Suggestions for the in-app context."""

    partners: list[WidgetPartner]


class PartnerFourCs(BaseModel):
    """A partner's 4 Cs against the vendor's ideal customer profile (no deal), with evidence."""

    partner_id: str
    four_cs: FourCsScores
    evidence: dict[str, list[str]] = Field(description="Evidence lines per C, as explained.")
    confidence: float = Field(description="Share of the inputs that were known (0–1).")
    model_version: str = Field(description="The scorer that assessed it (the ranking one).")


class FeedbackGiven(BaseModel):
    """A seller's answer on one served recommendation of this partner."""

    kind: str
    reason: str | None = None
    note: str | None = None
    created_at: str


class PartnerRecommendation(BaseModel):
    """A served answer that ranked the partner: the deal, its place in it, the feedback."""

    recommendation_id: str
    created_at: str
    channel: str
    request: dict[str, Any] = Field(description="The deal as it was asked.")
    results: int = Field(description="How many partners the answer held.")
    rank: int | None
    score: float | None
    reason: str | None = None
    four_cs: dict[str, float] | None = None
    feedback: list[FeedbackGiven]


class PartnerFeedbackEvent(BaseModel):
    """One feedback event about the partner, newest first."""

    id: int
    kind: str
    reason: str | None = None
    note: str | None = None
    recommendation_id: str | None = None
    deal_id: str | None = None
    won: bool | None = None
    deal_size: float | None = None
    created_at: str


class FeedbackTotals(BaseModel):
    """Counts over every seller's feedback about the partner."""

    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    won: int
    lost: int


class PartnerActivity(BaseModel):
    """The recent recommendations and feedback around one partner (a seller: its own only)."""

    partner_id: str
    recommendations: list[PartnerRecommendation]
    feedback: list[PartnerFeedbackEvent]
    totals: FeedbackTotals
