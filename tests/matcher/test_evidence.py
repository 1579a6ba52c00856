"""Partner evidence (shrunk win rates, role-weighted wins, seller answers), the reasons that say
why a result is above the next, and fair exposure."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from matcher.engine.evidence import EVIDENCE_FEATURES, partner_evidence, served_counts, served_ranks
from matcher.engine.exposure import ExposureLedger, concentration, rotate_near_ties
from matcher.engine.justify import edge_over, edge_sentence


def _outcomes(rows: list[tuple[str, str, bool, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"deal_id": f"D{i}", "partner_id": p, "role": role, "won": won, "closed_on": closed}
            for i, (p, role, won, closed) in enumerate(rows)
        ]
    )


def _feedback(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kind": kind,
                "partner_id": p,
                "reason": reason,
                "won": None,
                "deal_id": None,
                "created_at": datetime(2026, 6, 1, tzinfo=UTC),
            }
            for p, kind, reason in rows
        ]
    )


def _feature(evidence, partner_id: str, name: str) -> float:
    return float(evidence.of([partner_id])[0, EVIDENCE_FEATURES.index(name)])


def test_win_rates_are_shrunk_so_two_of_two_does_not_beat_forty_of_sixty() -> None:
    rows = [("small", "sourced", True, "2026-01-01")] * 2
    rows += [("big", "sourced", i < 40, "2026-01-01") for i in range(60)]
    rows += [("other", "sourced", False, "2026-01-01")] * 38
    evidence = partner_evidence(_outcomes(rows), _feedback([]), {})
    assert _feature(evidence, "big", "win_rate") > _feature(evidence, "small", "win_rate")
    # a partner with no history gets the population's win rate, not zero
    assert _feature(evidence, "unknown", "win_rate") == pytest.approx(0.42)


def test_wins_count_by_role_sourced_more_than_influenced() -> None:
    rows = [("lead", "sourced", True, "2026-01-01"), ("helper", "influenced", True, "2026-01-01")]
    evidence = partner_evidence(_outcomes(rows), _feedback([]), {})
    assert _feature(evidence, "lead", "role_wins") > _feature(evidence, "helper", "role_wins")


def test_rejections_count_by_reason_as_shares_of_the_times_served() -> None:
    feedback = _feedback(
        [("p", "rejected", "wrong_expertise")] * 3
        + [("p", "rejected", "no_language")]
        + [("q", "accepted", None)]
    )
    evidence = partner_evidence(_outcomes([]), feedback, {"p": 15, "q": 1})
    assert _feature(evidence, "p", "rejected_expertise") == pytest.approx(3 / 20)
    assert _feature(evidence, "p", "rejected_reach") == pytest.approx(1 / 20)
    assert _feature(evidence, "p", "rejected_capacity") == 0.0
    assert _feature(evidence, "q", "accepted") == pytest.approx(1 / 6)
    # one answer taken out, as training does for the answer it learns from
    assert evidence.without_one("p", "rejected_expertise") == pytest.approx(2 / 20)


def test_outcomes_reported_as_feedback_count_as_outcomes() -> None:
    feedback = pd.DataFrame(
        [
            {
                "kind": "outcome",
                "partner_id": "p",
                "reason": None,
                "won": False,
                "deal_id": f"L{i}",
                "created_at": datetime(2026, 6, 1, tzinfo=UTC),
            }
            for i in range(20)
        ]
    )
    outcomes = _outcomes([("p", "sourced", True, "2026-01-01")] * 5)
    with_reported = partner_evidence(outcomes, feedback, {})
    without = partner_evidence(outcomes, feedback.iloc[0:0], {})
    assert _feature(with_reported, "p", "win_rate") < _feature(without, "p", "win_rate")
    assert _feature(with_reported, "p", "outcomes") == pytest.approx(np.log1p(25))
    # a reported outcome the outcomes table already holds is not counted twice
    again = feedback.assign(deal_id="D0")
    assert _feature(partner_evidence(outcomes, again.iloc[:1], {}), "p", "outcomes") == (
        pytest.approx(np.log1p(5))
    )


def test_served_counts_count_each_listing() -> None:
    records = [
        {"created_at": datetime(2026, 1, 1), "results": [{"partner_id": "a"}, {"partner_id": "b"}]},
        {"created_at": datetime(2026, 3, 1, tzinfo=UTC), "results": [{"partner_id": "a"}]},
    ]
    assert served_counts(served_ranks(records)) == {"a": 2, "b": 1}
    assert served_counts(served_ranks([{"results": None}, {}])) == {}


def test_the_edge_names_the_largest_differences_that_agree_with_their_labels() -> None:
    higher = {"country": 0.4, "semantic": 0.2, "rejected_expertise": 0.0, "win_rate": 0.05}
    lower = {"country": 0.0, "semantic": 0.15, "rejected_expertise": -0.3, "win_rate": 0.0}
    higher_values = {"country": 1.0, "semantic": 0.5, "rejected_expertise": 0.0, "win_rate": 0.6}
    lower_values = {"country": 0.0, "semantic": 0.4, "rejected_expertise": 0.5, "win_rate": 0.5}
    assert edge_over(higher, lower, higher_values, lower_values) == [
        "country",
        "rejected_expertise",
    ]
    assert edge_sentence(["country", "rejected_expertise"], 1) == (
        "Above #2: serves the country, fewer rejections for expertise"
    )
    # a gain whose values go the other way (a negative coefficient) is no reason
    assert (
        edge_over({"semantic": 0.1}, {"semantic": 0.0}, {"semantic": 0.2}, {"semantic": 0.5}) == []
    )
    assert edge_sentence([], 3) == ""


def test_near_ties_rotate_by_exposure_and_clear_winners_stay_first() -> None:
    ledger = ExposureLedger()
    ids = ["a", "b", "c", "d"]
    scores = [0.80, 0.79, 0.60, 0.595]
    first, runs = rotate_near_ties(ids, scores, ids, 0.02, ledger, "deal")
    assert runs == [0, 0, 2, 2]
    ledger.record(first)
    second, _ = rotate_near_ties(ids, scores, ids, 0.02, ledger, "deal")
    # a and b are a near-tie: whoever was shown first is second next time; c/d stay below
    assert set(first[:2]) == set(second[:2]) == {"a", "b"}
    assert first[0] != second[0]
    assert set(second[2:]) == {"c", "d"}
    # the same ledger and deal give the same answer; no tolerance keeps the score order
    assert rotate_near_ties(ids, scores, ids, 0.02, ledger, "deal")[0] == second
    assert rotate_near_ties(ids, scores, ids, 0.0, ledger, "deal") == (ids, [0, 1, 2, 3])


def test_the_ledger_counts_only_the_top_slots() -> None:
    ledger = ExposureLedger()
    ledger.record([f"p{i}" for i in range(10)])
    assert ledger.count("p4") == 1 and ledger.count("p5") == 0


def test_concentration_is_zero_when_even_and_high_when_one_takes_all() -> None:
    even = concentration({f"p{i}": 10 for i in range(100)}, 100)
    assert even["gini"] == pytest.approx(0.0) and even["top_share"] == pytest.approx(0.05)
    one = concentration({"p0": 100}, 100)
    assert one["top_share"] == 1.0 and one["gini"] == pytest.approx(0.99)
    assert concentration({}, 10) == {"top_share": 0.0, "gini": 0.0, "slots": 0.0}
