"""Performance histories of partners, built from their outcomes.

Win rates are shrunk towards the population's so that two wins out of two does not outrank
forty out of sixty: the scorecard and the 4 Cs read the same figures from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from matcher.schemas import PartnerProfile


@dataclass(frozen=True, slots=True)
class PerformanceHistory:
    """A partner's closed deals over a window (12 months for serving; before close for training).

    ``industry_deals`` counts deals per industry id: the track record in a deal's industry.
    """

    deals: int = 0
    wins: int = 0
    csat: float | None = None
    industry_deals: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_partner(cls, partner: PartnerProfile) -> PerformanceHistory | None:
        """History from the partner's own 12-month fields; ``None`` when they are unknown."""
        won = getattr(partner, "deals_won_12m", None)
        lost = getattr(partner, "deals_lost_12m", None)
        csat = getattr(partner, "csat", None)
        if won is None and lost is None:
            return None if csat is None else cls(csat=csat)
        return cls(deals=(won or 0) + (lost or 0), wins=won or 0, csat=csat)


@dataclass(frozen=True)
class Priors:
    """Population means used for unknown values: per criterion key (0–1) and the win rate."""

    values: Mapping[str, float] = field(default_factory=dict)
    win_rate: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (saved beside a trained model)."""
        return {"values": dict(self.values), "win_rate": self.win_rate}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Priors:
        """Inverse of :meth:`as_dict`."""
        return cls(values=dict(raw.get("values", {})), win_rate=raw.get("win_rate"))


def shrunk_win_rate(wins: float, deals: float, mean: float, strength: float = 10.0) -> float:
    """Beta-prior (empirical Bayes) win rate: (wins + k·mean) / (deals + k)."""
    return (wins + strength * mean) / (deals + strength)


def histories_as_of(
    outcomes: pd.DataFrame, as_of: date | None = None, window_days: int = 365
) -> dict[str, PerformanceHistory]:
    """Each partner's deals closed in the window before ``as_of`` (default: the newest outcome).

    Only deals closed strictly before ``as_of`` count, the same rule training uses.
    """
    if outcomes.empty:
        return {}
    closed = pd.to_datetime(outcomes["closed_on"])
    end = pd.Timestamp(as_of) if as_of is not None else closed.max() + pd.Timedelta(days=1)
    window = outcomes[(closed < end) & (closed >= end - pd.Timedelta(days=window_days))]
    # whole-frame aggregations, not a Python loop per partner group: at a million outcomes
    # the per-group loop took minutes of a server's start-up
    per_partner = window.groupby("partner_id", sort=False).agg(
        deals=("won", "size"), wins=("won", "sum"), csat=("csat", "mean")
    )
    by_industry: dict[str, dict[str, int]] = {}
    counts = window.dropna(subset=["industry"]).groupby(["partner_id", "industry"]).size()
    for (partner_id, industry), count in counts.items():
        by_industry.setdefault(str(partner_id), {})[str(industry)] = int(count)
    no_industries: dict[str, int] = {}
    return {
        str(partner_id): PerformanceHistory(
            deals=int(deals),
            wins=int(wins),
            csat=None if pd.isna(csat) else float(csat),
            industry_deals=by_industry.get(str(partner_id), no_industries),
        )
        for partner_id, deals, wins, csat in per_partner.itertuples(name=None)
    }
