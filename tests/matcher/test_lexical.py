"""BM25 over partner texts: scores by row id, filtered top N, live changes."""

from __future__ import annotations

import numpy as np

from matcher.engine.lexical import LexicalIndex
from matcher.schemas import Partner


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
