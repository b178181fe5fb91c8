"""`flask users create-admin`: the first administrator, before anyone can grant roles in a page."""
import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from consulta.core.errors import DomainError
from consulta.extensions import db
from consulta.jurisdictions import services
from consulta.jurisdictions.models import Jurisdiction, Role

users_cli = AppGroup("users", help="People and their roles.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--jurisdiction", "slug", default=None,
              help="The jurisdiction's slug; the national level (reaching every jurisdiction) when omitted.")
def create_admin(email, slug):
    """Make the existing account EMAIL an administrator."""
    from consulta.accounts.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account has the email {email}: create it first.")
    if slug:
        jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == slug))
    else:
        jurisdiction = services.national()
    if jurisdiction is None:
        raise click.ClickException(f"No jurisdiction {slug!r}." if slug else "There is no national level yet.")
    try:
        services.grant_role(user, Role.ADMIN, jurisdiction, actor=None, reason="flask users create-admin")
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.email} is now an administrator of {jurisdiction.name}.")


def register(app):
    # The accounts domain may add its own `users` commands: share one group rather than replace it.
    existing = app.cli.commands.get("users")
    if existing is None or existing is users_cli:
        app.cli.add_command(users_cli)
    else:
        existing.add_command(create_admin)
