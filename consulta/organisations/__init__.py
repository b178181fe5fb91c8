from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organizaciones")

from consulta.organisations import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.organisations.rut import display

    app.jinja_env.filters["rut"] = display
