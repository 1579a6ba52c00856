"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.errors import Problem, problem_responses
from api.responses import Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and answering.

    Served on the event loop, not in the thread pool that sync routes share, so it answers
    while every thread is busy with a large request.
    """
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=problem_responses(503),
)
def readyz(request: Request) -> Readiness:
    """Readiness: the store answers and the services requests need are loaded."""
    checks = request.app.state.readiness()
    missing = [name for name, ready in checks.items() if not ready]
    if missing:
        raise Problem(503, f"not ready: {', '.join(missing)}")
    return Readiness(status="ready", checks=checks)


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics: request counts and latency histograms per route."""
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )
