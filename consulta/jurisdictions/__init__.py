from flask import Blueprint

bp = Blueprint("jurisdictions", __name__, url_prefix="/j")

from consulta.jurisdictions import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def _home_section() -> dict:
    from consulta.jurisdictions.services import ordered_jurisdictions

    return {"jurisdictions": ordered_jurisdictions()}


def init_app(app):
    from consulta.jurisdictions import cli
    from consulta.site.services import add_home_section

    cli.register(app)
    add_home_section(app, _home_section)
