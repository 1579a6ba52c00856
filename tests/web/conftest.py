"""Browser fixtures: the real app under uvicorn on 127.0.0.1, host pages for the widget on two
other ports (one allowed, one not), and headless Debian Chromium driven by Playwright.

The app serves the committed sample ecosystem with the fake embedder and the rule-based matrix,
so the whole stack starts in a few seconds. Screenshots land in ``tests/artifacts/web/``; with
``PARTNERMATCH_README_SCREENSHOTS=1`` the README's ones are also written, small, to
``docs/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings
from matcher.store import Store

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
ARTIFACTS = REPO / "tests" / "artifacts" / "web"
README_SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("PARTNERMATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET_CONTEXT = "Campaign calendar and nurture planning for our marketing team"


@dataclass
class WebStack:
    """The running server, its store, one key per role and the widget host pages."""

    base_url: str
    store: Store
    keys: dict[str, str]
    allowed_host_url: str
    unlisted_host_url: str


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _host_server(directory: Path) -> http.server.ThreadingHTTPServer:
    """A plain static file server standing in for a customer's web app on its own origin."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name="widget-host", daemon=True).start()
    return server


def _host_page(api_url: str, widget_key: str) -> str:
    """A host page with hostile CSS, to show that the widget's shadow DOM keeps its own look."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Projects</title>
<style>
  * {{ color: #ff00ff !important; font-family: "Comic Sans MS", cursive !important; }}
  li, ul, h2 {{ display: inline; font-size: 40px; }}
  body {{ background: #fffbe6; margin: 24px; }}
</style></head>
<body>
  <h1>Acme Projects: spring marketing campaign</h1>
  <p>The customer's own app. The partner suggestions below come from the widget.</p>
  <script src="{api_url}/widget.js" data-key="{widget_key}"
          data-context="{WIDGET_CONTEXT}" data-top-k="3"></script>
</body></html>
"""


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    """The app over the sample data, served by uvicorn in a thread on a free local port."""
    api_socket = _listening_socket()
    api_url = f"http://127.0.0.1:{api_socket.getsockname()[1]}"
    host_dir = tmp_path_factory.mktemp("widget-host")
    allowed_host, unlisted_host = _host_server(host_dir), _host_server(host_dir)
    allowed_origin = f"http://127.0.0.1:{allowed_host.server_address[1]}"
    unlisted_origin = f"http://127.0.0.1:{unlisted_host.server_address[1]}"

    settings = Settings(
        home=tmp_path_factory.mktemp("web-home"),
        widget_origins=[allowed_origin],
        widget_rate_per_minute=1000,
    )
    app = create_app(
        settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
    )
    store: Store = app.state.store
    ingest(store, "partners", SAMPLE / "partners.csv")
    ingest(store, "outcomes", SAMPLE / "outcomes.csv")
    role_keys = {role: keys.create_key(store, role)[1] for role in keys.ROLES}
    (host_dir / "host.html").write_text(_host_page(api_url, role_keys["widget"]))

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [api_socket]}, name="uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield WebStack(
            base_url=api_url,
            store=store,
            keys=role_keys,
            allowed_host_url=f"{allowed_origin}/host.html",
            unlisted_host_url=f"{unlisted_origin}/host.html",
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for host in (allowed_host, unlisted_host):
            host.shutdown()
            host.server_close()
        api_socket.close()


def _no_browser(reason: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {reason}. Install Debian chromium (make test does)."
    if os.environ.get("PARTNERMATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium (never a downloaded one), shared by the session."""
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (dev extra)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (own storage) and page at a desktop size."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    assert not console_errors, f"JavaScript errors on the page: {console_errors}"


@pytest.fixture
def shoot() -> Any:
    """The screenshot helper, as a fixture so that test modules need not import this one."""
    return screenshot


def screenshot(
    page: Any, name: str, readme: bool = False, clip: dict[str, float] | None = None
) -> Path:
    """Save a screenshot artefact; with ``readme`` and the env switch, a small README copy too
    (the current viewport, or ``clip`` of it, in 128 colours)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if readme and os.environ.get("PARTNERMATCH_README_SCREENSHOTS") == "1":
        from PIL import Image

        # before the full-page shot, which moves the scroll position the test chose
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shot = page.screenshot(full_page=False, clip=clip)
        target = README_SHOTS / f"{name}.png"
        target.write_bytes(shot)
        with Image.open(target) as image:
            image.convert("RGB").quantize(colors=128).save(target, optimize=True)
    page.screenshot(path=str(path), full_page=True)
    return path
