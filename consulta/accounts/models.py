import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core.models import TimestampMixin
from consulta.extensions import db


class UserState(enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


USER_STATE_LABELS = {"ACTIVE": _l("Active"), "SUSPENDED": _l("Suspended"), "CLOSED": _l("Closed"),
                     "CREATED": _l("Created"), "VERIFIED": _l("Email address confirmed"),
                     "PASSWORD_RESET": _l("Password changed"), "EMAIL_CHANGED": _l("Email address changed")}


class User(UserMixin, TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {UserState.ACTIVE},
        UserState.ACTIVE: {UserState.SUSPENDED, UserState.CLOSED},
        UserState.SUSPENDED: {UserState.ACTIVE, UserState.CLOSED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    # Contact data: never public, erased when the account is closed.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    email_verified_at: Mapped[datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    # Shown instead of the name once the account is closed; contributions stay under it.
    pseudonym: Mapped[str | None] = mapped_column(String(40), unique=True)
    locale: Mapped[str] = mapped_column(String(5), default="es")
    state: Mapped[UserState | None]
    # Part of the session id: bumping it signs the person out everywhere.
    session_version: Mapped[int] = mapped_column(default=0)
    last_login_at: Mapped[datetime | None]

    @property
    def public_name(self) -> str:
        return self.pseudonym if self.state == UserState.CLOSED else self.display_name

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        # Flask-Login's "may act": a suspended person can still sign in to read and to appeal.
        return self.state == UserState.ACTIVE

    @property
    def is_authenticated(self) -> bool:
        # UserMixin derives this from is_active, which would sign a suspended person out.
        return True

    @property
    def is_suspended(self) -> bool:
        return self.state == UserState.SUSPENDED

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class UsedToken(db.Model):
    """A single-use link that was used: its id can never be used again."""

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    used_at: Mapped[datetime]


class SuspensionState(enum.Enum):
    ACTIVE = "active"
    APPEALED = "appealed"
    LIFTED = "lifted"
    UPHELD = "upheld"


SUSPENSION_STATE_LABELS = {"ACTIVE": _l("In force"), "APPEALED": _l("Appealed"), "LIFTED": _l("Lifted"),
                           "UPHELD": _l("Upheld on appeal")}


class Suspension(TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {SuspensionState.ACTIVE},
        SuspensionState.ACTIVE: {SuspensionState.APPEALED, SuspensionState.LIFTED},
        SuspensionState.APPEALED: {SuspensionState.LIFTED, SuspensionState.UPHELD},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    reason: Mapped[str] = mapped_column(Text)
    appeal: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    state: Mapped[SuspensionState | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    moderator: Mapped[User] = relationship(foreign_keys=[moderator_id])
    jurisdiction = relationship("Jurisdiction")


def load_user(session_id: str):
    """Flask-Login's loader: the id carries the session version, so old sessions stop working."""
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.state == UserState.CLOSED or str(user.session_version) != version:
        return None
    return user
