"""The embedder the settings ask for, built once per process.

Each backend's module is imported only when that backend is asked for, so choosing ``use``
(the default) never imports torch, sentence-transformers or onnxruntime; those three belong to
the ``minilm`` extra (``pip install 'partnermatch[minilm]'``, part of ``make install``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcher.embedding.base import Embedder
    from matcher.settings import Settings

log = logging.getLogger(__name__)

BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8", "use")

MINILM_EXTRA = "minilm"
"""The optional dependencies of the all-MiniLM-L6-v2 backends (``torch``, ``onnx``,
``onnx-int8``): torch, sentence-transformers, the packaged model, onnx and onnxruntime."""


class BackendUnavailableError(RuntimeError):
    """The configured backend's libraries are not installed."""


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for the configured backend (the model loads once, 5–7 s).

    Raises:
        ValueError: ``embedding_backend`` is not one of :data:`BACKENDS`.
        BackendUnavailableError: the backend's libraries are not installed (the MiniLM
            backends without the ``minilm`` extra).
    """
    backend = settings.embedding_backend
    if backend not in BACKENDS:
        raise ValueError(f"embedding_backend {backend!r} is not one of {', '.join(BACKENDS)}")
    export_dir = settings.home / "models" / "onnx"
    # only an ONNX export lives under home; the other models are the installed package files
    key = (backend, str(export_dir.resolve()) if backend.startswith("onnx") else "")
    with _embedders_lock:
        if key not in _embedders:
            try:
                _embedders[key] = _build(backend, settings)
            except ModuleNotFoundError as error:
                if backend == "use":
                    raise
                raise BackendUnavailableError(
                    f"the {backend} embedding backend needs {error.name}, which is not "
                    f"installed: pip install 'partnermatch[{MINILM_EXTRA}]' (or `make install`), "
                    "or set PARTNERMATCH_EMBEDDING_BACKEND=use"
                ) from error
            log.info("loaded embedder %s", _embedders[key].model_id)
        return _embedders[key]


def _build(backend: str, settings: Settings) -> Embedder:
    """A new embedder of ``backend``; its module (and so its libraries) imported only now."""
    if backend == "use":
        from matcher.embedding.use import UseEmbedder

        return UseEmbedder()
    from matcher.embedding.torch import packaged_model_path

    if backend == "torch":
        from matcher.embedding.torch import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(packaged_model_path())
    from matcher.embedding.onnx import OnnxEmbedder

    return OnnxEmbedder(
        packaged_model_path(), settings.home / "models" / "onnx", backend == "onnx-int8"
    )


_embedders: dict[tuple[str, str], Embedder] = {}


_embedders_lock = threading.Lock()
