"""consulta: co-creating Open Government action plans with civil society, in public."""
import logging
import os
from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent

# The domains, in the order their blueprints are registered. Each is a sub-package with a
# blueprint `bp` in its __init__ and, when it adds commands, a `cli` group in cli.py.
DOMAINS = ("site", "accounts", "organisations", "jurisdictions", "cycles", "proposals", "tables", "triage", "commitments", "consultation", "mesa", "monitoring",
           "municipal", "stats", "demo")


def create_app(config=None, **overrides) -> Flask:
    from importlib import import_module

    import config as settings
    from consulta.core import audit, i18n, outbox, web  # noqa: F401  (audit: its model registers)
    from consulta.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    if config is None:
        config = settings.ProductionConfig if os.environ.get("CONSULTA_ENV") == "production" else settings.Config
    app.config.from_object(config)
    app.config.update(overrides)
    config.finish(app.config)
    logging.basicConfig(level=logging.INFO)
    Path(app.instance_path).mkdir(exist_ok=True)

    _configure_rate_limit_storage(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(ROOT / "consulta" / "translations"))
    limiter.init_app(app)
    web.init_app(app)
    outbox.init_app(app)

    for name in DOMAINS:
        package = import_module(f"consulta.{name}")
        app.register_blueprint(package.bp)
        if hasattr(package, "init_app"):
            package.init_app(app)

    from consulta.site.templating import init_templating

    init_templating(app)
    return app


def _configure_rate_limit_storage(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead log (readers never wait for the writer), enforced foreign keys, and
    transactions begun by SQLAlchemy rather than by the driver, so that savepoints work."""
    if _is_sqlite(dbapi_connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """A request that may write (any method but GET, HEAD, OPTIONS) takes SQLite's write lock as
    its transaction begins. Otherwise two such requests at once both read, and the one that writes
    second finds its snapshot stale and fails at once with "database is locked" — waiting
    (busy_timeout) cannot help it. With the lock taken first, the second waits for the first."""
    if connection.dialect.name == "sqlite":
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
