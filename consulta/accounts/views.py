# Placeholder routes so that the base template links resolve; the accounts helper replaces them.
from flask import abort

from consulta.accounts import bp


@bp.route("/ingresar", methods=["GET", "POST"])
def login():
    abort(404)


@bp.route("/salir", methods=["POST"])
def logout():
    abort(404)


@bp.route("/registro", methods=["GET", "POST"])
def register():
    abort(404)


@bp.route("/")
def profile():
    abort(404)


@bp.route("/equipo")
def staff():
    abort(404)
