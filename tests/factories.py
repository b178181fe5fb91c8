"""Test data with sensible defaults: a test states only what matters to it."""
import itertools
from datetime import date

from consulta.core.audit import record_event, transition
from consulta.extensions import db

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"


# --- jurisdictions, roles and organisations ------------------------------------------------------

def make_jurisdiction(**overrides):
    """A municipality of the Metropolitan region unless told otherwise."""
    from consulta.jurisdictions.models import JurisdictionKind
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction

    name = overrides.pop("name", None) or unique("Comuna ")
    fields = {"name": name, "slug": unique("comuna-"), "kind": JurisdictionKind.MUNICIPALITY,
              "region": Region.RM, "actor": None}
    fields.update(overrides)
    return create_jurisdiction(**fields)


def make_national(**overrides):
    """The national level (there is only one): the existing one, or a new one."""
    from consulta.jurisdictions.models import JurisdictionKind
    from consulta.jurisdictions.services import national

    existing = national()
    if existing is not None:
        return existing
    fields = {"name": "Nivel nacional", "slug": "nacional", "kind": JurisdictionKind.NATIONAL, "region": None}
    fields.update(overrides)
    return make_jurisdiction(**fields)


def make_entity(jurisdiction=None, **overrides):
    from consulta.jurisdictions.services import add_entity

    return add_entity(jurisdiction or make_jurisdiction(), name=overrides.pop("name", None) or unique("Entidad "),
                      actor=overrides.pop("actor", None))


def make_grant(user=None, role=None, jurisdiction=None, **overrides):
    """A role held by `user` (a new person by default); a reporter gets an entity of the jurisdiction."""
    from consulta.jurisdictions.models import Role
    from consulta.jurisdictions.services import grant_role

    role = role or Role.MODERATOR
    jurisdiction = jurisdiction or make_jurisdiction()
    entity = overrides.pop("entity", None)
    if role == Role.REPORTER and entity is None:
        entity = make_entity(jurisdiction)
    return grant_role(user or make_user(), role, jurisdiction, entity=entity, actor=overrides.pop("actor", None),
                      **overrides)


def make_moderator(jurisdiction=None, **overrides):
    """A person who moderates `jurisdiction` (a new municipality by default)."""
    return make_grant(role=None, jurisdiction=jurisdiction, **overrides).user


def make_representation(user=None, *, verified=False, **overrides):
    """A person's request to represent a new OSC (verified by a moderator when `verified`)."""
    from consulta.core.sectors import Sector
    from consulta.organisations.services import request_representation, verify_representation

    fields = {"name": unique("Fundación "), "sector": Sector.OSC}
    fields.update(overrides)
    if "jurisdiction" not in fields:
        fields["jurisdiction"] = make_jurisdiction()
    representation = request_representation(user or make_user(), **fields)
    if verified:
        verify_representation(representation, actor=make_moderator(representation.organisation.jurisdiction))
    db.session.flush()
    return representation


def make_organisation(*, verified=True, **overrides):
    """An organisation with one representative, verified unless told otherwise."""
    return make_representation(verified=verified, **overrides).organisation
