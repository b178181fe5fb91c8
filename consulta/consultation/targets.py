"""What can be commented on: a small registry of target kinds.

Comments are built once for every kind. A kind says how to load its objects by id, which window
accepts comments on them (a cycles `Phase`, asked through `cycles.services.accepting`, or a core
`Window`), whose jurisdiction moderates them, the cycle they belong to, and, when comments may quote
a frozen text, which version and what text. The consultation registers the draft plan under
consultation and each of its commitments below; the monitoring domain registers progress reports
the same way:

    register_target("progress_report", lambda report_id: db.session.get(ProgressReport, report_id),
                    model=ProgressReport, window_of=lambda report: report.comment_window,
                    jurisdiction_of=lambda report: report.cycle.jurisdiction,
                    cycle_of=lambda report: report.cycle, label=lambda report: report.title)
"""
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consulta.core.errors import DomainError
from consulta.extensions import db


@dataclass(frozen=True)
class TargetKind:
    kind: str
    model: type
    loader: Callable
    window_of: Callable
    jurisdiction_of: Callable
    label: Callable
    cycle_of: Callable
    # (obj) -> the frozen PlanVersion its comments read, or None; absent: comments quote nothing.
    version_of: Callable | None = None
    # (obj, version, part or None) -> the frozen text a quote must be found in (None: not in that version).
    text_of: Callable | None = None
    # The parts of the target a comment may say it is about, with their labels.
    parts: tuple = ()
    # Counted as "comentarios recibidos en la consulta pública" of its cycle.
    consultation: bool = False
    url_of: Callable | None = None
    # (obj, user) -> the name of the institution `user` answers for on this target, or None.
    answered_by: Callable | None = None


_kinds: dict[str, TargetKind] = {}


def register_target(kind: str, loader, *, model, window_of, jurisdiction_of, label, cycle_of, version_of=None,
                    text_of=None, parts=(), consultation=False, url_of=None, answered_by=None) -> TargetKind:
    """Make objects of `model` commentable under the name `kind` (stored with every comment)."""
    if kind in _kinds:
        raise RuntimeError(f"A comment target named {kind!r} is already registered.")
    registered = TargetKind(kind=kind, model=model, loader=loader, window_of=window_of,
                            jurisdiction_of=jurisdiction_of, label=label, cycle_of=cycle_of, version_of=version_of,
                            text_of=text_of, parts=tuple(parts), consultation=consultation, url_of=url_of,
                            answered_by=answered_by)
    _kinds[kind] = registered
    return registered


def consultation_kinds() -> tuple[str, ...]:
    return tuple(kind for kind, registered in _kinds.items() if registered.consultation)


class Target:
    """One commentable object with what its kind says about it (worked out once)."""

    def __init__(self, kind: TargetKind, obj):
        self.kind = kind
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, Target) and (self.kind.kind, self.id) == (other.kind.kind, other.id)

    def __hash__(self):
        return hash((self.kind.kind, self.id))

    @property
    def id(self) -> int:
        return self.obj.id

    @cached_property
    def cycle(self):
        return self.kind.cycle_of(self.obj)

    @cached_property
    def jurisdiction(self):
        return self.kind.jurisdiction_of(self.obj)

    @cached_property
    def version(self):
        return self.kind.version_of(self.obj) if self.kind.version_of else None

    @property
    def window(self):
        return self.kind.window_of(self.obj)

    @property
    def label(self) -> str:
        return self.kind.label(self.obj)

    @property
    def url(self) -> str | None:
        return self.kind.url_of(self.obj) if self.kind.url_of else None

    @property
    def parts(self) -> tuple:
        return self.kind.parts

    def text(self, part: str | None = None) -> str | None:
        """The frozen text (of one part) that comments read and quote; None when there is none."""
        if self.kind.text_of is None or self.version is None:
            return None
        return self.kind.text_of(self.obj, self.version, part)


def target_of(item) -> Target:
    """A Target for a registered object (or the Target itself)."""
    if isinstance(item, Target):
        return item
    for registered in _kinds.values():
        if isinstance(item, registered.model):
            return Target(registered, item)
    raise DomainError(None, _("This cannot be commented on."))


def load_target(kind: str, target_id: int) -> Target | None:
    registered = _kinds.get(kind)
    obj = registered.loader(target_id) if registered is not None else None
    return Target(registered, obj) if obj is not None else None


# --- the public consultation: the draft plan as a whole, and each of its commitments ---------------

def _register_consultation_targets() -> None:
    from consulta.commitments import services as commitments
    from consulta.commitments.models import Commitment, PlanVersion
    from consulta.cycles.models import PhaseKind

    def consultation_phase(cycle):
        return cycle.phase(PhaseKind.CONSULTATION)

    def snapshot_of(commitment, version):
        return next((row for row in version.snapshots if row.commitment_id == commitment.id), None)

    def commitment_text(commitment, version, part):
        row = snapshot_of(commitment, version)
        if row is None:
            return None
        chosen = [part] if part else commitments.PARTS
        return "\n".join(commitments.version_text(version, row.number, each) for each in chosen)

    def plan_text(version, _version, part):
        return "\n".join(commitments.version_text(version, row.number, each)
                         for row in version.snapshots for each in commitments.PARTS)

    def frozen(commitment) -> dict:
        """The commitment as the draft under consultation froze it (as it is now, if it is not in it)."""
        version = commitments.consultation_version(commitment.cycle)
        row = snapshot_of(commitment, version) if version is not None else None
        return row.content if row is not None else {"number": commitment.number, "name": commitment.name}

    def cycle_args(cycle) -> dict:
        return {"slug": cycle.jurisdiction.slug, "cycle_slug": cycle.slug}

    register_target(
        "plan", lambda version_id: db.session.get(PlanVersion, version_id), model=PlanVersion,
        window_of=lambda version: consultation_phase(version.cycle),
        jurisdiction_of=lambda version: version.cycle.jurisdiction, cycle_of=lambda version: version.cycle,
        label=lambda version: _("The draft plan as a whole (version %(number)s)", number=version.number),
        version_of=lambda version: version, text_of=plan_text, consultation=True,
        url_of=lambda version: url_for("consultation.plan_thread", **cycle_args(version.cycle)),
    )
    register_target(
        "commitment", lambda commitment_id: db.session.get(Commitment, commitment_id), model=Commitment,
        window_of=lambda commitment: consultation_phase(commitment.cycle),
        jurisdiction_of=lambda commitment: commitment.cycle.jurisdiction,
        cycle_of=lambda commitment: commitment.cycle,
        label=lambda commitment: _("Commitment N° %(number)s: %(name)s", number=frozen(commitment)["number"],
                                   name=frozen(commitment)["name"]),
        version_of=lambda commitment: commitments.consultation_version(commitment.cycle),
        text_of=commitment_text, consultation=True,
        parts=(("problem", _l("The problem it addresses")), ("commitment", _l("What is the commitment?")),
               ("activities", _l("Activities and deliverables"))),
        url_of=lambda commitment: url_for("consultation.commitment_thread", number=frozen(commitment)["number"],
                                          **cycle_args(commitment.cycle)),
    )


_register_consultation_targets()
