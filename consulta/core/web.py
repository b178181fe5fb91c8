"""What every response shares: security headers, error pages, and the CSRF and permission refusals."""
from flask import current_app, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consulta.core.errors import PermissionDenied
from consulta.core.forms import stash_posted_form
from consulta.extensions import db

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def error_page(code: int):
    return render_template(f"errors/{code}.html"), code


def handle_permission_denied(error):
    if not current_user.is_authenticated:
        if request.method == "POST":
            stash_posted_form()
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return error_page(403)


def handle_csrf_error(error):
    """Run the view again with the posted data; its form answers "expired" and keeps the text."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return error_page(400)
    g.csrf_failed = True
    try:
        response = current_app.make_response(view(**(request.view_args or {})))
    except PermissionDenied as denied:
        return handle_permission_denied(denied)
    if not g.get("csrf_handled"):
        # The view did not ask a form, so nothing tells the person what happened: refuse plainly.
        db.session.rollback()
        return error_page(400)
    return response


def handle_http_error(error: HTTPException):
    if error.code in {400, 403, 404, 405, 413, 429}:
        return error_page(error.code)
    return error


def handle_server_error(error):
    db.session.rollback()
    current_app.logger.exception("unhandled error")
    return error_page(500)


def init_app(app):
    app.after_request(security_headers)
    app.register_error_handler(PermissionDenied, handle_permission_denied)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
