"""The ONNX Runtime backend: the same MiniLM exported once, served faster on one thread."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from matcher.embedding.base import EMBED_BATCH, MODEL_NAME, normalise_rows


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
        return normalise_rows(pooled)

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
