"""Cosine levels that mean the same thing whichever model made the vectors.

A cosine is not a probability: all-MiniLM-L6-v2 and the multilingual Universal Sentence
Encoder spread related and unrelated texts over different ranges, so a threshold tuned on one
is wrong for the other. Each model's levels are measured, not guessed:

* ``specialism_match`` — the phrase ↔ specialism cosine at which a reason names a specialism:
  the lowest threshold reaching precision 0.75 on the tuning half of
  ``data/labelled/specialism_pairs.jsonl`` (``python -m bench.specialism_matching``).
* ``semantic_floor`` / ``wordless_floor`` — below these nearest-profile cosines a
  description-only deal is flagged ``low_relevance`` (always, or when it shares no word with
  the profiles): set between the judged deals (English and their de/fr/es/nl translations) and
  off-topic text (``python -m bench.relevance_floor``).

Example::

    from matcher.embedding.calibration import calibration_for
    calibration_for("use-multilingual-v3/numpy").specialism_match   # 0.65
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """One model's cosine levels (see the module docstring for how each was measured)."""

    specialism_match: float
    semantic_floor: float
    wordless_floor: float

    def specialism_credit(self, best_cosine: np.ndarray) -> np.ndarray:
        """The ranking's specialism credit (0–1) for each phrase's best specialism cosine.

        A linear ramp over ``SPECIALISM_CREDIT_SPAN`` that reaches half credit exactly at
        ``specialism_match``: a partner whose reason says no specialism matches never gets
        half the credit or more, and a near miss still earns some. Measured against the
        earlier fixed ramp from 0.2 (half credit at 0.5 whatever the model): full nDCG@10
        with USE 0.547 vs 0.545, text-only 0.588 vs 0.576.
        """
        start = self.specialism_match - SPECIALISM_CREDIT_SPAN / 2
        return np.clip((best_cosine - start) / SPECIALISM_CREDIT_SPAN, 0.0, 1.0)


SPECIALISM_CREDIT_SPAN = 0.6
"""Cosine span from no to full specialism credit: wide, so near misses still earn some."""

# keyed by the model part of ``Embedder.model_id`` (before the backend, "all-MiniLM-L6-v2/onnx")
CALIBRATIONS: dict[str, Calibration] = {
    # English judged briefs' best candidate >= 0.21, but noise reaches 0.30 and translated
    # briefs fall to 0.10: no floor separates them, so these protect the English case
    "all-MiniLM-L6-v2": Calibration(
        specialism_match=0.60, semantic_floor=0.20, wordless_floor=0.35
    ),
    # briefs in five languages >= 0.202 (>= 0.221 sharing no word), noise <= 0.173
    "use-multilingual-v3": Calibration(
        specialism_match=0.65, semantic_floor=0.19, wordless_floor=0.20
    ),
}
DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Whose levels a model without its own (the test fakes, the lexical stand-in) borrows."""


def calibration_for(model_id: str) -> Calibration:
    """The levels measured for the model behind ``model_id`` (MiniLM's for an unmeasured one)."""
    return CALIBRATIONS.get(model_id.split("/", 1)[0], CALIBRATIONS[DEFAULT_MODEL])
