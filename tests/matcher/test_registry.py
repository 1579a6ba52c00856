from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from matcher.ipp.base import IppScorer
from matcher.ipp.config import MatrixConfig
from matcher.ipp.four_cs import FEATURE_NAMES, feature_schema_hash
from matcher.ipp.history import Priors
from matcher.ipp.matrix import MatrixScorer
from matcher.ipp.registry import (
    TRUSTED_TYPES,
    ModelFileError,
    ModelRegistry,
    RegistryError,
    SchemaMismatchError,
    load_scorer,
)
from matcher.ipp.trained import TrainedScorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store


class NotTrusted:
    """A type no registry should ever instantiate from a file."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.zeros((len(X), 2))


@pytest.fixture(scope="module")
def fitted_model() -> Pipeline:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, len(FEATURE_NAMES)))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int)
    steps = (SimpleImputer(add_indicator=True, keep_empty_features=True), StandardScaler())
    return make_pipeline(*steps, LogisticRegression()).fit(X, y)


def write(registry: ModelRegistry, model: object, schema_hash: str | None = None) -> str:
    return registry.write(
        model,
        feature_names=FEATURE_NAMES,
        schema_hash=schema_hash or feature_schema_hash(MatrixConfig.load()),
        priors=Priors(values={"capacity.employees": 0.4}, win_rate=0.3),
        metrics={"validation": {"model": {"roc_auc": 0.7, "brier": 0.2}}},
        card=lambda version: f"# IPP model {version}\n",
    )


def settings_for(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", default_models_dir=tmp_path / "default-models")


def test_versions_are_numbered_and_carry_their_files(tmp_path: Path, fitted_model) -> None:
    registry = ModelRegistry(tmp_path / "models")
    assert write(registry, fitted_model) == "ipp-0001"
    assert write(registry, fitted_model) == "ipp-0002"
    assert registry.versions() == ["ipp-0001", "ipp-0002"]
    files = {path.name for path in registry.path("ipp-0002").iterdir()}
    assert files == {"model.skops", "features.json", "metrics.json", "MODEL_CARD.md"}
    manifest = registry.manifest("ipp-0002")
    assert manifest["feature_names"] == list(FEATURE_NAMES)
    assert (
        (registry.path("ipp-0002") / "MODEL_CARD.md").read_text().startswith("# IPP model ipp-0002")
    )


def test_promote_then_rollback(tmp_path: Path, fitted_model) -> None:
    registry = ModelRegistry(tmp_path / "models")
    first, second = write(registry, fitted_model), write(registry, fitted_model)
    assert registry.promoted() is None
    registry.promote(first)
    registry.promote(second)
    assert registry.promoted() == second
    assert registry.rollback() == first
    assert registry.promoted() == first
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()


def test_promoting_an_unknown_version_is_refused(tmp_path: Path, fitted_model) -> None:
    registry = ModelRegistry(tmp_path / "models")
    write(registry, fitted_model)
    with pytest.raises(RegistryError, match=r"no model version 'ipp-0009'.*ipp-0001"):
        registry.promote("ipp-0009")


def test_load_scorer_serves_the_promoted_version(tmp_path: Path, fitted_model) -> None:
    settings = settings_for(tmp_path)
    registry = ModelRegistry(settings.resolved_models_dir)
    registry.promote(write(registry, fitted_model))
    scorer = load_scorer(settings)
    assert isinstance(scorer, TrainedScorer) and isinstance(scorer, IppScorer)
    assert scorer.version == "ipp-0001"
    partner = Partner(partner_id="P-1", name="A", partner_type="isv", employees=10)
    deal = Deal(industry="retail")
    fit = scorer.fit(partner, scorer.assess(partner, deal), deal)
    row = np.asarray([scorer.features(partner, deal)])
    assert scorer.compiled
    assert fit == pytest.approx(fitted_model.predict_proba(row)[0, 1])


def test_without_any_model_the_matrix_scores_with_a_warning(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="matcher.ipp.registry"):
        scorer = load_scorer(settings_for(tmp_path))
    assert isinstance(scorer, MatrixScorer) and scorer.version == "matrix-default"
    assert "rule-based matrix" in caplog.text


def test_the_committed_default_serves_while_home_has_none(tmp_path: Path, fitted_model) -> None:
    settings = settings_for(tmp_path)
    default = ModelRegistry(settings.resolved_default_models_dir)
    default.promote(write(default, fitted_model))
    assert load_scorer(settings).version == "ipp-0001"


def test_incompatible_feature_schema_falls_back_to_the_matrix(
    tmp_path: Path, fitted_model, caplog
) -> None:
    settings = settings_for(tmp_path)
    registry = ModelRegistry(settings.resolved_models_dir)
    version = write(registry, fitted_model, schema_hash="0123456789abcdef")
    with pytest.raises(SchemaMismatchError, match="retrain"):
        registry.load(version)
    (registry.root / "registry.json").write_text(
        json.dumps({"promoted": version, "history": [version]})
    )
    with caplog.at_level(logging.WARNING, logger="matcher.ipp.registry"):
        scorer = load_scorer(settings)
    assert isinstance(scorer, MatrixScorer)
    assert "feature schema" in caplog.text


def test_a_corrupted_model_file_is_refused_with_a_clear_error(
    tmp_path: Path, fitted_model, caplog
) -> None:
    settings = settings_for(tmp_path)
    registry = ModelRegistry(settings.resolved_models_dir)
    version = write(registry, fitted_model)
    registry.promote(version)
    model_file = registry.path(version) / "model.skops"
    model_file.write_bytes(model_file.read_bytes()[:100] + b"garbage")
    with pytest.raises(ModelFileError, match="corrupted"):
        registry.load(version)
    with caplog.at_level(logging.WARNING, logger="matcher.ipp.registry"):
        assert isinstance(load_scorer(settings), MatrixScorer)
    assert "corrupted" in caplog.text


def test_a_file_that_is_not_skops_is_refused_even_with_a_matching_checksum(
    tmp_path: Path, fitted_model
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    version = write(registry, fitted_model)
    (registry.path(version) / "model.skops").write_bytes(b"\x80\x04 not a zip, maybe a pickle")
    manifest = registry.manifest(version)
    manifest["model_sha256"] = None
    (registry.path(version) / "features.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="not a readable skops file"):
        registry.load(version)


def test_untrusted_types_in_a_model_file_are_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    version = write(registry, NotTrusted())
    with pytest.raises(ModelFileError, match=r"untrusted types: .*NotTrusted"):
        registry.load(version)


def test_a_missing_model_file_is_refused(tmp_path: Path, fitted_model) -> None:
    registry = ModelRegistry(tmp_path / "models")
    version = write(registry, fitted_model)
    (registry.path(version) / "model.skops").unlink()
    with pytest.raises(ModelFileError, match="missing"):
        registry.load(version)


def test_skops_round_trip_keeps_predictions(tmp_path: Path, fitted_model) -> None:
    registry = ModelRegistry(tmp_path / "models")
    model, _ = registry.load_model(write(registry, fitted_model))
    X = np.ones((3, len(FEATURE_NAMES)))
    np.testing.assert_allclose(model.predict_proba(X), fitted_model.predict_proba(X))
    untrusted = sio.get_untrusted_types(file=registry.path("ipp-0001") / "model.skops")
    assert set(untrusted) <= set(TRUSTED_TYPES)


def test_a_trained_model_reads_partner_history_from_the_stored_outcomes(
    tmp_path: Path, fitted_model
) -> None:
    from datetime import date

    from matcher.schemas import Outcome
    from matcher.store import Store

    settings = settings_for(tmp_path)
    store = Store.from_settings(settings)
    store.upsert_partners([Partner(partner_id="P-1", name="A", partner_type="isv")])
    store.upsert_outcomes(
        [
            Outcome(
                deal_id="D1", partner_id="P-1", role="sourced", won=True, closed_on=date(2026, 1, 5)
            ),
            Outcome(
                deal_id="D2",
                partner_id="P-1",
                role="sourced",
                won=False,
                closed_on=date(2026, 2, 5),
            ),
        ]
    )
    registry = ModelRegistry(settings.resolved_models_dir)
    registry.promote(write(registry, fitted_model))
    scorer = load_scorer(settings)
    assert isinstance(scorer, TrainedScorer)
    active = scorer.assess(Partner(partner_id="P-1", name="A", partner_type="isv"))
    quiet = scorer.assess(
        Partner(partner_id="P-2", name="B", partner_type="isv", deals_won_12m=9, deals_lost_12m=1)
    )
    assert any("1 of 2 deals" in line for line in active.evidence["capability"])
    # as in training, a partner without a deal in the window has no track record yet
    assert "win rate unknown (no closed deals)" in quiet.evidence["capability"]


def test_serving_the_shipped_model_does_not_import_torch(tmp_path: Path) -> None:
    """A fresh process loading the default model stays without torch (330 MB resident)."""
    import subprocess
    import sys

    code = (
        "import sys; from matcher.settings import Settings; "
        "from matcher.ipp import default_scorer; "
        "scorer = default_scorer(Settings(home=sys.argv[1])); "
        "print(scorer.version, 'torch' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown[0].startswith("ipp-") and shown[1] == "False"


def test_cli_promote_and_rollback_reach_the_change_log_serving_processes_follow(
    store: Store, settings: Settings, fitted_model
) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from matcher.cli import app

    registry = ModelRegistry(settings.resolved_models_dir)
    first, second = write(registry, fitted_model), write(registry, fitted_model)
    before = store.change_version()
    for command in (["models", "promote", first], ["models", "promote", second]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, ["models", "rollback"]).exit_code == 0
    logged = [(change.kind, change.subject) for change in store.changes_since(before)]
    assert logged == [
        ("model.promoted", first),
        ("model.promoted", second),
        ("model.rolled_back", first),
    ]
