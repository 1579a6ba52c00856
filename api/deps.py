"""Request dependencies as ``Annotated`` aliases: the store, the caller's key and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Problem
from matcher.engine import MatchingService
from matcher.keys import ApiKey, verify_key
from matcher.recruiting import RecruitingService
from matcher.settings import Settings
from matcher.store import Store

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer pm_...`")


def get_store(request: Request) -> Store:
    """The store opened when the app started."""
    return request.app.state.store  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_service(request: Request) -> MatchingService:
    """The live matching service."""
    return request.app.state.service  # type: ignore[no-any-return]


def get_recruiting(request: Request) -> RecruitingService:
    """The prospect scoring service."""
    return request.app.state.recruiting  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]
RecruitingDep = Annotated[RecruitingService, Depends(get_recruiting)]
ServiceDep = Annotated[MatchingService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_key(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The caller's active API key; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(
            401,
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key = verify_key(store, credentials.credentials)
    if key is None:
        raise Problem(
            401, "the API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.key_id = key.key_id
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def check_role(key: ApiKey, roles: tuple[str, ...]) -> ApiKey:
    """``key`` if its role is one of ``roles``, else a 403 problem; REST and MCP share it."""
    if key.role not in roles:
        allowed = ", ".join(roles)
        raise Problem(403, f"a {key.role} key may not use this endpoint; allowed: {allowed}")
    return key


def allow(*roles: str) -> Callable[[ApiKey], ApiKey]:
    """A dependency admitting only keys with one of ``roles`` (403 otherwise)."""

    def check(key: CurrentKey) -> ApiKey:
        return check_role(key, roles)

    return check


INTERNAL = ("admin", "seller", "recruiter")
SELLER = ("admin", "seller")
RECRUITER = ("admin", "recruiter")
AdminKey = Annotated[ApiKey, Depends(allow("admin"))]
SellerKey = Annotated[ApiKey, Depends(allow(*SELLER))]
RecruiterKey = Annotated[ApiKey, Depends(allow(*RECRUITER))]
InternalKey = Annotated[ApiKey, Depends(allow(*INTERNAL))]
WidgetKey = Annotated[ApiKey, Depends(allow("widget"))]
