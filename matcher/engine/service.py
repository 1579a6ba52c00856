"""The live matching service: one engine shared by all requests, updated and swapped safely.

The HTTP API (and anything else long-running) holds a :class:`MatchingService`. Requests read
the current engine under a shared lock. Every write goes to the store first, with a version in
its change log (:mod:`matcher.store`); the service then *catches up* (:meth:`catch_up`): it
reads the change log from the version it reflects and applies each change to its engine under
the exclusive lock. A process's own writes are applied that way before the write returns (a
writer sees its own write at once); other processes' writes are applied when the follower
(:mod:`matcher.engine.follower`) wakes. So every worker and replica serving one database
converges on the same state, and :attr:`MatchingService.version` says which.

A full re-index builds a new engine *aside* (no lock held, so requests keep being answered by
the old one), replays the partner changes logged since its rows were read, swaps the reference
and announces the saved index; other processes load that index rather than build their own. No
request waits on the rebuild, none fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from matcher.embedding.base import Embedder, content_hash, partner_text
from matcher.embedding.cache import embed_texts_cached
from matcher.engine.build import build_engine, index_dir, load_engine, saved_engine
from matcher.engine.evidence import evidence_from_store
from matcher.engine.exposure import concentration
from matcher.engine.filters import at_capacity
from matcher.engine.index import IndexLoadError, IndexMissingError, PartnerIndex, read_manifest
from matcher.engine.locks import ReadWriteLock
from matcher.engine.ranker import load_ranker
from matcher.engine.recommender import RANKER_FEATURES, Recommender
from matcher.engine.teams import CoSell, recommend_teams
from matcher.ipp.base import FourCs, IppScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import (
    INDEX_REBUILT,
    MODEL_PROMOTED,
    MODEL_ROLLED_BACK,
    OUTCOMES_INGESTED,
    PARTNER_CHANGES,
    Change,
    Store,
)
from matcher.webhooks import emit

log = logging.getLogger(__name__)

# a strict answer with fewer results than this says whether a team could cover the deal
THIN_ANSWER = 3
# changes read from the log per query while catching up
CATCH_UP_BATCH = 10_000


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
        self._background_lock = threading.Lock()
        self._background: threading.Thread | None = None
        # the change-log version the engine reflects; changes are applied one catch-up at a time
        self._version = 0
        self._started = False
        self._catch_up_lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        # (outcome count, co-sell pairs) of the stored outcomes, for teams
        self._co_sell: tuple[int, CoSell] | None = None

    def on_partners_changed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every partner write (e.g. to drop caches built from them)."""
        self._listeners.append(listener)

    def reload_scorer(self) -> None:
        """Re-read the IPP scorer and the learned ranker with the partners' evidence, and the
        track record (after a model promotion or rollback, or new outcomes); the next request
        uses them."""
        scorer = self.scorer_factory()
        ranker = load_ranker(self.settings, RANKER_FEATURES)
        evidence = evidence_from_store(self.store) if ranker is not None else None
        industry_wins = self.store.won_deals_by_industry()
        with self._lock.writing():
            if self._engine is not None:
                self._engine.scorer = scorer
                self._engine.ranker = ranker
                self._engine.evidence = evidence
                self._engine.industry_wins = industry_wins or None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the saved index and bring it up to date from the change log (a process
        starting late catches up from the saved index plus the log); build one if none can be
        served."""
        with self._catch_up_lock:
            version = self.store.change_version()
            if self.store.count_partners() == 0:
                log.warning(
                    "the store holds no partners: recommendations are unavailable until some "
                    "are loaded"
                )
                engine = None
            else:
                engine = self._saved_engine(version)
            # the embedding model loads on first use (USE: ~2 s reading its weights); load it
            # before reporting ready, not in the first requests after /readyz said 200
            self.embedder.embed(["partner"])
            with self._lock.writing():
                self._engine = engine
                self._version = version
                self._started = True
        self.catch_up()

    def _saved_engine(self, version: int) -> Recommender:
        """The saved index with the partner changes up to ``version`` replayed on it, or a
        freshly built (and saved) engine when there is none to serve."""
        scorer = self.scorer_factory()
        try:
            manifest = read_manifest(index_dir(self.settings))
            assert manifest is not None
            if manifest.change_version is None:  # saved before the change log existed
                return load_engine(
                    self.store, self.embedder, scorer, self.settings, rebuild_if_stale=True
                )
            engine = self._assembled(scorer)
        except IndexMissingError:
            log.warning("no index built yet; building one now")
            return build_engine(self.store, self.embedder, scorer, self.settings, announce=False)
        except IndexLoadError as error:
            log.warning("saved index refused (%s); rebuilding", error)
            return build_engine(self.store, self.embedder, scorer, self.settings, announce=False)
        changed = self.store.partners_changed(engine.index.change_version or 0, version)
        if not self._replay(engine, changed):
            log.warning("partners changed since the saved index lack stored vectors; rebuilding")
            return build_engine(self.store, self.embedder, scorer, self.settings, announce=False)
        return engine

    def _assembled(self, scorer: IppScorer) -> Recommender:
        """The engine around the saved index, read without the fingerprint check: what changed
        since it was saved is replayed from the change log instead."""
        index, _ = PartnerIndex.load(index_dir(self.settings), self.embedder.model_id)
        engine = saved_engine(self.store, self.embedder, scorer, self.settings, index)
        # columns read from the store now lack partners deleted since: their vectors go too
        for row_id in set(index.row_ids().tolist()) - engine.columns.partner_of.keys():
            index.remove(row_id)
        return engine

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

    @property
    def started(self) -> bool:
        """Whether :meth:`start` has loaded what it could (the follower waits for it)."""
        return self._started

    @property
    def version(self) -> int:
        """The change-log version the engine reflects: every change up to it is applied."""
        return self._version

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

    # -- writes ----------------------------------------------------------------------------

    def upsert_partner(self, partner: Partner) -> None:
        """Store a partner and make it findable at once (index updated in place).

        Its vector is stored before the partner is, so no other process ever embeds it. The
        partner is normalised first, as every stored profile must be (``Partner.from_stored``
        trusts it; ``Store.get_partner_row`` validates it again): one made with ``model_copy``
        skipped the validators (a description's spaces unstripped), was stored so, and its
        vector was for other text than the one replaying engines read ("no stored vector").
        """
        partner = Partner.model_validate(partner.model_dump(mode="json"))
        embed_texts_cached(self.store, self.embedder, [partner_text(partner)])
        self.store.upsert_partners([partner])
        self.catch_up()
        emit(self.store, "partner.updated", {"partner_id": partner.partner_id})
        if at_capacity(partner):
            emit(self.store, "partner.at_capacity", {"partner_id": partner.partner_id})

    def delete_partner(self, partner_id: str) -> bool:
        """Delete a partner from the store and the live engine; ``False`` if unknown."""
        deleted = self.store.delete_partner(partner_id)
        self.catch_up()
        if deleted:
            emit(self.store, "partner.deleted", {"partner_id": partner_id})
        return deleted

    # -- following the change log --------------------------------------------------------------

    def catch_up(self) -> int:
        """Apply every change logged after :attr:`version`; returns the version reached.

        Partner upserts and deletes re-read the partner into the engine (its vector from the
        store, never embedded here); a promotion, a rollback or new outcomes reload the scorer;
        an announced index is loaded in place of the engine. Safe to call from any thread.
        """
        with self._catch_up_lock:
            while True:
                changes = self.store.changes_since(self._version, CATCH_UP_BATCH)
                if changes:
                    self._apply(changes)
                if len(changes) < CATCH_UP_BATCH:
                    return self._version

    def _apply(self, changes: list[Change]) -> None:
        upto = changes[-1].version
        engine = self._engine
        announced = [change.subject for change in changes if change.kind == INDEX_REBUILT]
        if engine is not None and announced and announced[-1] != engine.index.index_version:
            engine = self._announced_engine(str(announced[-1]), upto)
            with self._lock.writing():
                self._engine, self._version = engine, upto
            self._partners_changed()
            return
        partner_ids = list(
            dict.fromkeys(str(c.subject) for c in changes if c.kind in PARTNER_CHANGES)
        )
        if partner_ids:
            if engine is None:
                if not self._rebuild_lock.locked():
                    self.rebuild_in_background()
            else:
                self._replay(engine, partner_ids)
            self._partners_changed()
        reloads = {MODEL_PROMOTED, MODEL_ROLLED_BACK, OUTCOMES_INGESTED}
        if engine is not None and any(change.kind in reloads for change in changes):
            self.reload_scorer()
        with self._lock.writing():
            self._version = upto

    def _replay(self, engine: Recommender, partner_ids: list[str]) -> bool:
        """Re-read these partners into ``engine``; ``False`` if some could not be (their
        vector is not stored: written by a bulk ingest the index build has not embedded yet).

        Those are left as they were and logged: a follower never embeds partner texts.
        """
        stored = [partner_id for partner_id in partner_ids if self._vector_stored(partner_id)]
        lacking = sorted(set(partner_ids) - set(stored))
        # requests do not wait: the engine locks itself to swap each prepared change in, and
        # the catch-up lock keeps the writes one at a time, in version order
        for partner_id in stored:
            engine.upsert_partner(partner_id)  # re-reads the store; deletes if gone
        if lacking:
            log.warning(
                "%d changed partners have no stored vector (e.g. %s): served as before until "
                "`partnermatch index build` embeds them",
                len(lacking),
                lacking[0],
            )
        return not lacking

    def _vector_stored(self, partner_id: str) -> bool:
        found = self.store.get_partner_row(partner_id)
        if found is None:
            return True  # deleted: nothing to embed
        text_hash = content_hash(partner_text(found[1]), self.embedder.model_id)
        return bool(self.store.cached_vectors(self.embedder.model_id, [text_hash]))

    def _announced_engine(self, index_version: str, upto: int) -> Recommender:
        """The engine of an index another process saved and announced, brought up to
        ``upto``; built here from the stored vectors when that index is not on this machine."""
        scorer = self.scorer_factory()
        try:
            engine = self._assembled(scorer)
            if engine.index.index_version != index_version:
                log.warning(
                    "index %s was announced, %s is saved (a newer one): serving the saved one",
                    index_version,
                    engine.index.index_version,
                )
        except IndexLoadError as error:
            log.warning("announced index %s not readable here (%s); building", index_version, error)
            engine = build_engine(self.store, self.embedder, scorer, self.settings, save=False)
        self._replay(engine, self.store.partners_changed(engine.index.change_version or 0, upto))
        log.info("now serving index %s at version %d", engine.index.index_version, upto)
        return engine

    def _partners_changed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- full re-index -------------------------------------------------------------------------

    def rebuild_in_background(self) -> threading.Thread:
        """Start :meth:`rebuild` on a daemon thread (the caller returns at once), or return
        the one running: it replays the changes logged meanwhile. A rebuild per call queued
        up (13 admin calls: 13 full rebuilds, other requests starved of CPU for 10 s)."""
        with self._background_lock:
            if self._background is None or not self._background.is_alive():
                self._background = threading.Thread(
                    target=self._rebuild_logged, name="partnermatch-rebuild", daemon=True
                )
                self._background.start()
            return self._background

    def _rebuild_logged(self) -> None:
        try:
            self.rebuild()
        except Exception:  # a background failure must be visible in the logs, not lost
            log.exception("background re-index failed; the previous index is still served")

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> str:
        """Build a fresh engine aside, then swap it in; returns the new index version.

        Requests are answered by the old engine until the swap. The partner changes logged
        since the build read the store are replayed on the new engine before it is swapped
        in; then the saved index is announced, so the other processes load it.
        """
        with self._rebuild_lock:
            if self.store.count_partners() == 0:
                raise EngineNotReady("the store holds no partners to index")
            engine = build_engine(
                self.store,
                self.embedder,
                self.scorer_factory(),
                self.settings,
                progress=progress,
                announce=False,
            )
            with self._catch_up_lock:
                built_from = engine.index.change_version or 0
                self._replay(engine, self.store.partners_changed(built_from, self._version))
                with self._lock.writing():
                    self._engine = engine
                self.store.record_change(INDEX_REBUILT, engine.index.index_version)
            self.catch_up()  # our own announcement: already serving it
        self._partners_changed()
        log.info("index rebuilt and swapped in: %s", engine.index.index_version)
        emit(self.store, "index.rebuilt", {"index_version": engine.index.index_version})
        return engine.index.index_version
