"""Sentence embeddings of partners and deals: one :class:`Embedder` interface, the real
model (sentence-transformers or its ONNX export), a lexical and a test fake, and the vector
cache.

Example::

    from matcher.embedding import FakeEmbedder, partner_text
    vectors = FakeEmbedder().embed(["ERP data migration for manufacturers"])
"""

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
