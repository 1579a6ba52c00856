from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController
from typer.testing import CliRunner

from matcher import taxonomy
from matcher.audit import get_recommendation
from matcher.embedding.base import Embedder, FakeEmbedder
from matcher.engine.build import build_engine, load_engine
from matcher.engine.index import IndexStaleError
from matcher.engine.query import read_deal
from matcher.engine.recommender import RankingWeights, Recommender
from matcher.ipp.base import FourCs, NeutralScorer
from matcher.ipp.matrix import MatrixScorer
from matcher.schemas import Deal, Partner, PartnerProfile
from matcher.settings import Settings
from matcher.store import Store


class FixedScorer:
    """An IPP scorer with a fixed opinion per partner id (0.5 otherwise)."""

    version = "fixed-test"

    def __init__(self, fits: dict[str, float] | None = None) -> None:
        self.fits = fits or {}

    def assess(self, partner: PartnerProfile, target: Deal | None = None) -> FourCs:
        value = 100 * self.fits.get(partner.partner_id, 0.5)
        return FourCs(value, value, value, value)

    def fit(self, partner: PartnerProfile, four_cs: FourCs, target: Deal | None = None) -> float:
        return self.fits.get(partner.partner_id, 0.5)

    def fit_many(
        self, partners: list[PartnerProfile], four_cs: list[FourCs], target: Deal | None = None
    ) -> np.ndarray:
        return np.array([self.fits.get(partner.partner_id, 0.5) for partner in partners])


def _partner(partner_id: str, **fields: object) -> Partner:
    fields.setdefault("name", f"Partner {partner_id}")
    fields.setdefault("partner_type", "system_integrator")
    return Partner(partner_id=partner_id, **fields)


def _engine(
    store: Store,
    settings: Settings,
    partners: list[Partner],
    embedder: Embedder | None = None,
    scorer: object | None = None,
) -> Recommender:
    store.upsert_partners(partners)
    return build_engine(store, embedder or FakeEmbedder(), scorer or NeutralScorer(), settings)


ECOSYSTEM = [
    _partner(
        "P-PPM",
        description="Project portfolio management rollouts for manufacturers",
        specialisms=["project portfolio management"],
        industries=["manufacturing"],
        languages=["de", "en"],
        countries=["DE", "AT"],
        segments=["mid_market"],
        active_projects=2,
        max_projects=10,
    ),
    _partner(
        "P-MIG",
        description="Data migration and ERP integration for banks",
        specialisms=["data migration"],
        industries=["banking"],
        languages=["en"],
        countries=["US"],
    ),
    _partner(
        "P-CRM",
        description="CRM implementation for retailers",
        specialisms=["crm"],
        industries=["retail"],
        languages=["fr"],
        countries=["FR"],
        partner_type="reseller",
    ),
]


def test_answer_has_the_contract_shape(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(description="portfolio management", country="DE"))
    assert answer["recommendation_id"].startswith("r_")
    assert answer["model_version"] == "neutral"
    assert answer["index_version"] == engine.index.index_version
    assert list(answer["funnel"]) == [
        "total",
        "at_capacity",
        "country",
        "languages",
        "certifications",
        "partner_types",
    ]
    result = answer["results"][0]
    assert result["partner_id"] == "P-PPM" and result["rank"] == 1
    assert 0 <= result["score"] <= 1
    assert set(result["four_cs"]) == {"capacity", "capability", "commitment", "customer_fit"}
    assert {"languages", "certifications", "industries", "specialisms", "country"} <= set(
        result["evidence"]
    )
    assert isinstance(result["reason"], str) and result["reason"]


def test_a_recommendation_runs_blas_on_one_thread_and_restores_the_count(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a second OpenBLAS thread spun after each small product: 21.1 vs 14.8 ms CPU at 100k
    engine = _engine(store, settings, ECOSYSTEM)
    blas = ThreadpoolController().select(user_api="blas")
    seen: list[set[int]] = []
    search = engine.semantic_search

    def noting(*args: Any) -> Any:
        seen.append({lib.num_threads for lib in blas.lib_controllers})
        return search(*args)

    monkeypatch.setattr(engine, "semantic_search", noting)
    with blas.limit(limits=2):
        assert engine.recommend(Deal(description="ERP migration"))["results"]
        assert seen == [{1}]
        assert {lib.num_threads for lib in blas.lib_controllers} == {2}


def test_description_only_deal_finds_the_matching_partner(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(description="data migration for a bank", strict=False))
    assert answer["results"][0]["partner_id"] == "P-MIG"


def test_structured_only_deal_ranks_by_structured_fields(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(industry="retail"))
    assert answer["results"][0]["partner_id"] == "P-CRM"


def test_description_and_structured_fields_together(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    deal = Deal(description="ERP integration", industry="banking", languages=["en"], top_k=5)
    ids = [result["partner_id"] for result in engine.recommend(deal)["results"]]
    assert ids == ["P-MIG", "P-PPM"]


def test_post_filter_starvation_regression(store: Store, settings: Settings) -> None:
    # 100 near-duplicates of the deal fail the language filter; one weaker match passes it.
    duplicates = [
        _partner(
            f"D-{i:03d}",
            description=f"SAP S4 migration for automotive suppliers team {i}",
            specialisms=["sap migration"],
            languages=["en"],
        )
        for i in range(100)
    ]
    weaker = _partner("W-001", description="General IT services", languages=["ja"])
    engine = _engine(store, settings, [*duplicates, weaker])
    deal = Deal(description="SAP S4 migration for automotive suppliers", languages=["ja"])
    answer = engine.recommend(deal)
    assert [result["partner_id"] for result in answer["results"]] == ["W-001"]
    assert answer["funnel"]["languages"] == 1


def test_exclude_is_honoured(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(description="portfolio management", exclude=["P-PPM"]))
    assert "P-PPM" not in [result["partner_id"] for result in answer["results"]]


def test_soft_constraints_prefer_but_do_not_exclude(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    deal = Deal(description="implementation", languages=["fr"], country="FR", strict=False)
    ids = [result["partner_id"] for result in engine.recommend(deal)["results"]]
    assert ids[0] == "P-CRM" and len(ids) == 3


def test_empty_answer_reports_the_emptying_constraint(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(description="anything", country="JP"))
    assert answer["results"] == []
    assert answer["emptied_by"] == "country"


def test_ties_break_by_partner_id_without_rotation(store: Store, settings: Settings) -> None:
    twins = [_partner(pid, description="identical text") for pid in ("B-2", "A-1", "C-3")]
    engine = _engine(store, settings.model_copy(update={"exposure_tolerance": 0.0}), twins)
    answer = engine.recommend(Deal(description="identical text"))
    assert [result["partner_id"] for result in answer["results"]] == ["A-1", "B-2", "C-3"]
    assert len({result["score"] for result in answer["results"]}) == 1


def test_repeated_deals_share_the_top_place_among_near_ties(
    store: Store, settings: Settings
) -> None:
    twins = [_partner(pid, description="identical text") for pid in ("B-2", "A-1", "C-3")]
    engine = _engine(store, settings, twins)
    deal = Deal(description="identical text")
    answers = [engine.recommend(deal) for _ in range(3)]
    assert {answer["results"][0]["partner_id"] for answer in answers} == {"A-1", "B-2", "C-3"}
    first = answers[0]["results"]
    assert first[0]["reason"].endswith("Level with #2: near-tied partners take turns at this place")
    assert first[0]["above_next"] == []
    # the order is a function of the deal and what was served: a fresh engine repeats it
    again = _engine(store, settings, twins)
    assert [r["partner_id"] for r in again.recommend(deal)["results"]] == [
        r["partner_id"] for r in first
    ]


def test_ipp_score_moves_the_ranking(store: Store, settings: Settings) -> None:
    twins = [_partner(pid, description="identical text") for pid in ("A-1", "B-2")]
    engine = _engine(store, settings, twins, scorer=FixedScorer({"B-2": 0.95, "A-1": 0.1}))
    answer = engine.recommend(Deal(description="identical text"))
    assert [result["partner_id"] for result in answer["results"]] == ["B-2", "A-1"]
    assert answer["model_version"] == "fixed-test"
    assert answer["results"][0]["four_cs"]["capability"] == 95.0


def test_a_language_the_text_requires_is_a_hard_constraint(
    store: Store, settings: Settings
) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    answer = engine.recommend(Deal(description="Rollout for a retailer, French-speaking required"))
    assert [result["partner_id"] for result in answer["results"]] == ["P-CRM"]
    assert answer["funnel"]["languages"] == 1
    assert answer["read_from_description"]["applied"]["languages"] == "constraint"
    assert answer["results"][0]["reason"].startswith("Speaks French")


def test_a_country_the_text_names_is_a_preference_that_moves_the_ranking(
    store: Store, settings: Settings
) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    plain = engine.recommend(Deal(description="Rollout for a customer"))
    read = engine.recommend(Deal(description="Rollout for a customer in France"))
    assert len(read["results"]) == len(plain["results"]) == 3  # nobody filtered out

    def rank_of(answer: dict[str, object]) -> int:
        results = answer["results"]
        assert isinstance(results, list)
        return next(r["rank"] for r in results if r["partner_id"] == "P-CRM")

    assert rank_of(read) < rank_of(plain)
    french = next(r for r in read["results"] if r["partner_id"] == "P-CRM")
    assert french["signals"]["country"] == 1.0 and french["evidence"]["country"] == "FR"
    assert read["read_from_description"]["applied"] == {"countries": "preference"}


def test_ranking_with_the_ipp_switched_off_orders_by_score_not_partner_id(
    store: Store, settings: Settings
) -> None:
    """Regression: candidates were built positionally, putting the score into the ``four_cs``
    slot; with ``ipp=0`` every score was 0, the order fell back to partner ids and explaining
    the answer raised ``AttributeError``."""
    engine = _engine(store, settings, ECOSYSTEM)
    deal = Deal(description="Data migration and ERP integration for banks", industry="banking")
    weights = RankingWeights(ipp=0.0)
    ranked = engine.rank(deal, weights)[0]
    assert ranked[0].partner.partner_id == "P-MIG"  # partner-id order would put P-CRM first
    assert ranked[0].score > 0 and ranked[0].four_cs is None
    scores = [candidate.score for candidate in ranked]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    answer = engine.recommend(deal, weights)
    first = answer["results"][0]  # type: ignore[index]
    assert first["partner_id"] == "P-MIG" and set(first["four_cs"]) == {
        "capacity",
        "capability",
        "commitment",
        "customer_fit",
    }


def test_upserted_partner_is_findable_immediately(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    store.upsert_partners([_partner("P-NEW", description="quantum annealing consultancy")])
    assert engine.upsert_partner("P-NEW")
    answer = engine.recommend(Deal(description="quantum annealing"))
    assert answer["results"][0]["partner_id"] == "P-NEW"


def test_updated_partner_is_found_by_its_new_profile(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    store.upsert_partners(
        [_partner("P-CRM", description="drone fleet logistics", languages=["fr"])]
    )
    engine.upsert_partner("P-CRM")
    answer = engine.recommend(Deal(description="drone fleet", languages=["fr"]))
    assert answer["results"][0]["partner_id"] == "P-CRM"
    assert (
        engine.recommend(Deal(description="crm", languages=["en"], top_k=5))["funnel"]["languages"]
        == 2
    )


def test_an_upserted_partner_is_answered_with_its_new_4cs(store: Store, settings: Settings) -> None:
    # the matrix caches what a partner's 4 Cs owe to the partner alone; a write must not be
    # answered from the old profile's criteria
    engine = _engine(store, settings, ECOSYSTEM, scorer=MatrixScorer())
    deal = Deal(description="project portfolio management", industry="manufacturing")
    before = _result_of(engine.recommend(deal), "P-PPM")
    grown = ECOSYSTEM[0].model_copy(
        update={"employees": 900, "certified_staff": 300, "customers": 2_000, "csat": 97}
    )
    store.upsert_partners([grown])

    engine.upsert_partner("P-PPM")

    after = _result_of(engine.recommend(deal), "P-PPM")
    assert after["four_cs"]["capacity"] > before["four_cs"]["capacity"]
    assert after["four_cs"] == MatrixScorer().assess(grown, read_deal(deal).target).as_dict()


def _result_of(answer: dict[str, object], partner_id: str) -> dict[str, object]:
    results: list[dict[str, object]] = answer["results"]  # type: ignore[assignment]
    return next(result for result in results if result["partner_id"] == partner_id)


def test_deleted_partner_never_comes_back(store: Store, settings: Settings) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    store.delete_partner("P-PPM")
    assert engine.delete_partner("P-PPM")
    for deal in (
        Deal(description="project portfolio management"),
        Deal(industry="manufacturing", strict=False, top_k=100),
    ):
        assert "P-PPM" not in [r["partner_id"] for r in engine.recommend(deal)["results"]]


def test_a_partner_deleted_before_the_engine_hears_of_it_is_skipped(
    store: Store, settings: Settings
) -> None:
    engine = _engine(store, settings, ECOSYSTEM)
    store.delete_partner("P-PPM")  # the service then tells the engine; a request may come first
    answer = engine.recommend(Deal(description="project portfolio management"))
    assert answer["results"] and "P-PPM" not in [r["partner_id"] for r in answer["results"]]


def test_loaded_engine_answers_like_the_built_one(store: Store, settings: Settings) -> None:
    built = _engine(store, settings, ECOSYSTEM)
    loaded = load_engine(store, FakeEmbedder(), NeutralScorer(), settings)
    deal = Deal(description="crm for retail", strict=False)
    assert [r["partner_id"] for r in built.recommend(deal)["results"]] == [
        r["partner_id"] for r in loaded.recommend(deal)["results"]
    ]


def test_loading_after_the_store_changed_is_refused_or_rebuilt(
    store: Store, settings: Settings
) -> None:
    _engine(store, settings, ECOSYSTEM)
    store.upsert_partners([_partner("P-LATE", description="late arrival")])
    with pytest.raises(IndexStaleError):
        load_engine(store, FakeEmbedder(), NeutralScorer(), settings)
    engine = load_engine(store, FakeEmbedder(), NeutralScorer(), settings, rebuild_if_stale=True)
    assert "P-LATE" in engine.columns.row_of


def test_rebuilding_an_unchanged_store_embeds_nothing(store: Store, settings: Settings) -> None:
    class CountingEmbedder(FakeEmbedder):
        texts = 0

        def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
            CountingEmbedder.texts += len(texts)
            return super().embed(texts, progress)

    _engine(store, settings, ECOSYSTEM, embedder=CountingEmbedder())
    CountingEmbedder.texts = 0
    build_engine(store, CountingEmbedder(), NeutralScorer(), settings)
    assert CountingEmbedder.texts == 0


CERTIFIED = [
    *ECOSYSTEM,
    _partner("P-CERT", description="Certified ERP partner", certifications=["Acme ERP Expert"]),
]


def test_a_certification_nobody_holds_is_refused_on_a_strict_deal(
    store: Store, settings: Settings
) -> None:
    engine = _engine(store, settings, CERTIFIED)
    with pytest.raises(taxonomy.UnknownValueError) as raised:
        engine.recommend(Deal(description="ERP rollout", certifications=["Acme ERP Expret"]))
    assert raised.value.field == "certifications"
    assert "no partner holds" in str(raised.value)
    assert raised.value.suggestions == ["Acme ERP Expert"]


def test_a_certification_nobody_holds_is_a_warning_on_a_soft_deal(
    store: Store, settings: Settings
) -> None:
    engine = _engine(store, settings, CERTIFIED)
    deal = Deal(description="ERP rollout", certifications=["SAP Gold"], strict=False)
    answer = engine.recommend(deal)
    assert answer["results"]  # nothing was filtered out
    assert any("'SAP Gold'" in warning for warning in answer["warnings"])
    held = engine.recommend(Deal(description="ERP rollout", certifications=["acme erp expert"]))
    assert [r["partner_id"] for r in held["results"]] == ["P-CERT"] and "warnings" not in held


# -- CLI ---------------------------------------------------------------------------------------


def _cli():  # type: ignore[no-untyped-def]
    from matcher.cli import app

    return app


def test_cli_recommend_prints_the_json_answer(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.embedding.factory
    import matcher.ipp.registry

    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _settings: FakeEmbedder())
    monkeypatch.setattr(matcher.ipp.registry, "default_scorer", lambda _settings: NeutralScorer())
    store.upsert_partners(ECOSYSTEM)
    runner = CliRunner()
    built = runner.invoke(_cli(), ["index", "build"])
    assert built.exit_code == 0, built.output
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps({"description": "portfolio management", "country": "DE"}))
    result = runner.invoke(_cli(), ["recommend", str(deal)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["results"][0]["partner_id"] == "P-PPM"
    record = get_recommendation(store, answer["recommendation_id"])
    assert record is not None and record["channel"] == "cli" and record["key_id"] is None
    assert record["results"][0]["partner_id"] == "P-PPM"


def test_cli_recommend_bad_deal_names_the_field_and_exits_2(
    settings: Settings, tmp_path: Path
) -> None:
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps({"description": "x", "languages": ["Klingonish"]}))
    result = CliRunner().invoke(_cli(), ["recommend", str(deal)])
    assert result.exit_code == 2
    assert "languages" in result.output
    assert "Traceback" not in result.output


def test_cli_recommend_with_an_unheld_certification_names_it_and_exits_2(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.embedding.factory
    import matcher.ipp.registry

    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _settings: FakeEmbedder())
    monkeypatch.setattr(matcher.ipp.registry, "default_scorer", lambda _settings: NeutralScorer())
    store.upsert_partners(CERTIFIED)
    runner = CliRunner()
    assert runner.invoke(_cli(), ["index", "build"]).exit_code == 0
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps({"description": "ERP", "certifications": ["SAP Gold"]}))
    result = runner.invoke(_cli(), ["recommend", str(deal)])
    assert result.exit_code == 2
    assert "SAP Gold" in result.output and "Traceback" not in result.output


def test_cli_recommend_without_index_says_to_build_one(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.embedding.factory

    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _settings: FakeEmbedder())
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps({"description": "x"}))
    result = CliRunner().invoke(_cli(), ["recommend", str(deal)])
    assert result.exit_code == 1
    assert "index build" in result.output


# -- the real model ----------------------------------------------------------------------------


@pytest.mark.slow
def test_paraphrased_deal_finds_the_profile_with_the_real_model(
    store: Store, settings: Settings, real_embedder: Embedder
) -> None:
    partners = [
        _partner(
            "P-HEALTH",
            description="We digitise patient intake and clinical scheduling for hospitals.",
            specialisms=["clinical workflow automation"],
        ),
        _partner(
            "P-FIN",
            description="Month-end close and financial consolidation for CFO teams.",
            specialisms=["financial planning"],
        ),
        _partner(
            "P-CONSTR",
            description="Site progress tracking and subcontractor coordination for builders.",
            specialisms=["construction project tracking"],
        ),
    ]
    engine = _engine(store, settings, partners, embedder=real_embedder)
    deal = Deal(description="A clinic wants to automate how it books and admits its sick people")
    answer = engine.recommend(deal)
    assert answer["results"][0]["partner_id"] == "P-HEALTH"


def test_cli_index_status_says_whether_the_index_is_current(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.embedding.factory
    import matcher.ipp.registry

    monkeypatch.setattr(matcher.embedding.factory, "get_embedder", lambda _settings: FakeEmbedder())
    monkeypatch.setattr(matcher.ipp.registry, "default_scorer", lambda _settings: NeutralScorer())
    store.upsert_partners(ECOSYSTEM)
    runner = CliRunner()
    assert runner.invoke(_cli(), ["index", "build"]).exit_code == 0
    status = json.loads(runner.invoke(_cli(), ["index", "status"]).stdout)
    assert status["count"] == 3 and status["current"] is True
    assert status["snapshot"] == f"engine-{status['index_version']}"
    store.upsert_partners([_partner("P-LATE", description="late")])
    assert json.loads(runner.invoke(_cli(), ["index", "status"]).stdout)["current"] is False


def test_cli_index_build_with_no_partners_exits_2(settings: Settings) -> None:
    result = CliRunner().invoke(_cli(), ["index", "build"])
    assert result.exit_code == 2
    assert "ingest partners" in result.output


@pytest.mark.slow
def test_gibberish_is_answered_but_flagged_as_low_relevance(
    store: Store, settings: Settings, real_embedder: Embedder
) -> None:
    engine = _engine(store, settings, ECOSYSTEM, embedder=real_embedder)
    noise = engine.recommend(Deal(description="asdf qwer zxcv"))
    assert noise["results"] and noise["low_relevance"] is True
    assert any("Nothing in the partner profiles" in warning for warning in noise["warnings"])
    real = engine.recommend(Deal(description="Migrating a bank's data into a new ERP system"))
    assert real["low_relevance"] is False and "warnings" not in real
    assert real["results"][0]["partner_id"] == "P-MIG"


@pytest.mark.slow
def test_the_multilingual_model_flags_noise_in_any_language_but_not_a_german_brief(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """USE's own floors (matcher.embedding.calibration): a German brief sharing no word with
    the English profiles is a real deal; off-topic German and English text is noise."""
    from matcher.embedding import get_embedder

    use = get_embedder(Settings(home=tmp_path / "use", embedding_backend="use"))
    engine = _engine(store, settings, ECOSYSTEM, embedder=use)
    brief = engine.recommend(
        Deal(description="Datenmigration in ein neues ERP-System für eine Bank")
    )
    assert brief["low_relevance"] is False
    assert brief["results"][0]["partner_id"] == "P-MIG"
    for noise in ("asdf qwer zxcv", "Wie backe ich einen Apfelkuchen?"):
        assert engine.recommend(Deal(description=noise))["low_relevance"] is True, noise
