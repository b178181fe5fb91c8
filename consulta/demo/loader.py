"""The demo's content, loaded step by step through the domains' services.

Each later domain adds its step to STEPS; a step receives the shared context (the objects earlier
steps made) and returns lines for the command's summary.
"""
from consulta.extensions import db

STEPS = []


def step(function):
    STEPS.append(function)
    return function


def load() -> list[str]:
    context = {}
    summary = []
    for run in STEPS:
        summary.extend(run(context) or [])
        db.session.commit()
    return summary or ["demo: nothing to load yet"]
