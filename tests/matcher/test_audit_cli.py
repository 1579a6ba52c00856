"""``partnermatch audit export`` and ``purge``: the log out as JSON Lines, retention applied."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from matcher.audit import record_recommendation
from matcher.cli import app
from matcher.store import Store, recommendations_served


def _served(store: Store, recommendation_id: str, age_days: int) -> None:
    answer = {
        "recommendation_id": recommendation_id,
        "model_version": "matrix",
        "index_version": "i1",
        "results": [{"partner_id": "P-1", "rank": 1, "score": 0.8}],
    }
    record_recommendation(store, {"description": "ERP"}, answer, None, channel="cli")
    with store.transaction() as connection:
        connection.execute(
            update(recommendations_served)
            .where(recommendations_served.c.recommendation_id == recommendation_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=age_days))
        )


def test_export_writes_the_records_since_a_date_and_purge_applies_retention(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _served(store, "r_old", age_days=400)
    _served(store, "r_new", age_days=1)
    out = tmp_path / "audit.jsonl"
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    result = CliRunner().invoke(app, ["audit", "export", "--since", since, "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["recommendation_id"] for r in records] == ["r_new"]
    assert records[0]["results"][0]["partner_id"] == "P-1" and records[0]["channel"] == "cli"

    monkeypatch.setenv("PARTNERMATCH_AUDIT_RETENTION_DAYS", "365")
    purged = CliRunner().invoke(app, ["audit", "purge"])
    assert purged.exit_code == 0, purged.output
    everything = tmp_path / "all.jsonl"
    CliRunner().invoke(app, ["audit", "export", "--since", "2000-01-01", "-o", str(everything)])
    assert [json.loads(line)["recommendation_id"] for line in everything.open()] == ["r_new"]


def test_export_with_a_bad_date_names_the_option(store: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["audit", "export", "--since", "last tuesday", "-o", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code == 2
    assert "last tuesday" in result.output and "Traceback" not in result.output
