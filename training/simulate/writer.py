"""Writing the files: partners and outcomes as CSV (lists ``;``-joined) or JSONL, judged deals as
JSONL, each written to a temporary file and renamed into place; :func:`simulate` writes all three.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.schemas import Outcome
from training.simulate.judged import judged_deals
from training.simulate.outcomes import _outcome_rows
from training.simulate.partners import _partner_chunks
from training.simulate.truth import (
    _STREAM_OUTCOMES,
    PARTNER_CHUNK,
    PartnerTruth,
    _check_count,
    _rng,
)

logger = logging.getLogger(__name__)

DEAL_CHUNK = 20_000
FORMATS = ("csv", "jsonl")

PARTNER_COLUMNS: tuple[str, ...] = (
    "partner_id",
    "name",
    "partner_type",
    "description",
    "specialisms",
    "languages",
    "industries",
    "certifications",
    "countries",
    "segments",
    "tier",
    "employees",
    "certified_staff",
    "customers",
    "active_projects",
    "max_projects",
    "training_completion",
    "deal_registrations_12m",
    "last_active",
    "dedicated_manager",
    "deals_won_12m",
    "deals_lost_12m",
    "revenue_12m",
    "csat",
    "assets",
)
OUTCOME_COLUMNS: tuple[str, ...] = tuple(Outcome.model_fields)


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote: paths, counts and a few headline figures."""

    out_dir: Path
    partners_path: Path
    outcomes_path: Path
    judged_path: Path
    n_partners: int
    n_deals: int
    n_outcomes: int
    n_judged: int
    seed: int
    fmt: str
    win_rate: float
    seconds: float


Progress = Callable[[str, int, int], None]
"""Progress callback: ``progress(stage, done, total)`` with stage partners/outcomes/judged deals."""


def _cell(value: Any) -> str:
    """One CSV cell: lists ``;``-joined, booleans ``true``/``false``, missing blank."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is list:
        return ";".join(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float and value.is_integer():
        return str(int(value))
    return str(value)


class _RowWriter:
    """Writes dict rows as CSV (DESIGN.md lists ``;``-joined) or JSONL, atomically on close."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: str) -> None:
        self.path = path
        self._columns = columns
        self._fmt = fmt
        self._tmp = path.with_name(path.name + ".tmp")
        self._handle = self._tmp.open("w", encoding="utf-8", newline="")
        if fmt == "csv":
            self._csv = csv.writer(self._handle, lineterminator="\n")
            self._csv.writerow(columns)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self._fmt == "csv":
            self._csv.writerows([[_cell(row[c]) for c in self._columns] for row in rows])
        else:
            self._handle.writelines(
                json.dumps({c: _json_value(row[c]) for c in self._columns}, ensure_ascii=False)
                + "\n"
                for row in rows
            )

    def close(self) -> None:
        self._handle.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._handle.close()
        self._tmp.unlink(missing_ok=True)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def simulate(
    out_dir: Path,
    n_partners: int,
    n_deals: int,
    *,
    n_outcomes: int | None = None,
    n_judged: int = 200,
    seed: int = 42,
    fmt: str = "csv",
    progress: Progress | None = None,
) -> SimulationSummary:
    """Write a simulated ecosystem: partners, outcomes and judged deals, in ``out_dir``.

    Args:
        out_dir: created if missing; existing files of the same names are replaced.
        n_partners: partner rows (at least 1).
        n_deals: distinct historical deals. Each deal has one attached partner, so without
            ``n_outcomes`` this is also the number of outcome rows.
        n_outcomes: outcome rows, between ``n_deals`` and ``2 * n_deals``: the extra rows attach a
            second, influencing partner to randomly chosen deals (a co-sell).
        n_judged: judged deal requests written to ``judged_deals.jsonl``.
        seed: the same seed gives byte-identical files.
        fmt: ``csv`` or ``jsonl`` for partners and outcomes (judged deals are always JSONL).
        progress: called as ``progress(stage, done, total)`` after each chunk.

    Returns:
        A :class:`SimulationSummary`.

    Raises:
        ValueError: a count, the seed or the format is out of range.
    """
    _check_count("n_partners", n_partners, minimum=1)
    _check_count("n_deals", n_deals, minimum=0)
    _check_count("n_judged", n_judged, minimum=0)
    _check_count("seed", seed, minimum=0)
    if n_outcomes is None:
        n_outcomes = n_deals
    _check_count("n_outcomes", n_outcomes, minimum=0)
    if not n_deals <= n_outcomes <= 2 * n_deals:
        raise ValueError(
            f"n_outcomes must be between n_deals and 2 * n_deals ({n_deals}..{2 * n_deals}), "
            f"not {n_outcomes}"
        )
    if n_outcomes > n_deals and n_partners < 2:
        raise ValueError("co-sold deals (n_outcomes > n_deals) need at least 2 partners")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    partners_path = out_dir / f"partners.{fmt}"
    writer = _RowWriter(partners_path, PARTNER_COLUMNS, fmt)
    parts = []
    try:
        for rows, truth in _partner_chunks(n_partners, seed):
            writer.write(rows)
            parts.append(truth)
            report("partners", min(len(parts) * PARTNER_CHUNK, n_partners), n_partners)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    truth = PartnerTruth.concatenate(parts)

    outcomes_path = out_dir / f"outcomes.{fmt}"
    wins = _write_outcomes(outcomes_path, truth, n_deals, n_outcomes, seed, fmt, report)

    judged_path = out_dir / "judged_deals.jsonl"
    tmp = judged_path.with_name(judged_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        for j, record in enumerate(judged_deals(truth, n_judged, seed), start=1):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            if j % 20 == 0 or j == n_judged:
                report("judged deals", j, n_judged)
    os.replace(tmp, judged_path)

    summary = SimulationSummary(
        out_dir=out_dir,
        partners_path=partners_path,
        outcomes_path=outcomes_path,
        judged_path=judged_path,
        n_partners=n_partners,
        n_deals=n_deals,
        n_outcomes=n_outcomes,
        n_judged=n_judged,
        seed=seed,
        fmt=fmt,
        win_rate=wins / n_deals if n_deals else float("nan"),
        seconds=time.perf_counter() - started,
    )
    logger.info("simulated %s in %.1f s", summary, summary.seconds)
    return summary


def _write_outcomes(
    path: Path,
    truth: PartnerTruth,
    n_deals: int,
    n_outcomes: int,
    seed: int,
    fmt: str,
    report: Progress,
) -> int:
    """Write outcome rows chunk by chunk; returns the number of won deals."""
    cumulative_volume = np.cumsum(truth.volume)
    co_sell_left = n_outcomes - n_deals
    plan = _rng(seed, _STREAM_OUTCOMES)
    writer = _RowWriter(path, OUTCOME_COLUMNS, fmt)
    wins = written = 0
    try:
        for chunk, first in enumerate(range(0, n_deals, DEAL_CHUNK), start=1):
            size = min(DEAL_CHUNK, n_deals - first)
            deals_left = n_deals - first
            co_sell = (
                int(plan.hypergeometric(co_sell_left, deals_left - co_sell_left, size))
                if co_sell_left
                else 0
            )
            co_sell_left -= co_sell
            rows, won = _outcome_rows(
                truth, cumulative_volume, first, size, co_sell, _rng(seed, _STREAM_OUTCOMES, chunk)
            )
            writer.write(rows)
            wins += won
            written += len(rows)
            report("outcomes", written, n_outcomes)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return wins
