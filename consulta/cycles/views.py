from flask import abort

from consulta.cycles import bp


@bp.route("/<slug>/<cycle_slug>")
def detail(slug, cycle_slug):
    abort(404)
