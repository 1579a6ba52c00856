"""The HTTP routes, one module per resource.

The versioned API is one router, ``v1_router``: each resource router has a prefix relative
to it (``/partners``), so the version is written once and the app mounts it once. Health
(``/healthz``, ``/readyz``, ``/metrics``) and the web pages stay outside it, unversioned.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import problem_responses
from api.routes import (
    feedback,
    models,
    operations,
    partner_activity,
    partners,
    prospects,
    recommendations,
    screening_batches,
    webhooks,
    widget,
)

# Any /v1 request may be shed with a 503 and Retry-After when the worker is full
# (api.middleware.LoadShedding), so every operation documents it.
v1_router = APIRouter(prefix="/v1", responses=problem_responses(503))
v1_router.include_router(recommendations.router)
v1_router.include_router(widget.router)
v1_router.include_router(prospects.router)
v1_router.include_router(screening_batches.router)
v1_router.include_router(partners.router)
v1_router.include_router(partner_activity.router)
v1_router.include_router(feedback.router)
v1_router.include_router(models.router)
v1_router.include_router(operations.router)
v1_router.include_router(webhooks.router)

__all__ = ["v1_router"]
