from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/j")

from consulta.proposals import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)
