"""Real ``partnermatch serve`` processes over one prepared home and one PostgreSQL database.

The home holds a few dozen sample partners, indexed with the default embedding backend (the
servers load the saved index, they do not build one), and a second IPP model version to
promote; the database is a fresh one of the session's throwaway cluster.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg

from matcher import keys
from matcher.embedding.factory import get_embedder
from matcher.engine.build import build_engine
from matcher.ingest import ingest
from matcher.ipp.registry import default_scorer
from matcher.settings import Settings
from matcher.store import Store
from tests.api.test_server import free_port
from tests.pg_cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PARTNERS = REPO / "data" / "sample" / "partners.csv"
BACKEND = "use"  # the default: loads in ~3 s, no torch


@dataclass
class Deployment:
    """One home and one database that servers are started over, with an admin and a seller key."""

    home: Path
    database_url: str
    admin: dict[str, str]
    seller: dict[str, str]
    servers: list[Server] = field(default_factory=list)

    @classmethod
    def prepare(cls, root: Path, cluster: Cluster, partners: int = 40) -> Deployment:
        name = f"serve_{uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user=cluster.user, dbname="postgres",
            autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(f"CREATE DATABASE {name}")
        settings = Settings(
            home=root / "home", database_url=cluster.url(name), embedding_backend=BACKEND
        )
        settings.home.mkdir(parents=True)
        few = root / "partners.csv"
        lines = SAMPLE_PARTNERS.read_text("utf-8").splitlines(keepends=True)
        few.write_text("".join(lines[: partners + 1]), "utf-8")
        store = Store.from_settings(settings)
        assert ingest(store, "partners", few).committed
        build_engine(store, get_embedder(settings), default_scorer(settings), settings)
        # a second IPP version to promote (the committed default model serves until then)
        shutil.copytree(REPO / "models" / "ipp-0001", settings.resolved_models_dir / "ipp-0002")
        admin_key = keys.create_key(store, "admin")[1]
        seller_key = keys.create_key(store, "seller")[1]
        store.engine.dispose()
        return cls(
            home=settings.home,
            database_url=settings.resolved_database_url,
            admin={"Authorization": f"Bearer {admin_key}"},
            seller={"Authorization": f"Bearer {seller_key}"},
        )

    def serve(self, workers: int = 1, **environment: str) -> Server:
        """Start ``partnermatch serve`` on a free port; returns once it is ready."""
        server = Server.start(self, workers, environment)
        self.servers.append(server)
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@dataclass
class Server:
    """One ``partnermatch serve`` process (its workers are its children)."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, deployment: Deployment, workers: int, environment: dict[str, Any]) -> Server:
        port = free_port()
        log = deployment.home.parent / f"server-{port}.log"
        env = {
            **os.environ,
            "PARTNERMATCH_HOME": str(deployment.home),
            "PARTNERMATCH_DATABASE_URL": deployment.database_url,
            "PARTNERMATCH_EMBEDDING_BACKEND": BACKEND,
            "PARTNERMATCH_REFRESH_SECONDS": "1",
            "PARTNERMATCH_MAX_IN_FLIGHT": "32",
            **environment,
        }
        cli = Path(sys.executable).with_name("partnermatch")
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(cli),
                    "serve",
                    *("--host", "127.0.0.1", "--port", str(port)),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(process, f"http://127.0.0.1:{port}", log)
        server.wait_ready(answers=1 if workers == 1 else 8 * workers)
        return server

    def wait_ready(self, answers: int = 1, timeout_s: float = 120) -> None:
        """Until ``answers`` readiness checks in a row (each on a new connection, so that
        every worker is likely asked) say ready."""
        deadline = time.monotonic() + timeout_s
        ready = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                ready = ready + 1 if httpx.get(f"{self.url}/readyz", timeout=5).is_success else 0
            except httpx.TransportError:
                ready = 0
            if ready >= answers:
                return
            time.sleep(0.05 if ready else 0.2)
        raise RuntimeError(f"server not ready in {timeout_s} s:\n{self.log.read_text()}")

    def pids(self) -> list[int]:
        """The serving processes: the workers, or the process itself with one worker."""
        children = [pid for pid in _all_pids() if _parent(pid) == self.process.pid]
        # uvicorn's workers are multiprocessing "spawn" children (not its resource tracker)
        workers = [pid for pid in children if b"spawn_main" in _command(pid)]
        return workers or [self.process.pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def resident_mb(pid: int) -> float:
    """Resident memory of a process in MB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def _parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else -1


def _command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
