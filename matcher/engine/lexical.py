"""The lexical signal: BM25 (bm25s) over each partner's specialisms and description.

Embeddings find paraphrases; BM25 rewards the exact rare words a seller types (a product name,
"SAFe", "HIPAA") that a small sentence model blurs. bm25s scores every document for a query in
well under a millisecond at 100k partners, so the recommender can ask for the scores of its
candidates, or the filtered top N, without a second index structure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import bm25s
import numpy as np

from matcher.schemas import PartnerProfile

# bm25s sets its own logger to DEBUG, which would print on every (re)build through the root handler
logging.getLogger("bm25s").setLevel(logging.WARNING)


def lexical_text(profile: PartnerProfile) -> str:
    """The words BM25 matches a deal against: specialisms (counted twice) and the description."""
    specialisms = " ".join(profile.specialisms)
    return " ".join(part for part in (specialisms, specialisms, profile.description or "") if part)


def _tokens(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)


class LexicalIndex:
    """BM25 over partner texts keyed by store row id; rebuilt whole on a change (≈ 3 s / 100k).

    A change rebuilds on the write path (an upsert or delete), never on a recommendation.
    """

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._row_ids = np.zeros(0, dtype=np.int64)
        self._retriever: bm25s.BM25 | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, PartnerProfile]]) -> LexicalIndex:
        """A BM25 index over these partners."""
        return cls.from_texts({row_id: lexical_text(profile) for row_id, profile in rows})

    @classmethod
    def from_texts(cls, texts: dict[int, str]) -> LexicalIndex:
        """A BM25 index over partner texts (:func:`lexical_text`) by row id."""
        index = cls()
        index._texts = texts
        index._rebuild()
        return index

    def __len__(self) -> int:
        return len(self._texts)

    def _rebuild(self) -> None:
        row_ids = np.array(sorted(self._texts), dtype=np.int64)
        retriever: bm25s.BM25 | None = None
        tokens = _tokens([self._texts[int(r)] for r in row_ids]) if len(row_ids) else []
        if any(tokens):  # an all-empty corpus has no average length to normalise by
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
        with self._lock:
            self._row_ids = row_ids
            self._retriever = retriever

    def upsert(self, row_id: int, profile: PartnerProfile) -> None:
        """Add or replace one partner's text."""
        self._texts[row_id] = lexical_text(profile)
        self._rebuild()

    def remove(self, row_id: int) -> None:
        """Forget one partner."""
        if self._texts.pop(row_id, None) is not None:
            self._rebuild()

    def query_tokens(self, text: str) -> list[str]:
        """The query's tokens as the index sees them (lower case, English stop words gone)."""
        return _tokens([text])[0] if text.strip() else []

    def score(self, text: str) -> LexicalScores:
        """BM25 scores of every indexed partner for ``text``, computed once per request."""
        with self._lock:
            retriever, row_ids = self._retriever, self._row_ids
        tokens = self.query_tokens(text)
        if retriever is None or not tokens:
            scores = np.zeros(len(row_ids), dtype=np.float32)
        else:
            scores = np.asarray(retriever.get_scores(tokens), dtype=np.float32)
        return LexicalScores(row_ids, scores)

    def top(
        self, text: str, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and scores of the ``k`` best-scoring partners (score > 0) among the allowed."""
        return self.score(text).top(k, allowed_rows)


@dataclass(frozen=True)
class LexicalScores:
    """One query's BM25 scores over the whole index, to take a top N and look up candidates."""

    row_ids: np.ndarray  # ascending
    scores: np.ndarray

    def top(self, k: int, allowed_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (score > 0) among ``allowed_rows`` (boolean mask indexed by row id),
        best first, ties by row id."""
        row_ids, scores = self.row_ids, self.scores
        if allowed_rows is not None and len(row_ids):
            in_range = row_ids < len(allowed_rows)
            ok = np.zeros(len(row_ids), dtype=bool)
            ok[in_range] = allowed_rows[row_ids[in_range]]
            scores = np.where(ok, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            best = np.argpartition(-scores[positive], k - 1)[:k]
            positive = positive[best]
        order = np.lexsort((row_ids[positive], -scores[positive]))
        chosen = positive[order]
        return row_ids[chosen], scores[chosen]

    def of(self, row_ids: list[int]) -> np.ndarray:
        """Scores of these rows (0 for a row not indexed), by binary search in the sorted ids."""
        wanted = np.asarray(row_ids, dtype=np.int64)
        if not len(self.row_ids):
            return np.zeros(len(wanted), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.row_ids, wanted), len(self.row_ids) - 1)
        found = self.row_ids[at] == wanted
        return np.where(found, self.scores[at], 0.0).astype(np.float32)
