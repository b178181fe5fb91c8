from flask import abort

from consulta.jurisdictions import bp


@bp.route("/")
def index():
    abort(404)


@bp.route("/<slug>")
def detail(slug):
    abort(404)
