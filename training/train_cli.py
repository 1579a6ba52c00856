"""``partnermatch train``: fit the IPP model and the learned ranker on the stored outcomes and
feedback, register both.

scikit-learn, pandas and the engine are imported inside the functions: this module is loaded
by every ``partnermatch`` call (the command plugs in through the entry-point group), and
``partnermatch --help`` must not pay seconds for them (``bench/cli_start.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from matcher.ipp import MatrixConfig, ModelRegistry
    from matcher.settings import Settings
    from matcher.store import Store
    from training.ranker import RankerResult
    from training.train import IppClassifier, TrainingResult

MODELS_HELP = "One of: logistic, gradient_boosting."
CALIBRATIONS_HELP = "One of: isotonic, sigmoid, none."
"""The option helps, written out so that ``--help`` need not import scikit-learn; a test
checks them against :data:`training.train.MODELS` and :data:`training.train.CALIBRATIONS`."""

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
    from training.features import training_outcomes
    from training.train import model_card, train_ipp

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
        registry.promote(version, store)  # logged: every serving process reloads it
    return version, result, should_promote


def train_ranker_and_register(
    store: Store,
    settings: Settings,
    promote: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, RankerResult, bool]:
    """Train the learned ranker over the saved index's engine, write a registry version and
    promote it (by default only if it beats the hand weights on validation).

    Raises:
        IndexLoadError: no usable index to retrieve candidates with (``partnermatch index
            build`` first).
        ValueError: too little history to train and validate.
    """
    from matcher.embedding import get_embedder
    from matcher.engine.build import load_engine
    from matcher.ipp.history import histories_as_of
    from matcher.ipp.registry import ModelRegistry, default_scorer, load_scorer
    from training.ranker import register_ranker, train_ranker

    engine = load_engine(
        store, get_embedder(settings), default_scorer(settings), settings, rebuild_if_stale=True
    )
    result = train_ranker(
        engine,
        store,
        lambda history: load_scorer(settings, histories=histories_as_of(history), store=store),
        progress=progress,
    )
    registry = ModelRegistry(settings.resolved_models_dir, kind="ranker")
    version, promoted = register_ranker(result, registry, promote, store)
    return version, result, promoted


def register(app: typer.Typer) -> None:
    """Add ``train`` to the ``partnermatch`` command."""

    @app.command("train")
    def train(
        model: str = typer.Option("logistic", help=MODELS_HELP),
        calibration: str = typer.Option("sigmoid", help=CALIBRATIONS_HELP),
        promote: bool | None = typer.Option(
            None,
            "--promote/--no-promote",
            help="Promote the new version (default: only if it beats the untrained matrix).",
        ),
        registry_dir: Path | None = typer.Option(
            None, "--registry", help="Registry directory (default <PARTNERMATCH_HOME>/models)."
        ),
        ranker: bool = typer.Option(
            True,
            "--ranker/--no-ranker",
            help="Also train the learned ranker (needs a built index).",
        ),
    ) -> None:
        """Learn P(win | partner, deal) from the outcomes, and the ranker from outcomes and
        seller feedback; write a new version of each."""
        from matcher.cli.console import console, open_store
        from matcher.ipp import MatrixConfig, ModelRegistry
        from matcher.settings import get_settings
        from training.train import CALIBRATIONS, MODELS, IppClassifier

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
        if not ranker:
            return
        from matcher.cli.console import progress_bar
        from matcher.engine.index import IndexLoadError

        try:
            with progress_bar() as bar:
                task = bar.add_task("training the ranker", total=None)
                ranker_version, ranked, ranker_promoted = train_ranker_and_register(
                    store,
                    settings,
                    promote,
                    lambda done, total: bar.update(task, completed=done, total=total),
                )
        except (IndexLoadError, ValueError) as error:
            console.print(f"[red]error:[/red] the ranker was not trained: {error}")
            raise typer.Exit(code=1) from None
        ndcg = ranked.metrics["validation"]["ndcg@10"]
        typer.echo(
            f"wrote {ranker_version}: validation nDCG@10 {ndcg['learned']:.3f} "
            f"(hand weights {ndcg['hand_weights']:.3f}), "
            f"{ranked.metrics['data']['pairs']} pairs from "
            f"{ranked.metrics['data']['outcome_groups']} deals and "
            f"{ranked.metrics['data']['feedback_groups']} answered recommendations"
        )
        if ranker_promoted:
            typer.echo(f"promoted {ranker_version}")
        else:
            typer.echo(
                f"{ranker_version} not promoted; `partnermatch models promote {ranker_version}` "
                "to use it"
            )
