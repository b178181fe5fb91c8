"""Accounts: registration, verification, sign-in, passwords, change of email, profile, closing an
account, the data download and suspensions.

Whatever a visitor types about an email address (signing up, signing in, asking for a reset or a
new link) gets the same answer whether or not an account has that address: what differs goes into
an email to that address, never into the page.
"""
import secrets

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consulta.accounts import exports, tokens
from consulta.accounts.models import Suspension, SuspensionState, User, UserState
from consulta.accounts.passwords import check_password, check_policy, hash_password, needs_rehash
from consulta.accounts.tokens import InvalidLink
from consulta.core import clock
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Jurisdiction, JurisdictionKind, Role, RoleGrant
from consulta.jurisdictions.roles import grants_of, jurisdictions_where

DISPLAY_NAME_MAX = 80
PHONE_MAX = 30
TEXT_MAX = 4000
PSEUDONYM_PREFIX = "Participante"


class NotVerified(DomainError):
    """The password was right but the address is not verified yet: the page offers a new link."""

    def __init__(self):
        super().__init__(None, _("Your email address is not verified yet. Follow the link we sent you, "
                                 "or ask for a new one."))


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str | None) -> User | None:
    address = normalise_email(email)
    if not address:
        return None
    return db.session.scalar(select(User).where(User.email == address))


def _mail(address: str, locale: str, subject, template: str, **context) -> None:
    """Queue an email in the recipient's language (the subject is a lazy string, read in it)."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(address, subject=str(subject), template=f"accounts/email/{template}", **context)


def _clean_name(display_name: str | None) -> str:
    name = (display_name or "").strip()
    if not name:
        raise DomainError("display_name", _("Write the name you want others to see."))
    if len(name) > DISPLAY_NAME_MAX:
        raise DomainError("display_name", _("A name has at most %(max)s characters.", max=DISPLAY_NAME_MAX))
    return name


def _clean_phone(phone: str | None) -> str | None:
    phone = (phone or "").strip()
    if len(phone) > PHONE_MAX:
        raise DomainError("phone", _("A phone number has at most %(max)s characters.", max=PHONE_MAX))
    return phone or None


def _clean_text(text: str | None, field: str, empty_message) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(field, str(empty_message))
    if len(text) > TEXT_MAX:
        raise DomainError(field, _("This text has at most %(max)s characters.", max=TEXT_MAX))
    return text


# --- creating accounts -------------------------------------------------------------------------

def create_user(*, email, password, display_name, actor=None, verified=False, locale="es", phone=None) -> User:
    """A new active account. `actor` None: the person created it themself."""
    address = normalise_email(email)
    if not address:
        raise DomainError("email", _("Write your email address."))
    check_policy(password)
    user = User(email=address, password_hash=hash_password(password), display_name=_clean_name(display_name),
                locale=locale, phone=_clean_phone(phone), email_verified_at=clock.now() if verified else None)
    if find_by_email(address) is not None:
        raise DomainError("email", _("An account with this email address already exists."))
    try:
        # Two sign-ups racing for one address: the unique index stops the second.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise DomainError("email", _("An account with this email address already exists.")) from None
    transition(user, UserState.ACTIVE, actor=actor if actor is not None else user, public=False)
    return user


def register(*, email, password, display_name, locale) -> None:
    """The public sign-up: a new account and its verification link, or, when the address already
    has an account, an email to it saying so. The page answers alike either way."""
    existing = find_by_email(email)
    if existing is None:
        user = create_user(email=email, password=password, display_name=display_name, locale=locale)
        _send_verification(user)
        return
    check_policy(password)
    _clean_name(display_name)
    hash_password(password)  # the same work as for a new account, so the time taken tells nothing
    verify_url = None if existing.is_verified else _verification_link(existing)
    _mail(existing.email, existing.locale, _l("Someone tried to create an account with your address"),
          "already_registered", user=existing, verify_url=verify_url,
          login_url=absolute_url("accounts.login"), reset_url=absolute_url("accounts.forgot_password"))


def _verification_link(user) -> str:
    return absolute_url("accounts.verify", token=tokens.make(tokens.VERIFY, user, email=user.email))


def _send_verification(user) -> None:
    _mail(user.email, user.locale, _l("Confirm your email address"), "verify", user=user,
          verify_url=_verification_link(user), max_age=tokens.MAX_AGE[tokens.VERIFY])


def resend_verification(email) -> None:
    """A new verification link, if the address has an account that still needs one."""
    user = find_by_email(email)
    if user is not None and not user.is_verified:
        _send_verification(user)


# --- links -------------------------------------------------------------------------------------

def check_link(purpose: str, token: str) -> User:
    """The person a link is for, if the link is genuine, fresh, unused and still applies."""
    return _user_of(purpose, tokens.read(purpose, token))


def _user_of(purpose: str, payload: dict) -> User:
    uid = payload.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or user.state == UserState.CLOSED:
        raise InvalidLink(purpose)
    still_applies = {
        tokens.VERIFY: lambda: payload.get("email") == user.email,
        tokens.EMAIL: lambda: payload.get("email") == user.pending_email,
        # Any later reset (or closing) bumps the version, so older reset links die with it.
        tokens.RESET: lambda: payload.get("sv") == user.session_version,
    }[purpose]
    if not still_applies():
        raise InvalidLink(purpose)
    return user


def _use_link(purpose: str, token: str) -> User:
    payload = tokens.read(purpose, token)
    user = _user_of(purpose, payload)
    tokens.consume(payload)
    return user


def verify_email(token: str) -> User:
    user = _use_link(tokens.VERIFY, token)
    if not user.is_verified:
        user.email_verified_at = clock.now()
        record_event(user, "VERIFIED", actor=user, public=False)
    return user


# --- signing in and passwords ------------------------------------------------------------------

def authenticate(email, password) -> User:
    """The person with this address and password, now signed in; the same refusal for an unknown
    address and a wrong password."""
    user = find_by_email(email)
    if not check_password(user.password_hash if user else None, password or ""):
        raise DomainError(None, _("The email address or the password is not right."))
    if not user.is_verified:
        raise NotVerified()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    return user


def request_password_reset(email) -> None:
    user = find_by_email(email)
    if user is None:
        return
    token = tokens.make(tokens.RESET, user, sv=user.session_version)
    _mail(user.email, user.locale, _l("Choose a new password"), "reset", user=user,
          reset_url=absolute_url("accounts.reset_password", token=token), max_age=tokens.MAX_AGE[tokens.RESET])


def reset_password(token: str, *, password: str) -> User:
    """A new password through a reset link. Every session of the account ends."""
    check_policy(password)
    user = _use_link(tokens.RESET, token)
    user.password_hash = hash_password(password)
    user.session_version += 1
    if not user.is_verified:
        # The link reached the inbox: that proves the address as well as a verification link would.
        user.email_verified_at = clock.now()
    record_event(user, "PASSWORD_RESET", actor=user, public=False)
    _mail(user.email, user.locale, _l("Your password was changed"), "password_changed", user=user,
          reset_url=absolute_url("accounts.forgot_password"))
    return user


# --- profile and change of email ---------------------------------------------------------------

def update_profile(user, *, actor, display_name, phone=None) -> None:
    require(actor, "edit_profile", user)
    user.display_name = _clean_name(display_name)
    user.phone = _clean_phone(phone)


def request_email_change(user, *, actor, new_email, password) -> None:
    """The new address gets a link that confirms it; the current one is told. Until the link is
    used, the new address waits in `pending_email`."""
    require(actor, "edit_profile", user)
    if not check_password(user.password_hash, password or ""):
        raise DomainError("password", _("The password is not right."))
    address = normalise_email(new_email)
    if not address:
        raise DomainError("new_email", _("Write the new email address."))
    if address == user.email:
        raise DomainError("new_email", _("This is already your email address."))
    user.pending_email = address
    if find_by_email(address) is not None:
        # Said to the address, not on the page, so the page does not reveal who has an account.
        _mail(address, user.locale, _l("Someone tried to use your address for another account"),
              "address_in_use", user=user, reset_url=absolute_url("accounts.forgot_password"))
    else:
        token = tokens.make(tokens.EMAIL, user, email=address)
        _mail(address, user.locale, _l("Confirm your new email address"), "confirm_email", user=user,
              confirm_url=absolute_url("accounts.confirm_email", token=token), max_age=tokens.MAX_AGE[tokens.EMAIL])
    _mail(user.email, user.locale, _l("A change of your email address was requested"), "email_change_requested",
          user=user, new_email=address, reset_url=absolute_url("accounts.forgot_password"))


def confirm_email_change(token: str) -> User:
    user = _use_link(tokens.EMAIL, token)
    address = user.pending_email
    if find_by_email(address) is not None:
        raise DomainError(None, _("Another account now uses this address."))
    user.email = address
    user.pending_email = None
    user.email_verified_at = clock.now()
    record_event(user, "EMAIL_CHANGED", actor=user, public=False)
    return user


# --- closing an account and downloading one's data ---------------------------------------------

def _new_pseudonym() -> str:
    while True:
        candidate = f"{PSEUDONYM_PREFIX} {secrets.token_hex(3).upper()}"
        if db.session.scalar(select(User.id).where(User.pseudonym == candidate)) is None:
            return candidate


def close_account(user, *, actor, reason: str = "", password: str | None = None) -> None:
    """Contact data and name erased; what the person contributed stays, under a pseudonym.
    `password`, when given, must be the account's (the person confirming on the web)."""
    require(actor, "close_account", user)
    if password is not None and not check_password(user.password_hash, password):
        raise DomainError("password", _("The password is not right."))
    user.pseudonym = _new_pseudonym()
    user.display_name = user.pseudonym
    user.email = None
    user.pending_email = None
    user.phone = None
    user.password_hash = None
    user.session_version += 1
    transition(user, UserState.CLOSED, actor=actor, reason=reason, public=False)


def download_data(user, *, actor) -> bytes:
    require(actor, "download_own_data", user)
    return exports.build_zip(user)


# --- suspension --------------------------------------------------------------------------------

def suspend(user, *, actor, jurisdiction, reason) -> Suspension:
    require(actor, "moderate", jurisdiction)
    reason = _clean_text(reason, "reason", _l("Say why: the person reads it and can appeal."))
    if user.id == actor.id:
        raise DomainError(None, _("You cannot suspend your own account."))
    if user.state != UserState.ACTIVE:
        raise DomainError(None, _("This account is already suspended or closed."))
    suspension = Suspension(user=user, moderator=actor, jurisdiction=jurisdiction, reason=reason)
    transition(suspension, SuspensionState.ACTIVE, actor=actor, reason=reason, public=False)
    transition(user, UserState.SUSPENDED, actor=actor, reason=reason, public=False)
    _mail(user.email, user.locale, _l("Your account was suspended"), "suspended", user=user,
          suspension=suspension, appeal_url=absolute_url("accounts.my_suspension"))
    return suspension


def appeal(suspension, *, actor, text) -> None:
    require(actor, "appeal_suspension", suspension)
    suspension.appeal = _clean_text(text, "text", _l("Write why the suspension should be lifted."))
    transition(suspension, SuspensionState.APPEALED, actor=actor, reason=suspension.appeal, public=False)
    review_url = absolute_url("accounts.suspension_detail", suspension_id=suspension.id)
    for admin in _administrators_of(suspension.jurisdiction):
        _mail(admin.email, admin.locale, _l("A suspension was appealed"), "appealed", user=admin,
              suspension=suspension, review_url=review_url)


def decide_appeal(suspension, *, actor, lift: bool, reason) -> None:
    require(actor, "administer", suspension.jurisdiction)
    suspension.decision = _clean_text(reason, "reason", _l("Say why: the person reads it."))
    transition(suspension, SuspensionState.LIFTED if lift else SuspensionState.UPHELD, actor=actor,
               reason=suspension.decision, public=False)
    if lift:
        transition(suspension.user, UserState.ACTIVE, actor=actor, reason=suspension.decision, public=False)
    person = suspension.user
    if person.email:
        _mail(person.email, person.locale, _l("A decision on your appeal"), "appeal_decided", user=person,
              suspension=suspension, lifted=lift, url=absolute_url("accounts.my_suspension"))


def _administrators_of(jurisdiction) -> list[User]:
    """Who decides an appeal: the jurisdiction's administrators, else the national ones."""
    for where in ((RoleGrant.jurisdiction_id == jurisdiction.id), (Jurisdiction.kind == JurisdictionKind.NATIONAL)):
        admins = list(db.session.scalars(
            select(User).join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Jurisdiction, Jurisdiction.id == RoleGrant.jurisdiction_id)
            .where(where, RoleGrant.role == Role.ADMIN, RoleGrant.state == GrantState.ACTIVE,
                   User.email.is_not(None))
            .distinct().order_by(User.id)
        ))
        if admins:
            return admins
    return []


def suspensions_of(user) -> list[Suspension]:
    return list(db.session.scalars(select(Suspension).where(Suspension.user_id == user.id)
                                   .order_by(Suspension.id.desc())))


def suspensions_for_review(actor) -> list[Suspension]:
    """The suspensions in the jurisdictions the person moderates or administers, those awaiting a
    decision first."""
    jurisdiction_ids = jurisdictions_where(actor, (Role.MODERATOR, Role.ADMIN))
    query = select(Suspension)
    if jurisdiction_ids is not None:
        query = query.where(Suspension.jurisdiction_id.in_(jurisdiction_ids))
    rows = db.session.scalars(query.order_by(Suspension.id.desc()))
    return sorted(rows, key=lambda row: row.state != SuspensionState.APPEALED)


def moderated_jurisdictions(actor) -> list[Jurisdiction]:
    """Where the person may suspend an account."""
    ids = jurisdictions_where(actor, Role.MODERATOR)
    query = select(Jurisdiction)
    if ids is not None:
        query = query.where(Jurisdiction.id.in_(ids))
    return sorted(db.session.scalars(query), key=_national_first)


def roles_by_jurisdiction(user) -> list[tuple[Jurisdiction, list[Role]]]:
    """The staff roles a person holds, grouped by jurisdiction (national level first)."""
    held = grants_of(user)
    if not held:
        return []
    jurisdictions = sorted(db.session.scalars(
        select(Jurisdiction).where(Jurisdiction.id.in_({row.jurisdiction_id for row in held}))
    ), key=_national_first)
    return [(jurisdiction, sorted({row.role for row in held if row.jurisdiction_id == jurisdiction.id},
                                  key=lambda role: list(Role).index(role)))
            for jurisdiction in jurisdictions]


def _national_first(jurisdiction) -> tuple:
    return (not jurisdiction.is_national, jurisdiction.name)
