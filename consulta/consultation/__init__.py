from flask import Blueprint

bp = Blueprint("consultation", __name__, url_prefix="/j")

# Models, rules, comment targets, routes and the tally's flush listener register on import.
from consulta.consultation import models, rules, tally, targets, views  # noqa: E402,F401


def init_app(app):
    import os

    from consulta.consultation import services
    from consulta.consultation.cli import consultation_cli
    from consulta.cycles.models import PhaseKind
    from consulta.cycles.services import register_gate

    # Spam defences: the least time between showing a comment form and posting it (the browser
    # tests set 0), and the posting budgets per person and per address (Flask-Limiter notation).
    app.config.setdefault("CONSULTATION_MIN_SECONDS", int(os.environ.get("CONSULTATION_MIN_SECONDS", "3")))
    app.config.setdefault("CONSULTATION_RATE_PER_PERSON", os.environ.get("CONSULTATION_RATE_PER_PERSON",
                                                                         "20 per hour"))
    app.config.setdefault("CONSULTATION_RATE_PER_ADDRESS", os.environ.get("CONSULTATION_RATE_PER_ADDRESS",
                                                                          "60 per hour"))
    app.cli.add_command(consultation_cli)
    register_gate(PhaseKind.MESA_REVIEW, services.mesa_gate)
    # For the cycle page (templates/consultation/_cycle_links.html).
    app.jinja_env.globals["consultation_summary"] = services.summary
