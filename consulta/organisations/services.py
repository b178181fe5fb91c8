"""Organisations and the people who represent them.

A person alone takes part as ciudadanía. To take part for an OSC, a public agency, academia or the
private sector, the person asks to represent an organisation of that sector; a moderator of the
organisation's jurisdiction verifies or rejects the request, with a reason the person is told.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consulta.core.audit import transition
from consulta.core.errors import DomainError
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.sectors import ORGANISATION_SECTORS, Sector
from consulta.extensions import db
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import jurisdictions_where
from consulta.jurisdictions.services import ordered_jurisdictions
from consulta.organisations import rut
from consulta.organisations.models import Organisation, OrganisationState, Representation, RepresentationState

NAME_MAX = 200
ROLE_TITLE_MAX = 120
WEBSITE_MAX = 255
REASON_MAX = 1000
LIVE = (RepresentationState.PENDING, RepresentationState.VERIFIED)


# --- checking what was typed -------------------------------------------------------------------

def _clean(text: str | None, field: str, maximum: int, *, required_message=None) -> str | None:
    text = (text or "").strip()
    if not text:
        if required_message is not None:
            raise DomainError(field, required_message)
        return None
    if len(text) > maximum:
        raise DomainError(field, _("At most %(max)s characters.", max=maximum))
    return text


def _clean_identifier(identifier: str | None) -> str | None:
    if not (identifier or "").strip():
        return None
    normalised = rut.normalise(identifier)
    if normalised is None:
        raise DomainError("identifier", _("This is not a valid RUT: check the digits and the check digit after "
                                          "the hyphen, as in 76.123.456-0."))
    return normalised


def _clean_website(website: str | None) -> str | None:
    website = _clean(website, "website", WEBSITE_MAX)
    if website is None:
        return None
    # Only web addresses: the page links to it, so javascript: and the like must never get through.
    scheme, separator, rest = website.partition("://")
    if not separator or scheme.lower() not in {"http", "https"} or not rest or any(c.isspace() for c in rest):
        raise DomainError("website", _("Write the full web address, starting with https://"))
    return f"{scheme.lower()}://{rest}"


def _clean_sector(sector) -> Sector:
    if sector not in ORGANISATION_SECTORS:
        raise DomainError("sector", _("Choose the sector of the organisation."))
    return sector


# --- asking, deciding, withdrawing ---------------------------------------------------------------

def _by_identifier(identifier: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.identifier == identifier))


def _live_representation(user, organisation) -> Representation | None:
    return db.session.scalar(select(Representation).where(
        Representation.user_id == user.id, Representation.organisation_id == organisation.id,
        Representation.state.in_(LIVE)))


def _new_organisation(*, name, sector, identifier, website, jurisdiction, actor) -> Organisation:
    organisation = Organisation(name=name, sector=sector, identifier=identifier, website=website,
                                jurisdiction=jurisdiction)
    try:
        # Two people registering the same RUT at once: the unique identifier stops the second row.
        with db.session.begin_nested():
            transition(organisation, OrganisationState.PENDING, actor=actor)
            db.session.flush()
    except IntegrityError:
        existing = _by_identifier(identifier) if identifier else None
        if existing is None:
            raise
        return existing
    return organisation


def request_representation(user, *, name, sector, identifier=None, website=None, jurisdiction,
                           role_title=None) -> Representation:
    """The person asks to represent an organisation: a new one, or the one registered with this RUT."""
    require(user, "request_representation")
    name = _clean(name, "name", NAME_MAX, required_message=_("Write the name of the organisation."))
    sector = _clean_sector(sector)
    identifier = _clean_identifier(identifier)
    website = _clean_website(website)
    role_title = _clean(role_title, "role_title", ROLE_TITLE_MAX)
    if jurisdiction is None:
        raise DomainError("jurisdiction", _("Choose where the organisation takes part."))

    organisation = _by_identifier(identifier) if identifier else None
    if organisation is None:
        organisation = _new_organisation(name=name, sector=sector, identifier=identifier, website=website,
                                         jurisdiction=jurisdiction, actor=user)
    if organisation.sector != sector:
        raise DomainError("sector", _("The organisation with this RUT is registered as %(sector)s: choose that "
                                      "sector, or check the RUT.", sector=organisation.sector.label))
    if _live_representation(user, organisation) is not None:
        raise DomainError(None, _("You have already asked to represent %(name)s.", name=organisation.name))
    if organisation.state == OrganisationState.REJECTED:
        transition(organisation, OrganisationState.PENDING, actor=user, reason="", public=False)
    representation = Representation(user=user, organisation=organisation, role_title=role_title)
    # Added at once: SQLAlchemy 2 does not cascade it into the session through `organisation`.
    db.session.add(representation)
    try:
        with db.session.begin_nested():
            transition(representation, RepresentationState.PENDING, actor=user, public=False)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, _("You have already asked to represent %(name)s.", name=organisation.name)) from None
    return representation


def _decide(representation, to, *, actor, reason) -> None:
    require(actor, "verify_representation", representation)
    if representation.user_id == actor.id:
        raise DomainError(None, _("You cannot decide on your own request: another moderator will."))
    if representation.state != RepresentationState.PENDING:
        raise DomainError(None, _("This request was already decided or withdrawn."))
    representation.decision_reason = reason
    transition(representation, to, actor=actor, reason=reason or "", public=False)


def verify_representation(representation, *, actor, reason: str = "") -> Representation:
    reason = _clean(reason, "reason", REASON_MAX)
    _decide(representation, RepresentationState.VERIFIED, actor=actor, reason=reason)
    organisation = representation.organisation
    if organisation.state == OrganisationState.PENDING:
        transition(organisation, OrganisationState.VERIFIED, actor=actor)
    _tell(representation, "representation_verified",
          lambda name: _("Your representation of %(name)s was verified", name=name))
    return representation


def reject_representation(representation, *, actor, reason: str) -> Representation:
    reason = _clean(reason, "reason", REASON_MAX,
                    required_message=_("Say why the request is rejected: the person is told the reason."))
    _decide(representation, RepresentationState.REJECTED, actor=actor, reason=reason)
    organisation = representation.organisation
    others_alive = any(other.state in LIVE for other in organisation.representations if other is not representation)
    if organisation.state == OrganisationState.PENDING and not others_alive:
        transition(organisation, OrganisationState.REJECTED, actor=actor, reason=reason, public=False)
    _tell(representation, "representation_rejected",
          lambda name: _("Your request to represent %(name)s was not accepted", name=name))
    return representation


def withdraw_representation(representation, *, actor) -> Representation:
    require(actor, "withdraw_representation", representation)
    if representation.state not in LIVE:
        raise DomainError(None, _("This request is no longer open."))
    transition(representation, RepresentationState.WITHDRAWN, actor=actor, public=False)
    return representation


def _tell(representation, template: str, subject) -> None:
    """Email the person the decision, in their own language; `subject(name)` is read in it."""
    person = representation.user
    if not person.email:
        return
    organisation = representation.organisation
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(person, subject=subject(organisation.name), template=f"organisations/email/{template}",
                    representation=representation, organisation=organisation,
                    mine_url=absolute_url("organisations.mine"))


# --- what a person may act as --------------------------------------------------------------------

def verified_organisations(user) -> list[Organisation]:
    """The verified organisations the person is a verified representative of."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(Organisation).join(Representation, Representation.organisation_id == Organisation.id)
        .where(Representation.user_id == user.id, Representation.state == RepresentationState.VERIFIED,
               Organisation.state == OrganisationState.VERIFIED)
        .order_by(Organisation.name)
    ))


def may_act_for(user, sector: Sector, organisation: Organisation | None = None) -> bool:
    """A person alone acts as ciudadanía; any other sector only through a named organisation of that
    sector whose verified representative they are."""
    if not getattr(user, "is_authenticated", False):
        return False
    if sector == Sector.CIUDADANIA:
        return organisation is None
    if organisation is None or organisation.sector != sector:
        return False
    return any(mine.id == organisation.id for mine in verified_organisations(user))


def require_sector(user, sector: Sector, organisation: Organisation | None = None) -> None:
    if may_act_for(user, sector, organisation):
        return
    if sector == Sector.CIUDADANIA:
        raise DomainError("organisation", _("As a citizen you take part in your own name, not for an organisation."))
    if organisation is None and any(mine.sector == sector for mine in verified_organisations(user)):
        raise DomainError("organisation", _("Choose the organisation you take part for."))
    raise DomainError("organisation", _("To take part as %(sector)s you need an organisation of that sector whose "
                                        "representation a moderator has verified.", sector=sector.label))


# --- lists for pages -----------------------------------------------------------------------------

def representations_of(user) -> list[Representation]:
    return list(db.session.scalars(select(Representation).where(Representation.user_id == user.id)
                                   .order_by(Representation.id.desc())))


def pending_requests(actor, jurisdiction=None) -> list[Representation]:
    """Requests awaiting a decision where `actor` moderates (in `jurisdiction` only, when given)."""
    query = (select(Representation).join(Organisation, Organisation.id == Representation.organisation_id)
             .where(Representation.state == RepresentationState.PENDING).order_by(Representation.id))
    if jurisdiction is not None:
        query = query.where(Organisation.jurisdiction_id == jurisdiction.id)
    else:
        where = jurisdictions_where(actor, Role.MODERATOR)
        if where is not None:
            query = query.where(Organisation.jurisdiction_id.in_(where))
    return list(db.session.scalars(query))


def moderated_jurisdictions(actor) -> list:
    """Where `actor` decides on requests, national level first: every jurisdiction for a national moderator."""
    where = jurisdictions_where(actor, Role.MODERATOR)
    return [place for place in ordered_jurisdictions() if where is None or place.id in where]
