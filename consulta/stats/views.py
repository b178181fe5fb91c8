from flask import render_template, request
from sqlalchemy import select

from consulta.consultation import services as consultation
from consulta.core.pagination import paginate
from consulta.cycles.models import Cycle
from consulta.extensions import db
from consulta.jurisdictions.models import Jurisdiction
from consulta.stats import bp, services


def _jurisdiction(slug) -> Jurisdiction:
    return db.first_or_404(select(Jurisdiction).where(Jurisdiction.slug == slug))


def _cycle(slug, cycle_slug) -> Cycle:
    return db.first_or_404(select(Cycle).join(Cycle.jurisdiction)
                           .where(Jurisdiction.slug == slug, Cycle.slug == cycle_slug))


@bp.route("/<slug>")
def comparison(slug):
    return render_template("stats/comparison.html", comparison=services.comparison(_jurisdiction(slug)))


# The records behind a figure, where no other page lists exactly them.

@bp.route("/<slug>/<cycle_slug>/mesas-realizadas")
def held_tables(slug, cycle_slug):
    cycle = _cycle(slug, cycle_slug)
    return render_template("stats/tables.html", cycle=cycle, rows=services.held_tables(cycle), held_only=True)


@bp.route("/<slug>/<cycle_slug>/asistentes")
def attendees(slug, cycle_slug):
    cycle = _cycle(slug, cycle_slug)
    return render_template("stats/tables.html", cycle=cycle, rows=services.attended_tables(cycle), held_only=False)


@bp.route("/<slug>/<cycle_slug>/comentarios")
def comments(slug, cycle_slug):
    cycle = _cycle(slug, cycle_slug)
    return render_template("stats/comments.html", cycle=cycle, page=paginate(services.comments(cycle), per_page=100),
                           comment_url=consultation.comment_url_values)


@bp.route("/<slug>/<cycle_slug>/compromisos-desde-propuestas")
def commitments_from_proposals(slug, cycle_slug):
    cycle = _cycle(slug, cycle_slug)
    return render_template("stats/commitments.html", cycle=cycle, rows=services.commitments_from_proposals(cycle))


@bp.route("/")
def overview():
    sort = request.args.get("orden") if request.args.get("orden") in services.SORTS else "region"
    return render_template("stats/overview.html", rows=services.overview(sort), sort=sort)
