"""Triage: every received proposal gets an outcome with a public reasoned response.

What views, commands and the demo loader call (all flush, none commits; `actor` must moderate the
proposal's jurisdiction):

    decide(proposal, *, outcome, response, actor, merged_into=None, commitment=None, publish=True,
           version=None) -> PublishedResponse | Handling
        outcome: a ProposalState among OUTCOMES (UNDER_REVIEW, INADMISSIBLE, MERGED, ACCEPTED,
        NOT_ACCEPTED); response: the reasoned response (required; rich text, sanitised);
        merged_into: the Proposal (or its reference) a MERGED one is integrated into; commitment:
        the Commitment an ACCEPTED one went into (it is linked to it); publish=False only prepares
        the response (private until published); version: the number the form was shown with —
        another save since then is refused as "changed meanwhile" (StaleResponse). Publishing a
        final outcome emails the author; publishing on an answered proposal is a correction, and
        the earlier text stays in the public history.
    publish_prepared(proposals, *, actor) -> list[PublishedResponse]
    merge(proposal, *, into, response, actor, version=None) -> PublishedResponse
    undo_merge(proposal, *, actor, reason="") -> Proposal
    bulk_decide(proposals, *, outcome, template, actor, commitment=None, merged_into=None, publish=True)
        template: an AnswerTemplate or a text with placeholders; every proposal gets its own response
        ({autor}, {codigo}, {compromiso}, {propuesta_destino} filled in); all or nothing.
    preview(proposals, *, outcome, template, commitment=None, merged_into=None) -> list[Preview]
    create_template(jurisdiction, *, name, text, actor, outcome=None) -> AnswerTemplate
    add_note(proposal, *, text, actor) -> ModeratorNote
    claim(proposal, *, actor);  assign(proposal, *, to, actor)
    unanswered(cycle, **filters) (a SELECT);  count_unanswered(cycle) -> int
    clusters(cycle) -> list[list[Proposal]]
    coverage(cycle) -> Coverage;  asked_said_done(cycle) -> list[AreaOutcome]

"Received" is the intake domain's one definition (`consulta.proposals.services.received`);
"answered" is a received proposal in a final outcome (FINAL_OUTCOMES), which only a published
response puts it in; "pending" is received, neither answered nor withdrawn by its author.
A published response and a merge record are created together with the proposal's history row
that records the decision: that row is their creation record.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import case, func, select

from consulta.accounts.models import User
from consulta.commitments import services as commitments
from consulta.commitments.models import Commitment, CommitmentOrigin
from consulta.core import clock
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import can, require
from consulta.core.sanitize import clean_html
from consulta.core.sectors import Sector
from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Jurisdiction, JurisdictionKind, Role, RoleGrant
from consulta.proposals import services as proposals
from consulta.proposals import similarity
from consulta.proposals.models import FINAL_OUTCOMES, OPEN_STATES, Channel, Proposal, ProposalState, ThematicArea
from consulta.tables.models import TableProposal
from consulta.tables.services import tables_of
from consulta.triage.models import (
    AnswerTemplate, Handling, MergeRecord, ModeratorNote, PublishedResponse, ResponseKind, TemplateState,
)

OUTCOMES = (ProposalState.UNDER_REVIEW, ProposalState.INADMISSIBLE, ProposalState.MERGED, ProposalState.ACCEPTED,
            ProposalState.NOT_ACCEPTED)
RESPONSE_MAX = 10000
NOTE_MAX = 5000
REASON_MAX = 2000
TEMPLATE_NAME_MAX = 120
BULK_MAX = 500
# Unanswered proposals named by the consultation's gate; the coverage page lists them all.
GATE_NAMED = 10
PLACEHOLDERS = ("autor", "codigo", "compromiso", "propuesta_destino")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Above this cosine two proposals say nearly the same (the "similar proposals" of intake start far lower).
CLUSTER_SCORE = 0.45
# What a proposal can be merged into: one still standing on its own.
NOT_A_TARGET = frozenset({ProposalState.MERGED, ProposalState.WITHDRAWN, ProposalState.INADMISSIBLE})


class StaleResponse(DomainError):
    """Another moderator saved this response after the form was shown. Nothing is overwritten: the
    typed text comes back in the form and `current` holds the other one."""

    def __init__(self, handling, current: str):
        super().__init__("response", _("Another moderator changed this response meanwhile. Your text is kept "
                                       "below and theirs is shown beside it: combine them and save again."))
        self.version = handling.version
        self.current = current


# --- what is answered -----------------------------------------------------------------------------

def unanswered(cycle, **filters):
    """The SELECT of the received proposals still waiting for a final outcome (in review included)."""
    return proposals.received(cycle, **filters).where(Proposal.state.in_(OPEN_STATES))


def count_unanswered(cycle, **filters) -> int:
    inner = unanswered(cycle, **filters).order_by(None).with_only_columns(Proposal.id).subquery()
    return db.session.scalar(select(func.count()).select_from(inner))


def is_answered(proposal) -> bool:
    return proposal.state in FINAL_OUTCOMES


def all_answered(phase) -> str | None:
    """The consultation's gate: it stays shut while a received proposal lacks a published final outcome."""
    cycle = phase.cycle
    total = count_unanswered(cycle)
    if not total:
        return None
    named = db.session.scalars(unanswered(cycle).with_only_columns(Proposal.reference).limit(GATE_NAMED)).all()
    listed = ", ".join(named) + (", …" if total > len(named) else "")
    return ngettext("%(num)s received proposal still lacks a published final outcome: %(references)s.",
                    "%(num)s received proposals still lack a published final outcome: %(references)s.",
                    total, references=listed)


# --- handling: who has it, and the prepared response ------------------------------------------------

def handling_of(proposal) -> Handling | None:
    return db.session.scalar(select(Handling).where(Handling.proposal_id == proposal.id))


def _handling(proposal, *, actor) -> Handling:
    found = handling_of(proposal)
    if found is None:
        found = Handling(proposal_id=proposal.id)
        db.session.add(found)
        record_event(found, "CREATED", actor=actor, public=False)
    return found


def _moderator_of(proposal, person) -> None:
    if person is None or not can(person, "moderate", proposal):
        raise DomainError("assignee", _("Choose one of this jurisdiction's moderators."))


def claim(proposal, *, actor) -> Handling:
    """The acting moderator takes the proposal: the queue shows it as theirs."""
    return assign(proposal, to=actor, actor=actor)


def assign(proposal, *, to, actor) -> Handling:
    """Give the proposal to another moderator of its jurisdiction (None: nobody)."""
    require(actor, "moderate", proposal)
    if to is not None:
        _moderator_of(proposal, to)
    handling = _handling(proposal, actor=actor)
    handling.assignee_id = getattr(to, "id", None)
    db.session.flush()
    record_event(proposal, "ASSIGNED", actor=actor, reason=getattr(to, "display_name", ""), public=False)
    return handling


# --- responses ------------------------------------------------------------------------------------

def plain(html: str | None) -> str:
    """The text of a sanitised response without its markup (for emails and the history)."""
    return Markup(html or "").striptags()


def _clean_response(response, field_name="response") -> str:
    text = clean_html((response or "").replace("\r\n", "\n"))
    if not plain(text).strip():
        raise DomainError(field_name, _("Every outcome needs a public reasoned response."))
    if len(text) > RESPONSE_MAX:
        raise DomainError(field_name, _("This text has at most %(max)s characters.", max=RESPONSE_MAX))
    return text


def _outcome(outcome) -> ProposalState:
    if isinstance(outcome, str) and outcome in ProposalState.__members__:
        outcome = ProposalState[outcome]
    if outcome not in OUTCOMES:
        raise DomainError("outcome", _("Choose an outcome."))
    return outcome


def _proposal_of(cycle, proposal, field_name) -> Proposal:
    if isinstance(proposal, str):
        found = proposals.find(cycle, proposal.strip().upper())
        if found is None:
            raise DomainError(field_name, _("No proposal of this cycle has the reference %(reference)s.",
                                            reference=proposal.strip()))
        return found
    if not isinstance(proposal, Proposal):
        raise DomainError(field_name, _("Give the reference of a proposal of this cycle."))
    return proposal


def _merge_target(proposal, merged_into) -> Proposal:
    if merged_into in (None, ""):
        raise DomainError("merged_into", _("Say which proposal it is merged into."))
    target = _proposal_of(proposal.cycle, merged_into, "merged_into")
    if target.id == proposal.id:
        raise DomainError("merged_into", _("A proposal cannot be merged into itself."))
    if target.cycle_id != proposal.cycle_id:
        raise DomainError("merged_into", _("A proposal can only be merged into another of the same cycle."))
    if target.state in NOT_A_TARGET:
        raise DomainError("merged_into", _("%(reference)s is %(state)s: merge into a proposal that stands on its "
                                           "own.", reference=target.reference, state=target.state.label))
    if proposal.state is ProposalState.MERGED and proposal.merged_into_id != target.id:
        raise DomainError("merged_into", _("It is already merged into %(reference)s: undo that merge first.",
                                           reference=proposal.merged_into.reference))
    return target


def _commitment_for(proposal, commitment) -> Commitment:
    if isinstance(commitment, int) and not isinstance(commitment, bool):
        commitment = commitments.find(proposal.cycle, commitment)
    if not isinstance(commitment, Commitment) or commitment.cycle_id != proposal.cycle_id or not commitment.in_plan:
        raise DomainError("commitment", _("Choose the commitment of this cycle's plan it went into."))
    return commitment


def _targets(proposal, outcome, merged_into, commitment):
    target = _merge_target(proposal, merged_into) if outcome is ProposalState.MERGED else None
    into = _commitment_for(proposal, commitment) if outcome is ProposalState.ACCEPTED else None
    if outcome is not ProposalState.MERGED and proposal.state is ProposalState.MERGED:
        raise DomainError("outcome", _("It is merged into %(reference)s: undo the merge to give it another outcome.",
                                       reference=proposal.merged_into.reference))
    return target, into


def _current_text(proposal, handling) -> str:
    return (handling.draft_text if handling.has_draft else proposal.response) or ""


def _check_version(proposal, handling, version) -> None:
    if version is not None and version != handling.version:
        raise StaleResponse(handling, _current_text(proposal, handling))


def decide(proposal, *, outcome, response, actor, merged_into=None, commitment=None, publish=True, version=None):
    """Give `proposal` an outcome with its reasoned response (see the module's docstring). Returns the
    PublishedResponse, or the Handling holding the prepared response when `publish` is False."""
    require(actor, "moderate", proposal)
    outcome = _outcome(outcome)
    text = _clean_response(response)
    target, into = _targets(proposal, outcome, merged_into, commitment)
    handling = _handling(proposal, actor=actor)
    _check_version(proposal, handling, version)
    handling.version += 1
    if not publish:
        handling.draft_outcome, handling.draft_text = outcome, text
        handling.draft_merged_into_id = getattr(target, "id", None)
        handling.draft_commitment_id = getattr(into, "id", None)
        handling.drafted_by_id, handling.drafted_at = getattr(actor, "id", None), clock.now()
        return handling
    return _publish(proposal, handling, outcome=outcome, text=text, target=target, into=into, actor=actor)


def _clear_draft(handling) -> None:
    handling.draft_outcome = handling.draft_text = None
    handling.draft_merged_into_id = handling.draft_commitment_id = None
    handling.drafted_by_id = handling.drafted_at = None


def _record_response(proposal, *, kind, outcome, text, actor, target=None, into=None) -> PublishedResponse:
    number = (db.session.scalar(select(func.max(PublishedResponse.number))
                                .where(PublishedResponse.proposal_id == proposal.id)) or 0) + 1
    row = PublishedResponse(proposal_id=proposal.id, number=number, kind=kind, outcome=outcome, text=text,
                            merged_into_id=getattr(target, "id", None), commitment_id=getattr(into, "id", None),
                            published_at=clock.now(), published_by_id=getattr(actor, "id", None))
    db.session.add(row)
    return row


def _publish(proposal, handling, *, outcome, text, target, into, actor) -> PublishedResponse:
    correction = proposal.state in FINAL_OUTCOMES
    if outcome is ProposalState.MERGED and proposal.state is not ProposalState.MERGED:
        db.session.add(MergeRecord(proposal_id=proposal.id, target_id=target.id, previous_state=proposal.state,
                                   previous_response=proposal.response, merged_at=clock.now(),
                                   merged_by_id=getattr(actor, "id", None)))
        proposal.merged_into = target
    if into is not None:
        commitments.link_proposal(into, proposal, actor=actor)
    proposal.response = text
    if outcome is proposal.state:
        record_event(proposal, "RESPONSE_CORRECTED", actor=actor, reason=plain(text))
    else:
        transition(proposal, outcome, actor=actor, reason=plain(text))
    published = _record_response(proposal, kind=ResponseKind.CORRECTION if correction else ResponseKind.ANSWER,
                                 outcome=outcome, text=text, actor=actor, target=target, into=into)
    _clear_draft(handling)
    db.session.flush()
    if outcome in FINAL_OUTCOMES:
        _tell_author(proposal, _l("The response to your proposal %(reference)s"), "outcome", response=plain(text),
                     correction=correction, target=target, commitment=into)
    return published


def publish_prepared(proposals_list, *, actor) -> list[PublishedResponse]:
    """Publish together the responses prepared on these proposals (those without one are skipped)."""
    published = []
    for proposal in proposals_list:
        require(actor, "moderate", proposal)
        handling = handling_of(proposal)
        if handling is None or not handling.has_draft:
            continue
        target = db.session.get(Proposal, handling.draft_merged_into_id) if handling.draft_merged_into_id else None
        into = db.session.get(Commitment, handling.draft_commitment_id) if handling.draft_commitment_id else None
        outcome = handling.draft_outcome
        # The proposal may have moved since it was prepared (merged elsewhere, a commitment withdrawn).
        target, into = _targets(proposal, outcome, target, into)
        handling.version += 1
        published.append(_publish(proposal, handling, outcome=outcome, text=handling.draft_text, target=target,
                                  into=into, actor=actor))
    return published


def prepared(cycle) -> list[Proposal]:
    """The cycle's proposals with a response prepared and not published yet."""
    return list(db.session.scalars(select(Proposal).join(Handling, Handling.proposal_id == Proposal.id)
                                   .where(Proposal.cycle_id == cycle.id, Handling.draft_outcome.is_not(None))
                                   .order_by(Proposal.number)))


def responses_of(proposal) -> list[PublishedResponse]:
    """Every response published on it, oldest first: corrections keep the earlier texts."""
    return list(db.session.scalars(select(PublishedResponse).where(PublishedResponse.proposal_id == proposal.id)
                                   .order_by(PublishedResponse.number)))


def published_in(cycle):
    """The SELECT of every response published on the cycle's received proposals, in the order they
    were published: all public, corrections included."""
    received = proposals.received_in([cycle.id]).with_only_columns(Proposal.id)
    return (select(PublishedResponse).where(PublishedResponse.proposal_id.in_(received))
            .order_by(PublishedResponse.published_at, PublishedResponse.id))


def _tell_author(proposal, subject, template, **context) -> None:
    """Email the person who sent it, in their language (other channels: only with an address)."""
    if proposal.author is not None:
        recipient, name, locale = proposal.author, proposal.author.public_name, proposal.author.locale
    else:
        recipient, name, locale = proposal.submitter_email, proposal.submitter_name, None
    if not getattr(recipient, "email", recipient):
        return
    url = absolute_url("proposals.detail", **proposals.proposal_url_values(proposal))
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(recipient, subject=str(subject) % {"reference": proposal.reference},
                    template=f"triage/email/{template}", proposal=proposal, name=name, url=url, **context)


@dataclass
class PublicOutcome:
    """What a proposal's public page shows of its triage."""

    responses: list
    integrated: list
    commitments: list


def public_outcome(proposal) -> PublicOutcome:
    return PublicOutcome(responses=responses_of(proposal), integrated=integrated_into(proposal),
                         commitments=commitments.commitments_of_proposal(proposal))


# --- merges ---------------------------------------------------------------------------------------

def merge(proposal, *, into, response, actor, version=None) -> PublishedResponse:
    """Merge `proposal` into `into` (same cycle, not itself, not into a merged one): it stays public
    with its authors, marked as integrated into `into`, and its author is told."""
    return decide(proposal, outcome=ProposalState.MERGED, response=response, actor=actor, merged_into=into,
                  version=version)


def integrated_into(proposal) -> list[Proposal]:
    """The proposals merged into this one."""
    return list(db.session.scalars(select(Proposal).where(Proposal.merged_into_id == proposal.id)
                                   .order_by(Proposal.number)))


def _open_merge(proposal) -> MergeRecord | None:
    return db.session.scalar(select(MergeRecord).where(MergeRecord.proposal_id == proposal.id,
                                                       MergeRecord.undone_at.is_(None))
                             .order_by(MergeRecord.id.desc()).limit(1))


def undo_merge(proposal, *, actor, reason="") -> Proposal:
    """Undo the merge: the proposal gets back the state and the response it had before it."""
    require(actor, "moderate", proposal)
    record = _open_merge(proposal) if proposal.state is ProposalState.MERGED else None
    if record is None:
        raise DomainError(None, _("This proposal is not merged into another."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError("reason", _("This text has at most %(max)s characters.", max=REASON_MAX))
    target = proposal.merged_into
    proposal.merged_into = None
    proposal.response = record.previous_response
    transition(proposal, record.previous_state, actor=actor, reason=reason)
    if record.previous_response:
        _record_response(proposal, kind=ResponseKind.RESTORED, outcome=record.previous_state,
                         text=record.previous_response, actor=actor)
    record.undone_at, record.undone_by_id = clock.now(), getattr(actor, "id", None)
    _handling(proposal, actor=actor).version += 1
    db.session.flush()
    _tell_author(proposal, _l("Your proposal %(reference)s is no longer merged"), "merge_undone", target=target,
                 reason=reason)
    return proposal


# --- answer templates -----------------------------------------------------------------------------

def check_placeholders(text: str, field_name: str = "text") -> None:
    unknown = [name for name in _PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS]
    if unknown:
        raise DomainError(field_name, _("Unknown placeholder {%(name)s}: use {autor}, {codigo}, {compromiso} or "
                                        "{propuesta_destino}.", name=unknown[0]))


def _template_fields(jurisdiction, *, name, text, outcome, current=None) -> dict:
    name = (name or "").strip()
    if not name or len(name) > TEMPLATE_NAME_MAX:
        raise DomainError("name", _("A template's name has between 1 and %(max)s characters.",
                                    max=TEMPLATE_NAME_MAX))
    taken = db.session.scalar(select(AnswerTemplate.id).where(AnswerTemplate.jurisdiction_id == jurisdiction.id,
                                                              AnswerTemplate.name == name))
    if taken is not None and taken != getattr(current, "id", None):
        raise DomainError("name", _("This jurisdiction already has a template with that name."))
    check_placeholders(text)
    return {"name": name, "text": _clean_response(text, "text"),
            "outcome": _outcome(outcome) if outcome not in (None, "") else None}


def create_template(jurisdiction, *, name, text, actor, outcome=None) -> AnswerTemplate:
    """A response text for the jurisdiction's moderators, with placeholders; an unknown one is refused."""
    require(actor, "moderate", jurisdiction)
    template = AnswerTemplate(jurisdiction=jurisdiction,
                              **_template_fields(jurisdiction, name=name, text=text, outcome=outcome))
    db.session.add(template)
    transition(template, TemplateState.ACTIVE, actor=actor)
    return template


def update_template(template, *, name, text, actor, outcome=None) -> AnswerTemplate:
    require(actor, "moderate", template)
    fields = _template_fields(template.jurisdiction, name=name, text=text, outcome=outcome, current=template)
    changed = [key for key, value in fields.items() if getattr(template, key) != value]
    for key in changed:
        setattr(template, key, fields[key])
    if changed:
        db.session.flush()
        record_event(template, "EDITED", actor=actor, reason=", ".join(changed))
    return template


def set_template_state(template, state: TemplateState, *, actor) -> AnswerTemplate:
    require(actor, "moderate", template)
    if template.state is not state:
        transition(template, state, actor=actor)
    return template


def templates_of(jurisdiction, *, active_only=True) -> list[AnswerTemplate]:
    query = select(AnswerTemplate).where(AnswerTemplate.jurisdiction_id == jurisdiction.id)
    if active_only:
        query = query.where(AnswerTemplate.state == TemplateState.ACTIVE)
    return list(db.session.scalars(query.order_by(AnswerTemplate.name)))


def template_of(jurisdiction, template_id) -> AnswerTemplate | None:
    found = db.session.get(AnswerTemplate, template_id) if isinstance(template_id, int) else None
    return found if found is not None and found.jurisdiction_id == jurisdiction.id else None


def fill(text: str, proposal, *, commitment=None, merged_into=None) -> str:
    """A template's text for one proposal: its placeholders filled (each value escaped)."""
    check_placeholders(text, "template")
    values = {
        "autor": proposal.public_author,
        "codigo": proposal.reference,
        # Language-neutral: the template's own words say "compromiso" or "commitment".
        "compromiso": f"N° {commitment.number}, “{commitment.name}”" if commitment is not None else None,
        "propuesta_destino": f"{merged_into.reference}, “{merged_into.title}”" if merged_into is not None else None,
    }

    def value(match):
        name = match.group(1)
        if values[name] is None:
            field_name = "commitment" if name == "compromiso" else "merged_into"
            raise DomainError(field_name, _("The template names {%(name)s}: choose it first.", name=name))
        return str(escape(values[name]))

    return _PLACEHOLDER.sub(value, text or "")


def _template_text(template) -> str:
    return template.text if isinstance(template, AnswerTemplate) else (template or "")


def fill_in(template, proposal, *, merged_into=None, commitment=None) -> str:
    """A template's text filled for one proposal, to start its response from (nothing is saved)."""
    if template is None:
        raise DomainError("template", _("Choose a template."))
    target, into = _bulk_targets(proposal.cycle, commitment=commitment, merged_into=merged_into)
    return fill(template.text, proposal, commitment=into, merged_into=target)


@dataclass
class Preview:
    proposal: Proposal
    response: str | None = None
    error: str | None = None


def _bulk_targets(cycle, *, commitment, merged_into):
    target = _proposal_of(cycle, merged_into, "merged_into") if merged_into not in (None, "") else None
    into = commitment
    if isinstance(commitment, int) and not isinstance(commitment, bool):
        into = commitments.find(cycle, commitment)
    return target, into


def _selection(proposals_list) -> list[Proposal]:
    chosen = list(dict.fromkeys(proposals_list or ()))
    if not chosen:
        raise DomainError("proposals", _("Choose at least one proposal."))
    if len(chosen) > BULK_MAX:
        raise DomainError("proposals", _("Choose at most %(max)s proposals at a time.", max=BULK_MAX))
    if len({proposal.cycle_id for proposal in chosen}) > 1:
        raise DomainError("proposals", _("Choose proposals of one cycle."))
    return chosen


def preview(proposals_list, *, outcome, template, commitment=None, merged_into=None) -> list[Preview]:
    """Every response a bulk action would publish, or why one would be refused. Writes nothing."""
    chosen = _selection(proposals_list)
    outcome = _outcome(outcome)
    target, into = _bulk_targets(chosen[0].cycle, commitment=commitment, merged_into=merged_into)
    previews = []
    for proposal in chosen:
        try:
            text = _clean_response(fill(_template_text(template), proposal, commitment=into, merged_into=target))
            _targets(proposal, outcome, target, into)
        except DomainError as refusal:
            previews.append(Preview(proposal, error=refusal.message))
        else:
            previews.append(Preview(proposal, response=text))
    return previews


def bulk_decide(proposals_list, *, outcome, template, actor, commitment=None, merged_into=None, publish=True):
    """The same outcome for every proposal chosen, each with its own response from `template`.
    All or nothing: a refusal names the proposal and nothing is written."""
    chosen = _selection(proposals_list)
    outcome = _outcome(outcome)
    target, into = _bulk_targets(chosen[0].cycle, commitment=commitment, merged_into=merged_into)
    results = []
    current = None
    try:
        with db.session.begin_nested():
            for current in chosen:
                text = fill(_template_text(template), current, commitment=into, merged_into=target)
                results.append(decide(current, outcome=outcome, response=text, actor=actor, merged_into=target,
                                      commitment=into, publish=publish))
    except DomainError as refusal:
        raise DomainError(refusal.field, f"{current.reference}: {refusal.message}") from None
    return results


# --- notes ----------------------------------------------------------------------------------------

def add_note(proposal, *, text, actor) -> ModeratorNote:
    """A private note beside the proposal, for its jurisdiction's moderators only."""
    require(actor, "moderate", proposal)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("text", _("Write the note."))
    if len(text) > NOTE_MAX:
        raise DomainError("text", _("This text has at most %(max)s characters.", max=NOTE_MAX))
    note = ModeratorNote(proposal_id=proposal.id, author_id=actor.id, text=text, created_at=clock.now())
    db.session.add(note)
    record_event(note, "CREATED", actor=actor, public=False)
    return note


def notes_of(proposal) -> list[ModeratorNote]:
    return list(db.session.scalars(select(ModeratorNote).where(ModeratorNote.proposal_id == proposal.id)
                                   .order_by(ModeratorNote.id)))


# --- the moderators' queue ------------------------------------------------------------------------

SORTS = {"numero": Proposal.number, "-numero": Proposal.number.desc(), "recibida": Proposal.received_on,
         "-recibida": Proposal.received_on.desc()}


def _on_table(query, table):
    table_id = getattr(table, "id", table)
    return query.where(Proposal.id.in_(select(TableProposal.proposal_id).where(TableProposal.table_id == table_id)))


def queue(cycle, *, table=None, unanswered_only=False, assignee=None, sort="numero", **filters):
    """The moderators' queue: `received` with the register's filters, plus table, "unanswered only",
    assignee and sort."""
    query = unanswered(cycle, **filters) if unanswered_only else proposals.received(cycle, **filters)
    if table is not None:
        query = _on_table(query, table)
    if assignee is not None:
        query = query.where(Proposal.id.in_(select(Handling.proposal_id)
                                            .where(Handling.assignee_id == getattr(assignee, "id", assignee))))
    return query.order_by(None).order_by(SORTS.get(sort, Proposal.number), Proposal.id)


def next_unanswered(cycle, *, actor, after=None) -> Proposal | None:
    """The next unanswered proposal (after number `after`) that no other moderator has claimed."""
    taken_by_others = select(Handling.proposal_id).where(Handling.assignee_id.is_not(None),
                                                         Handling.assignee_id != actor.id)
    query = unanswered(cycle).where(Proposal.id.not_in(taken_by_others))
    if after is not None:
        later = db.session.scalar(query.where(Proposal.number > after).limit(1))
        if later is not None:
            return later
    return db.session.scalar(query.limit(1))


def handlings(proposals_list) -> dict[int, Handling]:
    ids = [proposal.id for proposal in proposals_list]
    if not ids:
        return {}
    return {row.proposal_id: row for row in db.session.scalars(select(Handling).where(Handling.proposal_id.in_(ids)))}


def moderators_of(jurisdiction) -> list:
    """The people who may moderate the jurisdiction (its own moderators and national ones)."""
    national = select(Jurisdiction.id).where(Jurisdiction.kind == JurisdictionKind.NATIONAL)
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.MODERATOR, RoleGrant.state == GrantState.ACTIVE,
               (RoleGrant.jurisdiction_id == jurisdiction.id) | RoleGrant.jurisdiction_id.in_(national))
        .distinct().order_by(User.display_name)))


# --- similarity clusters --------------------------------------------------------------------------

def clusters(cycle, *, min_score: float = CLUSTER_SCORE) -> list[list[Proposal]]:
    """Groups of the cycle's proposals that say nearly the same (intake's similarity), largest first.
    Only proposals still standing on their own take part: not withdrawn, inadmissible or merged."""
    rows = db.session.scalars(proposals.received(cycle).where(Proposal.state.not_in(NOT_A_TARGET))).all()
    candidates = [(row.id, row.title_terms, row.body_terms) for row in rows]
    parent = {row.id: row.id for row in rows}

    def root(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for row in rows:
        for other, _score in similarity.rank(row.title, f"{row.problem}\n{row.body}", candidates,
                                             limit=len(candidates), min_score=min_score):
            if other != row.id:
                parent[root(other)] = root(row.id)
    groups = defaultdict(list)
    for row in rows:
        groups[root(row.id)].append(row)
    found = [sorted(group, key=lambda p: p.number) for group in groups.values() if len(group) > 1]
    return sorted(found, key=lambda group: (-len(group), group[0].number))


# --- coverage -------------------------------------------------------------------------------------

@dataclass
class Tally:
    received: int = 0
    answered: int = 0
    withdrawn: int = 0

    @property
    def pending(self) -> int:
        return self.received - self.answered - self.withdrawn


@dataclass
class Coverage:
    total: Tally
    sector: list = field(default_factory=list)
    area: list = field(default_factory=list)
    channel: list = field(default_factory=list)
    table: list = field(default_factory=list)


GROUPS = ("recibidas", "respondidas", "pendientes", "retiradas")


def _tally_columns(inner) -> tuple:
    """Received, answered (a final outcome) and withdrawn, over a subquery of received proposals."""
    return (func.count(inner.c.id), func.sum(case((inner.c.state.in_(list(FINAL_OUTCOMES)), 1), else_=0)),
            func.sum(case((inner.c.state == ProposalState.WITHDRAWN, 1), else_=0)))


def _tallies(cycle, key, join=None) -> dict:
    """Tallies of the received proposals grouped by `key(inner)` (a column of the subquery)."""
    inner = proposals.received(cycle).order_by(None).subquery()
    query = select(key(inner), *_tally_columns(inner)).select_from(inner)
    if join is not None:
        query = join(query, inner)
    rows = db.session.execute(query.group_by(key(inner))).all()
    return {group: Tally(received, answered or 0, withdrawn or 0) for group, received, answered, withdrawn in rows}


def coverage(cycle) -> Coverage:
    """Received / answered with a final outcome / withdrawn / pending, in all and by sector, area,
    channel and working table."""
    by_sector = _tallies(cycle, lambda inner: inner.c.sector)
    # Every proposal counts in one sector: the sectors add up to the whole.
    total = Tally(*(sum(getattr(tally, name) for tally in by_sector.values())
                    for name in ("received", "answered", "withdrawn")))
    by_area = _tallies(cycle, lambda inner: inner.c.area_id)
    by_channel = _tallies(cycle, lambda inner: inner.c.channel)
    by_table = _tallies(cycle, lambda inner: TableProposal.table_id,
                        lambda query, inner: query.outerjoin(TableProposal, TableProposal.proposal_id == inner.c.id))
    areas = {area.id: area for area in proposals.areas(cycle)}
    tables = {table.id: table for table in tables_of(cycle)}
    return Coverage(
        total=total,
        sector=[(sector, by_sector[sector]) for sector in Sector if sector in by_sector],
        area=[(areas[key], tally) for key, tally in sorted(by_area.items(),
                                                           key=lambda item: (areas[item[0]].position, item[0]))],
        channel=[(channel, by_channel[channel]) for channel in Channel if channel in by_channel],
        table=[(tables.get(key), tally) for key, tally in sorted(by_table.items(), key=lambda item: (item[0] is None,
                                                                                                     item[0] or 0))],
    )


def coverage_by_cycle(cycle_ids) -> dict[int, Tally]:
    """`coverage(cycle).total` of several cycles in one statement (for statistics across cycles)."""
    inner = proposals.received_in(cycle_ids).subquery()
    rows = db.session.execute(select(inner.c.cycle_id, *_tally_columns(inner)).group_by(inner.c.cycle_id)).all()
    return {cycle_id: Tally(received, answered or 0, withdrawn or 0)
            for cycle_id, received, answered, withdrawn in rows}


def coverage_list(cycle, group, *, table=None, no_table=False, **filters):
    """The SELECT of the proposals a coverage figure counts (group: GROUPS)."""
    query = proposals.received(cycle, **filters)
    if group == "respondidas":
        query = query.where(Proposal.state.in_(FINAL_OUTCOMES))
    elif group == "pendientes":
        query = query.where(Proposal.state.in_(OPEN_STATES))
    elif group == "retiradas":
        query = query.where(Proposal.state == ProposalState.WITHDRAWN)
    if table is not None:
        query = _on_table(query, table)
    if no_table:
        query = query.where(Proposal.id.not_in(select(TableProposal.proposal_id)))
    return query


@dataclass
class AreaOutcome:
    """"Preguntamos, dijeron, hicimos" for one thematic area."""

    area: ThematicArea
    received: int
    outcomes: dict  # ProposalState -> count
    commitments: list  # (Commitment, how many of the area's proposals went into it)


def asked_said_done(cycle) -> list[AreaOutcome]:
    """Per area: how many proposals were received, their outcomes, and the commitments they went into."""
    inner = proposals.received(cycle).order_by(None).subquery()
    counts = db.session.execute(select(inner.c.area_id, inner.c.state, func.count()).group_by(inner.c.area_id,
                                                                                               inner.c.state)).all()
    went = db.session.execute(
        select(inner.c.area_id, Commitment, func.count(func.distinct(inner.c.id)))
        .join(CommitmentOrigin, CommitmentOrigin.proposal_id == inner.c.id)
        .join(Commitment, Commitment.id == CommitmentOrigin.commitment_id)
        .group_by(inner.c.area_id, Commitment.id).order_by(Commitment.number)).all()
    outcomes = defaultdict(dict)
    for area_id, state, number in counts:
        outcomes[area_id][state] = number
    into = defaultdict(list)
    for area_id, commitment, number in went:
        into[area_id].append((commitment, number))
    return [AreaOutcome(area, sum(outcomes[area.id].values()), outcomes[area.id], into[area.id])
            for area in proposals.areas(cycle) if outcomes.get(area.id)]
