"""The audit log of served recommendations: request, versions, returned ids and scores.

Sellers and partner managers ask "why did we get this partner last Tuesday?"; the log keeps
what is needed to answer, without storing whole profiles (those change; ids and scores don't).

A server writes the log off the request path: :func:`start_audit_writer` gives the store an
:class:`AuditWriter` that queues each served answer and writes them in batches, one
transaction each, from a background thread; ``stop`` (the app's shutdown) writes what is
left. A record is readable the moment its answer is: :func:`get_recommendation` of a record
still queued waits for it to be written. Without a writer (the CLI, scripts) each record is
written before ``record_recommendation`` returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Text, cast, delete, select

from matcher.store import Store, recommendations_served
from matcher.webhooks import emit

log = logging.getLogger(__name__)

# records written in one transaction at most, and how long the writer waits for a batch to fill
AUDIT_BATCH = 256
AUDIT_LINGER_S = 0.02
# served answers waiting to be written before a request waits for room (back-pressure)
AUDIT_QUEUE = 10_000


def record_recommendation(
    store: Store,
    request: dict[str, Any],
    answer: dict[str, Any],
    key_id: str | None,
    channel: str = "api",
) -> None:
    """Log one served answer (DESIGN.md 3.3 shape) under its ``recommendation_id``: queued
    when the store has a running :class:`AuditWriter`, else written now.

    Each result keeps its reason line, evidence and 4 Cs too: "why this partner?" must be
    answerable later from what was said then, not from a profile that has changed since.
    """
    row = _row(answer, request, key_id, channel)
    writer = _writers.get(store)
    if writer is not None and writer.running:
        writer.submit(row)
    else:
        _write(store, [row])


def _row(
    answer: dict[str, Any], request: dict[str, Any], key_id: str | None, channel: str
) -> dict[str, Any]:
    """The ``recommendations_served`` row of one answer, stamped now."""
    results = [
        {
            "partner_id": r["partner_id"],
            "rank": r["rank"],
            "score": r["score"],
            "reason": r.get("reason"),
            "evidence": r.get("evidence"),
            "four_cs": r.get("four_cs"),
        }
        for r in answer["results"]
    ]
    return {
        "recommendation_id": answer["recommendation_id"],
        "created_at": datetime.now(UTC),
        "key_id": key_id,
        "channel": channel,
        "request": request,
        "model_version": answer["model_version"],
        "index_version": answer["index_version"],
        "results": results,
    }


def _write(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Insert served-answer rows in one transaction, then queue their webhook events."""
    with store.transaction() as connection:
        connection.execute(recommendations_served.insert(), list(rows))
    for row in rows:
        emit(
            store,
            "recommendation.served",
            {
                "recommendation_id": row["recommendation_id"],
                "channel": row["channel"],
                "model_version": row["model_version"],
                "index_version": row["index_version"],
                "results": row["results"],
            },
        )


_FLUSH = object()  # wakes the writer to write what it holds now
_STOP = object()


class AuditWriter:
    """Writes one store's served answers in batches from a background thread.

    ``submit`` only queues (a request never waits on the database unless
    :data:`AUDIT_QUEUE` answers are already waiting); the thread writes up to
    :data:`AUDIT_BATCH` rows per transaction, waiting at most :data:`AUDIT_LINGER_S` for a
    batch to fill. ``flush`` waits until everything submitted before it is written; ``stop``
    flushes and ends the thread. A batch that fails is retried row by row, and a row that
    still fails is logged with its id.
    """

    def __init__(
        self,
        store: Store,
        batch: int | None = None,
        linger_s: float | None = None,
        max_queued: int | None = None,
    ) -> None:
        self.store = store
        self.batch = AUDIT_BATCH if batch is None else batch
        self.linger_s = AUDIT_LINGER_S if linger_s is None else linger_s
        self._queue: queue.Queue[object] = queue.Queue(
            AUDIT_QUEUE if max_queued is None else max_queued
        )
        self._pending: set[str] = set()
        self._submitted = 0
        self._written = 0
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the background thread is writing."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> AuditWriter:
        """Start the background thread."""
        if not self.running:
            self._thread = threading.Thread(
                target=self._run, name="partnermatch-audit", daemon=True
            )
            self._thread.start()
        return self

    def submit(self, row: dict[str, Any]) -> None:
        """Queue one row of ``recommendations_served`` (:func:`record_recommendation`)."""
        with self._progress:
            self._pending.add(row["recommendation_id"])
            self._submitted += 1
        self._queue.put(row)

    def pending(self, recommendation_id: str) -> bool:
        """Whether that record is queued and not yet written."""
        with self._progress:
            return recommendation_id in self._pending

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every row submitted so far is written (or has failed, logged); ``False``
        if ``timeout_s`` ran out first."""
        with self._progress:
            target = self._submitted
            if self._written >= target:
                return True
        if not self.running:
            self._drain()
            return True
        self._queue.put(_FLUSH)
        with self._progress:
            return self._progress.wait_for(lambda: self._written >= target, timeout_s)

    def stop(self) -> None:
        """Write everything queued, then end the thread (the app's shutdown); from then on
        ``record_recommendation`` writes at once again."""
        if self.running:
            self._queue.put(_STOP)
            assert self._thread is not None
            self._thread.join()
        if _writers.get(self.store) is self:
            del _writers[self.store]
        self._drain()  # anything submitted while it stopped

    def _run(self) -> None:
        while True:
            rows, stopping = self._next_batch()
            self._write(rows)
            if stopping:
                return

    def _next_batch(self) -> tuple[list[dict[str, Any]], bool]:
        """The rows of one transaction: those arriving within the linger of the first, up to
        a batch, cut short by a flush; and whether a stop came."""
        rows: list[dict[str, Any]] = []
        item = self._queue.get()
        deadline = time.monotonic() + self.linger_s
        while True:
            if item is _STOP:
                return rows, True
            if item is _FLUSH:
                return rows, False
            rows.append(item)  # type: ignore[arg-type]
            if len(rows) >= self.batch:
                return rows, False
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return rows, False

    def _drain(self) -> None:
        rows: list[dict[str, Any]] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, dict):
                rows.append(item)
        self._write(rows)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        try:
            _write(self.store, rows)
        except Exception:
            log.exception("writing %d audit records failed; retrying one by one", len(rows))
            for row in rows:
                try:
                    _write(self.store, [row])
                except Exception:
                    log.exception("audit record %s not written", row["recommendation_id"])
        with self._progress:
            self._pending.difference_update(row["recommendation_id"] for row in rows)
            self._written += len(rows)
            self._progress.notify_all()


_writers: weakref.WeakKeyDictionary[Store, AuditWriter] = weakref.WeakKeyDictionary()


def start_audit_writer(store: Store) -> AuditWriter:
    """Start writing ``store``'s audit log in the background (a server's lifespan does, and
    calls ``stop`` on shutdown); ``record_recommendation`` queues from then on."""
    writer = _writers.get(store)
    if writer is None or not writer.running:
        writer = _writers[store] = AuditWriter(store).start()
    return writer


def record_teams(
    store: Store, request: dict[str, Any], answer: dict[str, Any], key_id: str | None
) -> None:
    """Store one served teams answer like a recommendation: each member is a result at its
    team's rank, so accept/reject feedback names the member and the answer's id as for one."""
    members = [
        {**member, "rank": team["rank"]} for team in answer["teams"] for member in team["members"]
    ]
    record_recommendation(store, request, {**answer, "results": members}, key_id, channel="teams")


def _flush_queued(store: Store) -> None:
    """Write what the store's audit writer still holds, before the log is searched."""
    writer = _writers.get(store)
    if writer is not None:
        writer.flush()


def get_recommendation(store: Store, recommendation_id: str) -> dict[str, Any] | None:
    """The logged record of one served recommendation, or ``None``; one still queued is
    written first, so an answer's id can be looked up as soon as the answer is out."""
    writer = _writers.get(store)
    if writer is not None and writer.pending(recommendation_id):
        writer.flush()
    with store.engine.connect() as connection:
        row = connection.execute(
            select(recommendations_served).where(
                recommendations_served.c.recommendation_id == recommendation_id
            )
        ).first()
    if row is None:
        return None
    return _record(row)


def _record(row: Row[Any]) -> dict[str, Any]:
    record = dict(row._mapping)
    record["created_at"] = record["created_at"].isoformat()
    return record


def records_since(store: Store, since: datetime) -> Iterator[dict[str, Any]]:
    """Every record served at or after ``since``, oldest first, streamed (the log is long);
    the records still queued are written first."""
    _flush_queued(store)
    with store.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True).execute(
            select(recommendations_served)
            .where(recommendations_served.c.created_at >= since)
            .order_by(recommendations_served.c.created_at)
        )
        for row in rows:
            yield _record(row)


def purge_before(store: Store, cutoff: datetime) -> int:
    """Delete the records served before ``cutoff`` (the retention limit); returns how many."""
    with store.transaction() as connection:
        result = connection.execute(
            delete(recommendations_served).where(recommendations_served.c.created_at < cutoff)
        )
    return result.rowcount


# The partner profile page lists the answers a partner appeared in; reading the whole log for
# one partner is a scan, so it stops after this many records (newest first) even if it found
# fewer than asked for.
PARTNER_SCAN_LIMIT = 20_000


def recommendations_for_partner(
    store: Store, partner_id: str, key_id: str | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The newest served answers that ranked ``partner_id``, newest first, at most ``limit``.

    Each item: the record's id, time, channel and deal (``request``), with this partner's
    ``rank``, ``score``, ``reason`` and ``four_cs`` as served and how many results the answer
    had. ``key_id`` keeps only the answers that key asked for (a seller sees its own deals).
    The database pre-filters on the id's text; the match is confirmed on the parsed results.
    """
    _flush_queued(store)  # an answer just served is found as soon as it is out
    quoted = '"' + partner_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"'
    query = (
        select(recommendations_served)
        .where(cast(recommendations_served.c.results, Text).like(f"%{quoted}%", escape="\\"))
        .order_by(recommendations_served.c.created_at.desc())
        .limit(PARTNER_SCAN_LIMIT)
    )
    if key_id is not None:
        query = query.where(recommendations_served.c.key_id == key_id)
    found: list[dict[str, Any]] = []
    with store.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=200).execute(query)
        for row in rows:
            record = _record(row)
            mine = [r for r in record["results"] if r.get("partner_id") == partner_id]
            if not mine:
                continue
            found.append(
                {
                    "recommendation_id": record["recommendation_id"],
                    "created_at": record["created_at"],
                    "channel": record["channel"],
                    "request": record["request"],
                    "results": len(record["results"]),
                    **{k: mine[0].get(k) for k in ("rank", "score", "reason", "four_cs")},
                }
            )
            if len(found) >= limit:
                break
    return found
