"""The widget's guards: allowed origins and a per-key rate limit (token bucket, in memory).

The bucket is per process, not in the database (a write per widget request would cost more
than the request): with ``partnermatch serve --workers N`` each worker enforces ``1/N`` of
the rate (:meth:`TokenBucket.worker_share`), so the machine as a whole admits about the
configured rate when the kernel spreads a key's connections over the workers. With R replicas
behind a load balancer, set ``PARTNERMATCH_WIDGET_RATE_PER_MINUTE`` to the total divided by R
(docs/deploy.md).
"""

from __future__ import annotations

import math
import threading
import time

from fastapi import Request

from api.errors import Problem


class TokenBucket:
    """``rate`` requests per minute per key, with bursts up to ``rate``."""

    def __init__(self, rate_per_minute: int) -> None:
        self.capacity = float(rate_per_minute)
        self.refill_per_second = rate_per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def worker_share(cls, rate_per_minute: int, workers: int) -> TokenBucket:
        """The bucket one of ``workers`` worker processes enforces: its share of the rate."""
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        return cls(max(1, rate_per_minute // workers))

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token; returns 0 if allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, updated = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.refill_per_second


def check_widget_origin(request: Request) -> None:
    """Refuse a browser request from an origin that is not allowed to embed the widget."""
    origin = request.headers.get("origin")
    allowed = request.app.state.settings.widget_origins
    if origin is not None and origin not in allowed and "*" not in allowed:
        raise Problem(403, f"origin {origin} may not use the widget")


def widget_rate_limit(request: Request, key_id: str) -> None:
    """429 with ``Retry-After`` when this widget key is over its rate."""
    wait = request.app.state.widget_bucket.take(key_id)
    if wait > 0:
        raise Problem(
            429,
            "too many widget requests for this key; retry later",
            headers={"Retry-After": str(math.ceil(wait))},
        )
