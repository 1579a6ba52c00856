"""Prospect scoring for long-running services: look-alike indexes built once, weights per call.

Building a :class:`~matcher.prospects.ProspectScorer` reads every partner and outcome and
embeds the top performers; a server does that once per mode and reuses it, creating only a
light scorer per request for that request's matrix weights. A partner write invalidates it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from matcher.embedding import Embedder
from matcher.four_cs import MatrixConfig
from matcher.ingest import RowProblem
from matcher.prospects import (
    ProspectScore,
    ProspectScorer,
    ScreenReport,
    prospect_scorer_for,
    screen_records,
)
from matcher.schemas import PartnerProfile
from matcher.settings import Settings
from matcher.store import Store

MAX_SCREEN_ROWS = 5_000


class RecruitingService:
    """Scores prospects against the IPP: one at a time (model look-alikes) or in bulk (lexical)."""

    def __init__(self, store: Store, settings: Settings, embedder: Embedder) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self._bases: dict[str, ProspectScorer] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget the cached scorers (partners or outcomes changed)."""
        with self._lock:
            self._bases.clear()

    def _scorer(self, mode: str, weights: Mapping[str, float] | None) -> ProspectScorer:
        with self._lock:
            base = self._bases.get(mode)
            if base is None:
                base = prospect_scorer_for(
                    self.store,
                    MatrixConfig.load(self.settings.matrix_config),
                    self.embedder if mode == "model" else "lexical",
                )
                self._bases[mode] = base
        if not weights:
            return base
        return ProspectScorer(
            base.config,
            weights,
            base.assessor.priors,
            lookalikes=base.lookalikes,
            embedder=base.embedder,
        )

    def score(
        self, prospect: PartnerProfile, weights: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """One prospect in the DESIGN.md 3.5 shape (look-alikes by the sentence model)."""
        return self._scorer("model", weights).score(prospect).as_dict()

    def screen(
        self,
        records: Sequence[tuple[int, Mapping[str, Any]]],
        weights: Mapping[str, float] | None = None,
        problems: Sequence[RowProblem] = (),
    ) -> tuple[list[tuple[str, ProspectScore]], ScreenReport]:
        """Score many ``(line, values)`` rows: ``(name, score)`` per valid row, in order.

        Bad rows become problems of the report (line and column), as do ``problems`` found
        while reading the file.

        Raises:
            ValueError: more than :data:`MAX_SCREEN_ROWS` rows.
        """
        if len(records) + len(problems) > MAX_SCREEN_ROWS:
            raise ValueError(f"at most {MAX_SCREEN_ROWS:,} prospects per screening request")
        report = ScreenReport(rows_read=len(problems), problems=list(problems))
        return screen_records(records, self._scorer("lexical", weights), report), report
