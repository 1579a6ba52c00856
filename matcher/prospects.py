"""Prospect scoring for partner recruiters (DESIGN.md 3.5): fit against the vendor's ICP.

A prospect is a partner row without history. It gets the 4 C sub-scores with evidence (against
the ideal customer profile in ``matrix.toml``), a weighted overall (equal weights by default), a
band, the gaps that hold it back ("no certified staff", "no DACH coverage"), a suggested tier,
and the existing top performers it most resembles ("looks like"): DOMAIN.md's Pareto rule says
recruit look-alikes of the 20 % of partners that drive 80 % of results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

from matcher.four_cs import Assessment, FourCsAssessor, MatrixConfig, Priors, validate_weights
from matcher.ipp import FOUR_CS, FourCs
from matcher.matrix import weighted_overall
from matcher.schemas import PartnerProfile
from matcher.scorecard import top_performers

BANDS: tuple[str, ...] = ("strong_fit", "possible_fit", "weak_fit")
SEMANTIC_WEIGHT = 0.7  # look-alike similarity: 70 % description embedding, 30 % 4 C profile
LOW_TRAINING = 0.5
STALE_RECENCY = 0.5


class TextEmbedder(Protocol):
    """What look-alikes need from :mod:`matcher.embedding`: normalised vectors for texts."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` L2-normalised vectors."""
        ...


@dataclass(frozen=True)
class LookAlike:
    """An existing top performer a prospect resembles."""

    partner_id: str
    name: str
    similarity: float


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
            "looks_like": ";".join(a.partner_id for a in self.looks_like),
        }


def _four_cs_matrix(four_cs: Sequence[FourCs]) -> np.ndarray:
    return np.array([[getattr(f, c) for c in FOUR_CS] for f in four_cs], dtype=np.float32).reshape(
        len(four_cs), len(FOUR_CS)
    )


class LookalikeIndex:
    """The top-performing partners, searchable by description embedding and 4 C profile.

    Similarity = ``semantic_weight`` · cosine of the embeddings + (1 − ``semantic_weight``) ·
    (1 − mean absolute 4 C difference / 100). Brute force numpy: the top 20 % of even a large
    ecosystem is a few thousand rows.
    """

    def __init__(
        self,
        partners: Sequence[PartnerProfile],
        vectors: np.ndarray,
        four_cs: np.ndarray,
        semantic_weight: float = SEMANTIC_WEIGHT,
    ) -> None:
        if not 0 <= semantic_weight <= 1:
            raise ValueError(f"semantic_weight must be in [0, 1]; got {semantic_weight}")
        self.partners = list(partners)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.four_cs = np.asarray(four_cs, dtype=np.float32)
        self.semantic_weight = semantic_weight

    @classmethod
    def build(
        cls,
        partners: Mapping[str, PartnerProfile],
        outcomes: pd.DataFrame,
        embedder: TextEmbedder,
        assessor: FourCsAssessor,
        text: Callable[[PartnerProfile], str] | None = None,
        share: float = 0.2,
    ) -> LookalikeIndex:
        """Index the top ``share`` of partners by revenue closed in ``outcomes``.

        ``text`` builds the embedded text (default :func:`matcher.embedding.partner_text`, the
        text the partner index embeds).
        """
        if text is None:
            from matcher.embedding import partner_text

            text = partner_text
        top = [partners[pid] for pid in top_performers(outcomes, share) if pid in partners]
        vectors = embedder.embed([text(p) for p in top]) if top else np.zeros((0, 1), np.float32)
        four_cs = _four_cs_matrix([assessor.assess(p) for p in top])
        return cls(top, vectors, four_cs)

    def __len__(self) -> int:
        return len(self.partners)

    def query(self, vectors: np.ndarray, four_cs: np.ndarray, k: int = 3) -> list[list[LookAlike]]:
        """The ``k`` most similar top performers for each query row."""
        if not self.partners or k <= 0:
            return [[] for _ in range(len(vectors))]
        semantic = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        profile = 1.0 - np.abs(four_cs[:, None, :] - self.four_cs[None, :, :]).mean(axis=2) / 100.0
        similarity = self.semantic_weight * semantic + (1 - self.semantic_weight) * profile
        k = min(k, len(self.partners))
        best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        results = []
        for row, columns in enumerate(best):
            ordered = columns[np.argsort(-similarity[row, columns], kind="stable")]
            results.append(
                [
                    LookAlike(
                        self.partners[i].partner_id,
                        self.partners[i].name,
                        float(np.clip(similarity[row, i], 0.0, 1.0)),
                    )
                    for i in ordered
                ]
            )
        return results


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
            from matcher.embedding import partner_text

            text = partner_text
        vectors = self.embedder.embed([text(p) for p in prospects])
        return self.lookalikes.query(vectors, _four_cs_matrix(four_cs), self.looks_like_k)

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
            own = set(prospect.countries)
            gaps.extend(
                f"no {region} coverage" for region, codes in self._icp_regions if not own & codes
            )
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


@dataclass
class ScreenReport:
    """What a screening did: rows read, scored, and each bad row's line, column and problem."""

    rows_read: int = 0
    rows_scored: int = 0
    problems: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def screen_records(
    records: Sequence[tuple[int, Mapping[str, Any]]], scorer: ProspectScorer, report: ScreenReport
) -> list[tuple[str, ProspectScore]]:
    """Validate ``(line, values)`` records as prospects and score the valid ones.

    Invalid rows become ``RowProblem`` entries of ``report`` (line and column), never exceptions.
    Returns ``(name, score)`` per valid row, in input order.
    """
    from pydantic import ValidationError

    from matcher.ingest import RowProblem
    from matcher.schemas import Prospect, field_problems

    valid: list[Prospect] = []
    for line, values in records:
        report.rows_read += 1
        try:
            valid.append(Prospect.model_validate(values))
        except ValidationError as error:
            report.problems.extend(
                RowProblem(line, p.field, p.message) for p in field_problems(error)
            )
    scores = scorer.score_many(valid)
    report.rows_scored += len(scores)
    return [(prospect.name, score) for prospect, score in zip(valid, scores, strict=True)]


def screen_file(
    path: Any,
    output: Any,
    scorer: ProspectScorer,
    chunk_rows: int = 2_000,
    progress: Callable[[int], None] | None = None,
) -> ScreenReport:
    """Score every prospect of a CSV/JSONL file (DESIGN.md 3.1 columns) into a scored CSV.

    Bad rows are reported with their line and column and left out of the output; the file as a
    whole failing (not UTF-8, no ``partner_id`` column ...) raises ``IngestError``.
    """
    import csv
    from pathlib import Path

    from matcher.ingest import IngestReport, check_columns, read_records

    path, output = Path(path), Path(output)
    report = ScreenReport()
    ingest_report = IngestReport(kind="prospects", path=path)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.partial")
    checked = False
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(SCREEN_COLUMNS))
            writer.writeheader()
            for chunk in read_records(path, chunk_rows, ingest_report):
                if not checked:
                    check_columns("prospects", chunk.columns, path, ingest_report)
                    checked = True
                records = [(record.line, record.values) for record in chunk.records]
                for name, score in screen_records(records, scorer, report):
                    writer.writerow({"name": name, **score.csv_row()})
                if progress is not None:
                    progress(report.rows_read)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    report.problems = [*ingest_report.problems, *report.problems]
    report.warnings = [*ingest_report.warnings, *report.warnings]
    report.rows_read += ingest_report.rows_read
    temporary.replace(output)
    return report


class LexicalEmbedder:
    """TF-IDF vectors of partner texts over the top performers' vocabulary: bulk screening speed.

    The sentence model embeds ~80–250 profiles/s on two cores, so 10,000 prospects would take
    minutes; this embeds thousands per second. It compares the same text (what a partner does,
    for whom, its specialisms) by shared words instead of meaning. The vocabulary is learned
    with :meth:`fit` from the top performers' texts; words outside it do not count.
    """

    model_id = "tfidf-lookalike"

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        self.fitted = False

    def fit(self, texts: list[str]) -> LexicalEmbedder:
        """Learn the vocabulary and inverse document frequencies; returns ``self``."""
        self.vectorizer.fit(texts or ["partner"])
        self.fitted = True
        return self

    @property
    def dim(self) -> int:
        """Vocabulary size (the vector width)."""
        return len(self.vectorizer.vocabulary_) if self.fitted else 0

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Dense L2-normalised TF-IDF rows (zero for a text sharing no word with the vocabulary)."""
        if not self.fitted:
            raise ValueError("LexicalEmbedder.fit(texts) must be called before embed()")
        vectors = self.vectorizer.transform(texts).astype(np.float32).toarray()
        if progress is not None:
            progress(len(texts))
        return vectors


class _StoreCachedEmbedder:
    """An embedder that reuses the store's vector cache (top performers rarely change)."""

    def __init__(self, store: Any, embedder: Any) -> None:
        self.store = store
        self.embedder = embedder

    def embed(self, texts: list[str]) -> np.ndarray:
        from matcher.embedding import embed_texts_cached

        return embed_texts_cached(self.store, self.embedder, texts)


def prospect_scorer_for(
    store: Any,
    config: MatrixConfig | None = None,
    embedder: Any = None,
    weights: Mapping[str, float] | None = None,
    looks_like: bool = True,
) -> ProspectScorer:
    """The prospect scorer over a store: population priors and look-alikes from its partners.

    ``embedder`` is a :class:`matcher.embedding.Embedder` (the CLI and API pass the process-wide
    one; its vectors of the top performers are cached in the store) or ``"lexical"`` for a
    :class:`LexicalEmbedder` (bulk screening). With ``looks_like=False``, no embedder or no
    outcomes yet, results have no look-alikes.
    """
    from matcher.four_cs import fit_priors

    config = config or MatrixConfig.load()
    partners = store.all_partners()
    priors = fit_priors(partners.values(), config) if partners else None
    lookalikes = None
    if looks_like and partners and embedder is not None:
        from matcher.embedding import partner_text

        outcomes = store.outcomes_frame()
        assessor = FourCsAssessor(config, priors)
        if embedder == "lexical":
            top = [partners[pid] for pid in top_performers(outcomes) if pid in partners]
            embedder = LexicalEmbedder().fit([partner_text(p) for p in top])
            index_embedder: Any = embedder
        else:
            index_embedder = _StoreCachedEmbedder(store, embedder)
        lookalikes = LookalikeIndex.build(partners, outcomes, index_embedder, assessor)
    return ProspectScorer(
        config,
        weights,
        priors,
        lookalikes=lookalikes,
        embedder=embedder if lookalikes is not None else None,
    )
