"""The live matching service: one engine shared by all requests, updated and swapped safely.

The HTTP API (and anything else long-running) holds a :class:`MatchingService`. Requests read
the current engine under a shared lock; a partner write updates the store, then the live
engine, under the exclusive lock. A full re-index builds a new engine *aside* (no lock held, so
requests keep being answered by the old one), replays the partner writes that happened while it
was building, and swaps the reference: no request waits on the rebuild, none fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from matcher.embedding.base import Embedder
from matcher.engine.build import build_engine, load_engine
from matcher.engine.evidence import evidence_from_store
from matcher.engine.exposure import concentration
from matcher.engine.filters import at_capacity
from matcher.engine.index import IndexLoadError, IndexMissingError
from matcher.engine.locks import ReadWriteLock
from matcher.engine.ranker import load_ranker
from matcher.engine.recommender import RANKER_FEATURES, Recommender
from matcher.engine.teams import CoSell, recommend_teams
from matcher.ipp.base import FourCs, IppScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store
from matcher.webhooks import emit

log = logging.getLogger(__name__)

# a strict answer with fewer results than this says whether a team could cover the deal
THIN_ANSWER = 3


class EngineNotReady(RuntimeError):
    """No engine is loaded yet (no index built, or the store is empty)."""


class MatchingService:
    """Owns the live :class:`Recommender` for one store.

    Args:
        store: the partner store.
        settings: where the index lives and how to build it.
        embedder: the (process-wide) embedder.
        scorer: the IPP scorer used for ranking (``scorer_factory`` re-reads it on reload).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        embedder: Embedder,
        scorer_factory: Callable[[], IppScorer],
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.scorer_factory = scorer_factory
        self._engine: Recommender | None = None
        self._lock = ReadWriteLock()
        self._rebuild_lock = threading.Lock()
        self._writes_during_rebuild: list[str] | None = None
        self._listeners: list[Callable[[], None]] = []
        # (outcome count, co-sell pairs) of the stored outcomes, for teams
        self._co_sell: tuple[int, CoSell] | None = None

    def on_partners_changed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every partner write (e.g. to drop caches built from them)."""
        self._listeners.append(listener)

    def reload_scorer(self) -> None:
        """Re-read the IPP scorer and the learned ranker with the partners' evidence (after a
        model promotion or rollback); the next request uses them."""
        scorer = self.scorer_factory()
        ranker = load_ranker(self.settings, RANKER_FEATURES)
        evidence = evidence_from_store(self.store) if ranker is not None else None
        with self._lock.writing():
            if self._engine is not None:
                self._engine.scorer = scorer
                self._engine.ranker = ranker
                self._engine.evidence = evidence

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the saved index (rebuilding it if stale); build one if none exists yet."""
        if self.store.count_partners() == 0:
            log.warning(
                "the store holds no partners: recommendations are unavailable until some are loaded"
            )
            return
        scorer = self.scorer_factory()
        try:
            engine = load_engine(
                self.store, self.embedder, scorer, self.settings, rebuild_if_stale=True
            )
        except IndexMissingError:
            log.warning("no index built yet; building one now")
            engine = build_engine(self.store, self.embedder, scorer, self.settings)
        except IndexLoadError as error:
            log.warning("saved index refused (%s); rebuilding", error)
            engine = build_engine(self.store, self.embedder, scorer, self.settings)
        with self._lock.writing():
            self._engine = engine

    @property
    def ready(self) -> bool:
        """Whether recommendations can be served."""
        return self._engine is not None

    @property
    def model_version(self) -> str | None:
        """The IPP scorer version the engine ranks with."""
        return self._engine.scorer.version if self._engine is not None else None

    @property
    def index_version(self) -> str | None:
        """The version of the index being served."""
        return self._engine.index.index_version if self._engine is not None else None

    def exposure_concentration(self) -> dict[str, float] | None:
        """How concentrated the served top slots are (:func:`exposure.concentration`), or
        ``None`` while no engine is loaded."""
        engine = self._engine
        if engine is None:
            return None
        return concentration(engine.exposure.snapshot(), len(engine.columns.row_of))

    # -- requests ------------------------------------------------------------------------------

    def recommend(self, deal: Deal, **options: Any) -> dict[str, Any]:
        """Ranked partners for ``deal`` (DESIGN.md 3.3) from the engine being served.

        A strict answer with fewer than :data:`THIN_ANSWER` results also says whether a team
        covers every requirement (``team_available``), so the seller knows to ask for one.
        """
        with self._lock.reading():
            engine = self._require_engine()
            answer = engine.recommend(deal, **options)
            if deal.strict and len(answer["results"]) < THIN_ANSWER:  # type: ignore[arg-type]
                best = recommend_teams(engine, deal.model_copy(update={"top_k": 1}))
                teams: list[dict[str, Any]] = best["teams"]  # type: ignore[assignment]
                answer["team_available"] = bool(
                    teams and teams[0]["fully_covered"] and len(teams[0]["members"]) > 1
                )
            return answer

    def teams(self, deal: Deal, max_team_size: int = 3) -> dict[str, Any]:
        """Teams of partners who together cover ``deal`` (:func:`recommend_teams`), with the
        co-sell evidence of the stored outcomes (re-read when their count changes)."""
        outcomes = self.store.count_outcomes()
        if self._co_sell is None or self._co_sell[0] != outcomes:
            self._co_sell = (outcomes, CoSell.from_outcomes(self.store.outcomes_frame()))
        with self._lock.reading():
            engine = self._require_engine()
            return recommend_teams(engine, deal, max_team_size, self._co_sell[1])

    def partner(self, partner_id: str) -> Partner | None:
        """The live profile of a partner the engine knows (no SQL)."""
        with self._lock.reading():
            engine = self._require_engine()
            row_id = engine.columns.row_of.get(partner_id)
            return engine.profiles.get(row_id) if row_id is not None else None

    def assess(self, partner_id: str) -> tuple[Partner, FourCs] | None:
        """A live partner with its 4 Cs against the vendor's ideal customer profile (no deal),
        by the scorer that ranks, with evidence per C (the partner profile page); ``None``
        for a partner the engine does not know."""
        with self._lock.reading():
            engine = self._require_engine()
            row_id = engine.columns.row_of.get(partner_id)
            partner = engine.profiles.get(row_id) if row_id is not None else None
            if partner is None:
                return None
            return partner, engine.scorer.assess(partner, None)

    def _require_engine(self) -> Recommender:
        if self._engine is None:
            raise EngineNotReady("no partner index is loaded: load partners and build the index")
        return self._engine

    # -- writes --------------------------------------------------------------------------------

    def upsert_partner(self, partner: Partner) -> None:
        """Store a partner and make it findable at once (index updated in place)."""
        self.store.upsert_partners([partner])
        self._apply(partner.partner_id)
        emit(self.store, "partner.updated", {"partner_id": partner.partner_id})
        if at_capacity(partner):
            emit(self.store, "partner.at_capacity", {"partner_id": partner.partner_id})

    def delete_partner(self, partner_id: str) -> bool:
        """Delete a partner from the store and the live engine; ``False`` if unknown."""
        deleted = self.store.delete_partner(partner_id)
        self._apply(partner_id)
        if deleted:
            emit(self.store, "partner.deleted", {"partner_id": partner_id})
        return deleted

    def _apply(self, partner_id: str) -> None:
        for listener in self._listeners:
            listener()
        with self._lock.writing():
            if self._writes_during_rebuild is not None:
                self._writes_during_rebuild.append(partner_id)
            if self._engine is not None:
                self._engine.upsert_partner(partner_id)  # re-reads the store; deletes if gone
        if self._engine is None and not self._rebuild_lock.locked():
            self.rebuild_in_background()

    def rebuild_in_background(self) -> threading.Thread:
        """Start :meth:`rebuild` on a daemon thread (the caller returns at once)."""
        thread = threading.Thread(
            target=self._rebuild_logged, name="partnermatch-rebuild", daemon=True
        )
        thread.start()
        return thread

    def _rebuild_logged(self) -> None:
        try:
            self.rebuild()
        except Exception:  # a background failure must be visible in the logs, not lost
            log.exception("background re-index failed; the previous index is still served")

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> str:
        """Build a fresh engine aside, then swap it in; returns the new index version.

        Requests are answered by the old engine until the swap. Writes that land during the
        build are replayed on the new engine before it is swapped in.
        """
        with self._rebuild_lock:
            with self._lock.writing():
                self._writes_during_rebuild = []
            if self.store.count_partners() == 0:
                raise EngineNotReady("the store holds no partners to index")
            try:
                engine = build_engine(
                    self.store,
                    self.embedder,
                    self.scorer_factory(),
                    self.settings,
                    progress=progress,
                )
                with self._lock.writing():
                    for partner_id in self._writes_during_rebuild or []:
                        engine.upsert_partner(partner_id)
                    self._engine = engine
            finally:
                with self._lock.writing():
                    self._writes_during_rebuild = None
        log.info("index rebuilt and swapped in: %s", engine.index.index_version)
        emit(self.store, "index.rebuilt", {"index_version": engine.index.index_version})
        return engine.index.index_version
