"""The FastAPI application: HTTP over :mod:`matcher`, holding no matching logic of its own.

``create_app`` opens the store, creates the matching service (its engine loads in the
background at start-up, so `/healthz` answers at once and `/readyz` says when recommendations
can be served), installs the error mapping (problem+json), the body cap, metrics and the
widget's CORS, and mounts the versioned API (one router, under ``/v1``), health and the pages.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from api.access_log import install_access_log_redaction
from api.collectors import ExposureCollector, QueryCacheCollector
from api.errors import install_error_handlers
from api.limits import TokenBucket
from api.mcp import Backends
from api.mcp.http import mount_mcp
from api.middleware import BodyLimit, LoadShedding, Metrics, WidgetCors
from api.routes import health, pages, v1_router
from api.versioning import ServedVersion
from matcher.audit import start_audit_writer
from matcher.embedding import Embedder, get_embedder
from matcher.engine import MatchingService
from matcher.engine.follower import ChangeFollower
from matcher.ipp import IppScorer, default_scorer
from matcher.recruiting import RecruitingService
from matcher.settings import Settings, get_settings
from matcher.store import Store
from matcher.webhooks import WebhookWorker

DESCRIPTION = """
Partner matching and recommendation for partner ecosystems.

Authenticate with an API key: `Authorization: Bearer pm_...` (create one with
`partnermatch keys create --role ROLE`). Roles: `admin` (partners write, keys, models),
`seller` (recommendations, feedback, scorecards), `recruiter` (prospects), `widget` (the
widget endpoint only). Errors are `application/problem+json` and name the field at fault.
"""


#: The cyclic garbage collector's thresholds while serving (``gc.set_threshold``). The engine
#: is frozen out of collections when loaded (matcher/engine/build.py), but what grows after it
#: (the 4 C and query caches, the prospect scorer) is not: with Python's default (700, 10, 10)
#: a screening allocating millions of objects set off full collections every few hundred
#: milliseconds, each holding the GIL 85-170 ms at 10k partners. /healthz p99 during a
#: 5,000-row screening went from 150-200 ms to 56-64 ms (``python -m bench.overload``).
SERVING_GC_THRESHOLDS = (50_000, 20, 20)


def create_app(
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    scorer_factory: Callable[[], IppScorer] | None = None,
    load_in_background: bool | None = None,
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment).

    ``embedder`` and ``scorer_factory`` default to the configured model and the registry's
    promoted IPP scorer; tests pass small fakes.
    """
    settings = settings or get_settings()
    if load_in_background is None:
        # one worker answers /healthz at once while it loads; of several, one still loading
        # does not take connections the others could answer
        load_in_background = settings.workers == 1
    store = Store.from_settings(settings)
    service = MatchingService(
        store,
        settings,
        embedder or get_embedder(settings),
        scorer_factory or (lambda: default_scorer(settings)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        collector_thresholds = gc.get_threshold()
        gc.set_threshold(*SERVING_GC_THRESHOLDS)
        if load_in_background:
            threading.Thread(target=service.start, name="partnermatch-load", daemon=True).start()
        else:
            service.start()
        worker = WebhookWorker(
            store,
            settings.webhook_allowed_hosts,
            settings.webhook_retry_base_s,
            settings.webhook_max_attempts,
        )
        worker.start()
        follower = ChangeFollower(service, settings.refresh_seconds)
        follower.start()
        audit = start_audit_writer(store)  # served answers logged off the request path
        try:
            async with app.state.mcp.running():
                yield
        finally:
            follower.stop()
            worker.stop()
            audit.stop()  # writes what is still queued
            gc.set_threshold(*collector_thresholds)

    app = FastAPI(title="partnermatch", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.service = service
    app.state.recruiting = RecruitingService(store, settings, service.embedder)
    service.on_partners_changed(app.state.recruiting.invalidate)
    app.state.metrics_registry = CollectorRegistry()
    app.state.metrics_registry.register(ExposureCollector(service))
    app.state.metrics_registry.register(QueryCacheCollector(service))
    app.state.widget_bucket = TokenBucket.worker_share(
        settings.widget_rate_per_minute, settings.workers
    )
    app.state.readiness = lambda: {
        "store": store.count_partners() >= 0,
        "index": service.ready,
        "model": service.model_version is not None,
    }
    install_error_handlers(app)
    install_access_log_redaction()
    app.add_middleware(WidgetCors, allow_origins=settings.widget_origins)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(
        LoadShedding,
        max_in_flight=settings.max_in_flight,
        retry_after_s=settings.retry_after_s,
        registry=app.state.metrics_registry,
    )
    app.add_middleware(Metrics, registry=app.state.metrics_registry)
    app.add_middleware(ServedVersion, service=service)
    app.include_router(health.router)
    app.include_router(v1_router)
    app.include_router(pages.router)
    app.state.mcp = mount_mcp(app, Backends(store, service, app.state.recruiting))
    return app
