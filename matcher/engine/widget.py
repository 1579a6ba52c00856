"""In-app suggestions: partners for what a customer is building, public fields only.

The widget is customer-facing: it may show what a partner publishes about itself (DESIGN.md
3.1 public fields) and never an internal metric — no score, win rate, revenue, CSAT or 4 C.
Each suggestion also names the partner's templates/integrations that fit the context.
"""

from __future__ import annotations

import re
from typing import Any

from matcher.audit import record_recommendation
from matcher.engine.service import MatchingService
from matcher.schemas import Deal

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOPWORDS = frozenset({"the", "and", "for", "with", "our", "your", "from", "that", "this", "into"})


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def matching_assets(assets: list[str], context: str) -> list[str]:
    """The assets whose names share a word with the context, best overlap first."""
    context_words = _words(context)
    scored = [
        (len(_words(asset.partition(":")[2]) & context_words), position, asset)
        for position, asset in enumerate(assets)
    ]
    return [asset for overlap, _, asset in sorted(scored, key=lambda s: (-s[0], s[1])) if overlap]


def widget_suggestions(
    service: MatchingService,
    context: str,
    country: str | None = None,
    languages: list[str] | None = None,
    top_k: int = 3,
    key_id: str | None = None,
    channel: str = "widget",
) -> list[dict[str, Any]]:
    """Partner suggestions for an in-app ``context``, as public profiles plus matching assets.

    Country and languages, when given, are hard constraints (a customer in Japan is not shown
    a partner who does not serve Japan). The served answer is audited under ``channel``, as
    every other recommendation is, although the caller sees none of its scores.
    """
    deal = Deal(description=context, country=country, languages=languages or [], top_k=top_k)
    answer = service.recommend(deal)
    record_recommendation(service.store, deal.model_dump(mode="json"), answer, key_id, channel)
    suggestions: list[dict[str, Any]] = []
    for result in answer["results"]:
        partner = service.partner(result["partner_id"])
        if partner is None:  # deleted between ranking and rendering
            continue
        public = partner.public()
        public["rank"] = len(suggestions) + 1
        public["matching_assets"] = matching_assets(partner.assets, context)
        suggestions.append(public)
    return suggestions
