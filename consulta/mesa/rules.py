"""Who may act on the Mesa de Gobierno Abierto.

A jurisdiction's administrators set up its forum and seats; its administrators and moderators (the
forum's secretariat) record meetings and acts; moderators answer observations and publish the plan;
Mesa members observe and confirm acts, and change no content (they read every dashboard through
the jurisdictions' "read_dashboards" rule).
"""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import holds
from consulta.jurisdictions.rules import jurisdiction_of


@rule("run_mesa")
def _run_mesa(user, obj):
    return holds(user, (Role.ADMIN, Role.MODERATOR), jurisdiction_of(obj))


@rule("confirm_act")
def _confirm_act(user, act):
    """A member present at the act's meeting, holding the seat from their own account."""
    if act is None or not getattr(user, "is_authenticated", False):
        return False
    return holds(user, Role.MESA_MEMBER, act.jurisdiction) and any(
        seat.holder_id == user.id for seat in act.meeting.present)
