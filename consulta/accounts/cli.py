"""`flask users create`: a verified account made from the command line (the first administrator of
a server that sends no email yet, say); `flask users create-admin` then gives it its role."""
import click
from flask.cli import AppGroup

from consulta.accounts import services
from consulta.core.errors import DomainError
from consulta.extensions import db

users_cli = AppGroup("users", help="People and their roles.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="The name others see.")
@click.password_option(help="Asked for when not given (at least 10 characters).")
def create_command(email, display_name, password):
    """Create a verified account for EMAIL."""
    try:
        user = services.create_user(email=email, password=password, display_name=display_name, verified=True)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.email} can sign in now.")


def register(app):
    # The jurisdictions domain adds `users create-admin`: share one group rather than replace it.
    existing = app.cli.commands.get("users")
    if existing is None or existing is users_cli:
        app.cli.add_command(users_cli)
    else:
        existing.add_command(create_command)
