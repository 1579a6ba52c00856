"""``X-Partnermatch-Version``: the change-log version of the state that answered.

Every worker and replica follows one change log (:mod:`matcher.engine.follower`); the header
names the version this process had applied when it answered, so a client (or a test) can tell
whether a replica has caught up with a write: a write's answer carries a version that includes
it, and any answer with that version or a later one reflects it. Recommendations also carry the
``index_version`` of the saved index they were served from.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.engine import MatchingService

VERSION_HEADER = "x-partnermatch-version"


class ServedVersion:
    """Add :data:`VERSION_HEADER` to every HTTP response of the app."""

    def __init__(self, app: ASGIApp, service: MatchingService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((VERSION_HEADER.encode(), str(self.service.version).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_version)
