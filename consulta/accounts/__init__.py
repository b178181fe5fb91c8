from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/cuenta")

from consulta.accounts import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.accounts import cli
    from consulta.extensions import login_manager

    login_manager.user_loader(models.load_user)
    cli.register(app)
