from flask import Blueprint

bp = Blueprint("tables", __name__, url_prefix="/mesas")

from consulta.tables import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.tables.cli import tables_cli
    from consulta.tables.services import table_of

    app.cli.add_command(tables_cli)
    # For the proposal's page (templates/tables/_proposal_table.html): the table it sits at.
    app.jinja_env.globals["table_of_proposal"] = table_of
