"""Load shedding (issue 12): beyond the in-flight bound a fast 503, health checks always served."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.middleware import LoadShedding


def _app(release: asyncio.Event, registry: CollectorRegistry) -> LoadShedding:
    """A slow route held open until ``release`` is set, and a health check, behind the shedder."""

    async def slow(_request: object) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    async def healthz(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/slow", slow), Route("/healthz", healthz)])
    return LoadShedding(app, max_in_flight=2, retry_after_s=1, registry=registry)


def test_requests_beyond_the_bound_get_a_503_with_retry_after_and_health_still_answers() -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        registry = CollectorRegistry()
        transport = httpx.ASGITransport(app=_app(release, registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await client.get("/slow")
            health = await client.get("/healthz")
            release.set()
            answered = await asyncio.gather(*held)
            after = await client.get("/slow")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert health.status_code == 200
        assert [response.status_code for response in answered] == [200, 200]
        assert after.status_code == 200
        assert b"partnermatch_http_requests_shed_total 1.0" in generate_latest(registry)

    asyncio.run(scenario())
