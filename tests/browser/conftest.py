"""The browser harness: Debian's Chromium, driven by Playwright, against consulta served by a real
server process (gunicorn) on a free port with a database of its own.

Fixtures:
- `live_server`: the running server (`.url`, `.database_url`, `.log()`); session-wide.
  `with live_server.app_context():` seeds its database through the services (commit yourself).
- `demo_server`: another server, on a database of its own with `flask demo` loaded (about half a
  minute, once per session); `.passwords` maps each demo account's email to its password.
- `browser`: Chromium, headless; session-wide. `page` (a fresh context per test, es-CL, CSP
  bypassed so that axe can be injected) and `no_js_page` (JavaScript off, CSP enforced: a test
  whose pages break the policy, e.g. with a style attribute, errors at teardown; the refusals so far
  are in `no_js_page.csp_refusals`).
- `set_clock(instant | None)`: sets the server's clock (an aware datetime) or lets it run again.
- `outbox_messages(to=None)`: the server's queued emails, newest first, each with its `links`.
- `axe_check(page)`: fails with a readable list when axe-core finds any violation.
- `page_bytes(page, url)`: loads `url` and returns (and prints) the bytes of HTML, CSS, JS, images
  and fonts it transferred.

Without Chromium or Playwright the browser tests skip; with CI=true they fail instead.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

import config
from consulta import ROOT
from consulta.extensions import db
from tests.conftest import separate_app, skip_or_fail
from tests.support.workers import fresh_postgres_database

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 60
MEASURED_TYPES = {"document", "stylesheet", "script", "image", "font"}
SERVER_SECRET_KEY = "live-server-testing-key-" + "x" * 16


def pytest_collection_modifyitems(items):
    # Everything in this folder drives a browser, marked or not: `-m "not browser"` leaves it out.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _live_database(folder: Path, name: str) -> str:
    """A database for the server alone: a SQLite file, or `<suite database>_<name>` on PostgreSQL,
    dropped and created again for each run."""
    if not os.environ.get("DATABASE_URL"):
        return f"sqlite:///{folder / name}.db"
    return fresh_postgres_database(config._database_url(), name)


@dataclass
class OutboxMessage:
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    status: str
    links: list[str] = field(default_factory=list)


@dataclass
class LiveServer:
    url: str
    database_url: str
    log_path: Path
    process: subprocess.Popen
    upload_dir: Path
    # email -> password of the accounts `flask demo` printed (demo_server only)
    passwords: dict = field(default_factory=dict)
    _seeding_app: Flask | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @contextmanager
    def app_context(self):
        """An app context on the server's database, for seeding it through the services. The server
        sees only what is committed; files and signed links made here are the server's too."""
        if self._seeding_app is None:
            self._seeding_app = separate_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=self.database_url,
                                             SECRET_KEY=SERVER_SECRET_KEY, UPLOAD_DIR=str(self.upload_dir))
        with self._seeding_app.app_context():
            yield self._seeding_app

    def close(self) -> None:
        if self._seeding_app is not None:
            with self._seeding_app.app_context():
                for engine in db.engines.values():
                    engine.dispose()

    def post_json(self, path: str, payload: dict) -> dict:
        request = urllib.request.Request(self.url + path, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def outbox(self, to: str | None = None) -> list[OutboxMessage]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT recipient, subject, body_text, body_html, status FROM outbox_email ORDER BY id DESC"
                )).all()
        finally:
            engine.dispose()
        messages = [OutboxMessage(*row, links=re.findall(r"https?://[^\s<>\"')]+", row.body_text)) for row in rows]
        return [message for message in messages if to is None or message.recipient == to]


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the live server exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the live server did not answer /health within {START_TIMEOUT} s:\n{server.log()}")


def _die_with_parent() -> None:
    """Runs in the server's process before it starts: when pytest dies without tearing down (killed
    by a timeout, say), Linux sends the server SIGTERM instead of leaving it orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its workers (they share the process group it leads)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


DEMO_ACCOUNT = re.compile(r"^\s+(\S+@\S+)\s+(\S+)\s{3}", re.MULTILINE)


@contextmanager
def serve(name: str, demo: bool = False):
    """A gunicorn server on a free port and a database of its own, migrated (and with `flask demo`
    loaded if `demo`); stopped, with its files, on exit."""
    folder = Path(tempfile.mkdtemp(prefix=f"consulta-{name}-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    database = _live_database(folder, name)
    env = os.environ | {
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database,
        "SECRET_KEY": SERVER_SECRET_KEY,
        "CONSULTA_TESTING_HOOKS": "1",
        "RATELIMIT_ENABLED": "0",
        "CONSULTATION_MIN_SECONDS": "0",
        "OUTBOX_SEND_INLINE": "1",
        "UPLOAD_DIR": str(folder / "uploads"),
        "BASE_URL": url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("MAIL_SERVER", None)  # emails are printed to the server log and kept in its outbox table
    env.pop("CONSULTA_ENV", None)
    log_path = folder / "server.log"
    passwords = {}
    steps = [["db", "upgrade"]] + ([["demo"]] if demo else [])
    for step in steps:
        done = subprocess.run([sys.executable, "-m", "flask", *step], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        with open(log_path, "a") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(step)} failed for the {name} server:\n{log_path.read_text()}")
        passwords |= dict(DEMO_ACCOUNT.findall(done.stdout)) if step == ["demo"] else {}
    # One worker: the testing clock lives in the process, so every request must reach the same one.
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "8", "--bind",
               f"127.0.0.1:{port}", "--access-logfile", "-", "--graceful-timeout", "5", "wsgi:app"]
    log = open(log_path, "ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=_die_with_parent)
    server = LiveServer(url=url, database_url=database, log_path=log_path, process=process,
                        upload_dir=folder / "uploads", passwords=passwords)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        _stop(process)
        server.close()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server():
    with serve("live") as server:
        yield server


@pytest.fixture(scope="session")
def demo_server():
    with serve("demo", demo=True) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    executable = shutil.which("chromium")
    if executable is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as error:
            skip_or_fail(f"chromium did not start: {error}")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    # axe-core is injected as a script, which consulta's CSP forbids: bypassed here, in the test
    # browser only. `no_js_page` keeps the policy enforced.
    context = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="es-CL", java_script_enabled=False)
    try:
        page = context.new_page()
        # Chromium reports what the policy blocked (inline styles here) on the console, JS or not.
        page.csp_refusals = []
        page.on("console", lambda message: page.csp_refusals.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        yield page
        if page.csp_refusals:
            pytest.fail("the Content Security Policy blocked:\n" + "\n".join(page.csp_refusals))
    finally:
        context.close()


@pytest.fixture
def set_clock(live_server):
    """`set_clock(instant)` freezes the server's clock at an aware datetime; `set_clock(None)` lets it
    run. The clock runs again after the test."""

    def set_to(instant: datetime | None) -> datetime:
        if instant is not None and instant.tzinfo is None:
            raise ValueError("set_clock takes an aware datetime")
        answer = live_server.post_json("/_testing/clock", {"now": instant.isoformat() if instant else None})
        return datetime.fromisoformat(answer["now"])

    yield set_to
    live_server.post_json("/_testing/clock", {"now": None})


@pytest.fixture
def outbox_messages(live_server):
    """`outbox_messages(to=None)`: the live server's emails, newest first, with the links in each."""
    return live_server.outbox


@pytest.fixture
def axe_check():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, context=None):
        results = axe.run(page, context=context)
        violations = results.response["violations"]
        if violations:
            lines = []
            for violation in violations:
                lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
                for node in violation["nodes"][:5]:
                    lines.append(f"    at {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}"
                                 .replace("\n", " "))
            pytest.fail(f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
                        + "\n".join(lines))
        return results

    return check


@pytest.fixture
def page_bytes():
    """Load `url` in `page` and return the bytes of the HTML, CSS, JS, images and fonts it received.
    Measure in a fresh page (the `page` fixture is one): a cached file counts as received again."""

    def measure(page, url: str) -> int:
        responses = []

        def record(response):
            responses.append(response)

        page.on("response", record)
        try:
            page.goto(url, wait_until="load")
        finally:
            page.remove_listener("response", record)
        sizes = []
        for response in responses:
            if response.request.resource_type in MEASURED_TYPES and not 300 <= response.status < 400:
                sizes.append((response.request.resource_type, response.url, len(response.body())))
        total = sum(size for _, _, size in sizes)
        breakdown = "\n".join(f"  {size:>8} B  {kind:<10} {address}" for kind, address, size in sizes)
        print(f"\npage bytes for {url}: {total} B\n{breakdown}")
        return total

    return measure
