"""Building the engine from the store, or loading it from the saved index."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from matcher.embedding.base import Embedder
from matcher.embedding.cache import embed_partners
from matcher.engine.evidence import evidence_from_store
from matcher.engine.exposure import ExposureLedger
from matcher.engine.filters import PartnerColumns
from matcher.engine.index import IndexStaleError, PartnerIndex
from matcher.engine.lexical import LexicalIndex, lexical_text
from matcher.engine.profiles import ProfileCache
from matcher.engine.ranker import load_ranker
from matcher.engine.recommender import RANKER_FEATURES, Recommender, interned
from matcher.engine.snapshot import EngineState, load_snapshot
from matcher.ipp.base import IppScorer
from matcher.schemas import Partner
from matcher.settings import Settings
from matcher.store import INDEX_REBUILT, Store, return_freed_memory

log = logging.getLogger(__name__)


def index_dir(settings: Settings) -> Path:
    """Where the saved index and its manifest live: ``<home>/index``."""
    return settings.home / "index"


def _stored_rows(store: Store) -> Iterator[tuple[int, Partner]]:
    return (row for batch in store.iter_partner_rows() for row in batch)


def engine_state(rows: Iterable[tuple[int, Partner]]) -> EngineState:
    """The engine's per-partner state (filter columns, BM25, specialisms) of ``rows``, read
    once, as a stream: only what ranking needs is kept, not the profiles (at a million
    partners those would not fit the memory budget)."""
    texts: dict[int, str] = {}
    specialisms: dict[int, tuple[str, ...]] = {}

    def kept(rows: Iterable[tuple[int, Partner]]) -> Iterator[tuple[int, Partner]]:
        for row_id, partner in rows:
            texts[row_id] = lexical_text(partner)
            specialisms[row_id] = interned(partner.specialisms)
            yield row_id, partner

    with _collector_paused():
        columns = PartnerColumns.from_rows(kept(rows))
        lexical = LexicalIndex.from_texts(texts)
    return EngineState(columns=columns, lexical=lexical, specialisms=specialisms)


def assemble_engine(
    store: Store,
    embedder: Embedder,
    scorer: IppScorer,
    settings: Settings,
    state: EngineState,
    index: PartnerIndex,
) -> Recommender:
    """The engine around an already built ``index`` and the per-partner ``state`` of the same
    rows (:func:`engine_state`, or a snapshot's)."""
    outcomes_loaded = store.count_outcomes() > 0
    ranker = load_ranker(settings, RANKER_FEATURES)
    served = store.served_partner_ranks()  # read once: the evidence and the exposure ledger
    engine = Recommender(
        store=store,
        embedder=embedder,
        scorer=scorer,
        index=index,
        columns=state.columns,
        lexical=state.lexical,
        profiles=ProfileCache(store),
        specialisms=state.specialisms,
        specialism_vectors={},
        industry_wins=store.won_deals_by_industry() if outcomes_loaded else None,
        candidates=settings.recommend_candidates,
        ranker=ranker,
        evidence=evidence_from_store(store, served) if ranker is not None else None,
        exposure=ExposureLedger(served),
        tie_tolerance=settings.exposure_tolerance,
    )
    engine._remember_specialisms(tag for listed in state.specialisms.values() for tag in listed)
    # the engine's millions of long-lived objects are left out of later cyclic collections,
    # which would otherwise scan them all, mid-request, every time the oldest generation runs
    # (collected once first, so no garbage is frozen with them)
    gc.collect()
    gc.freeze()
    return_freed_memory()
    return engine


def saved_engine(
    store: Store, embedder: Embedder, scorer: IppScorer, settings: Settings, index: PartnerIndex
) -> Recommender:
    """The engine around a loaded ``index``: its per-partner state from the snapshot saved with
    it when there is a usable one (the state when the index was saved), else read from the
    store's rows now."""
    state = load_snapshot(index_dir(settings), index.index_version)
    if state is None:
        state = engine_state(_stored_rows(store))
    return assemble_engine(store, embedder, scorer, settings, state, index)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the engine's columns and BM25 index are built.

    The load allocates a few objects per partner that all stay alive, so each collection
    finds nothing and rescans everything kept so far: it was half the load time at 100k
    partners (20.9 s against 11.1 s without) and grows faster than the partner count.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_engine(
    store: Store,
    embedder: Embedder,
    scorer: IppScorer,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    save: bool = True,
    announce: bool = True,
) -> Recommender:
    """Build the engine from the store (embedding only profiles the vector cache lacks) and,
    with ``save``, write the index atomically under ``<home>/index``.

    ``progress(done, total)`` follows the embedding. Serving swaps to the returned engine by
    reference, so requests keep using the old one until this returns. A saved index is
    announced in the change log (:data:`~matcher.store.INDEX_REBUILT`) unless ``announce`` is
    false, so that serving processes load it.
    """
    fingerprint = store.partner_fingerprint()  # before reading: later writes make it stale
    change_version = store.change_version()  # the rows read below reflect at least this
    rows = list(_stored_rows(store))
    total = len(rows)
    row_ids, vectors = embed_partners(
        store,
        embedder,
        rows,
        progress=(lambda done: progress(done, total)) if progress is not None else None,
    )
    index = PartnerIndex.build(
        embedder.model_id,
        row_ids,
        vectors,
        exact_max=settings.index_exact_max,
        dim=embedder.dim,
        shortlist_min=settings.index_shortlist_min,
    )
    index.change_version = change_version
    engine = assemble_engine(store, embedder, scorer, settings, engine_state(rows), index)
    if save:
        engine.save(index_dir(settings), fingerprint)
        if announce:
            store.record_change(INDEX_REBUILT, index.index_version)
    return engine


def load_engine(
    store: Store,
    embedder: Embedder,
    scorer: IppScorer,
    settings: Settings,
    rebuild_if_stale: bool = False,
) -> Recommender:
    """The engine from the saved index, checked against the embedder's model and the store.

    Raises an :class:`~matcher.engine.index.IndexLoadError` subclass if the index is missing,
    corrupt, built with another model, or stale; with ``rebuild_if_stale`` a stale index is
    rebuilt (cheap: unchanged profiles come from the vector cache) instead.
    """
    try:
        index, _ = PartnerIndex.load(
            index_dir(settings), embedder.model_id, store.partner_fingerprint()
        )
    except IndexStaleError:
        if not rebuild_if_stale:
            raise
        log.warning("index stale against the store; rebuilding from the vector cache")
        return build_engine(store, embedder, scorer, settings)
    return saved_engine(store, embedder, scorer, settings, index)
