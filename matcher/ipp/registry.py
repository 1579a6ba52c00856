"""The model registry: versioned model directories, promotion, rollback, safe loading.

Two kinds of model live side by side in one directory, each with its own versions and its own
promoted one: the IPP model (``ipp-NNNN``, state in ``registry.json``) and the learned ranker
(``ranker-NNNN``, state in ``registry-ranker.json``). Layout (``<PARTNERMATCH_HOME>/models`` by
default; the repository's ``models/`` holds the committed default IPP model)::

    registry.json            {"promoted": "ipp-0002", "history": ["ipp-0001", "ipp-0002"]}
    ipp-0001/model.skops     the fitted scikit-learn estimator (skops format, never pickle)
    ipp-0001/features.json   feature names, schema hash, priors, model checksum
    ipp-0001/metrics.json    validation metrics, calibration table, C weights
    ipp-0001/MODEL_CARD.md   data window, size, metrics, intended use, limits

A model file is only ever loaded from a registry directory, after its checksum matches the
manifest and every type in it is on :data:`TRUSTED_TYPES`; anything else is refused with a
:class:`ModelFileError` that says what is wrong. :func:`load_scorer` is what serving calls: the
promoted version if it is usable, otherwise the rule-based matrix with a logged warning.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matcher.artifacts import sha256_file, write_json_atomically
from matcher.ipp.base import IppScorer, NeutralScorer
from matcher.ipp.config import MatrixConfig
from matcher.ipp.four_cs import feature_schema_hash
from matcher.ipp.history import PerformanceHistory, Priors
from matcher.ipp.matrix import MatrixScorer
from matcher.ipp.trained import TrainedScorer
from matcher.settings import Settings, get_settings
from matcher.store import MODEL_PROMOTED, MODEL_ROLLED_BACK, Store, return_freed_memory

logger = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
FEATURES_FILE = "features.json"
METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
STATE_FILE = "registry.json"
KINDS: tuple[str, ...] = ("ipp", "ranker")
# Types a model file may contain beyond skops' defaults (plain scikit-learn and numpy types).
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
)


class _RefuseTorch:
    """An import finder that makes ``import torch`` fail (see :func:`_torch_left_unimported`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Refuse torch and its submodules; leave every other import to the next finder."""
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"{name} is not imported while loading skops", name=name)


@contextmanager
def _torch_left_unimported() -> Iterator[None]:
    """Import skops without importing torch as a side effect.

    On import, skops lists scikit-learn's estimators by importing every scikit-learn module,
    and scikit-learn's array-API shim for torch imports torch: 330 MB resident in a server that
    embeds with ONNX and never uses it. Within this block ``import torch`` fails (the listing
    skips what it cannot import); afterwards torch imports normally. A no-op when torch is
    already loaded (the torch embedding backend).
    """
    if "torch" in sys.modules:
        yield
        return
    finder = _RefuseTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class RegistryError(Exception):
    """A registry operation cannot be done (unknown version, nothing to roll back to, ...)."""


class ModelFileError(RegistryError):
    """A model file is missing, corrupted or contains types that are not trusted."""


class SchemaMismatchError(RegistryError):
    """A model expects features other than the ones this code computes: retrain it."""


@dataclass(frozen=True)
class VersionInfo:
    """What ``models list`` shows for one version."""

    version: str
    created_at: str
    schema_hash: str
    roc_auc: float | None
    brier: float | None
    matrix_roc_auc: float | None
    matrix_brier: float | None
    rows: int | None
    promoted: bool


class ModelRegistry:
    """Versions of one kind of model (:data:`KINDS`, the IPP model by default) in a directory.

    Example:
        >>> registry = ModelRegistry(Path("/nonexistent"))
        >>> registry.versions(), registry.promoted()
        ([], None)
    """

    def __init__(self, root: Path, kind: str = "ipp") -> None:
        if kind not in KINDS:
            raise ValueError(f"model kind {kind!r} is not one of {', '.join(KINDS)}")
        self.root = Path(root)
        self.kind = kind
        self._pattern = re.compile(rf"{kind}-(\d{{4,}})")
        self._state_file = STATE_FILE if kind == "ipp" else f"registry-{kind}.json"

    # -- reading -------------------------------------------------------------------------

    def versions(self) -> list[str]:
        """All complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [
            path.name
            for path in self.root.iterdir()
            if path.is_dir()
            and self._pattern.fullmatch(path.name)
            and (path / FEATURES_FILE).is_file()
        ]
        return sorted(found, key=lambda name: int(name.split("-")[1]))

    def _state(self) -> dict[str, Any]:
        path = self.root / self._state_file
        if not path.is_file():
            return {"promoted": None, "history": []}
        try:
            state = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise RegistryError(f"{path} is unreadable ({error}); fix or delete it") from None
        return {"promoted": state.get("promoted"), "history": list(state.get("history", []))}

    def promoted(self) -> str | None:
        """The version serving uses, or ``None``."""
        return self._state()["promoted"]

    def path(self, version: str) -> Path:
        """The directory of an existing version."""
        if (
            not self._pattern.fullmatch(version)
            or not (self.root / version / FEATURES_FILE).is_file()
        ):
            known = ", ".join(self.versions()) or "none"
            raise RegistryError(f"no model version {version!r} in {self.root} (versions: {known})")
        return self.root / version

    def manifest(self, version: str) -> dict[str, Any]:
        """The ``features.json`` of a version."""
        return json.loads((self.path(version) / FEATURES_FILE).read_text("utf-8"))

    def metrics(self, version: str) -> dict[str, Any]:
        """The ``metrics.json`` of a version (empty if absent)."""
        path = self.path(version) / METRICS_FILE
        return json.loads(path.read_text("utf-8")) if path.is_file() else {}

    def info(self, version: str) -> VersionInfo:
        """Summary of one version for listings."""
        manifest, metrics = self.manifest(version), self.metrics(version)
        validation = metrics.get("validation", {})
        model, matrix = validation.get("model", {}), validation.get("matrix", {})
        return VersionInfo(
            version=version,
            created_at=manifest.get("created_at", ""),
            schema_hash=manifest.get("schema_hash", ""),
            roc_auc=model.get("roc_auc"),
            brier=model.get("brier"),
            matrix_roc_auc=matrix.get("roc_auc"),
            matrix_brier=matrix.get("brier"),
            rows=metrics.get("data", {}).get("rows"),
            promoted=version == self.promoted(),
        )

    # -- writing -------------------------------------------------------------------------

    def next_version(self) -> str:
        """The name the next written version gets."""
        versions = self.versions()
        number = int(versions[-1].split("-")[1]) + 1 if versions else 1
        return f"{self.kind}-{number:04d}"

    def write(
        self,
        model: Any,
        *,
        feature_names: Sequence[str],
        schema_hash: str,
        priors: Priors | None,
        metrics: Mapping[str, Any],
        card: Callable[[str], str],
    ) -> str:
        """Write a new version atomically (a reader never sees half of it); returns its name.

        ``card`` renders the model card for the version name it is given.
        """
        with _torch_left_unimported():
            import skops.io as sio

        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".staging-"))
        os.chmod(staging, 0o755)
        try:
            sio.dump(model, staging / MODEL_FILE)
            for _ in range(100):
                version = self.next_version()
                manifest = {
                    "version": version,
                    "kind": self.kind,
                    "feature_names": list(feature_names),
                    "schema_hash": schema_hash,
                    "priors": priors.as_dict() if priors is not None else {},
                    "model_file": MODEL_FILE,
                    "model_sha256": sha256_file(staging / MODEL_FILE),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                write_json_atomically(staging / FEATURES_FILE, manifest)
                write_json_atomically(staging / METRICS_FILE, dict(metrics))
                (staging / CARD_FILE).write_text(card(version), encoding="utf-8")
                try:
                    os.rename(staging, self.root / version)
                except OSError:  # another process took this number first
                    continue
                return version
            raise RegistryError(f"could not allocate a version number in {self.root}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def promote(self, version: str, store: Store | None = None) -> None:
        """Make ``version`` the one serving uses (after checking that it loads).

        With ``store``, the promotion is also appended to its change log, so every serving
        process of that store reloads its scorer (:mod:`matcher.engine.follower`); without,
        only processes started afterwards see it.
        """
        self.load_model(version)
        state = self._state()
        state["history"].append(version)
        state["promoted"] = version
        write_json_atomically(self.root / self._state_file, state)
        if store is not None:
            store.record_change(MODEL_PROMOTED, version)

    def rollback(self, store: Store | None = None) -> str:
        """Go back to the previously promoted version; returns it (``store``: as
        :meth:`promote`)."""
        state = self._state()
        history = state["history"]
        current = state["promoted"]
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise RegistryError(
                "nothing to roll back to: no version was promoted before the current one"
            )
        state["promoted"] = history[-1]
        write_json_atomically(self.root / self._state_file, state)
        if store is not None:
            store.record_change(MODEL_ROLLED_BACK, history[-1])
        return history[-1]

    # -- loading -------------------------------------------------------------------------

    def load_model(self, version: str) -> tuple[Any, dict[str, Any]]:
        """The fitted estimator of a version and its manifest, checked before loading.

        Raises:
            ModelFileError: missing file, checksum mismatch, not a skops file, untrusted types.
        """
        with _torch_left_unimported():
            import skops.io as sio

        manifest = self.manifest(version)
        model_path = self.path(version) / manifest.get("model_file", MODEL_FILE)
        if not model_path.is_file():
            raise ModelFileError(f"model file {model_path} is missing")
        expected = manifest.get("model_sha256")
        if expected and sha256_file(model_path) != expected:
            raise ModelFileError(
                f"model file {model_path} is corrupted: its checksum does not match "
                f"{FEATURES_FILE}; roll back or retrain"
            )
        try:
            untrusted = sio.get_untrusted_types(file=model_path)
        except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError, OSError) as error:
            raise ModelFileError(
                f"model file {model_path} is not a readable skops file: {error}"
            ) from None
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise ModelFileError(
                f"model file {model_path} contains untrusted types: {', '.join(refused)}"
            )
        try:
            model = sio.load(model_path, trusted=list(untrusted))
        except Exception as error:  # skops raises many kinds on a damaged archive
            raise ModelFileError(f"model file {model_path} cannot be loaded: {error}") from None
        return model, manifest

    def load(
        self,
        version: str,
        config: MatrixConfig | None = None,
        histories: Mapping[str, PerformanceHistory] | None = None,
    ) -> TrainedScorer:
        """A version as a scorer, after checking its feature schema against this code's."""
        config = config or MatrixConfig.load()
        model, manifest = self.load_model(version)
        expected = feature_schema_hash(config)
        if manifest.get("schema_hash") != expected:
            raise SchemaMismatchError(
                f"model {version} was trained on feature schema {manifest.get('schema_hash')!r}, "
                f"this code computes {expected!r}; retrain with `partnermatch train`"
            )
        return TrainedScorer(
            version,
            model,
            manifest["feature_names"],
            Priors.from_dict(manifest.get("priors", {})),
            config,
            histories,
        )


def load_scorer(
    settings: Settings | None = None,
    histories: Mapping[str, PerformanceHistory] | None = None,
    priors: Priors | None = None,
    store: Store | None = None,
) -> IppScorer:
    """The IPP scorer serving uses: the promoted trained model, else the matrix (with a warning).

    The home registry is asked first; while it has no promoted version the committed default
    model (repository ``models/``) is used. A promoted version that is missing, corrupted or
    trained on another feature schema is not used: the matrix scores instead, and the warning
    says why.

    Args:
        histories: partner performance from outcomes (:func:`matcher.ipp.history.histories_as_of`).
            A trained model without them reads the outcomes of ``store`` (default: the store of
            the settings), as in training: each partner's deals of the 12 months up to the
            newest outcome. The matrix without them uses the partners' own 12-month fields.
        priors: population priors for the matrix fallback (a trained model carries its own).
    """
    settings = settings or get_settings()
    config = MatrixConfig.load(settings.matrix_config)
    for root in (settings.resolved_models_dir, settings.resolved_default_models_dir):
        registry = ModelRegistry(root)
        try:
            version = registry.promoted()
            if version is None:
                continue
            if histories is None:
                histories = _outcome_histories(store, settings)
            return registry.load(version, config, histories)
        except RegistryError as error:
            logger.warning(
                "IPP model unusable, scoring with the rule-based matrix instead: %s", error
            )
            return MatrixScorer(config, priors=priors)
    logger.warning("no trained IPP model is promoted; scoring with the rule-based matrix")
    return MatrixScorer(config, priors=priors, histories=histories)


def _outcome_histories(
    store: Store | None, settings: Settings
) -> Mapping[str, PerformanceHistory] | None:
    """Partner histories from the stored outcomes, or ``None`` when there are none to read."""
    from sqlalchemy.exc import SQLAlchemyError

    from matcher.ipp.history import histories_as_of

    try:
        outcomes = (store or Store.from_settings(settings)).outcomes_frame()
    except SQLAlchemyError as error:
        logger.warning("outcomes unreadable (%s); partner 12-month fields stand in", error)
        return None
    histories = histories_as_of(outcomes) if not outcomes.empty else None
    del outcomes
    return_freed_memory()
    return histories


def default_scorer(settings: Settings) -> IppScorer:
    """The one fallback chain serving uses: the promoted trained model, else the rule-based
    matrix (both by :func:`load_scorer`), else — the matrix file itself unreadable —
    :class:`~matcher.ipp.base.NeutralScorer`; each fallback is logged."""
    try:
        return load_scorer(settings)
    except (OSError, ValueError) as error:
        logger.warning("IPP scorer unavailable (%s); ranking with a neutral prior", error)
        return NeutralScorer()
