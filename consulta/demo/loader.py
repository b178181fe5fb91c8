"""The demo, played as a timeline through the domains' services.

First the `@step` functions run once (jurisdictions, accounts, organisations, cycles). Then every
cycle is played phase by phase: the clock is set to the phase's opening, the phase opens, each
`@during(kind)` hook adds what happened in that phase (with the clock at the moments it happened),
and the clock moves to the closing, where the phase closes — unless that is still in the future (the
current cycle). So every demo object has its audit trail, dated when it happened.
"""
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from consulta.core import clock
from consulta.cycles.models import WINDOW_CLOSED, WINDOW_OPENED, Cycle, PhaseState
from consulta.cycles.services import close_phase, open_phase, phases_in_order
from consulta.extensions import db

STEPS = []
PHASE_HOOKS = defaultdict(list)


def step(function):
    """Run once, in registration order, before the cycles are played."""
    STEPS.append(function)
    return function


def during(kind):
    """Run while a phase of `kind` is open, in every demo cycle: hook(demo, cycle, phase)."""

    def register(function):
        PHASE_HOOKS[kind].append(function)
        return function

    return register


@contextmanager
def cheap_hashes():
    """Hash the demo accounts' passwords the cheap way: argon2 for two hundred accounts would make
    the demo take minutes. A sign-in replaces such a hash with an argon2 one
    (accounts.passwords.needs_rehash), and the printed passwords are no secret anyway."""
    config = current_app.config
    before = config.get("PASSWORD_HASH")
    config["PASSWORD_HASH"] = "fast"
    try:
        yield
    finally:
        config["PASSWORD_HASH"] = before


@dataclass
class Demo:
    """What the steps made, shared with the later steps and the hooks."""

    # The moment the demo is loaded: history is played up to it, the current cycle is open around it.
    now: datetime = field(default_factory=clock.now)
    users: dict = field(default_factory=dict)
    passwords: dict = field(default_factory=dict)
    jurisdictions: dict = field(default_factory=dict)
    entities: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    # organisation key -> the account that represents it
    representatives: dict = field(default_factory=dict)
    # every account made for volume (never printed), and those of them who take part as themselves
    crowd: list = field(default_factory=list)
    participants: list = field(default_factory=list)
    cycles: list = field(default_factory=list)
    # What one domain's demo leaves for a later one (the near-duplicates triage merges, …), by name.
    shared: dict = field(default_factory=dict)
    summary: list = field(default_factory=list)

    def log(self, line: str) -> None:
        self.summary.append(line)

    def cycle(self, code: str) -> Cycle:
        return next(cycle for cycle in self.cycles if cycle.code == code)


def play(demo: Demo, cycle: Cycle) -> None:
    operator = demo.users["admin"] if cycle.jurisdiction.is_national else demo.users["admin_renca"]
    for phase in phases_in_order(cycle):
        if phase.opens_at > demo.now:
            break
        clock.set_now(phase.opens_at)
        if phase.state == PhaseState.SCHEDULED:
            open_phase(phase, actor=operator, reason=WINDOW_OPENED)
        for hook in PHASE_HOOKS[phase.kind]:
            hook(demo, cycle, phase)
        db.session.commit()
        if phase.closes_at <= demo.now:
            clock.set_now(phase.closes_at)
            close_phase(phase, actor=operator, reason=WINDOW_CLOSED)
            db.session.commit()


def load() -> list[str]:
    from consulta.demo import base

    demo = Demo()
    if base.already_loaded():
        base.renew_passwords(demo)
        db.session.commit()
        demo.log("The demo was already loaded; the demo accounts got new passwords.")
        return demo.summary + base.credentials(demo)
    try:
        for run in STEPS:
            run(demo)
            db.session.commit()
        for cycle in demo.cycles:
            play(demo, cycle)
    finally:
        clock.set_now(None)
    return demo.summary + base.credentials(demo)
