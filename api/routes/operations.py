"""Admin operations: rebuild the index aside and swap it in."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminKey, ServiceDep
from api.errors import problem_responses
from api.responses import RebuildStarted

router = APIRouter(prefix="/index", tags=["operations"], responses=problem_responses(401, 403))


@router.post("/rebuild", status_code=202, response_model=RebuildStarted)
def rebuild_index(service: ServiceDep, _key: AdminKey) -> RebuildStarted:
    """Re-index every partner in the background; requests keep being answered meanwhile."""
    serving = service.index_version
    service.rebuild_in_background()
    return RebuildStarted(status="rebuilding", serving_index_version=serving)
