"""The in-app widget: suggestions for what a customer is building, public fields only.

Called from browsers on the configured host sites with a widget key, so it has guards the
other endpoints do not: an origin check, a per-key rate limit and CORS (``api.middleware``,
which matches this router's ``/v1/widget/`` paths).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.deps import ServiceDep, WidgetKey
from api.errors import problem_responses
from api.limits import check_widget_origin, widget_rate_limit
from api.responses import WidgetAnswer, WidgetPartner
from matcher.engine import widget_suggestions

# Tagged "recommendations" as well, as it was when it shared that router: the OpenAPI
# document (and the docs' grouping) stays as clients know it.
router = APIRouter(
    prefix="/widget",
    tags=["recommendations", "widget"],
    responses=problem_responses(400, 401, 403, 413, 422, 503),
)


@router.get("/recommendations", response_model=WidgetAnswer, responses=problem_responses(429))
def widget_recommendations(
    request: Request,
    service: ServiceDep,
    key: WidgetKey,
    context: Annotated[
        str, Query(min_length=1, max_length=1000, description="What the customer is building.")
    ],
    country: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-2 or a country name.")
    ] = None,
    languages: Annotated[
        list[str] | None, Query(description="Required languages, e.g. `de`.")
    ] = None,
    top_k: Annotated[int, Query(ge=1, le=10)] = 3,
) -> WidgetAnswer:
    """Partners, templates and integrations for what a customer is building in the product.

    Public profile fields only; allowed from the configured origins; rate-limited per key.
    """
    check_widget_origin(request)
    widget_rate_limit(request, key.key_id)
    try:
        suggestions = widget_suggestions(
            service, context, country, languages, top_k, key_id=key.key_id
        )
    except ValidationError as error:  # the query names a country or language that does not exist
        raise RequestValidationError(
            [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
        ) from None
    return WidgetAnswer(partners=[WidgetPartner(**suggestion) for suggestion in suggestions])
