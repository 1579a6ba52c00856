"""``X-Partnermatch-Version``: the change-log version of the state that answered.

Every worker and replica follows one change log (:mod:`matcher.engine.follower`); the header
lets a client (or a test) tell whether a replica has caught up with a write. A read's answer
carries the version this process had applied when the request arrived: the state it was
answered from includes every change up to it (perhaps more, applied meanwhile, never less). A
write's answer (``PUT``, ``DELETE``, ``PATCH``) carries the version after the write, which the
writing process has applied before answering. Recommendations also carry the ``index_version``
of the saved index they were served from.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.engine import MatchingService

VERSION_HEADER = "x-partnermatch-version"
WRITES = frozenset({"PUT", "DELETE", "PATCH"})


class ServedVersion:
    """Add :data:`VERSION_HEADER` to every HTTP response of the app."""

    def __init__(self, app: ASGIApp, service: MatchingService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        arrived_at = self.service.version
        write = scope["method"] in WRITES

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                version = self.service.version if write else arrived_at
                headers = list(message.get("headers", []))
                headers.append((VERSION_HEADER.encode(), str(version).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_version)
