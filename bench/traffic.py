"""Request streams for the speed benchmarks: seller deals that never repeat, widget contexts
that do.

A seller writes each deal afresh, so a seller's query text is new to the server (its
specialism phrases recur across deals). The in-app widget sends the page's ``data-context``
(``api/static/widget.js``): the same few texts, from every customer on that page, again and
again. The query-embedding cache is worth what the mix of the two makes of it, so it is
measured on a stream of both:

* **seller deals**: the simulated judged deals, deal ``i``'s description, fields and
  constraints with deal ``j``'s specialisms for every pair ``i != j`` in a fixed shuffled
  order (the 200 judged deals of the 100k ecosystem make 12,901 different query texts, many share
  a specialisms list; none is repeated in a stream);
* **widget contexts**: what a customer builds in the product, worded as the simulated
  vocabulary's buyers word a need ("getting one view of every project the company is running")
  and as its template and integration names ("Executive portfolio dashboard"): 178 pages,
  drawn by a Zipf law (exponent 1.1: a few pages take most of the traffic), each with a
  customer country drawn from the judged deals' and ``top_k`` 3, as the widget asks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from matcher.embedding.base import deal_text
from matcher.schemas import Deal

ZIPF_EXPONENT = 1.1
WIDGET_TOP_K = 3


@dataclass(frozen=True)
class Request:
    """One request of a stream: which channel sends it, and the deal it asks for."""

    channel: str  # "seller" or "widget"
    deal: Deal


def seller_deals(judged: Sequence[Deal], n: int, seed: int = 0) -> list[Deal]:
    """``n`` seller deals whose query texts never repeat (see the module docstring); fewer
    when the judged deals cannot make that many different texts."""
    pairs = [(i, j) for i in range(len(judged)) for j in range(len(judged)) if i != j]
    random.Random(seed).shuffle(pairs)
    made: list[Deal] = []
    seen: set[str] = set()
    for i, j in pairs:
        deal = judged[i].model_copy(update={"specialisms": judged[j].specialisms})
        text = deal_text(deal)
        if text and text not in seen:
            seen.add(text)
            made.append(deal)
            if len(made) == n:
                break
    return made


def widget_contexts() -> list[str]:
    """The pages the widget is embedded on: buyer wordings of each simulated capability and
    the names of its templates, integrations and accelerators, each once."""
    from training.simulate.vocabulary import load

    contexts = [
        text
        for capability in load().capabilities
        for text in (*capability.buyer, *(name for _, name in capability.assets))
    ]
    return list(dict.fromkeys(text[:1].upper() + text[1:] for text in contexts))


def widget_deals(judged: Sequence[Deal], n: int, seed: int = 0) -> list[Deal]:
    """``n`` widget requests: contexts drawn by popularity (Zipf), a customer country each."""
    rng = np.random.default_rng(seed)
    contexts = widget_contexts()
    rng.shuffle(contexts)  # which page is popular is arbitrary; how skewed it is is not
    popularity = 1.0 / np.arange(1, len(contexts) + 1) ** ZIPF_EXPONENT
    drawn = rng.choice(len(contexts), size=n, p=popularity / popularity.sum())
    countries: list[str | None] = [deal.country for deal in judged if deal.country] or [None]
    return [
        Deal(
            description=contexts[page],
            country=countries[int(rng.integers(len(countries)))],
            top_k=WIDGET_TOP_K,
        )
        for page in drawn.tolist()
    ]


def mixed_stream(
    judged: Sequence[Deal], n: int, widget_share: float = 0.5, seed: int = 0
) -> list[Request]:
    """``n`` requests, ``widget_share`` of them from the widget, interleaved at random."""
    rng = random.Random(seed)
    channels = ["widget" if rng.random() < widget_share else "seller" for _ in range(n)]
    sellers: Iterator[Deal] = iter(seller_deals(judged, channels.count("seller"), seed))
    widgets: Iterator[Deal] = iter(widget_deals(judged, channels.count("widget"), seed))
    return [
        Request(channel, next(widgets if channel == "widget" else sellers)) for channel in channels
    ]
