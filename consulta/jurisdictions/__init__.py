from flask import Blueprint

bp = Blueprint("jurisdictions", __name__, url_prefix="/j")

from consulta.jurisdictions import models, views  # noqa: E402,F401  (models and routes register on import)
