from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/j")
