"""Prometheus metrics read from the engine at scrape time: how concentrated exposure is, how
often the query-embedding cache spares the model.

Both change with every answer; a metric set per request would cost every request, so the
collectors ask the engine's ledger and the cache's counts when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from matcher.embedding.cache import query_cache
from matcher.engine.service import MatchingService


class ExposureCollector(Collector):
    """``partnermatch_exposure_top_share``, ``_gini`` and ``_slots`` (top-5 slots served since
    the engine loaded, counting the audit log's answers)."""

    def __init__(self, service: MatchingService) -> None:
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges, or none while no engine is loaded."""
        figures = self.service.exposure_concentration()
        if figures is None:
            return
        yield GaugeMetricFamily(
            "partnermatch_exposure_top_share",
            "Share of top-5 slots taken by the most-exposed 5% of partners.",
            value=figures["top_share"],
        )
        yield GaugeMetricFamily(
            "partnermatch_exposure_gini",
            "Gini coefficient of top-5 slots per partner (0 even, 1 one partner takes all).",
            value=figures["gini"],
        )
        yield GaugeMetricFamily(
            "partnermatch_exposure_slots",
            "Top-5 slots served and counted.",
            value=figures["slots"],
        )


class QueryCacheCollector(Collector):
    """``partnermatch_query_cache_hits_total`` and ``_misses_total`` (one lookup per text a
    request embeds: its query text and each of its phrases) and ``_entries``, of the
    process's query-embedding cache (:class:`matcher.embedding.cache.QueryCache`)."""

    def __init__(self, service: MatchingService) -> None:
        self.service = service

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """The counts since the process started."""
        stats = query_cache(self.service.embedder).stats()
        yield CounterMetricFamily(
            "partnermatch_query_cache_hits",
            "Texts of requests whose embedding came from the query cache.",
            value=stats.hits,
        )
        yield CounterMetricFamily(
            "partnermatch_query_cache_misses",
            "Texts of requests the model embedded (then cached).",
            value=stats.misses,
        )
        yield GaugeMetricFamily(
            "partnermatch_query_cache_entries",
            f"Vectors held by the query cache (at most {stats.capacity}).",
            value=stats.entries,
        )
