"""Where each embedder's low-relevance floors sit: real briefs against off-topic text.

An answer is flagged ``low_relevance`` when a description-only deal's best candidate is
barely similar to it (``semantic_floor``) or shares no word with any candidate and is only
weakly similar (``wordless_floor``; see :mod:`matcher.embedding.calibration`). This runs the
real engine on

* **real briefs**: the description-only judged deals of ``<data>/judged_deals.jsonl`` and their
  hand translations in ``<data>/translations/*.jsonl`` (a German brief shares few words with
  English profiles, so the word-less floor must not flag it), and
* **noise**: off-topic and gibberish text in the same five languages (below),

and reports, per backend, the best candidate's cosine in each group, how many of each the
model's floors flag (false alarms on real briefs, misses on noise) and the floors that would
flag no real brief. Run (writes ``bench/results/relevance_floor.{json,md}``)::

    python -m bench.relevance_floor --data data/sample --backends onnx-int8 use
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from bench.results import RESULTS, Record, provenance, write_results
from matcher.embedding import get_embedder
from matcher.engine import Recommender
from matcher.schemas import Deal
from matcher.settings import Settings
from training.evaluate import load_engine_for, read_judged

BACKENDS = ("onnx-int8", "use")
# text a seller would never send as a deal, or a slip of the keyboard, in en/de/fr/es/nl
NOISE: tuple[str, ...] = (
    "asdf qwer zxcv",
    "qwertyuiop",
    "test test test",
    "hello",
    "lorem ipsum dolor sit amet",
    "banana smoothie recipe",
    "my cat likes to sleep on the sofa",
    "what time does the football match start tonight",
    "Wie backe ich einen Apfelkuchen?",
    "Mein Hund spielt gern im Garten",
    "recette de crêpes au chocolat",
    "le chat dort sur le canapé",
    "¿Dónde está la playa más cercana?",
    "receta de paella valenciana",
    "Het weer is mooi vandaag",
    "mijn fiets heeft een lekke band",
)


def briefs(data: Path) -> dict[str, list[str]]:
    """The description-only judged briefs, English and each translation, by language."""
    english = {
        judged.deal_id: judged.deal.description
        for judged in read_judged(data / "judged_deals.jsonl")
        if judged.deal.description
        and not (judged.deal.industry or judged.deal.specialisms or judged.deal.country)
    }
    by_language = {"en": list(english.values())}
    for path in sorted((data / "translations").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        by_language[path.stem] = [r["description"] for r in rows if r["deal_id"] in english]
    return by_language


def best_candidate(engine: Recommender, text: str) -> tuple[float, bool, bool]:
    """The best candidate's cosine, whether any candidate shares a word, and the flag."""
    answer = engine.recommend(Deal(description=text, top_k=10))
    results = answer["results"]
    assert isinstance(results, list)
    semantic = max((r["signals"].get("semantic", 0.0) for r in results), default=0.0)
    shares_words = any("lexical" in r["signals"] for r in results)
    return float(semantic), shares_words, bool(answer["low_relevance"])


def summary(values: list[float]) -> Record:
    array = np.array(values)
    return {
        "n": len(values),
        "min": round(float(array.min()), 3),
        "p5": round(float(np.percentile(array, 5)), 3),
        "median": round(float(np.median(array)), 3),
        "max": round(float(array.max()), 3),
    }


def measure(backend: str, data: Path, home: Path) -> Record:
    """One backend: the cosine of the best candidate for real briefs and noise, and flags."""
    embedder = get_embedder(Settings(home=home / "models", embedding_backend=backend))
    engine = load_engine_for(data, home / backend, embedder)
    calibration = engine.calibration
    real: dict[str, Record] = {}
    all_real: list[tuple[float, bool]] = []
    for language, texts in briefs(data).items():
        seen = [best_candidate(engine, text) for text in texts]
        all_real += [(cosine, words) for cosine, words, _ in seen]
        real[language] = {
            **summary([cosine for cosine, _, _ in seen]),
            "flagged": sum(flag for _, _, flag in seen),
            "sharing_no_word": sum(not words for _, words, _ in seen),
        }
    noise = [best_candidate(engine, text) for text in NOISE]
    wordless_real = [cosine for cosine, words in all_real if not words]
    return {
        "backend": backend,
        "model_id": embedder.model_id,
        "semantic_floor": calibration.semantic_floor,
        "wordless_floor": calibration.wordless_floor,
        "real": real,
        "noise": {
            **summary([cosine for cosine, _, _ in noise]),
            "flagged": sum(flag for _, _, flag in noise),
            "sharing_a_word": sum(words for _, words, _ in noise),
            "texts": {
                text: round(cosine, 3) for text, (cosine, _, _) in zip(NOISE, noise, strict=True)
            },
        },
        # the highest floors that would flag no real brief (all, and those sharing no word)
        "highest_safe_semantic_floor": round(min(cosine for cosine, _ in all_real), 3),
        "highest_safe_wordless_floor": round(min(wordless_real), 3) if wordless_real else None,
    }


def markdown(record: Record) -> str:
    lines = [
        f"Measured with `{record['command']}` at {record['measured_at']} on {record['machine']}.",
        "",
        "Best candidate's cosine (min / p5 / median / max) and answers flagged low-relevance.",
        "",
        "| backend | floors (any / no shared word) | real briefs by language: min / median, "
        "flagged | noise: min / median / max, flagged | highest safe floors |",
        "|---|---|---|---|---|",
    ]
    for backend in record["backends"]:
        real = "; ".join(
            f"{lang} {r['min']} / {r['median']}, {r['flagged']} of {r['n']}"
            for lang, r in backend["real"].items()
        )
        noise = backend["noise"]
        lines.append(
            f"| {backend['model_id']} | {backend['semantic_floor']} / {backend['wordless_floor']} "
            f"| {real} | {noise['min']} / {noise['median']} / {noise['max']}, "
            f"{noise['flagged']} of {noise['n']} | {backend['highest_safe_semantic_floor']} / "
            f"{backend['highest_safe_wordless_floor']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/sample"))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--out", type=Path, default=RESULTS / "relevance_floor.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        backends = [measure(backend, args.data, Path(scratch)) for backend in args.backends]
    record = {**provenance("bench.relevance_floor"), "backends": backends}
    write_results(args.out, record, markdown(record))


if __name__ == "__main__":
    main()
