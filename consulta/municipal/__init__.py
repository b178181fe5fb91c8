from flask import Blueprint

bp = Blueprint("municipal", __name__, url_prefix="/municipios")
