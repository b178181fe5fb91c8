from flask import Blueprint

bp = Blueprint("mesa", __name__, url_prefix="/j")

from consulta.mesa import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)
