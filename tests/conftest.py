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
    # the torch model loads once per process; an ONNX export would be redone per temporary home
    monkeypatch.setenv("PARTNERMATCH_EMBEDDING_BACKEND", "torch")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def store(settings: Settings) -> Store:
    """An empty SQLite store under the temporary home."""
    return Store.from_settings(settings)


@pytest.fixture(scope="session")
def real_embedder(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2 (torch backend), loaded once for the whole session."""
    from matcher.embedding.factory import get_embedder

    home = tmp_path_factory.mktemp("embedder-home")
    return get_embedder(Settings(home=home, embedding_backend="torch"))


@pytest.fixture(scope="session")
def ipp_ecosystem():
    """A small synthetic ecosystem for the IPP model: (partners by id, outcomes frame).

    Wins depend on certified staff, training, and the partner serving the deal's industry and
    country, so a model has something real to learn; 120 partners, 2,500 deals over two years.
    """
    from datetime import date, timedelta

    import numpy as np
    import pandas as pd

    from matcher.schemas import Partner

    rng = np.random.default_rng(7)
    industries = ["manufacturing", "healthcare", "retail", "banking", "technology"]
    countries = ["DE", "GB", "US", "FR", "SE"]
    partners: dict[str, Partner] = {}
    skill: dict[str, float] = {}
    for i in range(120):
        employees = int(rng.integers(5, 400))
        certified = int(rng.integers(0, max(1, employees // 4)))
        training = round(float(rng.random()), 2)
        own_industries = list(rng.choice(industries, size=int(rng.integers(1, 4)), replace=False))
        partner = Partner(
            partner_id=f"P-{i:04d}",
            name=f"Partner {i}",
            partner_type=str(rng.choice(["system_integrator", "reseller", "consultancy"])),
            description=f"{own_industries[0]} portfolio management partner",
            employees=None if rng.random() < 0.2 else employees,
            certified_staff=certified,
            industries=own_industries,
            countries=list(rng.choice(countries, size=int(rng.integers(1, 4)), replace=False)),
            segments=["mid_market"],
            training_completion=training,
            dedicated_manager=bool(rng.random() < 0.5),
            deal_registrations_12m=int(rng.integers(0, 30)),
            last_active=date(2026, 1, 1) - timedelta(days=int(rng.integers(0, 200))),
        )
        partners[partner.partner_id] = partner
        skill[partner.partner_id] = 1.5 * np.log1p(certified) / np.log1p(50) + training - 0.8
    rows = []
    ids = list(partners)
    for d in range(2500):
        partner = partners[ids[int(rng.integers(0, len(ids)))]]
        industry, country = str(rng.choice(industries)), str(rng.choice(countries))
        logit = (
            skill[partner.partner_id]
            + 1.2 * (industry in partner.industries)
            + 0.6 * (country in partner.countries)
            - 1.0
        )
        rows.append(
            {
                "deal_id": f"D-{d:05d}",
                "partner_id": partner.partner_id,
                "role": str(rng.choice(["sourced", "influenced", "transacted"])),
                "industry": industry,
                "country": country,
                "segment": "mid_market",
                "deal_size": float(rng.integers(5, 300) * 1000),
                "won": bool(rng.random() < 1 / (1 + np.exp(-logit))),
                "closed_on": date(2024, 1, 1) + timedelta(days=d * 700 // 2500),
                "cycle_days": 30,
                "csat": float(rng.integers(60, 100)) if rng.random() < 0.5 else None,
                "description": None,
            }
        )
    return partners, pd.DataFrame(rows)
