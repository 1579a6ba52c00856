"""Delivery signatures in the widely used ``t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``
form: the timestamp inside the MAC stops a captured delivery being replayed later."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Partnermatch-Signature"


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Partnermatch-Signature`` header value for ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of now."""
    parts = dict(part.partition("=")[::2] for part in header.split(","))
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(_mac(secret, timestamp, body), parts.get("v1", ""))
