"""The live service: a partner write does not hold requests while it is prepared."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
import pytest

from matcher.embedding.base import FakeEmbedder
from matcher.engine.service import MatchingService
from matcher.ipp.base import NeutralScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store

SLOW = "slowtoembed"


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, except that a text holding :data:`SLOW` waits for ``release``
    (after setting ``entered``): a model call that takes as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if any(SLOW in text for text in texts):
            self.entered.set()
            self.release.wait(timeout=30)
        return super().embed(texts, progress)


def _partner(partner_id: str, description: str) -> Partner:
    return Partner(
        partner_id=partner_id,
        name=partner_id,
        partner_type="consultancy",
        description=description,
        countries=["DE"],
    )


def test_a_request_is_answered_while_a_partner_write_is_being_embedded(
    store: Store, settings: Settings
) -> None:
    # issue 12: an admin PUT took 1.2-2.3 s and every request waited for it; now only the
    # swap of the prepared change excludes requests
    store.upsert_partners([_partner("P-1", "ERP migration"), _partner("P-2", "HIPAA audits")])
    embedder = GatedEmbedder()
    service = MatchingService(store, settings, embedder, NeutralScorer)
    service.start()
    writer = threading.Thread(
        target=service.upsert_partner, args=(_partner("P-3", f"SAP rollouts {SLOW}"),)
    )
    writer.start()
    try:
        assert embedder.entered.wait(timeout=10), "the write never reached the embedder"
        answers: list[dict[str, object]] = []
        reader = threading.Thread(
            target=lambda: answers.append(service.recommend(Deal(description="ERP migration")))
        )
        reader.start()
        reader.join(timeout=10)
        assert answers, "the request waited for the partner write"
        assert "P-3" not in [r["partner_id"] for r in answers[0]["results"]]  # type: ignore[attr-defined]
    finally:
        embedder.release.set()
        writer.join(timeout=30)
    found = service.recommend(Deal(description="SAP rollouts"))["results"]
    assert "P-3" in [result["partner_id"] for result in found]


class LoadCountingEmbedder(FakeEmbedder):
    """The fake embedder, noting whether the service had reported ready at each call."""

    def __init__(self) -> None:
        super().__init__()
        self.service: MatchingService | None = None
        self.ready_at_calls: list[bool] = []

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        assert self.service is not None
        self.ready_at_calls.append(self.service.ready)
        return super().embed(texts, progress)


def test_the_embedding_model_is_used_once_before_the_service_says_ready(
    store: Store, settings: Settings
) -> None:
    # the USE model reads its weights on first use (~2 s): a server whose index was loaded
    # from disk said ready and then stalled its first requests while the model loaded
    store.upsert_partners([_partner("P-1", "ERP migration")])
    MatchingService(store, settings, FakeEmbedder(), NeutralScorer).start()  # saves an index
    embedder = LoadCountingEmbedder()
    service = embedder.service = MatchingService(store, settings, embedder, NeutralScorer)
    service.start()
    assert service.ready
    assert embedder.ready_at_calls[:1] == [False]


def test_a_partner_made_without_validation_is_served_as_the_store_reads_it(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store.upsert_partners([_partner("P-1", "ERP migration"), _partner("P-2", "HIPAA audits")])
    service = MatchingService(store, settings, FakeEmbedder(), NeutralScorer)
    service.start()
    # model_copy skips the validators: the store strips the description's spaces
    copied = _partner("P-1", "ERP migration").model_copy(
        update={"partner_id": "P-3", "description": "  wombat routing  "}
    )
    with caplog.at_level(logging.WARNING, logger="matcher.engine.service"):
        service.upsert_partner(copied)
    assert "no stored vector" not in caplog.text
    row_id, _ = store.get_partner_row("P-3") or (0, None)
    assert store.get_partners_by_row([row_id])[row_id].description == "wombat routing"
    found = service.recommend(Deal(description="wombat routing", strict=False))["results"]
    assert [result["partner_id"] for result in found][:1] == ["P-3"]  # type: ignore[index]
