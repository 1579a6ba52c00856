"""Pausing a partner: ``Store.set_paused_until`` and ``partnermatch partners pause``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update
from typer.testing import CliRunner

from matcher.cli import app
from matcher.schemas import Partner
from matcher.settings import Settings
from matcher.store import Store, partners

runner = CliRunner()
FUTURE = date.today() + timedelta(days=60)


def _partner() -> Partner:
    return Partner(
        partner_id="P-000042",
        name="Acme Consulting",
        partner_type="consultancy",
        languages=["de"],
        countries=["DACH"],
        certifications=["Data Pro:3"],
        active_projects=2,
        max_projects=5,
        last_active=date(2026, 11, 2),
        csat=88,
    )


def test_set_paused_until_changes_that_field_only(store: Store) -> None:
    store.upsert_partners([_partner()])
    before = store.get_partner("P-000042")
    assert before is not None and before.paused_until is None
    paused = store.set_paused_until("P-000042", FUTURE)
    assert paused is not None and paused.paused_until == FUTURE
    stored = store.get_partner("P-000042")
    assert stored == before.model_copy(update={"paused_until": FUTURE})
    cleared = store.set_paused_until("P-000042", None)
    assert cleared is not None and store.get_partner("P-000042") == before


def test_set_paused_until_of_an_unknown_partner_is_none(store: Store) -> None:
    assert store.set_paused_until("P-404", FUTURE) is None
    assert store.count_partners() == 0


def test_a_profile_that_no_longer_validates_is_not_written(store: Store) -> None:
    store.upsert_partners([_partner()])
    with store.transaction() as conn:
        conn.execute(
            update(partners)
            .where(partners.c.partner_id == "P-000042")
            .values(profile={**_partner().model_dump(mode="json"), "csat": 250})
        )
    fingerprint = store.partner_fingerprint()
    with pytest.raises(ValidationError):
        store.set_paused_until("P-000042", FUTURE)
    assert store.partner_fingerprint() == fingerprint


def test_cli_pause_and_clear(settings: Settings) -> None:
    store = Store.from_settings(settings)
    store.upsert_partners([_partner()])
    result = runner.invoke(app, ["partners", "pause", "P-000042", "--until", FUTURE.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"P-000042 is paused until {FUTURE.isoformat()}" in result.output
    assert store.get_partner("P-000042").paused_until == FUTURE  # type: ignore[union-attr]
    result = runner.invoke(app, ["partners", "pause", "P-000042", "--clear"])
    assert result.exit_code == 0, result.output
    assert "P-000042 is not paused" in result.output
    assert store.get_partner("P-000042") == _partner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "31/01/2027"], "is not a date"),
        (["--until", (date.today() - timedelta(days=1)).isoformat()], "is not after today"),
        (["--until", date.today().isoformat()], "is not after today"),
        ([], "either --until DATE or --clear"),
        (["--clear", "--until", FUTURE.isoformat()], "either --until DATE or --clear"),
    ],
)
def test_cli_pause_refuses_bad_options_and_changes_nothing(
    settings: Settings, args: list[str], message: str
) -> None:
    store = Store.from_settings(settings)
    store.upsert_partners([_partner()])
    result = runner.invoke(app, ["partners", "pause", "P-000042", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert store.get_partner("P-000042") == _partner()


def test_cli_pause_of_an_unknown_partner_is_a_clear_error(settings: Settings) -> None:
    result = runner.invoke(app, ["partners", "pause", "P-404", "--until", FUTURE.isoformat()])
    assert result.exit_code == 1
    assert "no partner with id 'P-404'" in result.output
    assert "Traceback" not in result.output
