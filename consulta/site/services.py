"""What the home page shows: filled in by the domains as they land."""
from flask import current_app


def home_context() -> dict:
    providers = current_app.extensions.get("consulta.home", [])
    context = {}
    for provide in providers:
        context.update(provide())
    return context


def add_home_section(app, provide) -> None:
    """A domain adds what it shows on the home page without the site importing the domain."""
    app.extensions.setdefault("consulta.home", []).append(provide)
