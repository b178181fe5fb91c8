"""Who holds which role where. A grant in the national jurisdiction reaches every jurisdiction.

Other domains ask `holds(user, Role.MODERATOR, jurisdiction)` inside their permission rules; the
person's grants are read once per request.
"""
from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import select

from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Jurisdiction, JurisdictionKind, Role, RoleGrant


@dataclass(frozen=True)
class HeldRole:
    role: Role
    jurisdiction_id: int
    entity_id: int | None
    national: bool


def grants_of(user) -> list[HeldRole]:
    if not getattr(user, "is_authenticated", False):
        return []
    cache = g.setdefault("held_roles", {}) if has_request_context() else {}
    if user.id not in cache:
        rows = db.session.execute(
            select(RoleGrant.role, RoleGrant.jurisdiction_id, RoleGrant.entity_id, Jurisdiction.kind)
            .join(Jurisdiction, Jurisdiction.id == RoleGrant.jurisdiction_id)
            .where(RoleGrant.user_id == user.id, RoleGrant.state == GrantState.ACTIVE)
        )
        cache[user.id] = [HeldRole(role, jurisdiction_id, entity_id, kind == JurisdictionKind.NATIONAL)
                          for role, jurisdiction_id, entity_id, kind in rows]
    return cache[user.id]


def forget_grants(user) -> None:
    """After granting or revoking within a request, read the grants afresh."""
    if has_request_context():
        g.setdefault("held_roles", {}).pop(getattr(user, "id", None), None)


def holds(user, roles: Role | tuple[Role, ...], jurisdiction=None, *, entity=None) -> bool:
    """Does `user` hold one of `roles` in `jurisdiction` (None: anywhere), for `entity` if given?"""
    wanted = roles if isinstance(roles, tuple) else (roles,)
    jurisdiction_id = getattr(jurisdiction, "id", jurisdiction)
    entity_id = getattr(entity, "id", entity)
    for held in grants_of(user):
        if held.role not in wanted:
            continue
        if entity_id is not None and held.entity_id != entity_id:
            continue
        if jurisdiction_id is None or held.national or held.jurisdiction_id == jurisdiction_id:
            return True
    return False


def jurisdictions_where(user, roles: Role | tuple[Role, ...]) -> set[int] | None:
    """The ids of the jurisdictions where `user` holds one of `roles`; None means all of them."""
    wanted = roles if isinstance(roles, tuple) else (roles,)
    ids = set()
    for held in grants_of(user):
        if held.role in wanted:
            if held.national:
                return None
            ids.add(held.jurisdiction_id)
    return ids
