"""A deal's hard constraints compiled into a bitmap over store row ids, with the funnel counts.

The columns are built once, in memory, when the engine loads (one packed bitmap per facet value,
indexed by row id), so a request does bitwise ANDs over a few kilobytes instead of SQL scans.
The resulting bitmap is exactly what FAISS's ``IDSelectorBitmap`` takes, so the vector search
itself is restricted (DESIGN.md 3.3, section 4).

Constraint order, and the funnel keys: ``total`` → ``at_capacity`` → ``country`` (served) →
``languages`` (all) → ``certifications`` (all, by normalised key) → ``partner_types`` (any). An
empty answer then says which constraint emptied it.

``at_capacity`` is the one key that counts partners *removed*, not left: those with no room for
a project (``active_projects`` ≥ ``max_projects``, both known and ``max_projects`` > 0) or
paused (``paused_until`` after today). They are left out of every deal, strict or not, unless it
sets ``include_at_capacity`` (then the count is 0); the other counts are taken after them. A
pause is kept per row as a day number and compared with today's when a deal is compiled, so it
expires on its date without a rebuild.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from matcher import taxonomy
from matcher.schemas import Deal, PartnerProfile

FUNNEL_KEYS: tuple[str, ...] = (
    "total",
    "at_capacity",
    "country",
    "languages",
    "certifications",
    "partner_types",
)
_FACETS: tuple[str, ...] = ("country", "language", "certification", "partner_type")
_GROWTH = 1.5


def _facet_values(profile: PartnerProfile, today: date) -> list[tuple[str, str]]:
    """The distinct (facet, value) pairs a partner has; ``known`` names the list fields it
    filled in, so that a ranking signal can tell "not this industry" from "industries unknown"."""
    filled = {
        "countries": profile.countries,
        "industries": profile.industries,
        "segments": profile.segments,
    }
    pairs = [
        *(("country", value) for value in profile.countries),
        *(("language", value) for value in profile.languages),
        *{
            ("certification", certification.key)
            for certification in profile.certifications
            if certification.valid_on(today)
        },
        ("partner_type", profile.partner_type),
        *(("industry", value) for value in profile.industries),
        *(("segment", value) for value in profile.segments),
        *(("known", name) for name, values in filled.items() if values),
    ]
    return list(dict.fromkeys(pairs))


def _headroom(profile: PartnerProfile) -> float:
    """Share of project capacity still free (0–1), NaN when unknown."""
    if profile.active_projects is None or not profile.max_projects:
        return math.nan
    return min(1.0, max(0.0, 1.0 - profile.active_projects / profile.max_projects))


def at_capacity(profile: PartnerProfile) -> bool:
    """Whether every project slot is taken (unknown counts, or no maximum, are not full)."""
    active, most = profile.active_projects, profile.max_projects
    return active is not None and most is not None and most > 0 and active >= most


def _paused_day(profile: PartnerProfile) -> int:
    """The day number (``date.toordinal``) the partner's pause ends, 0 when not paused."""
    return profile.paused_until.toordinal() if profile.paused_until is not None else 0


@dataclass(frozen=True)
class FilterResult:
    """Which rows a deal allows (packed bitmap over row ids) and the funnel that led there."""

    allowed: np.ndarray
    funnel: dict[str, int]
    emptied_by: str | None

    @property
    def count(self) -> int:
        """How many rows are allowed."""
        return int(np.bitwise_count(self.allowed).sum())

    def allowed_rows(self) -> np.ndarray:
        """The allowed row ids, ascending."""
        return np.flatnonzero(np.unpackbits(self.allowed, bitorder="little")).astype(np.int64)


class PartnerColumns:
    """Per facet value, a packed bitmap of the partners having it; upsert/remove one row live.

    Bit ``i`` of a bitmap is row id ``i`` (little bit order, as ``np.packbits(...,
    bitorder="little")``), the layout of ``faiss.IDSelectorBitmap``. The same bitmaps answer
    the ranking's per-candidate questions ("serves this industry?") for a whole candidate set
    in one vectorised lookup (:meth:`has_any`, :meth:`count_of`), and ``headroom`` holds each
    row's free project capacity. ``full`` is the bitmap of rows at capacity and ``paused_day``
    each row's pause end as a day number (0: not paused), so availability is worked out per
    day (:meth:`unavailable`).
    """

    def __init__(self, capacity_rows: int = 1024) -> None:
        self._bytes = max(1, (capacity_rows + 7) // 8)
        self.alive = np.zeros(self._bytes, dtype=np.uint8)
        self.full = np.zeros(self._bytes, dtype=np.uint8)
        self.headroom = np.full(self._bytes * 8, np.nan, dtype=np.float32)
        self.paused_day = np.zeros(self._bytes * 8, dtype=np.int32)
        # (day number, generation) → the unavailable bitmap; a write bumps the generation
        self._generation = 0
        self._unavailable: tuple[int, int, np.ndarray] | None = None
        self._bitmaps: dict[tuple[str, str], np.ndarray] = {}
        self.row_of: dict[str, int] = {}
        self.partner_of: dict[int, str] = {}
        # a name per certification key, for "closest known" hints (a few hundred, not per row)
        self.certification_names: dict[str, str] = {}
        # (day after expiry, row, key) of held certifications that will lapse: a day-ordered
        # heap, so a certification stops counting the day after it expires without a rebuild
        self._expiries: list[tuple[int, int, str]] = []
        # per row, the current lapse day of each held key (a write replaces the row's entry)
        self._lapses: dict[int, dict[str, int]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, PartnerProfile]]) -> PartnerColumns:
        """Columns over these (row id, profile) pairs, read in one streaming pass."""
        columns = cls()
        members: dict[tuple[str, str], list[int]] = {}
        headroom: dict[int, float] = {}
        full: list[int] = []
        paused: dict[int, int] = {}
        today = date.today()
        for row_id, profile in rows:
            for key in _facet_values(profile, today):
                members.setdefault(key, []).append(row_id)
            columns._name_certifications(profile)
            columns._remember_expiries(row_id, profile, today)
            columns.row_of[profile.partner_id] = row_id
            columns.partner_of[row_id] = profile.partner_id
            headroom[row_id] = _headroom(profile)
            if at_capacity(profile):
                full.append(row_id)
            if profile.paused_until is not None:
                paused[row_id] = _paused_day(profile)
        columns._ensure(max(headroom, default=0))
        columns.headroom[list(headroom)] = list(headroom.values())
        columns.paused_day[list(paused)] = list(paused.values())
        # one packbits per facet value, not one bit set per row and value
        columns.alive = columns._packed(list(headroom))
        columns.full = columns._packed(full)
        for key, members_of in members.items():
            columns._bitmaps[key] = columns._packed(members_of)
        return columns

    def parts(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The columns as flat arrays and a JSON-able rest, for an engine snapshot (read back
        by :meth:`from_parts`); one matrix holds every facet value's bitmap."""
        keys = list(self._bitmaps)
        lapses = [
            (day, row, key) for row, held in self._lapses.items() for key, day in held.items()
        ]
        expiry_keys = sorted({key for _, _, key in lapses})
        slot = {key: i for i, key in enumerate(expiry_keys)}
        arrays: dict[str, np.ndarray] = {
            "alive": self.alive,
            "full": self.full,
            "headroom": self.headroom,
            "paused_day": self.paused_day,
            "bitmaps": np.stack([self._bitmaps[key] for key in keys])
            if keys
            else np.zeros((0, self._bytes), dtype=np.uint8),
            "partner_rows": np.fromiter(
                self.partner_of, dtype=np.int64, count=len(self.partner_of)
            ),
            "lapse_day": np.array([day for day, _, _ in lapses], dtype=np.int64),
            "lapse_row": np.array([row for _, row, _ in lapses], dtype=np.int64),
            "lapse_key": np.array([slot[key] for _, _, key in lapses], dtype=np.int64),
        }
        rest: dict[str, Any] = {
            "keys": [list(key) for key in keys],
            "partner_ids": list(self.partner_of.values()),
            "certification_names": self.certification_names,
            "expiry_keys": expiry_keys,
        }
        return arrays, rest

    @classmethod
    def from_parts(
        cls, arrays: Mapping[str, np.ndarray], rest: Mapping[str, Any]
    ) -> PartnerColumns:
        """The columns :meth:`parts` described. The arrays are used as they are (a snapshot's
        copy-on-write maps: pages are read when touched and shared until written)."""
        columns = cls()
        columns.alive, columns.full = arrays["alive"], arrays["full"]
        columns.headroom, columns.paused_day = arrays["headroom"], arrays["paused_day"]
        columns._bytes = len(columns.alive)
        bitmaps = arrays["bitmaps"]
        columns._bitmaps = {
            (facet, value): bitmaps[i] for i, (facet, value) in enumerate(rest["keys"])
        }
        rows = arrays["partner_rows"].tolist()
        columns.partner_of = dict(zip(rows, rest["partner_ids"], strict=True))
        columns.row_of = dict(zip(rest["partner_ids"], rows, strict=True))
        columns.certification_names = dict(rest["certification_names"])
        keys = rest["expiry_keys"]
        for day, row, key in zip(
            arrays["lapse_day"].tolist(),
            arrays["lapse_row"].tolist(),
            arrays["lapse_key"].tolist(),
            strict=True,
        ):
            columns._lapses.setdefault(row, {})[keys[key]] = day
            columns._expiries.append((day, row, keys[key]))
        heapq.heapify(columns._expiries)
        return columns

    def _name_certifications(self, profile: PartnerProfile) -> None:
        for certification in profile.certifications:
            self.certification_names.setdefault(certification.key, certification.name)

    def _remember_expiries(self, row_id: int, profile: PartnerProfile, today: date) -> None:
        for certification in profile.certifications:
            if certification.expires_on is not None and certification.valid_on(today):
                lapse = certification.expires_on.toordinal() + 1
                heapq.heappush(self._expiries, (lapse, row_id, certification.key))
                self._lapses.setdefault(row_id, {})[certification.key] = lapse

    def expire_certifications(self, today: date | None = None) -> None:
        """Clear the bits of certifications that have lapsed by ``today`` (cheap when none
        has: one comparison). A partner re-upserted since keeps only what it now holds."""
        day = (today or date.today()).toordinal()
        while self._expiries and self._expiries[0][0] <= day:
            lapse, row_id, key = heapq.heappop(self._expiries)
            lapses = self._lapses.get(row_id, {})
            if lapses.get(key) != lapse:
                continue  # renewed, dropped or the partner replaced since
            del lapses[key]
            if not lapses:
                del self._lapses[row_id]
            bitmap = self._bitmaps.get(("certification", key))
            if bitmap is not None and row_id in self.partner_of:
                self._set(bitmap, row_id, False)

    def unknown_certifications(self, deal: Deal) -> dict[str, list[str]]:
        """The deal's certifications no live partner holds, each with the closest names
        partners do hold: a made-up or misspelt name must not silently empty the pool."""
        unknown: dict[str, list[str]] = {}
        for name, key in zip(deal.certifications, deal.certification_keys, strict=True):
            bitmap = self._bitmaps.get(("certification", key))
            if bitmap is None or not (bitmap & self.alive).any():
                held = [
                    known
                    for held_key, known in self.certification_names.items()
                    if held_key != key and ("certification", held_key) in self._bitmaps
                ]
                unknown[name] = taxonomy.closest(name, held)
        return unknown

    def _packed(self, row_ids: list[int]) -> np.ndarray:
        mask = np.zeros(self._bytes * 8, dtype=bool)
        mask[row_ids] = True
        return np.packbits(mask, bitorder="little")

    def __len__(self) -> int:
        return _count(self.alive)

    def _ensure(self, row_id: int) -> None:
        needed = row_id // 8 + 1
        if needed <= self._bytes:
            return
        size = max(needed, int(self._bytes * _GROWTH) + 1)
        pad = size - self._bytes
        self.alive = np.concatenate([self.alive, np.zeros(pad, dtype=np.uint8)])
        self.full = np.concatenate([self.full, np.zeros(pad, dtype=np.uint8)])
        self.paused_day = np.concatenate([self.paused_day, np.zeros(pad * 8, np.int32)])
        for key, bitmap in self._bitmaps.items():
            self._bitmaps[key] = np.concatenate([bitmap, np.zeros(pad, dtype=np.uint8)])
        self.headroom = np.concatenate([self.headroom, np.full(pad * 8, np.nan, np.float32)])
        self._bytes = size

    @staticmethod
    def _set(bitmap: np.ndarray, row_id: int, on: bool) -> None:
        byte, bit = divmod(row_id, 8)
        if on:
            bitmap[byte] |= np.uint8(1 << bit)
        else:
            bitmap[byte] &= np.uint8(~(1 << bit) & 0xFF)

    def upsert(self, row_id: int, profile: PartnerProfile) -> None:
        """Record (or replace) one partner's facet values."""
        self.remove(row_id)
        self._ensure(row_id)
        today = date.today()
        for key in _facet_values(profile, today):
            if key not in self._bitmaps:
                self._bitmaps[key] = np.zeros(self._bytes, dtype=np.uint8)
            self._set(self._bitmaps[key], row_id, True)
        self._set(self.alive, row_id, True)
        self._set(self.full, row_id, at_capacity(profile))
        self.paused_day[row_id] = _paused_day(profile)
        self._generation += 1
        self._name_certifications(profile)
        self._lapses.pop(row_id, None)  # its old certifications' lapses no longer apply
        self._remember_expiries(row_id, profile, today)
        self.headroom[row_id] = _headroom(profile)
        self.row_of[profile.partner_id] = row_id
        self.partner_of[row_id] = profile.partner_id

    def remove(self, row_id: int) -> None:
        """Forget one partner: it passes no filter from now on.

        Its bit is cleared in every bitmap (a few hundred byte operations) rather than keeping
        each row's facet values: at a million partners those would cost more memory than the
        bitmaps themselves.
        """
        partner_id = self.partner_of.pop(row_id, None)
        if partner_id is None:
            return
        byte, keep = row_id // 8, np.uint8(~(1 << (row_id % 8)) & 0xFF)
        for bitmap in self._bitmaps.values():
            bitmap[byte] &= keep
        self.alive[byte] &= keep
        self.full[byte] &= keep
        self.paused_day[row_id] = 0
        self._generation += 1
        self.headroom[row_id] = np.nan
        if self.row_of.get(partner_id) == row_id:
            del self.row_of[partner_id]

    def count_of(self, facet: str, values: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """Per row of ``rows``, how many of ``values`` it has for ``facet`` (vectorised)."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = np.zeros(len(rows), dtype=np.int64)
        byte, shift = rows >> 3, (rows & 7).astype(np.uint8)
        for value in dict.fromkeys(values):
            bitmap = self._bitmaps.get((facet, value))
            if bitmap is not None:
                counts += (bitmap[byte] >> shift) & 1
        return counts

    def has_any(self, facet: str, values: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """Per row of ``rows``, whether it has any of ``values`` for ``facet``."""
        return self.count_of(facet, values, rows) > 0

    def _any_of(self, facet: str, values: Iterable[str]) -> np.ndarray:
        union = np.zeros(self._bytes, dtype=np.uint8)
        for value in values:
            bitmap = self._bitmaps.get((facet, value))
            if bitmap is not None:
                union |= bitmap
        return union

    def _all_of(self, facet: str, values: Iterable[str], start: np.ndarray) -> np.ndarray:
        allowed = start.copy()
        for value in values:
            bitmap = self._bitmaps.get((facet, value))
            if bitmap is None:
                return np.zeros_like(allowed)
            allowed &= bitmap
        return allowed

    def unavailable(self, today: date | None = None) -> np.ndarray:
        """The live rows that cannot take a project ``today`` (default: the current date): at
        capacity, or paused until a later day. Cached per day until the next write."""
        day = (today or date.today()).toordinal()
        cached = self._unavailable
        if cached is not None and cached[0] == day and cached[1] == self._generation:
            return cached[2]
        paused = np.packbits(self.paused_day > day, bitorder="little")
        unavailable = (self.full | paused) & self.alive
        self._unavailable = (day, self._generation, unavailable)
        return unavailable

    def _constrained(self, deal: Deal, start: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
        """``start`` narrowed by each hard constraint in turn, and the count after each."""
        current = start.copy()
        counts: dict[str, int] = {}
        if deal.country:
            current &= self._any_of("country", [deal.country])
        counts["country"] = _count(current)
        current = self._all_of("language", deal.languages, current)
        counts["languages"] = _count(current)
        current = self._all_of("certification", deal.certification_keys, current)
        counts["certifications"] = _count(current)
        if deal.partner_types:
            current &= self._any_of("partner_type", deal.partner_types)
        counts["partner_types"] = _count(current)
        return current, counts

    def compile(
        self, deal: Deal, apply_constraints: bool | None = None, today: date | None = None
    ) -> FilterResult:
        """The rows the deal allows, and how many survived each constraint in turn.

        Partners at capacity or paused on ``today`` (default: the current date) are left out
        first, strict or not, unless ``deal.include_at_capacity``; ``at_capacity`` counts them.
        With ``strict`` (or ``apply_constraints=True``) the constraints then restrict
        ``allowed``; otherwise ``allowed`` is every available partner bar the excluded ones and
        the funnel tells how many *would* pass. Exclusions never count in the funnel.

        ``emptied_by`` names what left nobody: ``at_capacity`` when the pool is empty only
        because of capacity (every partner is unavailable, or partners meeting every constraint
        exist but none is available), else the first constraint whose count fell to 0 (strict
        deals only: otherwise the constraints restrict nothing).
        """
        self.expire_certifications(today)
        strict = deal.strict if apply_constraints is None else apply_constraints
        total = _count(self.alive)
        available = self.alive.copy()
        if not deal.include_at_capacity:
            available &= ~self.unavailable(today)
        current, counts = self._constrained(deal, available)
        funnel = {"total": total, "at_capacity": total - _count(available), **counts}
        emptied_by: str | None = None
        if total > 0 and funnel["at_capacity"] == total:
            emptied_by = "at_capacity"
        elif strict and total > 0 and counts["partner_types"] == 0:
            emptied_by = next(name for name, count in counts.items() if count == 0)
            if funnel["at_capacity"] and _count(self._constrained(deal, self.alive)[0]):
                emptied_by = "at_capacity"
        allowed = current if strict else available
        for partner_id in deal.exclude:
            row_id = self.row_of.get(partner_id)
            if row_id is not None:
                self._set(allowed, row_id, False)
        return FilterResult(allowed=allowed, funnel=funnel, emptied_by=emptied_by)

    def row_ids(self, packed: np.ndarray) -> np.ndarray:
        """The row ids set in a packed bitmap."""
        return np.flatnonzero(np.unpackbits(packed, bitorder="little")).astype(np.int64)


def _count(packed: np.ndarray) -> int:
    return int(np.bitwise_count(packed).sum())


@dataclass(frozen=True)
class Coverage:
    """How much of a deal's constraints one partner meets: soft features and evidence.

    Fractions are ``None`` when the deal asks nothing of that kind.
    """

    languages: list[str]
    certifications: list[str]
    country_served: bool | None
    partner_type_match: bool | None
    language_share: float | None
    certification_share: float | None


def coverage(deal: Deal, profile: PartnerProfile) -> Coverage:
    """Which of the deal's languages, certifications, country and partner types a partner meets."""
    languages = [code for code in deal.languages if code in profile.languages]
    today = date.today()
    partner_keys = {
        certification.key: certification.name
        for certification in profile.certifications
        if certification.valid_on(today)
    }
    wanted = list(dict.fromkeys(deal.certification_keys))
    certifications = [partner_keys[key] for key in wanted if key in partner_keys]
    return Coverage(
        languages=languages,
        certifications=certifications,
        country_served=(deal.country in profile.countries) if deal.country else None,
        partner_type_match=(profile.partner_type in deal.partner_types)
        if deal.partner_types
        else None,
        language_share=len(languages) / len(deal.languages) if deal.languages else None,
        certification_share=len(certifications) / len(wanted) if wanted else None,
    )


def violations(deal: Deal, profile: PartnerProfile) -> list[str]:
    """The hard constraints a partner breaks (empty when it may be recommended under strict)."""
    broken = []
    found = coverage(deal, profile)
    if found.country_served is False:
        broken.append("country")
    if found.language_share is not None and found.language_share < 1:
        broken.append("languages")
    if found.certification_share is not None and found.certification_share < 1:
        broken.append("certifications")
    if found.partner_type_match is False:
        broken.append("partner_types")
    return broken
