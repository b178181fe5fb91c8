"""`flask cycles advance`: run every minute by a scheduler (cron), on one machine or several."""
import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from consulta.core import clock
from consulta.cycles import services
from consulta.extensions import db

cycles_cli = AppGroup("cycles", help="Action-plan cycles and their phases.")


@cycles_cli.command("advance")
def advance_command():
    """Open the phases whose window has started and close those whose window has ended."""
    try:
        lines = services.advance_phases(clock.now())
        db.session.commit()
    except (OperationalError, StaleDataError) as error:
        # Another run holds the same phases (SQLite refuses a second writer): it does the work.
        db.session.rollback()
        click.echo(f"cycles advance: nothing done, another run is busy ({type(error).__name__})", err=True)
        raise SystemExit(1) from None
    for line in lines:
        click.echo(line)
    click.echo(f"cycles advance: {len(lines)} phase(s) handled" if lines else "cycles advance: nothing to do")
