"""The web pages: the seller console (``/``), partner profiles (``/partners/{id}``), the recruiter
page and the embeddable widget script.

Plain HTML/CSS/JS from ``api/static`` (no build step). The pages hold no secrets and need no
key to load; they call the JSON API with the key the user types in, which stays in the tab's
``sessionStorage``. ``/ui/options.json`` hands the forms the allowed values from the taxonomy,
so the pages never carry a second copy of the lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from matcher import taxonomy
from matcher.feedback import REJECT_REASONS
from matcher.ipp.config import MatrixConfig
from matcher.recruiting.tables import PROSPECT_STATUSES
from matcher.schemas import PARTNER_ID_RE

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
_HTML_HEADERS = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)
static_files = StaticFiles(directory=STATIC_DIR)


@router.get("/")
def seller_console() -> FileResponse:
    """The seller console: deal form, ranked partner cards, accept/reject feedback."""
    return FileResponse(STATIC_DIR / "console.html", headers=_HTML_HEADERS)


@router.get("/partners/{partner_id}")
def partner_page(partner_id: Annotated[str, PathParam(pattern=PARTNER_ID_RE)]) -> FileResponse:
    """A partner's profile: 4 Cs with evidence, certifications, scorecard charts, activity.

    The page reads the id from its own address and asks the API with the seller's key.
    """
    return FileResponse(STATIC_DIR / "partner.html", headers=_HTML_HEADERS)


@router.get("/recruiter")
def recruiter_page() -> FileResponse:
    """The recruiter page: screen a prospects CSV, re-weight the 4 Cs, download the scores."""
    return FileResponse(STATIC_DIR / "recruiter.html", headers=_HTML_HEADERS)


@router.get("/widget.js")
def widget_script() -> FileResponse:
    """The in-app widget, loaded by host pages with a ``<script src=".../widget.js">`` tag."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/ui/options.json")
def form_options(request: Request) -> dict[str, Any]:
    """The values the pages offer: partner types, segments, industries, tiers, reject reasons,
    prospect statuses and the band thresholds that colour a 4 C score (the matrix's bands)."""
    bands = MatrixConfig.load(request.app.state.settings.matrix_config).bands
    return {
        "partner_types": list(taxonomy.PARTNER_TYPES),
        "segments": list(taxonomy.SEGMENTS),
        "industries": taxonomy.INDUSTRIES,
        "tiers": list(taxonomy.TIERS),
        "reject_reasons": list(REJECT_REASONS),
        "prospect_statuses": list(PROSPECT_STATUSES),
        "score_bands": {
            "strong_fit": bands.get("strong_fit", 65.0),
            "possible_fit": bands.get("possible_fit", 45.0),
        },
    }


@router.get("/static/{file_path:path}")
async def static_file(file_path: str, request: Request) -> Response:
    """A stylesheet, script or example file of the pages (no directory listings)."""
    return await static_files.get_response(file_path, request.scope)
