"""Every channel that serves a recommendation leaves one audit record: here the widget, whose
caller never sees an id or a score (MCP's record is checked in test_mcp.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from matcher.audit import records_since
from tests.api.conftest import SampleApi


def test_a_widget_call_is_audited_under_its_key(sample_api: SampleApi) -> None:
    client, headers = sample_api.client, sample_api.headers
    store = client.app.state.store  # type: ignore[attr-defined]
    widget_key_id = headers["widget"]["Authorization"].split("_")[1]
    response = client.get(
        "/v1/widget/recommendations",
        params={"context": "automate resource planning with templates", "top_k": 2},
        headers=headers["widget"],
    )
    assert response.status_code == 200, response.text
    served = [p["partner_id"] for p in response.json()["partners"]]
    # the server writes the log off the request path: read it as the audit export does, which
    # writes what is still queued first (a direct SELECT raced the writer and saw nothing)
    everything = records_since(store, datetime(2000, 1, 1, tzinfo=UTC))
    rows = [record for record in everything if record["channel"] == "widget"]
    assert len(rows) == 1
    record = rows[0]
    assert record["key_id"] == widget_key_id
    assert record["request"]["description"] == "automate resource planning with templates"
    assert [r["partner_id"] for r in record["results"]] == served
    assert all(0 <= r["score"] <= 1 for r in record["results"])
