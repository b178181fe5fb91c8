""""Download my data": a ZIP with one JSON file per section of what the person gave consulta.

Each domain adds its section with `register_data_export(name, function)`, where `function(user)`
returns a list of dicts (datetimes and enums are converted). The sections of accounts itself, and
the organisations a person asked to represent, are registered below.
"""
import enum
import io
import json
import zipfile
from datetime import date, datetime

from sqlalchemy import select

from consulta.accounts.models import Suspension
from consulta.core.audit import StateChange
from consulta.extensions import db

_exporters = {}


def register_data_export(name: str, function) -> None:
    if name in _exporters:
        raise RuntimeError(f"A data export named {name!r} is already registered.")
    _exporters[name] = function


def registered_exports() -> list[str]:
    return list(_exporters)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    raise TypeError(f"{type(value).__name__} is not exportable")


def build_zip(user) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, function in _exporters.items():
            document = json.dumps(function(user), default=_plain, ensure_ascii=False, indent=2)
            archive.writestr(f"{name}.json", document)
    return buffer.getvalue()


def _account(user) -> list[dict]:
    return [{
        "id": user.id, "display_name": user.display_name, "email": user.email,
        "pending_email": user.pending_email, "phone": user.phone, "locale": user.locale,
        "state": user.state, "email_verified_at": user.email_verified_at, "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }]


def _history(user) -> list[dict]:
    """What the person did, as the history records it (every object, every domain)."""
    rows = db.session.scalars(select(StateChange).where(StateChange.actor_id == user.id).order_by(StateChange.id))
    return [{"object_type": row.object_type, "object_id": row.object_id, "from_state": row.from_state,
             "to_state": row.to_state, "at": row.at, "reason": row.reason, "public": row.public}
            for row in rows]


def _suspensions(user) -> list[dict]:
    rows = db.session.scalars(select(Suspension).where(Suspension.user_id == user.id).order_by(Suspension.id))
    return [{"id": row.id, "jurisdiction": row.jurisdiction.name, "state": row.state, "reason": row.reason,
             "appeal": row.appeal, "decision": row.decision, "created_at": row.created_at} for row in rows]


def _organisations(user) -> list[dict]:
    # Read here rather than in organisations so the section exists whichever domain lands first;
    # imported late because organisations builds on accounts, not the other way round.
    from consulta.organisations.models import Representation

    rows = db.session.scalars(select(Representation).where(Representation.user_id == user.id)
                              .order_by(Representation.id))
    return [{"organisation": row.organisation.name, "sector": row.organisation.sector,
             "identifier": row.organisation.identifier, "website": row.organisation.website,
             "role_title": row.role_title, "state": row.state, "decision_reason": row.decision_reason,
             "created_at": row.created_at} for row in rows]


register_data_export("account", _account)
register_data_export("history", _history)
register_data_export("suspensions", _suspensions)
register_data_export("organisations", _organisations)
