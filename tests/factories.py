"""Test data with sensible defaults: a test states only what matters to it."""
import itertools
from datetime import date

from consulta.core.audit import record_event, transition
from consulta.extensions import db

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"
