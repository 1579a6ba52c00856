"""A throwaway PostgreSQL cluster for the tests: Debian's initdb/pg_ctl under a temporary dir.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
the Debian package creates; otherwise it runs as the current user. It listens on loopback only,
on a free port, with trust authentication, and is stopped and deleted when the session ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<major>/bin`` holding initdb, if any."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster; ``url(name)`` is the SQLAlchemy URL of one of its databases."""

    bin_dir: Path
    root: Path
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> None:
        command = list(argv)
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    @classmethod
    def start(cls, bin_dir: Path) -> Cluster:
        """initdb + pg_ctl start; raises ``RuntimeError`` saying why when that is impossible."""
        root = Path(tempfile.mkdtemp(prefix="partnermatch-pg-"))
        user = pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            try:
                server = pwd.getpwnam(SERVER_USER)
            except KeyError as error:
                raise RuntimeError(f"running as root and no {SERVER_USER!r} user") from error
            os.chown(root, server.pw_uid, server.pw_gid)
            user = SERVER_USER
        cluster = cls(bin_dir=bin_dir, root=root, port=_free_port(), user=user)
        data = root / "data"
        try:
            cluster._run(
                str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8"
            )
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
                f"-c unix_socket_directories={root} -c fsync=off -c full_page_writes=off "
                "-c synchronous_commit=off -c max_connections=200"
            )
            cluster._run(
                str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                "-l", str(root / "server.log"), "-w", "start",
            )  # fmt: skip
        except subprocess.CalledProcessError as error:
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"{error.cmd[0]} failed: {error.stderr.strip()}") from error
        return cluster

    def stop(self) -> None:
        """Stop the server immediately and delete its files."""
        try:
            self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "stop",
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
