import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core.models import TimestampMixin
from consulta.core.sectors import Sector
from consulta.extensions import db


class OrganisationState(enum.Enum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class RepresentationState(enum.Enum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {"PENDING": _l("Awaiting verification"), "VERIFIED": _l("Verified"),
                "REJECTED": _l("Rejected"), "WITHDRAWN": _l("Withdrawn"), "CREATED": _l("Created")}


class Organisation(TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {OrganisationState.PENDING},
        OrganisationState.PENDING: {OrganisationState.VERIFIED, OrganisationState.REJECTED},
        OrganisationState.REJECTED: {OrganisationState.PENDING},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[Sector]
    # A national identifier such as Chile's RUT, normalised ("76.123.456-7" → "76123456-7").
    identifier: Mapped[str | None] = mapped_column(String(20), unique=True)
    website: Mapped[str | None] = mapped_column(String(255))
    # Where it asked to be verified: that jurisdiction's moderators decide.
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    state: Mapped[OrganisationState | None]

    jurisdiction = relationship("Jurisdiction")
    representations: Mapped[list["Representation"]] = relationship(back_populates="organisation")

    __table_args__ = (CheckConstraint("sector <> 'CIUDADANIA'", name="organised_sector"),)


class Representation(TimestampMixin, db.Model):
    """A person acting for an organisation; a moderator verifies each one."""

    TRANSITIONS = {
        None: {RepresentationState.PENDING},
        RepresentationState.PENDING: {RepresentationState.VERIFIED, RepresentationState.REJECTED,
                                      RepresentationState.WITHDRAWN},
        RepresentationState.VERIFIED: {RepresentationState.WITHDRAWN},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role_title: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[RepresentationState | None]

    user = relationship("User")
    organisation: Mapped[Organisation] = relationship(back_populates="representations")

    __table_args__ = (
        Index("uq_representation_live", "user_id", "organisation_id", unique=True,
              sqlite_where=text("state IN ('PENDING', 'VERIFIED')"),
              postgresql_where=text("state IN ('PENDING', 'VERIFIED')")),
    )
