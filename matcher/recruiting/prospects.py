"""Prospect scoring for partner recruiters (DESIGN.md 3.5): fit against the vendor's ICP.

A prospect is a partner row without history. It gets the 4 C sub-scores with evidence (against
the ideal customer profile in ``matrix.toml``), a weighted overall (equal weights by default), a
band, the gaps that hold it back ("no certified staff", "covers 1 of 5 target regions (not
DACH, ...)"), a suggested tier,
and the existing top performers it most resembles ("looks like"): DOMAIN.md's Pareto rule says
recruit look-alikes of the 20 % of partners that drive 80 % of results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matcher.ipp.base import FOUR_CS, FourCs
from matcher.ipp.config import MatrixConfig, validate_weights
from matcher.ipp.four_cs import Assessment, FourCsAssessor
from matcher.ipp.history import Priors
from matcher.ipp.matrix import weighted_overall
from matcher.recruiting.lookalikes import LookAlike, LookalikeIndex, TextEmbedder, four_cs_matrix
from matcher.schemas import PartnerProfile

BANDS: tuple[str, ...] = ("strong_fit", "possible_fit", "weak_fit")
LOW_TRAINING = 0.5
STALE_RECENCY = 0.5


@dataclass(frozen=True)
class ProspectScore:
    """The scored prospect (DESIGN.md 3.5 shape via :meth:`as_dict`)."""

    partner_id: str
    four_cs: FourCs
    overall: float
    band: str
    gaps: list[str]
    suggested_tier: str
    looks_like: list[LookAlike] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in the fixed contract shape plus ``confidence`` and ``unknown``."""
        return {
            "partner_id": self.partner_id,
            "four_cs": self.four_cs.as_dict(),
            "evidence": {c: list(self.four_cs.evidence.get(c, [])) for c in FOUR_CS},
            "overall": round(self.overall, 1),
            "band": self.band,
            "gaps": list(self.gaps),
            "suggested_tier": self.suggested_tier,
            "looks_like": [
                {"partner_id": a.partner_id, "name": a.name, "similarity": round(a.similarity, 3)}
                for a in self.looks_like
            ],
            "confidence": self.four_cs.confidence,
            "unknown": list(self.unknown),
        }

    def csv_row(self) -> dict[str, Any]:
        """One row of a screening CSV: a column per C, overall, band, gaps joined by ``;``."""
        return {
            "partner_id": self.partner_id,
            **self.four_cs.as_dict(),
            "overall": round(self.overall, 1),
            "band": self.band,
            "gaps": ";".join(self.gaps),
            "suggested_tier": self.suggested_tier,
            "confidence": self.four_cs.confidence,
            "looks_like": looks_like_text(self.looks_like),
        }


def region_coverage_gap(
    countries: Sequence[str], regions: Sequence[tuple[str, frozenset[str]]]
) -> str | None:
    """One gap for the target regions a prospect does not cover, or ``None`` if it covers all.

    ``"covers 1 of 5 target regions (not DACH, North America, Nordics, Benelux)"``: the same
    words as the Customer fit evidence, and one line instead of one "no X coverage" per region.
    """
    own = set(countries)
    missing = [region for region, codes in regions if not own & codes]
    if not missing:
        return None
    covered = len(regions) - len(missing)
    return f"covers {covered} of {len(regions)} target regions (not {', '.join(missing)})"


def looks_like_text(looks_like: Sequence[LookAlike]) -> str:
    """The look-alikes as a CSV cell a person reads: ``Name (P-042); Other (P-007)``.

    A ``;`` inside a name becomes ``,`` so that the cell still splits on ``;``.
    """
    return ";".join(f"{a.name.replace(';', ',')} ({a.partner_id})" for a in looks_like)


class ProspectScorer:
    """Scores prospects against the ICP; look-alikes when given an index and an embedder.

    Example:
        >>> from matcher.schemas import Prospect
        >>> scorer = ProspectScorer(reference_date=date(2026, 1, 31))
        >>> result = scorer.score(Prospect(partner_id="X-1", name="X", partner_type="isv",
        ...                                certified_staff=0, countries=["GB"]))
        >>> "no certified staff" in result.gaps
        True
    """

    def __init__(
        self,
        config: MatrixConfig | None = None,
        weights: Mapping[str, float] | None = None,
        priors: Priors | None = None,
        lookalikes: LookalikeIndex | None = None,
        embedder: TextEmbedder | None = None,
        text: Callable[[PartnerProfile], str] | None = None,
        reference_date: date | None = None,
        looks_like_k: int = 3,
    ) -> None:
        self.config = config or MatrixConfig.load()
        # Prospects are weighted equally unless told otherwise (DESIGN.md 3.5).
        self.weights = validate_weights(weights or {})
        self.assessor = FourCsAssessor(self.config, priors, reference_date)
        self.lookalikes = lookalikes
        self.embedder = embedder
        self.text = text
        self.looks_like_k = looks_like_k
        self._icp_regions = self.config.icp.region_codes()
        if lookalikes is not None and len(lookalikes) and embedder is None:
            raise ValueError("look-alikes need the embedder that built their index")

    def score(self, prospect: PartnerProfile) -> ProspectScore:
        """One prospect, scored (see the module docstring)."""
        return self.score_many([prospect])[0]

    def score_many(self, prospects: Sequence[PartnerProfile]) -> list[ProspectScore]:
        """Many prospects; the look-alike search runs as one batch."""
        assessments = [self.assessor.assess_detailed(p) for p in prospects]
        looks_like = self._looks_like(prospects, [a.four_cs for a in assessments])
        return [
            self._result(prospect, assessment, similar)
            for prospect, assessment, similar in zip(
                prospects, assessments, looks_like, strict=True
            )
        ]

    def _looks_like(
        self, prospects: Sequence[PartnerProfile], four_cs: list[FourCs]
    ) -> list[list[LookAlike]]:
        if (
            self.lookalikes is None
            or not len(self.lookalikes)
            or self.embedder is None
            or not prospects
        ):
            return [[] for _ in prospects]
        text = self.text
        if text is None:
            from matcher.embedding.base import partner_text

            text = partner_text
        vectors = self.embedder.embed([text(p) for p in prospects])
        return self.lookalikes.query(vectors, four_cs_matrix(four_cs), self.looks_like_k)

    def _result(
        self, prospect: PartnerProfile, assessment: Assessment, similar: list[LookAlike]
    ) -> ProspectScore:
        four_cs = assessment.four_cs
        overall = weighted_overall(four_cs, self.weights)
        return ProspectScore(
            partner_id=prospect.partner_id,
            four_cs=four_cs,
            overall=overall,
            band=self.band(overall),
            gaps=self.gaps(prospect, assessment),
            suggested_tier=self.suggested_tier(prospect, overall),
            looks_like=similar,
            unknown=[
                c.evidence.removesuffix(" unknown") for c in assessment.criteria if c.value is None
            ],
        )

    def band(self, overall: float) -> str:
        """``strong_fit`` / ``possible_fit`` / ``weak_fit`` by the thresholds in ``[bands]``."""
        if overall >= self.config.bands.get("strong_fit", 65.0):
            return "strong_fit"
        if overall >= self.config.bands.get("possible_fit", 45.0):
            return "possible_fit"
        return "weak_fit"

    def suggested_tier(self, prospect: PartnerProfile, overall: float) -> str:
        """The highest tier whose minimums (overall, certified staff) the prospect meets.

        Unknown certified staff meets no minimum above zero: a tier must be earned on evidence.
        """
        certified = prospect.certified_staff
        for tier, minimums in self.config.tiers:
            needed_staff = minimums.get("certified_staff", 0.0)
            staff_ok = needed_staff <= 0 or (certified is not None and certified >= needed_staff)
            if overall >= minimums.get("overall", 0.0) and staff_ok:
                return tier
        return "registered"

    def gaps(self, prospect: PartnerProfile, assessment: Assessment) -> list[str]:
        """What holds the prospect back, from known facts only (unknowns are listed apart)."""
        values = {c.key: c.value for c in assessment.criteria}
        gaps: list[str] = []
        if prospect.certified_staff == 0:
            gaps.append("no certified staff")
        elif values.get("capability.certifications") == 0.0:
            gaps.append("no certifications")
        if values.get("capacity.headroom") == 0.0:
            gaps.append("no project headroom")
        if prospect.dedicated_manager is False:
            gaps.append("no dedicated partner manager")
        training = prospect.training_completion
        if training is not None and training < LOW_TRAINING:
            gaps.append(f"training only {training * 100:.0f} % complete")
        recency = values.get("commitment.recency")
        if recency is not None and recency < STALE_RECENCY:
            gaps.append("inactive recently")
        if prospect.countries:
            region_gap = region_coverage_gap(prospect.countries, self._icp_regions)
            if region_gap:
                gaps.append(region_gap)
        if prospect.industries and values.get("customer_fit.industries") == 0.0:
            gaps.append("serves none of the target industries")
        if prospect.segments and values.get("customer_fit.segments") == 0.0:
            gaps.append("serves none of the target segments")
        return gaps


# -- screening: many prospects from a file ------------------------------------------------------

SCREEN_COLUMNS: tuple[str, ...] = (
    "partner_id",
    "name",
    *FOUR_CS,
    "overall",
    "band",
    "gaps",
    "suggested_tier",
    "confidence",
    "looks_like",
)
