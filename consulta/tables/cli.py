"""`flask tables …`: what cron runs for working tables."""
import click
from flask.cli import AppGroup

from consulta.extensions import db
from consulta.tables import services

tables_cli = AppGroup("tables", help="Working tables.")


@tables_cli.command("remind")
def remind_command():
    """Email everyone confirmed for a table starting within 24 hours (never twice)."""
    sent = services.send_reminders()
    db.session.commit()
    click.echo(f"reminders queued: {sent}")
