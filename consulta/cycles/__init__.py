from flask import Blueprint

bp = Blueprint("cycles", __name__, url_prefix="/j")

from consulta.cycles import models, views  # noqa: E402,F401  (models and routes register on import)


def init_app(app):
    from consulta.cycles.cli import cycles_cli
    from consulta.cycles.services import home_section
    from consulta.site.services import add_home_section

    app.cli.add_command(cycles_cli)
    add_home_section(app, home_section)
