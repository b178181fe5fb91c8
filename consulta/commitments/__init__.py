from flask import Blueprint

bp = Blueprint("commitments", __name__, url_prefix="/j")
