"""The Municipal Open Government Model's rules.

Adhesion
  invite(jurisdiction, *, actor, reason="")                       national administrators
  record_adhesion(jurisdiction, *, mayor_name, signed_on, act_number, document=None, actor)
                                                                  the municipality's administrators
  advance_adhesion(adhesion, to, *, actor, reason="")             the municipality's administrators
Diagnostic instrument (national administrators)
  create_questionnaire_version(*, title, actor, copy_from=None)
  add_question(version, *, area, text, scale_max, weight=1, evidence_prompt="", short=False, actor)
  edit_question(question, *, area, text, scale_max, weight, evidence_prompt="", short=False, actor)
  publish_version(version, *, actor)
Diagnostic (the municipality's administrators)
  start_diagnostic(jurisdiction, *, actor)                        (a view calls lock_adhesion(slug) first)
  answer(diagnostic, question, *, value, evidence="", actor)
  save_answers(diagnostic, answers, *, actor, submit=False)
  submit_diagnostic(diagnostic, *, actor)
  scores(diagnostic) / scores_of(diagnostics)                     the stated scoring rule
Local organisations' short version (a verified local organisation's representatives)
  start_local_response(diagnostic, *, organisation, actor)        once per organisation and diagnostic
  save_local_answers(response, answers, *, actor, submit=False);  submit_local_response(response, *, actor)
  local_comparison(diagnostic)                                    shown beside, never in, the official score
Training and advice
  record_training(jurisdiction, *, kind, held_on, topic, attendees=(), actor)      national staff
  register_attendee(activity, *, user, actor)                     the person, or national staff
  check_in(attendee, *, actor);  walk_in(activity, *, name, affiliation="", actor)  national staff
Follow-up (public)
  followup_rows(...), regional_summary()

Every function flushes and never commits; refusals are DomainError(field, message).
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consulta.core import clock
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.i18n import local_date
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.storage import IMAGE_AND_PDF, store
from consulta.accounts.models import User
from consulta.cycles.models import Cycle, PhaseState
from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Jurisdiction, JurisdictionKind, Role, RoleGrant
from consulta.jurisdictions.regions import Region
from consulta.jurisdictions.services import SLUG_PATTERN
from consulta.monitoring import services as monitoring
from consulta.monitoring.models import Completion
from consulta.municipal.models import (
    ADHERENT_STATES, ActivityKind, Adhesion, AdhesionState, Answer, Area, Attendee, Diagnostic,
    DiagnosticState, LocalAnswer, LocalResponse, Question, QuestionnaireVersion, SupportActivity, VersionState,
)
from consulta.organisations.services import verified_organisations

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_CHARS = 2000
MAX_ATTENDEES = 1000
# How far ahead a session may be announced, for people to register.
SCHEDULE_AHEAD_DAYS = 366
DEFAULT_FAR_REGIONS = ("AP", "TA", "AN", "AT", "AI", "MA")


# --- Adhesion ---------------------------------------------------------------------------------

def adhesion_of(jurisdiction) -> Adhesion | None:
    return db.session.scalar(select(Adhesion).where(Adhesion.jurisdiction_id == jurisdiction.id))


def local_today(jurisdiction) -> date:
    return clock.now().astimezone(ZoneInfo(jurisdiction.timezone)).date()


def _require_municipality(jurisdiction, field_name="jurisdiction"):
    if jurisdiction is None or jurisdiction.kind != JurisdictionKind.MUNICIPALITY:
        raise DomainError(field_name, _("Only a municipality can take part in the Municipal Model."))


def _required_text(value, field_name: str, max_length: int, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(field_name, message)
    if len(value) > max_length:
        raise DomainError(field_name, _("Use at most %(max)s characters.", max=max_length))
    return value


def _not_in_future(day, jurisdiction, field_name: str) -> None:
    if not isinstance(day, date):
        raise DomainError(field_name, _("Enter a date."))
    today = local_today(jurisdiction)
    if day > today:
        raise DomainError(field_name, _("This date is in the future: today is %(today)s in %(name)s.",
                                        today=local_date(today), name=jurisdiction.name))


def invite(jurisdiction, *, actor, reason: str = "") -> Adhesion:
    """The national body invites a municipality to adhere (again, after a withdrawal)."""
    require(actor, "manage_adhesion", jurisdiction)
    _require_municipality(jurisdiction)
    adhesion = adhesion_of(jurisdiction)
    if adhesion is None:
        adhesion = Adhesion(jurisdiction=jurisdiction)
    elif adhesion.state != AdhesionState.WITHDRAWN:
        raise DomainError(None, _("%(name)s has already been invited.", name=jurisdiction.name))
    transition(adhesion, AdhesionState.INVITED, actor=actor, reason=reason.strip())
    _tell_administrators(jurisdiction)
    return adhesion


def _tell_administrators(jurisdiction) -> None:
    """Email the municipality's own administrators, each in their language, that it was invited."""
    link = absolute_url("municipal.municipality", slug=jurisdiction.slug)
    people = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.jurisdiction_id == jurisdiction.id, RoleGrant.role == Role.ADMIN,
               RoleGrant.state == GrantState.ACTIVE, User.email.is_not(None)).distinct())
    for person in people:
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person, subject=_("%(name)s is invited to the Municipal Open Government Model",
                                          name=jurisdiction.name),
                        template="municipal/email/invited", jurisdiction=jurisdiction, link=link)


def record_adhesion(jurisdiction, *, mayor_name, signed_on, act_number, document=None, actor) -> Adhesion:
    """Record the adhesion act the mayor signed: the invited municipality becomes adhered.

    `document` is an uploaded file (werkzeug FileStorage): a PDF or image, stored through core storage.
    """
    adhesion = adhesion_of(jurisdiction) if jurisdiction is not None else None
    require(actor, "update_adhesion", adhesion or jurisdiction)
    _require_municipality(jurisdiction)
    if adhesion is None or adhesion.state != AdhesionState.INVITED:
        raise DomainError(None, _("Only an invited municipality can record its adhesion act."))
    mayor_name = _required_text(mayor_name, "mayor_name", 120, _("Enter the name of the mayor who signed."))
    act_number = _required_text(act_number, "act_number", 60, _("Enter the number of the act or decree."))
    _not_in_future(signed_on, jurisdiction, "signed_on")
    if document is not None and document.filename:
        # Stored last: a refused act leaves no orphan file behind.
        stored = store(document, allowed=IMAGE_AND_PDF, max_bytes=DOCUMENT_MAX_BYTES, field="document")
        adhesion.document_key = stored.key
        adhesion.document_type = stored.content_type
        adhesion.document_size = stored.size
        adhesion.document_name = stored.original_name
    adhesion.mayor_name = mayor_name
    adhesion.signed_on = signed_on
    adhesion.act_number = act_number
    transition(adhesion, AdhesionState.ADHERED, actor=actor, reason=act_number)
    return adhesion


# Moves made by the act (ADHERED) or by an invitation (INVITED) have their own functions.
ADVANCE_TARGETS = (AdhesionState.DIAGNOSING, AdhesionState.WITH_PLAN, AdhesionState.IMPLEMENTING,
                   AdhesionState.WITHDRAWN)


def advance_adhesion(adhesion, to: AdhesionState, *, actor, reason: str = "") -> Adhesion:
    """Move an adhesion along the Model (diagnosing, with plan, implementing) or withdraw it."""
    require(actor, "update_adhesion", adhesion)
    if to not in ADVANCE_TARGETS:
        raise DomainError("to", _("This change is made by an invitation or an adhesion act."))
    reason = (reason or "").strip()
    if to == AdhesionState.WITHDRAWN and not reason:
        raise DomainError("reason", _("Say why the municipality withdraws."))
    if to not in Adhesion.TRANSITIONS.get(adhesion.state, ()):
        raise DomainError("to", _("This change is not allowed from the current state."))
    transition(adhesion, to, actor=actor, reason=reason)
    return adhesion


# --- The questionnaire ------------------------------------------------------------------------

def current_version() -> QuestionnaireVersion | None:
    return db.session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.state == VersionState.PUBLISHED))


def draft_version() -> QuestionnaireVersion | None:
    return db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.state == VersionState.DRAFT))


def create_questionnaire_version(*, title, actor, copy_from=None) -> QuestionnaireVersion:
    """A new draft version, empty or starting from `copy_from`'s questions."""
    require(actor, "edit_questionnaire")
    title = _required_text(title, "title", 160, _("Give the version a title."))
    pending = draft_version()
    if pending is not None:
        raise DomainError(None, _("Version %(number)s is still a draft: publish it before starting another.",
                                  number=pending.number))
    number = (db.session.scalar(select(func.max(QuestionnaireVersion.number))) or 0) + 1
    version = QuestionnaireVersion(number=number, title=title)
    transition(version, VersionState.DRAFT, actor=actor)
    for question in (copy_from.questions if copy_from is not None else ()):
        _new_question(version, area=question.area, text=question.text, scale_max=question.scale_max,
                      weight=question.weight, evidence_prompt=question.evidence_prompt, short=question.short,
                      actor=actor)
    return version


def _check_question(*, area, text, scale_max, weight, evidence_prompt):
    if not isinstance(area, Area):
        raise DomainError("area", _("Choose one of the four areas."))
    text = _required_text(text, "text", 1000, _("Write the question."))
    for name, value in (("scale_max", scale_max), ("weight", weight)):
        if not isinstance(value, int) or not 1 <= value <= 10:
            raise DomainError(name, _("Enter a whole number from 1 to 10."))
    evidence_prompt = (evidence_prompt or "").strip()
    if len(evidence_prompt) > 500:
        raise DomainError("evidence_prompt", _("Use at most %(max)s characters.", max=500))
    return text, evidence_prompt


def _require_draft(version):
    if version.state != VersionState.DRAFT:
        raise DomainError(None, _("Version %(number)s is in use or retired: its questions cannot change. "
                                  "Start a new version instead.", number=version.number))


def _new_question(version, *, area, text, scale_max, weight, evidence_prompt, short, actor) -> Question:
    position = 1 + max((question.position for question in version.questions), default=0)
    question = Question(version=version, area=area, position=position, text=text, scale_max=scale_max,
                        weight=weight, evidence_prompt=evidence_prompt, short=bool(short))
    record_event(question, "CREATED", actor=actor)
    return question


def add_question(version, *, area, text, scale_max, weight=1, evidence_prompt="", short=False,
                 actor) -> Question:
    """`short`: the question is also part of the shorter version local organisations answer."""
    require(actor, "edit_questionnaire")
    _require_draft(version)
    text, evidence_prompt = _check_question(area=area, text=text, scale_max=scale_max, weight=weight,
                                            evidence_prompt=evidence_prompt)
    return _new_question(version, area=area, text=text, scale_max=scale_max, weight=weight,
                         evidence_prompt=evidence_prompt, short=short, actor=actor)


def edit_question(question, *, area, text, scale_max, weight, evidence_prompt="", short=False,
                  actor) -> Question:
    require(actor, "edit_questionnaire")
    _require_draft(question.version)
    text, evidence_prompt = _check_question(area=area, text=text, scale_max=scale_max, weight=weight,
                                            evidence_prompt=evidence_prompt)
    question.area, question.text, question.scale_max = area, text, scale_max
    question.weight, question.evidence_prompt, question.short = weight, evidence_prompt, bool(short)
    record_event(question, "EDITED", actor=actor)
    return question


def publish_version(version, *, actor, reason: str = "") -> QuestionnaireVersion:
    """Put a draft in use; the version in use until now retires (its diagnostics keep it)."""
    require(actor, "edit_questionnaire")
    _require_draft(version)
    empty = [area for area in Area if not version.questions_in(area)]
    if empty:
        raise DomainError(None, _("Every area needs at least one question; missing: %(areas)s.",
                                  areas=", ".join(str(area.label) for area in empty)))
    previous = current_version()
    if previous is not None:
        transition(previous, VersionState.RETIRED, actor=actor, reason=reason)
        db.session.flush()
    transition(version, VersionState.PUBLISHED, actor=actor, reason=reason)
    return version


# --- Diagnostics ------------------------------------------------------------------------------

def draft_diagnostic(jurisdiction) -> Diagnostic | None:
    return db.session.scalar(select(Diagnostic).where(Diagnostic.jurisdiction_id == jurisdiction.id,
                                                      Diagnostic.state == DiagnosticState.DRAFT))


def start_diagnostic(jurisdiction, *, actor) -> Diagnostic:
    """Open a draft diagnostic on the questionnaire in use; the draft already open if there is one.

    The first diagnostic of an adhered municipality moves it to "en diagnóstico".
    """
    require(actor, "fill_diagnostic", jurisdiction)
    adhesion = adhesion_of(jurisdiction)
    if adhesion is not None:
        _lock(adhesion)
    if adhesion is None or not adhesion.is_adherent:
        raise DomainError(None, _("%(name)s must adhere to the Model before running its diagnostic.",
                                  name=jurisdiction.name))
    existing = draft_diagnostic(jurisdiction)
    if existing is not None:
        return existing
    version = current_version()
    if version is None:
        raise DomainError(None, _("No questionnaire is in use yet."))
    diagnostic = Diagnostic(jurisdiction=jurisdiction, version=version)
    try:
        # The lock makes a double click wait for the first draft; the unique index is the last word.
        with db.session.begin_nested():
            transition(diagnostic, DiagnosticState.DRAFT, actor=actor)
            db.session.flush()
    except IntegrityError:
        existing = draft_diagnostic(jurisdiction)
        if existing is None:
            raise
        return existing
    if adhesion.state == AdhesionState.ADHERED:
        transition(adhesion, AdhesionState.DIAGNOSING, actor=actor)
    return diagnostic


def lock_adhesion(slug: str) -> None:
    """Hold the adhesion row of the municipality at `slug` until the transaction ends.

    A view that starts a diagnostic calls it before anything else: on PostgreSQL it is a row lock;
    on SQLite, as the transaction's first statement, it takes the database's write lock at once (a
    read first would leave the second of two requests with a stale snapshot it cannot write from).
    Either way a second "start" (a double click) waits for the first to commit, then finds its draft.
    """
    if SLUG_PATTERN.match(slug):
        _lock_where(Adhesion.jurisdiction_id == select(Jurisdiction.id).where(Jurisdiction.slug == slug)
                    .scalar_subquery())


def _lock(adhesion) -> None:
    """lock_adhesion, for callers that already hold the adhesion; its state is read afresh."""
    _lock_where(Adhesion.id == adhesion.id)
    db.session.refresh(adhesion)


def _lock_where(condition) -> None:
    db.session.execute(update(Adhesion).where(condition)
                       # Writes nothing new (updated_at named so that its onupdate leaves it alone);
                       # the state is never written outside audit.transition, not even to itself.
                       .values(updated_at=Adhesion.updated_at)
                       .execution_options(synchronize_session=False))


def _require_open(diagnostic):
    if diagnostic.is_submitted:
        raise DomainError(None, _("This diagnostic was already submitted and can no longer change. "
                                  "Start a new diagnostic to record a later state."))


def answer_field(question) -> str:
    """The form field that holds a question's answer: refusals about it are shown there."""
    return f"q{question.id}"


def evidence_field(question) -> str:
    return f"e{question.id}"


def _check_value(question, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= question.scale_max:
        raise DomainError(answer_field(question),
                          _("Choose a value from 0 to %(max)s.", max=question.scale_max))


def answer(diagnostic, question, *, value, evidence: str = "", actor) -> Answer:
    """Save one answer of a draft: a whole number from 0 to the question's scale maximum."""
    require(actor, "fill_diagnostic", diagnostic)
    _require_open(diagnostic)
    if question.version_id != diagnostic.version_id:
        raise DomainError(None, _("This question is not part of this diagnostic's questionnaire."))
    _check_value(question, value)
    evidence = (evidence or "").strip()
    if len(evidence) > EVIDENCE_MAX_CHARS:
        raise DomainError(evidence_field(question), _("Use at most %(max)s characters.", max=EVIDENCE_MAX_CHARS))
    saved = next((row for row in diagnostic.answers if row.question_id == question.id), None)
    if saved is None:
        saved = Answer(diagnostic=diagnostic, question=question, value=value, evidence=evidence)
        record_event(saved, "CREATED", actor=actor, public=False)
    else:
        saved.value, saved.evidence = value, evidence
    return saved


def save_answers(diagnostic, answers: dict, *, actor, submit: bool = False) -> Diagnostic:
    """Save a draft's answers, `{question_id: (value or None, evidence)}`, and submit it if asked.

    A question left blank stays unanswered (a draft may be incomplete; a submission may not).
    """
    require(actor, "fill_diagnostic", diagnostic)
    _require_open(diagnostic)
    questions = {question.id: question for question in diagnostic.version.questions}
    for question_id, (value, evidence) in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError(None, _("This question is not part of this diagnostic's questionnaire."))
        if value is not None:
            answer(diagnostic, question, value=value, evidence=evidence, actor=actor)
    if submit:
        submit_diagnostic(diagnostic, actor=actor)
    return diagnostic


def submit_diagnostic(diagnostic, *, actor) -> Diagnostic:
    """Submit a complete draft, once: its answers and scores are public from then on."""
    require(actor, "fill_diagnostic", diagnostic)
    _submit_complete(diagnostic, diagnostic.version.questions, still_open=_require_open, actor=actor)
    return diagnostic


def _submit_complete(sheet, questions, *, still_open, actor) -> None:
    """Submit a diagnostic or a local organisation's answers: once, and only with every question
    answered. The state is read under a row lock, so that two submissions at once cannot both pass."""
    db.session.flush()
    model = type(sheet)
    db.session.execute(select(model.id).where(model.id == sheet.id).with_for_update())
    db.session.refresh(sheet, attribute_names=["state"])
    still_open(sheet)
    answered = {row.question_id for row in sheet.answers}
    missing = [question for question in questions if question.id not in answered]
    if missing:
        raise DomainError(answer_field(missing[0]), ngettext(
            "%(num)d question is still unanswered.", "%(num)d questions are still unanswered.", len(missing)))
    sheet.submitted_at = clock.now()
    transition(sheet, DiagnosticState.SUBMITTED, actor=actor)


@dataclass(frozen=True)
class Scores:
    """Scores from 0 to 100, one decimal: per area, and overall."""

    by_area: dict
    overall: float | None

    def of(self, area: Area) -> float | None:
        return self.by_area.get(area)


def compute_scores(questions, values: dict) -> Scores:
    """The stated rule, shown on every results page.

    Each answer counts as its value divided by its scale's maximum (0 to 1). An area's score is the
    mean of its answers weighted by each question's weight, times 100. The overall score is the plain
    mean of the areas' scores, so that each area counts the same whatever its number of questions.
    An unanswered question counts as 0. Scores are rounded to one decimal, halves up.
    """
    weighted = defaultdict(Fraction)
    weights = defaultdict(int)
    for question in questions:
        weighted[question.area] += question.weight * Fraction(values.get(question.id, 0), question.scale_max)
        weights[question.area] += question.weight
    exact = {area: 100 * weighted[area] / weights[area] for area in Area if weights[area]}
    overall = sum(exact.values()) / len(exact) if exact else None
    return Scores(by_area={area: _one_decimal(score) for area, score in exact.items()},
                  overall=None if overall is None else _one_decimal(overall))


def _one_decimal(value: Fraction) -> float:
    """Rounded from the exact value to one decimal, halves up (46.25 → 46.3)."""
    return float(Fraction(math.floor(value * 10 + Fraction(1, 2)), 10))


def scores(diagnostic) -> Scores:
    return compute_scores(diagnostic.version.questions, {row.question_id: row.value for row in diagnostic.answers})


def scores_of(diagnostics) -> dict[int, Scores]:
    """Scores of many diagnostics in two queries: {diagnostic id: Scores}."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return {}
    version_ids = {diagnostic.version_id for diagnostic in diagnostics}
    questions = defaultdict(list)
    for question in db.session.scalars(select(Question).where(Question.version_id.in_(version_ids))):
        questions[question.version_id].append(question)
    values = defaultdict(dict)
    for diagnostic_id, question_id, value in db.session.execute(
            select(Answer.diagnostic_id, Answer.question_id, Answer.value)
            .where(Answer.diagnostic_id.in_([diagnostic.id for diagnostic in diagnostics]))):
        values[diagnostic_id][question_id] = value
    return {diagnostic.id: compute_scores(questions[diagnostic.version_id], values[diagnostic.id])
            for diagnostic in diagnostics}


def submitted_diagnostics(jurisdiction) -> list[Diagnostic]:
    """Newest first."""
    return list(db.session.scalars(
        select(Diagnostic).where(Diagnostic.jurisdiction_id == jurisdiction.id,
                                 Diagnostic.state == DiagnosticState.SUBMITTED)
        .order_by(Diagnostic.submitted_at.desc(), Diagnostic.id.desc())))


def previous_diagnostic(diagnostic) -> Diagnostic | None:
    """The municipality's last diagnostic submitted before this one, to compare with."""
    if not diagnostic.is_submitted:
        return db.session.scalars(select(Diagnostic).where(
            Diagnostic.jurisdiction_id == diagnostic.jurisdiction_id,
            Diagnostic.state == DiagnosticState.SUBMITTED)
            .order_by(Diagnostic.submitted_at.desc(), Diagnostic.id.desc())).first()
    return db.session.scalars(select(Diagnostic).where(
        Diagnostic.jurisdiction_id == diagnostic.jurisdiction_id, Diagnostic.state == DiagnosticState.SUBMITTED,
        Diagnostic.submitted_at < diagnostic.submitted_at)
        .order_by(Diagnostic.submitted_at.desc(), Diagnostic.id.desc())).first()


# --- Local organisations' short version -------------------------------------------------------

def local_organisations(user, jurisdiction) -> list:
    """The verified organisations of `jurisdiction` that `user` represents (verified): those that
    may answer the short version of its diagnostic."""
    return [organisation for organisation in verified_organisations(user)
            if organisation.jurisdiction_id == jurisdiction.id]


def local_response_of(diagnostic, organisation) -> LocalResponse | None:
    return db.session.scalar(select(LocalResponse).where(LocalResponse.diagnostic_id == diagnostic.id,
                                                         LocalResponse.organisation_id == organisation.id))


def start_local_response(diagnostic, *, organisation, actor) -> LocalResponse:
    """The organisation's draft answers to the short version of `diagnostic`; the one it already has
    if any (submitted or not: an organisation answers once per diagnostic)."""
    existing = local_response_of(diagnostic, organisation)
    if existing is not None:
        require(actor, "answer_short_version", existing)
        return existing
    response = LocalResponse(diagnostic=diagnostic, organisation=organisation)
    require(actor, "answer_short_version", response)
    if not diagnostic.version.short_questions:
        raise DomainError(None, _("This diagnostic's questionnaire has no short version for local organisations."))
    try:
        # Two representatives of one organisation starting at once: the unique constraint keeps one.
        with db.session.begin_nested():
            transition(response, DiagnosticState.DRAFT, actor=actor)
            db.session.flush()
    except IntegrityError:
        existing = local_response_of(diagnostic, organisation)
        if existing is None:
            raise
        return existing
    return response


def _require_local_open(response) -> None:
    if response.is_submitted:
        raise DomainError(None, _("%(name)s already submitted its answers to this diagnostic.",
                                  name=response.organisation.name))


def save_local_answers(response, answers: dict, *, actor, submit: bool = False) -> LocalResponse:
    """Save an organisation's draft answers, `{question_id: value or None}`, and submit them if asked.
    Only the short version's questions, each on its scale."""
    require(actor, "answer_short_version", response)
    _require_local_open(response)
    questions = {question.id: question for question in response.diagnostic.version.short_questions}
    saved = {row.question_id: row for row in response.answers}
    for question_id, value in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError(None, _("This question is not part of the short version."))
        if value is None:
            continue
        _check_value(question, value)
        if question_id in saved:
            saved[question_id].value = value
        else:
            row = LocalAnswer(response=response, question=question, value=value)
            record_event(row, "CREATED", actor=actor, public=False)
    if submit:
        submit_local_response(response, actor=actor)
    return response


def submit_local_response(response, *, actor) -> LocalResponse:
    """Submit the organisation's complete answers, once: they are shown beside the municipality's."""
    require(actor, "answer_short_version", response)
    _submit_complete(response, response.diagnostic.version.short_questions, still_open=_require_local_open,
                     actor=actor)
    return response


@dataclass
class LocalComparison:
    """The short version's scores: the municipality's own answers to those questions, and each local
    organisation that submitted, by the same rule. The official score stays the full questionnaire's."""

    municipality: Scores
    organisations: list  # [(LocalResponse, Scores)]

    @property
    def areas(self) -> list[Area]:
        return [area for area in Area if self.municipality.of(area) is not None]


def local_comparison(diagnostic) -> LocalComparison | None:
    """None when the diagnostic's questionnaire has no short version."""
    short = diagnostic.version.short_questions
    if not short:
        return None
    responses = db.session.scalars(
        select(LocalResponse).where(LocalResponse.diagnostic_id == diagnostic.id,
                                    LocalResponse.state == DiagnosticState.SUBMITTED)
        .options(selectinload(LocalResponse.answers), selectinload(LocalResponse.organisation))
        .order_by(LocalResponse.submitted_at, LocalResponse.id))
    own = {row.question_id: row.value for row in diagnostic.answers}
    return LocalComparison(
        municipality=compute_scores(short, own),
        organisations=[(response, compute_scores(short, {row.question_id: row.value for row in response.answers}))
                       for response in responses])


# --- Training and advice ----------------------------------------------------------------------

def parse_attendees(text: str) -> list[tuple[str, str]]:
    """One person per line, as on a sign-in sheet: "name" or "name, organisation or post"."""
    rows = []
    for line in (text or "").splitlines():
        name, _comma, affiliation = line.partition(",")
        if name.strip():
            rows.append((name.strip(), affiliation.strip()))
    return rows


def _check_attendee(name, affiliation, field_name: str) -> tuple[str, str]:
    name, affiliation = (name or "").strip(), (affiliation or "").strip()
    if not name:
        raise DomainError(field_name, _("Write the person's name."))
    if len(name) > 120 or len(affiliation) > 120:
        raise DomainError(field_name, _("Each name and organisation takes at most 120 characters: "
                                        "check “%(name)s”.", name=name[:40]))
    return name, affiliation


def record_training(jurisdiction, *, kind: ActivityKind, held_on, topic, attendees=(), actor) -> SupportActivity:
    """Record a training session or advisory visit with a municipality: announced ahead (people
    then register and are checked in on the day) or recorded afterwards from its sign-in sheet.

    `attendees` is the sign-in sheet, a list of (name, affiliation) pairs: each becomes a row checked
    in now. Attendance everywhere is the number of rows checked in.
    """
    require(actor, "record_support", jurisdiction)
    _require_municipality(jurisdiction, "jurisdiction_id")
    if not isinstance(kind, ActivityKind):
        raise DomainError("kind", _("Choose a training session or an advisory visit."))
    if not isinstance(held_on, date):
        raise DomainError("held_on", _("Enter a date."))
    today = local_today(jurisdiction)
    if (held_on - today).days > SCHEDULE_AHEAD_DAYS:
        raise DomainError("held_on", _("Announce a session at most a year ahead."))
    topic = _required_text(topic, "topic", 200, _("Say what the session was about."))
    attendees = list(attendees or ())
    if attendees and held_on > today:
        raise DomainError("attendees", _("Nobody can be present yet at a session on %(day)s: people register now "
                                         "and are checked in on the day.", day=local_date(held_on)))
    if len(attendees) > MAX_ATTENDEES:
        raise DomainError("attendees", _("List at most %(max)s people.", max=MAX_ATTENDEES))
    rows = [_check_attendee(name, affiliation, "attendees") for name, affiliation in attendees]
    activity = SupportActivity(kind=kind, jurisdiction=jurisdiction, held_on=held_on, topic=topic,
                               recorded_by=actor)
    record_event(activity, "CREATED", actor=actor)
    for name, affiliation in rows:
        _present(activity, Attendee(name=name, affiliation=affiliation), actor=actor)
    return activity


def _present(activity, attendee, *, actor) -> Attendee:
    """A person added at the door or from the sign-in sheet: on the list and checked in at once."""
    attendee.checked_in_at = clock.now()
    attendee.checked_in_by_id = getattr(actor, "id", None)
    activity.attendees.append(attendee)
    record_event(attendee, "CREATED", actor=actor, public=False)
    return attendee


def registration_open(activity) -> bool:
    """People register up to the day of the session, in the municipality's time zone."""
    return activity.held_on >= local_today(activity.jurisdiction)


def _require_day_reached(activity, field_name: str) -> None:
    if activity.held_on > local_today(activity.jurisdiction):
        raise DomainError(field_name, _("The session is on %(day)s: people are checked in on the day.",
                                        day=local_date(activity.held_on)))


def registration_of(activity, user) -> Attendee | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Attendee).where(Attendee.activity_id == activity.id, Attendee.user_id == user.id))


def register_attendee(activity, *, user, actor) -> Attendee:
    """Put a person with an account on the session's list ahead of it (once)."""
    require(actor, "register_for_session", user)
    if not registration_open(activity):
        raise DomainError(None, _("Registration closed: the session was on %(day)s.", day=local_date(activity.held_on)))
    already = _("%(name)s is already registered for this session.", name=user.public_name)
    if registration_of(activity, user) is not None:
        raise DomainError(None, already)
    attendee = Attendee(activity_id=activity.id, user_id=user.id, name=user.public_name[:120], affiliation="")
    try:
        # A double click: the unique constraint keeps one row per person and session.
        with db.session.begin_nested():
            db.session.add(attendee)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, already) from None
    # The list as loaded before (if it was) lacks the new row.
    db.session.expire(activity, ["attendees"])
    record_event(attendee, "CREATED", actor=actor, public=False)
    return attendee


def check_in(attendee, *, actor) -> Attendee:
    """Record a registered person as present, on or after the session's day, once: the database
    decides with a conditional UPDATE, so a second check-in (two staff at the door) is refused."""
    activity = attendee.activity
    require(actor, "record_support", activity.jurisdiction)
    _require_day_reached(activity, "attendee")
    marked = db.session.execute(
        update(Attendee).where(Attendee.id == attendee.id, Attendee.checked_in_at.is_(None))
        .values(checked_in_at=clock.now(), checked_in_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(attendee, ["checked_in_at", "checked_in_by_id"])
    if not marked:
        raise DomainError("attendee", _("%(name)s is already checked in.", name=attendee.name))
    record_event(attendee, "CHECKED_IN", actor=actor, public=False)
    return attendee


def walk_in(activity, *, name, affiliation: str = "", actor) -> Attendee:
    """Someone who came without registering: added by name, checked in."""
    require(actor, "record_support", activity.jurisdiction)
    _require_day_reached(activity, "name")
    name, affiliation = _check_attendee(name, affiliation, "name")
    return _present(activity, Attendee(name=name, affiliation=affiliation), actor=actor)


def support_activities(jurisdiction=None) -> list[SupportActivity]:
    query = (select(SupportActivity).options(selectinload(SupportActivity.attendees),
                                             selectinload(SupportActivity.jurisdiction))
             .order_by(SupportActivity.held_on.desc(), SupportActivity.id.desc()))
    if jurisdiction is not None:
        query = query.where(SupportActivity.jurisdiction_id == jurisdiction.id)
    return list(db.session.scalars(query))


# --- National follow-up -----------------------------------------------------------------------

def far_regions() -> frozenset[Region]:
    """The regions far from the capital that the national body watches closely (configurable)."""
    return frozenset(Region[code] for code in current_app.config["MUNICIPAL_FAR_REGIONS"])


def municipalities() -> list[Jurisdiction]:
    return list(db.session.scalars(select(Jurisdiction).where(Jurisdiction.kind == JurisdictionKind.MUNICIPALITY)
                                   .order_by(Jurisdiction.name)))


@dataclass
class FollowupRow:
    jurisdiction: Jurisdiction
    adhesion: Adhesion | None
    latest: Diagnostic | None
    scores: Scores | None
    cycles: list = field(default_factory=list)
    far: bool = False
    # The newest local cycle with a published plan, and its commitments' progress (monitoring's rules).
    plan: Cycle | None = None
    progress: list = field(default_factory=list)

    @property
    def completion(self) -> list:
        """[(completion level, how many commitments)], highest level first, levels with none left out."""
        counts = Counter(item.level for item in self.progress)
        return [(level, counts[level]) for level in reversed(Completion) if counts[level]]

    @property
    def state_code(self) -> str:
        return self.adhesion.state.name if self.adhesion is not None else NOT_INVITED

    @property
    def current_cycle(self):
        return self.cycles[0] if self.cycles else None

    @property
    def open_phases(self):
        cycle = self.current_cycle
        return [phase for phase in cycle.phases if phase.state == PhaseState.OPEN] if cycle else []


# The filter value for municipalities the national body has not invited yet.
NOT_INVITED = "NONE"


def followup_rows(*, region: Region | None = None, state: str | None = None,
                  far_only: bool = False) -> list[FollowupRow]:
    """Every municipality with its region, adhesion, latest diagnostic's scores and local cycles.

    A fixed number of queries, however many municipalities there are.
    """
    query = select(Jurisdiction).where(Jurisdiction.kind == JurisdictionKind.MUNICIPALITY)
    far = far_regions()
    if region is not None:
        query = query.where(Jurisdiction.region == region)
    if far_only:
        query = query.where(Jurisdiction.region.in_(far))
    if state == NOT_INVITED:
        query = query.where(~select(Adhesion.id).where(Adhesion.jurisdiction_id == Jurisdiction.id).exists())
    elif state:
        query = query.join(Adhesion, Adhesion.jurisdiction_id == Jurisdiction.id).where(
            Adhesion.state == AdhesionState[state])
    places = list(db.session.scalars(query.order_by(Jurisdiction.name)))
    ids = [place.id for place in places]
    if not ids:
        return []
    adhesions = {row.jurisdiction_id: row for row in db.session.scalars(
        select(Adhesion).where(Adhesion.jurisdiction_id.in_(ids)))}
    latest = {}
    for diagnostic in db.session.scalars(
            select(Diagnostic).where(Diagnostic.jurisdiction_id.in_(ids),
                                     Diagnostic.state == DiagnosticState.SUBMITTED)
            .order_by(Diagnostic.submitted_at, Diagnostic.id)):
        latest[diagnostic.jurisdiction_id] = diagnostic
    all_scores = scores_of(latest.values())
    cycles = defaultdict(list)
    for cycle in db.session.scalars(select(Cycle).where(Cycle.jurisdiction_id.in_(ids))
                                    .options(selectinload(Cycle.phases))
                                    .order_by(Cycle.starts_on.desc(), Cycle.id.desc())):
        cycles[cycle.jurisdiction_id].append(cycle)
    by_id = {place.id: place for place in places}
    every_cycle = [cycle for found in cycles.values() for cycle in found]
    progress = monitoring.trackers(every_cycle, {cycle.id: monitoring.local_today(by_id[cycle.jurisdiction_id])
                                                 for cycle in every_cycle})
    rows = []
    for place in places:
        diagnostic = latest.get(place.id)
        plan = next((cycle for cycle in cycles[place.id] if cycle.id in progress), None)
        rows.append(FollowupRow(jurisdiction=place, adhesion=adhesions.get(place.id), latest=diagnostic,
                                scores=all_scores.get(diagnostic.id) if diagnostic else None,
                                cycles=cycles[place.id], far=place.region in far, plan=plan,
                                progress=progress[plan.id] if plan else []))
    return rows


@dataclass
class RegionSummary:
    region: Region | None
    far: bool = False
    municipalities: int = 0
    invited: int = 0
    adherent: int = 0
    withdrawn: int = 0
    diagnosed: int = 0

    @property
    def not_invited(self) -> int:
        return self.municipalities - self.invited - self.adherent - self.withdrawn

    def add(self, other: "RegionSummary") -> None:
        for name in ("municipalities", "invited", "adherent", "withdrawn", "diagnosed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def regional_summary() -> tuple[list[RegionSummary], RegionSummary]:
    """Chile's sixteen regions, north to south, each with its counts from the records, and the total.

    Adherent counts municipalities in a signed state (adhered, diagnosing, with plan, implementing);
    diagnosed counts municipalities with at least one submitted diagnostic.
    """
    far = far_regions()
    summary = {region: RegionSummary(region=region, far=region in far) for region in Region}
    municipal = Jurisdiction.kind == JurisdictionKind.MUNICIPALITY
    for region, state, count in db.session.execute(
            select(Jurisdiction.region, Adhesion.state, func.count(Jurisdiction.id))
            .outerjoin(Adhesion, Adhesion.jurisdiction_id == Jurisdiction.id)
            .where(municipal).group_by(Jurisdiction.region, Adhesion.state)):
        row = summary[region]
        row.municipalities += count
        if state == AdhesionState.INVITED:
            row.invited += count
        elif state == AdhesionState.WITHDRAWN:
            row.withdrawn += count
        elif state in ADHERENT_STATES:
            row.adherent += count
    for region, count in db.session.execute(
            select(Jurisdiction.region, func.count(func.distinct(Diagnostic.jurisdiction_id)))
            .join(Diagnostic, Diagnostic.jurisdiction_id == Jurisdiction.id)
            .where(municipal, Diagnostic.state == DiagnosticState.SUBMITTED).group_by(Jurisdiction.region)):
        summary[region].diagnosed += count
    rows = [summary[region] for region in Region]
    total = RegionSummary(region=None)
    for row in rows:
        total.add(row)
    return rows, total


def cycles_of(jurisdiction) -> list[Cycle]:
    """The municipality's local action-plan cycles, newest first: they run on the same machinery."""
    return list(db.session.scalars(select(Cycle).where(Cycle.jurisdiction_id == jurisdiction.id)
                                   .order_by(Cycle.starts_on.desc(), Cycle.id.desc())))


def municipality_overview(jurisdiction) -> dict:
    """What a municipality's public page shows."""
    diagnostics = submitted_diagnostics(jurisdiction)
    return {"adhesion": adhesion_of(jurisdiction), "diagnostics": diagnostics, "scores": scores_of(diagnostics),
            "draft": draft_diagnostic(jurisdiction), "activities": support_activities(jurisdiction),
            "cycles": cycles_of(jurisdiction), "far": jurisdiction.region in far_regions()}
