"""Configuration, read from the environment with safe development defaults.

Every variable is listed in README.md. `create_app()` picks `ProductionConfig` when
`CONSULTA_ENV=production`, `TestingConfig` for the test suite, `Config` otherwise.
"""
import logging
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'consulta.db'}"
    # Hosting providers hand out postgres:// URLs; SQLAlchemy needs the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _flag(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")

    # Rate limits (Flask-Limiter). Storage is Redis when REDIS_URL is set, memory otherwise.
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "300 per minute")
    RATELIMIT_AUTH = os.environ.get("RATELIMIT_AUTH", "10 per minute")
    RATELIMIT_HEADERS_ENABLED = True

    # Email: with no MAIL_SERVER the outbox prints each message to the console and marks it sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _flag("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "consulta <no-reply@consulta.localhost>")
    # In development the outbox is flushed at the end of the request that filled it, so a newcomer
    # sees the verification link at once; in production a `flask outbox send` worker does it.
    OUTBOX_SEND_INLINE = _flag("OUTBOX_SEND_INLINE", True)
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))

    # Regions highlighted as far from the capital in the municipal follow-up (region codes).
    MUNICIPAL_FAR_REGIONS = os.environ.get("MUNICIPAL_FAR_REGIONS", "AP,TA,AN,AT,AI,MA")

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(20 * 1024 * 1024)))

    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = "America/Santiago"
    LANGUAGES = ("es", "en")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    WTF_CSRF_TIME_LIMIT = int(os.environ.get("WTF_CSRF_TIME_LIMIT", str(8 * 3600)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True

    PASSWORD_HASH = "argon2"
    # Testing hooks: a settable clock over HTTP for the browser suite. Never in production.
    TESTING_HOOKS = _flag("CONSULTA_TESTING_HOOKS", False)

    @classmethod
    def finish(cls, config):
        """Fill what depends on the environment at start-up, and refuse unsafe combinations."""
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = secrets.token_hex(32)
            logging.getLogger("consulta").warning(
                "SECRET_KEY is not set: using a random development key (sessions end on restart)."
            )


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-key"
    # The suite builds its own database (a temporary SQLite file, or DATABASE_URL): see tests/conftest.py.
    SQLALCHEMY_DATABASE_URI = _database_url() if os.environ.get("DATABASE_URL") else None
    RATELIMIT_ENABLED = False
    OUTBOX_SEND_INLINE = False
    # A cheap hash keeps the suite fast; production uses argon2.
    PASSWORD_HASH = "fast"
    SERVER_NAME = "localhost"
    BASE_URL = "http://localhost"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    OUTBOX_SEND_INLINE = _flag("OUTBOX_SEND_INLINE", False)

    @classmethod
    def finish(cls, config):
        key = config.get("SECRET_KEY") or ""
        if len(key) < 32 or key in {"testing-only-key", "change-me"}:
            raise RuntimeError("ProductionConfig needs a real SECRET_KEY (32 characters or more).")
        if config.get("TESTING") or config.get("TESTING_HOOKS"):
            raise RuntimeError("ProductionConfig refuses testing hooks (TESTING, CONSULTA_TESTING_HOOKS).")
        if config.get("PASSWORD_HASH") != "argon2":
            raise RuntimeError("ProductionConfig refuses the testing password hash.")
