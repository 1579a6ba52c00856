"""The nearest existing top performers to a prospect (its look-alikes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from matcher.ipp.base import FOUR_CS, FourCs
from matcher.ipp.four_cs import FourCsAssessor
from matcher.ipp.scorecard import top_performers
from matcher.schemas import PartnerProfile

SEMANTIC_WEIGHT = 0.7  # look-alike similarity: 70 % description embedding, 30 % 4 C profile


class TextEmbedder(Protocol):
    """What look-alikes need from :mod:`matcher.embedding`: normalised vectors for texts."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` L2-normalised vectors."""
        ...


@dataclass(frozen=True)
class LookAlike:
    """An existing top performer a prospect resembles."""

    partner_id: str
    name: str
    similarity: float


def four_cs_matrix(four_cs: Sequence[FourCs]) -> np.ndarray:
    return np.array([[getattr(f, c) for c in FOUR_CS] for f in four_cs], dtype=np.float32).reshape(
        len(four_cs), len(FOUR_CS)
    )


class LookalikeIndex:
    """The top-performing partners, searchable by description embedding and 4 C profile.

    Similarity = ``semantic_weight`` · cosine of the embeddings + (1 − ``semantic_weight``) ·
    (1 − mean absolute 4 C difference / 100). Brute force numpy: the top 20 % of even a large
    ecosystem is a few thousand rows.
    """

    def __init__(
        self,
        partners: Sequence[PartnerProfile],
        vectors: np.ndarray,
        four_cs: np.ndarray,
        semantic_weight: float = SEMANTIC_WEIGHT,
    ) -> None:
        if not 0 <= semantic_weight <= 1:
            raise ValueError(f"semantic_weight must be in [0, 1]; got {semantic_weight}")
        self.partners = list(partners)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.four_cs = np.asarray(four_cs, dtype=np.float32)
        self.semantic_weight = semantic_weight

    @classmethod
    def build(
        cls,
        partners: Mapping[str, PartnerProfile],
        outcomes: pd.DataFrame,
        embedder: TextEmbedder,
        assessor: FourCsAssessor,
        text: Callable[[PartnerProfile], str] | None = None,
        share: float = 0.2,
    ) -> LookalikeIndex:
        """Index the top ``share`` of partners by revenue closed in ``outcomes``.

        ``text`` builds the embedded text (default :func:`matcher.embedding.partner_text`, the
        text the partner index embeds).
        """
        if text is None:
            from matcher.embedding.base import partner_text

            text = partner_text
        top = [partners[pid] for pid in top_performers(outcomes, share) if pid in partners]
        vectors = embedder.embed([text(p) for p in top]) if top else np.zeros((0, 1), np.float32)
        four_cs = four_cs_matrix([assessor.assess(p) for p in top])
        return cls(top, vectors, four_cs)

    def __len__(self) -> int:
        return len(self.partners)

    def query(self, vectors: np.ndarray, four_cs: np.ndarray, k: int = 3) -> list[list[LookAlike]]:
        """The ``k`` most similar top performers for each query row."""
        if not self.partners or k <= 0:
            return [[] for _ in range(len(vectors))]
        semantic = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        profile = 1.0 - np.abs(four_cs[:, None, :] - self.four_cs[None, :, :]).mean(axis=2) / 100.0
        similarity = self.semantic_weight * semantic + (1 - self.semantic_weight) * profile
        k = min(k, len(self.partners))
        best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        results = []
        for row, columns in enumerate(best):
            ordered = columns[np.argsort(-similarity[row, columns], kind="stable")]
            results.append(
                [
                    LookAlike(
                        self.partners[i].partner_id,
                        self.partners[i].name,
                        float(np.clip(similarity[row, i], 0.0, 1.0)),
                    )
                    for i in ordered
                ]
            )
        return results
