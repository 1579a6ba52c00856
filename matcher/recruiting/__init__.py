"""Recruiting: prospects scored against the Ideal Partner Profile, their look-alikes among
today's top performers, and batch screening.

Example::

    from matcher.recruiting import prospect_scorer_for
    scorer = prospect_scorer_for(store, MatrixConfig.load(path), "lexical", {}, True)
"""

from matcher.recruiting.lookalikes import LookAlike, LookalikeIndex
from matcher.recruiting.prospects import SCREEN_COLUMNS, ProspectScore, ProspectScorer
from matcher.recruiting.screening import ScreenReport, screen_file, screen_records
from matcher.recruiting.service import MAX_SCREEN_ROWS, RecruitingService, prospect_scorer_for

__all__ = [
    "MAX_SCREEN_ROWS",
    "SCREEN_COLUMNS",
    "LookAlike",
    "LookalikeIndex",
    "ProspectScore",
    "ProspectScorer",
    "RecruitingService",
    "ScreenReport",
    "prospect_scorer_for",
    "screen_file",
    "screen_records",
]
