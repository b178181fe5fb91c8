"""`flask monitoring …`: what cron runs for implementation monitoring (daily is enough for both)."""
import click
from flask.cli import AppGroup

from consulta.extensions import db
from consulta.monitoring import services

monitoring_cli = AppGroup("monitoring", help="Implementation monitoring.")


@monitoring_cli.command("remind")
def remind_command():
    """Email reporters 14 days and 1 day before an activity's end and the day after, once late
    (never twice for the same activity and reminder)."""
    sent = services.send_reminders()
    db.session.commit()
    click.echo(f"reminders sent: {sent}")


@monitoring_cli.command("digest")
def digest_command():
    """Send the weekly digests that are due (one email per follower and week, with that week's reports)."""
    sent = services.send_digests()
    db.session.commit()
    click.echo(f"digests queued: {sent}")
