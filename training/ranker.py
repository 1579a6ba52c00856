"""Training the learned ranker from partner-attached outcomes and seller feedback.

Each historical deal becomes a *group*: the engine's top candidates for it (the cold-start
ranking's retrieval, so the ranker learns to reorder what serving will put in front of it),
labelled won (2) ≻ lost (1) ≻ not attached (0). Each served recommendation a seller answered
becomes a group too: accepted (2) ≻ served without an answer (1) ≻ rejected (0). The ranker is
a logistic regression on the feature differences of every differently labelled pair in a group
(RankNet with a linear scorer, :mod:`matcher.engine.ranker` says why linear).

Leakage is what makes a ranker look brilliant offline and useless in production, so:

* the oldest half of the outcomes is *history* only: the engine's track record, the IPP
  histories and the partners' evidence are computed from it alone, and only deals closed after
  it become outcome groups (their own outcomes are never in their features);
* a feedback group's rejected or accepted partner has that very answer taken out of its
  evidence (leave one out);
* validation is time-ordered: the newest fifth of the groups, never trained on, decides
  whether the new version beats the hand weights (nDCG@10 of the labels in the group).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ndcg_score

from matcher.engine.evidence import (
    REJECTION_FEATURES,
    partner_evidence,
    served_counts,
    served_ranks,
)
from matcher.engine.recommender import RANKER_FEATURES, Recommender
from matcher.ipp.base import IppScorer
from matcher.ipp.registry import ModelRegistry
from matcher.schemas import Deal
from matcher.store import Store
from training.features import deal_of

log = logging.getLogger(__name__)

GROUP_DEPTH = 30  # candidates per deal: the ranker reorders the retrieval's top 30
HISTORY_SHARE = 0.5  # the oldest half of the outcomes is history, the rest training groups
VALIDATION_SHARE = 0.2  # the newest fifth of the groups is validation
MAX_OUTCOME_DEALS = 2_000  # the newest deals after the history (a group costs one ranking)
MAX_PAIRS_PER_GROUP = 60
REGULARISATION = 1.0  # LogisticRegression's C (the features are in 0–1 or log counts)


@dataclass(frozen=True)
class RankingGroup:
    """One deal's candidates, their feature rows and their graded labels."""

    key: str
    moment: date
    source: str  # "outcome" or "feedback"
    partner_ids: tuple[str, ...]
    features: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class RankerResult:
    """A fitted ranker with what it was trained on and how it validated."""

    model: LogisticRegression
    feature_names: tuple[str, ...]
    metrics: dict[str, Any]


def train_ranker(
    engine: Recommender,
    store: Store,
    scorer_for: Callable[[pd.DataFrame], IppScorer],
    progress: Callable[[int, int], None] | None = None,
    max_outcome_deals: int = MAX_OUTCOME_DEALS,
) -> RankerResult:
    """Build the groups from the store, fit on the older ones, validate on the newest.

    Args:
        engine: the serving engine over the store (its index and columns are reused; its
            history is replaced by the history window for outcome groups).
        scorer_for: the IPP scorer given an outcome history (the engine's IPP signal as of it).
        progress: ``(done, total)`` over the groups built.
    Raises:
        ValueError: too little history to form training and validation groups.
    """
    outcomes = store.outcomes_frame()
    feedback = store.feedback_frame()
    served = store.served_recommendations()
    history, later = split_history(outcomes)
    deals = _newest_deals(later, max_outcome_deals)
    answered = _answered(served, feedback)
    total = deals["deal_id"].nunique() + len(answered)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    past = engine_as_of(engine, history, scorer_for(history))
    groups = outcome_groups(past, deals, tick)
    current = copy.copy(engine)
    current.ranker = None
    current.evidence = partner_evidence(outcomes, feedback, served_counts(served_ranks(served)))
    groups += feedback_groups(current, answered, feedback, tick)
    return fit_ranker(groups, history_until=_last_day(history), outcomes_seen=len(outcomes))


def split_history(outcomes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The oldest :data:`HISTORY_SHARE` of the outcomes (by close date) and the deals after."""
    if outcomes.empty:
        return outcomes, outcomes
    closed = pd.to_datetime(outcomes["closed_on"])
    cutoff = closed.quantile(HISTORY_SHARE)
    return outcomes[closed < cutoff], outcomes[closed >= cutoff]


def engine_as_of(engine: Recommender, history: pd.DataFrame, scorer: IppScorer) -> Recommender:
    """The engine with only ``history`` on record: track record, IPP and evidence from it."""
    past = copy.copy(engine)
    won = history[history["won"].astype(bool) & history["industry"].notna()]
    past.industry_wins = {
        (str(partner_id), str(industry)): int(count)
        for (partner_id, industry), count in won.groupby(["partner_id", "industry"]).size().items()
    }
    past.scorer = scorer
    past.ranker = None
    empty = pd.DataFrame(columns=["kind", "partner_id", "reason", "created_at"])
    past.evidence = partner_evidence(history, empty, {})
    return past


def outcome_groups(
    engine: Recommender, outcomes: pd.DataFrame, tick: Callable[[], None]
) -> list[RankingGroup]:
    """One group per deal: its attached partners labelled won 2 / lost 1, the other retrieved
    candidates 0. A deal whose attached partners are not among the candidates is left out."""
    groups: list[RankingGroup] = []
    for deal_id, rows in outcomes.groupby("deal_id", sort=False):
        tick()
        labels = {str(r["partner_id"]): 2 if bool(r["won"]) else 1 for _, r in rows.iterrows()}
        deal = deal_of(rows.iloc[0].to_dict()).model_copy(update={"strict": False})
        group = _group(engine, deal, labels, 0, str(deal_id), _day(rows["closed_on"].max()))
        if group is not None and group.labels.max() > 0:
            groups.append(group)
    return groups


def feedback_groups(
    engine: Recommender,
    answered: Sequence[Mapping[str, Any]],
    feedback: pd.DataFrame,
    tick: Callable[[], None],
) -> list[RankingGroup]:
    """One group per answered recommendation: accepted 2, served 1, rejected 0, each answered
    partner's evidence without that answer."""
    groups: list[RankingGroup] = []
    by_recommendation = feedback.groupby("recommendation_id", sort=False)
    for record in answered:
        tick()
        try:
            deal = Deal.model_validate(record["request"])
        except ValidationError:
            continue
        events = by_recommendation.get_group(record["recommendation_id"])
        labels = {str(r["partner_id"]): 1 for r in record["results"]}
        held_out: list[tuple[str, str]] = []
        for _, event in events.iterrows():
            if event["kind"] == "accepted":
                labels[str(event["partner_id"])] = 2
                held_out.append((str(event["partner_id"]), "accepted"))
            elif event["kind"] == "rejected":
                labels[str(event["partner_id"])] = 0
                feature = REJECTION_FEATURES.get(str(event["reason"]), "rejected_other")
                held_out.append((str(event["partner_id"]), feature))
        group = _group(
            engine,
            deal.model_copy(update={"top_k": GROUP_DEPTH}),
            labels,
            None,
            str(record["recommendation_id"]),
            _day(record["created_at"]),
            held_out,
        )
        if group is not None and len(set(group.labels.tolist())) > 1:
            groups.append(group)
    return groups


def _group(
    engine: Recommender,
    deal: Deal,
    labels: Mapping[str, int],
    unlabelled: int | None,
    key: str,
    moment: date,
    held_out: Sequence[tuple[str, str]] = (),
) -> RankingGroup | None:
    """The candidates of ``deal`` with their features and labels (``unlabelled`` for a
    candidate not in ``labels``; ``None`` leaves such candidates out)."""
    candidates, _, _ = engine.rank(deal, top_k=GROUP_DEPTH)
    kept = [c for c in candidates if c.partner.partner_id in labels or unlabelled is not None]
    if len(kept) < 2:
        return None
    features = engine.ranking_features(kept)
    partner_ids = tuple(c.partner.partner_id for c in kept)
    if held_out and engine.evidence is not None:
        for partner_id, feature in held_out:
            if partner_id in partner_ids:
                row = partner_ids.index(partner_id)
                column = RANKER_FEATURES.index(feature)
                features[row, column] = engine.evidence.without_one(partner_id, feature)
    return RankingGroup(
        key=key,
        moment=moment,
        source="outcome" if unlabelled is not None else "feedback",
        partner_ids=partner_ids,
        features=features,
        labels=np.array([labels.get(p, unlabelled or 0) for p in partner_ids], dtype=np.float64),
    )


def fit_ranker(
    groups: Sequence[RankingGroup], history_until: date | None = None, outcomes_seen: int = 0
) -> RankerResult:
    """Validate on the newest :data:`VALIDATION_SHARE` of each source's groups (a model fitted
    on the older ones), then fit the version that serves on every group.

    Per source, because seller feedback arrives in bursts newer than most outcomes: a single
    time cut would validate on all of it and train on none.
    """
    training: list[RankingGroup] = []
    validation: list[RankingGroup] = []
    for source in ("outcome", "feedback"):
        ordered = sorted((g for g in groups if g.source == source), key=lambda g: (g.moment, g.key))
        cut = round(len(ordered) * (1 - VALIDATION_SHARE))
        training += ordered[:cut]
        validation += ordered[cut:]
    if not training or not validation:
        raise ValueError(
            f"{len(groups)} ranking groups are too few to train and validate the ranker: "
            "ingest more outcomes (deals whose attached partner the engine retrieves)"
        )
    held_out = _fit(training)[0].coef_[0]
    learned = _mean_ndcg(validation, lambda g: g.features @ held_out)
    # the groups' candidate order is the hand-weighted ranking's
    hand = _mean_ndcg(validation, lambda g: -np.arange(len(g.labels), dtype=np.float64))
    model, pairs = _fit(groups)
    moments = sorted(g.moment for g in validation)
    metrics = {
        "validation": {
            "groups": len(validation),
            "ndcg@10": {"learned": round(learned, 4), "hand_weights": round(hand, 4)},
            "beats_hand_weights": learned > hand,
            "from": moments[0].isoformat(),
            "to": moments[-1].isoformat(),
        },
        "data": {
            "outcomes_seen": outcomes_seen,
            "history_until": history_until.isoformat() if history_until else None,
            "training_groups": len(training),
            "outcome_groups": sum(1 for g in groups if g.source == "outcome"),
            "feedback_groups": sum(1 for g in groups if g.source == "feedback"),
            "pairs": pairs,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "coefficients": dict(
            zip(RANKER_FEATURES, np.round(model.coef_[0], 4).tolist(), strict=True)
        ),
    }
    return RankerResult(model, RANKER_FEATURES, metrics)


def _fit(groups: Sequence[RankingGroup]) -> tuple[LogisticRegression, int]:
    """The pairwise model fitted on ``groups``, and how many pairs it saw."""
    differences, targets = pair_differences(groups)
    model = LogisticRegression(C=REGULARISATION, fit_intercept=False, max_iter=2_000)
    return model.fit(differences, targets), len(targets) // 2


def pair_differences(
    groups: Sequence[RankingGroup], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences of differently labelled pairs (at most :data:`MAX_PAIRS_PER_GROUP`
    a group, sampled deterministically), each pair both ways round so the classes balance."""
    rng = np.random.default_rng(seed)
    rows: list[np.ndarray] = []
    for group in groups:
        higher, lower = np.nonzero(group.labels[:, None] > group.labels[None, :])
        if len(higher) > MAX_PAIRS_PER_GROUP:
            keep = rng.choice(len(higher), MAX_PAIRS_PER_GROUP, replace=False)
            higher, lower = higher[keep], lower[keep]
        rows.append(group.features[higher] - group.features[lower])
    width = len(RANKER_FEATURES)
    differences = np.vstack(rows) if rows else np.zeros((0, width))
    pairs = len(differences)
    return (
        np.vstack([differences, -differences]),
        np.concatenate([np.ones(pairs), np.zeros(pairs)]),
    )


def register_ranker(
    result: RankerResult,
    registry: ModelRegistry,
    promote: bool | None,
    store: Store | None = None,
) -> tuple[str, bool]:
    """Write a ranker version (model card included); promote it if told, or by default if it
    beats the hand weights on validation (with ``store``, logged for every serving process).
    Returns the version and whether it was promoted."""
    version = registry.write(
        result.model,
        feature_names=result.feature_names,
        schema_hash="ranker:" + ",".join(result.feature_names),
        priors=None,
        metrics=result.metrics,
        card=lambda name: model_card(result, name),
    )
    should = result.metrics["validation"]["beats_hand_weights"] if promote is None else promote
    if should:
        registry.promote(version, store)
    return version, bool(should)


def model_card(result: RankerResult, version: str) -> str:
    """The ranker's model card: data, validation, coefficients, intended use and limits."""
    validation, data = result.metrics["validation"], result.metrics["data"]
    ndcg = validation["ndcg@10"]
    lines = [
        f"# Learned ranker {version}",
        "",
        "Orders the candidates the engine retrieves for a deal (its top "
        f"{GROUP_DEPTH}); a linear score over the ranking signals, the partners' evidence "
        "(shrunk win rate, sample size, role-weighted wins, seller answers by reason) and "
        "recency. Shown to sellers as a match score, not a win probability.",
        "",
        "## Data",
        "",
        f"- {data['outcomes_seen']} outcomes; history (features only) until "
        f"{data['history_until']}, deals after it are groups",
        f"- {data['outcome_groups']} outcome groups (won 2 ≻ lost 1 ≻ not attached 0), "
        f"{data['feedback_groups']} feedback groups (accepted 2 ≻ served 1 ≻ rejected 0)",
        f"- {data['training_groups']} groups trained on, {data['pairs']} pairs",
        "",
        "## Validation (time-ordered: the newest groups, never trained on)",
        "",
        f"{validation['groups']} groups from {validation['from']} to {validation['to']}: "
        f"nDCG@10 {ndcg['learned']:.4f} learned vs {ndcg['hand_weights']:.4f} hand weights "
        f"({'beats' if validation['beats_hand_weights'] else 'does not beat'} them).",
        "",
        "## Coefficients (per unit of each feature)",
        "",
        "| feature | coefficient |",
        "|---|---|",
        *(f"| {name} | {value:+.4f} |" for name, value in result.metrics["coefficients"].items()),
        "",
        "## Limits",
        "",
        "- Labels are who was attached and who won, not who would have been best: a partner "
        "never attached to a kind of deal teaches nothing about it.",
        "- Profile fields are today's snapshot, not as of each deal.",
        "- Seller feedback is sparse; a partner's rejections count against it on every deal, "
        "not only on deals like the rejected one.",
        "",
    ]
    return "\n".join(lines)


def _mean_ndcg(
    groups: Sequence[RankingGroup], score: Callable[[RankingGroup], np.ndarray]
) -> float:
    values = [
        float(ndcg_score(g.labels[None, :], score(g)[None, :], k=10))
        for g in groups
        if len(g.labels) > 1
    ]
    return float(np.mean(values)) if values else 0.0


def _newest_deals(outcomes: pd.DataFrame, limit: int) -> pd.DataFrame:
    if outcomes.empty:
        return outcomes
    last_close = outcomes.groupby("deal_id")["closed_on"].max().sort_values()
    keep = set(last_close.index[-limit:])
    return outcomes[outcomes["deal_id"].isin(keep)]


def _answered(
    served: Sequence[Mapping[str, Any]], feedback: pd.DataFrame
) -> list[Mapping[str, Any]]:
    """The served recommendations some seller accepted or rejected partners of."""
    if feedback.empty:
        return []
    judged = feedback[feedback["kind"].isin(("accepted", "rejected"))]
    ids = set(judged["recommendation_id"].dropna().astype(str))
    return [record for record in served if record["recommendation_id"] in ids]


def _day(value: Any) -> date:
    moment = pd.Timestamp(value)
    return moment.date()


def _last_day(history: pd.DataFrame) -> date | None:
    return _day(history["closed_on"].max()) if len(history) else None
