"""The API's test client fixtures, shared with the replication tests, and a deployment of
real ``serve`` processes on one PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import client, role_keys
from tests.pg_cluster import Cluster
from tests.replication.servers import Deployment

__all__ = ["client", "deployment", "role_keys"]


@pytest.fixture
def deployment(tmp_path: Path, postgres_cluster: Cluster) -> Iterator[Deployment]:
    """A prepared home and database for ``serve`` processes, all stopped after the test."""
    deployment = Deployment.prepare(tmp_path, postgres_cluster)
    try:
        yield deployment
    finally:
        deployment.stop()
