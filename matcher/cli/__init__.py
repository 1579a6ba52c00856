"""The ``partnermatch`` command tree: a thin layer over :mod:`matcher`.

Example::

    from matcher.cli import app
    app(["status"])
"""

from matcher.cli.app import app

__all__ = ["app"]
