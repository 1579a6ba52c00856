"""The lexical signal: BM25 over each partner's specialisms and description, updated in place.

Embeddings find paraphrases; BM25 rewards the exact rare words a seller types (a product name,
"SAFe", "HIPAA") that a small sentence model blurs. The recommender asks for the scores of
every partner once per deal and takes its candidates' scores, or the filtered top N, from them.

bm25s tokenises (its CountVectorizer-style split and English stop words) and is the reference
the scores are tested against, but it cannot change an index once built (its maintainer, in
xhluca/bm25s#5: "Unfortunately it is not possible"): it precomputes each (term, document)
score with the corpus' IDF and average length, so every partner write re-indexed everything on
the write path (5-10 s at 100k partners on this machine). This index keeps what those scores
are made of instead (term frequencies, document lengths, document frequencies, the corpus
size) and applies bm25s' default formula, Lucene's BM25 with k1 = 1.5 and b = 0.75, per query:

    score(d, q) = Σ_t∈q idf(t) · tf(t, d) / (tf(t, d) + k1 · (1 - b + b · |d| / avgdl))
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

A write changes the statistics by its own terms, O(its tokens), so every score is what a full
rebuild would give at that moment, to float32 rounding: ``tests/matcher/test_lexical.py``
compares every score (within 1e-5) and the top 10 with a freshly built bm25s index after
random upserts and deletes. No statistic is frozen between merges. The postings are a segment
built in one go plus a delta of the rows written since: a written row's old postings in the
segment are zeroed and its new ones go to the delta; once the delta holds
max(``COMPACT_MIN_ROWS``, ``COMPACT_SHARE`` of the partners) rows, a background thread builds
a new segment from both (vectorised numpy, no retokenising; 0.5 s at 100k) and swaps it in
under the lock.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import bm25s
import numpy as np

from matcher.engine.locks import ReadWriteLock
from matcher.schemas import PartnerProfile

log = logging.getLogger(__name__)

# bm25s sets its own logger to DEBUG, which would print through the root handler
logging.getLogger("bm25s").setLevel(logging.WARNING)

K1 = 1.5  # bm25s' defaults (method "lucene"), which the scores were tuned with
B = 0.75
# the delta is folded into a new segment once it holds this many rows, or this share of all
COMPACT_MIN_ROWS = 1_000
COMPACT_SHARE = 0.01
_GROWTH = 1.5
BUILD_CHUNK = 50_000  # texts tokenised at a time while building (bounds the token lists)


def lexical_text(profile: PartnerProfile) -> str:
    """The words BM25 matches a deal against: specialisms (counted twice) and the description."""
    specialisms = " ".join(profile.specialisms)
    return " ".join(part for part in (specialisms, specialisms, profile.description or "") if part)


def tokenise(text: str) -> list[str]:
    """A text's tokens as the index sees them (lower case, English stop words gone)."""
    if not text.strip():
        return []
    tokens: list[list[str]] = bm25s.tokenize(
        [text], stopwords="en", return_ids=False, show_progress=False
    )
    return tokens[0]


@dataclass(frozen=True)
class _Segment:
    """Postings built in one go: per term the rows holding it, how often and the row's length
    (CSC, what a query reads), and per row where its postings are (what a write needs).

    Only ``tf`` ever changes: a row that is rewritten or removed has its frequencies zeroed,
    so it adds nothing to any score (``tf / (tf + ...)`` is 0) until the next compaction drops
    it. Everything else stays as built, so a new segment can be built from this one while it
    serves.
    """

    term_ptr: np.ndarray  # (terms + 1,) int64: term t's postings are [term_ptr[t], term_ptr[t+1])
    rows: np.ndarray  # int32 row id of each posting, grouped by term
    tf: np.ndarray  # float32 term frequency of each posting (0: the row has gone)
    length: np.ndarray  # float32 length in tokens of each posting's row
    row_ptr: np.ndarray  # (rows + 1,) int64: row r's postings are listed at [row_ptr[r], ...)
    positions: np.ndarray  # int32/int64: indices into the postings, grouped by row

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        terms: np.ndarray,
        tf: np.ndarray,
        length: np.ndarray,
        n_terms: int,
        n_rows: int,
    ) -> _Segment:
        """A segment of one entry per (row, distinct term)."""
        by_term = np.argsort(terms, kind="stable")
        rows = rows[by_term]
        position_type = np.int32 if len(rows) < 2**31 else np.int64
        return cls(
            term_ptr=_pointers(terms, n_terms),
            rows=rows.astype(np.int32),
            tf=tf[by_term].astype(np.float32),
            length=length[by_term].astype(np.float32),
            row_ptr=_pointers(rows, n_rows),
            positions=np.argsort(rows, kind="stable").astype(position_type),
        )

    @classmethod
    def empty(cls) -> _Segment:
        nothing = np.zeros(0, dtype=np.int32)
        return cls.of(nothing, nothing, nothing, nothing, 0, 0)

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows holding ``term``, its frequency in each and their lengths (none for a term
        newer than the segment)."""
        if term + 1 >= len(self.term_ptr):
            return self.rows[:0], self.tf[:0], self.length[:0]
        start, end = self.term_ptr[term], self.term_ptr[term + 1]
        return self.rows[start:end], self.tf[start:end], self.length[start:end]

    def drop(self, row_id: int) -> np.ndarray:
        """Zero one row's frequencies; returns its terms (none for a row not held)."""
        if row_id + 1 >= len(self.row_ptr):
            return np.zeros(0, dtype=np.int64)
        positions = self.positions[self.row_ptr[row_id] : self.row_ptr[row_id + 1]]
        self.tf[positions] = 0.0
        return np.searchsorted(self.term_ptr, positions, side="right") - 1

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rows, terms, tf, length) of every posting still counting."""
        terms = np.repeat(np.arange(len(self.term_ptr) - 1, dtype=np.int32), np.diff(self.term_ptr))
        keep = self.tf > 0
        return self.rows[keep], terms[keep], self.tf[keep], self.length[keep]


def _pointers(keys: np.ndarray, size: int) -> np.ndarray:
    pointers = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=pointers[1:])
    return pointers


@dataclass(frozen=True)
class _Document:
    """One row's distinct terms, their frequencies and its length in tokens (a delta entry)."""

    terms: np.ndarray  # int32
    tf: np.ndarray  # float32
    length: int


class LexicalIndex:
    """BM25 over partner texts keyed by store row id, changed in place one partner at a time.

    Thread-safe: queries share a readers–writer lock; a write, and the swap of a compacted
    segment, take it exclusively for O(the partner's tokens) work.

    Example:
        >>> index = LexicalIndex.from_texts({3: "HIPAA hospital data", 8: "retail roll-outs"})
        >>> index.top("HIPAA", 5)[0].tolist()
        [3]
        >>> index.remove(3)
        >>> index.top("HIPAA", 5)[0].tolist()
        []
    """

    def __init__(self, compact_every: int | None = None) -> None:
        self.compact_every = compact_every
        self._lock = ReadWriteLock()
        # the live corpus' statistics
        self._vocab: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int64)  # per term
        self._lengths = np.zeros(0, dtype=np.float32)  # per row id
        self._indexed = np.zeros(0, dtype=bool)  # per row id
        self._documents = 0
        self._tokens = 0
        # the postings: a segment, plus the rows written since it was built
        self._segment = _Segment.empty()
        self._delta: dict[int, _Document] = {}
        self._delta_postings: dict[int, dict[int, float]] = {}  # term -> {row id: tf}
        # rows written while a new segment is built from a snapshot (None: no build running)
        self._written_since_snapshot: set[int] | None = None
        self._compacting = threading.Lock()  # one build at a time
        self._compactor: threading.Thread | None = None  # the background build, if started

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, PartnerProfile]]) -> LexicalIndex:
        """A BM25 index over these partners."""
        return cls.from_texts({row_id: lexical_text(profile) for row_id, profile in rows})

    @classmethod
    def from_texts(cls, texts: dict[int, str], compact_every: int | None = None) -> LexicalIndex:
        """A BM25 index over partner texts (:func:`lexical_text`) by row id, built in one pass:
        bm25s tokenises a chunk of texts at a time, numpy counts and groups the postings."""
        index = cls(compact_every)
        row_ids = np.array(sorted(texts), dtype=np.int64)
        if len(row_ids) and (row_ids[0] < 0 or row_ids[-1] >= 2**31):
            raise ValueError("row ids must be in 0 .. 2**31 - 1")
        index._grow(int(row_ids[-1]) + 1 if len(row_ids) else 0)
        chunks = [
            index._count(row_ids[start : start + BUILD_CHUNK], texts)
            for start in range(0, len(row_ids), BUILD_CHUNK)
        ]
        rows, terms, tf = (
            np.concatenate([chunk[part] for chunk in chunks]) if chunks else np.zeros(0, np.int32)
            for part in range(3)
        )
        n_terms = len(index._vocab)
        index._df = np.bincount(terms, minlength=n_terms).astype(np.int64)
        index._documents = len(row_ids)
        index._tokens = int(index._lengths.sum(dtype=np.float64))
        index._segment = _Segment.of(
            rows, terms, tf, index._lengths[rows], n_terms, len(index._indexed)
        )
        return index

    def parts(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The index as flat arrays and a JSON-able rest, for an engine snapshot (read back by
        :meth:`from_parts`): the statistics, and one segment holding the delta too."""
        with self._lock.reading():
            segment = self._segment
            if self._delta:
                segment = _merged(segment, self._delta, len(self._vocab), len(self._indexed))
            arrays = {
                "df": self._df,
                "lengths": self._lengths,
                "indexed": self._indexed,
                **{
                    f"segment_{part.name}": getattr(segment, part.name) for part in fields(_Segment)
                },
            }
            rest = {
                "vocab": list(self._vocab),
                "documents": self._documents,
                "tokens": self._tokens,
            }
        return arrays, rest

    @classmethod
    def from_parts(
        cls,
        arrays: Mapping[str, np.ndarray],
        rest: Mapping[str, Any],
        compact_every: int | None = None,
    ) -> LexicalIndex:
        """The index :meth:`parts` described, its arrays used as they are (no retokenising)."""
        index = cls(compact_every)
        index._vocab = {token: term for term, token in enumerate(rest["vocab"])}
        index._df, index._lengths = arrays["df"], arrays["lengths"]
        index._indexed = arrays["indexed"]
        index._documents, index._tokens = int(rest["documents"]), int(rest["tokens"])
        index._segment = _Segment(
            **{part.name: arrays[f"segment_{part.name}"] for part in fields(_Segment)}
        )
        return index

    def _count(
        self, row_ids: np.ndarray, texts: dict[int, str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, term, tf) of each distinct term of these rows' texts, growing the vocabulary;
        records their lengths (a build step: no lock, the index is not shared yet)."""
        tokenized = bm25s.tokenize(
            [texts[int(row_id)] for row_id in row_ids],
            stopwords="en",
            return_ids=True,
            show_progress=False,
        )
        # bm25s numbers this chunk's tokens from 0: renumber them into the index's vocabulary
        local = sorted(tokenized.vocab.items(), key=lambda item: item[1])
        renumber = np.array(
            [self._vocab.setdefault(token, len(self._vocab)) for token, _ in local],
            dtype=np.int64,
        )
        lengths = np.array([len(ids) for ids in tokenized.ids], dtype=np.int64)
        self._lengths[row_ids] = lengths
        self._indexed[row_ids] = True
        flat = np.fromiter(
            itertools.chain.from_iterable(tokenized.ids), dtype=np.int64, count=int(lengths.sum())
        )
        n_terms = max(len(self._vocab), 1)
        position = np.repeat(np.arange(len(row_ids), dtype=np.int64), lengths)
        pairs, tf = np.unique(position * n_terms + renumber[flat], return_counts=True)
        return (
            row_ids[pairs // n_terms].astype(np.int32),
            (pairs % n_terms).astype(np.int32),
            tf.astype(np.float32),
        )

    def __len__(self) -> int:
        return self._documents

    # -- writes --------------------------------------------------------------------------------

    def upsert(self, row_id: int, profile: PartnerProfile) -> None:
        """Add or replace one partner's text."""
        self.upsert_tokens(row_id, self.tokens_of(profile))

    def upsert_tokens(self, row_id: int, tokens: Sequence[str]) -> None:
        """Add or replace one partner by its tokens (:meth:`tokens_of`: a caller holding a
        lock of its own tokenises before taking it)."""
        if not 0 <= row_id < 2**31:
            raise ValueError(f"row id {row_id} is not in 0 .. 2**31 - 1")
        with self._lock.writing():
            self._forget(row_id)
            self._grow(row_id + 1)
            ids = [self._vocab.setdefault(token, len(self._vocab)) for token in tokens]
            if len(self._vocab) > len(self._df):
                self._df = _grown(self._df, len(self._vocab))
            terms, tf = np.unique(np.array(ids, dtype=np.int32), return_counts=True)
            document = _Document(terms, tf.astype(np.float32), len(ids))
            self._df[terms] += 1
            self._lengths[row_id] = document.length
            self._indexed[row_id] = True
            self._documents += 1
            self._tokens += document.length
            self._delta[row_id] = document
            _post(self._delta_postings, row_id, document)
            self._written(row_id)

    def remove(self, row_id: int) -> None:
        """Forget one partner."""
        with self._lock.writing():
            if self._forget(row_id):
                self._written(row_id)

    @staticmethod
    def tokens_of(profile: PartnerProfile) -> list[str]:
        """The tokens a partner is indexed under."""
        return tokenise(lexical_text(profile))

    def _forget(self, row_id: int) -> bool:
        """Take one row out of the statistics and the postings (the caller holds the lock)."""
        if row_id >= len(self._indexed) or not self._indexed[row_id]:
            return False
        document = self._delta.pop(row_id, None)
        if document is not None:
            terms = document.terms
            for term in terms.tolist():
                postings = self._delta_postings[term]
                del postings[row_id]
                if not postings:
                    del self._delta_postings[term]
        else:
            terms = self._segment.drop(row_id)
        self._df[terms] -= 1
        self._documents -= 1
        self._tokens -= int(self._lengths[row_id])
        self._lengths[row_id] = 0
        self._indexed[row_id] = False
        return True

    def _written(self, row_id: int) -> None:
        """Note a written row for a running compaction; start one if the delta is full."""
        if self._written_since_snapshot is not None:
            self._written_since_snapshot.add(row_id)
        threshold = self.compact_every or max(COMPACT_MIN_ROWS, int(COMPACT_SHARE * len(self)))
        if len(self._delta) >= threshold and self._compactor is None:
            self._compactor = threading.Thread(
                target=self._compact_in_background, name="partnermatch-bm25-compact", daemon=True
            )
            self._compactor.start()

    def _grow(self, rows: int) -> None:
        if rows <= len(self._indexed):
            return
        size = max(rows, int(len(self._indexed) * _GROWTH) + 1)
        self._lengths = _grown(self._lengths, size)
        self._indexed = _grown(self._indexed, size)

    # -- compaction ----------------------------------------------------------------------------

    def compact(self) -> None:
        """Fold the delta into a new segment: what the background thread runs, callable for a
        deterministic point (tests, after a bulk load). Queries and writes go on while the
        segment is built from a snapshot; the lock is held to take it and to swap."""
        with self._compacting:
            with self._lock.writing():
                segment, delta = self._segment, dict(self._delta)
                n_terms, n_rows = len(self._vocab), len(self._indexed)
                self._written_since_snapshot = set()
            try:
                built = _merged(segment, delta, n_terms, n_rows)
            except BaseException:
                with self._lock.writing():
                    self._written_since_snapshot = None
                raise
            with self._lock.writing():
                # a row written since the snapshot is out of date in ``built``: its live
                # version (if it has one) stays in the delta
                written = self._written_since_snapshot or set()
                self._written_since_snapshot = None
                for row_id in written:
                    built.drop(row_id)
                self._segment = built
                self._delta = {r: self._delta[r] for r in written if r in self._delta}
                self._delta_postings = {}
                for row_id, document in self._delta.items():
                    _post(self._delta_postings, row_id, document)

    def _compact_in_background(self) -> None:
        try:
            self.compact()
        except Exception:  # a failed build leaves the old segment and the delta serving
            log.exception("BM25 compaction failed; the delta keeps serving")
        finally:
            with self._lock.writing():
                self._compactor = None

    # -- queries -------------------------------------------------------------------------------

    def query_tokens(self, text: str) -> list[str]:
        """The query's tokens as the index sees them (lower case, English stop words gone)."""
        return tokenise(text)

    def score(self, text: str) -> LexicalScores:
        """BM25 scores of every indexed partner for ``text``, computed once per request."""
        tokens = self.query_tokens(text)
        with self._lock.reading():
            scores = np.zeros(len(self._indexed), dtype=np.float32)
            if not tokens or self._tokens == 0:
                return LexicalScores(scores)
            # a repeated query word counts once per repetition, as in bm25s
            repeats: dict[int, int] = {}
            for token in tokens:
                term = self._vocab.get(token)
                if term is not None:
                    repeats[term] = repeats.get(term, 0) + 1
            documents = self._documents
            per_token = np.float32(K1 * B * documents / self._tokens)  # k1 · b / avgdl
            for term, times in repeats.items():
                df = int(self._df[term])
                if df == 0:
                    continue
                idf = np.float32(times * math.log(1 + (documents - df + 0.5) / (df + 0.5)))
                _accumulate(scores, *self._segment.postings(term), idf, per_token)
                delta = self._delta_postings.get(term)
                if delta:
                    rows = np.fromiter(delta.keys(), dtype=np.int64, count=len(delta))
                    tf = np.fromiter(delta.values(), dtype=np.float32, count=len(delta))
                    _accumulate(scores, rows, tf, self._lengths[rows], idf, per_token)
        return LexicalScores(scores)

    def top(
        self, text: str, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and scores of the ``k`` best-scoring partners (score > 0) among the allowed."""
        return self.score(text).top(k, allowed_rows)


def _accumulate(
    scores: np.ndarray,
    rows: np.ndarray,
    tf: np.ndarray,
    length: np.ndarray,
    idf: np.float32,
    per_token: np.float32,
) -> None:
    """Add one term's BM25 part, ``idf · tf / (tf + k1 · (1 - b) + k1 · b · length / avgdl)``,
    to the scores of its rows (in place, one temporary array)."""
    part = length * per_token
    part += np.float32(K1 * (1 - B))
    part += tf
    np.divide(tf, part, out=part)
    part *= idf
    np.add.at(scores, rows, part)


def _post(postings: dict[int, dict[int, float]], row_id: int, document: _Document) -> None:
    for term, count in zip(document.terms.tolist(), document.tf.tolist(), strict=True):
        postings.setdefault(term, {})[row_id] = count


def _merged(segment: _Segment, delta: dict[int, _Document], n_terms: int, n_rows: int) -> _Segment:
    """A segment of ``segment``'s postings still counting and the ``delta`` documents."""
    rows, terms, tf, length = segment.entries()
    if delta:
        documents = list(delta.items())
        rows = np.concatenate(
            [rows, *(np.full(len(d.terms), row_id, np.int32) for row_id, d in documents)]
        )
        terms = np.concatenate([terms, *(d.terms for _, d in documents)])
        tf = np.concatenate([tf, *(d.tf for _, d in documents)])
        length = np.concatenate(
            [length, *(np.full(len(d.terms), d.length, np.float32) for _, d in documents)]
        )
    return _Segment.of(rows, terms, tf, length, n_terms, n_rows)


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


@dataclass(frozen=True)
class LexicalScores:
    """One query's BM25 scores, indexed by row id (0 for a row not indexed), to take a top N
    and look up candidates."""

    scores: np.ndarray

    def top(self, k: int, allowed_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (score > 0) among ``allowed_rows`` (boolean mask indexed by row id),
        best first, ties by row id."""
        scores = self.scores
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if allowed_rows is not None:
            reach = min(len(scores), len(allowed_rows))
            scores = np.where(allowed_rows[:reach], scores[:reach], 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            best = np.argpartition(-scores[positive], k - 1)[:k]
            positive = positive[best]
        chosen = positive[np.lexsort((positive, -scores[positive]))]
        return chosen.astype(np.int64), scores[chosen].astype(np.float32)

    def of(self, row_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Scores of these rows (0 for a row not indexed)."""
        wanted = np.asarray(row_ids, dtype=np.int64)
        inside = (wanted >= 0) & (wanted < len(self.scores))
        found = np.zeros(len(wanted), dtype=np.float32)
        found[inside] = self.scores[wanted[inside]]
        return found
