"""The follower: keeps one process's :class:`MatchingService` up with the store's change log.

Each serving process (every ``serve`` worker, every replica) runs one. It polls the log every
``refresh_seconds`` (``PARTNERMATCH_REFRESH_SECONDS``, default 1) and, on PostgreSQL, also
``LISTEN``\\s on :data:`~matcher.store.CHANGES_CHANNEL`, which each committing writer notifies:
a change then arrives in milliseconds, and the polling guarantees that nothing is missed while
the listening connection is down (a restart, a failover, ``pg_terminate_backend``), after which
it reconnects. On SQLite (one machine) polling alone is used.

What a change does to the engine is :meth:`MatchingService.catch_up`'s business; the follower
only decides when to call it.
"""

from __future__ import annotations

import logging
import os
import threading

import psycopg

from matcher.engine.service import MatchingService
from matcher.store import CHANGES_CHANNEL

log = logging.getLogger(__name__)

# how long the listener waits before reconnecting, doubling per failure up to the cap
RECONNECT_S = 0.2
RECONNECT_CAP_S = 5.0


class ChangeFollower:
    """Calls ``service.catch_up()`` when the change log may have moved.

    Args:
        service: the process's matching service.
        refresh_s: the polling period in seconds.

    Example:
        >>> follower = ChangeFollower(service, refresh_s=1.0)  # doctest: +SKIP
        >>> follower.start(); ...; follower.stop()  # doctest: +SKIP
    """

    def __init__(self, service: MatchingService, refresh_s: float = 1.0) -> None:
        if refresh_s <= 0:
            raise ValueError(f"refresh_s must be positive, not {refresh_s}")
        self.service = service
        self.refresh_s = refresh_s
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        # notifications received (tests and the metrics read it)
        self.notifications = 0

    @property
    def listens(self) -> bool:
        """Whether this store can notify (PostgreSQL) rather than only be polled."""
        return self.service.store.engine.dialect.name == "postgresql"

    def start(self) -> None:
        """Start polling (and listening, on PostgreSQL) on daemon threads."""
        targets = [self._poll] + ([self._listen] if self.listens else [])
        for target in targets:
            thread = threading.Thread(
                target=target, name=f"partnermatch-follower{target.__name__}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop both threads (each within about a second)."""
        self._stopped.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _poll(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.refresh_s)
            self._wake.clear()
            if self._stopped.is_set():
                return
            if not self.service.started:  # the first load reads the log itself
                continue
            try:
                self.service.catch_up()
            except Exception:  # the database away: logged, and the next period retries
                log.exception("catching up with the change log failed; retrying")

    def _listen(self) -> None:
        url = self.service.store.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        delay = RECONNECT_S
        while not self._stopped.is_set():
            try:
                with psycopg.connect(
                    conninfo,
                    autocommit=True,
                    application_name=f"partnermatch follower pid {os.getpid()}",
                ) as connection:
                    connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                    delay = RECONNECT_S
                    self._wake.set()  # whatever was committed while nobody listened
                    while not self._stopped.is_set():
                        for _ in connection.notifies(timeout=1.0):
                            self.notifications += 1
                            self._wake.set()
            except psycopg.Error as error:
                if self._stopped.is_set():
                    return
                log.warning(
                    "change listener lost (%s); polling meanwhile, reconnecting in %.1f s",
                    str(error).strip(),
                    delay,
                )
                self._stopped.wait(delay)
                delay = min(RECONNECT_CAP_S, delay * 2)
