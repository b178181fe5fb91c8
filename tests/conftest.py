"""Shared fixtures: one app and one schema (built from the migrations) for the whole run, each
test inside a transaction that is rolled back; committed-data databases for the tests that need them.

DATABASE_URL points the suite at PostgreSQL; without it a temporary SQLite file is used.
With CI=true, a test that would skip for want of a browser, PostgreSQL or Redis fails instead.
"""
from tests.support import workers

workers.isolate()  # first: `config`, imported below, reads DATABASE_URL and REDIS_URL once

import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import g, request_started
from flask_babel import force_locale
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

import config
from bench.generate import reset as reset_schema
from consulta import create_app
from consulta.core import clock as core_clock
from consulta.extensions import db as _db
from tests.support import engines, probe

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str):
    """Skip locally; in CI, where everything is installed, a missing piece is a failure."""
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _close_engines():
    yield
    engines.close_all()


@pytest.fixture
def report(request):
    """`report(text)`: lines the run prints at its end, passed or failed — figures a reviewer reads
    in CI's output. They travel on the test's report, so pytest-xdist's workers hand them over."""
    return lambda text: request.node.user_properties.append(("report", text))


def pytest_terminal_summary(terminalreporter):
    lines = [value for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in report.user_properties if name == "report"]
    if lines:
        terminalreporter.section("reported by the tests")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="consulta-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def database_url(workdir: Path, name: str) -> str:
    if os.environ.get("DATABASE_URL"):
        return config._database_url()
    return f"sqlite:///{workdir / (name + '.db')}"


def _fresh_request_globals(sender, **extra):
    """Start every request with an empty `g`, as a real server does.

    A request made while a test holds an app context (the `db` fixture does) reuses that context,
    and with it `g`: without this, the signed-in user (Flask-Login), the locale (Flask-Babel) and
    CSRF verdicts of the test's first request would carry over to its later ones.
    """
    vars(g._get_current_object()).clear()


@pytest.fixture(scope="session")
def app(workdir):
    application = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(workdir, "suite"),
                             UPLOAD_DIR=str(workdir / "uploads"))
    # Test-only pages for the core (forms, permissions, errors); blueprints register before any request.
    probe.register(application)
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        reset_schema(_db.engine)  # emptied completely, so that the migrations build it from zero
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()  # PostgreSQL's driver warns about connections still open at exit


@contextmanager
def rolled_back(app):
    """The database inside one transaction that is rolled back at the end (commits become savepoints)."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own picks the engine, ignoring `bind`.
        _db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint", query_cls=_db.Query),
            scopefunc=_app_ctx_id,
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


def separate_app(settings=config.TestingConfig, **overrides):
    """Another app in this process, with a rate limiter of its own.

    Flask-Limiter keeps its settings (on or off, default limits, storage) on the limiter object, not
    per app: built with the shared one, this app's limits would leak into every app made after it.
    The app's limiter is `limiter_of(app)`.
    """
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from consulta import extensions

    shared = extensions.limiter
    extensions.limiter = Limiter(key_func=get_remote_address)
    try:
        return create_app(settings, **overrides)
    finally:
        extensions.limiter = shared


def limiter_of(application):
    return next(iter(application.extensions["limiter"]))


@pytest.fixture
def make_app():
    """`make_app(settings=TestingConfig, **overrides)`: `separate_app`, its database connections
    closed after the test (PostgreSQL's driver warns about connections left open)."""
    made = []

    def make(settings=config.TestingConfig, **overrides):
        made.append(separate_app(settings, **overrides))
        return made[-1]

    yield make
    for application in made:
        with application.app_context():
            for engine in _db.engines.values():
                engine.dispose()


@pytest.fixture
def db(app):
    """The database, inside a transaction rolled back after the test."""
    with rolled_back(app) as database:
        yield database


@pytest.fixture
def committed_db(app):
    """The database with real commits, emptied of rows afterwards: for concurrency tests."""
    with app.app_context():
        yield _db
        _db.session.remove()
        with _db.engine.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def english(client):
    """The test client reading pages in English, as after the language switch (GET /lang/en keeps
    the choice in the session): for tests that look for a message's English wording, whatever the
    Spanish catalogue says. Spanish stays the default for every test that does not ask for this."""
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def english_messages(request):
    """Text made outside requests (services, commands) in English, for tests that read a refusal's
    English wording. The forced locale lives in the database fixture's application context, so that
    fixture comes first; a request starts with a fresh `g` and reads its own language (see `english`)."""
    request.getfixturevalue("committed_db" if "committed_db" in request.fixturenames else "db")
    with force_locale("en"):
        yield


@pytest.fixture
def login_as(client):
    def login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return login


class Clock:
    """Sets consulta's clock for one test; `at(...)` takes an aware datetime or UTC fields."""

    def at(self, *args, **kwargs):
        instant = args[0] if args and isinstance(args[0], datetime) else datetime(*args, **kwargs, tzinfo=UTC)
        core_clock.set_now(instant)
        return instant


@pytest.fixture
def clock():
    yield Clock()
    core_clock.set_now(None)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted:` … `counted.n` statements ran inside the block."""

    class Counter:
        n = 0
        statements: list

    @contextmanager
    def counting():
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.n += 1
            counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return counting


