"""Recruiting: prospects scored against the Ideal Partner Profile, their look-alikes among
today's top performers, batch screening and the saved screening batches (a recruiter's
pipeline).

Example::

    from matcher.recruiting import prospect_scorer_for
    scorer = prospect_scorer_for(store, MatrixConfig.load(path), "lexical", {}, True)

The names below are imported on first use: ``matcher.recruiting.tables`` (which the schema
migrations import on every store open) must not pull in the scoring code with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher.recruiting.batches import BatchQuery
    from matcher.recruiting.lookalikes import LookAlike, LookalikeIndex
    from matcher.recruiting.prospects import (
        SCREEN_COLUMNS,
        ProspectScore,
        ProspectScorer,
        looks_like_text,
        region_coverage_gap,
    )
    from matcher.recruiting.screening import ScreenReport, screen_file, screen_records
    from matcher.recruiting.service import (
        MAX_SCREEN_ROWS,
        RecruitingService,
        prospect_scorer_for,
    )
    from matcher.recruiting.tables import PROSPECT_STATUSES

_HOMES = {
    "BatchQuery": "batches",
    "LookAlike": "lookalikes",
    "LookalikeIndex": "lookalikes",
    "SCREEN_COLUMNS": "prospects",
    "ProspectScore": "prospects",
    "ProspectScorer": "prospects",
    "looks_like_text": "prospects",
    "region_coverage_gap": "prospects",
    "ScreenReport": "screening",
    "screen_file": "screening",
    "screen_records": "screening",
    "MAX_SCREEN_ROWS": "service",
    "RecruitingService": "service",
    "prospect_scorer_for": "service",
    "PROSPECT_STATUSES": "tables",
}

__all__ = [
    "MAX_SCREEN_ROWS",
    "PROSPECT_STATUSES",
    "SCREEN_COLUMNS",
    "BatchQuery",
    "LookAlike",
    "LookalikeIndex",
    "ProspectScore",
    "ProspectScorer",
    "RecruitingService",
    "ScreenReport",
    "looks_like_text",
    "prospect_scorer_for",
    "region_coverage_gap",
    "screen_file",
    "screen_records",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
