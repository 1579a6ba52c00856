"""``partnermatch demo`` (what ``make demo`` runs before ``serve``): the port first, then only
what is not current. The scenario that broke: a second ``make demo`` re-ingested the sample,
revoked the keys the user had pasted, and only then failed on the busy port."""

from __future__ import annotations

import csv
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import matcher.embedding.factory
from matcher import keys
from matcher.cli import app
from matcher.cli.demo import demo_keys, load_sample, port_problem, stamp_path, why_load
from matcher.embedding import FakeEmbedder
from matcher.settings import Settings
from matcher.store import Store, partners
from tests.conftest import SAMPLE


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The first 25 sample partners and their outcomes (the real files' rows, fewer)."""
    folder = tmp_path / "sample"
    folder.mkdir()
    with (SAMPLE / "partners.csv").open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [row for _, row in zip(range(25), reader, strict=False)]
        _write(folder / "partners.csv", reader.fieldnames or [], rows)
    kept = {row["partner_id"] for row in rows}
    with (SAMPLE / "outcomes.csv").open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        outcomes = [row for row in reader if row["partner_id"] in kept]
        _write(folder / "outcomes.csv", reader.fieldnames or [], outcomes)
    return folder


def _write(path: Path, columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something is listening on (as an earlier demo's server would be)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _updated_at(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        return list(connection.execute(select(partners.c.updated_at)).scalars())


# -- the port ----------------------------------------------------------------------------------


def test_a_busy_port_is_named_with_the_way_out(listening: int) -> None:
    problem = port_problem("127.0.0.1", listening)
    assert problem is not None
    assert f"port {listening} on 127.0.0.1 is already in use" in problem
    assert f"PORT={listening + 1} make demo" in problem


def test_a_free_port_has_no_problem(free_port: int) -> None:
    assert port_problem("127.0.0.1", free_port) is None


def test_an_unknown_host_is_a_problem_not_a_crash() -> None:
    assert "cannot resolve the host" in (port_problem("no-such-host.invalid", 8000) or "")


def test_a_busy_port_fails_the_demo_before_any_work(
    settings: Settings, sample: Path, listening: int
) -> None:
    result = CliRunner().invoke(app, ["demo", "--port", str(listening), "--sample", str(sample)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: port {listening} on 127.0.0.1 is already in use (an earlier `make demo` still "
        f"serving?): stop it, or choose another port: PORT={listening + 1} make demo"
    ]
    assert not stamp_path(settings).exists()
    store = Store.from_settings(settings)
    assert store.count_partners() == 0
    assert keys.list_keys(store) == []


# -- the sample --------------------------------------------------------------------------------


def test_the_sample_is_loaded_once_then_kept(
    settings: Settings, store: Store, sample: Path
) -> None:
    assert why_load(store, settings, sample) == "not loaded by the demo yet"
    stamp = load_sample(store, settings, sample)
    assert (stamp.partners, stamp.outcomes) == (25, store.count_outcomes())
    assert stamp.outcomes > 0
    assert why_load(store, settings, sample) is None


def test_a_changed_sample_file_is_loaded_again(
    settings: Settings, store: Store, sample: Path
) -> None:
    load_sample(store, settings, sample)
    lines = (sample / "outcomes.csv").read_text("utf-8").splitlines(keepends=True)
    (sample / "outcomes.csv").write_text("".join(lines[:-1]), "utf-8")
    assert why_load(store, settings, sample) == "outcomes.csv changed since the demo loaded it"


def test_deleted_partners_load_the_sample_again(
    settings: Settings, store: Store, sample: Path
) -> None:
    load_sample(store, settings, sample)
    store.delete_partner("P-000001")
    assert "fewer partners or outcomes" in (why_load(store, settings, sample) or "")


def test_a_change_made_through_the_service_is_kept(
    settings: Settings, store: Store, sample: Path
) -> None:
    from datetime import date, timedelta

    load_sample(store, settings, sample)
    store.set_paused_until("P-000001", date.today() + timedelta(days=30))
    assert why_load(store, settings, sample) is None


# -- the keys ----------------------------------------------------------------------------------


def test_demo_keys_are_made_once_and_kept_after(store: Store) -> None:
    created, kept = demo_keys(store)
    assert (list(created), kept) == (list(keys.ROLES), [])
    again, kept = demo_keys(store)
    assert again == {}
    assert sorted(key.role for key in kept) == sorted(keys.ROLES)
    # the keys pasted after the first run still work
    assert all(keys.verify_key(store, secret) is not None for secret in created.values())


def test_only_a_missing_role_gets_a_new_demo_key(store: Store) -> None:
    created, _ = demo_keys(store)
    seller = next(key for key in keys.list_keys(store) if key.role == "seller")
    keys.revoke_key(store, seller.key_id)
    again, kept = demo_keys(store)
    assert list(again) == ["seller"]
    assert len(kept) == 3
    assert keys.verify_key(store, created["admin"]) is not None


# -- the whole command -------------------------------------------------------------------------


def test_a_second_demo_keeps_the_sample_the_index_and_the_keys(
    settings: Settings, sample: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _s: FakeEmbedder())
    command = ["demo", "--port", str(free_port), "--sample", str(sample)]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "sample: loading" in first.output
    assert "indexed 25 partners" in first.output
    exports = [line for line in first.output.splitlines() if line.startswith("export ")]
    assert [line.split("=")[0] for line in exports] == [
        f"export {role.upper()}_KEY" for role in keys.ROLES
    ]
    store = Store.from_settings(settings)
    loaded_at = _updated_at(store)

    second = CliRunner().invoke(app, command)
    assert second.exit_code == 0, second.output
    assert "sample: current (25 partners" in second.output
    assert "index: current, not rebuilt" in second.output
    assert "demo keys kept" in second.output
    assert "partnermatch keys demo" in second.output
    assert "export " not in second.output
    assert _updated_at(store) == loaded_at
    for line in exports:
        assert keys.verify_key(store, line.split("=", 1)[1]) is not None


def test_the_ingest_progress_bar_knows_the_files_rows(tmp_path: Path) -> None:
    from matcher.cli.console import expected_rows

    partners = tmp_path / "partners.csv"
    partners.write_text("partner_id,name\nP-1,A\n\nP-2,B\n")
    jsonl = tmp_path / "outcomes.jsonl"
    jsonl.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    assert (expected_rows(partners), expected_rows(jsonl)) == (2, 3)
    assert expected_rows(tmp_path / "missing.csv") is None
