from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/estadisticas")
