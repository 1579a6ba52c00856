"""The recruiting service keeps screening on its last scorer while a partner write's rebuild
runs in the background (a rebuild is ~3 s at 10k partners)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from matcher.embedding.base import FakeEmbedder
from matcher.recruiting import service as recruiting
from matcher.recruiting.service import RecruitingService
from matcher.schemas import Partner
from matcher.settings import Settings
from matcher.store import Store

ROWS = [(2, {"partner_id": "X-1", "name": "Prospect GmbH", "partner_type": "reseller"})]


def _partner(number: int) -> Partner:
    return Partner(
        partner_id=f"P-{number}",
        name=f"Partner {number}",
        partner_type="system_integrator",
        employees=10 * number,
        countries=["DE"],
    )


class GatedBuilds:
    """``prospect_scorer_for`` that, once closed, waits for ``release`` (noting ``entered``)."""

    def __init__(self) -> None:
        self.original = recruiting.prospect_scorer_for
        self.closed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = False
        self.builds = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.builds += 1
        if self.closed:
            self.entered.set()
            assert self.release.wait(timeout=30)
        if self.fail:
            raise RuntimeError("store unreachable")
        return self.original(*args, **kwargs)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> GatedBuilds:
    builds = GatedBuilds()
    monkeypatch.setattr(recruiting, "prospect_scorer_for", builds)
    return builds


def test_a_partner_write_does_not_make_the_next_screening_wait_for_a_rebuild(
    store: Store, settings: Settings, gated: GatedBuilds
) -> None:
    store.upsert_partners([_partner(n) for n in range(1, 6)])
    service = RecruitingService(store, settings, FakeEmbedder())
    scored, _ = service.screen(ROWS)  # the first screening builds the scorer
    before = service._bases["lexical"]
    assert gated.builds == 1 and len(scored) == 1

    store.upsert_partners([_partner(6)])
    service.invalidate()
    gated.closed = True
    answered: list[object] = []
    screening = threading.Thread(target=lambda: answered.append(service.screen(ROWS)))
    screening.start()
    screening.join(timeout=10)
    assert answered, "the screening waited for the rebuild"
    assert gated.entered.wait(timeout=10), "no rebuild was started"
    assert service._bases["lexical"] is before  # served by the scorer built before the write
    service.screen(ROWS)  # a second request while it runs starts no second rebuild
    gated.release.set()
    service.wait_for_rebuilds(timeout=30)
    assert gated.builds == 2
    assert service._bases["lexical"] is not before
    service.screen(ROWS)
    assert gated.builds == 2  # fresh again: nothing more to build


def test_a_failed_rebuild_keeps_the_old_scorer_and_is_tried_again(
    store: Store, settings: Settings, gated: GatedBuilds, caplog: pytest.LogCaptureFixture
) -> None:
    store.upsert_partners([_partner(n) for n in range(1, 4)])
    service = RecruitingService(store, settings, FakeEmbedder())
    service.screen(ROWS)
    before = service._bases["lexical"]
    service.invalidate()
    gated.fail = True
    service.screen(ROWS)
    service.wait_for_rebuilds(timeout=30)
    assert service._bases["lexical"] is before
    assert "rebuilding the lexical prospect scorer failed" in caplog.text
    gated.fail = False
    service.screen(ROWS)  # still stale: another rebuild starts, and succeeds
    service.wait_for_rebuilds(timeout=30)
    assert service._bases["lexical"] is not before
