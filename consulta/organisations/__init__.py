from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organizaciones")

from consulta.organisations import models, views  # noqa: E402,F401  (models and routes register on import)
