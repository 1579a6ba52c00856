"""The access log never holds a credential: key- and token-like query parameters are redacted.

A key sent as ``?api_key=...`` is refused by the API, but uvicorn's access log had already
written the full URL, so anyone reading the logs could use it. This filter rewrites the path
argument of each ``uvicorn.access`` record before any handler formats it.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
# A query parameter whose name mentions a credential: api_key, key, access_token, secret, ...
_SECRET_PARAMETER = re.compile(
    r"(?i)([?&][^=&#]*(?:key|token|secret|password|passwd|auth|signature)[^=&#]*=)[^&#]*"
)


def redact_query(path: str) -> str:
    """``path`` with the value of every credential-like query parameter replaced."""
    return _SECRET_PARAMETER.sub(rf"\1{REDACTED}", path)


class RedactSecrets(logging.Filter):
    """Redacts the path of uvicorn's access record: its args are (client, method, path, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Add the filter to uvicorn's access logger once, however many apps are created."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())
