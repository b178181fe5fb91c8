from flask import render_template, request

from consulta.consultation import services as consultation
from consulta.core.pagination import paginate
from consulta.cycles.services import cycle_or_404
from consulta.jurisdictions.services import jurisdiction_or_404
from consulta.stats import bp, services


@bp.route("/<slug>")
def comparison(slug):
    return render_template("stats/comparison.html", comparison=services.comparison(jurisdiction_or_404(slug)))


# The records behind a figure, where no other page lists exactly them.

@bp.route("/<slug>/<cycle_slug>/mesas-realizadas")
def held_tables(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    return render_template("stats/tables.html", cycle=cycle, rows=services.held_tables(cycle), held_only=True)


@bp.route("/<slug>/<cycle_slug>/asistentes")
def attendees(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    return render_template("stats/tables.html", cycle=cycle, rows=services.attended_tables(cycle), held_only=False)


@bp.route("/<slug>/<cycle_slug>/comentarios")
def comments(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    return render_template("stats/comments.html", cycle=cycle, page=paginate(services.comments(cycle), per_page=100),
                           comment_url=consultation.comment_url_values)


@bp.route("/<slug>/<cycle_slug>/compromisos-desde-propuestas")
def commitments_from_proposals(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    return render_template("stats/commitments.html", cycle=cycle, rows=services.commitments_from_proposals(cycle))


@bp.route("/")
def overview():
    sort = request.args.get("orden") if request.args.get("orden") in services.SORTS else "region"
    return render_template("stats/overview.html", rows=services.overview(sort), sort=sort)
