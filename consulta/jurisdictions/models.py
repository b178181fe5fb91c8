import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.extensions import db
from consulta.jurisdictions.regions import Region


class JurisdictionKind(enum.Enum):
    NATIONAL = "national"
    MUNICIPALITY = "municipality"


class Jurisdiction(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[JurisdictionKind]
    region: Mapped[Region | None]
    timezone: Mapped[str] = mapped_column(String(40), default="America/Santiago")

    entities: Mapped[list["Entity"]] = relationship(back_populates="jurisdiction", order_by="Entity.name")

    __table_args__ = (CheckConstraint("(kind = 'NATIONAL') OR (region IS NOT NULL)", name="municipality_region"),)

    @property
    def is_national(self) -> bool:
        return self.kind == JurisdictionKind.NATIONAL


class Entity(TimestampMixin, db.Model):
    """A public body responsible for commitments (Consejo para la Transparencia, a ministry…)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    name: Mapped[str] = mapped_column(String(200))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="entities")

    __table_args__ = (UniqueConstraint("jurisdiction_id", "name"),)


class Role(enum.Enum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    MESA_MEMBER = "mesa_member"
    REPORTER = "reporter"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MODERATOR: _l("Moderator"),
    Role.MESA_MEMBER: _l("Mesa member"),
    Role.REPORTER: _l("Responsible-entity reporter"),
}


class GrantState(enum.Enum):
    ACTIVE = "active"
    REVOKED = "revoked"


GRANT_STATE_LABELS = {"ACTIVE": _l("Active"), "REVOKED": _l("Revoked")}
# The same codes read as events in a grant's history.
GRANT_EVENT_LABELS = {"ACTIVE": _l("Granted"), "REVOKED": _l("Revoked")}


class RoleGrant(TimestampMixin, db.Model):
    """A role held in one jurisdiction. A grant in the national jurisdiction reaches every one."""

    TRANSITIONS = {None: {GrantState.ACTIVE}, GrantState.ACTIVE: {GrantState.REVOKED}}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[Role]
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"))
    state: Mapped[GrantState | None]

    user = relationship("User")
    jurisdiction: Mapped[Jurisdiction] = relationship()
    entity: Mapped[Entity | None] = relationship()

    __table_args__ = (
        CheckConstraint("(role = 'REPORTER') = (entity_id IS NOT NULL)", name="reporter_has_entity"),
        Index("uq_role_grant_active", "user_id", "role", "jurisdiction_id", unique=True,
              sqlite_where=text("state = 'ACTIVE' AND entity_id IS NULL"),
              postgresql_where=text("state = 'ACTIVE' AND entity_id IS NULL")),
        Index("uq_role_grant_active_entity", "user_id", "entity_id", unique=True,
              sqlite_where=text("state = 'ACTIVE' AND entity_id IS NOT NULL"),
              postgresql_where=text("state = 'ACTIVE' AND entity_id IS NOT NULL")),
    )


class FollowState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"


class Follow(db.Model):
    """A person who asked to be emailed when a jurisdiction's phases open.

    Unfollowing ends the row rather than deleting it; following again revives the same row.
    """

    TRANSITIONS = {None: {FollowState.ACTIVE}, FollowState.ACTIVE: {FollowState.ENDED},
                   FollowState.ENDED: {FollowState.ACTIVE}}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    state: Mapped[FollowState | None]

    user = relationship("User")

    __table_args__ = (UniqueConstraint("user_id", "jurisdiction_id"),)
