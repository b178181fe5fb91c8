"""Every database engine the tests create, kept alive until the end of the run and then closed.

Tests make apps of their own (a rate-limited one, one seeding the live server's database). When
such an app is garbage-collected, its pool's connections are dropped unclosed, which PostgreSQL's
driver reports as a ResourceWarning, and warnings fail the run, in whichever test is running then.
A module of its own, so that the listener is registered once however conftest is imported.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine

_engines = set()


@event.listens_for(Engine, "engine_connect")
def _keep(connection):
    _engines.add(connection.engine)


def close_all() -> None:
    for engine in list(_engines):
        engine.dispose()
