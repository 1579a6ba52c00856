"""A model-free embedder built from the words of a text.

For look-alikes where loading the real model is not wanted (tests, quick screens): the same
interface as the real embedders, so callers never check which one they have.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class LexicalEmbedder:
    """TF-IDF vectors of partner texts over the top performers' vocabulary: bulk screening speed.

    The sentence model embeds ~80–250 profiles/s on two cores, so 10,000 prospects would take
    minutes; this embeds thousands per second. It compares the same text (what a partner does,
    for whom, its specialisms) by shared words instead of meaning. The vocabulary is learned
    with :meth:`fit` from the top performers' texts; words outside it do not count.
    """

    model_id = "tfidf-lookalike"

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        self.fitted = False

    def fit(self, texts: list[str]) -> LexicalEmbedder:
        """Learn the vocabulary and inverse document frequencies; returns ``self``."""
        self.vectorizer.fit(texts or ["partner"])
        self.fitted = True
        return self

    @property
    def dim(self) -> int:
        """Vocabulary size (the vector width)."""
        return len(self.vectorizer.vocabulary_) if self.fitted else 0

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Dense L2-normalised TF-IDF rows (zero for a text sharing no word with the vocabulary)."""
        if not self.fitted:
            raise ValueError("LexicalEmbedder.fit(texts) must be called before embed()")
        vectors = self.vectorizer.transform(texts).astype(np.float32).toarray()
        if progress is not None:
            progress(len(texts))
        return vectors
