"""The site's own pages: home, language switch, health, and the testing clock hook."""
from flask import Blueprint

bp = Blueprint("site", __name__)

from consulta.site import views  # noqa: E402,F401  (routes register on import)
