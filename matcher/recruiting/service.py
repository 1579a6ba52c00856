"""Prospect scoring for long-running services: look-alike indexes built once, weights per call.

Building a :class:`~matcher.recruiting.prospects.ProspectScorer` reads every partner and outcome and
embeds the top performers; a server does that once per mode and reuses it, creating only a
light scorer per request for that request's matrix weights. After a partner write the old one
serves while a fresh one is built in the background.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from matcher.embedding.base import Embedder
from matcher.embedding.cache import StoreCachedEmbedder
from matcher.embedding.lexical import LexicalEmbedder
from matcher.ingest import RowProblem
from matcher.ipp.config import MatrixConfig
from matcher.ipp.four_cs import FourCsAssessor
from matcher.ipp.scorecard import top_performers
from matcher.recruiting import batches
from matcher.recruiting.lookalikes import LookalikeIndex
from matcher.recruiting.prospects import ProspectScore, ProspectScorer
from matcher.recruiting.screening import ScreenReport, screen_prospects, screen_records
from matcher.schemas import PartnerProfile
from matcher.settings import Settings
from matcher.store import Store

log = logging.getLogger(__name__)

MAX_SCREEN_ROWS = 5_000


class RecruitingService:
    """Scores prospects against the IPP: one at a time (model look-alikes) or in bulk (lexical).

    A scorer is built on first use per mode (about 3 s of pure Python at 10k partners: the
    population priors and the look-alike index). After a partner write the one built before
    keeps serving while a fresh one is built on a background thread, started by the first
    request after the write: a screening never waits for a rebuild once a scorer exists, at
    the price of population figures one rebuild behind the latest write.
    """

    def __init__(self, store: Store, settings: Settings, embedder: Embedder) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self._bases: dict[str, ProspectScorer] = {}
        self._stale: set[str] = set()  # modes whose scorer predates a partner write
        self._rebuilding: dict[str, threading.Thread] = {}
        self._writes = 0  # partner writes seen, to tell a first build overtaken by one
        self._lock = threading.Lock()
        self._first_build = threading.Lock()

    def invalidate(self) -> None:
        """Partners or outcomes changed: each scorer is rebuilt when next asked for."""
        with self._lock:
            self._stale.update(self._bases)
            self._writes += 1

    def _build(self, mode: str) -> ProspectScorer:
        return prospect_scorer_for(
            self.store,
            MatrixConfig.load(self.settings.matrix_config),
            self.embedder if mode == "model" else "lexical",
        )

    def _rebuild(self, mode: str) -> None:
        """Build ``mode``'s scorer afresh and swap it in (a write meanwhile marks it stale
        again, so the next request starts another)."""
        try:
            with self._lock:
                self._stale.discard(mode)
            fresh = self._build(mode)
            with self._lock:
                self._bases[mode] = fresh
        except Exception:  # the old scorer keeps serving; the next request tries again
            log.exception("rebuilding the %s prospect scorer failed", mode)
            with self._lock:
                self._stale.add(mode)
        finally:
            with self._lock:
                self._rebuilding.pop(mode, None)

    def wait_for_rebuilds(self, timeout: float | None = None) -> None:
        """Wait for the background rebuilds running now (tests, a clean shutdown)."""
        with self._lock:
            running = list(self._rebuilding.values())
        for thread in running:
            thread.join(timeout)

    def _scorer(self, mode: str, weights: Mapping[str, float] | None) -> ProspectScorer:
        with self._lock:
            base = self._bases.get(mode)
            if base is not None and mode in self._stale and mode not in self._rebuilding:
                thread = threading.Thread(
                    target=self._rebuild,
                    args=(mode,),
                    name=f"partnermatch-{mode}-scorer",
                    daemon=True,
                )
                self._rebuilding[mode] = thread
                thread.start()
        if base is None:
            with self._first_build:  # concurrent first requests wait for the one build
                with self._lock:
                    base, writes = self._bases.get(mode), self._writes
                if base is None:
                    base = self._build(mode)
                    with self._lock:
                        self._bases[mode] = base
                        if self._writes != writes:  # a write came in while it was built
                            self._stale.add(mode)
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

    def save_batch(
        self,
        name: str,
        records: Sequence[tuple[int, Mapping[str, Any]]],
        weights: Mapping[str, float] | None = None,
        problems: Sequence[RowProblem] = (),
        key_id: str | None = None,
    ) -> str:
        """Screen the rows like :meth:`screen` and keep them as a new saved batch (every
        prospect ``new``); returns the batch id (:mod:`matcher.recruiting.batches`).

        Raises:
            ValueError: more than :data:`MAX_SCREEN_ROWS` rows.
        """
        if len(records) + len(problems) > MAX_SCREEN_ROWS:
            raise ValueError(f"at most {MAX_SCREEN_ROWS:,} prospects per screening request")
        report = ScreenReport(rows_read=len(problems), problems=list(problems))
        scored = screen_prospects(records, self._scorer("lexical", weights), report)
        found = [
            {"line": p.line, "column": p.column, "message": p.message} for p in report.problems
        ]
        return batches.save_batch(
            self.store, name, scored, report.rows_read, found, dict(weights or {}), key_id
        )

    def rescore_batch(self, batch_id: str, weights: Mapping[str, float] | None) -> bool:
        """Score a saved batch again with ``weights`` (``None``/empty: the matrix's); the
        statuses stay. ``False`` for an unknown batch."""
        scorer = self._scorer("lexical", weights)
        return batches.rescore_batch(self.store, batch_id, dict(weights or {}), scorer.score_many)


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
    from matcher.ipp.four_cs import fit_priors

    config = config or MatrixConfig.load()
    partners = store.all_partners()
    priors = fit_priors(partners.values(), config) if partners else None
    lookalikes = None
    if looks_like and partners and embedder is not None:
        from matcher.embedding.base import partner_text

        outcomes = store.outcomes_frame()
        assessor = FourCsAssessor(config, priors)
        if embedder == "lexical":
            top = [partners[pid] for pid in top_performers(outcomes) if pid in partners]
            embedder = LexicalEmbedder().fit([partner_text(p) for p in top])
            index_embedder: Any = embedder
        else:
            index_embedder = StoreCachedEmbedder(store, embedder)
        lookalikes = LookalikeIndex.build(partners, outcomes, index_embedder, assessor)
    return ProspectScorer(
        config,
        weights,
        priors,
        lookalikes=lookalikes,
        embedder=embedder if lookalikes is not None else None,
    )
