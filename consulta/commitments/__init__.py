from flask import Blueprint

bp = Blueprint("commitments", __name__, url_prefix="/j")

from consulta.commitments import models, views  # noqa: E402,F401  (models and routes register on import)


def init_app(app):
    from consulta.commitments.services import freeze_for_consultation
    from consulta.cycles.models import PhaseKind
    from consulta.cycles.services import on_open

    on_open(PhaseKind.CONSULTATION, freeze_for_consultation)
