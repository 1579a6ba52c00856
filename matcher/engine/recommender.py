"""Deal in, ranked partners out: filtered hybrid retrieval, feature scoring, IPP, explanations.

The flow (DESIGN.md section 1): compile the deal's hard constraints into a bitmap → embed the
deal once → FAISS top N restricted by the bitmap, plus BM25's top N within the same bitmap →
structured features (industry, track record, specialisms, segment, capacity headroom and, with
``strict: false``, constraint coverage) → the IPP scorer's fit on the best candidates → one
weighted score in 0–1 → explanations. Ties break by ``partner_id`` so answers are reproducible.

The engine holds in memory what ranking needs of every partner (filter bitmaps, capacity,
specialisms, BM25, vectors) and reads whole profiles from the store only for the few it scores
and explains (:class:`~matcher.engine.profiles.ProfileCache`). Writes
(:meth:`Recommender.upsert_partner`, :meth:`Recommender.delete_partner`) update it live under a
readers–writer lock, and a rebuilt engine replaces the old one by reference swap
(:func:`build_engine` then assign), so a request never waits on a rebuild.
"""

from __future__ import annotations

import functools
import logging
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from matcher import taxonomy
from matcher.embedding.base import Embedder, deal_text
from matcher.embedding.cache import embed_partners, embed_texts_cached, query_cache
from matcher.embedding.calibration import Calibration, calibration_for
from matcher.engine.evidence import EVIDENCE_FEATURES, PartnerEvidence
from matcher.engine.explain import SpecialismMatch, deal_phrases, explain, match_specialisms
from matcher.engine.exposure import ExposureLedger, rotate_near_ties
from matcher.engine.filters import FilterResult, PartnerColumns, coverage
from matcher.engine.index import IndexManifest, PartnerIndex
from matcher.engine.justify import edge_over, edge_sentence
from matcher.engine.lexical import LexicalIndex, LexicalScores
from matcher.engine.locks import ReadWriteLock
from matcher.engine.profiles import ProfileCache
from matcher.engine.query import DealTerms, ReadDeal, read_deal
from matcher.engine.ranker import LearnedRanker
from matcher.engine.signals import structured_signals
from matcher.engine.snapshot import EngineState, prune_snapshots, save_snapshot
from matcher.ipp.base import FourCs, IppScorer
from matcher.schemas import Deal, Partner
from matcher.store import Store

log = logging.getLogger(__name__)

# BM25 scoring runs here, beside the query embedding and vector search of the same request
_LEXICAL_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="partnermatch-bm25")


@functools.cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded (numpy's, FAISS'), found once: a scan takes milliseconds."""
    return ThreadpoolController()


def _one_blas_thread() -> AbstractContextManager[object]:
    """BLAS on one thread for a recommendation: its matrix products are small (a query against
    a few hundred candidates), and a second OpenBLAS thread barely shortens them but spins
    after each; requests already run side by side. At 100k partners a recommendation's CPU
    went 21.1 -> 14.8 ms (wall 15.8 -> 13.9 ms). The embedder limits itself the same way."""
    return _blas().limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class RankingWeights:
    """Relative weight of each signal in the final score (a weighted mean over the signals that
    apply to the deal, so the score stays in 0–1 whatever the deal leaves out).

    Tuned on the tuning split of the judged deals only (``training/evaluate.py``). ``country``
    was 0.05 until the description was read: at 0.40 the tuning split's nDCG@10 rose from 0.47
    to 0.64 with fields and 0.41 to 0.59 with the country only in the prose (0.80 adds nothing;
    ``python -m training.evaluate_text``) - a partner that does not serve the customer's
    country is rarely a fit, and a preference of 0.05 could not say so.
    """

    semantic: float = 0.30
    lexical: float = 0.15
    specialisms: float = 0.15
    industry: float = 0.10
    track_record: float = 0.10
    segment: float = 0.05
    capacity: float = 0.05
    ipp: float = 0.10
    languages: float = 0.05
    certifications: float = 0.05
    country: float = 0.40
    partner_types: float = 0.05

    def only(self, *signals: str) -> RankingWeights:
        """These weights with every signal but ``signals`` switched off (for baselines)."""
        unknown = set(signals) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown signals {sorted(unknown)}; allowed: {SIGNALS}")
        return replace(self, **{f.name: 0.0 for f in fields(self) if f.name not in signals})


SIGNALS: tuple[str, ...] = tuple(f.name for f in fields(RankingWeights))
# what the learned ranker reads: the signals, the partner's evidence, and how recently active
RANKER_FEATURES: tuple[str, ...] = (*SIGNALS, *EVIDENCE_FEATURES, "recency")
RECENCY_DAYS = 180.0
STRUCTURED_SIGNALS: tuple[str, ...] = (
    "specialisms",
    "industry",
    "track_record",
    "segment",
    "capacity",
    "languages",
    "certifications",
    "country",
    "partner_types",
)


@dataclass
class Candidate:
    """One partner under consideration for a deal, with its signals as they are computed."""

    row_id: int
    partner: Partner
    signals: dict[str, float]
    four_cs: FourCs | None = None
    score: float = 0.0
    matches: list[SpecialismMatch] = field(default_factory=list)
    # what each feature added to the score (the ranker's own terms), and the feature values
    contributions: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)
    # candidates with the same number are a near-tie (they take turns, fair exposure)
    tie_run: int = -1


class Recommender:
    """The matching engine over one store: index, filter columns, BM25, profiles, track record.

    Build it with :func:`build_engine` (from the store, embedding only what the cache lacks) or
    :func:`load_engine` (from the saved index); then call :meth:`recommend`.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        scorer: IppScorer,
        index: PartnerIndex,
        columns: PartnerColumns,
        lexical: LexicalIndex,
        profiles: ProfileCache,
        specialisms: dict[int, tuple[str, ...]],
        specialism_vectors: dict[str, np.ndarray],
        industry_wins: Mapping[tuple[str, str], int] | None,
        candidates: int = 100,
        weights: RankingWeights | None = None,
        ranker: LearnedRanker | None = None,
        evidence: PartnerEvidence | None = None,
        exposure: ExposureLedger | None = None,
        tie_tolerance: float = 0.0,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.calibration = calibration_for(embedder.model_id)
        self.scorer = scorer
        self.index = index
        self.columns = columns
        self.lexical = lexical
        self.profiles = profiles
        self.specialisms = specialisms
        self.specialism_vectors = specialism_vectors
        self.industry_wins = industry_wins
        self.candidates = candidates
        self.weights = weights or RankingWeights()
        # the learned ranker when one is promoted (else the hand weights rank) and the
        # partner evidence it reads
        self.ranker = ranker
        self.evidence = evidence
        # top slots served per partner, and the score gap within which results rotate
        self.exposure = exposure or ExposureLedger()
        self.tie_tolerance = tie_tolerance
        # requests read the in-memory state together; a live write (upsert/delete) excludes them
        self._lock = ReadWriteLock()
        # vectors of deal texts and phrases (widget contexts and specialism phrases recur)
        self.queries = query_cache(embedder)

    # -- live updates --------------------------------------------------------------------------

    def upsert_partner(self, partner_id: str) -> bool:
        """Re-read one partner from the store into the live engine; ``False`` if not stored.

        The API calls this after writing the store: the partner is findable as soon as it
        returns. What takes time (the store read, embedding, tokenising) is done before the
        write lock; under it each structure changes by this partner alone (its vector
        overwritten or appended, its bits, its BM25 terms), so requests wait a fraction of a
        millisecond (``bench/write_latency.py``). Callers serialise their writes, as
        :class:`~matcher.engine.service.MatchingService` does, so the latest read wins.
        """
        found = self.store.get_partner_row(partner_id)
        if found is None:
            return self.delete_partner(partner_id)
        row_id, partner = found
        _, vectors = embed_partners(self.store, self.embedder, [(row_id, partner)])
        tokens = self.lexical.tokens_of(partner)
        specialisms = interned(partner.specialisms)
        self._remember_specialisms(specialisms)
        with self._lock.writing():
            self.index.upsert(row_id, vectors[0])
            self.columns.upsert(row_id, partner)
            self.lexical.upsert_tokens(row_id, tokens)
            self.specialisms[row_id] = specialisms
            self.profiles.put(row_id, partner)
        return True

    def delete_partner(self, partner_id: str) -> bool:
        """Remove one partner from the live engine; it is never returned again.

        Once its bits are cleared no filter passes it, so its vector is removed from FAISS
        after the engine's lock is released: that removal compacts the index (O(partners),
        ~8 ms at 100k) and holds only the index's own lock.
        """
        with self._lock.writing():
            row_id = self.columns.row_of.get(partner_id)
            if row_id is None:
                return False
            self.columns.remove(row_id)
            self.lexical.remove(row_id)
            self.specialisms.pop(row_id, None)
            self.profiles.forget(row_id)
        self.index.remove(row_id)
        return True

    def save(self, directory: Path, store_fingerprint: str | None = None) -> IndexManifest:
        """Persist the vector index with a manifest fingerprinting the store, and the engine's
        per-partner state beside it (:mod:`~matcher.engine.snapshot`, written first: the
        manifest names the index last).

        ``store_fingerprint`` is the store's fingerprint *when the engine's rows were read*
        (:func:`build_engine` passes it); by default the store's fingerprint now.
        """
        with self._lock.reading():
            fingerprint = store_fingerprint or self.store.partner_fingerprint()
            state = EngineState(self.columns, self.lexical, self.specialisms)
            save_snapshot(directory, self.index.index_version, state)
            manifest = self.index.save(directory, fingerprint)
        prune_snapshots(directory)
        return manifest

    def _remember_specialisms(self, specialisms: Iterable[str]) -> None:
        new = sorted(set(specialisms) - self.specialism_vectors.keys())
        if new:
            vectors = embed_texts_cached(self.store, self.embedder, new)
            self.specialism_vectors.update(zip(new, vectors, strict=True))

    # -- recommendation ------------------------------------------------------------------------

    def recommend(self, deal: Deal, weights: RankingWeights | None = None) -> dict[str, object]:
        """The ranked partners for ``deal`` in the DESIGN.md 3.3 response shape.

        Example:
            >>> engine.recommend(Deal(description="ERP migration", country="DE"))["results"][0]
            ... # doctest: +SKIP
        """
        ranker = self.ranker if weights is None else None
        weights = weights or self.weights
        read = read_deal(deal)
        with _one_blas_thread(), self._lock.reading():
            warnings = self._check_certifications(read.deal)
            ranked, funnel, emptied_by = self._rank(read, weights, deal.top_k, ranker)
            self.exposure.record([c.partner.partner_id for c in ranked])
            phrases = deal_phrases(read.deal)
            results = [
                self._result(
                    read.target,
                    rank,
                    candidate,
                    ranked[rank] if rank < len(ranked) else None,
                    phrases,
                )
                for rank, candidate in enumerate(ranked, 1)
            ]
        answer: dict[str, object] = {
            "recommendation_id": "r_" + uuid.uuid4().hex[:20],
            "model_version": self.scorer.version,
            "ranker": ranker.version if ranker is not None else "hand-weights",
            "index_version": self.index.index_version,
            "funnel": funnel,
            "strict": deal.strict,
            "results": results,
        }
        if emptied_by is not None:
            answer["emptied_by"] = emptied_by
        if read.report is not None:
            answer["read_from_description"] = read.report
        answer["low_relevance"] = low_relevance(read, ranked, self.calibration)
        if answer["low_relevance"]:
            warnings.append(LOW_RELEVANCE_NOTICE)
        if warnings:
            answer["warnings"] = warnings
        return answer

    def _check_certifications(self, deal: Deal) -> list[str]:
        """Certifications no partner holds: a strict deal is refused (a 422 naming the closest
        held ones), a non-strict one is answered with a warning."""
        warnings = []
        for name, suggestions in self.columns.unknown_certifications(deal).items():
            if deal.strict:
                raise taxonomy.UnknownValueError(
                    "certifications", name, suggestions, "no partner holds this certification"
                )
            hint = f"; closest held: {', '.join(suggestions)}" if suggestions else ""
            warnings.append(f"no partner holds the certification {name!r}{hint}")
        return warnings

    def rank(
        self, deal: Deal, weights: RankingWeights | None = None, top_k: int | None = None
    ) -> tuple[list[Candidate], dict[str, int], str | None]:
        """The top ``top_k`` candidates (default ``deal.top_k``), the funnel, and the emptying
        constraint if the hard filters left nobody. Explicit ``weights`` rank by those hand
        weights; by default the learned ranker ranks if one is loaded."""
        ranker = self.ranker if weights is None else None
        with self._lock.reading():
            return self._rank(read_deal(deal), weights or self.weights, top_k or deal.top_k, ranker)

    def _rank(
        self,
        read: ReadDeal,
        weights: RankingWeights,
        top_k: int,
        ranker: LearnedRanker | None = None,
    ) -> tuple[list[Candidate], dict[str, int], str | None]:
        deal = read.deal
        filtered = self.filter(deal)
        if filtered.count == 0:
            return [], filtered.funnel, filtered.emptied_by
        pool = max(self.candidates, top_k)
        # BM25 needs no embedding: it scores on another core while the deal is embedded and
        # FAISS searches (both release the GIL); at a million partners that hides ~20 ms
        lexical = _LEXICAL_WORKERS.submit(self._lexical_candidates, deal, filtered, pool)
        phrases = deal_phrases(deal)
        # the deal's text and its phrases in one model call, or none when all are cached
        vectors = self.queries.vectors([deal_text(deal), *phrases], self.embedder)
        query, phrase_vectors = vectors[0], vectors[1:]
        semantic_rows, semantic_scores = self.semantic_search(query, pool, filtered)
        bm25_all, lexical_rows = lexical.result()
        rows = np.array(
            [
                row_id
                for row_id in dict.fromkeys([*semantic_rows.tolist(), *lexical_rows.tolist()])
                if row_id in self.specialisms
            ],
            dtype=np.int64,
        )
        signals = self._structured_signals(deal, rows, read.terms, phrase_vectors)
        signals["semantic"] = np.clip(
            self._similarity(query, rows, semantic_rows, semantic_scores), 0.0, 1.0
        )
        bm25 = bm25_all.of(rows.tolist())
        bm25_max = float(bm25.max()) if len(bm25) else 0.0
        if bm25_max > 0:
            signals["lexical"] = bm25 / bm25_max
        ranked = self._finish(read.target, rows, signals, weights, top_k, ranker)
        for candidate in ranked:
            if phrases and candidate.partner.specialisms:
                candidate.matches = match_specialisms(
                    candidate.partner.specialisms,
                    self._specialism_matrix(candidate.partner),
                    phrases,
                    phrase_vectors,
                    self.calibration.specialism_match,
                )
        return ranked, filtered.funnel, None

    def _lexical_candidates(
        self, deal: Deal, filtered: FilterResult, pool: int
    ) -> tuple[LexicalScores, np.ndarray]:
        """BM25 scores of every partner for the deal, and the ``pool`` best allowed rows."""
        bm25_all = self.lexical.score(self.lexical_query(deal))
        allowed_rows = np.unpackbits(filtered.allowed, bitorder="little").astype(bool)
        return bm25_all, bm25_all.top(pool, allowed_rows)[0]

    def filter(self, deal: Deal) -> FilterResult:
        """The deal's hard constraints as a bitmap over row ids (the engine's filter columns)."""
        return self.columns.compile(deal)

    def semantic_search(
        self, query: np.ndarray, pool: int, filtered: FilterResult
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``pool`` allowed rows nearest ``query`` and their cosine similarities, never
        searched first and filtered after (:meth:`PartnerIndex.search_allowed`)."""
        return self.index.search_allowed(query, pool, filtered.allowed, filtered.count)

    @staticmethod
    def lexical_query(deal: Deal) -> str:
        """What BM25 searches with: description and wanted specialisms, else the industry name."""
        words = " ".join([deal.description or "", *deal.specialisms]).strip()
        return words or taxonomy.INDUSTRIES.get(deal.industry or "", "")

    def _similarity(
        self,
        query: np.ndarray,
        rows: np.ndarray,
        semantic_rows: np.ndarray,
        semantic_scores: np.ndarray,
    ) -> np.ndarray:
        """Cosine similarity of each candidate to the query: from the search where it found the
        row, else from the row's stored vector (a BM25-only candidate; 0 if it has none)."""
        found = dict(zip(semantic_rows.tolist(), semantic_scores.tolist(), strict=True))
        similarity = np.array([found.get(row_id, np.nan) for row_id in rows.tolist()])
        missing = np.flatnonzero(np.isnan(similarity))
        if len(missing):
            vectors = self.index.vectors(rows[missing])
            similarity[missing] = np.nan_to_num(vectors @ query, nan=0.0)
        return similarity

    def _finish(
        self,
        deal: Deal,
        rows: np.ndarray,
        signals: dict[str, np.ndarray],
        weights: RankingWeights,
        top_k: int,
        ranker: LearnedRanker | None = None,
    ) -> list[Candidate]:
        """Score without the IPP, run the IPP on the best few, score again (by the learned
        ranker if given, else the hand weights), cut to ``top_k``."""
        rerank = self._candidates(
            rows, signals, _best(rows, signals, weights, self.columns, max(20, 2 * top_k))
        )
        if weights.ipp > 0 and rerank:
            partners = [candidate.partner for candidate in rerank]
            assessments = [self.scorer.assess(partner, deal) for partner in partners]
            fits = self.scorer.fit_many(partners, assessments, deal)
            for candidate, four_cs, fit in zip(rerank, assessments, fits, strict=True):
                candidate.four_cs = four_cs
                candidate.signals["ipp"] = float(np.clip(fit, 0.0, 1.0))
                candidate.score = float(weighted_score(candidate.signals, weights))
        if ranker is not None and rerank:
            features = self.ranking_features(rerank)
            scores = ranker.scores(features)
            contributions = ranker.contributions(features)
            for position, candidate in enumerate(rerank):
                candidate.score = float(scores[position])
                names = RANKER_FEATURES
                candidate.features = dict(zip(names, features[position].tolist(), strict=True))
                candidate.contributions = dict(
                    zip(names, contributions[position].tolist(), strict=True)
                )
        else:
            for candidate in rerank:
                candidate.features = dict(candidate.signals)
                candidate.contributions = hand_contributions(candidate.signals, weights)
        rerank.sort(key=lambda c: (-round(c.score, 9), c.partner.partner_id))
        rerank, runs = rotate_near_ties(
            rerank,
            [c.score for c in rerank],
            [c.partner.partner_id for c in rerank],
            self.tie_tolerance,
            self.exposure,
            deal.model_dump_json(exclude={"top_k", "exclude"}),
        )
        for candidate, run in zip(rerank, runs, strict=True):
            candidate.tie_run = run
        return rerank[:top_k]

    def ranking_features(self, candidates: Sequence[Candidate]) -> np.ndarray:
        """The learned ranker's features (:data:`RANKER_FEATURES`) of scored candidates, one
        row each: their signals (0 where a signal does not apply to the deal: the same for
        every candidate of a deal, so it cannot change their order), the partners' evidence
        and how recently each was active. Training builds its rows with this same method."""
        signals = np.array(
            [[c.signals.get(name, 0.0) for name in SIGNALS] for c in candidates],
            dtype=np.float64,
        ).reshape(len(candidates), len(SIGNALS))
        partner_ids = [c.partner.partner_id for c in candidates]
        evidence = (
            self.evidence.of(partner_ids)
            if self.evidence is not None
            else PartnerEvidence({}, 0.5).of(partner_ids)
        )
        today = date.today()
        recency = np.array(
            [
                [
                    0.5
                    if c.partner.last_active is None
                    else float(np.exp(-max(0, (today - c.partner.last_active).days) / RECENCY_DAYS))
                ]
                for c in candidates
            ],
            dtype=np.float64,
        ).reshape(len(candidates), 1)
        return np.hstack([signals, evidence, recency])

    def structured_rank(self, deal: Deal, top_k: int) -> list[Candidate]:
        """Rank every partner the filters allow by structured signals only (evaluation baseline:
        no text retrieval, no IPP)."""
        read = read_deal(deal)
        deal = read.deal
        filtered = self.filter(deal)
        phrase_vectors = self._phrase_vectors(deal_phrases(deal), self.embedder.dim)
        weights = self.weights.only(*STRUCTURED_SIGNALS)
        rows = np.array(
            [r for r in self.columns.row_ids(filtered.allowed).tolist() if r in self.specialisms],
            dtype=np.int64,
        )
        signals = self._structured_signals(deal, rows, read.terms, phrase_vectors)
        best = _best(rows, signals, weights, self.columns, top_k, decimals=9)
        return self._candidates(rows, signals, best)

    def _candidates(
        self, rows: np.ndarray, signals: Mapping[str, np.ndarray], best: list[tuple[int, float]]
    ) -> list[Candidate]:
        """The chosen candidates (positions into ``rows``, with scores), full profiles loaded;
        a partner deleted from the store while this request ran is dropped."""
        chosen = [int(rows[position]) for position, _ in best]
        partners = self.profiles.many(chosen)
        return [
            Candidate(
                row_id=row_id,
                partner=partners[row_id],
                signals=signals_of(signals, position),
                score=score,
            )
            for row_id, (position, score) in zip(chosen, best, strict=True)
            if row_id in partners
        ]

    def _structured_signals(
        self, deal: Deal, rows: np.ndarray, terms: DealTerms, phrase_vectors: np.ndarray
    ) -> dict[str, np.ndarray]:
        row_list = rows.tolist()
        return structured_signals(
            deal,
            terms,
            self.columns,
            rows,
            [self.columns.partner_of[row_id] for row_id in row_list],
            self._specialism_fit([self.specialisms[row_id] for row_id in row_list], phrase_vectors),
            self.industry_wins,
        )

    def _phrase_vectors(self, phrases: list[str], dim: int) -> np.ndarray:
        """Vectors of deal phrases (``(0, dim)`` for none), through the query cache."""
        if not phrases:
            return np.zeros((0, dim), dtype=np.float32)
        return self.queries.vectors(phrases, self.embedder)

    def _specialism_matrix(self, partner: Partner) -> np.ndarray:
        if any(s not in self.specialism_vectors for s in partner.specialisms):
            self._remember_specialisms(partner.specialisms)
        vectors = [self.specialism_vectors[s] for s in partner.specialisms]
        return np.stack(vectors) if vectors else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def _specialism_fit(
        self, specialisms: list[tuple[str, ...]], phrase_vectors: np.ndarray
    ) -> np.ndarray | None:
        """Per partner, how well its specialisms cover the deal's phrases (0–1), or ``None``
        when the deal has no phrases; 0.25 for a partner listing no specialisms.

        One matrix product over the candidates' distinct specialisms, not one per partner.
        """
        if len(phrase_vectors) == 0:
            return None
        tags = sorted({tag for listed in specialisms for tag in listed})
        if not tags:
            return np.full(len(specialisms), 0.25)
        self._remember_specialisms(tags)
        slot = {tag: i for i, tag in enumerate(tags)}
        similarity = np.stack([self.specialism_vectors[t] for t in tags]) @ phrase_vectors.T
        # a padded (partner, specialism) table of slots; the extra last row is -inf padding
        similarity = np.vstack([similarity, np.full((1, similarity.shape[1]), -np.inf)])
        width = max(len(listed) for listed in specialisms)
        slots = np.full((len(specialisms), max(width, 1)), len(tags), dtype=np.int64)
        for row, listed in enumerate(specialisms):
            slots[row, : len(listed)] = [slot[t] for t in listed]
        best = similarity[slots].max(axis=1)  # (partners, phrases)
        fit = self.calibration.specialism_credit(best).mean(axis=1)
        return np.where(np.array([bool(listed) for listed in specialisms]), fit, 0.25)

    def _result(
        self,
        deal: Deal,
        rank: int,
        candidate: Candidate,
        below: Candidate | None,
        phrases: list[str],
    ) -> dict[str, object]:
        """One result; ``below`` is the next one, which the reason says why it is above;
        ``phrases`` are the deal's (:func:`deal_phrases`)."""
        partner = candidate.partner
        wins = None
        if self.industry_wins is not None and deal.industry:
            wins = self.industry_wins.get((partner.partner_id, deal.industry), 0)
        explanation = explain(
            deal, partner, coverage(deal, partner), candidate.matches, wins, phrases
        )
        four_cs = candidate.four_cs or self.scorer.assess(partner, deal)
        level = below is not None and below.tie_run == candidate.tie_run >= 0
        edge = (
            edge_over(
                candidate.contributions, below.contributions, candidate.features, below.features
            )
            if below is not None and not level
            else []
        )
        sentence = (
            f"Level with #{rank + 1}: near-tied partners take turns at this place"
            if level
            else edge_sentence(edge, rank)
        )
        return {
            "partner_id": partner.partner_id,
            "name": partner.name,
            "rank": rank,
            "score": round(min(1.0, max(0.0, candidate.score)), 4),
            "four_cs": four_cs.as_dict(),
            "evidence": explanation.evidence,
            "reason": f"{explanation.reason}. {sentence}" if sentence else explanation.reason,
            "above_next": edge,
            "signals": {name: round(value, 4) for name, value in sorted(candidate.signals.items())},
        }


LOW_RELEVANCE_NOTICE = (
    "Nothing in the partner profiles matches the description well: these are the nearest "
    "partners, not good fits. Add the industry, the specialisms needed or more detail."
)


def low_relevance(read: ReadDeal, ranked: Sequence[Candidate], calibration: Calibration) -> bool:
    """Whether the answer is noise: a description-only deal whose best candidates are barely
    similar to it, or share no word with it and are only weakly similar (the model's measured
    floors). A deal that names an industry or specialisms (in fields or text) has something
    real to rank by."""
    deal = read.deal
    if not ranked or not deal.description or deal.industry or deal.specialisms:
        return False
    if read.terms.industries:
        return False
    semantic = max(candidate.signals.get("semantic", 0.0) for candidate in ranked)
    shares_words = any("lexical" in candidate.signals for candidate in ranked)
    return semantic < calibration.semantic_floor or (
        not shares_words and semantic < calibration.wordless_floor
    )


def weighted_score(
    signals: Mapping[str, np.ndarray | float], weights: RankingWeights
) -> np.ndarray | float:
    """The weighted mean of the signals present, for one candidate (floats) or many (arrays):
    a signal the deal does not use is absent, so it neither counts nor dilutes."""
    total: np.ndarray | float = 0.0
    weight_sum = 0.0
    for name, value in signals.items():
        weight = getattr(weights, name)
        total = total + weight * value
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else total * 0.0


def hand_contributions(signals: Mapping[str, float], weights: RankingWeights) -> dict[str, float]:
    """What each signal adds to the hand-weighted score (its share of the weighted mean)."""
    weight_sum = sum(getattr(weights, name) for name in signals)
    if weight_sum <= 0:
        return {name: 0.0 for name in signals}
    return {name: getattr(weights, name) * value / weight_sum for name, value in signals.items()}


def interned(specialisms: Iterable[str]) -> tuple[str, ...]:
    """Specialism tags as one shared string each: a million partners repeat a few thousand."""
    return tuple(sys.intern(tag) for tag in specialisms)


def signals_of(signals: Mapping[str, np.ndarray], position: int) -> dict[str, float]:
    """One candidate's signals, as plain floats, out of the per-signal arrays."""
    return {name: float(values[position]) for name, values in signals.items()}


def _best(
    rows: np.ndarray,
    signals: Mapping[str, np.ndarray],
    weights: RankingWeights,
    columns: PartnerColumns,
    count: int,
    decimals: int | None = None,
) -> list[tuple[int, float]]:
    """Positions and scores of the ``count`` best candidates, ties broken by partner id (scores
    rounded to ``decimals`` for the comparison, if given) so answers are reproducible."""
    scores = np.broadcast_to(weighted_score(signals, weights), (len(rows),))
    keys = np.round(scores, decimals) if decimals is not None else scores
    partner_ids = [columns.partner_of[row_id] for row_id in rows.tolist()]
    order = sorted(range(len(rows)), key=lambda i: (-keys[i], partner_ids[i]))
    return [(i, float(scores[i])) for i in order[:count]]


# -- building and loading -------------------------------------------------------------------------
