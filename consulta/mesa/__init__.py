from flask import Blueprint

bp = Blueprint("mesa", __name__, url_prefix="/j")
