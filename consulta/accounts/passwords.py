"""Password hashing: argon2 in normal use, a cheap hash when the testing config asks for one."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from consulta.core.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 128
# A thousand rounds: fast enough for a test suite that signs in hundreds of times.
FAST_METHOD = "pbkdf2:sha256:1000"

_hasher = PasswordHasher()
_dummy_hashes = {}


def _fast() -> bool:
    return current_app.config.get("PASSWORD_HASH") == "fast"


def check_policy(password: str, field: str = "password") -> None:
    if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
        raise DomainError(field, _("A password has between %(min)s and %(max)s characters.",
                                   min=MIN_LENGTH, max=MAX_LENGTH))


def hash_password(password: str) -> str:
    if _fast():
        return generate_password_hash(password, FAST_METHOD)
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True when `password` matches. With nothing stored, the same work is done against a dummy
    hash, so that the time taken does not tell whether an account exists."""
    if not stored:
        mode = "fast" if _fast() else "argon2"
        if mode not in _dummy_hashes:
            _dummy_hashes[mode] = hash_password("not-a-password-at-all")
        _verify(_dummy_hashes[mode], password)
        return False
    return _verify(stored, password)


def _verify(stored: str, password: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)


def needs_rehash(stored: str) -> bool:
    """A hash made with weaker settings than today's is replaced at the next sign-in."""
    if _fast():
        return False
    return not stored.startswith("$argon2") or _hasher.check_needs_rehash(stored)
