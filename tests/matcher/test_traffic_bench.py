"""The benchmarks' request streams: seller deal texts never repeat, widget contexts do."""

from __future__ import annotations

from pathlib import Path

from bench.traffic import mixed_stream, seller_deals, widget_contexts
from matcher.embedding.base import deal_text
from training.evaluate import read_judged

JUDGED = [
    item.deal
    for item in read_judged(Path(__file__).resolve().parents[2] / "data/sample/judged_deals.jsonl")
]


def test_seller_deal_texts_never_repeat() -> None:
    texts = [deal_text(deal) for deal in seller_deals(JUDGED, 500)]

    assert len(texts) == 500 and len(set(texts)) == 500


def test_a_mixed_stream_is_half_widget_contexts_that_repeat() -> None:
    stream = mixed_stream(JUDGED, 1_000)

    widget = [deal_text(r.deal) for r in stream if r.channel == "widget"]
    assert 400 < len(widget) < 600
    assert set(widget) <= set(widget_contexts())
    assert len(set(widget)) < len(widget) / 3  # popular pages come back
    assert all(r.deal.top_k == 3 for r in stream if r.channel == "widget")
