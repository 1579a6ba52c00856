"""Feedback: sellers accept or reject recommended partners; deal outcomes arrive later."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SellerKey, StoreDep
from api.errors import problem_responses
from api.responses import FeedbackRecorded, TeamFeedbackRecorded
from matcher.feedback import (
    Feedback,
    TeamFeedback,
    check_known,
    record_feedback,
    record_team_feedback,
)

router = APIRouter(
    prefix="/feedback", tags=["feedback"], responses=problem_responses(400, 401, 403, 413, 422)
)


@router.post("", status_code=201, response_model=FeedbackRecorded)
def post_feedback(feedback: Feedback, store: StoreDep, key: SellerKey) -> FeedbackRecorded:
    """Record an accepted/rejected recommendation (with a reason code) or a deal outcome.

    The partner and the recommendation must exist (422 naming the field otherwise).
    """
    check_known(store, feedback)
    return FeedbackRecorded(feedback_id=record_feedback(store, feedback, key.key_id))


@router.post("/teams", status_code=201, response_model=TeamFeedbackRecorded)
def post_team_feedback(
    feedback: TeamFeedback, store: StoreDep, key: SellerKey
) -> TeamFeedbackRecorded:
    """Accept or reject a whole served team (`team_rank` of a `/v1/recommendations/teams`
    answer): one event per member, as if each had been judged alone, with the team's rank.

    An unknown teams answer or a rank it did not serve is a 422 naming the field.
    """
    return TeamFeedbackRecorded(feedback_ids=record_team_feedback(store, feedback, key.key_id))
