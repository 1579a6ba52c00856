"""Per-model cosine levels (matcher.embedding.calibration)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.embedding.calibration import CALIBRATIONS, calibration_for


def test_each_backend_of_a_model_shares_its_calibration_and_unknown_models_borrow_minilm() -> None:
    assert calibration_for("use-multilingual-v3/numpy") is CALIBRATIONS["use-multilingual-v3"]
    assert calibration_for("all-MiniLM-L6-v2/onnx-int8") is calibration_for(
        "all-MiniLM-L6-v2/torch"
    )
    assert calibration_for("fake-bow-64") is CALIBRATIONS["all-MiniLM-L6-v2"]
    assert (
        calibration_for("use-multilingual-v3/numpy").specialism_match
        != calibration_for("all-MiniLM-L6-v2/torch").specialism_match
    )


def test_specialism_credit_reaches_half_exactly_at_the_match_threshold() -> None:
    for calibration in CALIBRATIONS.values():
        at = calibration.specialism_match
        credit = calibration.specialism_credit(np.array([at - 0.01, at, 1.0, -1.0]))
        assert credit[0] < 0.5 and credit[1] == pytest.approx(0.5)
        assert credit[2] == 1.0 and credit[3] == 0.0
