"""schemathesis over every operation of the HTTP API, each called with a key of a role it serves.

The app runs over the committed sample ecosystem (partners, outcomes, the committed IPP model in
the registry, the fake embedder) with one registered webhook, so generated requests reach the
handlers and real data, not only the validators. Two tests, both bounded and derandomised
(reproducible in CI):

- every operation alone: ``EXAMPLES_PER_OPERATION`` generated requests each in the fuzzing
  phase, after the schema's own examples and schemathesis' coverage cases (boundaries, each
  constraint broken once);
- stateful: ``SCENARIOS`` sequences of up to ``STEPS_PER_SCENARIO`` calls following the
  OpenAPI links, those schemathesis infers from the schema (list partners → get / put /
  delete / scorecard; register a webhook → rotate / deliveries / delete) and those added here
  (``LINKS``: a recommendation or a team answer → its audit record → feedback on it).

Checks: every built-in response check (no 5xx, status code, content type, headers and body as
documented, schema-violating data refused, auth not ignored, ...) but one,
``positive_data_acceptance`` (see ``CONFIG``), plus ``role_is_admitted`` (a 403 means
``ROLE_BY_OPERATION`` gave an operation the wrong key and the handler was never reached).

Also a script: ``python -m tests.api.test_fuzz_schemathesis --minutes 5`` runs the
``schemathesis`` CLI with the same keys, links, examples and vocabularies against a real
``partnermatch serve`` on loopback (``serve_and_fuzz``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from matcher import keys, taxonomy
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings
from matcher.store import Store
from matcher.webhooks import create_webhook
from tests.api.conftest import REPO, SAMPLE
from tests.api.test_server import free_port

EXAMPLES_PER_OPERATION = 20
SCENARIOS = 30
STEPS_PER_SCENARIO = 6

# (method or None for any, path prefix, role): the first match wins. Each operation is called
# with the least-privileged role it serves, so the per-key rules (audit records) are exercised.
ROLE_BY_OPERATION: tuple[tuple[str | None, str, str], ...] = (
    ("GET", "/v1/widget/", "widget"),
    (None, "/v1/prospects/", "recruiter"),
    (None, "/v1/recommendations", "seller"),
    (None, "/v1/feedback", "seller"),
    ("GET", "/v1/partners", "seller"),
    (None, "/", "admin"),  # partner writes, models, index, webhooks; health needs no key
)

# Links schemathesis does not infer: the answer carrying `recommendation_id` is not a resource
# it recognises, so nothing leads to the audit record or to feedback on what was served. A
# feedback link sends its whole body (`merge_body` off): merged into a schema-violating body
# (random bytes) it replaced it, and the valid request was taken for accepted invalid data.
RECORD = "#/paths/~1v1~1recommendations~1{recommendation_id}/get"
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("/v1/recommendations", "post"): {
        "GetAuditRecord": {
            "operationRef": RECORD,
            "parameters": {"path.recommendation_id": "$response.body#/recommendation_id"},
        },
        "AcceptFirstResult": {
            "operationRef": "#/paths/~1v1~1feedback/post",
            "x-schemathesis": {"merge_body": False},
            "requestBody": {
                "kind": "accepted",
                "recommendation_id": "$response.body#/recommendation_id",
                "partner_id": "$response.body#/results/0/partner_id",
            },
        },
    },
    ("/v1/recommendations/teams", "post"): {
        "GetAuditRecord": {
            "operationRef": RECORD,
            "parameters": {"path.recommendation_id": "$response.body#/recommendation_id"},
        },
        "AcceptFirstTeam": {
            "operationRef": "#/paths/~1v1~1feedback~1teams/post",
            "x-schemathesis": {"merge_body": False},
            "requestBody": {
                "kind": "accepted",
                "recommendation_id": "$response.body#/recommendation_id",
                "team_rank": 1,
            },
        },
    },
}

# A sample partner, so that calls on one partner reach it (schema examples are sent first).
EXAMPLE_PARTNER = {
    "partner_id": "P-000001",
    "name": "Beaconpath Group Pty Ltd",
    "partner_type": "consultancy",
    "specialisms": ["strategic portfolio management"],
    "languages": ["en"],
    "industries": ["transportation_logistics"],
    "countries": ["AU"],
    "tier": "registered",
    "employees": 9,
}
BODY_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("/v1/partners/{partner_id}", "put"): EXAMPLE_PARTNER,
    ("/v1/prospects/score", "post"): {
        k: v for k, v in EXAMPLE_PARTNER.items() if k != "partner_id"
    },
    ("/v1/webhooks", "post"): {"url": "http://127.0.0.1:9/hooks", "events": ["partner.updated"]},
}

# Vocabulary fields are free strings in the schema, so random text is all schemathesis would
# send and nearly every request would stop at validation (422). These dictionaries feed known
# values and synonyms to schema-valid requests (schemathesis' fuzz dictionaries: they change no
# schema, so schema-violating requests still send anything) and reach the engine.
DICTIONARIES: dict[str, tuple[str, ...]] = {
    "languages": ("de", "en", "fr", "ja", "German"),
    "countries": ("DE", "US", "AU", "Germany", "EMEA", "DACH"),
    "industries": (*taxonomy.INDUSTRIES, "Aerospace and Defense"),
    "segments": taxonomy.SEGMENTS,
    "partner_types": taxonomy.PARTNER_TYPES,
    "tiers": taxonomy.TIERS,
    "certifications": ("Certified Solution Partner", "Implementation Specialist"),
    "partner_ids": ("P-000001", "P-000002", "P-000042", "P-000999"),
    "model_versions": ("ipp-0001",),
}
# parameter or field name → dictionary; a list field gets one value per item
_ONE_VALUE = {
    "language": "languages",
    "country": "countries",
    "industry": "industries",
    "segment": "segments",
    "partner_type": "partner_types",
    "tier": "tiers",
    "certification": "certifications",
    "partner_id": "partner_ids",
}
_LISTS = ("languages", "countries", "industries", "segments", "partner_types", "certifications")
PARAMETERS: dict[str, dict[str, Any]] = {
    **{
        f"query.{name}": {"dictionary": words, "probability": 0.8}
        for name, words in _ONE_VALUE.items()
    },
    **{
        f"body.{name}": {"dictionary": words, "probability": 0.8}
        for name, words in _ONE_VALUE.items()
    },
    **{f"body.{name}[*]": {"dictionary": name} for name in _LISTS},
    "path.partner_id": {"dictionary": "partner_ids", "probability": 0.5},
    "path.version": {"dictionary": "model_versions", "probability": 0.5},
}
SETTINGS: dict[str, Any] = {
    # Vocabulary fields (language, country, industry, tier...) are strings in the schema but
    # accept only known values and their synonyms: a random string is rightly a 422, so the
    # "schema-valid data must be accepted" check does not apply.
    "checks": {"positive_data_acceptance": {"enabled": False}},
    # An unknown query parameter is ignored, as HTTP APIs commonly do, not refused.
    "generation": {"allow-extra-parameters": False},
    "dictionaries": {name: {"values": list(words)} for name, words in DICTIONARIES.items()},
    "parameters": PARAMETERS,
}
CONFIG = schemathesis.Config.from_dict(SETTINGS)


def role_for(method: str, path: str) -> str:
    """The role whose key calls ``method path`` (``ROLE_BY_OPERATION``)."""
    return next(
        role
        for rule_method, prefix, role in ROLE_BY_OPERATION
        if rule_method in (None, method.upper()) and path.startswith(prefix)
    )


def role_is_admitted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """The key sent is one the operation serves: a 403 means the handler was never reached."""
    if response.status_code == 403:
        raise AssertionError(
            f"{case.operation.label} refused the {role_for(case.method, case.path)} key: "
            "fix ROLE_BY_OPERATION"
        )
    return None


def fuzzable(document: dict[str, Any]) -> dict[str, Any]:
    """The app's OpenAPI document with ``LINKS`` and ``BODY_EXAMPLES`` added."""
    for (path, method), links in LINKS.items():
        response = document["paths"][path][method]["responses"]["200"]
        response.setdefault("links", {}).update(links)
    for (path, method), example in BODY_EXAMPLES.items():
        body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        body["example"] = example
    return document


def load_sample(store: Store, models_dir: Path) -> None:
    """The sample ecosystem, the committed IPP model and one webhook, into an empty home."""
    ingest(store, "partners", SAMPLE / "partners.csv")
    ingest(store, "outcomes", SAMPLE / "outcomes.csv")
    shutil.copytree(REPO / "models" / "ipp-0001", models_dir / "ipp-0001")
    # nothing listens on port 9: deliveries fail at once and are retried later, off the test
    create_webhook(store, "http://127.0.0.1:9/hooks", ["partner.updated"], ["127.0.0.1"])


HOME = Path(tempfile.mkdtemp(prefix="partnermatch-fuzz-"))
app = create_app(
    Settings(
        home=HOME,
        widget_rate_per_minute=1_000_000,
        webhook_allowed_hosts=["127.0.0.1"],
        exposure_tolerance=0,
    ),
    embedder=FakeEmbedder(),
    scorer_factory=MatrixScorer,
    load_in_background=False,
)
# Parametrising needs the schema at import; the data is loaded by the fixture below, before
# the first call starts the app's lifespan (and so the engine) under schemathesis.
schema = schemathesis.openapi.from_dict(fuzzable(app.openapi()), config=CONFIG)
schema.app = app


@pytest.fixture(scope="module")
def role_headers() -> Iterator[dict[str, str]]:
    """The sample ecosystem loaded, and an Authorization header per role."""
    store = app.state.store
    load_sample(store, app.state.settings.resolved_models_dir)
    yield {role: f"Bearer {keys.create_key(store, role)[1]}" for role in keys.ROLES}
    shutil.rmtree(HOME, ignore_errors=True)


def _headers(case: schemathesis.Case, role_headers: dict[str, str]) -> dict[str, str]:
    return {"Authorization": role_headers[role_for(case.method, case.path)]}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, role_headers: dict[str, str]
) -> None:
    case.call_and_validate(
        headers=_headers(case, role_headers), additional_checks=[role_is_admitted]
    )


def test_linked_sequences_answer_as_documented(role_headers: dict[str, str]) -> None:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": _headers(case, role_headers)}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, *_: Any, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=[role_is_admitted],
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_every_v1_route_is_in_the_fuzzed_schema() -> None:
    """No /v1 route is left out of the OpenAPI document, and so out of the fuzzing."""
    served = {
        (method, route.path)
        for route in app.routes
        if getattr(route, "path", "").startswith("/v1/")
        for method in getattr(route, "methods", None) or ()
    }
    documented = {
        (method.upper(), path)
        for path, operations in schema.raw_schema["paths"].items()
        for method in operations
    }
    assert served - {("HEAD", path) for _, path in served} <= documented


# --- the longer run, against a real server (not part of the test suite) --------------------


def _toml(value: Any) -> str:
    """``value`` as a TOML value (JSON strings, numbers and booleans are TOML as they are)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def cli_config(document: dict[str, Any], role_keys: dict[str, str]) -> str:
    """``SETTINGS`` as a schemathesis.toml, with each operation's key (``role_for``)."""
    lines = [f"{key} = {_toml(value)}" for key, value in SETTINGS.items()]
    for path, operations in document["paths"].items():
        for method in operations:
            role = role_for(method, path)
            lines += [
                "[[operations]]",
                f"include-name = {_toml(f'{method.upper()} {path}')}",
                f"headers = {_toml({'Authorization': f'Bearer {role_keys[role]}'})}",
            ]
    return "\n".join(lines) + "\n"


def serve_and_fuzz(home: Path, minutes: float, workdir: Path) -> int:
    """Serve ``home`` with ``partnermatch serve`` on loopback and run the schemathesis CLI
    against it for ``minutes``; returns the CLI's exit status (0: no failure)."""
    store = Store.from_settings(Settings(home=home))
    role_keys = {role: keys.create_key(store, role)[1] for role in keys.ROLES}
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PARTNERMATCH_HOME": str(home),
        "PARTNERMATCH_WIDGET_RATE_PER_MINUTE": "1000000",
        "PARTNERMATCH_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
    }
    cli = Path(sys.executable).with_name("partnermatch")
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {workdir / 'server.log'}")
            time.sleep(1)
        document = fuzzable(httpx.get(f"{base_url}/openapi.json", timeout=30).json())
        (workdir / "openapi.json").write_text(json.dumps(document))
        (workdir / "schemathesis.toml").write_text(cli_config(document, role_keys))
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(workdir / "schemathesis.toml"),
            "run",
            str(workdir / "openapi.json"),
            "--url",
            base_url,
            "--max-time",
            str(int(minutes * 60)),
            "--workers",
            "2",
            "--report",
            "junit,ndjson",
            "--report-dir",
            str(workdir / "report"),
        ]
        return subprocess.run(command, cwd=workdir, check=False).returncode
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=serve_and_fuzz.__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument(
        "--home",
        type=Path,
        help="a PARTNERMATCH_HOME to copy and serve (default: the sample ecosystem); the copy "
        "is fuzzed, the original never written",
    )
    parser.add_argument("--workdir", type=Path, default=Path("var/fuzz"))
    arguments = parser.parse_args()
    workdir = arguments.workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    home = workdir / "home"
    if arguments.home:
        shutil.copytree(arguments.home, home)
    else:
        settings_ = Settings(home=home)
        load_sample(Store.from_settings(settings_), settings_.resolved_models_dir)
    raise SystemExit(serve_and_fuzz(home, arguments.minutes, workdir))


if __name__ == "__main__":
    main()
