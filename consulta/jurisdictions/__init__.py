from flask import Blueprint

bp = Blueprint("jurisdictions", __name__, url_prefix="/j")

from consulta.jurisdictions import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)
