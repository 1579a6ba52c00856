"""``partnermatch train``: fit the IPP model on the stored outcomes and feedback, register it."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from matcher.ipp import MatrixConfig, ModelRegistry
from matcher.settings import get_settings
from matcher.store import Store
from training.features import training_outcomes
from training.train import (
    CALIBRATIONS,
    MODELS,
    IppClassifier,
    TrainingResult,
    model_card,
    train_ipp,
)

logger = logging.getLogger(__name__)


def train_and_register(
    store: Store,
    registry: ModelRegistry,
    config: MatrixConfig | None = None,
    classifier: IppClassifier | None = None,
    promote: bool | None = None,
) -> tuple[str, TrainingResult, bool]:
    """Train on the store's outcomes plus feedback, write a registry version, maybe promote it.

    ``promote=None`` promotes only a model that beats the untrained matrix on validation.
    Returns the version, the result and whether it was promoted.
    """
    outcomes = training_outcomes(
        store.outcomes_frame(), store.feedback_frame(), store.served_requests()
    )
    result = train_ipp(outcomes, store.all_partners(), config, classifier)
    version = registry.write(
        result.classifier.estimator_,
        feature_names=result.feature_names,
        schema_hash=result.schema_hash,
        priors=result.priors,
        metrics={**result.metrics, "data": result.data},
        card=lambda name: model_card(result, name),
    )
    should_promote = result.metrics["validation"]["beats_matrix"] if promote is None else promote
    if should_promote:
        registry.promote(version)
    return version, result, should_promote


def register(app: typer.Typer) -> None:
    """Add ``train`` to the ``partnermatch`` command."""

    @app.command("train")
    def train(
        model: str = typer.Option("logistic", help=f"One of: {', '.join(MODELS)}."),
        calibration: str = typer.Option("sigmoid", help=f"One of: {', '.join(CALIBRATIONS)}."),
        promote: bool | None = typer.Option(
            None,
            "--promote/--no-promote",
            help="Promote the new version (default: only if it beats the untrained matrix).",
        ),
        registry_dir: Path | None = typer.Option(
            None, "--registry", help="Registry directory (default <PARTNERMATCH_HOME>/models)."
        ),
    ) -> None:
        """Learn P(win | partner, deal) from the outcomes; write a new model version."""
        from matcher.cli.console import console, open_store

        settings = get_settings()
        if model not in MODELS or calibration not in CALIBRATIONS:
            console.print(
                f"[red]error:[/red] --model must be one of {', '.join(MODELS)} and --calibration "
                f"one of {', '.join(CALIBRATIONS)}"
            )
            raise typer.Exit(code=2)
        store = open_store()
        registry = ModelRegistry(registry_dir or settings.resolved_models_dir)
        try:
            config = MatrixConfig.load(settings.matrix_config)
            with console.status("training the IPP model"):
                version, result, promoted = train_and_register(
                    store,
                    registry,
                    config,
                    IppClassifier(model=model, calibration=calibration),
                    promote,
                )
        except ValueError as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(code=1) from None
        validation = result.metrics["validation"]
        model_metrics, matrix = validation["model"], validation["matrix"]
        typer.echo(f"wrote {version} to {registry.root}")
        typer.echo(
            f"validation ROC-AUC {model_metrics['roc_auc']:.3f} (matrix {matrix['roc_auc']:.3f}), "
            f"Brier {model_metrics['brier']:.4f} (matrix {matrix['brier']:.4f})"
        )
        typer.echo(result.metrics["c_weights"]["explanation"])
        if promoted:
            typer.echo(f"promoted {version}")
        else:
            typer.echo(f"{version} not promoted; `partnermatch models promote {version}` to use it")
