"""What history says about each partner, as ranking features: outcomes and seller feedback.

The hand-weighted score counts raw industry wins; a learned ranker needs the evidence behind
them in a form that does not mislead on small samples: a win rate shrunk towards the
population's (two wins of two is not better than forty of sixty) with its sample size, wins
weighted by attribution role (a partner that *sourced* a deal did more than one that
*influenced* it), and how sellers answered when the partner was put in front of them — a
rejection's reason code says which signal was wrong (``wrong_expertise`` the expertise,
``no_capacity`` the capacity, ``wrong_region``/``no_language`` the reach).

The same function builds the evidence for serving (everything on record) and for training (only
what was on record before the deals trained on), so the learned ranker sees at serving time the
features it was trained on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matcher.ipp.history import shrunk_win_rate
from matcher.store import Store

# how much an attributed deal says about the partner, by its role (DOMAIN.md: sourced deals are
# the partner's own work, influenced ones are shared credit)
ROLE_WEIGHT: Mapping[str, float] = {"sourced": 1.0, "transacted": 0.7, "influenced": 0.4}
# rejections are shares of the times the partner was served, shrunk by this many servings
FEEDBACK_PRIOR = 5.0
# which signal a rejection's reason code says was wrong
REJECTION_FEATURES: Mapping[str, str] = {
    "wrong_expertise": "rejected_expertise",
    "no_capacity": "rejected_capacity",
    "wrong_region": "rejected_reach",
    "no_language": "rejected_reach",
    "conflict": "rejected_other",
    "too_expensive": "rejected_other",
    "other": "rejected_other",
}
EVIDENCE_FEATURES: tuple[str, ...] = (
    "win_rate",
    "outcomes",
    "role_wins",
    "accepted",
    *dict.fromkeys(REJECTION_FEATURES.values()),
)


@dataclass(frozen=True)
class PartnerEvidence:
    """Per partner, the evidence features (:data:`EVIDENCE_FEATURES`) as of one moment.

    A partner with no history gets the population's win rate and zeros elsewhere: no evidence
    is not bad evidence.
    """

    values: Mapping[str, tuple[float, ...]]
    population_win_rate: float
    # per partner, what its feedback shares are shares of (times served + the prior)
    denominators: Mapping[str, float] = field(default_factory=dict)

    def of(self, partner_ids: Iterable[str]) -> np.ndarray:
        """The features of these partners, one row each, in :data:`EVIDENCE_FEATURES` order."""
        default = (self.population_win_rate,) + (0.0,) * (len(EVIDENCE_FEATURES) - 1)
        rows = [self.values.get(partner_id, default) for partner_id in partner_ids]
        return np.array(rows, dtype=np.float64).reshape(-1, len(EVIDENCE_FEATURES))

    def without_one(self, partner_id: str, feature: str) -> float:
        """The partner's value of a feedback feature with one answer of that kind taken out
        (training a ranker on an answer whose own count is in its features would leak)."""
        row = self.values.get(partner_id)
        if row is None:
            return 0.0
        value = row[EVIDENCE_FEATURES.index(feature)]
        return max(0.0, value - 1.0 / self.denominators.get(partner_id, FEEDBACK_PRIOR))


def partner_evidence(
    outcomes: pd.DataFrame,
    feedback: pd.DataFrame,
    served: Mapping[str, int],
) -> PartnerEvidence:
    """The evidence from outcomes and feedback events (training passes only the history it
    may see, serving everything on record).

    Args:
        outcomes: the store's outcomes frame (``partner_id``, ``role``, ``won``, ``closed_on``).
        feedback: the store's feedback frame (``kind``, ``partner_id``, ``reason``, ``won``,
            ``created_at``); an outcome reported there (``won`` set) counts as an outcome
            closed when it was reported, unless the outcomes already hold that deal.
        served: how many served recommendations listed each partner (the denominator of the
            feedback shares).
    """
    outcomes = _with_reported(outcomes, feedback)
    won = outcomes["won"].astype(bool) if len(outcomes) else pd.Series(dtype=bool)
    population = float(won.mean()) if len(won) else 0.5
    per_partner: dict[str, dict[str, float]] = {}
    denominators: dict[str, float] = {}
    if len(outcomes):
        weight = outcomes["role"].map(ROLE_WEIGHT).fillna(0.5) * won
        grouped = (
            outcomes.assign(_won=won.astype(float), _weighted=weight)
            .groupby("partner_id", sort=False)
            .agg(deals=("_won", "size"), wins=("_won", "sum"), weighted=("_weighted", "sum"))
        )
        for partner_id, deals, wins, weighted in grouped.itertuples(name=None):
            per_partner[str(partner_id)] = {
                "win_rate": shrunk_win_rate(wins, deals, population),
                "outcomes": float(np.log1p(deals)),
                "role_wins": float(np.log1p(weighted)),
            }
    if len(feedback):
        judged = feedback[feedback["kind"].isin(("accepted", "rejected"))]
        counts = (
            judged.assign(
                feature=np.where(
                    judged["kind"] == "accepted",
                    "accepted",
                    judged["reason"].map(REJECTION_FEATURES).fillna("rejected_other"),
                )
            )
            .groupby(["partner_id", "feature"], sort=False)
            .size()
        )
        for (partner_id, feature), count in counts.items():
            times = max(served.get(str(partner_id), 0), int(count))
            denominators[str(partner_id)] = times + FEEDBACK_PRIOR
            row = per_partner.setdefault(
                str(partner_id), {"win_rate": population, "outcomes": 0.0, "role_wins": 0.0}
            )
            row[str(feature)] = count / (times + FEEDBACK_PRIOR)
    values = {
        partner_id: tuple(float(row.get(name, 0.0)) for name in EVIDENCE_FEATURES)
        for partner_id, row in per_partner.items()
    }
    return PartnerEvidence(values, population, denominators)


def evidence_from_store(
    store: Store, ranks: Iterable[tuple[str, int]] | None = None
) -> PartnerEvidence:
    """The evidence of every partner from the store's outcomes, feedback and served log
    (``ranks``: :meth:`Store.served_partner_ranks` when the caller has read them already)."""
    served = store.served_partner_ranks() if ranks is None else ranks
    return partner_evidence(store.outcomes_frame(), store.feedback_frame(), served_counts(served))


def served_counts(ranks: Iterable[tuple[str, int]]) -> Counter[str]:
    """How many served recommendations listed each partner, from their ``(partner_id, rank)``
    results (:meth:`Store.served_partner_ranks`, or :func:`served_ranks` of the records)."""
    return Counter(partner_id for partner_id, _ in ranks)


def served_ranks(records: Iterable[Mapping[str, object]]) -> Iterator[tuple[str, int]]:
    """``(partner_id, rank)`` of every result of the served recommendations (the exposure
    ledger starts from these)."""
    for record in records:
        results = record.get("results")
        if isinstance(results, list):
            for rank, result in enumerate(results, 1):
                if isinstance(result, Mapping):
                    yield str(result["partner_id"]), rank


def _with_reported(outcomes: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """The outcomes plus those reported as feedback events (the CRM closing a deal)."""
    if feedback.empty or "won" not in feedback:
        return outcomes
    reported = feedback[feedback["won"].notna()]
    if len(outcomes):
        known = set(zip(outcomes["deal_id"], outcomes["partner_id"], strict=True))
        reported = reported[
            [
                (deal, partner) not in known
                for deal, partner in zip(reported["deal_id"], reported["partner_id"], strict=True)
            ]
        ]
    if reported.empty:
        return outcomes
    extra = pd.DataFrame(
        {
            "deal_id": reported["deal_id"],
            "partner_id": reported["partner_id"],
            "role": None,
            "won": reported["won"].astype(bool),
            "closed_on": pd.to_datetime(reported["created_at"], utc=True).dt.date,
        }
    )
    return pd.concat([outcomes, extra], ignore_index=True) if len(outcomes) else extra
