"""`flask demo`: the seed's real content and a current cycle, loaded through the services."""
from importlib import import_module

from flask import Blueprint

bp = Blueprint("demo", __name__)

# Importing a module registers its steps and phase hooks, which run in this order: the base first,
# then each domain after those it stands on.
MODULES = ("base", "people", "municipal", "proposals", "tables", "commitments", "triage", "consultation", "mesa",
           "monitoring")


def init_app(app):
    from consulta.demo.cli import demo_command

    for name in MODULES:
        import_module(f"consulta.demo.{name}")
    app.cli.add_command(demo_command)
