"""Full partner profiles for the engine, read from the store only for the partners it shows.

Ranking needs a few columns of every partner (facet bitmaps, capacity, specialisms: held by the
engine), but the whole profile only of the twenty-odd it scores with the IPP and explains. Holding
every profile as an object cost ~5 KB a partner — 5 GB at a million — so profiles are read from
the store by row id when needed and the most recently used are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from matcher.schemas import Partner
from matcher.store import Store

DEFAULT_CAPACITY = 20_000


class ProfileCache:
    """Partner profiles by store row id: an LRU of ``capacity`` profiles over the store.

    The engine calls :meth:`put` / :meth:`forget` on live writes, so a cached profile is never
    older than the engine's other state. Safe to use from concurrent requests.
    """

    def __init__(self, store: Store, capacity: int = DEFAULT_CAPACITY) -> None:
        self.store = store
        self.capacity = capacity
        self._cached: OrderedDict[int, Partner] = OrderedDict()
        self._lock = threading.Lock()

    def many(self, row_ids: Sequence[int]) -> dict[int, Partner]:
        """The profiles of ``row_ids`` (one store query for the ones not cached); a row the
        store no longer holds (deleted, the engine not yet told) is left out."""
        with self._lock:
            found = {row_id: self._cached[row_id] for row_id in row_ids if row_id in self._cached}
            for row_id in found:
                self._cached.move_to_end(row_id)
        missing = [row_id for row_id in row_ids if row_id not in found]
        if missing:
            loaded = self.store.get_partners_by_row(missing)
            found.update(loaded)
            with self._lock:
                for row_id, partner in loaded.items():
                    self._remember(row_id, partner)
        return found

    def get(self, row_id: int) -> Partner | None:
        """One profile, or ``None`` if the store does not hold the row."""
        return self.many([row_id]).get(row_id)

    def put(self, row_id: int, partner: Partner) -> None:
        """Record a profile just written (a live upsert)."""
        with self._lock:
            self._remember(row_id, partner)

    def forget(self, row_id: int) -> None:
        """Drop a profile (a live delete)."""
        with self._lock:
            self._cached.pop(row_id, None)

    def _remember(self, row_id: int, partner: Partner) -> None:
        self._cached[row_id] = partner
        self._cached.move_to_end(row_id)
        while len(self._cached) > self.capacity:
            self._cached.popitem(last=False)
