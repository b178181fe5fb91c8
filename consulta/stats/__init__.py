from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/estadisticas")

from consulta.stats import views  # noqa: E402,F401  (registers the routes on bp)
