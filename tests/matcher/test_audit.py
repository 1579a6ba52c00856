"""The audit log written off the request path: queued, batched, never lost on a clean stop,
readable as soon as the answer is out."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

import matcher.audit as audit
from matcher.audit import AuditWriter, get_recommendation, record_recommendation
from matcher.store import Store, recommendations_served


def _answer(recommendation_id: str) -> dict[str, Any]:
    return {
        "recommendation_id": recommendation_id,
        "model_version": "matrix-default",
        "index_version": "test",
        "results": [{"partner_id": "P-1", "rank": 1, "score": 0.9, "reason": "Speaks German"}],
    }


def _stored(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(recommendations_served)
            ).scalar_one()
        )


@pytest.fixture
def slow_writer(store: Store) -> Iterator[AuditWriter]:
    """A running writer that waits a minute for a batch to fill: nothing is written unless a
    flush, a read or the stop asks."""
    writer = audit.start_audit_writer(store)
    writer.linger_s = 60.0
    yield writer
    writer.stop()


def test_without_a_writer_the_record_is_written_before_recording_returns(store: Store) -> None:
    record_recommendation(store, {"description": "ERP"}, _answer("r_now"), None)

    assert _stored(store) == 1


def test_with_a_writer_recording_only_queues(store: Store, slow_writer: AuditWriter) -> None:
    record_recommendation(store, {"description": "ERP"}, _answer("r_queued"), "k1")

    assert _stored(store) == 0
    assert slow_writer.pending("r_queued")


def test_a_queued_record_survives_a_clean_stop(store: Store, slow_writer: AuditWriter) -> None:
    for number in range(3):
        record_recommendation(store, {"description": "ERP"}, _answer(f"r_{number}"), "k1")

    slow_writer.stop()

    assert _stored(store) == 3
    assert get_recommendation(store, "r_2")["results"][0]["reason"] == "Speaks German"  # type: ignore[index]


def test_a_queued_record_is_found_the_moment_it_is_asked_for(
    store: Store, slow_writer: AuditWriter
) -> None:
    record_recommendation(store, {"description": "ERP"}, _answer("r_asked"), "k1")

    record = get_recommendation(store, "r_asked")

    assert record is not None and record["key_id"] == "k1"
    assert not slow_writer.pending("r_asked")


def test_records_arriving_together_are_written_in_one_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    write = audit._write

    def counting(store: Store, rows: Sequence[dict[str, Any]]) -> None:
        batches.append(len(rows))
        write(store, rows)

    monkeypatch.setattr(audit, "_write", counting)
    writer = AuditWriter(store, linger_s=60.0).start()
    for number in range(5):
        writer.submit(audit._row(_answer(f"r_{number}"), {"description": "ERP"}, None, "api"))

    writer.flush()
    writer.stop()

    assert batches == [5]
    assert _stored(store) == 5


def test_a_record_that_cannot_be_written_is_logged_and_the_rest_are_kept(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    record_recommendation(store, {"description": "ERP"}, _answer("r_taken"), None)
    writer = AuditWriter(store, linger_s=60.0).start()
    for recommendation_id in ("r_new", "r_taken", "r_other"):  # r_taken is already stored
        writer.submit(audit._row(_answer(recommendation_id), {"description": "ERP"}, None, "api"))

    with caplog.at_level(logging.ERROR, logger="matcher.audit"):
        writer.stop()

    assert _stored(store) == 3
    assert "audit record r_taken not written" in caplog.text
