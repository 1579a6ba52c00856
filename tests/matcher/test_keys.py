from __future__ import annotations

import pytest
from typer.testing import CliRunner

from matcher import keys
from matcher.cli import app
from matcher.settings import Settings
from matcher.store import Store, api_keys


def test_a_created_key_verifies_with_its_role(store: Store) -> None:
    record, secret = keys.create_key(store, "seller", "EMEA sales")
    verified = keys.verify_key(store, secret)
    assert verified is not None
    assert (verified.key_id, verified.role, verified.label) == (
        record.key_id,
        "seller",
        "EMEA sales",
    )


def test_only_a_hash_of_the_secret_is_stored(store: Store) -> None:
    _, secret = keys.create_key(store, "admin")
    with store.engine.connect() as connection:
        stored = connection.execute(api_keys.select()).one()
    # pm_<key id>_<secret>; the secret itself may contain "_" (URL-safe base64)
    assert secret.split("_", 2)[2] not in stored.key_hash
    assert stored.key_hash != secret


@pytest.mark.parametrize("presented", ["", "garbage", "pm_x_y", "pm__", "xx_abc_def"])
def test_malformed_or_unknown_keys_do_not_verify(store: Store, presented: str) -> None:
    keys.create_key(store, "admin")
    assert keys.verify_key(store, presented) is None


def test_a_tampered_secret_does_not_verify(store: Store) -> None:
    _, secret = keys.create_key(store, "admin")
    assert keys.verify_key(store, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


def test_a_revoked_key_no_longer_verifies(store: Store) -> None:
    record, secret = keys.create_key(store, "widget")
    assert keys.revoke_key(store, record.key_id) is True
    assert keys.verify_key(store, secret) is None
    assert keys.revoke_key(store, record.key_id) is False
    assert keys.list_keys(store)[0].active is False


def test_unknown_role_lists_the_allowed_roles(store: Store) -> None:
    with pytest.raises(ValueError, match="admin, seller, recruiter, widget"):
        keys.create_key(store, "root")


def test_demo_keys_replace_the_previous_ones(store: Store) -> None:
    first = keys.rotate_demo_keys(store)
    second = keys.rotate_demo_keys(store)
    assert set(second) == set(keys.ROLES)
    assert all(keys.verify_key(store, secret) is None for secret in first.values())
    assert [keys.verify_key(store, second[role]).role for role in keys.ROLES] == list(keys.ROLES)  # type: ignore[union-attr]


def test_cli_prints_the_key_alone_on_its_last_line(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--role", "recruiter"])
    assert result.exit_code == 0, result.output
    last_line = result.stdout.strip().splitlines()[-1]
    verified = keys.verify_key(Store.from_settings(settings), last_line)
    assert verified is not None and verified.role == "recruiter"


def test_cli_rejects_an_unknown_role_without_traceback(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--role", "root"])
    assert result.exit_code == 2
    assert "unknown role 'root'" in result.output
    assert "Traceback" not in result.output
