"""Shared fixtures: an isolated PARTNERMATCH_HOME and store per test.

A test module marked ``pytestmark = pytest.mark.both_databases`` runs each test that uses the
store (through ``settings``) twice: on SQLite and on a fresh database of a throwaway PostgreSQL
cluster the session starts itself (``tests/pg_cluster.py``). Without a PostgreSQL server the
PostgreSQL runs skip with the reason; ``PARTNERMATCH_REQUIRE_POSTGRES=1`` makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from matcher.settings import Settings, get_settings
from matcher.store import Store
from tests.pg_cluster import Cluster, find_bin_dir

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


DATABASES = ("sqlite", "postgresql")
# every test database is a copy of this one, already migrated (a copy takes milliseconds)
_TEMPLATE = "partnermatch_template"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run the module's store-using tests on SQLite and PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("database_url", DATABASES, indirect=True)


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL unavailable, PostgreSQL tests skipped: {reason}"
    if os.environ.get("PARTNERMATCH_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (PARTNERMATCH_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _admin(cluster: Cluster) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1", port=cluster.port, user=cluster.user, dbname="postgres", autocommit=True
    )


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for the whole session, with a migrated template database."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _postgres_unavailable("no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)")
    assert bin_dir is not None
    try:
        cluster = Cluster.start(bin_dir)
    except RuntimeError as error:
        _postgres_unavailable(str(error))
    try:
        with _admin(cluster) as admin:
            admin.execute(f"CREATE DATABASE {_TEMPLATE}")
        Store(cluster.url(_TEMPLATE)).engine.dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (SQLite under the home) or the URL of a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    name = f"test_{uuid4().hex[:16]}"
    with _admin(cluster) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    yield cluster.url(name)
    with _admin(cluster) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None
) -> Iterator[Settings]:
    """Settings whose home is a fresh temporary directory (also seen by get_settings())."""
    monkeypatch.setenv("PARTNERMATCH_HOME", str(tmp_path / "home"))
    if database_url is None:
        monkeypatch.delenv("PARTNERMATCH_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("PARTNERMATCH_DATABASE_URL", database_url)
    # the torch model loads once per process; an ONNX export would be redone per temporary home
    monkeypatch.setenv("PARTNERMATCH_EMBEDDING_BACKEND", "torch")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def store(settings: Settings) -> Store:
    """An empty store: SQLite under the temporary home, or PostgreSQL (``both_databases``)."""
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
