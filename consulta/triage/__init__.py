from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/j")

from consulta.triage import models, views  # noqa: E402,F401  (models and routes register on import)


def init_app(app):
    from consulta.cycles.models import PhaseKind
    from consulta.cycles.services import register_gate
    from consulta.triage.services import all_answered, public_outcome

    register_gate(PhaseKind.CONSULTATION, all_answered)
    # The proposal's page (the intake domain's) shows its outcome through this one call.
    app.jinja_env.globals["proposal_outcome"] = public_outcome
