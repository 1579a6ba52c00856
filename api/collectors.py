"""Prometheus gauges read from the engine at scrape time: how concentrated exposure is.

Exposure changes with every answer; a gauge set per request would cost every request, so the
collector asks the engine's ledger when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
