from flask import Blueprint

bp = Blueprint("tables", __name__, url_prefix="/mesas")

from consulta.tables import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.tables.cli import tables_cli
    from consulta.tables.services import cycle_summary, table_of

    app.cli.add_command(tables_cli)
    # For other domains' pages: the table a proposal sits at (templates/tables/_proposal_table.html)
    # and a cycle's tables (templates/tables/_cycle_links.html).
    app.jinja_env.globals.update(table_of_proposal=table_of, working_tables=cycle_summary)
