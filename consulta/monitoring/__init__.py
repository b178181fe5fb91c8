from flask import Blueprint

bp = Blueprint("monitoring", __name__, url_prefix="/j")

# Models, rules, the comment target (in services) and routes register on import.
from consulta.monitoring import models, rules, services, views  # noqa: E402,F401


def init_app(app):
    from consulta.monitoring.cli import monitoring_cli

    app.cli.add_command(monitoring_cli)
    # For the cycle page (templates/monitoring/_cycle_links.html).
    app.jinja_env.globals["monitoring_published"] = services.is_published
