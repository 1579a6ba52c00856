"""The engine's per-partner state saved beside the vector index, so a process starts from it.

Loading an engine from the store read and validated every profile (about 8 s of a 16 s load at
100k partners), packed the filter bitmaps (3 s) and tokenised every text for BM25 (3.4 s). A
snapshot keeps what that produces — the filter columns and capacity, the BM25 statistics and
postings, each partner's specialism tags — as numpy ``.npy`` files in ``engine-<index
version>/`` beside the index file, with a ``state.json`` holding the small rest and each file's
SHA-256. The arrays are mapped copy-on-write (``mmap_mode="c"``): pages are read when first
touched and, until a live write changes one, shared through the page cache by every worker
and replica on the machine that loads the same snapshot.

A snapshot describes the engine as it was when its index was saved, so it is valid at the
manifest's change version: the loader replays the partner changes logged after that, as it does
for the vectors. It is written before the manifest names its index, into a temporary directory
renamed whole, so a reader finds it complete or not at all. One that is missing, damaged or of
another format is no error: the engine is then read from the store, as before, and the log
says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.engine.filters import PartnerColumns
from matcher.engine.index import saved_versions
from matcher.engine.lexical import LexicalIndex

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 1
STATE = "state.json"
_PREFIX = "engine-"

Parts = tuple[dict[str, np.ndarray], dict[str, Any]]


class SnapshotUnusable(ValueError):
    """A saved snapshot cannot be used; the message says why (the store is read instead)."""


@dataclass(frozen=True)
class EngineState:
    """What the engine holds per partner besides the vectors: built from the store's rows, or
    loaded from a snapshot."""

    columns: PartnerColumns
    lexical: LexicalIndex
    specialisms: dict[int, tuple[str, ...]]


def snapshot_path(directory: Path, index_version: str) -> Path:
    """Where the snapshot of index ``index_version`` lives under the index ``directory``."""
    return directory / f"{_PREFIX}{index_version}"


def save_snapshot(directory: Path, index_version: str, state: EngineState) -> Path:
    """Write ``state`` as the snapshot of index ``index_version`` (replacing one saved before);
    the caller keeps the state from changing meanwhile (the engine's read lock)."""
    parts: dict[str, Parts] = {
        "columns": state.columns.parts(),
        "lexical": state.lexical.parts(),
        "specialisms": _specialism_parts(state.specialisms),
    }
    final = snapshot_path(directory, index_version)
    temporary = directory / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
    temporary.mkdir(parents=True)
    try:
        files: dict[str, str] = {}
        for part, (arrays, _) in parts.items():
            for name, array in arrays.items():
                file = f"{part}.{name}.npy"
                with open(temporary / file, "wb") as out:
                    np.save(out, np.ascontiguousarray(array), allow_pickle=False)
                    out.flush()
                    os.fsync(out.fileno())
                files[file] = _sha256(temporary / file)
        described = {part: rest for part, (_, rest) in parts.items()}
        state_json = {"format": SNAPSHOT_FORMAT, "index_version": index_version, "files": files}
        (temporary / STATE).write_text(json.dumps({**state_json, **described}), "utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


def load_snapshot(directory: Path, index_version: str) -> EngineState | None:
    """The snapshot saved with index ``index_version``, or ``None`` (logged) when there is
    none or it cannot be used."""
    path = snapshot_path(directory, index_version)
    if not path.is_dir():
        log.info(
            "no engine snapshot for index %s: reading the partners from the store", index_version
        )
        return None
    try:
        return _read(path, index_version)
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning(
            "engine snapshot %s not used (%s): reading the partners from the store", path, error
        )
        return None


def prune_snapshots(directory: Path) -> None:
    """Remove the snapshots whose index file is gone (the index keeps its last two)."""
    indexed = saved_versions(directory)
    for snapshot in directory.glob(f"{_PREFIX}*"):
        if snapshot.is_dir() and snapshot.name.removeprefix(_PREFIX) not in indexed:
            shutil.rmtree(snapshot, ignore_errors=True)


def _read(path: Path, index_version: str) -> EngineState:
    state = json.loads((path / STATE).read_text("utf-8"))
    if state.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotUnusable(f"format {state.get('format')}, expected {SNAPSHOT_FORMAT}")
    if state.get("index_version") != index_version:
        raise SnapshotUnusable(f"it describes index {state.get('index_version')}")
    arrays: dict[str, dict[str, np.ndarray]] = {"columns": {}, "lexical": {}, "specialisms": {}}
    for file, checksum in state["files"].items():
        if _sha256(path / file) != checksum:
            raise SnapshotUnusable(f"{file} does not match its checksum")
        part, name, _ = file.split(".")
        arrays[part][name] = _mapped(path / file)
    return EngineState(
        columns=PartnerColumns.from_parts(arrays["columns"], state["columns"]),
        lexical=LexicalIndex.from_parts(arrays["lexical"], state["lexical"]),
        specialisms=_specialisms_from(arrays["specialisms"], state["specialisms"]),
    )


def _mapped(path: Path) -> np.ndarray:
    """The array in ``path``, mapped copy-on-write (an empty one is read: it cannot be mapped)."""
    try:
        return np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
    except ValueError:  # numpy refuses to map zero bytes
        loaded = np.load(path, allow_pickle=False)
        if loaded.size:
            raise
        return loaded


def _specialism_parts(specialisms: Mapping[int, tuple[str, ...]]) -> Parts:
    """Each row's tags as numbers into one list of the distinct tags (a few thousand)."""
    tags = sorted({tag for listed in specialisms.values() for tag in listed})
    slot = {tag: number for number, tag in enumerate(tags)}
    counts = [len(listed) for listed in specialisms.values()]
    numbers = [slot[tag] for listed in specialisms.values() for tag in listed]
    arrays = {
        "rows": np.fromiter(specialisms, dtype=np.int64, count=len(specialisms)),
        "counts": np.array(counts, dtype=np.int64),
        "tags": np.array(numbers, dtype=np.int64),
    }
    return arrays, {"tags": tags}


def _specialisms_from(
    arrays: Mapping[str, np.ndarray], rest: Mapping[str, Any]
) -> dict[int, tuple[str, ...]]:
    tags = [sys.intern(tag) for tag in rest["tags"]]
    numbers = arrays["tags"].tolist()
    specialisms: dict[int, tuple[str, ...]] = {}
    start = 0
    for row, count in zip(arrays["rows"].tolist(), arrays["counts"].tolist(), strict=True):
        specialisms[row] = tuple(tags[number] for number in numbers[start : start + count])
        start += count
    return specialisms


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
