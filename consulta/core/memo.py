"""A row several parts of one page ask for, read once per application context (one request).

Services use it for what a page asks again and again (the plan version under consultation, the
published plan); the service that changes such a row forgets it. Outside a request (a command, a
test) the context is longer, so the value is also tied to the session that read it.
"""
from flask import g

from consulta.extensions import db

_MEMO = "_consulta_memo"


def remembered(name: str, key, load):
    """`load()` once per application context and session for (name, key), then the same value."""
    memo = g.setdefault(_MEMO, {})
    session = db.session()
    found = memo.get((name, key))
    if found is None or found[0] is not session:
        found = memo[(name, key)] = (session, load())
    return found[1]


def forget(name: str) -> None:
    memo = g.get(_MEMO) or {}
    for key in [key for key in memo if key[0] == name]:
        del memo[key]
