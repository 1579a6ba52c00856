"""A simulated partner ecosystem with a documented hidden truth, for demos, tests and benchmarks.

Three files come out, in the formats of DESIGN.md 3.1-3.3: ``partners.csv`` (or ``.jsonl``),
``outcomes.csv`` (history of partner-attached deals) and ``judged_deals.jsonl`` (deal requests
with graded relevance, for evaluating recommenders). Behind them sits a hidden truth per partner
(:class:`PartnerTruth`: a latent quality and the true capability, industry, country, language
and certification sets); wins and relevance grades are computed from it by the formulas in
``data/README.md``, whose coefficients are the constants :data:`WIN_MODEL` and
:data:`RELEVANCE`.

Everything is drawn from ``numpy.random.default_rng`` streams keyed by ``(seed, stream, chunk)``:
the same seed gives byte-identical files, and the first ``k`` partners are the same whatever the
total. Partner rows are written chunk by chunk; only compact numpy arrays of the hidden truth are
kept (about 90 MB for a million partners).

One module per concern, each importing only those above it:

- :mod:`~training.simulate.truth`: the hidden truth model (partner business models, quality, true
  sets), the reference arrays built from the vocabulary and the seeded random draws;
- :mod:`~training.simulate.partners`: partner profiles, the public rows drawn from the truth;
- :mod:`~training.simulate.outcomes`: deal outcomes and the hidden win model;
- :mod:`~training.simulate.judged`: judged deal requests and the hidden relevance model;
- :mod:`~training.simulate.writer`: the CSV/JSONL files and :func:`simulate`, which writes them.

Example:
    >>> from pathlib import Path
    >>> summary = simulate(Path("/tmp/eco"), n_partners=200, n_deals=500, n_judged=5)
    >>> summary.partners_path.name, summary.n_outcomes
    ('partners.csv', 500)
"""

from __future__ import annotations

from training.simulate.judged import (
    MAX_JUDGED_PARTNERS,
    RELEVANCE,
    RelevanceModel,
    judged_deals,
)
from training.simulate.outcomes import SEGMENT_CYCLE_DAYS, WIN_MODEL, WinModel
from training.simulate.partners import (
    DEALS_PER_PARTNER_YEAR,
    MISSING_RATES,
    TIER_THRESHOLDS,
    generate_partners,
)
from training.simulate.truth import (
    HISTORY_DAYS,
    LANGUAGES_MISSING_RATE,
    PARETO_SIGMA,
    PARTNER_CHUNK,
    REFERENCE_DATE,
    SEGMENT_DEAL_SIZE,
    SEGMENT_SHARES,
    STRONG_QUALITY,
    TYPE_PROFILES,
    PartnerTruth,
    TypeProfile,
    partner_truth,
)
from training.simulate.writer import (
    DEAL_CHUNK,
    FORMATS,
    OUTCOME_COLUMNS,
    PARTNER_COLUMNS,
    Progress,
    SimulationSummary,
    simulate,
)

__all__ = [
    "DEALS_PER_PARTNER_YEAR",
    "DEAL_CHUNK",
    "FORMATS",
    "HISTORY_DAYS",
    "LANGUAGES_MISSING_RATE",
    "MAX_JUDGED_PARTNERS",
    "MISSING_RATES",
    "OUTCOME_COLUMNS",
    "PARETO_SIGMA",
    "PARTNER_CHUNK",
    "PARTNER_COLUMNS",
    "REFERENCE_DATE",
    "RELEVANCE",
    "SEGMENT_CYCLE_DAYS",
    "SEGMENT_DEAL_SIZE",
    "SEGMENT_SHARES",
    "STRONG_QUALITY",
    "TIER_THRESHOLDS",
    "TYPE_PROFILES",
    "WIN_MODEL",
    "PartnerTruth",
    "Progress",
    "RelevanceModel",
    "SimulationSummary",
    "TypeProfile",
    "WinModel",
    "generate_partners",
    "judged_deals",
    "partner_truth",
    "simulate",
]
