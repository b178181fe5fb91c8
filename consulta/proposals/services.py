"""Proposals: the cycle's thematic areas, drafts, the formulario único, other channels, edits,
withdrawals, inadmissibility, the register and its exports.

"Propuestas recibidas" has one definition, `received()`: every proposal submitted in the cycle,
through the form or entered from another channel, whatever happened to it later. Drafts are
another table, so no query of proposals can count one.
"""
import uuid
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import case, delete, func, insert, intersect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from consulta.accounts.exports import register_data_export
from consulta.core import clock, exports, storage
from consulta.core.audit import history, record_event, transition
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.pagination import paginate_from_either_end
from consulta.core.sectors import Sector
from consulta.core.windows import to_local
from consulta.cycles import services as cycles
from consulta.cycles.models import PhaseKind
from consulta.extensions import db
from consulta.organisations import services as organisations
from consulta.organisations.models import Organisation, OrganisationState
from consulta.proposals import similarity
from consulta.proposals.models import (
    Attachment, Channel, Draft, OgpValue, Proposal, ProposalState, ProposalValue, ProposalVersion,
    ReferenceCounter, ThematicArea, WithdrawalReason, proposal_term,
)

TITLE_MAX = 200
PROBLEM_MAX = 5000
BODY_MAX = 10000
ENTITY_MAX = 200
NAME_MAX = 200
REASON_MAX = 2000
AREA_NAME_MAX = 120
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_MAX = 3
SIMILAR_SHOWN = 5
EXPORT_BATCH = 500  # rows read from the database at a time by a download
# Not offered as "already received and similar": withdrawn ones and spam would only mislead, and a
# merged one lives on in the proposal it was merged into.
NOT_SIMILAR_STATES = frozenset({ProposalState.WITHDRAWN, ProposalState.INADMISSIBLE, ProposalState.MERGED})
# "Similar proposals" ranks at most this many candidates: the proposals sharing most of the text's
# rarer terms, read from the term index...
SIMILAR_CANDIDATES = 200
# ...through the rarest terms whose postings add up to about this many (at least one term), so the
# work stays bounded in a cycle where every word is common.
SIMILAR_POSTINGS = 20_000
# How many proposals hold a term is counted among the cycle's latest ones, at most this many, and
# scaled to the cycle: exact in a smaller cycle, a sample in a larger one, at the same cost.
FREQUENCY_SAMPLE = 2_000
# Terms are [a-z0-9]: every term that begins with a word sorts before the word followed by this.
PREFIX_END = "{"


# --- thematic areas ----------------------------------------------------------------------------

def add_area(cycle, *, name, actor) -> ThematicArea:
    """Add a thematic area at the end of the cycle's list."""
    name = (name or "").strip()
    if not name or len(name) > AREA_NAME_MAX:
        raise DomainError("name", _("An area's name has between 1 and %(max)s characters.", max=AREA_NAME_MAX))
    if db.session.scalar(select(ThematicArea.id).where(ThematicArea.cycle_id == cycle.id,
                                                       ThematicArea.name == name)) is not None:
        raise DomainError("name", _("This cycle already has an area with that name."))
    position = db.session.scalar(select(func.count(ThematicArea.id)).where(ThematicArea.cycle_id == cycle.id))
    area = ThematicArea(cycle_id=cycle.id, name=name, position=position)
    db.session.add(area)
    record_event(area, "CREATED", actor=actor)
    return area


def areas(cycle) -> list[ThematicArea]:
    return list(db.session.scalars(select(ThematicArea).where(ThematicArea.cycle_id == cycle.id)
                                   .order_by(ThematicArea.position, ThematicArea.id)))


def _area_of(cycle, area) -> ThematicArea:
    """The area, which must be one of this cycle's (a forged id from another cycle is refused)."""
    area_id = getattr(area, "id", area)
    found = db.session.get(ThematicArea, area_id) if isinstance(area_id, int) else None
    if found is None or found.cycle_id != cycle.id:
        raise DomainError("area", _("Choose one of this cycle's thematic areas."))
    return found


def entity_suggestions(cycle) -> list[str]:
    return [entity.name for entity in cycle.jurisdiction.entities]


# --- what a proposal says ----------------------------------------------------------------------

def _text(value, field, maximum, *, required=True, message=None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise DomainError(field, str(message or _("This field is required.")))
    if len(value) > maximum:
        raise DomainError(field, _("This text has at most %(max)s characters.", max=maximum))
    return value


def _values(values) -> list[OgpValue]:
    chosen = []
    for value in values or ():
        try:
            member = value if isinstance(value, OgpValue) else OgpValue[value]
        except KeyError:
            raise DomainError("values", _("Choose among the values offered.")) from None
        if member not in chosen:
            chosen.append(member)
    if not chosen:
        raise DomainError("values", _("Choose at least one of the Open Government values it serves."))
    return sorted(chosen, key=lambda member: member.name)


def _content(cycle, *, title, problem, body, area, values, entity_name) -> dict:
    """The checked content of a proposal, ready to set on a Proposal or a version."""
    return {
        "title": _text(title, "title", TITLE_MAX, message=_("Give the proposal a title.")),
        "problem": _text(problem, "problem", PROBLEM_MAX, message=_("Describe the problem it addresses.")),
        "body": _text(body, "body", BODY_MAX, message=_("Write the proposal.")),
        "area": _area_of(cycle, area),
        "values": _values(values),
        "entity_name": _text(entity_name, "entity_name", ENTITY_MAX, required=False) or None,
    }


def _apply(proposal, content) -> None:
    proposal.title = content["title"]
    proposal.problem = content["problem"]
    proposal.body = content["body"]
    proposal.area = content["area"]
    proposal.entity_name = content["entity_name"]
    proposal.entity_id = _entity_id(proposal.cycle, content["entity_name"])
    proposal.value_rows = [ProposalValue(value=value) for value in content["values"]]
    proposal.title_terms = " ".join(similarity.terms(proposal.title))
    proposal.body_terms = " ".join(similarity.terms(f"{proposal.problem}\n{proposal.body}"))


def index_rows(proposal) -> list[dict]:
    """The proposal's rows of the term index (proposal_term), from its text as set by `_apply`."""
    searchable = similarity.words(" ".join(
        filter(None, (proposal.reference, proposal.title, proposal.problem, proposal.body, proposal.entity_name))))
    entries = similarity.index_entries(proposal.title_terms.split(), proposal.body_terms.split(), searchable)
    return [{"cycle_id": proposal.cycle_id, "term": term, "proposal_id": proposal.id, "weight": weight}
            for term, weight in entries.items()]


def _index(proposal, *, previous=()) -> None:
    """Write the proposal's rows of the term index, in place of those of its previous text (`previous`:
    index_rows before the text changed). They are found through the (cycle, term) index, the table's only one."""
    if previous:
        db.session.execute(delete(proposal_term).where(
            proposal_term.c.cycle_id == proposal.cycle_id, proposal_term.c.proposal_id == proposal.id,
            proposal_term.c.term.in_(sorted({row["term"] for row in previous}))))
    db.session.execute(insert(proposal_term), index_rows(proposal))


def _entity_id(cycle, name) -> int | None:
    if not name:
        return None
    wanted = similarity.fold(name)
    return next((entity.id for entity in cycle.jurisdiction.entities if similarity.fold(entity.name) == wanted), None)


def _snapshot(proposal, *, actor) -> ProposalVersion:
    version = ProposalVersion(
        proposal=proposal, number=proposal.version_count, title=proposal.title, problem=proposal.problem,
        body=proposal.body, area=proposal.area, entity_name=proposal.entity_name,
        value_codes=",".join(value.name for value in proposal.values), created_at=clock.now(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    return version


# --- who submits, and when ---------------------------------------------------------------------

def _intake(cycle):
    phase = cycle.phase(PhaseKind.INTAKE)
    if phase is None:
        raise DomainError(None, _("This cycle does not receive proposals."))
    return phase


def intake_open(cycle, sector: Sector | None = None, at=None) -> bool:
    """Is the cycle's intake open now (for `sector`, or for any sector when None)?"""
    phase = cycle.phase(PhaseKind.INTAKE)
    if phase is None:
        return False
    at = at or clock.now()
    if sector is not None:
        return cycles.accepting(phase, at, sector)
    return any(cycles.accepting(phase, at, each) for each in Sector)


def intake_notice(cycle, sector: Sector | None = None) -> str | None:
    """Why the cycle takes no proposal now (from `sector`, or from anyone), with the local time; or None."""
    if intake_open(cycle, sector):
        return None
    try:
        cycles.require_accepting(_intake(cycle), clock.now(), sector)
    except DomainError as refusal:
        return refusal.message
    return _("Proposal intake is not open.")


def editable(proposal) -> bool:
    """May its text still change: under consideration, and its sector's intake window open."""
    return proposal.state is ProposalState.SUBMITTED and intake_open(proposal.cycle, proposal.sector)


def local_today(cycle) -> date:
    return to_local(clock.now(), cycle.jurisdiction.timezone).date()


def submitter_choices(user) -> list:
    """The organisations `user` may submit for (verified, and verified as their representative)."""
    return organisations.verified_organisations(user)


def _sector_for(user, organisation) -> Sector:
    """The sector a submission counts in: the organisation's, which the person must represent."""
    if organisation is None:
        return Sector.CIUDADANIA
    organisations.require_sector(user, organisation.sector, organisation)
    return organisation.sector


# --- drafts ------------------------------------------------------------------------------------

def save_draft(*, cycle, owner, actor, draft=None, title="", problem="", body="", area=None, values=(),
               entity_name="", organisation=None, uploads=(), remove_attachments=()) -> Draft:
    """Create or update `owner`'s private draft in `cycle`. Always allowed, even with the window
    closed: what a person typed is never lost. Uploads are checked and stored at once; a refusal
    leaves the draft as it was."""
    if draft is not None and (draft.owner_id != owner.id or draft.cycle_id != cycle.id):
        raise DomainError(None, _("This draft is not yours."))
    if draft is not None and draft.is_sent:
        raise DomainError(None, _("This draft was already sent."))
    if organisation is not None:
        _sector_for(owner, organisation)
    with db.session.begin_nested():
        if draft is None:
            draft = Draft(cycle_id=cycle.id, owner_id=owner.id)
            db.session.add(draft)
            record_event(draft, "CREATED", actor=actor, public=False)
        draft.title = _text(title, "title", TITLE_MAX, required=False)
        draft.problem = _text(problem, "problem", PROBLEM_MAX, required=False)
        draft.body = _text(body, "body", BODY_MAX, required=False)
        draft.entity_name = _text(entity_name, "entity_name", ENTITY_MAX, required=False) or None
        draft.area_id = _area_of(cycle, area).id if area not in (None, "") else None
        draft.value_codes = ",".join(value.name for value in (_values(values) if values else []))
        draft.organisation_id = organisation.id if organisation is not None else None
        removed = set(remove_attachments)
        for attachment in draft.attachments:
            if attachment.id in removed:
                attachment.removed_at = clock.now()
        db.session.flush()
        db.session.expire(draft, ["attachments"])
        _store_uploads(uploads, draft=draft, actor=actor)
    return draft


def _store_uploads(uploads, *, actor, draft=None, proposal=None, public=True) -> list[Attachment]:
    uploads = [upload for upload in uploads or () if upload is not None and getattr(upload, "filename", "")]
    present = len((draft or proposal).attachments)
    if present + len(uploads) > ATTACHMENTS_MAX:
        raise DomainError("attachments", _("At most %(max)s files can be attached.", max=ATTACHMENTS_MAX))
    stored = []
    for upload in uploads:
        kept = storage.store(upload, max_bytes=ATTACHMENT_MAX_BYTES, field="attachments")
        attachment = Attachment(key=kept.key, content_type=kept.content_type, size=kept.size,
                                original_name=kept.original_name, public=public,
                                draft_id=getattr(draft, "id", None), proposal_id=getattr(proposal, "id", None),
                                uploaded_by_id=getattr(actor, "id", None), created_at=clock.now())
        db.session.add(attachment)
        stored.append(attachment)
    db.session.flush()
    db.session.expire(draft or proposal, ["attachments"])
    return stored


def drafts_of(owner, cycle=None) -> list[Draft]:
    """`owner`'s unsent drafts (in `cycle`), newest first."""
    query = select(Draft).where(Draft.owner_id == owner.id, Draft.proposal_id.is_(None))
    if cycle is not None:
        query = query.where(Draft.cycle_id == cycle.id)
    return list(db.session.scalars(query.order_by(Draft.updated_at.desc(), Draft.id.desc())))


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


# --- sending -----------------------------------------------------------------------------------

def send_draft(draft, *, idempotency_key, actor) -> Proposal:
    """Send a draft as a proposal. The draft stays (with its text) if anything refuses it."""
    if draft.owner_id != getattr(actor, "id", None):
        raise DomainError(None, _("This draft is not yours."))
    if draft.is_sent:
        return draft.proposal
    proposal = submit_proposal(
        cycle=draft.cycle, author=actor, title=draft.title, problem=draft.problem, body=draft.body,
        area=draft.area_id, values=draft.values, entity_name=draft.entity_name,
        organisation=draft.organisation, idempotency_key=idempotency_key, actor=actor,
        attachments=draft.attachments,
    )
    draft.proposal_id = proposal.id
    return proposal


def submit_proposal(*, cycle, author, title, problem, body, area, values, actor, entity_name=None,
                    organisation=None, attachments=(), idempotency_key=None) -> Proposal:
    """Receive a proposal through the form (formulario único).

    cycle: the Cycle; author: the User sending it, who is also the `actor` (people send in their
    own name, or for an organisation they represent; moderators use `enter_from_channel`); title, problem, body: plain text; area: a ThematicArea (or its id) of the cycle;
    values: OgpValue members (or their names), at least one; entity_name: the public entity it
    concerns, free text; organisation: a verified Organisation that `author` represents, or None to
    submit as ciudadanía; attachments: Attachment rows already stored (a draft's), or uploads
    (FileStorage) to store, at most three; idempotency_key: the review page's key — a second
    call with the same key returns the first proposal instead of making another.

    Refused (DomainError) when the intake window for the submitter's sector is not open at
    clock.now() (WindowClosed names the closing time in the jurisdiction's zone), when the person
    does not represent the organisation, or when a field is empty or too long. Queues the receipt.
    """
    if getattr(actor, "id", None) != getattr(author, "id", None):
        raise PermissionDenied("submit_proposal")
    if idempotency_key:
        existing = _by_key(idempotency_key)
        if existing is not None:
            if existing.author_id != getattr(author, "id", None):
                raise DomainError(None, _("This form was already used. Open the form again."))
            return existing
    require(actor, "submit_proposal", cycle)
    sector = _sector_for(author, organisation)
    cycles.require_accepting(_intake(cycle), clock.now(), sector)
    content = _content(cycle, title=title, problem=problem, body=body, area=area, values=values,
                       entity_name=entity_name)
    proposal, created = _receive(cycle, content, channel=Channel.FORM, sector=sector, author=author,
                                 organisation=organisation, idempotency_key=idempotency_key, actor=actor,
                                 received_on=local_today(cycle))
    if not created:
        if proposal.author_id != getattr(author, "id", None):
            raise DomainError(None, _("This form was already used. Open the form again."))
        return proposal
    _attach(proposal, attachments, actor=actor, public=True)
    _mail_author(proposal, _l("We received your proposal %(reference)s"), "receipt")
    return proposal


def enter_from_channel(*, cycle, channel, received_on, submitter_name, sector, title, problem, body, area,
                       values, actor, submitter_email=None, organisation=None, entity_name=None,
                       originals=(), idempotency_key=None) -> Proposal:
    """A moderator enters a proposal that arrived by another channel; it counts like any other.

    channel: a Channel other than FORM (letter, email, agency submission to the Comisión);
    received_on: the local date it arrived; submitter_name: the person or body that sent it, shown
    publicly; submitter_email: how to reach them (private: moderators only), told by email if the
    proposal is found not admissible; sector: the Sector it counts in; organisation: an optional
    registered Organisation it came from (its sector must match); originals: uploads of the
    letter or message (stored, moderators only: they carry contact data); the other fields as in
    `submit_proposal`. No intake window applies: a letter that arrived in time is typed in later.
    """
    require(actor, "moderate", cycle)
    if channel not in Channel or channel is Channel.FORM:
        raise DomainError("channel", _("Choose how the proposal arrived."))
    if not isinstance(received_on, date) or received_on > local_today(cycle):
        raise DomainError("received_on", _("Give the date it arrived (not in the future)."))
    if sector not in Sector:
        raise DomainError("sector", _("Choose a sector."))
    if organisation is not None and organisation.sector != sector:
        raise DomainError("organisation", _("The organisation belongs to another sector."))
    if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
        return existing
    content = _content(cycle, title=title, problem=problem, body=body, area=area, values=values,
                       entity_name=entity_name)
    proposal, created = _receive(
        cycle, content, channel=channel, sector=sector, author=None, organisation=organisation,
        idempotency_key=idempotency_key, actor=actor, received_on=received_on,
        submitter_name=_text(submitter_name, "submitter_name", NAME_MAX,
                             message=_("Write who sent the proposal.")),
        submitter_email=_text(submitter_email, "submitter_email", 254, required=False) or None,
        entered_by_id=actor.id,
    )
    if created:
        _attach(proposal, originals, actor=actor, public=False)
    return proposal


def channel_organisations() -> list:
    """The registered organisations a proposal from another channel may be attributed to."""
    return list(db.session.scalars(select(Organisation).where(Organisation.state == OrganisationState.VERIFIED)
                                   .order_by(Organisation.name)))


def _by_key(key) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.idempotency_key == key))


def _next_number(cycle) -> int:
    """The cycle's next reference number: a conditional UPDATE on the counter row, so concurrent
    senders each get their own number and a rolled-back send gives its number back."""
    if db.session.get(ReferenceCounter, cycle.id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(ReferenceCounter(cycle_id=cycle.id, last_number=0))
        except IntegrityError:
            pass  # another sender created it first
    return db.session.execute(
        update(ReferenceCounter).where(ReferenceCounter.cycle_id == cycle.id)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _receive(cycle, content, *, idempotency_key, actor, **columns) -> tuple[Proposal, bool]:
    """Number, store and record a received proposal. Two posts with one key give one proposal:
    the second gets (the first, False)."""
    key = idempotency_key or new_idempotency_key()
    try:
        with db.session.begin_nested():
            number = _next_number(cycle)
            proposal = Proposal(cycle=cycle, number=number, reference=f"{cycle.code}-{number:04d}",
                                idempotency_key=key, submitted_at=clock.now(), **columns)
            _apply(proposal, content)
            db.session.add(proposal)
            db.session.flush()
            _index(proposal)
    except IntegrityError:
        existing = _by_key(key)
        if existing is None:
            raise
        return existing, False
    transition(proposal, ProposalState.SUBMITTED, actor=actor)
    _snapshot(proposal, actor=actor)
    return proposal, True


def _attach(proposal, attachments, *, actor, public) -> None:
    rows = [item for item in attachments or () if isinstance(item, Attachment)]
    for row in rows:
        row.proposal_id = proposal.id
    uploads = [item for item in attachments or () if not isinstance(item, Attachment)]
    db.session.flush()
    db.session.expire(proposal, ["attachments"])
    _store_uploads(uploads, proposal=proposal, actor=actor, public=public)


def proposal_url_values(proposal) -> dict:
    return {"slug": proposal.cycle.jurisdiction.slug, "cycle_slug": proposal.cycle.slug,
            "reference": proposal.reference}


def _mail_author(proposal, subject, template, **context) -> None:
    """Tell the person who sent it, in their language; other channels only when an address was given."""
    if proposal.author is not None:
        recipient, name, locale = proposal.author, proposal.author.public_name, proposal.author.locale
    else:
        recipient, name, locale = proposal.submitter_email, proposal.submitter_name, None
    if not getattr(recipient, "email", recipient):
        return
    url = absolute_url("proposals.detail", **proposal_url_values(proposal))
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(recipient, subject=str(subject) % {"reference": proposal.reference},
                    template=f"proposals/email/{template}", proposal=proposal, name=name, url=url, **context)


# --- after sending -----------------------------------------------------------------------------

def edit(proposal, *, title, problem, body, area, values, actor, entity_name=None) -> ProposalVersion:
    """The author (or a representative of its organisation) changes a proposal while the intake
    window of its sector is open. Every edit becomes a new, readable version."""
    require(actor, "edit_proposal", proposal)
    if proposal.state is not ProposalState.SUBMITTED:
        raise DomainError(None, _("Only a proposal that is still under consideration can be edited."))
    cycles.require_accepting(_intake(proposal.cycle), clock.now(), proposal.sector)
    content = _content(proposal.cycle, title=title, problem=problem, body=body, area=area, values=values,
                       entity_name=entity_name)
    previous = index_rows(proposal)
    _apply(proposal, content)
    _index(proposal, previous=previous)
    proposal.version_count += 1
    proposal.edited_at = clock.now()
    record_event(proposal, "EDITED", actor=actor)
    return _snapshot(proposal, actor=actor)


def withdraw(proposal, *, reason, actor, note="") -> None:
    """The author withdraws it, saying why (a WithdrawalReason; OTHER needs `note`). It stays
    visible, marked as withdrawn, and still counts as received."""
    require(actor, "withdraw_proposal", proposal)
    if not isinstance(reason, WithdrawalReason):
        raise DomainError("reason", _("Choose why you withdraw it."))
    note = _text(note, "note", REASON_MAX, required=reason is WithdrawalReason.OTHER,
                 message=_("Tell us why you withdraw it."))
    proposal.withdrawal_reason = reason
    proposal.state_note = note or None
    transition(proposal, ProposalState.WITHDRAWN, actor=actor, reason=note or reason.name)


def mark_inadmissible(proposal, *, reason, actor) -> None:
    """A moderator finds it not admissible (spam, abuse) with a public reason, told to its sender."""
    require(actor, "moderate", proposal)
    reason = _text(reason, "reason", REASON_MAX, message=_("Give the reason; the author will read it."))
    proposal.state_note = reason
    transition(proposal, ProposalState.INADMISSIBLE, actor=actor, reason=reason)
    _mail_author(proposal, _l("Your proposal %(reference)s was found not admissible"), "inadmissible",
                 reason=reason)


# --- the register ------------------------------------------------------------------------------

def received(cycle, *, sector=None, area=None, state=None, channel=None, organisation=None, q=None):
    """The SELECT of the proposals received in `cycle`, filtered: the one definition of
    "propuestas recibidas" that pages, exports and statistics use."""
    query = received_in([cycle.id])
    if sector is not None:
        query = query.where(Proposal.sector == sector)
    if area is not None:
        query = query.where(Proposal.area_id == getattr(area, "id", area))
    if state is not None:
        query = query.where(Proposal.state == state)
    if channel is not None:
        query = query.where(Proposal.channel == channel)
    if organisation is not None:
        query = query.where(Proposal.organisation_id == getattr(organisation, "id", organisation))
    matching = [select(proposal_term.c.proposal_id).where(proposal_term.c.cycle_id == cycle.id,
                                                         proposal_term.c.term >= word,
                                                         proposal_term.c.term < word + PREFIX_END)
                for word in similarity.search_words(q)]
    if matching:
        # A word matches the proposals with a term that begins with it, a range of the index; every
        # word must match. One INTERSECT reads each range once: PostgreSQL, which cannot estimate how
        # many terms a range holds, looped one word's range inside the other's (25 s at 10,000 proposals).
        query = query.where(Proposal.id.in_(matching[0] if len(matching) == 1 else intersect(*matching)))
    return query.order_by(Proposal.number)


def received_in(cycle_ids):
    """The proposals received in several cycles at once (unfiltered, unordered): `received()`'s rows,
    for figures grouped by cycle. Drafts are another table, so every proposal row counts."""
    return select(Proposal).where(Proposal.cycle_id.in_(list(cycle_ids)))


def tallies_by_cycle(cycle_ids) -> list[tuple]:
    """(cycle_id, sector, area_id, channel, how many) of the received proposals of these cycles, in
    one grouped statement: the statistics' per-sector, per-area and per-channel figures add these up."""
    inner = received_in(cycle_ids).subquery()
    keys = (inner.c.cycle_id, inner.c.sector, inner.c.area_id, inner.c.channel)
    return [tuple(row) for row in db.session.execute(select(*keys, func.count()).group_by(*keys)).all()]


def received_count(cycle, **filters) -> int:
    inner = received(cycle, **filters).order_by(None).with_only_columns(Proposal.id).subquery()
    return db.session.scalar(select(func.count()).select_from(inner))


def counts(cycle, *, areas_shown=None, **filters) -> dict:
    """How many received proposals per sector and per area (zeros included) and in all, for the
    register: one grouped statement, answered from the (cycle, sector, area) index when unfiltered.
    areas_shown: the cycle's areas when the caller has them already (areas(cycle))."""
    inner = received(cycle, **filters).order_by(None).with_only_columns(Proposal.sector, Proposal.area_id).subquery()
    rows = db.session.execute(select(inner.c.sector, inner.c.area_id, func.count())
                              .group_by(inner.c.sector, inner.c.area_id)).all()
    by_sector, by_area = {}, {}
    for sector, area_id, n in rows:
        by_sector[sector] = by_sector.get(sector, 0) + n
        by_area[area_id] = by_area.get(area_id, 0) + n
    return {"sector": [(sector, by_sector.get(sector, 0)) for sector in Sector],
            "area": [(area, by_area.get(area.id, 0)) for area in (areas_shown or areas(cycle))],
            "total": sum(by_sector.values())}


def listing_page(cycle, *, total, **filters):
    """A page (?page=) of the register: `listing()` read from the nearer end of the `total` rows."""
    forward = listing(cycle, **filters)
    return paginate_from_either_end(forward, forward.order_by(None).order_by(Proposal.number.desc()), total=total)


def listing(cycle, **filters):
    """`received()` with what a register row shows loaded in the same query."""
    return received(cycle, **filters).options(joinedload(Proposal.area), joinedload(Proposal.organisation),
                                              joinedload(Proposal.author))


def find(cycle, reference) -> Proposal | None:
    """The proposal with what its page shows, read in one statement; its cycle is the one given."""
    proposal = db.session.scalar(
        select(Proposal).where(Proposal.cycle_id == cycle.id, Proposal.reference == reference)
        .options(joinedload(Proposal.area), joinedload(Proposal.organisation), joinedload(Proposal.author),
                 joinedload(Proposal.value_rows)))
    if proposal is not None:
        set_committed_value(proposal, "cycle", cycle)
    return proposal


def similar_to(cycle, *, title, text, exclude=None, limit=SIMILAR_SHOWN) -> list[tuple[Proposal, float]]:
    """The proposals already received in `cycle` most like this text, best first, with their score.

    Read from the term index, never every proposal: the candidates are the proposals sharing most
    of the text's rarer terms (SIMILAR_CANDIDATES of them), ranked by similarity.rank with how many
    of the cycle's proposals hold each term (FREQUENCY_SAMPLE)."""
    wanted = similarity.vector(similarity.terms(title), similarity.terms(text))
    if not wanted:
        return []
    total, lowest_id, scale = _frequency_sample(cycle)
    keys = {term[:similarity.TERM_MAX] for term in wanted}
    frequency = _frequencies(cycle, keys, lowest_id, scale)
    weights = {}
    for term, count in wanted.items():
        key = term[:similarity.TERM_MAX]
        weights[key] = weights.get(key, 0) + count * similarity.idf(frequency.get(key, 0), total + 1) ** 2
    rarest, postings = [], 0
    for key in sorted(keys, key=lambda key: (frequency.get(key, 0), key)):
        if rarest and postings + frequency.get(key, 0) > SIMILAR_POSTINGS:
            break
        rarest.append(key)
        postings += frequency.get(key, 0)
    candidates = _candidates(cycle, {key: weights[key] for key in rarest}, exclude)
    if not candidates:
        return []
    seen = {term for _key, title_terms, body_terms in candidates for term in f"{title_terms} {body_terms}".split()}
    frequency.update(_frequencies(cycle, {term[:similarity.TERM_MAX] for term in seen} - keys, lowest_id, scale))
    ranked = similarity.rank(title, text, candidates, limit=limit, total=total + 1,
                             frequency={term: frequency.get(term[:similarity.TERM_MAX], 0) for term in seen | set(wanted)})
    if not ranked:
        return []
    loaded = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_([k for k, _ in ranked])))}
    return [(loaded[key], score) for key, score in ranked]


def _frequency_sample(cycle) -> tuple[int, int, float]:
    """(how many proposals the cycle received, the lowest id counted for term frequencies, the
    factor that scales a count among those to the cycle)."""
    # Numbers run from 1 without gaps (a rolled-back send gives its number back).
    total = db.session.scalar(select(func.max(Proposal.number)).where(Proposal.cycle_id == cycle.id)) or 0
    if total <= FREQUENCY_SAMPLE:
        return total, 0, 1.0
    lowest = db.session.scalar(select(Proposal.id).where(Proposal.cycle_id == cycle.id,
                                                         Proposal.number == total - FREQUENCY_SAMPLE + 1))
    return total, lowest or 0, total / FREQUENCY_SAMPLE


def _frequencies(cycle, terms, lowest_id, scale) -> dict[str, float]:
    """How many of the cycle's proposals hold each of these stems, from the index (see _frequency_sample)."""
    if not terms:
        return {}
    rows = db.session.execute(
        select(proposal_term.c.term, func.count())
        .where(proposal_term.c.cycle_id == cycle.id, proposal_term.c.term.in_(sorted(terms)),
               proposal_term.c.weight > 0, proposal_term.c.proposal_id >= lowest_id)
        .group_by(proposal_term.c.term))
    return {term: count * scale for term, count in rows}


def _candidates(cycle, weights, exclude) -> list[tuple]:
    """(id, title_terms, body_terms) of the proposals that may be offered as similar and share most
    of these terms, each weighed as given (its weight in the text and its rarity): one grouped statement."""
    score = func.sum(proposal_term.c.weight * case(weights, value=proposal_term.c.term, else_=0)).label("score")
    shared = (select(proposal_term.c.proposal_id, score)
              .where(proposal_term.c.cycle_id == cycle.id, proposal_term.c.term.in_(sorted(weights)),
                     proposal_term.c.weight > 0)
              .group_by(proposal_term.c.proposal_id)
              # Twice as many: the state is read afterwards, for these rows only.
              .order_by(score.desc(), proposal_term.c.proposal_id).limit(2 * SIMILAR_CANDIDATES))
    if exclude is not None:
        shared = shared.where(proposal_term.c.proposal_id != exclude.id)
    shared = shared.subquery()
    return [tuple(row) for row in db.session.execute(
        select(Proposal.id, Proposal.title_terms, Proposal.body_terms)
        .join(shared, shared.c.proposal_id == Proposal.id)
        .where(Proposal.state.not_in(NOT_SIMILAR_STATES))
        .order_by(shared.c.score.desc(), Proposal.id).limit(SIMILAR_CANDIDATES))]


def public_history(proposal):
    return history(proposal, public_only=True)


def contact_addresses(proposals) -> dict[int, str | None]:
    """The private contact address of each proposal's sender, for the moderators' register."""
    return {p.id: (p.author.email if p.author is not None else p.submitter_email) for p in proposals}


# --- exports -----------------------------------------------------------------------------------

EXPORT_COLUMNS = exports.columns(
    ("reference", _l("The proposal's code in the cycle (prefix and number), as its page shows it.")),
    ("title", _l("Its title, as its author wrote it.")),
    ("problem", _l("The problem it addresses.")),
    ("proposal", _l("What it proposes.")),
    ("thematic_area", _l("The cycle's thematic area it was sent to.")),
    ("ogp_values", _l("The Open Government values it names (codes, separated by semicolons in CSV and XLSX).")),
    ("entity", _l("The public entity it concerns, if its author named one.")),
    ("sector", _l("The sector it came from (code).")),
    ("organisation", _l("The organisation it was sent for, if any.")),
    ("author", _l("Who it is shown as: the organisation, or the person's public name.")),
    ("channel", _l("How it was received (code): the form, a letter, an agency's submission...")),
    ("received_on", _l("The day it was received (YYYY-MM-DD, the jurisdiction's local date).")),
    ("state", _l("Its state (code): submitted, withdrawn, not admissible, or triage's outcome.")),
    ("edited", _l("Whether its author edited it after sending it (1 or 0; true or false in JSON).")),
    ("url", _l("Its public page.")),
    ("merged_into", _l("The reference of the proposal it was merged into, if it was.")),
    ("response", _l("Its public reasoned response in force, as plain text.")),
)
EXPORT_FIELDS = exports.names(EXPORT_COLUMNS)


def export_rows(cycle, **filters) -> list[dict]:
    """The public fields of the received proposals, with the register's filters. Never contact data."""
    return list(stream_export_rows(cycle, **filters))


def stream_export_rows(cycle, **filters):
    """`export_rows` one at a time, read from the database in batches: for downloads of any size."""
    query = listing(cycle, **filters).options(selectinload(Proposal.value_rows), selectinload(Proposal.merged_into))
    for proposal in db.session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
        yield {
            "reference": proposal.reference, "title": proposal.title, "problem": proposal.problem,
            "proposal": proposal.body, "thematic_area": proposal.area.name,
            "ogp_values": [value.name for value in proposal.values], "entity": proposal.entity_name or "",
            "sector": proposal.sector.name, "organisation": proposal.organisation.name if proposal.organisation else "",
            "author": proposal.public_author, "channel": proposal.channel.name,
            "received_on": proposal.received_on.isoformat(), "state": proposal.state.name,
            "edited": proposal.is_edited, "url": absolute_url("proposals.detail", **proposal_url_values(proposal)),
            # Triage's outcome: the proposal it was merged into, and the public response as plain text.
            "merged_into": proposal.merged_into.reference if proposal.merged_into else "",
            "response": Markup(proposal.response or "").striptags(),
        }


def attachment_of(proposal, attachment_id) -> Attachment | None:
    found = db.session.get(Attachment, attachment_id)
    if found is None or found.proposal_id != proposal.id or found.removed_at is not None:
        return None
    return found


def stored_file(attachment) -> storage.StoredFile:
    return storage.StoredFile(key=attachment.key, content_type=attachment.content_type, size=attachment.size,
                              original_name=attachment.original_name)


def filter_choices(cycle) -> dict:
    """The organisations that sent proposals to this cycle, for the register's filter."""
    organisations_seen = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(Proposal.organisation_id).where(Proposal.cycle_id == cycle.id,
                                                   Proposal.organisation_id.is_not(None))))
        .order_by(Organisation.name))
    return {"organisations": list(organisations_seen), "areas": areas(cycle)}


# --- "download my data" ------------------------------------------------------------------------

def _own_proposals(user) -> list[dict]:
    rows = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id))
    return [{"reference": p.reference, "cycle": p.cycle.name, "title": p.title, "problem": p.problem,
             "proposal": p.body, "thematic_area": p.area.name, "ogp_values": [v.name for v in p.values],
             "entity": p.entity_name, "organisation": p.organisation.name if p.organisation else None,
             "sector": p.sector, "state": p.state, "submitted_at": p.submitted_at,
             "versions": [{"number": v.number, "title": v.title, "problem": v.problem, "proposal": v.body,
                           "created_at": v.created_at} for v in p.versions],
             "attachments": [a.original_name for a in p.attachments]} for p in rows]


def _own_drafts(user) -> list[dict]:
    rows = db.session.scalars(select(Draft).where(Draft.owner_id == user.id).order_by(Draft.id))
    return [{"cycle": d.cycle.name, "title": d.title, "problem": d.problem, "proposal": d.body,
             "thematic_area": d.area.name if d.area else None, "ogp_values": [value.name for value in d.values],
             "entity": d.entity_name, "sent_as": d.proposal.reference if d.proposal else None,
             "updated_at": d.updated_at} for d in rows]


register_data_export("proposals", _own_proposals)
register_data_export("proposal_drafts", _own_drafts)
