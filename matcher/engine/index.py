"""The FAISS vector index of partner texts: build, filtered search, live upsert/delete, save/load.

Inner product on L2-normalised vectors (= cosine), ids = store row ids (``IndexIDMap2``), so a
search hit maps straight back to a partner row. Up to ``exact_max`` partners the index is exact
(``IndexFlatIP``); above it a scalar-quantised flat index (8 bit, a quarter of the memory
traffic) keeps filtered search exhaustive — HNSW was measured to lose most recall under narrow
strict filters (DESIGN.md section 4). Filters restrict the search itself through
``SearchParameters(sel=IDSelectorBitmap)``: never "search, then filter", which starves results.
From ``shortlist_min`` partners a :class:`~matcher.engine.shortlist.Shortlist` (4-bit fast-scan
codes) proposes the candidates of unrestricted searches, re-scored on the index's codes.

Saved as ``index-<version>.faiss`` (and ``shortlist-<version>.faiss``) and ``manifest.json``
naming them, each written to a temporary file and renamed, the manifest last, so a reader sees
the old set or the new set, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import faiss
import numpy as np

from matcher.artifacts import write_atomically
from matcher.engine.shortlist import Shortlist, ShortlistError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
KINDS: tuple[str, ...] = ("flat", "sq8")
# from this share of rows allowed, search unrestricted and cut (see PartnerIndex.search_allowed)
WIDE_SEARCH_SHARE = 0.3
# a shortlisted search re-scores this many times the neighbours it needs
SHORTLIST_FACTOR = 32


class IndexLoadError(RuntimeError):
    """A saved index cannot be served; the message says why and what to run."""


class IndexMissingError(IndexLoadError):
    """No index has been built under this home yet."""


class IndexCorruptError(IndexLoadError):
    """The index file is damaged, truncated or does not match its manifest."""


class IndexMismatchError(IndexLoadError):
    """The index was built with another embedding model or dimension."""


class IndexStaleError(IndexLoadError):
    """The store's partners changed since the index was built."""


@dataclass(frozen=True)
class IndexManifest:
    """What a saved index holds: enough to refuse serving it with the wrong model or store."""

    format_version: int
    index_version: str
    file: str
    kind: str
    model_id: str
    dim: int
    count: int
    checksum: str
    built_at: str
    store_fingerprint: str
    # the change-log version the indexed rows reflect at least (None: saved before the log
    # existed); a process loading the index replays the partner changes after it
    change_version: int | None = None
    # the shortlist saved beside the index (None: none, every search scans the whole index)
    shortlist_file: str | None = None
    shortlist_checksum: str | None = None


def bitmap_selector(allowed: np.ndarray) -> faiss.IDSelectorBitmap:
    """A FAISS selector over row ids from a boolean mask indexed by row id.

    The packed bitmap must outlive the search: FAISS keeps a pointer, so it is attached to the
    selector object.
    """
    packed = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
    selector = faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
    setattr(selector, "packed_bitmap", packed)  # noqa: B010 - keeps the buffer alive with it
    return selector


def packed_selector(packed: np.ndarray) -> faiss.IDSelectorBitmap:
    """A FAISS selector from an already packed little-endian bitmap (uint8) over row ids."""
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    selector = faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
    setattr(selector, "packed_bitmap", packed)  # noqa: B010
    return selector


class PartnerIndex:
    """Partner vectors searchable by inner product, with filters, keyed by store row id.

    Thread-safety: searches may run concurrently; upsert/remove take a lock and are atomic
    with respect to other writers (FAISS flat search tolerates no concurrent mutation, so
    writers also exclude readers through the same lock).

    Example:
        >>> import numpy as np
        >>> index = PartnerIndex.build("m", np.array([7, 9]), np.eye(2, dtype=np.float32))
        >>> index.search(np.array([0.0, 1.0], dtype=np.float32), k=1)[0].tolist()
        [9]
    """

    def __init__(
        self,
        model_id: str,
        dim: int,
        faiss_index: faiss.Index,
        kind: str,
        shortlist: Shortlist | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"index kind {kind!r} is not one of {', '.join(KINDS)}")
        self.model_id = model_id
        self.dim = dim
        self.kind = kind
        self.index_version = _new_version()
        self.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.change_version: int | None = None
        self._index = faiss_index
        self._shortlist = shortlist
        self._lock = threading.RLock()
        # row id -> position of its vector in the wrapped index (-1: none), built at the first
        # write or shortlisted search
        self._positions: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        model_id: str,
        row_ids: np.ndarray,
        vectors: np.ndarray,
        exact_max: int = 50_000,
        dim: int | None = None,
        shortlist_min: int | None = None,
    ) -> PartnerIndex:
        """An index over ``vectors`` (normalised float32) with ids ``row_ids``.

        Exact flat inner product up to ``exact_max`` vectors; above, an 8-bit scalar-quantised
        flat index trained on (a sample of) the vectors. From ``shortlist_min`` vectors (none
        if ``None``) a fast-scan shortlist is built beside it (~3 s more at 1M).
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        row_ids = np.ascontiguousarray(row_ids, dtype=np.int64)
        dim = dim if dim is not None else int(vectors.shape[1])
        if vectors.ndim != 2 or vectors.shape[1] != dim or len(vectors) != len(row_ids):
            raise ValueError(f"expected {len(row_ids)} vectors of dim {dim}, got {vectors.shape}")
        if len(np.unique(row_ids)) != len(row_ids):
            raise ValueError("row ids must be unique")
        quantiser: faiss.Index
        if len(vectors) > exact_max:
            kind = "sq8"
            quantiser = faiss.IndexScalarQuantizer(
                dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            sample = vectors[np.random.default_rng(0).permutation(len(vectors))[:100_000]]
            quantiser.train(sample)
        else:
            kind = "flat"
            quantiser = faiss.IndexFlatIP(dim)
        faiss_index = faiss.IndexIDMap2(quantiser)
        if len(vectors):
            faiss_index.add_with_ids(vectors, row_ids)
        shortlist = None
        if shortlist_min is not None and len(vectors) and len(vectors) >= shortlist_min:
            shortlist = Shortlist.build(row_ids, vectors)
        return cls(model_id, dim, faiss_index, kind, shortlist)

    @property
    def shortlisted(self) -> bool:
        """Whether unrestricted searches take their candidates from a shortlist."""
        return self._shortlist is not None

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, row_id: int) -> bool:
        with self._lock:
            try:
                self._index.reconstruct(int(row_id))
            except RuntimeError:
                return False
            return True

    def vector(self, row_id: int) -> np.ndarray | None:
        """The stored (possibly quantised) vector of a row, or ``None``."""
        with self._lock:
            try:
                return np.asarray(self._index.reconstruct(int(row_id)), dtype=np.float32)
            except RuntimeError:
                return None

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: faiss.IDSelector | None = None,
        threads: int = 1,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and inner products of the ``k`` nearest vectors among the allowed rows.

        ``allowed`` (from :func:`bitmap_selector`) restricts the search itself, so up to ``k``
        allowed rows come back however few there are. One query runs on one thread: FAISS with
        two threads measured 2.3–2.6× slower for single queries on this machine.
        """
        query = np.ascontiguousarray(np.reshape(query, (1, -1)), dtype=np.float32)
        if query.shape[1] != self.dim:
            raise ValueError(f"query has dim {query.shape[1]}, index has {self.dim}")
        k = max(1, min(int(k), max(1, len(self))))
        params = faiss.SearchParameters(sel=allowed) if allowed is not None else None  # type: ignore[call-arg]
        faiss.omp_set_num_threads(threads)
        with self._lock:
            scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def vectors(self, row_ids: np.ndarray) -> np.ndarray:
        """The stored vectors of many rows in one call; a row without one comes back as NaN."""
        row_ids = np.ascontiguousarray(row_ids, dtype=np.int64)
        with self._lock:
            try:
                return np.asarray(self._index.reconstruct_batch(row_ids), dtype=np.float32)
            except RuntimeError:  # some row has no vector: look each up
                pass
        nowhere = np.full(self.dim, np.nan, dtype=np.float32)
        found = [self.vector(int(row_id)) for row_id in row_ids]
        return np.stack([nowhere if v is None else v for v in found]).reshape(-1, self.dim)

    def search_allowed(
        self, query: np.ndarray, k: int, packed: np.ndarray, allowed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows among those set in ``packed`` (``allowed`` of them): the same
        answer as a search restricted by the bitmap, found the cheaper way.

        A selector is checked per vector, which made a 1M-row SQ8 scan ~25 % slower when half
        the rows pass. When most rows pass, an unrestricted search for enough extra neighbours
        is cut to the allowed rows; it is used only when it holds ``k`` of them, which then are
        the ``k`` best allowed: exactly, when the search scans the whole index (for twice the
        expected need); with a shortlist, up to what its coarse codes miss (for
        ``SHORTLIST_FACTOR`` times the need, allowed rows only re-scored).
        """
        total = len(self)
        if total and allowed >= WIDE_SEARCH_SHARE * total:
            shortlisted = int(k * total / allowed * SHORTLIST_FACTOR) + 16
            if self._shortlist is not None and shortlisted < total:
                rows, scores = self._shortlisted(query, shortlisted, packed)
                if len(rows) >= k:
                    return rows[:k], scores[:k]
            else:
                wide = min(total, int(k * total / allowed * 2) + 16)
                rows, scores = self.search(query, wide)
                keep = _in_bitmap(rows, packed)
                if keep.sum() >= k or wide >= total:
                    return rows[keep][:k], scores[keep][:k]
        return self.search(query, k, allowed=packed_selector(packed))

    def _shortlisted(
        self, query: np.ndarray, n: int, packed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``packed`` among the shortlist's ``n`` candidates, best first, scored on
        this index's own codes (the scores an exhaustive search gives).

        Only allowed, live rows are decoded: each is a random read of its code (a cache and
        TLB miss at 1M), the most of this search's cost.
        """
        assert self._shortlist is not None
        query = np.ascontiguousarray(np.reshape(query, -1), dtype=np.float32)
        if len(query) != self.dim:
            raise ValueError(f"query has dim {len(query)}, index has {self.dim}")
        faiss.omp_set_num_threads(1)
        with self._lock:
            rows = self._shortlist.candidates(query, n)
            positions = self._position_map(0)
            rows = rows[_in_bitmap(rows, packed) & (rows < len(positions))]
            at = positions[rows]
            rows, at = rows[at >= 0], at[at >= 0]  # partners removed since the build drop out
            flat = cast(faiss.IndexFlatCodes, faiss.downcast_index(self._index.index))  # type: ignore[attr-defined]
            codes = faiss.rev_swig_ptr(flat.codes.data(), len(self) * flat.code_size)
            vectors = flat.sa_decode(codes.reshape(-1, flat.code_size)[at])
        scores = (vectors @ query).astype(np.float32)
        order = np.argsort(-scores, kind="stable")
        return rows[order], scores[order]

    def upsert(self, row_id: int, vector: np.ndarray) -> None:
        """Add or replace one partner's vector; searches see it as soon as this returns.

        A replaced vector is overwritten where it is (its code from the index's own
        ``sa_encode``), a new one appended: O(dimension). FAISS' ``remove_ids`` then
        ``add_with_ids`` compacted the whole index and rebuilt its id map (9 ms at 100k,
        88 ms at 1M partners).
        """
        vector = np.ascontiguousarray(np.reshape(vector, (1, -1)), dtype=np.float32)
        if vector.shape[1] != self.dim:
            raise ValueError(f"vector has dim {vector.shape[1]}, index has {self.dim}")
        if row_id < 0:
            raise ValueError(f"row id {row_id} is negative")
        with self._lock:
            positions = self._position_map(row_id)
            if positions[row_id] >= 0:
                wrapped = self._index.index  # type: ignore[attr-defined]
                flat = cast(faiss.IndexFlatCodes, faiss.downcast_index(wrapped))
                stored = faiss.rev_swig_ptr(flat.codes.data(), len(self) * flat.code_size)
                start = int(positions[row_id]) * flat.code_size
                stored[start : start + flat.code_size] = flat.sa_encode(vector)[0]
            else:
                positions[row_id] = len(self)
                self._index.add_with_ids(vector, np.array([row_id], dtype=np.int64))
            if self._shortlist is not None:
                self._shortlist.add(row_id, vector)

    def remove(self, row_id: int) -> bool:
        """Remove one partner; ``False`` if it was not indexed.

        FAISS closes the gap (O(partners): ~8 ms at 100k); the positions after it move down.
        """
        with self._lock:
            positions = self._position_map(row_id)
            removed = bool(self._index.remove_ids(np.array([row_id], dtype=np.int64)))  # type: ignore[arg-type]
            if removed:
                positions[positions > positions[row_id]] -= 1
                positions[row_id] = -1
            return removed

    def _position_map(self, row_id: int) -> np.ndarray:
        """Where each row id's vector is in the wrapped index, covering ``row_id`` (built from
        the id map on the first write; grown as row ids do). The caller holds the lock."""
        if self._positions is None:
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)  # type: ignore[attr-defined]
            self._positions = np.full(int(ids.max(initial=-1)) + 1, -1, dtype=np.int64)
            self._positions[ids] = np.arange(len(ids), dtype=np.int64)
        if row_id >= len(self._positions):
            grown = np.full(max(row_id + 1, int(len(self._positions) * 1.5)), -1, np.int64)
            grown[: len(self._positions)] = self._positions
            self._positions = grown
        return self._positions

    def row_ids(self) -> np.ndarray:
        """Every indexed row id."""
        with self._lock:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)  # type: ignore[attr-defined]

    # -- persistence ---------------------------------------------------------------------------

    def save(self, directory: Path, store_fingerprint: str) -> IndexManifest:
        """Write the index and its manifest atomically under ``directory``.

        The index file has a new name per version; the manifest names it and is replaced last,
        so a concurrent :meth:`load` reads either the previous complete pair or this one.
        Older index files beyond the previous one are removed.
        """
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            payload = faiss.serialize_index(self._index).tobytes()
            shortlist = self._shortlist.to_bytes() if self._shortlist is not None else None
            count = len(self)
        file_name = f"index-{self.index_version}.faiss"
        write_atomically(directory / file_name, payload)
        shortlist_file = None
        if shortlist is not None:
            shortlist_file = f"shortlist-{self.index_version}.faiss"
            write_atomically(directory / shortlist_file, shortlist)
        manifest = IndexManifest(
            format_version=FORMAT_VERSION,
            index_version=self.index_version,
            file=file_name,
            kind=self.kind,
            model_id=self.model_id,
            dim=self.dim,
            count=count,
            checksum=hashlib.sha256(payload).hexdigest(),
            built_at=self.built_at,
            store_fingerprint=store_fingerprint,
            change_version=self.change_version,
            shortlist_file=shortlist_file,
            shortlist_checksum=hashlib.sha256(shortlist).hexdigest() if shortlist else None,
        )
        previous = read_manifest(directory, missing_ok=True)
        write_atomically(
            directory / MANIFEST, json.dumps(asdict(manifest), indent=2).encode("utf-8")
        )
        keep = {file_name, shortlist_file or ""}
        if previous is not None:
            keep |= {previous.file, previous.shortlist_file or ""}
        for old in [*directory.glob("index-*.faiss"), *directory.glob("shortlist-*.faiss")]:
            if old.name not in keep:
                old.unlink(missing_ok=True)
        return manifest

    @classmethod
    def load(
        cls,
        directory: Path,
        model_id: str | None = None,
        store_fingerprint: str | None = None,
    ) -> tuple[PartnerIndex, IndexManifest]:
        """Load the saved index, refusing one that cannot be served as it is.

        Raises:
            IndexMissingError: nothing saved yet.
            IndexCorruptError: the manifest or index file is damaged, truncated or mismatched.
            IndexMismatchError: built with an embedding model other than ``model_id``.
            IndexStaleError: the store's partners changed since it was built.
        """
        manifest = read_manifest(directory)
        assert manifest is not None
        if model_id is not None and manifest.model_id != model_id:
            raise IndexMismatchError(
                f"the index in {directory} was built with {manifest.model_id!r}, but the "
                f"embedder in use is {model_id!r}; run `partnermatch index build`"
            )
        if store_fingerprint is not None and manifest.store_fingerprint != store_fingerprint:
            raise IndexStaleError(
                f"the index in {directory} (built {manifest.built_at}) is stale: partners "
                "changed in the store since; run `partnermatch index build`"
            )
        path = directory / manifest.file
        if not path.exists():
            raise IndexCorruptError(f"index file {path} named by the manifest is missing")
        payload = path.read_bytes()
        if hashlib.sha256(payload).hexdigest() != manifest.checksum:
            raise IndexCorruptError(
                f"index file {path} does not match its manifest checksum (damaged or half "
                "written); run `partnermatch index build`"
            )
        try:
            faiss_index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        except RuntimeError as error:
            raise IndexCorruptError(f"index file {path} cannot be read: {error}") from None
        if faiss_index.ntotal != manifest.count or faiss_index.d != manifest.dim:
            raise IndexCorruptError(f"index file {path} holds other data than its manifest says")
        shortlist = _saved_shortlist(directory, manifest)
        index = cls(manifest.model_id, manifest.dim, faiss_index, manifest.kind, shortlist)
        index.index_version = manifest.index_version
        index.built_at = manifest.built_at
        index.change_version = manifest.change_version
        return index, manifest


def read_manifest(directory: Path, missing_ok: bool = False) -> IndexManifest | None:
    """The manifest of the index saved under ``directory`` (``None`` if absent and allowed)."""
    path = directory / MANIFEST
    if not path.exists():
        if missing_ok:
            return None
        raise IndexMissingError(f"no index in {directory}; run `partnermatch index build`")
    try:
        raw = json.loads(path.read_text("utf-8"))
        manifest = IndexManifest(**raw)
    except (ValueError, TypeError) as error:
        raise IndexCorruptError(f"index manifest {path} is damaged: {error}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"index manifest {path} has format {manifest.format_version}, expected "
            f"{FORMAT_VERSION}; run `partnermatch index build`"
        )
    return manifest


def _in_bitmap(rows: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Which of ``rows`` are set in the little-endian bitmap ``packed`` (beyond it: none)."""
    inside = rows < len(packed) * 8
    keep = np.zeros(len(rows), dtype=bool)
    keep[inside] = (packed[rows[inside] >> 3] >> (rows[inside] & 7).astype(np.uint8)) & 1
    return keep


def _saved_shortlist(directory: Path, manifest: IndexManifest) -> Shortlist | None:
    """The shortlist the manifest names, or ``None``: a missing or damaged one is logged and
    left out (searches then scan the whole index, slower and no less right)."""
    if manifest.shortlist_file is None or manifest.shortlist_checksum is None:
        return None
    path = directory / manifest.shortlist_file
    try:
        return Shortlist.from_bytes(path.read_bytes(), manifest.shortlist_checksum, manifest.dim)
    except (OSError, ShortlistError) as error:
        log.warning(
            "shortlist %s not used (%s): searches scan the whole index until "
            "`partnermatch index build` writes a new one",
            path,
            error,
        )
        return None


def saved_versions(directory: Path) -> set[str]:
    """The versions of the index files saved under ``directory`` (the current and previous)."""
    return {
        file.name.removeprefix("index-").removesuffix(".faiss")
        for file in directory.glob("index-*.faiss")
    }


def _new_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
