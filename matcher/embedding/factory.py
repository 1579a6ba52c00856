"""The embedder the settings ask for, built once per process."""

from __future__ import annotations

import logging
import threading

from matcher.embedding.base import Embedder
from matcher.embedding.onnx import OnnxEmbedder
from matcher.embedding.torch import SentenceTransformerEmbedder, packaged_model_path
from matcher.embedding.use import UseEmbedder
from matcher.settings import Settings

log = logging.getLogger(__name__)


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for the configured backend (the model loads once, 5–7 s)."""
    backend = settings.embedding_backend
    if backend not in BACKENDS:
        raise ValueError(f"embedding_backend {backend!r} is not one of {', '.join(BACKENDS)}")
    export_dir = settings.home / "models" / "onnx"
    # only an ONNX export lives under home; the other models are the installed package files
    key = (backend, str(export_dir.resolve()) if backend.startswith("onnx") else "")
    with _embedders_lock:
        if key not in _embedders:
            if backend == "use":
                _embedders[key] = UseEmbedder()
            elif backend == "torch":
                _embedders[key] = SentenceTransformerEmbedder(packaged_model_path())
            else:
                _embedders[key] = OnnxEmbedder(
                    packaged_model_path(), export_dir, backend == "onnx-int8"
                )
            log.info("loaded embedder %s", _embedders[key].model_id)
        return _embedders[key]


BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8", "use")


_embedders: dict[tuple[str, str], Embedder] = {}


_embedders_lock = threading.Lock()
