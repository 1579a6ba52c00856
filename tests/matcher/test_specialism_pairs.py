"""The labelled deal phrase → specialism pairs (data/labelled) and how well they are matched."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bench.specialism_matching import KINDS, explanation_path, read_pairs, scores
from matcher.embedding.base import Embedder
from matcher.embedding.calibration import calibration_for
from matcher.engine.explain import deal_phrases
from matcher.schemas import Deal
from matcher.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PAIRS = REPO / "data" / "labelled" / "specialism_pairs.jsonl"
FIELDS = {"phrase", "specialism", "match", "kind"}


def _rows() -> list[dict[str, object]]:
    with PAIRS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_the_labelled_pairs_are_well_formed() -> None:
    rows = _rows()
    assert len(rows) >= 200
    for row in rows:
        assert FIELDS <= set(row) <= FIELDS | {"brief"}, row
        assert isinstance(row["phrase"], str) and row["phrase"].strip(), row
        assert isinstance(row["specialism"], str) and row["specialism"].strip(), row
        assert isinstance(row["match"], bool), row
        assert row["kind"] in KINDS, row
    assert set(Counter(row["kind"] for row in rows)) == set(KINDS)
    keys = [(str(row["phrase"]).lower(), str(row["specialism"]).lower()) for row in rows]
    assert len(keys) == len(set(keys)), [key for key, n in Counter(keys).items() if n > 1]
    assert 0.30 <= sum(bool(row["match"]) for row in rows) / len(rows) <= 0.60
    # the kinds mean what they say: paraphrases and same-words pairs match, the others do not
    assert all(row["match"] for row in rows if row["kind"] in ("same", "paraphrase"))
    assert not any(row["match"] for row in rows if row["kind"] in ("near_miss", "unrelated"))
    assert {bool(row["match"]) for row in rows if row["kind"] == "translation"} == {True, False}
    assert len(read_pairs(PAIRS)) == len(rows)


def test_specialisms_come_from_the_partner_vocabulary() -> None:
    with (REPO / "data" / "sample" / "partners.csv").open(encoding="utf-8") as handle:
        vocabulary = {
            tag.strip()
            for row in csv.DictReader(handle)
            for tag in row["specialisms"].split(";")
            if tag.strip()
        }
    assert {str(row["specialism"]) for row in _rows()} <= vocabulary


def test_an_extracted_phrase_is_what_deal_phrases_finds_in_its_brief() -> None:
    """A pair with a brief tests what the engine compares; when deal_phrases changes, these
    phrases are re-extracted (and relabelled where the new phrase means something else)."""
    extracted = [row for row in _rows() if "brief" in row]
    assert len(extracted) >= 40
    stale = [
        (row["phrase"], deal_phrases(Deal(description=str(row["brief"]))))
        for row in extracted
        if row["phrase"] not in deal_phrases(Deal(description=str(row["brief"])))
    ]
    assert not stale


@pytest.fixture(scope="module")
def default_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The default backend (USE multilingual v3), loaded once for this module."""
    from matcher.embedding import get_embedder

    home = Path(tmp_path_factory.mktemp("specialism-home"))
    return get_embedder(Settings(home=home, embedding_backend=Settings().embedding_backend))


# measured with python -m bench.specialism_matching (use, threshold 0.65): P 0.838, R 0.345 on
# the pairs; the reason line (deal_phrases → match_specialisms → explain) P 0.795, R 0.376
PRECISION_FLOOR = 0.80
RECALL_FLOOR = 0.32
REASON_PRECISION_FLOOR = 0.75
REASON_RECALL_FLOOR = 0.34


@pytest.mark.slow
def test_matching_at_the_engine_threshold_keeps_its_measured_precision_and_recall(
    default_embedder: Embedder,
) -> None:
    pairs = read_pairs(PAIRS)
    calibration = calibration_for(default_embedder.model_id)
    texts = list(dict.fromkeys([p.phrase for p in pairs] + [p.specialism for p in pairs]))
    vectors = dict(zip(texts, default_embedder.embed(texts), strict=True))
    cosine = np.array([float(vectors[p.phrase] @ vectors[p.specialism]) for p in pairs])
    truth = np.array([p.match for p in pairs])
    measured = scores(truth, cosine >= calibration.specialism_match)
    assert measured["precision"] >= PRECISION_FLOOR, measured
    assert measured["recall"] >= RECALL_FLOOR, measured

    explained = explanation_path(default_embedder, pairs, calibration.specialism_match)
    reasons = scores(truth, np.array([e.reported for e in explained]))
    assert reasons["precision"] >= REASON_PRECISION_FLOOR, reasons
    assert reasons["recall"] >= REASON_RECALL_FLOOR, reasons
    # every reason either names the specialism or says none matches, never both or neither
    assert all(e.reported != e.says_no_match for e in explained)
    # and the ranking agrees with the reason: "no specialism matches" never earns half credit
    credit = calibration.specialism_credit(np.array([e.best_cosine for e in explained]))
    denied = np.array([e.says_no_match for e in explained])
    assert denied.any() and not (credit[denied] >= 0.5).any()
