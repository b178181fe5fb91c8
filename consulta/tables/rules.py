"""Who may do what with working tables. Running a table (creating it, capacity, check-in, minutes,
closing, the registration lists and exports) is the jurisdiction's "moderate"."""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import holds
from consulta.jurisdictions.rules import jurisdiction_of


@rule("register_for_table")
def _register_for_table(user, table):
    return bool(getattr(user, "is_authenticated", False))


@rule("cancel_registration")
def _cancel_registration(user, registration):
    if not getattr(user, "is_authenticated", False) or registration is None:
        return False
    return registration.user_id == user.id or holds(user, Role.MODERATOR, jurisdiction_of(registration.table))
