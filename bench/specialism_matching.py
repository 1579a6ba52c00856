"""Deal phrase → partner specialism matching: precision and recall on hand-labelled pairs.

A reason line names a partner's specialism when its cosine to a phrase of the deal reaches
the embedder's calibrated ``specialism_match`` (:mod:`matcher.embedding.calibration`,
:func:`matcher.engine.explain.match_specialisms`). This measures how
often that is right, per embedding backend, on ``data/labelled/specialism_pairs.jsonl``
(paraphrases, near misses, unrelated pairs and translations; see its README):

- **pairs**: the cosine of each (phrase, specialism) pair against the engine's threshold, overall
  and per kind, and a sweep of thresholds 0.30–0.80;
- **held-out**: the threshold with the best F1 on the tuning half of the pairs (split by a hash
  of the phrase, so a phrase is never on both sides), scored on the other half beside the
  engine's threshold on that same half;
- **explanation path**: what a seller actually sees. Each pair's brief (or the phrase, where
  the pair has no brief) becomes a deal description, :func:`deal_phrases` extracts its phrases,
  :func:`match_specialisms` matches them and :func:`explain` writes the reason line for a
  partner listing the specialism; "reported" means the reason names it. Also counted: reasons
  that say no listed specialism matches while the ranking's specialism signal (the
  recommender's ``Calibration.specialism_credit``) gives the partner half credit or more.

    python -m bench.specialism_matching                        # both backends
    python -m bench.specialism_matching --backends onnx-int8   # one

Writes ``bench/results/specialism_matching.json`` and ``.md``. Metrics come from scikit-learn.
ONNX models are exported on first use into ``--home`` (a scratch ``PARTNERMATCH_HOME``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from bench.results import RESULTS, Record, provenance, write_results
from matcher.embedding import Embedder, get_embedder
from matcher.embedding.calibration import Calibration, calibration_for
from matcher.engine.explain import deal_phrases, explain, match_specialisms
from matcher.engine.filters import coverage
from matcher.schemas import Deal, Partner
from matcher.settings import Settings

PAIRS = Path("data/labelled/specialism_pairs.jsonl")
BACKENDS = ("onnx-int8", "use")
KINDS = ("same", "paraphrase", "near_miss", "unrelated", "translation")
THRESHOLDS = tuple(round(0.30 + 0.05 * step, 2) for step in range(11))  # 0.30 … 0.80
NO_MATCH = "no listed specialism matches the deal"
HALF_CREDIT = 0.5
# a reason that names a specialism the partner lacks costs the seller's trust: the lowest
# threshold whose tuning-half precision reaches this is reported beside the best-F1 one
PRECISION_TARGET = 0.75


@dataclass(frozen=True)
class Pair:
    """One labelled pair; ``brief`` is the deal description ``phrase`` was extracted from."""

    phrase: str
    specialism: str
    match: bool
    kind: str
    brief: str | None = None

    @property
    def description(self) -> str:
        """The deal description the explanation path reads."""
        return self.brief or self.phrase


def read_pairs(path: Path = PAIRS) -> list[Pair]:
    """The labelled pairs, in file order."""
    with path.open(encoding="utf-8") as handle:
        return [Pair(**json.loads(line)) for line in handle if line.strip()]


def tuning_half(phrase: str) -> bool:
    """Whether a phrase belongs to the tuning half (an even first byte of its SHA-256)."""
    return hashlib.sha256(phrase.encode("utf-8")).digest()[0] % 2 == 0


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 3)


def scores(truth: np.ndarray, predicted: np.ndarray) -> Record:
    """Precision, recall and F1 of the positive class (``None`` where undefined, as for a kind
    with no positives), with the counts behind them."""
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, average="binary", pos_label=True, zero_division=np.nan
    )
    return {
        "pairs": len(truth),
        "positives": int(truth.sum()),
        "predicted_matches": int(predicted.sum()),
        "precision": _number(precision),
        "recall": _number(recall),
        "f1": _number(f1),
        "accuracy": round(float((truth == predicted).mean()), 3) if len(truth) else None,
    }


def by_kind(truth: np.ndarray, predicted: np.ndarray, kinds: np.ndarray) -> Record:
    return {kind: scores(truth[kinds == kind], predicted[kinds == kind]) for kind in KINDS}


def cosines(embedder: Embedder, pairs: list[Pair]) -> np.ndarray:
    """The cosine of each pair's phrase and specialism (the vectors are L2-normalised)."""
    texts = list(dict.fromkeys([p.phrase for p in pairs] + [p.specialism for p in pairs]))
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    return np.array([float(vectors[p.phrase] @ vectors[p.specialism]) for p in pairs])


def sweep(truth: np.ndarray, cosine: np.ndarray) -> list[Record]:
    return [{"threshold": t, **scores(truth, cosine >= t)} for t in THRESHOLDS]


def best_threshold(rows: list[Record]) -> float:
    """The threshold of best F1; a tie goes to the higher threshold (fewer false matches)."""
    best = max(rows, key=lambda row: (row["f1"] or 0.0, row["threshold"]))
    return float(best["threshold"])


def precise_threshold(rows: list[Record], target: float = PRECISION_TARGET) -> float:
    """The lowest threshold whose precision reaches ``target`` (the highest swept if none)."""
    reaching = [row for row in rows if (row["precision"] or 0.0) >= target]
    return float((reaching[0] if reaching else rows[-1])["threshold"])


def separability(truth: np.ndarray, cosine: np.ndarray) -> dict[str, float]:
    """How well the cosine ranks matches above non-matches, whatever the threshold."""
    return {
        "roc_auc": round(float(roc_auc_score(truth, cosine)), 3),
        "average_precision": round(float(average_precision_score(truth, cosine)), 3),
    }


@dataclass(frozen=True)
class Explained:
    """One pair through deal_phrases → match_specialisms → explain."""

    reported: bool
    says_no_match: bool
    best_cosine: float


def explanation_path(embedder: Embedder, pairs: list[Pair], threshold: float) -> list[Explained]:
    """Whether the reason line for a partner listing ``pair.specialism`` names it, on a deal
    whose description is the pair's brief (or phrase)."""
    phrases = {pair.description: deal_phrases(Deal(description=pair.description)) for pair in pairs}
    texts = list(
        dict.fromkeys(
            [p for found in phrases.values() for p in found] + [p.specialism for p in pairs]
        )
    )
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    explained = []
    for pair in pairs:
        deal = Deal(description=pair.description)
        found = phrases[pair.description]
        specialism = np.stack([vectors[pair.specialism]])
        phrase_vectors = np.array([vectors[p] for p in found]).reshape(len(found), embedder.dim)
        matches = match_specialisms([pair.specialism], specialism, found, phrase_vectors, threshold)
        # no phrase extracted: the ranking has no specialism signal and nothing can match
        best = float((specialism @ phrase_vectors.T).max()) if found else -1.0
        partner = Partner(
            partner_id="P-0", name="Acme", partner_type="consultancy", specialisms=[pair.specialism]
        )
        reason = explain(deal, partner, coverage(deal, partner), matches, None).reason
        explained.append(
            Explained(
                reported=pair.specialism in reason,
                says_no_match=NO_MATCH in reason.lower(),
                best_cosine=best,
            )
        )
    return explained


def explanation_figures(
    pairs: list[Pair], explained: list[Explained], truth: np.ndarray, calibration: Calibration
) -> Record:
    reported = np.array([e.reported for e in explained])
    kinds = np.array([p.kind for p in pairs])
    credit = calibration.specialism_credit(np.array([e.best_cosine for e in explained]))
    denied = np.array([e.says_no_match for e in explained])
    extracted = np.array([p.brief is not None for p in pairs])
    return {
        **scores(truth, reported),
        "positives_reported": int((reported & truth).sum()),
        "per_kind": by_kind(truth, reported, kinds),
        "from_briefs": scores(truth[extracted], reported[extracted]),
        "reason_names_or_denies": bool((reported ^ denied).all()),
        "denied_with_half_credit": int((denied & (credit >= HALF_CREDIT)).sum()),
        "denied": int(denied.sum()),
        "denied_positives_with_half_credit": int((denied & truth & (credit >= HALF_CREDIT)).sum()),
    }


def measure(backend: str, home: Path, pairs: list[Pair]) -> Record:
    """One backend's figures on the labelled pairs."""
    embedder = get_embedder(Settings(home=home, embedding_backend=backend))
    truth = np.array([p.match for p in pairs])
    kinds = np.array([p.kind for p in pairs])
    tuning = np.array([tuning_half(p.phrase) for p in pairs])
    cosine = cosines(embedder, pairs)
    calibration = calibration_for(embedder.model_id)
    threshold = calibration.specialism_match
    at_engine = cosine >= threshold
    tuning_sweep = sweep(truth[tuning], cosine[tuning])
    chosen = best_threshold(tuning_sweep)
    precise = precise_threshold(tuning_sweep)
    held = ~tuning
    explained = explanation_path(embedder, pairs, threshold)
    explained_chosen = explanation_path(embedder, pairs, chosen)
    return {
        "backend": backend,
        "model_id": embedder.model_id,
        "engine_threshold": threshold,
        "at_engine_threshold": {
            **scores(truth, at_engine),
            "per_kind": by_kind(truth, at_engine, kinds),
        },
        "separability": separability(truth, cosine),
        "sweep": sweep(truth, cosine),
        "tuning_sweep": tuning_sweep,
        "recommended_threshold": chosen,
        "recommended_at_sweep_edge": chosen in (THRESHOLDS[0], THRESHOLDS[-1]),
        f"threshold_for_precision_{PRECISION_TARGET}": precise,
        "held_out": {
            "pairs": int(held.sum()),
            "separability": separability(truth[held], cosine[held]),
            "at_engine_threshold": {
                **scores(truth[held], at_engine[held]),
                "per_kind": by_kind(truth[held], at_engine[held], kinds[held]),
            },
            "at_recommended_threshold": {
                **scores(truth[held], cosine[held] >= chosen),
                "per_kind": by_kind(truth[held], cosine[held] >= chosen, kinds[held]),
            },
            f"at_precision_{PRECISION_TARGET}_threshold": scores(
                truth[held], cosine[held] >= precise
            ),
        },
        "explanation_path": {
            "at_engine_threshold": explanation_figures(pairs, explained, truth, calibration),
            "at_recommended_threshold": explanation_figures(
                pairs, explained_chosen, truth, calibration
            ),
        },
        "cosine_by_kind": {
            kind: {
                "median": round(float(np.median(cosine[kinds == kind])), 3),
                "min": round(float(cosine[kinds == kind].min()), 3),
                "max": round(float(cosine[kinds == kind].max()), 3),
            }
            for kind in KINDS
        },
    }


def _cell(value: object) -> str:
    return "–" if value is None else str(value)


def _prf(record: Record) -> str:
    return " / ".join(_cell(record[name]) for name in ("precision", "recall", "f1"))


def markdown(result: Record) -> str:
    """The results as Markdown tables."""
    runs: list[Record] = result["runs"]
    pairs = result["pairs"]
    lines = [
        f"Measured with `{result['command']}` at {result['measured_at']} on {result['machine']}.",
        f"{pairs['total']} labelled pairs ({pairs['positives']} matches), "
        f"{pairs['held_out']} in the held-out half.",
        "",
        "| backend | P / R / F1 at engine threshold | recommended (tuning half) "
        "| held-out P / R / F1 at engine | held-out P / R / F1 at recommended "
        "| reason names it (P / R / F1) | no-match reasons with ≥ half ranking credit |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        held = run["held_out"]
        path = run["explanation_path"]["at_engine_threshold"]
        lines.append(
            f"| {run['model_id']} | {_prf(run['at_engine_threshold'])} "
            f"| {run['recommended_threshold']:.2f} | {_prf(held['at_engine_threshold'])} "
            f"| {_prf(held['at_recommended_threshold'])} | {_prf(path)} "
            f"| {path['denied_with_half_credit']} of {path['denied']} |"
        )
    lines += [
        "",
        f"Held-out half: the threshold reaching precision {PRECISION_TARGET} on the tuning half, "
        "and how well the cosine separates matches at all (ROC AUC, average precision).",
        "",
        f"| backend | threshold for precision {PRECISION_TARGET} | held-out P / R / F1 there "
        "| ROC AUC | average precision |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        held = run["held_out"]
        lines.append(
            f"| {run['model_id']} | {run[f'threshold_for_precision_{PRECISION_TARGET}']:.2f} "
            f"| {_prf(held[f'at_precision_{PRECISION_TARGET}_threshold'])} "
            f"| {held['separability']['roc_auc']} | {held['separability']['average_precision']} |"
        )
    lines += [
        "",
        "Per kind at each engine threshold ("
        + ", ".join(f"{run['model_id']} {run['engine_threshold']}" for run in runs)
        + "): matched / pairs "
        "(a kind of only matches shows recall, one of only non-matches its false matches).",
        "",
        "| backend | " + " | ".join(KINDS) + " |",
        "|---|" + "---|" * len(KINDS),
    ]
    for run in runs:
        cells = []
        for kind in KINDS:
            record = run["at_engine_threshold"]["per_kind"][kind]
            cell = f"{record['predicted_matches']} / {record['pairs']}"
            if kind == "translation":
                cell += f" (P {_cell(record['precision'])}, R {_cell(record['recall'])})"
            cells.append(cell)
        lines.append(f"| {run['model_id']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Threshold sweep, all pairs: P / R / F1.",
        "",
        "| threshold | " + " | ".join(run["model_id"] for run in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for position, threshold in enumerate(THRESHOLDS):
        cells = [_prf(run["sweep"][position]) for run in runs]
        lines.append(f"| {threshold:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Measure every backend and write the JSON and Markdown results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--home", type=Path, default=Path("var/bench/specialism"))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--out", type=Path, default=RESULTS / "specialism_matching.json")
    args = parser.parse_args(argv)
    pairs = read_pairs(args.pairs)
    runs = [measure(backend, args.home, pairs) for backend in args.backends]
    result = {
        **provenance("bench.specialism_matching"),
        "pairs": {
            "file": args.pairs.as_posix(),
            "total": len(pairs),
            "positives": sum(p.match for p in pairs),
            "held_out": sum(not tuning_half(p.phrase) for p in pairs),
        },
        "runs": runs,
    }
    write_results(args.out, result, markdown(result))


if __name__ == "__main__":
    main()
