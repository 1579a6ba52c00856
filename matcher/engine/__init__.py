"""The matching engine: a deal's terms and hard constraints, filtered vector and BM25
retrieval, signals, ranking and explanations, held in memory and served.

Example::

    from matcher.engine import load_engine
    engine = load_engine(store, embedder, scorer, settings)
    answer = engine.recommend(deal)
"""

from matcher.engine.build import (
    assemble_engine,
    build_engine,
    engine_state,
    index_dir,
    load_engine,
)
from matcher.engine.filters import FilterResult, PartnerColumns
from matcher.engine.index import (
    IndexLoadError,
    IndexManifest,
    PartnerIndex,
    bitmap_selector,
    packed_selector,
    read_manifest,
)
from matcher.engine.query import DealTerms, read_terms
from matcher.engine.recommender import SIGNALS, Candidate, RankingWeights, Recommender
from matcher.engine.service import EngineNotReady, MatchingService
from matcher.engine.widget import widget_suggestions

__all__ = [
    "SIGNALS",
    "Candidate",
    "DealTerms",
    "EngineNotReady",
    "FilterResult",
    "IndexLoadError",
    "IndexManifest",
    "MatchingService",
    "PartnerColumns",
    "PartnerIndex",
    "RankingWeights",
    "Recommender",
    "assemble_engine",
    "bitmap_selector",
    "build_engine",
    "engine_state",
    "index_dir",
    "load_engine",
    "packed_selector",
    "read_manifest",
    "read_terms",
    "widget_suggestions",
]
