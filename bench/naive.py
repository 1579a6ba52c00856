"""The naive baseline the latency benchmark compares the engine with, in the same run.

Pandas boolean filtering and numpy brute-force cosine instead of the engine's packed filter
bitmaps and FAISS search restricted by an ID selector; everything after retrieval (BM25,
structured signals, IPP, explanations) is the engine's own, inherited, so the two must return
the same partners (``tests/matcher/test_naive_bench.py`` checks it) and any difference in time
is the filter and the vector search.

The baseline is what a careful first version would do, not a straw man: the facet table is
one-hot (one boolean column per facet value, built once), so a deal is a few vectorised column
ANDs rather than a per-row ``apply``; the vectors are one float32 matrix, and a query is
``matrix[allowed] @ query`` under a narrow filter, ``(matrix @ query)[allowed]`` under a broad
one (copying most of a 1M-row matrix took 1.9 s, multiplying all of it 0.16 s), then an
``argpartition``; on one BLAS thread as FAISS searches on one (on two shared cores
OpenBLAS's two threads made one such product ~10x slower). Above
``index_exact_max`` partners the engine's index is scalar-quantised and the matrix holds its
decoded (quantised) vectors, so both rank the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from functools import reduce
from operator import or_

import faiss
import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from matcher.embedding.cache import QueryCache
from matcher.engine import FilterResult, PartnerIndex, Recommender
from matcher.engine.filters import at_capacity
from matcher.schemas import Deal, PartnerProfile

_RECONSTRUCT_CHUNK = 65_536
GATHER_BELOW = 0.1  # allowed share under which multiplying only the allowed rows is cheaper


def facet_columns(profile: PartnerProfile) -> list[str]:
    """The one-hot columns a partner has: ``country=DE``, ``language=de``,
    ``certification=<key>``, ``partner_type=reseller`` (the facets the engine filters on)."""
    return [
        *(f"country={code}" for code in profile.countries),
        *(f"language={code}" for code in profile.languages),
        *(f"certification={certification.key}" for certification in profile.certifications),
        f"partner_type={profile.partner_type}",
        *(["full"] if at_capacity(profile) else []),
    ]


def facet_table(rows: Iterable[tuple[int, PartnerProfile]]) -> pd.DataFrame:
    """One row per partner, indexed by row id: ``partner_id`` and a boolean column per facet
    value. Built once (streaming the profiles), so filtering a deal never reads them again."""
    row_ids: list[int] = []
    partner_ids: list[str] = []
    paused: list[date] = []
    members: dict[str, list[int]] = defaultdict(list)
    for position, (row_id, profile) in enumerate(rows):
        row_ids.append(row_id)
        partner_ids.append(profile.partner_id)
        paused.append(profile.paused_until or date.min)
        for column in facet_columns(profile):
            members[column].append(position)
    flags: dict[str, object] = {"partner_id": partner_ids, "paused_until": paused}
    for column, positions in sorted(members.items()):
        flags[column] = flag = np.zeros(len(row_ids), dtype=bool)
        flag[positions] = True
    return pd.DataFrame(flags, index=pd.Index(row_ids, dtype=np.int64, name="row_id"))


def vector_matrix(index: PartnerIndex, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Every indexed vector as a float32 matrix whose row ``i`` is row id ``i``, and a mask of
    the row ids that have one. Decoded in chunks, so the copy never exists twice in memory."""
    row_ids = index.row_ids()
    rows = max(rows, int(row_ids.max()) + 1 if len(row_ids) else 0)
    matrix = np.zeros((rows, index.dim), dtype=np.float32)
    indexed = np.zeros(rows, dtype=bool)
    indexed[row_ids] = True
    # the IDMap2's inner flat or SQ8 index: its position i holds the vector of row_ids[i]
    codes = faiss.downcast_index(index._index.index)  # type: ignore[attr-defined]
    for start in range(0, len(row_ids), _RECONSTRUCT_CHUNK):
        count = min(_RECONSTRUCT_CHUNK, len(row_ids) - start)
        matrix[row_ids[start : start + count]] = codes.reconstruct_n(start, count)
    return matrix, indexed


class NaiveRecommender(Recommender):
    """The engine with a pandas filter and a numpy brute-force vector search.

    Build it with :meth:`of` from a built engine: it shares the engine's in-memory state
    (store, embedder, scorer, BM25, structured columns, weights) whatever that state is, so
    only the two overridden steps differ; its facet table is read from the store.
    """

    facets: pd.DataFrame
    vectors: np.ndarray
    indexed: np.ndarray
    blas: ThreadpoolController

    @classmethod
    def of(cls, engine: Recommender) -> NaiveRecommender:
        """A naive twin of ``engine`` (the facet table and vector matrix built here, once)."""
        naive = cls.__new__(cls)
        naive.__dict__.update(vars(engine))
        # its own cache of query and phrase vectors: both engines embed a deal's texts the
        # first time each sees them, so neither is timed on the other's cache hits
        naive.queries = QueryCache(engine.embedder.model_id)
        naive.facets = facet_table(
            row for batch in engine.store.iter_partner_rows() for row in batch
        )
        rows = int(naive.facets.index.max()) + 1 if len(naive.facets) else 0
        naive.vectors, naive.indexed = vector_matrix(engine.index, rows)
        naive.blas = ThreadpoolController().select(user_api="blas")
        return naive

    def _has(self, column: str) -> pd.Series:
        if column in self.facets.columns:
            return self.facets[column]
        return pd.Series(False, index=self.facets.index)

    def _any_of(self, facet: str, values: Iterable[str]) -> pd.Series:
        return reduce(or_, (self._has(f"{facet}={value}") for value in values))

    def _steps(self, deal: Deal) -> dict[str, list[pd.Series]]:
        """Per funnel step, in order, the masks a partner must pass (none: the deal asks
        nothing of that kind)."""
        return {
            "country": [self._has(f"country={deal.country}")] if deal.country else [],
            "languages": [self._has(f"language={code}") for code in deal.languages],
            "certifications": [self._has(f"certification={k}") for k in deal.certification_keys],
            "partner_types": [self._any_of("partner_type", deal.partner_types)]
            if deal.partner_types
            else [],
        }

    def filter(self, deal: Deal) -> FilterResult:
        """The deal's hard constraints as pandas boolean masks, with the engine's funnel
        semantics: strict restricts, non-strict only counts; exclusions never count."""
        everyone = pd.Series(True, index=self.facets.index)
        available = ~self._has("full") & (self.facets["paused_until"] <= date.today())
        if deal.include_at_capacity:
            available = everyone
        funnel = {"total": len(self.facets), "at_capacity": int((~available).sum())}
        emptied_by: str | None = None
        current, ignoring_capacity = available, everyone
        for name, masks in self._steps(deal).items():
            for mask in masks:
                current = current & mask
                ignoring_capacity = ignoring_capacity & mask
            funnel[name] = int(current.sum())
            if funnel[name] == 0 and emptied_by is None and funnel["total"] > 0:
                emptied_by = name
        if funnel["total"] > 0 and funnel["at_capacity"] == funnel["total"]:
            emptied_by = "at_capacity"
        elif not deal.strict:
            emptied_by = None
        elif emptied_by is not None and funnel["at_capacity"] and ignoring_capacity.any():
            emptied_by = "at_capacity"
        allowed = current if deal.strict else available
        if deal.exclude:
            allowed = allowed & ~self.facets["partner_id"].isin(deal.exclude)
        bits = np.zeros(len(self.vectors), dtype=bool)
        bits[allowed.index.to_numpy()[allowed.to_numpy()]] = True
        return FilterResult(
            allowed=np.packbits(bits, bitorder="little"),
            funnel=funnel,
            emptied_by=emptied_by,
        )

    def semantic_search(
        self, query: np.ndarray, pool: int, filtered: FilterResult
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``pool`` allowed rows nearest ``query`` by brute-force inner product (cosine:
        the vectors are normalised), best first."""
        allowed = np.unpackbits(filtered.allowed, count=len(self.vectors), bitorder="little")
        rows = np.flatnonzero(allowed.astype(bool) & self.indexed)
        query = np.asarray(query, dtype=np.float32)
        with self.blas.limit(limits=1):
            if len(rows) < GATHER_BELOW * len(self.vectors):
                scores = self.vectors[rows] @ query
            else:
                scores = (self.vectors @ query)[rows]
        if len(rows) > pool:
            best = np.argpartition(-scores, pool - 1)[:pool]
            rows, scores = rows[best], scores[best]
        order = np.argsort(-scores, kind="stable")
        return rows[order].astype(np.int64), scores[order].astype(np.float32)
