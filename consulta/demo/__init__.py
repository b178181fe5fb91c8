"""`flask demo`: the seed's real content and a current cycle, loaded through the services."""
from flask import Blueprint

bp = Blueprint("demo", __name__)


def init_app(app):
    from consulta.demo import base  # noqa: F401  (registers the demo's steps, in order)
    from consulta.demo.cli import demo_command

    app.cli.add_command(demo_command)
