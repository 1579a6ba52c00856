"""Vectors cached by content hash, so an unchanged profile is never re-embedded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
