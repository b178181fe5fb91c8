"""Who may ask, decide and see: moderators decide for their organisation's jurisdiction (a national
moderator for every one); the person alone withdraws their own request."""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import holds
from consulta.organisations.models import OrganisationState


def _is_person(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@rule("request_representation")
def _request_representation(user, obj):
    return _is_person(user) and user.is_verified


@rule("verify_representation")
def _verify_representation(user, representation):
    return representation is not None and holds(user, Role.MODERATOR, representation.organisation.jurisdiction)


@rule("withdraw_representation")
def _withdraw_representation(user, representation):
    return _is_person(user) and representation is not None and representation.user_id == user.id


@rule("view_own_organisations", allow_suspended=True)
def _view_own_organisations(user, obj):
    return _is_person(user)


@rule("view_organisation", allow_suspended=True)
def _view_organisation(user, organisation):
    """A verified organisation is public; one not (yet) verified only to its requesters and moderators."""
    if organisation.state == OrganisationState.VERIFIED:
        return True
    if not _is_person(user):
        return False
    return (any(rep.user_id == user.id for rep in organisation.representations)
            or holds(user, Role.MODERATOR, organisation.jurisdiction))
