"""Chile's RUT (Rol Único Tributario): the identifier organisations are matched by.

Written "76.123.456-0" or "76123456-0"; the last character is a check digit computed modulo 11
("K" stands for 10). Stored normalised, without dots: "76123456-0".
"""
import re
from itertools import cycle

_RUT = re.compile(r"^0*([0-9]{1,8})-?([0-9K])$")


def check_digit(number: int) -> str:
    total = sum(int(digit) * factor for digit, factor in zip(reversed(str(number)), cycle(range(2, 8))))
    remainder = 11 - total % 11
    return {11: "0", 10: "K"}.get(remainder, str(remainder))


def normalise(text: str) -> str | None:
    """The RUT in its stored form, or None when it is malformed or its check digit is wrong."""
    compact = re.sub(r"[.\s]", "", text or "").upper()
    match = _RUT.match(compact)
    if match is None:
        return None
    number, digit = match.groups()
    if check_digit(int(number)) != digit:
        return None
    return f"{int(number)}-{digit}"


def display(normalised: str) -> str:
    """The usual written form, with thousands dots: "76.123.456-0"."""
    number, _, digit = normalised.partition("-")
    return f"{int(number):,}".replace(",", ".") + f"-{digit}"
