"""Declarative base, naming convention, the UTC datetime type and shared mixins."""
import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, MetaData, String, types
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from consulta.core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(types.TypeDecorator):
    """Stores instants as naive UTC, hands back aware UTC, and refuses naive datetimes.

    A naive datetime is a local time someone forgot to convert: refusing it here stops a
    window from silently shifting by the zone's offset.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"UTCDateTime needs an aware datetime, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            str: String(255),
            # Enums are stored by name in a VARCHAR with a CHECK, so adding a state is a small migration.
            enum.Enum: Enum(enum.Enum, native_enum=False, length=30, create_constraint=True,
                            validate_strings=True),
        },
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
