from flask import Blueprint

bp = Blueprint("consultation", __name__, url_prefix="/j")
