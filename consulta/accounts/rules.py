"""Permission rules for a person's own account and for suspensions.

Suspending is the jurisdiction's "moderate" and deciding an appeal its "administer" (both in
consulta/jurisdictions/rules.py). A suspended person may still read, download and close their
account, and appeal; changing their profile is refused like every other action.
"""
from consulta.core.permissions import rule
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import holds
from consulta.jurisdictions.rules import jurisdiction_of


def _is_self(user, account) -> bool:
    return bool(getattr(user, "is_authenticated", False) and account is not None
                and getattr(account, "id", None) == user.id)


@rule("read_own_account", allow_suspended=True)
def _read_own_account(user, account):
    return _is_self(user, account)


@rule("download_own_data", allow_suspended=True)
def _download_own_data(user, account):
    return _is_self(user, account)


@rule("close_account", allow_suspended=True)
def _close_account(user, account):
    return _is_self(user, account)


@rule("edit_profile")
def _edit_profile(user, account):
    return _is_self(user, account)


@rule("appeal_suspension", allow_suspended=True)
def _appeal_suspension(user, suspension):
    return bool(getattr(user, "is_authenticated", False) and suspension is not None
                and suspension.user_id == user.id)


@rule("review_suspensions")
def _review_suspensions(user, obj):
    """Moderators and administrators see the suspensions of their jurisdictions (None: anywhere)."""
    return holds(user, (Role.MODERATOR, Role.ADMIN), jurisdiction_of(obj))
