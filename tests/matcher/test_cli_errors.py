"""CLI errors (issue 12): one line without a traceback, the traceback only with --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("partnermatch")


def _ingest_with_rejects_on_a_full_disk(
    tmp_path: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    """Ingest a file with one bad row, writing its rejects to /dev/full (every write: ENOSPC)."""
    partners = tmp_path / "partners.csv"
    partners.write_text("partner_id,name,partner_type\nP-1,,isv\nP-2,Acme,isv\n")
    return subprocess.run(
        [
            str(CLI),
            *flags,
            "ingest",
            "partners",
            str(partners),
            "--skip-invalid",
            "--rejects",
            "/dev/full",
        ],
        env={**os.environ, "PARTNERMATCH_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")
def test_a_full_disk_is_one_line_without_traceback(tmp_path: Path) -> None:
    run = _ingest_with_rejects_on_a_full_disk(tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "error: the disk is full: free some space and run the command again "
        "(run with --debug for details)"
    ]
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    run = _ingest_with_rejects_on_a_full_disk(tmp_path, "--debug")
    assert run.returncode == 1
    assert "Traceback" in run.stderr
    assert "No space left on device" in run.stderr
