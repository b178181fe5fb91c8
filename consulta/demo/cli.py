import click
from flask.cli import with_appcontext

from consulta.demo import loader


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo data (the seed's plans, municipalities and a current cycle)."""
    summary = loader.load()
    for line in summary:
        click.echo(line)
