"""Who may act on the Municipal Model.

The national body (roles held in the national jurisdiction) invites municipalities, edits the
questionnaire and records training; a municipality's administrators record its adhesion act and
fill in its diagnostic; its verified local organisations answer the short version. An administrator of Renca is nobody in Vitacura; a national administrator
reaches every municipality, as everywhere else in consulta.
"""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import JurisdictionKind, Role
from consulta.jurisdictions.roles import grants_of, holds
from consulta.jurisdictions.rules import jurisdiction_of
from consulta.organisations.services import verified_organisations

NATIONAL_STAFF = (Role.ADMIN, Role.MODERATOR)


def holds_nationally(user, roles) -> bool:
    wanted = roles if isinstance(roles, tuple) else (roles,)
    return any(held.national and held.role in wanted for held in grants_of(user))


def _administers_municipality(user, obj) -> bool:
    jurisdiction = jurisdiction_of(obj)
    return (jurisdiction is not None and jurisdiction.kind == JurisdictionKind.MUNICIPALITY
            and holds(user, Role.ADMIN, jurisdiction))


@rule("manage_adhesion")
def _manage_adhesion(user, obj):
    return holds_nationally(user, Role.ADMIN)


@rule("update_adhesion")
def _update_adhesion(user, obj):
    return _administers_municipality(user, obj)


@rule("edit_questionnaire")
def _edit_questionnaire(user, obj):
    return holds_nationally(user, Role.ADMIN)


@rule("fill_diagnostic")
def _fill_diagnostic(user, obj):
    return _administers_municipality(user, obj)


@rule("record_support")
def _record_support(user, obj):
    return holds_nationally(user, NATIONAL_STAFF)


@rule("view_attendees")
def _view_attendees(user, obj):
    return holds_nationally(user, NATIONAL_STAFF)


@rule("register_for_session")
def _register_for_session(user, person):
    """A person puts their own name on a session's list; national staff put anyone's."""
    if not getattr(user, "is_authenticated", False) or person is None:
        return False
    return person.id == user.id or holds_nationally(user, NATIONAL_STAFF)


@rule("answer_short_version")
def _answer_short_version(user, response):
    """A verified representative of a verified organisation of the municipality itself."""
    organisation = response.organisation
    return (organisation.jurisdiction_id == response.diagnostic.jurisdiction_id
            and any(mine.id == organisation.id for mine in verified_organisations(user)))
