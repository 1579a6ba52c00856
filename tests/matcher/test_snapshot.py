"""The engine snapshot: a process starts from the per-partner state saved with the index (not
by reading every profile), and serves exactly what an engine read from the store serves."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from matcher.embedding.base import FakeEmbedder
from matcher.engine import build as engine_build
from matcher.engine.build import build_engine, engine_state, index_dir, load_engine
from matcher.engine.recommender import Recommender
from matcher.engine.service import MatchingService
from matcher.engine.snapshot import STATE, EngineState, load_snapshot, snapshot_path
from matcher.ingest import ingest
from matcher.ipp.base import NeutralScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store
from training.simulate import simulate

QUERIES = [
    "ERP migration for a mid-market manufacturer",
    "HIPAA compliant cloud data platform for hospitals",
    "managed security operations centre, 24/7",
    "retail e-commerce roll-out with payments integration",
]


@pytest.fixture
def deals(store: Store, tmp_path: Path) -> list[Deal]:
    """300 simulated partners in the store; the simulator's judged deals."""
    simulate(tmp_path / "sim", n_partners=300, n_deals=30, n_judged=12, seed=11)
    ingest(store, "partners", tmp_path / "sim" / "partners.csv")
    lines = (tmp_path / "sim" / "judged_deals.jsonl").read_text().splitlines()
    return [Deal.model_validate(json.loads(line)["deal"]) for line in lines]


def _newcomer(partner_id: str, description: str, country: str) -> Partner:
    """A partner written after the index was saved, with words no simulated one uses."""
    return Partner(
        partner_id=partner_id,
        name=partner_id,
        partner_type="consultancy",
        description=description,
        specialisms=[description],
        countries=[country],
    )


def _store_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the partners' rows into the engine now fails the test."""

    def refuse(store: Store) -> None:
        raise AssertionError("the engine read every partner from the store")

    monkeypatch.setattr(engine_build, "_stored_rows", refuse)


def _answers(engine: Recommender, deals: list[Deal]) -> list[list[tuple[str, float]]]:
    """Each deal's results and scores, in score order (near ties rotate with exposure)."""
    return [
        sorted(
            ((r["partner_id"], r["score"]) for r in engine.recommend(deal)["results"]),  # type: ignore[attr-defined]
            key=lambda found: (-found[1], found[0]),
        )
        for deal in deals
    ]


def _same_state(loaded: EngineState, read: EngineState) -> None:
    a, b = loaded.columns, read.columns
    assert a._bitmaps.keys() == b._bitmaps.keys()
    for key, bitmap in b._bitmaps.items():
        assert np.array_equal(a._bitmaps[key], bitmap), key
    for name in ("alive", "full", "paused_day"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.headroom, b.headroom, equal_nan=True)
    assert (a.row_of, a.partner_of) == (b.row_of, b.partner_of)
    assert a.certification_names == b.certification_names
    assert a._lapses == b._lapses and sorted(a._expiries) == sorted(b._expiries)
    assert loaded.specialisms == read.specialisms
    assert len(loaded.lexical) == len(read.lexical)
    for query in QUERIES:
        assert np.allclose(loaded.lexical.score(query).scores, read.lexical.score(query).scores)


def test_an_engine_loads_from_its_snapshot_without_reading_the_partners(
    store: Store, settings: Settings, deals: list[Deal], monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = FakeEmbedder()
    built = build_engine(store, embedder, NeutralScorer(), settings)
    assert snapshot_path(index_dir(settings), built.index.index_version).is_dir()
    read = engine_state(engine_build._stored_rows(store))
    _store_unread(monkeypatch)
    loaded = load_engine(store, embedder, NeutralScorer(), settings)
    _same_state(EngineState(loaded.columns, loaded.lexical, loaded.specialisms), read)
    assert _answers(loaded, deals) == _answers(built, deals)
    assert any(answer for answer in _answers(loaded, deals))


def test_live_writes_change_the_mapped_engine_but_never_the_saved_files(
    store: Store, settings: Settings, deals: list[Deal]
) -> None:
    embedder = FakeEmbedder()
    build_engine(store, embedder, NeutralScorer(), settings)
    snapshot = next(index_dir(settings).glob("engine-*"))
    before = {
        file.name: hashlib.sha256(file.read_bytes()).hexdigest() for file in snapshot.iterdir()
    }
    engine = load_engine(store, embedder, NeutralScorer(), settings)
    gone = next(iter(engine.columns.row_of))
    store.delete_partner(gone)
    engine.upsert_partner(gone)  # re-read from the store: deleted there
    store.upsert_partners([_newcomer("P-NEW", "quokka telemetry dashboards", "NZ")])
    assert engine.upsert_partner("P-NEW")
    found = engine.recommend(Deal(description="quokka telemetry dashboards", country="NZ"))
    assert found["results"][0]["partner_id"] == "P-NEW"  # type: ignore[index]
    assert gone not in engine.columns.row_of
    after = {
        file.name: hashlib.sha256(file.read_bytes()).hexdigest() for file in snapshot.iterdir()
    }
    assert after == before
    assert load_snapshot(index_dir(settings), engine.index.index_version) is not None


@pytest.mark.parametrize("damage", ["checksum", "format", "missing"])
def test_an_unusable_snapshot_is_logged_and_the_partners_are_read_instead(
    store: Store,
    settings: Settings,
    deals: list[Deal],
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    embedder = FakeEmbedder()
    built = build_engine(store, embedder, NeutralScorer(), settings)
    snapshot = snapshot_path(index_dir(settings), built.index.index_version)
    if damage == "checksum":
        bitmaps = snapshot / "columns.bitmaps.npy"
        raw = bytearray(bitmaps.read_bytes())
        raw[-1] ^= 0xFF
        bitmaps.write_bytes(bytes(raw))
    elif damage == "format":
        state = json.loads((snapshot / STATE).read_text())
        (snapshot / STATE).write_text(json.dumps({**state, "format": 999}))
    else:
        (snapshot / "lexical.df.npy").unlink()
    with caplog.at_level(logging.WARNING, logger="matcher.engine.snapshot"):
        loaded = load_engine(store, embedder, NeutralScorer(), settings)
    assert "not used" in caplog.text and "reading the partners from the store" in caplog.text
    assert _answers(loaded, deals) == _answers(built, deals)


def test_a_starting_service_replays_the_changes_logged_after_the_snapshot(
    store: Store, settings: Settings, deals: list[Deal], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = MatchingService(store, settings, FakeEmbedder(), NeutralScorer)
    first.start()  # no index yet: builds and saves one, with its snapshot
    gone = sorted(first.recommend(deals[0])["results"], key=lambda r: r["rank"])[0]["partner_id"]
    first.delete_partner(gone)
    first.upsert_partner(_newcomer("P-LATE", "wombat logistics routing", "AU"))
    _store_unread(monkeypatch)
    second = MatchingService(store, settings, FakeEmbedder(), NeutralScorer)
    second.start()
    assert second.partner("P-LATE") is not None
    late = second.recommend(Deal(description="wombat logistics routing", country="AU"))
    assert late["results"][0]["partner_id"] == "P-LATE"
    assert _answers(second._require_engine(), deals) == _answers(first._require_engine(), deals)
    assert gone not in [r["partner_id"] for d in deals for r in second.recommend(d)["results"]]


def test_only_the_snapshots_of_the_kept_index_files_remain(
    store: Store, settings: Settings, deals: list[Deal]
) -> None:
    versions = [
        build_engine(store, FakeEmbedder(), NeutralScorer(), settings).index.index_version
        for _ in range(3)
    ]
    kept = {path.name for path in index_dir(settings).glob("engine-*")}
    assert kept == {snapshot_path(index_dir(settings), v).name for v in versions[1:]}
    assert not list(index_dir(settings).glob(".engine-*"))  # no temporary left behind
