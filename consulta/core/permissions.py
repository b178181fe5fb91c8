"""Who may do what: `can`, `require` and `@requires`.

Each domain registers the rule for its actions with `@rule("action")`; a rule receives the user
(possibly anonymous) and the object acted on, and answers True or False. An unknown action is
refused, so a misspelt action name can never open a door.
"""
from functools import wraps

from flask_login import current_user

from consulta.core.errors import PermissionDenied

_rules = {}
# Actions a suspended person may still take (reading their own data, appealing).
_open_to_suspended = set()


def rule(action: str, *, allow_suspended: bool = False):
    def register(function):
        if action in _rules:
            raise RuntimeError(f"A rule for {action!r} is already registered.")
        _rules[action] = function
        if allow_suspended:
            _open_to_suspended.add(action)
        return function

    return register


def can(user, action: str, obj=None) -> bool:
    check = _rules.get(action)
    if check is None or user is None:
        return False
    suspended = getattr(user, "is_authenticated", False) and not getattr(user, "is_active", True)
    if suspended and action not in _open_to_suspended:
        return False
    return bool(check(user, obj))


def require(user, action: str, obj=None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(action)


def requires(action: str, load=None):
    """View decorator. `load(**view_args)` returns the object to check (and 404s when missing)."""

    def decorate(view):
        @wraps(view)
        def wrapper(**view_args):
            obj = load(**view_args) if load else None
            require(current_user, action, obj)
            return view(**view_args)

        return wrapper

    return decorate


def registered_actions() -> set[str]:
    return set(_rules)
