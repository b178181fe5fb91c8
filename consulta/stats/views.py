from flask import abort, render_template, request

from consulta.consultation import services as consultation
from consulta.core import exports
from consulta.core.pagination import paginate
from consulta.cycles.services import cycle_or_404
from consulta.jurisdictions.services import jurisdiction_or_404
from consulta.stats import bp, feed, opendata, services


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


# --- open data ------------------------------------------------------------------------------------

@bp.route("/<slug>/<cycle_slug>/datos")
def open_data(slug, cycle_slug):
    return render_template("stats/open_data.html", cycle=cycle_or_404(slug, cycle_slug), datasets=opendata.DATASETS,
                           formats=exports.FORMATS)


@bp.route("/<slug>/<cycle_slug>/datos/<name>.<any(csv, json, xlsx):fmt>")
def dataset(slug, cycle_slug, name, fmt):
    cycle = cycle_or_404(slug, cycle_slug)
    found = opendata.dataset(name)
    if found is None:
        abort(404)
    return opendata.download(cycle, found, fmt)


@bp.route("/<slug>/<cycle_slug>/datos/<name>.zip")
def archive(slug, cycle_slug, name):
    cycle = cycle_or_404(slug, cycle_slug)
    if name != cycle_slug:
        abort(404)
    return opendata.archive(cycle)


@bp.route("/<slug>/<cycle_slug>/novedades.atom", endpoint="feed")
def feed_atom(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    body = render_template("stats/feed.xml", feed=feed.feed(cycle), atom_time=feed.atom_time)
    return body, {"Content-Type": "application/atom+xml; charset=utf-8"}


@bp.route("/")
def overview():
    sort = request.args.get("orden") if request.args.get("orden") in services.SORTS else "region"
    return render_template("stats/overview.html", rows=services.overview(sort), sort=sort)
