"""Signed, expiring, single-use links: email verification, password reset and change of email.

A link carries the user id, its purpose, a random id (jti) and, for an email, the address it
proves. It is signed with the app's SECRET_KEY and a salt per purpose, so a link made for one
purpose is worthless for another. Using a link stores its jti: a second use is refused.
Timestamps come from consulta's clock, so tests can age a link.
"""
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from consulta.accounts.models import UsedToken
from consulta.core import clock
from consulta.core.errors import DomainError
from consulta.extensions import db

VERIFY = "verify"
RESET = "reset"
EMAIL = "email"
MAX_AGE = {VERIFY: timedelta(hours=48), EMAIL: timedelta(hours=48), RESET: timedelta(hours=2)}


class InvalidLink(DomainError):
    """A link that was tampered with, has expired or was already used."""

    def __init__(self, purpose: str, *, expired: bool = False):
        self.purpose = purpose
        self.expired = expired
        message = (_("This link has expired.") if expired
                   else _("This link is not valid: it was changed, or it was already used."))
        super().__init__(None, message)


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"consulta.accounts.{purpose}",
                                  signer=_ClockSigner)


def make(purpose: str, user, **claims) -> str:
    payload = {"uid": user.id, "purpose": purpose, "jti": secrets.token_hex(16), **claims}
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str) -> dict:
    """The link's payload, if it is genuine, fresh and unused; InvalidLink otherwise."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(MAX_AGE[purpose].total_seconds()))
    except SignatureExpired:
        raise InvalidLink(purpose, expired=True) from None
    except BadSignature:
        raise InvalidLink(purpose) from None
    if (not isinstance(payload, dict) or payload.get("purpose") != purpose
            or not isinstance(payload.get("jti"), str) or db.session.get(UsedToken, payload["jti"])):
        raise InvalidLink(purpose)
    return payload


def consume(payload: dict) -> None:
    """Mark the link used. Two clicks racing each other: the second insert fails and is refused."""
    try:
        with db.session.begin_nested():
            db.session.add(UsedToken(jti=payload["jti"], purpose=payload["purpose"], used_at=clock.now()))
    except IntegrityError:
        raise InvalidLink(payload["purpose"]) from None
