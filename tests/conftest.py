"""Shared fixtures: an isolated PARTNERMATCH_HOME and store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.settings import Settings, get_settings
from matcher.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings whose home is a fresh temporary directory (also seen by get_settings())."""
    monkeypatch.setenv("PARTNERMATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARTNERMATCH_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def store(settings: Settings) -> Store:
    """An empty SQLite store under the temporary home."""
    return Store.from_settings(settings)
