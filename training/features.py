"""Training rows for the IPP model: one row per (deal, partner) outcome, features as of the close.

Leakage is the failure that makes a win-probability model look brilliant offline and useless in
production, so every history feature of a row is computed only from that partner's outcomes that
closed **strictly before** the row's close date, over the same 12-month window serving uses. The
partner's own 12-month performance fields (``deals_won_12m`` ...) are never read: they are a
snapshot taken after many of the deals closed. Profile fields (employees, certifications ...)
are a snapshot too; the model card says so.

Feature rows come from :func:`matcher.ipp.four_cs.model_features`, the function serving uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from matcher import taxonomy
from matcher.ipp import (
    FEATURE_NAMES,
    FOUR_CS,
    FourCsAssessor,
    MatrixConfig,
    PerformanceHistory,
    Priors,
    fit_priors,
    model_features,
    weighted_overall,
)
from matcher.schemas import Deal, Partner

HISTORY_WINDOW_DAYS = 365
REJECTED_WEIGHT = 0.25  # a seller's rejection is a weak negative, not a lost deal
OUTCOME_COLUMNS = (
    "deal_id",
    "partner_id",
    "role",
    "industry",
    "country",
    "segment",
    "deal_size",
    "won",
    "closed_on",
)


@dataclass(frozen=True)
class TrainingSet:
    """Feature matrix, labels and bookkeeping of the training rows, ordered by close date."""

    X: np.ndarray
    y: np.ndarray
    closed_on: np.ndarray
    deal_ids: np.ndarray
    partner_ids: np.ndarray
    four_cs: np.ndarray
    matrix_score: np.ndarray
    sample_weight: np.ndarray
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, mask: np.ndarray) -> TrainingSet:
        """The rows where ``mask`` holds (a boolean array), same ordering."""
        return TrainingSet(
            X=self.X[mask],
            y=self.y[mask],
            closed_on=self.closed_on[mask],
            deal_ids=self.deal_ids[mask],
            partner_ids=self.partner_ids[mask],
            four_cs=self.four_cs[mask],
            matrix_score=self.matrix_score[mask],
            sample_weight=self.sample_weight[mask],
            feature_names=self.feature_names,
        )


def histories_before_close(
    outcomes: pd.DataFrame, window_days: int = HISTORY_WINDOW_DAYS
) -> list[PerformanceHistory]:
    """For each outcome row (in order), the partner's history from deals closed strictly before.

    Only deals with ``closed_on`` in ``[close - window_days, close)`` count; another deal of the
    same partner closing the same day is *not* history. ``industry_deals`` holds the count in
    the row's own industry (all the model reads).
    """
    frame = outcomes.reset_index(drop=True)
    histories: list[PerformanceHistory | None] = [None] * len(frame)
    closed = pd.to_datetime(frame["closed_on"]).to_numpy(dtype="datetime64[D]")
    won = frame["won"].astype(bool).to_numpy()
    csat = (
        pd.to_numeric(frame.get("csat"), errors="coerce").to_numpy(dtype=float)
        if "csat" in frame
        else np.full(len(frame), np.nan)
    )
    industry = (
        frame["industry"].to_numpy(dtype=object)
        if "industry" in frame
        else np.full(len(frame), None)
    )
    window = np.timedelta64(window_days, "D")
    for _, index in frame.groupby("partner_id", sort=False).indices.items():
        order = index[np.argsort(closed[index], kind="stable")]
        dates = closed[order]
        cum_wins = np.concatenate([[0], np.cumsum(won[order])])
        has_csat = ~np.isnan(csat[order])
        cum_csat = np.concatenate([[0.0], np.cumsum(np.where(has_csat, csat[order], 0.0))])
        cum_csat_n = np.concatenate([[0], np.cumsum(has_csat)])
        starts = np.searchsorted(dates, dates - window, side="left")
        ends = np.searchsorted(dates, dates, side="left")
        industries = industry[order]
        for position, row in enumerate(order):
            lo, hi = starts[position], ends[position]
            deals = int(hi - lo)
            if deals == 0:
                histories[row] = PerformanceHistory()
                continue
            rated = int(cum_csat_n[hi] - cum_csat_n[lo])
            own = industries[position]
            in_industry = int(sum(1 for value in industries[lo:hi] if value == own)) if own else 0
            histories[row] = PerformanceHistory(
                deals=deals,
                wins=int(cum_wins[hi] - cum_wins[lo]),
                csat=float((cum_csat[hi] - cum_csat[lo]) / rated) if rated else None,
                industry_deals={own: in_industry} if own else {},
            )
    return histories  # type: ignore[return-value]


def deal_of(row: Mapping[str, Any]) -> Deal:
    """The recommendation request an outcome row stands for (industry, country, segment, size)."""

    def value(name: str) -> Any:
        item = row.get(name)
        return None if item is None or (isinstance(item, float) and np.isnan(item)) else item

    return Deal.model_construct(
        description=value("description") or "(deal)",
        industry=value("industry"),
        country=value("country"),
        segment=value("segment"),
        deal_size=value("deal_size"),
    )


def without_performance(partner: Partner) -> Partner:
    """The profile with the post-hoc 12-month performance fields removed (they would leak)."""
    return partner.model_copy(
        update={"deals_won_12m": None, "deals_lost_12m": None, "revenue_12m": None, "csat": None}
    )


def training_priors(
    partners: Mapping[str, Partner], outcomes: pd.DataFrame, config: MatrixConfig
) -> Priors:
    """Population priors from the profiles (no performance fields) and the outcomes' win rate."""
    priors = fit_priors((without_performance(p) for p in partners.values()), config)
    win_rate = float(outcomes["won"].astype(bool).mean()) if len(outcomes) else None
    return Priors(values=priors.values, win_rate=win_rate)


def build_training_set(
    outcomes: pd.DataFrame,
    partners: Mapping[str, Partner],
    config: MatrixConfig | None = None,
    priors: Priors | None = None,
    window_days: int = HISTORY_WINDOW_DAYS,
) -> TrainingSet:
    """Feature rows for every outcome whose partner is known, ordered by close date.

    Args:
        outcomes: ``Store.outcomes_frame()`` (optionally with ``sample_weight`` from feedback).
        partners: profiles by ``partner_id``; outcomes of unknown partners are dropped.
        priors: population priors (fit them on the training split only, to keep validation honest).
    """
    config = config or MatrixConfig.load()
    frame = outcomes[outcomes["partner_id"].isin(partners.keys())]
    frame = frame.sort_values("closed_on", kind="stable").reset_index(drop=True)
    assessor = FourCsAssessor(config, priors)
    histories = histories_before_close(frame, window_days)
    clean = {pid: without_performance(partner) for pid, partner in partners.items()}
    weights = {c: 1.0 for c in FOUR_CS}
    rows: list[list[float]] = []
    four_cs: list[list[float]] = []
    matrix_score: list[float] = []
    closed_dates = [_as_date(value) for value in frame["closed_on"]]
    for position, row in enumerate(frame.to_dict("records")):
        deal = deal_of(row)
        assessment = assessor.assess_detailed(
            clean[row["partner_id"]],
            deal,
            histories[position],
            reference_date=closed_dates[position],
        )
        rows.append(model_features(assessment, deal))
        scores = assessment.four_cs
        four_cs.append([getattr(scores, c) for c in FOUR_CS])
        matrix_score.append(weighted_overall(scores, weights) / 100.0)
    sample_weight = (
        frame["sample_weight"].fillna(1.0).to_numpy(dtype=float)
        if "sample_weight" in frame
        else np.ones(len(frame))
    )
    return TrainingSet(
        X=np.asarray(rows, dtype=float).reshape(len(frame), len(FEATURE_NAMES)),
        y=frame["won"].astype(bool).to_numpy(dtype=int),
        closed_on=np.asarray(closed_dates, dtype="datetime64[D]"),
        deal_ids=frame["deal_id"].astype(str).to_numpy(),
        partner_ids=frame["partner_id"].astype(str).to_numpy(),
        four_cs=np.asarray(four_cs, dtype=float).reshape(len(frame), len(FOUR_CS)),
        matrix_score=np.asarray(matrix_score, dtype=float),
        sample_weight=sample_weight,
    )


def _canonical(normalise: Any, value: Any) -> str | None:
    """A request's raw value ("Germany") in its canonical form ("DE"); ``None`` if unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return str(normalise(value))
    except ValueError:
        return None


def _missing(value: Any) -> bool:
    """``None`` or a pandas/NumPy NaN (how a frame spells a missing cell)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _as_date(value: Any) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def feedback_training_rows(
    events: pd.DataFrame,
    outcomes: pd.DataFrame | None = None,
    rejected_weight: float = REJECTED_WEIGHT,
    deals: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Turn feedback events into outcome-shaped training rows with a ``sample_weight``.

    * an ``outcome`` event (or any event with ``won`` set) is a labelled row, weight 1;
    * a ``rejected`` recommendation is a weak negative (weight ``rejected_weight``): the seller
      judged the partner wrong for the deal, which is evidence but not a lost deal;
    * an ``accepted`` recommendation without an outcome yet is pending and gives no row.
    The deal's context (industry, country, segment, deal_size) comes from the event payload
    (``payload["deal"]`` or the payload itself), else from ``deals`` (recommendation id → the
    deal request, where recommendations are logged). A rejection without a deal id is keyed by
    its recommendation (``rec:<id>``). A (deal, partner) pair already in the outcomes
    table is left to the outcome, the authoritative record; the latest event per pair wins.
    """
    columns = [*OUTCOME_COLUMNS, "sample_weight", "source"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    rows: list[dict[str, Any]] = []
    for raw in events.sort_values("created_at", kind="stable").to_dict("records"):
        event = {key: None if _missing(value) else value for key, value in raw.items()}
        kind = str(event.get("kind") or "").lower()
        won = event.get("won")
        recommendation = event.get("recommendation_id")
        deal_key = event.get("deal_id") or (f"rec:{recommendation}" if recommendation else None)
        if not deal_key or not event.get("partner_id"):
            continue
        if won is not None:
            label, weight = bool(won), 1.0
        elif kind == "rejected":
            label, weight = False, rejected_weight
        else:
            continue
        payload = event.get("payload") or {}
        deal = payload.get("deal", payload) if isinstance(payload, dict) else {}
        if not deal and deals is not None:
            deal = deals.get(str(recommendation), {})
        rows.append(
            {
                "deal_id": str(deal_key),
                "partner_id": str(event["partner_id"]),
                "role": deal.get("role", "influenced"),
                "industry": _canonical(taxonomy.normalise_industry, deal.get("industry")),
                "country": _canonical(taxonomy.normalise_country, deal.get("country")),
                "segment": _canonical(taxonomy.normalise_segment, deal.get("segment")),
                "deal_size": deal.get("deal_size"),
                "won": label,
                "closed_on": _as_date(event["created_at"]),
                "sample_weight": weight,
                "source": f"feedback:{kind or 'outcome'}",
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.drop_duplicates(["deal_id", "partner_id"], keep="last")
    if outcomes is not None and not outcomes.empty:
        known = set(
            zip(outcomes["deal_id"].astype(str), outcomes["partner_id"].astype(str), strict=True)
        )
        keep = [
            pair not in known for pair in zip(frame["deal_id"], frame["partner_id"], strict=True)
        ]
        frame = frame[keep]
    return frame.reset_index(drop=True)


def training_outcomes(
    outcomes: pd.DataFrame,
    events: pd.DataFrame | None = None,
    deals: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Outcomes plus the feedback rows, ready for :func:`build_training_set`.

    ``deals``: the logged deal request per recommendation id (``Store.served_requests()``).
    """
    base = outcomes.assign(sample_weight=1.0, source="outcomes")
    if events is None or events.empty:
        return base
    feedback = feedback_training_rows(events, outcomes, deals=deals)
    if feedback.empty:
        return base
    return pd.concat([base, feedback], ignore_index=True)
