"""Jurisdictions, their responsible entities, the roles held in them, and who follows them."""
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from consulta.core.audit import StateChange, record_event, transition
from consulta.core.errors import DomainError
from consulta.core.permissions import require
from consulta.extensions import db
from consulta.jurisdictions import roles
from consulta.jurisdictions.models import (Entity, Follow, FollowState, GrantState, Jurisdiction, JurisdictionKind,
                                           Role, RoleGrant)
from consulta.jurisdictions.regions import Region

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Slugs that would shadow the pages under /j/ that are not a jurisdiction.
RESERVED_SLUGS = frozenset({"admin"})
EDITABLE_FIELDS = ("name", "slug", "region", "timezone")


def jurisdiction_or_404(slug: str, *, kind: JurisdictionKind | None = None) -> Jurisdiction:
    """The jurisdiction at /j/<slug> (of that kind, when given), or a 404 for the view that asked."""
    # No slug outside the pattern exists; checking first also keeps characters PostgreSQL refuses
    # (a NUL) away from the query.
    if not SLUG_PATTERN.match(slug):
        abort(404)
    query = select(Jurisdiction).where(Jurisdiction.slug == slug)
    if kind is not None:
        query = query.where(Jurisdiction.kind == kind)
    return db.first_or_404(query)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _bootstrap_or_require(actor, action, obj=None):
    """`actor=None` is the bootstrap (the demo, `flask users create-admin`): nobody to check yet."""
    if actor is not None:
        require(actor, action, obj)


def _clean_name(name: str | None, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(field, _("Enter a name."))
    return name


def _check_slug(slug: str | None, *, current: Jurisdiction | None = None) -> str:
    slug = (slug or "").strip()
    if not SLUG_PATTERN.match(slug) or len(slug) > 60:
        raise DomainError("slug", _("Use lower-case letters, digits and single hyphens only, such as "
                                    "\"cerro-navia\" (at most 60 characters)."))
    if slug in RESERVED_SLUGS:
        raise DomainError("slug", _("This address is reserved: choose another."))
    taken = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == slug))
    if taken is not None and (current is None or taken != current.id):
        raise DomainError("slug", _("Another jurisdiction already uses this address."))
    return slug


def _check_timezone(timezone: str | None, region: Region | None) -> str:
    timezone = (timezone or "").strip()
    if not timezone:
        return region.timezone if region is not None else "America/Santiago"
    if timezone not in _known_zones():
        raise DomainError("timezone", _("%(zone)s is not a known time zone: use a name such as "
                                        "America/Santiago.", zone=timezone))
    return timezone


def _check_region(kind: JurisdictionKind, region: Region | None) -> Region | None:
    if kind == JurisdictionKind.NATIONAL and region is not None:
        raise DomainError("region", _("The national level has no region."))
    if kind == JurisdictionKind.MUNICIPALITY and region is None:
        raise DomainError("region", _("A municipality belongs to a region: choose one."))
    return region


def national() -> Jurisdiction | None:
    return db.session.scalar(select(Jurisdiction).where(Jurisdiction.kind == JurisdictionKind.NATIONAL))


def ordered_jurisdictions() -> list[Jurisdiction]:
    """The national level first, then municipalities by region from north to south, then by name."""
    everything = db.session.scalars(select(Jurisdiction)).all()
    regions = list(Region)
    return sorted(everything, key=lambda j: (not j.is_national,
                                             regions.index(j.region) if j.region else -1, j.name.casefold()))


def by_region(jurisdictions) -> list[tuple[Region, list[Jurisdiction]]]:
    groups: dict[Region, list[Jurisdiction]] = {}
    for jurisdiction in jurisdictions:
        if not jurisdiction.is_national:
            groups.setdefault(jurisdiction.region, []).append(jurisdiction)
    return list(groups.items())


def create_jurisdiction(*, name, slug, kind: JurisdictionKind, region: Region | None = None, timezone=None,
                        actor) -> Jurisdiction:
    _bootstrap_or_require(actor, "create_jurisdiction")
    name = _clean_name(name)
    slug = _check_slug(slug)
    if kind == JurisdictionKind.NATIONAL and national() is not None:
        raise DomainError("kind", _("There is already a national level."))
    _check_region(kind, region)
    jurisdiction = Jurisdiction(name=name, slug=slug, kind=kind, region=region,
                                timezone=_check_timezone(timezone, region))
    db.session.add(jurisdiction)
    record_event(jurisdiction, "CREATED", actor=actor)
    return jurisdiction


def update_jurisdiction(jurisdiction: Jurisdiction, *, actor, **fields) -> Jurisdiction:
    require(actor, "administer", jurisdiction)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(None, _("These details cannot be changed here."))
    changes = {}
    if "name" in fields:
        changes["name"] = _clean_name(fields["name"])
    if "slug" in fields:
        changes["slug"] = _check_slug(fields["slug"], current=jurisdiction)
    if "region" in fields:
        changes["region"] = _check_region(jurisdiction.kind, fields["region"])
    if "timezone" in fields:
        changes["timezone"] = _check_timezone(fields["timezone"], changes.get("region", jurisdiction.region))
    changed = [key for key, value in changes.items() if getattr(jurisdiction, key) != value]
    for key in changed:
        setattr(jurisdiction, key, changes[key])
    if changed:
        record_event(jurisdiction, "UPDATED", actor=actor, reason=", ".join(changed))
    return jurisdiction


def add_entity(jurisdiction: Jurisdiction, *, name, actor) -> Entity:
    _bootstrap_or_require(actor, "administer", jurisdiction)
    name = _clean_name(name)
    duplicate = db.session.scalar(select(Entity.id).where(
        Entity.jurisdiction_id == jurisdiction.id, func.lower(Entity.name) == name.lower()))
    if duplicate is not None:
        raise DomainError("name", _("This jurisdiction already has an entity with this name."))
    entity = Entity(jurisdiction=jurisdiction, name=name)
    db.session.add(entity)
    record_event(entity, "CREATED", actor=actor)
    return entity


def _active_grant(user, role, jurisdiction, entity) -> RoleGrant | None:
    query = select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == role,
                                    RoleGrant.state == GrantState.ACTIVE)
    if entity is not None:
        query = query.where(RoleGrant.entity_id == entity.id)
    else:
        query = query.where(RoleGrant.jurisdiction_id == jurisdiction.id, RoleGrant.entity_id.is_(None))
    return db.session.scalar(query)


def grant_role(user, role: Role, jurisdiction: Jurisdiction, *, actor, entity: Entity | None = None,
               reason: str = "") -> RoleGrant:
    """Give `user` a role in `jurisdiction` (a reporter: for one of its entities)."""
    _bootstrap_or_require(actor, "administer", jurisdiction)
    from consulta.accounts.models import UserState

    if user.state != UserState.ACTIVE:
        raise DomainError("user", _("Roles can only be given to active accounts."))
    if role == Role.REPORTER:
        if entity is None or entity.jurisdiction_id != jurisdiction.id:
            raise DomainError("entity", _("A reporter reports for one entity of this jurisdiction: choose it."))
    elif entity is not None:
        raise DomainError("entity", _("Only responsible-entity reporters are tied to an entity."))
    if _active_grant(user, role, jurisdiction, entity) is not None:
        raise DomainError("role", _("%(name)s already holds this role here.", name=user.display_name))
    grant = RoleGrant(user=user, role=role, jurisdiction=jurisdiction, entity=entity)
    try:
        # The partial unique indexes on active grants settle a race between two administrators
        # granting at once: the row is inserted already active, inside a savepoint.
        with db.session.begin_nested():
            transition(grant, GrantState.ACTIVE, actor=actor, reason=(reason or "").strip(), public=False)
            db.session.flush()
    except IntegrityError:
        raise DomainError("role", _("%(name)s already holds this role here.", name=user.display_name)) from None
    roles.forget_grants(user)
    return grant


def revoke_role(grant: RoleGrant, *, actor, reason: str) -> RoleGrant:
    require(actor, "administer", grant)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", _("Say why the role is revoked: the reason is kept in its history."))
    if grant.state != GrantState.ACTIVE:
        raise DomainError(None, _("This role was already revoked."))
    if grant.role == Role.ADMIN and grant.user_id == actor.id:
        # An administrator cannot lock themselves out; another administrator has to do it.
        raise DomainError(None, _("You cannot revoke your own administrator role."))
    transition(grant, GrantState.REVOKED, actor=actor, reason=reason, public=False)
    roles.forget_grants(grant.user)
    return grant


@dataclass
class GrantRecord:
    grant: RoleGrant
    events: list  # (StateChange, actor or None), oldest first


def role_history(user) -> list[GrantRecord]:
    """Every grant the person ever held, active first, each with who granted or revoked it and why."""
    from consulta.accounts.models import User

    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id).order_by(RoleGrant.id)).all()
    changes = db.session.scalars(select(StateChange).where(
        StateChange.object_type == RoleGrant.__tablename__,
        StateChange.object_id.in_([grant.id for grant in grants])).order_by(StateChange.id)).all()
    actor_ids = {change.actor_id for change in changes if change.actor_id is not None}
    actors = {person.id: person for person in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
    records = {grant.id: GrantRecord(grant, []) for grant in grants}
    for change in changes:
        records[change.object_id].events.append((change, actors.get(change.actor_id)))
    return sorted(records.values(), key=lambda record: record.grant.state != GrantState.ACTIVE)


def administered_jurisdictions(user) -> list[Jurisdiction]:
    where = roles.jurisdictions_where(user, Role.ADMIN)
    everything = ordered_jurisdictions()
    return everything if where is None else [j for j in everything if j.id in where]


def _follow_row(user, jurisdiction) -> Follow | None:
    return db.session.scalar(select(Follow).where(Follow.user_id == user.id,
                                                  Follow.jurisdiction_id == jurisdiction.id))


def is_following(user, jurisdiction) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    row = _follow_row(user, jurisdiction)
    return row is not None and row.state == FollowState.ACTIVE


def follow(user, jurisdiction) -> Follow:
    """Follow a jurisdiction (again): its phases' openings are emailed. Following twice is harmless."""
    row = _follow_row(user, jurisdiction)
    if row is None:
        row = Follow(user_id=user.id, jurisdiction_id=jurisdiction.id)
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            # Another request of the same person created it a moment ago.
            row = _follow_row(user, jurisdiction)
    if row.state != FollowState.ACTIVE:
        transition(row, FollowState.ACTIVE, actor=user, public=False)
    return row


def unfollow(user, jurisdiction) -> Follow | None:
    row = _follow_row(user, jurisdiction)
    if row is not None and row.state == FollowState.ACTIVE:
        transition(row, FollowState.ENDED, actor=user, public=False)
    return row


def followers(jurisdiction) -> list:
    """The people to email about a jurisdiction: following it, active, with a verified email."""
    from consulta.accounts.models import User, UserState

    return list(db.session.scalars(
        select(User).join(Follow, Follow.user_id == User.id)
        .where(Follow.jurisdiction_id == jurisdiction.id, Follow.state == FollowState.ACTIVE,
               User.state == UserState.ACTIVE, User.email_verified_at.is_not(None), User.email.is_not(None))
        .order_by(User.id)
    ))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def user_search(text: str | None):
    """A query of the accounts whose email or name contains `text`, for administrators to pick from."""
    from consulta.accounts.models import User

    query = select(User).order_by(User.display_name, User.id)
    text = (text or "").strip()
    if text:
        pattern = _like(text)
        query = query.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    return query
