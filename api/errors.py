"""Every error as ``application/problem+json`` (RFC 9457), naming the field and the problem.

Routes raise :class:`Problem` (or FastAPI's own exceptions, or let pydantic reject a body);
this module maps all of them in one place. No stack trace ever reaches a client: an
unexpected exception is logged with its traceback and answered with a generic 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from matcher.engine import EngineNotReady
from matcher.taxonomy import UnknownValueError

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ProblemDetail(BaseModel):
    """The body of every error response (RFC 9457), with the fields at fault in ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers for ``statuses``."""
    schema = ProblemDetail.model_json_schema()
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in statuses
    }


class Problem(Exception):
    """An error a route reports to the client, with optional per-field details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response: type, title, status, detail, instance and optional field errors."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    """``("body", "languages", 2)`` → ``languages[2]``; ``("query", "top_k")`` → ``top_k``."""
    parts = [part for part in location if part not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(body)"


def validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's request errors as ``{"field", "message"}`` pairs."""
    return [
        {
            "field": _field_name(tuple(detail["loc"])),
            "message": str(detail["msg"]).removeprefix("Value error, "),
        }
        for detail in error.errors()
    ]


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method a route serves at this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the app can raise to problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(request, error.status, error.detail, error.errors, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = validation_errors(error)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(request, 422, f"invalid request: {detail}", errors)

    @app.exception_handler(UnknownValueError)
    async def _unknown_value(request: Request, error: UnknownValueError) -> JSONResponse:
        return problem_response(
            request, 422, str(error), [{"field": error.field, "message": str(error)}]
        )

    @app.exception_handler(EngineNotReady)
    async def _not_ready(request: Request, error: EngineNotReady) -> JSONResponse:
        return problem_response(request, 503, str(error), headers={"Retry-After": "10"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem_response(request, error.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal error; it has been logged")

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, error: DBAPIError) -> JSONResponse:
        if not error.connection_invalidated:
            return await _unexpected(request, error)
        # reads were run again already (matcher.store.read_again_on_disconnect); a write is
        # not, as whether its commit reached the server is unknown: the client decides
        logger.warning("database connection lost on %s %s", request.method, request.url.path)
        return problem_response(
            request, 503, "the database connection was lost; retry", headers={"Retry-After": "1"}
        )
