"""The CLI starts without its heavy libraries: ``--help`` and the light commands import none of
torch, FAISS, pandas, scikit-learn and the rest (they cost 0.1-3 s each; it took 5 s).

Checked on ``sys.modules`` of a fresh interpreter, not on a clock: the time is measured by
``bench/cli_start.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import matcher.embedding.factory
from bench.cli_start import HEAVY
from matcher.cli import app
from matcher.cli.app import ROLES_HELP
from matcher.settings import Settings
from tests.conftest import SAMPLE

_RUN_AND_LIST = """
import json, sys
from matcher.cli import app
try:
    app(sys.argv[1:], prog_name="partnermatch")
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _heavy_after(code: str, args: list[str], home: Path) -> list[str]:
    """The heavy libraries in ``sys.modules`` after a fresh interpreter ran ``code``."""
    env = {**os.environ, "PARTNERMATCH_HOME": str(home)}
    env.pop("PARTNERMATCH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import json, sys; import matcher.cli; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert _heavy_after(code, [], tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["keys", "list"],
        ["status"],
        ["audit", "export", "--help"],
        ["train", "--help"],
        ["simulate", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
    ],
    ids=" ".join,
)
def test_a_light_command_imports_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    assert _heavy_after(_RUN_AND_LIST.format(heavy=HEAVY), args, tmp_path) == []


def test_the_embedding_package_and_factory_import_no_backend(tmp_path: Path) -> None:
    code = (
        "import json, sys; import matcher.embedding, matcher.embedding.factory; "
        "from matcher.embedding import FakeEmbedder, get_embedder; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules and m != 'numpy']))"
    )
    assert _heavy_after(code, [], tmp_path) == []


@pytest.mark.slow
def test_the_default_use_backend_embeds_without_torch(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from matcher.embedding.factory import get_embedder\n"
        "from matcher.settings import Settings\n"
        f"embedder = get_embedder(Settings(home={str(tmp_path)!r}, embedding_backend='use'))\n"
        "assert embedder.embed(['ERP data migration for manufacturers']).shape == (1, 512)\n"
        "print(json.dumps([m for m in ('torch', 'sentence_transformers', 'transformers', "
        "'onnxruntime') if m in sys.modules]))\n"
    )
    assert _heavy_after(code, [], tmp_path) == []


def test_the_role_help_names_every_role() -> None:
    from matcher.keys import ROLES

    assert f"One of: {', '.join(ROLES)}." == ROLES_HELP


def test_the_train_help_names_every_model_and_calibration() -> None:
    from training.train import CALIBRATIONS, MODELS
    from training.train_cli import CALIBRATIONS_HELP, MODELS_HELP

    assert f"One of: {', '.join(MODELS)}." == MODELS_HELP
    assert f"One of: {', '.join(CALIBRATIONS)}." == CALIBRATIONS_HELP


def test_a_minilm_backend_without_its_libraries_says_how_to_install_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    partners = tmp_path / "partners.csv"
    partners.write_text(
        "\n".join((SAMPLE / "partners.csv").read_text("utf-8").splitlines()[:4]) + "\n", "utf-8"
    )
    assert CliRunner().invoke(app, ["ingest", "partners", str(partners)]).exit_code == 0
    monkeypatch.setattr(matcher.embedding.factory, "_embedders", {})
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    result = CliRunner().invoke(app, ["index", "build"])
    # the CLI's one-line error net (OneLineErrors) prints this message; CliRunner keeps it raw
    assert isinstance(result.exception, matcher.embedding.factory.BackendUnavailableError)
    assert "the torch embedding backend needs sentence_transformers" in str(result.exception)
    assert "pip install 'partnermatch[minilm]'" in str(result.exception)
