"""The API's test client fixtures, shared with the replication tests."""

from tests.api.conftest import client, role_keys

__all__ = ["client", "role_keys"]
