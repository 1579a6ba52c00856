from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from matcher.ipp.history import histories_as_of, shrunk_win_rate
from matcher.ipp.scorecard import quarterly_scorecards, scorecard_evidence, top_performers
from matcher.schemas import Partner


@pytest.fixture
def outcomes() -> pd.DataFrame:
    rows = [
        ("D1", "A", "sourced", 100_000.0, True, date(2025, 1, 10), 90.0, "retail"),
        ("D2", "A", "transacted", 50_000.0, False, date(2025, 2, 10), 70.0, "retail"),
        ("D3", "A", "influenced", 20_000.0, True, date(2025, 3, 10), None, "banking"),
        ("D4", "B", "sourced", 80_000.0, False, date(2025, 3, 20), None, "retail"),
        ("D5", "B", "sourced", 10_000.0, True, date(2025, 4, 2), 40.0, "retail"),
    ]
    columns = ["deal_id", "partner_id", "role", "deal_size", "won", "closed_on", "csat", "industry"]
    return pd.DataFrame(rows, columns=columns)


def test_shrunk_win_rate_known_answer() -> None:
    assert shrunk_win_rate(8, 10, 0.3, 10) == pytest.approx(0.55)


def test_quarterly_kpis_known_answer(outcomes: pd.DataFrame) -> None:
    partner = Partner(partner_id="A", name="A", partner_type="reseller", certifications=["X", "Y"])
    cards = quarterly_scorecards(outcomes, [partner])
    card = cards[(cards.partner_id == "A") & (cards.quarter == "2025Q1")].iloc[0]
    assert (card.deals, card.deals_sourced, card.deals_transacted, card.deals_influenced) == (
        3,
        1,
        1,
        1,
    )
    assert card.pipeline_sourced == 100_000 and card.pipeline_influenced == 20_000
    assert card.revenue_closed == 120_000 and card.average_deal_size == 60_000
    assert card.win_rate == pytest.approx(2 / 3)
    # population win rate 3/5 = 0.6: (2 + 10*0.6) / (3 + 10) = 8/13
    assert card.win_rate_shrunk == pytest.approx(8 / 13)
    assert card.csat == pytest.approx(80.0)
    assert card.certifications == 2
    assert card.status == "green"


def test_status_is_red_for_unhappy_customers_and_amber_in_between(outcomes: pd.DataFrame) -> None:
    cards = quarterly_scorecards(outcomes).set_index(["partner_id", "quarter"])
    assert cards.loc[("B", "2025Q2"), "status"] == "red"  # CSAT 40
    assert cards.loc[("B", "2025Q1"), "status"] == "amber"  # one lost deal, no revenue


def test_evidence_lines_show_the_sample_size(outcomes: pd.DataFrame) -> None:
    card = quarterly_scorecards(outcomes).iloc[0].to_dict()
    lines = scorecard_evidence(card)
    assert "win rate 62 % (shrunk from 2 of 3 deals)" in lines
    assert lines[-1] == "status green"


def test_histories_count_only_deals_before_the_date(outcomes: pd.DataFrame) -> None:
    histories = histories_as_of(outcomes, as_of=date(2025, 3, 10))
    assert histories["A"].deals == 2 and histories["A"].wins == 1
    assert histories["A"].industry_deals == {"retail": 2}
    assert "B" not in histories


def test_top_performers_are_the_top_share_by_revenue(outcomes: pd.DataFrame) -> None:
    assert top_performers(outcomes, share=0.5) == ["A"]
    with pytest.raises(ValueError, match="share"):
        top_performers(outcomes, share=0)


def test_no_outcomes_give_an_empty_scorecard() -> None:
    empty = pd.DataFrame(
        columns=["deal_id", "partner_id", "role", "deal_size", "won", "closed_on", "csat"]
    )
    assert quarterly_scorecards(empty).empty
