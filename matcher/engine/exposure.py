"""Fair exposure: who is shown how often, and near-ties that rotate instead of always going to
the same partner.

Sellers' most common complaint is that the same few partners get every deal. Part of that is
real (they fit), part is an artefact: two partners a hair apart in score are as good a fit as
each other, yet a fixed order (score, then partner id) hands the same one every slot. Here a
*near-tie* is a run of results within ``tolerance`` of the best score of the run; inside it the
partner that has had the least attention so far comes first, so repeated deals share the top
slots. Attention is position-discounted, as a seller's is (1 for #1, 1/log2(rank + 1) below:
"equity of attention", Biega et al. 2018): a partner always shown second next to a partner
always shown first has had less, and takes first place next time. The order is still a
function of the deal and the ledger (ties in exposure break by a hash of the deal and the
partner), so the same state gives the same answer.

Exposure is counted over the top :data:`EXPOSURE_SLOTS` of every served answer. The served
answers are persisted by the audit log, from which a loaded engine starts its ledger.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

EXPOSURE_SLOTS = 5
TOP_SHARE = 0.05  # concentration: the slots taken by the most-exposed 5 % of partners
T = TypeVar("T")
# the attention a seller gives rank r (1-based) of an answer
ATTENTION = {rank: 1.0 / float(np.log2(rank + 1)) for rank in range(1, EXPOSURE_SLOTS + 1)}


class ExposureLedger:
    """Top-slot counts and attention per partner, shared by one engine's requests (thread-safe).

    Started from the audit log's served answers (their ranks), it goes on from there.
    """

    def __init__(self, ranks: Iterable[tuple[str, int]] = ()) -> None:
        self._slots: Counter[str] = Counter()
        self._attention: dict[str, float] = {}
        self._lock = threading.Lock()
        for partner_id, rank in ranks:
            self._add(partner_id, rank)

    def _add(self, partner_id: str, rank: int) -> None:
        if rank <= EXPOSURE_SLOTS:
            self._slots[partner_id] += 1
            self._attention[partner_id] = self._attention.get(partner_id, 0.0) + ATTENTION[rank]

    def record(self, partner_ids: Sequence[str]) -> None:
        """Count one served answer (best first)."""
        with self._lock:
            for rank, partner_id in enumerate(partner_ids[:EXPOSURE_SLOTS], 1):
                self._add(partner_id, rank)

    def attention(self, partner_id: str) -> float:
        """The position-discounted attention ``partner_id`` has had."""
        return self._attention.get(partner_id, 0.0)

    def count(self, partner_id: str) -> int:
        """How many top slots ``partner_id`` has taken."""
        return self._slots.get(partner_id, 0)

    def snapshot(self) -> Counter[str]:
        """A copy of the top-slot counts (for reports and metrics)."""
        with self._lock:
            return Counter(self._slots)


def rotate_near_ties(
    ranked: Sequence[T],
    scores: Sequence[float],
    partner_ids: Sequence[str],
    tolerance: float,
    ledger: ExposureLedger,
    deal_key: str,
) -> tuple[list[T], list[int]]:
    """``ranked`` (best first, with its ``scores``) with each near-tie run reordered: least
    attended first, then by a hash of ``deal_key`` and the partner; and, per item, the number
    of its run (neighbours with the same number are level). ``tolerance <= 0`` keeps the order
    (every item its own run)."""
    if tolerance <= 0 or len(ranked) < 2:
        return list(ranked), list(range(len(ranked)))
    result: list[T] = []
    runs: list[int] = []
    start = 0
    while start < len(ranked):
        end = start + 1
        while end < len(ranked) and scores[start] - scores[end] <= tolerance:
            end += 1
        run = list(range(start, end))
        run.sort(key=lambda i: (ledger.attention(partner_ids[i]), _hash(deal_key, partner_ids[i])))
        result.extend(ranked[i] for i in run)
        runs.extend([start] * len(run))
        start = end
    return result, runs


def _hash(deal_key: str, partner_id: str) -> str:
    return hashlib.blake2b(f"{deal_key}\0{partner_id}".encode(), digest_size=8).hexdigest()


def concentration(counts: Mapping[str, int], partners: int) -> dict[str, float]:
    """How concentrated the exposure is over ``partners`` partners: the share of all top
    slots taken by the most-exposed :data:`TOP_SHARE` of them, and the Gini coefficient of the
    slots per partner (0: everyone equally often; 1: one partner takes everything)."""
    slots = np.zeros(max(partners, len(counts)), dtype=np.float64)
    slots[: len(counts)] = sorted(counts.values(), reverse=True)
    total = float(slots.sum())
    if total == 0:
        return {"top_share": 0.0, "gini": 0.0, "slots": 0.0}
    top = max(1, round(len(slots) * TOP_SHARE))
    ascending = np.sort(slots)
    n = len(ascending)
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ ascending / (n * total))
    return {
        "top_share": round(float(slots[:top].sum()) / total, 4),
        "gini": round(gini, 4),
        "slots": total,
    }
