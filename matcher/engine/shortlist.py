"""A fast approximate shortlist of the nearest partners, for unrestricted searches of a large index.

An exhaustive scan of 8-bit codes costs ~60 ms a query at 1M partners and 512 dimensions on
this machine (it is the decoding, not memory bandwidth: fp16 codes scan as fast). FAISS' 4-bit
product-quantised fast scan (``IndexPQFastScan``, SIMD lookup tables, 32 bytes a partner at
512 dimensions) ranks the same million in ~1–3 ms, coarsely. :class:`Shortlist` keeps those
codes next to the index; :meth:`~matcher.engine.index.PartnerIndex.search_allowed` asks it for
several times the neighbours it needs and re-scores them on the index's own 8-bit codes, so the
scores served are the exhaustive search's and only the shortlist's misses differ.

Fast scan takes no ``IDSelector``, so a search restricted by a narrow filter still scans the
8-bit codes exhaustively (FAISS skips the rows the bitmap excludes: cheap when few pass).

Writes append: an upserted partner's new code is added under its row id and its old code stays
behind (it re-scores at the current vector, so a stale entry costs a slot, never a wrong
score); a removed partner's codes stay until the next build and are dropped by the caller,
which knows the live rows. Appending one code takes ~10 µs; nothing is rebuilt on the write
path.
"""

from __future__ import annotations

import hashlib

import faiss
import numpy as np

# dimensions per 4-bit sub-quantiser: 512 dims -> 64 sub-quantisers, 32 bytes a partner
DIMS_PER_CODE = 8
TRAIN_SAMPLE = 100_000


class ShortlistError(RuntimeError):
    """A saved shortlist cannot be used (damaged, or for another index)."""


class Shortlist:
    """4-bit PQ fast-scan codes of partner vectors keyed by row id (``IndexIDMap``).

    Example:
        >>> import numpy as np
        >>> vectors = np.eye(16, dtype=np.float32)
        >>> shortlist = Shortlist.build(np.arange(16), vectors)
        >>> int(shortlist.candidates(vectors[3], 1)[0])
        3
    """

    def __init__(self, fast_index: faiss.Index) -> None:
        self._index = fast_index

    @classmethod
    def build(cls, row_ids: np.ndarray, vectors: np.ndarray) -> Shortlist:
        """Codes for ``vectors`` (normalised float32, one per row id), trained on a sample."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        quantisers = max(1, dim // DIMS_PER_CODE)
        while dim % quantisers:  # a dimension PQ cannot split evenly: fewer, wider codes
            quantisers -= 1
        fast = faiss.IndexPQFastScan(dim, quantisers, 4, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[:TRAIN_SAMPLE]]
        fast.train(sample)
        index = faiss.IndexIDMap(fast)  # faiss' wrapper keeps a reference to ``fast``
        index.add_with_ids(vectors, np.ascontiguousarray(row_ids, dtype=np.int64))
        return cls(index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def candidates(self, query: np.ndarray, n: int) -> np.ndarray:
        """Up to ``n`` row ids near ``query`` by the coarse codes (unique, any order; may name
        rows removed since the build)."""
        query = np.ascontiguousarray(np.reshape(query, (1, -1)), dtype=np.float32)
        n = max(1, min(int(n), len(self)))
        _, ids = self._index.search(query, n)
        return np.unique(ids[0][ids[0] >= 0])

    def add(self, row_id: int, vector: np.ndarray) -> None:
        """Append a code for ``row_id``'s current vector (an older one may remain)."""
        vector = np.ascontiguousarray(np.reshape(vector, (1, -1)), dtype=np.float32)
        self._index.add_with_ids(vector, np.array([row_id], dtype=np.int64))

    def to_bytes(self) -> bytes:
        """The shortlist serialised (FAISS' own format)."""
        return bytes(faiss.serialize_index(self._index).tobytes())

    @classmethod
    def from_bytes(cls, payload: bytes, checksum: str, dim: int) -> Shortlist:
        """The shortlist saved as ``payload``, checked against its SHA-256 and dimension."""
        if hashlib.sha256(payload).hexdigest() != checksum:
            raise ShortlistError("does not match its manifest checksum (damaged or half written)")
        try:
            index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        except RuntimeError as error:
            raise ShortlistError(f"cannot be read: {error}") from None
        if index.d != dim:
            raise ShortlistError(f"has dimension {index.d}, the index {dim}")
        return cls(index)
