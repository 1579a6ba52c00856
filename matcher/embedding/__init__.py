"""Sentence embeddings of partners and deals: one :class:`Embedder` interface, the real
model (sentence-transformers or its ONNX export), a lexical and a test fake, and the vector
cache.

The names below load on first use (PEP 562): importing this package, or one of its light
modules such as :mod:`matcher.embedding.base`, does not import a backend, and only the
``torch`` backend (:mod:`matcher.embedding.torch`, when it builds its model) imports torch.

Example::

    from matcher.embedding import FakeEmbedder, partner_text
    vectors = FakeEmbedder().embed(["ERP data migration for manufacturers"])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher.embedding.base import (
        MODEL_NAME,
        Embedder,
        FakeEmbedder,
        content_hash,
        deal_text,
        partner_text,
    )
    from matcher.embedding.cache import StoreCachedEmbedder, embed_partners, embed_texts_cached
    from matcher.embedding.factory import BACKENDS, get_embedder
    from matcher.embedding.lexical import LexicalEmbedder
    from matcher.embedding.onnx import OnnxEmbedder, export_onnx
    from matcher.embedding.torch import SentenceTransformerEmbedder, packaged_model_path
    from matcher.embedding.use import UseEmbedder

_HOMES: dict[str, str] = {
    "MODEL_NAME": "base",
    "Embedder": "base",
    "FakeEmbedder": "base",
    "content_hash": "base",
    "deal_text": "base",
    "partner_text": "base",
    "StoreCachedEmbedder": "cache",
    "embed_partners": "cache",
    "embed_texts_cached": "cache",
    "BACKENDS": "factory",
    "get_embedder": "factory",
    "LexicalEmbedder": "lexical",
    "OnnxEmbedder": "onnx",
    "export_onnx": "onnx",
    "SentenceTransformerEmbedder": "torch",
    "packaged_model_path": "torch",
    "UseEmbedder": "use",
}
"""Each public name and the module it lives in."""


def __getattr__(name: str) -> Any:
    """The public ``name`` from its module, imported now (not cached here, so a test that
    patches the module's attribute is seen through the package too)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "BACKENDS",
    "MODEL_NAME",
    "Embedder",
    "FakeEmbedder",
    "LexicalEmbedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "StoreCachedEmbedder",
    "UseEmbedder",
    "content_hash",
    "deal_text",
    "embed_partners",
    "embed_texts_cached",
    "export_onnx",
    "get_embedder",
    "packaged_model_path",
    "partner_text",
]
