from datetime import datetime

from flask import abort, current_app, jsonify, redirect, render_template, request, session
from sqlalchemy import text

from consulta.core import clock
from consulta.core.i18n import safe_next
from consulta.extensions import csrf, db, limiter
from consulta.site import bp
from consulta.site.services import home_context


@bp.route("/")
def home():
    return render_template("site/home.html", **home_context())


@bp.route("/lang/<code>")
def language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.route("/health")
@limiter.exempt
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", database=db.engine.dialect.name)


@bp.route("/_testing/clock", methods=["POST"])
@csrf.exempt
@limiter.exempt
def testing_clock():
    """Set the live test server's clock. Exists only with testing hooks on (never in production)."""
    if not current_app.config.get("TESTING_HOOKS"):
        abort(404)
    value = (request.get_json(silent=True) or {}).get("now")
    try:
        clock.set_now(datetime.fromisoformat(value) if value else None)
    except (TypeError, ValueError):  # not an ISO instant, or one without its offset
        abort(400)
    return jsonify(now=clock.now().isoformat(), frozen=clock.is_frozen())
