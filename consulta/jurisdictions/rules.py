"""Permission rules for the roles held per jurisdiction.

Rules take the jurisdiction (or an object with a `jurisdiction`) and ask `holds`. Other domains
register their own actions and may call these helpers.
"""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import grants_of, holds


def jurisdiction_of(obj):
    """The jurisdiction an object belongs to: itself, or its `jurisdiction`, or its cycle's."""
    if obj is None:
        return None
    if obj.__class__.__name__ == "Jurisdiction":
        return obj
    if getattr(obj, "jurisdiction", None) is not None:
        return obj.jurisdiction
    cycle = getattr(obj, "cycle", None)
    return cycle.jurisdiction if cycle is not None else None


@rule("view_staff_area")
def _view_staff_area(user, obj):
    return bool(grants_of(user))


@rule("administer")
def _administer(user, obj):
    return holds(user, Role.ADMIN, jurisdiction_of(obj))


@rule("moderate")
def _moderate(user, obj):
    return holds(user, Role.MODERATOR, jurisdiction_of(obj))


@rule("review_as_mesa")
def _review_as_mesa(user, obj):
    return holds(user, Role.MESA_MEMBER, jurisdiction_of(obj))


@rule("read_dashboards")
def _read_dashboards(user, obj):
    return holds(user, (Role.ADMIN, Role.MODERATOR, Role.MESA_MEMBER), jurisdiction_of(obj))


@rule("report_progress")
def _report_progress(user, entity):
    return entity is not None and holds(user, Role.REPORTER, entity.jurisdiction, entity=entity)


@rule("create_jurisdiction")
def _create_jurisdiction(user, obj):
    # New jurisdictions are the national body's business: only a national administrator.
    return any(held.role == Role.ADMIN and held.national for held in grants_of(user))


@rule("manage_users")
def _manage_users(user, obj):
    # Finding a person to give a role: any administrator; what they may grant is checked per jurisdiction.
    return holds(user, Role.ADMIN)


@rule("follow_jurisdiction")
def _follow_jurisdiction(user, jurisdiction):
    return bool(getattr(user, "is_authenticated", False))
