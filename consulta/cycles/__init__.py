from flask import Blueprint

bp = Blueprint("cycles", __name__, url_prefix="/j")

from consulta.cycles import models, views  # noqa: E402,F401  (models and routes register on import)
