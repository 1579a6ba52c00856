"""Vectors cached so that no text is embedded twice: partner profiles in the store, by content
hash (an unchanged profile is never re-embedded); query texts in memory (:class:`QueryCache`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.embedding.base import Embedder, content_hash, partner_text
from matcher.schemas import PartnerProfile
from matcher.store import Store

CACHE_CHUNK = 2_048


def embed_texts_cached(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Vectors for ``texts`` in order, embedding only those the store's cache lacks.

    New vectors are cached chunk by chunk, so an interrupted build of a large index keeps
    what it embedded: the next run starts where this one stopped.
    """
    hashes = [content_hash(text, embedder.model_id) for text in texts]
    cached = store.cached_vectors(embedder.model_id, list(dict.fromkeys(hashes)))
    missing = list(dict.fromkeys(h for h in hashes if h not in cached))
    if progress is not None and len(cached):
        progress(sum(1 for h in hashes if h in cached))
    if missing:
        text_of = dict(zip(hashes, texts, strict=True))
        already = sum(1 for h in hashes if h in cached)

        def report(done: int) -> None:
            if progress is not None:
                progress(already + done)

        for start in range(0, len(missing), CACHE_CHUNK):
            chunk = missing[start : start + CACHE_CHUNK]
            offset = start

            def chunk_progress(done: int, offset: int = offset) -> None:
                report(offset + done)

            fresh = embedder.embed([text_of[h] for h in chunk], progress=chunk_progress)
            new_vectors = dict(zip(chunk, fresh, strict=True))
            store.cache_vectors(embedder.model_id, new_vectors)
            cached.update(new_vectors)
    if progress is not None:
        progress(len(texts))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.ascontiguousarray(np.stack([cached[h] for h in hashes]), dtype=np.float32)


def embed_partners(
    store: Store,
    embedder: Embedder,
    rows: Iterable[tuple[int, PartnerProfile]],
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row ids and vectors of these partners, reusing cached vectors of unchanged texts.

    Returns ``(row_ids int64 (n,), vectors float32 (n, dim))`` in the order given.
    """
    rows = list(rows)
    row_ids = np.array([row_id for row_id, _ in rows], dtype=np.int64)
    vectors = embed_texts_cached(
        store, embedder, [partner_text(profile) for _, profile in rows], progress
    )
    return row_ids, vectors


class StoreCachedEmbedder:
    """An embedder that reuses the store's vector cache (top performers rarely change)."""

    def __init__(self, store: Any, embedder: Any) -> None:
        self.store = store
        self.embedder = embedder

    def embed(self, texts: list[str]) -> np.ndarray:
        from matcher.embedding.cache import embed_texts_cached

        return embed_texts_cached(self.store, self.embedder, texts)


# 10,000 vectors of 512 float32 (USE) are ~21 MB with their keys
QUERY_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class CacheStats:
    """Lookups of a :class:`QueryCache` since it was made: one per text asked for."""

    hits: int
    misses: int
    entries: int
    capacity: int


def normalised(text: str) -> str:
    """The cache key of a query text: its words as the tokenisers split them, whitespace
    collapsed. Case is kept: to the model "ERP" and "erp" are different texts, and a hit must
    return exactly the vector the model gives for the text."""
    return " ".join(text.split())


class QueryCache:
    """Vectors of the texts requests embed (deal texts, widget contexts, a deal's phrases):
    a bounded LRU of ``capacity`` in memory, keyed by :func:`normalised` text.

    The widget sends the same page context over and over, specialism phrases recur across
    deals: a hit costs a dictionary lookup where the model costs milliseconds. The texts a
    call misses are embedded together, in one model call. Safe to use from concurrent requests.
    """

    def __init__(self, model_id: str, capacity: int = QUERY_CACHE_SIZE) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be 0 or more, not {capacity}")
        self.model_id = model_id
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def vectors(self, texts: Sequence[str], embedder: Embedder) -> np.ndarray:
        """The vectors of ``texts`` in order, shape ``(len(texts), embedder.dim)``; those not
        cached are embedded by ``embedder`` (the cache's model) in one call."""
        if embedder.model_id != self.model_id:
            raise ValueError(
                f"this cache holds {self.model_id} vectors, not {embedder.model_id} ones"
            )
        keys = [normalised(text) for text in texts]
        with self._lock:
            found = {key: self._vectors[key] for key in keys if key in self._vectors}
            for key in found:
                self._vectors.move_to_end(key)
            hits = sum(1 for key in keys if key in found)
            self._hits += hits
            self._misses += len(keys) - hits
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        if missing:
            fresh = dict(zip(missing, embedder.embed(missing), strict=True))
            found.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        if not keys:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def __contains__(self, text: object) -> bool:
        """Whether ``text`` would be a hit (not counted as a lookup)."""
        return isinstance(text, str) and normalised(text) in self._vectors

    def clear(self) -> None:
        """Forget every vector (the counts stay)."""
        with self._lock:
            self._vectors.clear()

    def stats(self) -> CacheStats:
        """Hits and misses so far, and how full the cache is."""
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._vectors), self.capacity)


_query_caches: weakref.WeakKeyDictionary[Embedder, QueryCache] = weakref.WeakKeyDictionary()
_query_caches_lock = threading.Lock()


def query_cache(embedder: Embedder) -> QueryCache:
    """The process's :class:`QueryCache` for ``embedder``: one per embedder, kept as long as
    the embedder is (a re-built engine keeps its predecessor's cache and counts)."""
    with _query_caches_lock:
        cache = _query_caches.get(embedder)
        if cache is None:
            cache = _query_caches[embedder] = QueryCache(embedder.model_id)
        return cache
