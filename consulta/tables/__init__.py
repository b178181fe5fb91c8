from flask import Blueprint

bp = Blueprint("tables", __name__, url_prefix="/mesas")

from consulta.tables import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.tables.cli import tables_cli

    app.cli.add_command(tables_cli)
