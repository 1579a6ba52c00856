"""The quarterly partner scorecard (DOMAIN.md): KPIs per partner and quarter from the outcomes.

Deals sourced / transacted / influenced, pipeline (value of the closed deals the partner sourced
or influenced), revenue closed, win rate (raw and shrunk toward the population mean, with the
sample size), average won deal size, certifications, CSAT, and a red/amber/green status. The same
outcomes give each partner's :class:`~matcher.ipp.history.PerformanceHistory`, the Capability
evidence ("win rate 45 % (shrunk from 8 of 10 deals)") of the 4 Cs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from matcher.ipp.history import shrunk_win_rate
from matcher.schemas import PartnerProfile
from matcher.store import Store

SCORECARD_COLUMNS: tuple[str, ...] = (
    "partner_id",
    "quarter",
    "deals",
    "deals_sourced",
    "deals_transacted",
    "deals_influenced",
    "pipeline_sourced",
    "pipeline_influenced",
    "revenue_closed",
    "wins",
    "win_rate",
    "win_rate_shrunk",
    "average_deal_size",
    "csat",
    "certifications",
    "certified_staff",
    "status",
)
RED_WIN_RATE_SHARE = 0.6  # shrunk win rate below 60 % of the population's is red
RED_CSAT = 60.0
GREEN_CSAT = 80.0


def _status(deals: int, shrunk: float, mean: float, revenue: float, csat: float | None) -> str:
    """Red: no deals, a shrunk win rate far below the population, or unhappy customers."""
    if deals == 0 or shrunk < RED_WIN_RATE_SHARE * mean or (csat is not None and csat < RED_CSAT):
        return "red"
    if shrunk >= mean and revenue > 0 and (csat is None or csat >= GREEN_CSAT):
        return "green"
    return "amber"


def quarterly_scorecards(
    outcomes: pd.DataFrame,
    partners: Iterable[PartnerProfile] = (),
    prior_strength: float = 10.0,
) -> pd.DataFrame:
    """One row per partner and quarter with the KPIs of :data:`SCORECARD_COLUMNS`.

    Win rates are shrunk toward the pooled win rate of all outcomes; a partner with a profile but
    no deal in a quarter it is listed for does not appear (there is nothing to score).
    """
    if outcomes.empty:
        return pd.DataFrame(columns=list(SCORECARD_COLUMNS))
    frame = outcomes.copy()
    frame["quarter"] = pd.PeriodIndex(pd.to_datetime(frame["closed_on"]), freq="Q").astype(str)
    frame["won"] = frame["won"].astype(bool)
    size = frame["deal_size"].astype(float)
    frame["won_size"] = size.where(frame["won"])
    for role in ("sourced", "transacted", "influenced"):
        frame[f"is_{role}"] = frame["role"] == role
    frame["sourced_size"] = size.where(frame["is_sourced"], 0.0).fillna(0.0)
    frame["influenced_size"] = size.where(frame["is_influenced"], 0.0).fillna(0.0)
    mean = float(frame["won"].mean())
    grouped = frame.groupby(["partner_id", "quarter"], sort=True)
    cards = grouped.agg(
        deals=("won", "size"),
        deals_sourced=("is_sourced", "sum"),
        deals_transacted=("is_transacted", "sum"),
        deals_influenced=("is_influenced", "sum"),
        pipeline_sourced=("sourced_size", "sum"),
        pipeline_influenced=("influenced_size", "sum"),
        revenue_closed=("won_size", "sum"),
        wins=("won", "sum"),
        average_deal_size=("won_size", "mean"),
        csat=("csat", "mean"),
    ).reset_index()
    cards["win_rate"] = cards["wins"] / cards["deals"]
    cards["win_rate_shrunk"] = shrunk_win_rate(cards["wins"], cards["deals"], mean, prior_strength)
    profiles: Mapping[str, PartnerProfile] = {p.partner_id: p for p in partners}
    cards["certifications"] = [
        len(profiles[pid].certifications) if pid in profiles else np.nan
        for pid in cards["partner_id"]
    ]
    cards["certified_staff"] = [
        profiles[pid].certified_staff if pid in profiles else None for pid in cards["partner_id"]
    ]
    cards["status"] = [
        _status(
            int(row.deals),
            float(row.win_rate_shrunk),
            mean,
            float(row.revenue_closed),
            None if pd.isna(row.csat) else float(row.csat),
        )
        for row in cards.itertuples()
    ]
    return cards[list(SCORECARD_COLUMNS)]


def scorecard_evidence(card: Mapping[str, object]) -> list[str]:
    """Plain-English lines of one scorecard row, for Commitment/Capability explanations."""
    deals, wins = int(card["deals"]), int(card["wins"])  # type: ignore[call-overload]
    lines = [
        f"{card['quarter']}: {deals} deal{'s' if deals != 1 else ''} "
        f"({card['deals_sourced']} sourced, {card['deals_transacted']} transacted, "
        f"{card['deals_influenced']} influenced)",
        f"win rate {float(card['win_rate_shrunk']) * 100:.0f} % "  # type: ignore[arg-type]
        f"(shrunk from {wins} of {deals} deals)",
        f"revenue closed {float(card['revenue_closed']):,.0f}",  # type: ignore[arg-type]
    ]
    csat = card.get("csat")
    if csat is not None and not pd.isna(csat):  # type: ignore[call-overload]
        lines.append(f"CSAT {float(csat):.0f}")  # type: ignore[arg-type]
    lines.append(f"status {card['status']}")
    return lines


def top_performers(outcomes: pd.DataFrame, share: float = 0.2, minimum_deals: int = 1) -> list[str]:
    """The top ``share`` of partners by revenue closed (then wins): the Pareto 20 %.

    Only partners with at least ``minimum_deals`` outcomes are ranked.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share}")
    if outcomes.empty:
        return []
    frame = outcomes.assign(
        won_size=outcomes["deal_size"]
        .astype(float)
        .where(outcomes["won"].astype(bool), 0.0)
        .fillna(0.0)
    )
    totals = frame.groupby("partner_id").agg(
        revenue=("won_size", "sum"), wins=("won", "sum"), deals=("won", "size")
    )
    totals = totals[totals["deals"] >= minimum_deals]
    ranked = totals.sort_values(["revenue", "wins"], ascending=False)
    count = max(1, round(share * len(ranked)))
    return [str(pid) for pid in ranked.index[:count]]


def partner_quarters(store: Store, partner: PartnerProfile) -> list[dict[str, Any]]:
    """One partner's quarterly scorecard rows, oldest first, JSON-ready (NaN → ``None``).

    Win rates are shrunk toward the average of *all* outcomes, so the whole table is read.
    """
    cards = quarterly_scorecards(store.outcomes_frame(), [partner])
    mine = cards[cards["partner_id"] == partner.partner_id].sort_values("quarter")
    return [
        {
            key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items()
        }
        for row in mine.to_dict("records")
    ]
