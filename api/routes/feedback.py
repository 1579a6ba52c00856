"""Feedback: sellers accept or reject recommended partners; deal outcomes arrive later."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SellerKey, StoreDep
from api.errors import problem_responses
from api.responses import FeedbackRecorded
from matcher.feedback import Feedback, check_known, record_feedback

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
