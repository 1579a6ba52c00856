"""Commands of the Ideal Partner Profile: `score`, `screen`, `models list|promote|rollback`.

Registered on the ``partnermatch`` command by :mod:`matcher.cli.app`. Bad input ends
with a one-line error naming the field (or the file line and column) and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from matcher.cli.console import console, open_store, print_problems, progress_bar

if TYPE_CHECKING:
    from matcher.ipp.registry import ModelRegistry
    from matcher.schemas import Prospect


def _parse_weights(values: list[str]) -> dict[str, float]:
    """``["capability=2", "capacity=0.5"]`` → ``{"capability": 2.0, "capacity": 0.5}``."""
    weights: dict[str, float] = {}
    for value in values:
        name, separator, number = value.partition("=")
        try:
            weights[name.strip()] = float(number)
        except ValueError:
            separator = ""
        if not separator:
            raise typer.BadParameter(f"{value!r}: use C=WEIGHT, e.g. capability=2")
    return weights


LOOKALIKE_MODES = ("model", "lexical", "none")


def _prospect_scorer(weights: dict[str, float], looks_like: str) -> Any:
    """The prospect scorer; ``looks_like`` picks the embedding of the look-alike search."""
    from matcher.ipp.config import MatrixConfig
    from matcher.recruiting.service import prospect_scorer_for
    from matcher.settings import get_settings

    if looks_like not in LOOKALIKE_MODES:
        raise ValueError(f"--looks-like must be one of {', '.join(LOOKALIKE_MODES)}")
    settings = get_settings()
    embedder: Any = None
    if looks_like == "model":
        from matcher.embedding.factory import get_embedder

        embedder = get_embedder(settings)
    elif looks_like == "lexical":
        embedder = "lexical"
    return prospect_scorer_for(
        open_store(),
        MatrixConfig.load(settings.matrix_config),
        embedder,
        weights,
        looks_like != "none",
    )


def _read_prospect(path: Path) -> Prospect:
    from pydantic import ValidationError

    from matcher.schemas import Prospect, field_problems

    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        console.print(f"[red]error:[/red] {path}: no such file")
        raise typer.Exit(code=2) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        console.print(f"[red]error:[/red] {path.name} is not valid UTF-8 JSON: {error}")
        raise typer.Exit(code=2) from None
    if not isinstance(raw, dict):
        console.print(f"[red]error:[/red] {path.name} must hold one JSON object (a prospect)")
        raise typer.Exit(code=2)
    try:
        return Prospect.model_validate(raw)
    except ValidationError as error:
        for problem in field_problems(error):
            console.print(f"{path.name}: field {problem.field}: {problem.message}", highlight=False)
        raise typer.Exit(code=1) from None


def register(app: typer.Typer) -> None:
    """Add ``score``, ``screen`` and the ``models`` group to the ``partnermatch`` command."""

    @app.command("score")
    def score(
        prospect_file: Path = typer.Argument(..., help="PROSPECT.json: one partner row (3.1)."),
        weight: list[str] = typer.Option(
            [], "--weight", "-w", help="Override a C weight, e.g. -w capability=2 (repeatable)."
        ),
        looks_like: str = typer.Option(
            "model",
            "--looks-like",
            help="Similar top performers by: model (sentence embedding), lexical (TF-IDF), none.",
        ),
    ) -> None:
        """Score one prospective partner against the ideal partner profile (JSON out)."""

        prospect = _read_prospect(prospect_file)
        try:
            scorer = _prospect_scorer(_parse_weights(weight), looks_like)
        except ValueError as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(code=2) from None
        typer.echo(json.dumps(scorer.score(prospect).as_dict(), indent=2, ensure_ascii=False))

    @app.command("screen")
    def screen(
        prospects_file: Path = typer.Argument(..., help="PROSPECTS.csv or .jsonl (3.1 columns)."),
        output: Path = typer.Option(..., "--output", "-o", help="Write the scored CSV here."),
        weight: list[str] = typer.Option(
            [], "--weight", "-w", help="Override a C weight, e.g. -w capability=2 (repeatable)."
        ),
        looks_like: str = typer.Option(
            "lexical",
            "--looks-like",
            help="Similar top performers by: lexical (TF-IDF, thousands/s; default), model "
            "(sentence embedding, ~100/s on 2 cores), none.",
        ),
    ) -> None:
        """Score many prospects; bad rows are reported by line and column and left out."""
        from matcher.ingest import IngestError
        from matcher.recruiting.screening import screen_file

        started = time.perf_counter()
        try:
            scorer = _prospect_scorer(_parse_weights(weight), looks_like)
            with progress_bar() as progress:
                task = progress.add_task("screen prospects", total=None)
                report = screen_file(
                    prospects_file,
                    output,
                    scorer,
                    progress=lambda rows: progress.update(task, completed=rows),
                )
        except (IngestError, ValueError, OSError) as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(code=2) from None
        print_problems(prospects_file.name, report.warnings, report.problems)
        elapsed = time.perf_counter() - started
        rejected = len({problem.line for problem in report.problems})
        console.print(
            f"scored {report.rows_scored} of {report.rows_read} prospects in {elapsed:.1f} s "
            f"({rejected} rows with problems) → {output}"
        )
        if report.problems:
            raise typer.Exit(code=1)

    models_app = typer.Typer(
        help="The model registry (IPP models and learned rankers): list, promote, roll back.",
        no_args_is_help=True,
    )
    app.add_typer(models_app, name="models")

    def _registry(kind: str = "ipp") -> ModelRegistry:
        from matcher.ipp.registry import ModelRegistry
        from matcher.settings import get_settings

        return ModelRegistry(get_settings().resolved_models_dir, kind=kind)

    def _kind_of(version: str) -> str:
        from matcher.ipp.registry import KINDS

        kind = version.split("-", 1)[0]
        if kind not in KINDS:
            console.print(
                f"[red]error:[/red] {version!r} is not a model version: expected "
                + " or ".join(f"{k}-NNNN" for k in KINDS)
            )
            raise typer.Exit(code=2)
        return kind

    @models_app.command("list")
    def list_models() -> None:
        """Every registered version with its validation metrics; * marks the promoted one."""
        from matcher.ipp.registry import ModelRegistry
        from matcher.settings import get_settings

        registry = _registry()
        versions = registry.versions()
        if not versions:
            default = ModelRegistry(get_settings().resolved_default_models_dir)
            promoted = default.promoted()
            where = f"; serving uses the committed default {promoted}" if promoted else ""
            typer.echo(f"no models in {registry.root}{where}")
            return
        for version in versions:
            info = registry.info(version)
            mark = "*" if info.promoted else " "
            metrics = (
                f"AUC {info.roc_auc:.3f} (matrix {info.matrix_roc_auc:.3f})  "
                f"Brier {info.brier:.4f} (matrix {info.matrix_brier:.4f})"
                if info.roc_auc is not None
                and info.brier is not None
                and info.matrix_roc_auc is not None
                and info.matrix_brier is not None
                else "no metrics"
            )
            typer.echo(f"{mark} {version}  {info.created_at}  rows {info.rows}  {metrics}")
        rankers = _registry("ranker")
        for version in rankers.versions():
            mark = "*" if version == rankers.promoted() else " "
            validation = rankers.metrics(version).get("validation", {})
            ndcg = validation.get("ndcg@10", {})
            typer.echo(
                f"{mark} {version}  {rankers.manifest(version).get('created_at', '')}  "
                f"validation nDCG@10 {ndcg.get('learned')} "
                f"(hand weights {ndcg.get('hand_weights')})"
            )

    @models_app.command("promote")
    def promote(version: str = typer.Argument(..., help="e.g. ipp-0003 or ranker-0002")) -> None:
        """Serve this version from now on (it must load and match the feature schema)."""
        from matcher.ipp.config import MatrixConfig
        from matcher.ipp.registry import RegistryError
        from matcher.settings import get_settings

        kind = _kind_of(version)
        try:
            registry = _registry(kind)
            if kind == "ipp":
                registry.load(version, MatrixConfig.load(get_settings().matrix_config))
            registry.promote(version, open_store())  # logged: running servers reload it
        except RegistryError as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(code=1) from None
        typer.echo(f"promoted {version}")

    @models_app.command("rollback")
    def rollback(
        kind: str = typer.Option("ipp", "--kind", help="ipp or ranker."),
    ) -> None:
        """Serve the previously promoted version of the IPP model (or the ranker) again."""
        from matcher.ipp.registry import KINDS, RegistryError

        if kind not in KINDS:
            console.print(f"[red]error:[/red] --kind must be one of {', '.join(KINDS)}")
            raise typer.Exit(code=2)
        try:
            version = _registry(kind).rollback(open_store())
        except RegistryError as error:
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(code=1) from None
        typer.echo(f"rolled back to {version}")
