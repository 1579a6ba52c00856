"""Why a result is above the next one: the features whose contributions made the difference.

Both rankers score a candidate as a sum of per-feature contributions (the hand weights as a
weighted mean, the learned ranker as a linear score), so the gap between two neighbours in the
answer is exactly the sum of their contribution differences. The largest positive differences
are what put the higher one there; naming them makes each reason specific to its place in the
list instead of the same sentence for every result.
"""

from __future__ import annotations

from collections.abc import Mapping

FEATURE_LABELS: Mapping[str, str] = {
    "semantic": "closer description match",
    "lexical": "more of the brief's words",
    "specialisms": "closer specialisms",
    "industry": "works in the industry",
    "track_record": "more won deals in the industry",
    "segment": "serves the segment",
    "capacity": "more free capacity",
    "ipp": "stronger IPP fit",
    "languages": "speaks the languages",
    "certifications": "holds the certifications",
    "country": "serves the country",
    "partner_types": "the partner type asked for",
    "win_rate": "higher win rate",
    "outcomes": "longer track record",
    "role_wins": "more deals won as the lead",
    "accepted": "accepted more often by sellers",
    "rejected_expertise": "fewer rejections for expertise",
    "rejected_capacity": "fewer rejections for capacity",
    "rejected_reach": "fewer rejections for region or language",
    "rejected_other": "fewer rejections",
    "recency": "more recently active",
}
# a difference smaller than this share of the gap is noise, not a reason
MIN_SHARE = 0.1
MAX_REASONS = 2


def edge_over(
    higher: Mapping[str, float],
    lower: Mapping[str, float],
    higher_values: Mapping[str, float],
    lower_values: Mapping[str, float],
) -> list[str]:
    """The features (at most :data:`MAX_REASONS`, largest first) whose contributions put the
    candidate ``higher`` above ``lower``.

    A feature is named only when the values agree with its label (a rejection feature when the
    higher candidate has *fewer* rejections, any other when it has *more*): a fitted
    coefficient of an unexpected sign adds to the score but is no reason a seller would accept.
    """
    gains: list[tuple[float, str]] = []
    for name in {*higher, *lower}:
        gain = higher.get(name, 0.0) - lower.get(name, 0.0)
        value_gap = higher_values.get(name, 0.0) - lower_values.get(name, 0.0)
        if gain > 0 and value_gap * (-1.0 if name.startswith("rejected_") else 1.0) > 0:
            gains.append((gain, name))
    gains.sort(reverse=True)
    total = sum(gain for gain, _ in gains)
    if total <= 0:
        return []
    return [name for gain, name in gains[:MAX_REASONS] if gain >= MIN_SHARE * total]


def edge_sentence(features: list[str], rank: int) -> str:
    """``"Above #3: serves the country, closer specialisms"``; empty when nothing stands out
    (a tie broken by partner id)."""
    if not features:
        return ""
    return f"Above #{rank + 1}: " + ", ".join(FEATURE_LABELS.get(f, f) for f in features)
