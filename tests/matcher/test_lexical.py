"""BM25 over partner texts: scores by row id, filtered top N, live changes equal to a rebuild."""

from __future__ import annotations

import math
import random

import bm25s
import numpy as np
import pytest

from matcher.engine import lexical
from matcher.engine.lexical import LexicalIndex, tokenise
from matcher.schemas import Partner

WORDS = [
    *("hipaa", "sap", "erp", "salesforce", "migration", "cloud", "security", "audit"),
    *("retail", "hospital", "clinic", "bank", "portfolio", "management", "data", "platform"),
    *("analytics", "warehouse", "logistics", "payroll", "safe", "agile", "kubernetes"),
    *("devops", "training", "onboarding", "manufacturing", "automotive", "pharma"),
]
QUERIES = [
    "HIPAA hospital data platform",
    "SAP ERP migration for a car parts maker",
    "portfolio management portfolio",  # a repeated word counts twice
    "cloud security audit for a bank",
    "kubernetes devops",
    "nothing matches zzz",
]


def _partner(partner_id: str, description: str) -> Partner:
    return Partner(
        partner_id=partner_id, name=partner_id, partner_type="isv", description=description
    )


def _index() -> LexicalIndex:
    return LexicalIndex.from_rows(
        [
            (4, _partner("A", "HIPAA compliant hospital data platform")),
            (9, _partner("B", "retail point of sale roll-outs")),
            (2, _partner("C", "HIPAA audits for clinics and hospitals")),
        ]
    )


def _text(rng: random.Random) -> str:
    """A random partner text: a few words, common ones more often (Zipf-like), some repeated."""
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    return " ".join(rng.choices(WORDS, weights, k=rng.randint(0, 14)))


def _rebuilt_scores(texts: dict[int, str], query: str, size: int) -> np.ndarray:
    """The scores a bm25s index built from scratch over ``texts`` gives, by row id."""
    scores = np.zeros(size, dtype=np.float32)
    rows = sorted(texts)
    corpus = bm25s.tokenize(
        [texts[r] for r in rows], stopwords="en", return_ids=False, show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    known = [token for token in tokenise(query) if token in retriever.vocab_dict]
    if known:
        scores[rows] = retriever.get_scores(known)
    return scores


def _assert_equals_a_rebuild(index: LexicalIndex, texts: dict[int, str]) -> None:
    """Every row's score within 1e-5 (relative) of a fresh bm25s index's, and for every query
    a top 10 the rebuild ranks the same: the same scores in the same order. Rows whose scores
    are equal (the same terms as often, the same length) may trade places, as float32
    rounding differs in the last bit."""
    assert len(index) == len(texts)
    for query in QUERIES:
        ours = index.score(query)
        size = max(len(ours.scores), max(texts, default=0) + 1)
        rebuilt = _rebuilt_scores(texts, query, size)
        tolerance = 1e-5 * max(1.0, float(rebuilt.max()))
        assert np.abs(ours.of(np.arange(size)) - rebuilt).max() <= tolerance, query
        top, _ = ours.top(10)
        best = np.sort(rebuilt[rebuilt > 0])[::-1][:10]
        assert len(top) == len(best), query
        assert np.abs(rebuilt[top] - best).max(initial=0.0) <= tolerance, query


def _random_writes(
    index: LexicalIndex, texts: dict[int, str], rng: random.Random, writes: int
) -> None:
    """Upserts of new and existing rows (some empty texts) and deletes, mirrored in ``texts``."""
    for _ in range(writes):
        row_id = rng.randrange(1, 400)
        if rng.random() < 0.25:
            index.remove(row_id)
            texts.pop(row_id, None)
        else:
            texts[row_id] = _text(rng)
            index.upsert_tokens(row_id, tokenise(texts[row_id]))


def test_scores_look_up_by_row_id_and_unknown_rows_score_zero() -> None:
    scores = _index().score("HIPAA hospital")
    found = scores.of([4, 9, 2, 77])
    assert found[0] > found[2] > 0 and found[1] == 0 and found[3] == 0


def test_top_respects_the_allowed_rows() -> None:
    index = _index()
    assert index.top("HIPAA", 5)[0].tolist() in ([2, 4], [4, 2])
    allowed = np.zeros(10, dtype=bool)
    allowed[[2, 9]] = True
    assert index.top("HIPAA", 5, allowed)[0].tolist() == [2]


def test_upsert_and_remove_change_what_matches() -> None:
    index = _index()
    index.upsert(9, _partner("B", "HIPAA retail pharmacy"))
    assert 9 in index.top("HIPAA", 5)[0].tolist()
    index.remove(4)
    assert 4 not in index.top("HIPAA", 5)[0].tolist() and len(index) == 2


def test_known_answer_lucene_bm25_with_k1_1_5_and_b_0_75() -> None:
    # N = 2, avgdl = 1.5; "beta" is in one document of length 2:
    # idf = ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = ln 2
    # tf part = 1 / (1 + 1.5 * (0.25 + 0.75 * 2 / 1.5))
    index = LexicalIndex.from_texts({1: "alpha beta", 2: "alpha"})
    expected = math.log(2) / (1 + 1.5 * (0.25 + 0.75 * 2 / 1.5))
    assert index.score("beta").of([1, 2]).tolist() == pytest.approx([expected, 0.0], rel=1e-6)


def test_a_word_first_seen_in_an_upsert_is_found() -> None:
    index = _index()
    index.upsert(11, _partner("D", "Snowflake warehouse"))
    assert index.top("snowflake", 5)[0].tolist() == [11]


def test_scores_equal_a_fresh_rebuild_after_random_upserts_and_deletes() -> None:
    # the corpus statistics (N, average length, document frequencies) follow every write, so
    # a write that moves them changes every partner's score, as a rebuild would
    rng = random.Random(7)
    texts = {row_id: _text(rng) for row_id in range(1, 300)}
    index = LexicalIndex.from_texts(dict(texts), compact_every=10**9)
    _random_writes(index, texts, rng, 500)
    _assert_equals_a_rebuild(index, texts)
    index.compact()
    _assert_equals_a_rebuild(index, texts)
    _random_writes(index, texts, rng, 200)  # writes after a compaction go to a new delta
    _assert_equals_a_rebuild(index, texts)


def test_writes_during_a_compaction_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    texts = {row_id: _text(rng) for row_id in range(1, 300)}
    index = LexicalIndex.from_texts(dict(texts), compact_every=10**9)
    _random_writes(index, texts, rng, 300)
    merged = lexical._merged

    def merged_while_writing(*args: object) -> object:
        built = merged(*args)  # type: ignore[arg-type]
        _random_writes(index, texts, rng, 150)  # land after the snapshot, before the swap
        return built

    monkeypatch.setattr(lexical, "_merged", merged_while_writing)
    index.compact()
    _assert_equals_a_rebuild(index, texts)


def test_a_full_delta_is_compacted_in_the_background_and_scores_stay_exact() -> None:
    rng = random.Random(3)
    texts = {row_id: _text(rng) for row_id in range(1, 300)}
    index = LexicalIndex.from_texts(dict(texts), compact_every=40)
    _random_writes(index, texts, rng, 400)
    compactor = index._compactor
    if compactor is not None:
        compactor.join(timeout=30)
    assert len(index._delta) < 400
    _assert_equals_a_rebuild(index, texts)


def test_a_row_id_outside_int32_is_refused() -> None:
    with pytest.raises(ValueError, match="row id"):
        _index().upsert_tokens(2**31, ["alpha"])
