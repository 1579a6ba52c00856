"""``partnermatch exposure``: concentration of the served top slots, from the audit log."""

from __future__ import annotations

from typer.testing import CliRunner

from matcher.audit import record_recommendation
from matcher.cli import app
from matcher.store import Store


def _served(store: Store, number: int, partner_ids: list[str]) -> None:
    answer = {
        "recommendation_id": f"r_{number}",
        "model_version": "matrix-default",
        "index_version": "test",
        "results": [
            {"partner_id": pid, "rank": rank, "score": 0.5}
            for rank, pid in enumerate(partner_ids, 1)
        ],
    }
    record_recommendation(store, {"description": "x"}, answer, key_id=None)


def test_exposure_reports_concentration_and_the_most_exposed(store: Store) -> None:
    for number in range(4):
        _served(store, number, ["P-1", "P-2", "P-3", "P-4", "P-5", "P-6"])
    result = CliRunner().invoke(app, ["exposure", "--top", "2"])
    assert result.exit_code == 0, result.output
    # only the top 5 of each answer count; no partners are stored, so the 5 seen are the pool
    assert result.output.startswith("20 top-5 slots served")
    assert "Gini 0.000" in result.output
    assert "P-1  4" in result.output and "P-6" not in result.output
