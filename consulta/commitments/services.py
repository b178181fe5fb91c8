"""Commitments, their activities, the proposals they came from, and the versions of the plan.

What views, commands and the demo loader call (all flush, none commits; `actor` must moderate the
cycle's jurisdiction):

    create_commitment(cycle, *, number, name, area, entity, starts_on, ends_on, problem, commitment_text,
                      contribution, values, from_proposals, actor, supporting="") -> Commitment
    update_commitment(commitment, *, actor, **fields) -> Commitment      (the same fields, but from_proposals)
    withdraw_commitment(commitment, *, reason, actor);  restore_commitment(commitment, *, actor, reason="")
    add_activity(commitment, *, name, starts_on, ends_on, actor) -> Activity
    update_activity(activity, *, name, starts_on, ends_on, actor) -> Activity
    link_proposal(commitment, proposal, *, actor) -> CommitmentOrigin
    commitments_of_proposal(proposal) -> list[Commitment]
    starting_text(proposals) -> dict                 (what a commitment drafted from them starts with)
    freeze_plan(cycle, *, actor, label="", purpose=VersionPurpose.REVISION) -> PlanVersion
    consultation_version(cycle) -> PlanVersion | None  (the version the consultation comments on)
    version_text(version, commitment_number, part) -> str | None   (the frozen text a comment quotes)
    diff(old, new) -> list[CommitmentChange]         (what changed between two versions)

Opening the public consultation freezes the plan as a "draft for public consultation" version
(version 1 the first time), through `cycles.services.on_open`.
"""
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consulta.commitments.models import (
    Activity, Commitment, CommitmentOrigin, CommitmentSnapshot, CommitmentState, CommitmentValue, PlanVersion,
    VersionPurpose,
)
from consulta.core import memo
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.i18n import local_date
from consulta.core.permissions import require
from consulta.cycles.models import EARLIEST_DATE, LATEST_DATE
from consulta.extensions import db
from consulta.jurisdictions.models import Entity
from consulta.proposals.models import OgpValue, Proposal, ProposalState, ThematicArea

NAME_MAX = 300
SUPPORTING_MAX = 1000
TEXT_MAX = 10000
ACTIVITY_MAX = 1000
LABEL_MAX = 200
REASON_MAX = 2000
NUMBER_MAX = 999
EDITABLE_FIELDS = ("number", "name", "area", "entity", "supporting", "starts_on", "ends_on", "problem",
                   "commitment_text", "contribution", "values")
# A proposal in one of these states went nowhere: it cannot be the origin of a commitment.
NOT_LINKABLE = frozenset({ProposalState.WITHDRAWN, ProposalState.INADMISSIBLE})

# The parts of a frozen commitment that a comment can be about and quote.
PARTS = ("name", "problem", "commitment", "contribution", "activities")
PART_LABELS = {
    "number": _l("Number"),
    "name": _l("Name"),
    "problem": _l("The problem it addresses"),
    "commitment": _l("What is the commitment?"),
    "contribution": _l("How it contributes to solving the problem"),
    "activities": _l("Activities and deliverables"),
    "area": _l("Thematic area"),
    "entity": _l("Responsible entity"),
    "supporting": _l("Supporting institutions"),
    "period": _l("Execution period"),
    "values": _l("Open Government values"),
}


# --- checking what a moderator typed -------------------------------------------------------------

def _text(value, field_name, maximum, *, required=True, message=None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise DomainError(field_name, str(message or _("This field is required.")))
    if len(value) > maximum:
        raise DomainError(field_name, _("This text has at most %(max)s characters.", max=maximum))
    return value


def _period(starts_on, ends_on, *, message) -> tuple[date, date]:
    for field_name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, date):
            raise DomainError(field_name, _("Enter a date."))
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise DomainError(field_name, _("Enter a date between %(first)s and %(last)s.",
                                            first=local_date(EARLIEST_DATE), last=local_date(LATEST_DATE)))
    if ends_on < starts_on:
        raise DomainError("ends_on", str(message))
    return starts_on, ends_on


def _values(values) -> list[OgpValue]:
    chosen = set()
    for value in values or ():
        if not isinstance(value, OgpValue) and value not in OgpValue.__members__:
            raise DomainError("values", _("Choose among the values offered."))
        chosen.add(value if isinstance(value, OgpValue) else OgpValue[value])
    if not chosen:
        raise DomainError("values", _("Choose at least one of the Open Government values it serves."))
    return sorted(chosen, key=lambda member: member.name)


def _area(cycle, area) -> ThematicArea:
    area_id = getattr(area, "id", area)
    found = db.session.get(ThematicArea, area_id) if isinstance(area_id, int) else None
    if found is None or found.cycle_id != cycle.id:
        raise DomainError("area", _("Choose one of this cycle's thematic areas."))
    return found


def _entity(cycle, entity) -> Entity:
    entity_id = getattr(entity, "id", entity)
    found = db.session.get(Entity, entity_id) if isinstance(entity_id, int) else None
    if found is None or found.jurisdiction_id != cycle.jurisdiction_id:
        raise DomainError("entity", _("Choose one of this jurisdiction's public entities."))
    return found


def _number(cycle, number, current: Commitment | None = None) -> int:
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= NUMBER_MAX:
        raise DomainError("number", _("Give the commitment a number between 1 and %(max)s.", max=NUMBER_MAX))
    taken = db.session.scalar(select(Commitment.id).where(Commitment.cycle_id == cycle.id,
                                                          Commitment.number == number))
    if taken is not None and (current is None or taken != current.id):
        raise DomainError("number", _("This cycle already has a commitment N° %(number)s.", number=number))
    return number


def _content(cycle, current=None, **fields) -> dict:
    """The checked fields of a commitment, ready to set."""
    starts_on, ends_on = _period(fields["starts_on"], fields["ends_on"],
                                 message=_("The execution period cannot end before it starts."))
    return {
        "number": _number(cycle, fields["number"], current),
        "name": _text(fields["name"], "name", NAME_MAX, message=_("Give the commitment a name.")),
        "area": _area(cycle, fields["area"]),
        "entity": _entity(cycle, fields["entity"]),
        "supporting": _text(fields.get("supporting"), "supporting", SUPPORTING_MAX, required=False),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "problem": _text(fields["problem"], "problem", TEXT_MAX, message=_("Describe the problem it addresses.")),
        "commitment_text": _text(fields["commitment_text"], "commitment_text", TEXT_MAX,
                                 message=_("Say what the commitment is.")),
        "contribution": _text(fields.get("contribution"), "contribution", TEXT_MAX, required=False),
        "values": _values(fields["values"]),
    }


def _apply(commitment, content) -> list[str]:
    """Set the content; the names of the fields that changed."""
    changed = []
    for key, value in content.items():
        current = commitment.values if key == "values" else getattr(commitment, key)
        if current != value:
            changed.append(key)
            if key == "values":
                commitment.value_rows = [CommitmentValue(value=member) for member in value]
            else:
                setattr(commitment, key, value)
    return changed


def _resolve(cycle, proposals) -> list:
    """Proposals given as rows or as references ("PA4-0012"), without repeats."""
    items = [item.strip().upper() if isinstance(item, str) else item for item in proposals or ()]
    items = list(dict.fromkeys(item for item in items if item))
    references = [item for item in items if isinstance(item, str)]
    found = {p.reference: p for p in proposals_by_reference(cycle, references)} if references else {}
    return list(dict.fromkeys(found[item] if isinstance(item, str) else item for item in items))


def _origin(cycle, proposal) -> Proposal:
    if not isinstance(proposal, Proposal) or proposal.cycle_id != cycle.id:
        raise DomainError("proposals", _("Choose proposals received in this cycle."))
    if proposal.state in NOT_LINKABLE:
        raise DomainError("proposals", _("%(reference)s is %(state)s: it cannot be the origin of a commitment.",
                                         reference=proposal.reference, state=proposal.state.label))
    return proposal


# --- commitments ---------------------------------------------------------------------------------

def next_number(cycle) -> int:
    return (db.session.scalar(select(func.max(Commitment.number)).where(Commitment.cycle_id == cycle.id)) or 0) + 1


def create_commitment(cycle, *, number, name, area, entity, starts_on, ends_on, problem, commitment_text,
                      contribution, values, from_proposals, actor, supporting="") -> Commitment:
    """A new commitment of `cycle`'s plan, drafted from `from_proposals`.

    number: its N° (unique in the cycle); name, problem, commitment_text ("¿Cuál es el compromiso?"),
    contribution (how it helps solve the problem), supporting (supporting institutions): plain text,
    contribution and supporting may be empty; area: a ThematicArea of the cycle (or its id); entity:
    the responsible Entity of the cycle's jurisdiction (or its id); starts_on, ends_on: the execution
    period (dates, end not before start); values: OgpValue members or their names, at least one;
    from_proposals: the Proposals of the cycle it comes from, or their references (may be empty: a
    commitment the government brings itself). Refusals are DomainErrors naming the field.
    """
    require(actor, "moderate", cycle)
    content = _content(cycle, number=number, name=name, area=area, entity=entity, supporting=supporting,
                       starts_on=starts_on, ends_on=ends_on, problem=problem, commitment_text=commitment_text,
                       contribution=contribution, values=values)
    origins = [_origin(cycle, proposal) for proposal in _resolve(cycle, from_proposals)]
    commitment = Commitment(cycle=cycle)
    _apply(commitment, content)
    try:
        # A savepoint: a number taken meanwhile by another moderator is a refusal, not a 500.
        with db.session.begin_nested():
            db.session.add(commitment)
            db.session.flush()
    except IntegrityError:
        raise DomainError("number", _("This cycle already has a commitment N° %(number)s.",
                                      number=content["number"])) from None
    transition(commitment, CommitmentState.IN_PLAN, actor=actor)
    for proposal in origins:
        _link(commitment, proposal, actor=actor)
    return commitment


def update_commitment(commitment, *, actor, **fields) -> Commitment:
    """Change some of a commitment's fields (those of `create_commitment`); the history names them."""
    require(actor, "moderate", commitment)
    if set(fields) - set(EDITABLE_FIELDS):
        raise DomainError(None, _("These details cannot be changed here."))
    current = {key: getattr(commitment, key) for key in EDITABLE_FIELDS if key != "values"}
    current["values"] = commitment.values
    content = _content(commitment.cycle, commitment, **(current | fields))
    changed = _apply(commitment, content)
    if changed:
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise DomainError("number", _("This cycle already has a commitment N° %(number)s.",
                                          number=content["number"])) from None
        record_event(commitment, "EDITED", actor=actor, reason=", ".join(changed))
    return commitment


def withdraw_commitment(commitment, *, reason, actor) -> Commitment:
    """Take a commitment out of the plan, with a public reason. It stays readable, marked so."""
    require(actor, "moderate", commitment)
    reason = _text(reason, "reason", REASON_MAX, message=_("Say why it leaves the plan."))
    if commitment.state is not CommitmentState.IN_PLAN:
        raise DomainError(None, _("This commitment is not in the plan."))
    commitment.state_note = reason
    transition(commitment, CommitmentState.WITHDRAWN, actor=actor, reason=reason)
    return commitment


def restore_commitment(commitment, *, actor, reason="") -> Commitment:
    require(actor, "moderate", commitment)
    if commitment.state is not CommitmentState.WITHDRAWN:
        raise DomainError(None, _("This commitment is already in the plan."))
    commitment.state_note = None
    transition(commitment, CommitmentState.IN_PLAN, actor=actor,
               reason=_text(reason, "reason", REASON_MAX, required=False))
    return commitment


def plan(cycle) -> list[Commitment]:
    """The cycle's plan: its commitments in the plan, by number."""
    return list(db.session.scalars(
        select(Commitment).where(Commitment.cycle_id == cycle.id, _in_plan())
        .options(selectinload(Commitment.area), selectinload(Commitment.entity),
                 selectinload(Commitment.value_rows), selectinload(Commitment.activities),
                 selectinload(Commitment.origins).selectinload(CommitmentOrigin.proposal))
        .order_by(Commitment.number)))


def _in_plan():
    return Commitment.state == CommitmentState.IN_PLAN


def plan_by_cycle(cycle_ids) -> list[tuple[Commitment, int]]:
    """The commitments in the plans of these cycles (as `plan` has them), each with how many
    proposals it came from, in one statement."""
    return [tuple(row) for row in db.session.execute(
        select(Commitment, func.count(CommitmentOrigin.id))
        .outerjoin(CommitmentOrigin, CommitmentOrigin.commitment_id == Commitment.id)
        .where(Commitment.cycle_id.in_(list(cycle_ids)), _in_plan())
        .group_by(Commitment.id).order_by(Commitment.cycle_id, Commitment.number)).all()]


def by_area(commitments) -> list[tuple[ThematicArea, list[Commitment]]]:
    """Commitments grouped by thematic area, in the cycle's order of areas."""
    groups: dict[int, tuple[ThematicArea, list]] = {}
    for commitment in commitments:
        groups.setdefault(commitment.area_id, (commitment.area, []))[1].append(commitment)
    return sorted(groups.values(), key=lambda group: (group[0].position, group[0].id))


def withdrawn(cycle) -> list[Commitment]:
    return list(db.session.scalars(select(Commitment).where(Commitment.cycle_id == cycle.id,
                                                            Commitment.state == CommitmentState.WITHDRAWN)
                                   .order_by(Commitment.number)))


def find(cycle, number) -> Commitment | None:
    return db.session.scalar(select(Commitment).where(Commitment.cycle_id == cycle.id, Commitment.number == number))


def entity_choices(cycle) -> list[Entity]:
    return list(cycle.jurisdiction.entities)


# --- activities ----------------------------------------------------------------------------------

def _activity_content(commitment, *, name, starts_on, ends_on) -> dict:
    starts_on, ends_on = _period(starts_on, ends_on, message=_("An activity cannot end before it starts."))
    if starts_on < commitment.starts_on or ends_on > commitment.ends_on:
        raise DomainError("starts_on" if starts_on < commitment.starts_on else "ends_on",
                          _("An activity falls within the commitment's execution period: %(first)s to %(last)s.",
                            first=local_date(commitment.starts_on), last=local_date(commitment.ends_on)))
    return {"name": _text(name, "name", ACTIVITY_MAX, message=_("Describe the activity and its deliverable.")),
            "starts_on": starts_on, "ends_on": ends_on}


def add_activity(commitment, *, name, starts_on, ends_on, actor) -> Activity:
    """An activity / deliverable of `commitment`, after the ones it has, with its own dates (inside
    the commitment's execution period, end not before start)."""
    require(actor, "moderate", commitment)
    content = _activity_content(commitment, name=name, starts_on=starts_on, ends_on=ends_on)
    position = len(commitment.activities)
    activity = Activity(commitment=commitment, position=position, **content)
    db.session.add(activity)
    record_event(activity, "CREATED", actor=actor)
    return activity


def update_activity(activity, *, name, starts_on, ends_on, actor) -> Activity:
    require(actor, "moderate", activity)
    content = _activity_content(activity.commitment, name=name, starts_on=starts_on, ends_on=ends_on)
    changed = [key for key, value in content.items() if getattr(activity, key) != value]
    for key in changed:
        setattr(activity, key, content[key])
    if changed:
        db.session.flush()
        record_event(activity, "EDITED", actor=actor, reason=", ".join(changed))
    return activity


# --- the proposals a commitment came from --------------------------------------------------------

def _link(commitment, proposal, *, actor) -> CommitmentOrigin:
    existing = next((origin for origin in commitment.origins if origin.proposal_id == proposal.id), None)
    if existing is not None:
        return existing
    origin = CommitmentOrigin(commitment=commitment, proposal=proposal, linked_by_id=getattr(actor, "id", None))
    db.session.add(origin)
    db.session.flush()
    record_event(commitment, "PROPOSAL_LINKED", actor=actor, reason=proposal.reference)
    return origin


def link_proposal(commitment, proposal, *, actor) -> CommitmentOrigin:
    """Link one more proposal of the cycle (a Proposal or its reference) to `commitment`; linking it
    twice changes nothing."""
    require(actor, "moderate", commitment)
    proposal = _resolve(commitment.cycle, [proposal])[0]
    return _link(commitment, _origin(commitment.cycle, proposal), actor=actor)


def commitments_of_proposal(proposal) -> list[Commitment]:
    """The commitments a proposal went into, by number (for the proposal's page)."""
    return list(db.session.scalars(
        select(Commitment).join(CommitmentOrigin, CommitmentOrigin.commitment_id == Commitment.id)
        .where(CommitmentOrigin.proposal_id == proposal.id).order_by(Commitment.number)))


def origin_proposals(commitment) -> list[Proposal]:
    return [origin.proposal for origin in commitment.origins]


def proposals_by_reference(cycle, references) -> list[Proposal]:
    """The cycle's proposals with these references, in the order given; an unknown one is refused."""
    references = [reference.strip().upper() for reference in references if reference and reference.strip()]
    found = {proposal.reference: proposal for proposal in db.session.scalars(
        select(Proposal).where(Proposal.cycle_id == cycle.id, Proposal.reference.in_(references)))}
    missing = [reference for reference in references if reference not in found]
    if missing:
        raise DomainError("proposals", _("No proposal of this cycle has the reference %(reference)s.",
                                         reference=", ".join(missing)))
    return [found[reference] for reference in dict.fromkeys(references)]


def starting_text(proposals) -> dict:
    """What a commitment drafted from `proposals` starts with: their title, problems and texts, the
    area most of them have, every value they serve, and the entity the first one names."""
    proposals = list(proposals)
    if not proposals:
        return {}
    several = len(proposals) > 1

    def joined(attribute):
        return "\n\n".join(f"{p.reference}: {getattr(p, attribute)}" if several else getattr(p, attribute)
                           for p in proposals)

    area_id = Counter(p.area_id for p in proposals).most_common(1)[0][0]
    entity_id = next((p.entity_id for p in proposals if p.entity_id is not None), None)
    values = sorted({value for p in proposals for value in p.values}, key=lambda member: member.name)
    return {"name": proposals[0].title, "problem": joined("problem"), "commitment_text": joined("body"),
            "area": area_id, "entity": entity_id, "values": values}


# --- versions of the plan ------------------------------------------------------------------------

def _snapshot_content(commitment) -> dict:
    return {
        "number": commitment.number,
        "name": commitment.name,
        "area": commitment.area.name,
        "entity": commitment.entity.name,
        "supporting": commitment.supporting,
        "starts_on": commitment.starts_on.isoformat(),
        "ends_on": commitment.ends_on.isoformat(),
        "problem": commitment.problem,
        "commitment": commitment.commitment_text,
        "contribution": commitment.contribution,
        "values": [value.name for value in commitment.values],
        "activities": [{"name": activity.name, "starts_on": activity.starts_on.isoformat(),
                        "ends_on": activity.ends_on.isoformat()} for activity in commitment.activities],
        "proposals": [origin.proposal.reference for origin in commitment.origins],
    }


def _current_contents(cycle) -> dict[int, dict]:
    return {commitment.id: _snapshot_content(commitment) for commitment in plan(cycle)}


def versions(cycle) -> list[PlanVersion]:
    return list(db.session.scalars(select(PlanVersion).where(PlanVersion.cycle_id == cycle.id)
                                   .order_by(PlanVersion.number)))


def get_version(cycle, number) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.cycle_id == cycle.id,
                                                       PlanVersion.number == number))


def latest_version(cycle) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.cycle_id == cycle.id)
                             .order_by(PlanVersion.number.desc()).limit(1))


def consultation_version(cycle) -> PlanVersion | None:
    """The version put to public consultation last (the text comments quote). A thread page asks it
    for every label and link it shows: read once per request, forgotten when a version is frozen."""
    return memo.remembered(_CONSULTATION_VERSION, cycle.id, lambda: db.session.scalar(
        select(PlanVersion).where(PlanVersion.cycle_id == cycle.id,
                                  PlanVersion.purpose == VersionPurpose.CONSULTATION_DRAFT)
        .order_by(PlanVersion.number.desc()).limit(1)))


_CONSULTATION_VERSION = "commitments.consultation_version"


def _contents_of(version) -> dict[int, dict]:
    return {snapshot.commitment_id: snapshot.content for snapshot in version.snapshots}


def changed_since(cycle, version) -> bool:
    """Does the plan read differently from `version` now?"""
    return version is None or _current_contents(cycle) != _contents_of(version)


def _freeze(cycle, *, actor, purpose: VersionPurpose, label: str = "") -> PlanVersion:
    number = (db.session.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.cycle_id == cycle.id))
              or 0) + 1
    version = PlanVersion(cycle=cycle, number=number, purpose=purpose, label=label,
                          created_by_id=getattr(actor, "id", None))
    for commitment_id, content in _current_contents(cycle).items():
        version.snapshots.append(CommitmentSnapshot(commitment_id=commitment_id, number=content["number"],
                                                    content=content))
    db.session.add(version)
    record_event(version, "CREATED", actor=actor, reason=label)
    memo.forget(_CONSULTATION_VERSION)
    return version


def freeze_plan(cycle, *, actor, label="", purpose=VersionPurpose.REVISION) -> PlanVersion:
    """Freeze the plan as its next version (N = last + 1): every commitment's text, activities and
    origin proposals, as they stand. Refused when nothing changed since the last version."""
    require(actor, "moderate", cycle)
    label = _text(label, "label", LABEL_MAX, required=False)
    if not isinstance(purpose, VersionPurpose):
        raise DomainError("purpose", _("Choose what this version is for."))
    last = latest_version(cycle)
    if last is not None and not changed_since(cycle, last):
        raise DomainError(None, _("Nothing changed since version %(number)s.", number=last.number))
    return _freeze(cycle, actor=actor, purpose=purpose, label=label)


def freeze_for_consultation(phase, *, actor) -> PlanVersion | None:
    """When the public consultation opens, the plan as it stands is what is consulted: frozen as
    a new version unless the last one already reads the same."""
    cycle = phase.cycle
    last = latest_version(cycle)
    if last is not None and last.purpose is VersionPurpose.CONSULTATION_DRAFT and not changed_since(cycle, last):
        return last
    return _freeze(cycle, actor=actor, purpose=VersionPurpose.CONSULTATION_DRAFT)


def readable(version) -> list[dict]:
    """A version's commitments as frozen, by number, with their dates as dates again (for pages)."""
    def dated(item: dict) -> dict:
        return item | {"starts_on": date.fromisoformat(item["starts_on"]), "ends_on": date.fromisoformat(item["ends_on"])}

    return [dated(row.content) | {"activities": [dated(activity) for activity in row.content["activities"]]}
            for row in version.snapshots]


def snapshot(version, commitment_number) -> CommitmentSnapshot | None:
    return next((row for row in version.snapshots if row.number == commitment_number), None)


def _part_text(content: dict, part: str) -> str:
    if part == "activities":
        return "\n".join(activity["name"] for activity in content["activities"])
    if part == "period":
        return f"{content['starts_on']} – {content['ends_on']}"
    if part == "values":
        return ", ".join(str(OgpValue[code].label) for code in content["values"])
    return content.get(part) or ""


def version_text(version, commitment_number, part) -> str | None:
    """The frozen text of one part (PARTS: name, problem, commitment, contribution, activities — one
    activity a line) of commitment N° `commitment_number` in `version`; None when that version has
    no such commitment. It never changes, whatever happens to the commitment later."""
    if part not in PARTS:
        raise DomainError("part", _("Choose a part of the commitment."))
    row = snapshot(version, commitment_number)
    return None if row is None else _part_text(row.content, part)


# --- what changed between two versions -----------------------------------------------------------

@dataclass
class PartChange:
    part: str
    # (op, text) with op "equal", "delete" or "insert": the new text with the old one struck through.
    segments: list[tuple[str, str]]

    @property
    def label(self):
        return PART_LABELS[self.part]


@dataclass
class CommitmentChange:
    number: int
    name: str
    kind: str  # "added", "removed" or "changed"
    parts: list[PartChange] = field(default_factory=list)


_TOKENS = re.compile(r"\s+|[^\s]+")
DIFF_PARTS = ("name", "area", "entity", "supporting", "period", "values", "problem", "commitment", "contribution",
              "activities")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """`old` → `new` word by word (difflib), as (op, text) segments."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    segments = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("delete", "".join(before[i1:i2])))
        if j2 > j1:
            segments.append(("insert", "".join(after[j1:j2])))
    return segments


def diff(old: PlanVersion, new: PlanVersion) -> list[CommitmentChange]:
    """What changed from version `old` to version `new`, commitment by commitment, in the new numbering."""
    before, after = _contents_of(old), _contents_of(new)
    changes = []
    for commitment_id in before.keys() | after.keys():
        was, now = before.get(commitment_id), after.get(commitment_id)
        if was == now:
            continue
        shown = now or was
        change = CommitmentChange(number=shown["number"], name=shown["name"],
                                  kind="added" if was is None else "removed" if now is None else "changed")
        if change.kind == "changed":
            for part in DIFF_PARTS:
                old_text, new_text = _part_text(was, part), _part_text(now, part)
                if old_text != new_text:
                    change.parts.append(PartChange(part, word_diff(old_text, new_text)))
            if was["number"] != now["number"]:
                change.parts.insert(0, PartChange("number", [("delete", f"N° {was['number']} "),
                                                           ("insert", f"N° {now['number']} ")]))
        changes.append(change)
    return sorted(changes, key=lambda change: change.number)


def previous_version(version) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.cycle_id == version.cycle_id,
                                                       PlanVersion.number < version.number)
                             .order_by(PlanVersion.number.desc()).limit(1))
