"""Each pytest-xdist worker gets a PostgreSQL database and a Redis database of its own.

`make test` runs the suite in two processes (pytest-xdist). On SQLite each already has its own
temporary files; on PostgreSQL and Redis both would share what DATABASE_URL and REDIS_URL name,
and one worker's rebuilt schema or rate-limit counters would land in the other's tests. So a
worker rewrites both variables before anything reads them: `<database>_gw0`, made empty on the same
server, and Redis database 1, 2… (the main process and a run without xdist keep database 0).
The browser harness names its servers' databases after DATABASE_URL, so they follow.
"""
import os
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_postgres_database(url, suffix: str) -> str:
    """`<url's database>_<suffix>` on the same server, dropped if it exists and created empty; its URL."""
    base = make_url(url)
    fresh = base.set(database=f"{base.database}_{suffix}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{fresh.database}"'))
    finally:
        admin.dispose()
    return fresh.render_as_string(hide_password=False)


_isolated = False


def isolate() -> None:
    """Once per process: conftest is imported twice, as `conftest` and as `tests.conftest`."""
    global _isolated
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"…
    if not worker or _isolated:
        return
    _isolated = True
    if os.environ.get("DATABASE_URL"):
        # `config` is not imported yet, on purpose: the driver is named here as config names it.
        url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
        os.environ["DATABASE_URL"] = fresh_postgres_database(url, worker)
    if os.environ.get("REDIS_URL"):
        redis = urlsplit(os.environ["REDIS_URL"])
        os.environ["REDIS_URL"] = redis._replace(path=f"/{int(worker.removeprefix('gw')) + 1}").geturl()
