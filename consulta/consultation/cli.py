"""`flask consultation …`: what operators run for the public consultation."""
import click
from flask.cli import AppGroup

from consulta.consultation import tally
from consulta.extensions import db

consultation_cli = AppGroup("consultation", help="Public consultation.")


@consultation_cli.command("retally")
def retally_command():
    """Rebuild the comment tally (the figures' counts) from the comments themselves, and say how many
    of its counts differed: after rows were written around the application, or to check it."""
    held = tally.tallied()
    written = tally.rebuild(db.session.connection())
    counted = tally.tallied()
    differed = sum(1 for key in held.keys() | counted.keys() if held.get(key, 0) != counted.get(key, 0))
    db.session.commit()
    click.echo(f"comment tally rebuilt: {written} rows, {sum(counted.values())} comments; "
               f"{differed} counts differed from the recount")
