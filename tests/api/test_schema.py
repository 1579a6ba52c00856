"""Property-based checks of the whole HTTP API against its own OpenAPI schema (schemathesis).

Bounded: a fixed number of generated examples per operation, with an admin key so that
requests reach the handlers. Checks: no 5xx, status codes, content types and bodies as
documented. The app is built once for the module over a temporary home.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.app import create_app
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings

EXAMPLES_PER_OPERATION = 15
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

app = create_app(
    Settings(home=Path(tempfile.mkdtemp(prefix="partnermatch-schema-"))),
    embedder=FakeEmbedder(),
    scorer_factory=MatrixScorer,
)
ingest(app.state.store, "partners", SAMPLE / "partners.csv")
app.state.service.start()
ADMIN = {"Authorization": f"Bearer {keys.create_key(app.state.store, 'admin')[1]}"}
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Vocabulary fields (language, country, industry, tier...) are strings in the schema but
    # accept only known values and their synonyms: a random string is rightly a 422, so the
    # "schema-valid data must be accepted" check does not apply.
    case.call_and_validate(headers=ADMIN, excluded_checks=[positive_data_acceptance])
