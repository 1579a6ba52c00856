"""Artefact files that readers must never see half-written, and their checksums.

The index and the model registry both publish files that a serving process may read at any
moment: they are written to a temporary file beside the target, synced, then renamed over it
(atomic on POSIX), and verified by SHA-256 when loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` so that a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomically(path: Path, value: Any) -> None:
    """Replace ``path`` with ``value`` as indented, key-sorted JSON, atomically."""
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    write_atomically(path, text.encode("utf-8"))
