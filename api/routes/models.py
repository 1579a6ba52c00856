"""The IPP model registry over HTTP (admin): list versions, promote one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import AdminKey, ServiceDep, SettingsDep
from api.errors import Problem, problem_responses
from api.responses import ModelList
from matcher.ipp import ModelRegistry, RegistryError
from matcher.webhooks import emit

router = APIRouter(prefix="/models", tags=["models"], responses=problem_responses(401, 403))


@router.get("", response_model=ModelList)
def list_models(settings: SettingsDep, service: ServiceDep, _key: AdminKey) -> ModelList:
    """Every version in the home registry, oldest first, and the scorer serving now."""
    registry = ModelRegistry(settings.resolved_models_dir)
    versions = [registry.info(version) for version in registry.versions()]
    return ModelList(versions=versions, serving=service.model_version)


@router.post("/{version}/promote", response_model=ModelList, responses=problem_responses(404, 422))
def promote_model(
    version: Annotated[str, Path(pattern=r"^ipp-\d{4,}$")],
    settings: SettingsDep,
    service: ServiceDep,
    key: AdminKey,
) -> ModelList:
    """Promote a version: it is checked, then serves from the next request on."""
    registry = ModelRegistry(settings.resolved_models_dir)
    if version not in registry.versions():
        raise Problem(404, f"no model version {version!r} in {registry.root}")
    try:
        registry.promote(version, store=service.store)
    except RegistryError as error:
        raise Problem(422, f"{version} cannot be promoted: {error}") from None
    service.catch_up()  # the promotion's change: this process reloads now, the others follow
    emit(service.store, "model.promoted", {"model_version": version})
    return list_models(settings, service, key)
