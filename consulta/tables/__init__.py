from flask import Blueprint

bp = Blueprint("tables", __name__, url_prefix="/mesas")
