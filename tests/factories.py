"""Test data with sensible defaults: a test states only what matters to it."""
import itertools
from datetime import date

from consulta.core.audit import record_event, transition
from consulta.extensions import db

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"


# --- accounts ------------------------------------------------------------------------------------

DEFAULT_PASSWORD = "correct horse battery"


def make_user(**overrides):
    """A verified, active account; its password is DEFAULT_PASSWORD unless given."""
    from consulta.accounts.services import create_user

    number = next(_sequence)
    fields = {"email": f"person{number}@example.org", "password": DEFAULT_PASSWORD,
              "display_name": f"Person {number}", "verified": True}
    fields.update(overrides)
    user = create_user(**fields)
    db.session.flush()
    return user


# --- jurisdictions, roles and organisations ------------------------------------------------------

def make_jurisdiction(**overrides):
    """A municipality of the Metropolitan region unless told otherwise."""
    from consulta.jurisdictions.models import JurisdictionKind
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction

    name = overrides.pop("name", None) or unique("Comuna ")
    fields = {"name": name, "slug": unique("comuna-"), "kind": JurisdictionKind.MUNICIPALITY,
              "region": Region.RM, "actor": None}
    fields.update(overrides)
    return create_jurisdiction(**fields)


def make_national(**overrides):
    """The national level (there is only one): the existing one, or a new one."""
    from consulta.jurisdictions.models import JurisdictionKind
    from consulta.jurisdictions.services import national

    existing = national()
    if existing is not None:
        return existing
    fields = {"name": "Nivel nacional", "slug": "nacional", "kind": JurisdictionKind.NATIONAL, "region": None}
    fields.update(overrides)
    return make_jurisdiction(**fields)


def make_entity(jurisdiction=None, **overrides):
    from consulta.jurisdictions.services import add_entity

    return add_entity(jurisdiction or make_jurisdiction(), name=overrides.pop("name", None) or unique("Entidad "),
                      actor=overrides.pop("actor", None))


def make_grant(user=None, role=None, jurisdiction=None, **overrides):
    """A role held by `user` (a new person by default); a reporter gets an entity of the jurisdiction."""
    from consulta.jurisdictions.models import Role
    from consulta.jurisdictions.services import grant_role

    role = role or Role.MODERATOR
    jurisdiction = jurisdiction or make_jurisdiction()
    entity = overrides.pop("entity", None)
    if role == Role.REPORTER and entity is None:
        entity = make_entity(jurisdiction)
    return grant_role(user or make_user(), role, jurisdiction, entity=entity, actor=overrides.pop("actor", None),
                      **overrides)


def make_moderator(jurisdiction=None, **overrides):
    """A person who moderates `jurisdiction` (a new municipality by default)."""
    return make_grant(role=None, jurisdiction=jurisdiction, **overrides).user


def make_representation(user=None, *, verified=False, **overrides):
    """A person's request to represent a new OSC (verified by a moderator when `verified`)."""
    from consulta.core.sectors import Sector
    from consulta.organisations.services import request_representation, verify_representation

    fields = {"name": unique("Fundación "), "sector": Sector.OSC}
    fields.update(overrides)
    if "jurisdiction" not in fields:
        fields["jurisdiction"] = make_jurisdiction()
    representation = request_representation(user or make_user(), **fields)
    if verified:
        verify_representation(representation, actor=make_moderator(representation.organisation.jurisdiction))
    db.session.flush()
    return representation


def make_organisation(*, verified=True, **overrides):
    """An organisation with one representative, verified unless told otherwise."""
    return make_representation(verified=verified, **overrides).organisation


# --- cycles and phases ---------------------------------------------------------------------------

def make_cycle(jurisdiction=None, **overrides):
    """A cycle over 2018-2020 (the 4th plan's years) of a new municipality unless told otherwise."""
    from consulta.cycles.services import create_cycle

    number = next(_sequence)
    fields = {"name": f"Plan de Acción {number}", "slug": f"plan-{number}", "code": f"PA{number}",
              "starts_on": date(2018, 1, 1), "ends_on": date(2020, 12, 31), "actor": None}
    fields.update(overrides)
    cycle = create_cycle(jurisdiction or make_jurisdiction(), **fields)
    db.session.flush()
    return cycle


def make_phase(cycle=None, kind=None, *, first_day=date(2018, 6, 18), last_day=date(2018, 7, 13), **overrides):
    """A scheduled phase (intake by default) typed as dates: the 4th plan's 18 June–13 July 2018."""
    from consulta.core.windows import window_from_dates
    from consulta.cycles.models import PhaseKind
    from consulta.cycles.services import set_phase

    cycle = cycle or make_cycle()
    fields = {"window": window_from_dates(first_day, last_day, cycle.jurisdiction.timezone), "actor": None}
    fields.update(overrides)
    return set_phase(cycle, kind or PhaseKind.INTAKE, **fields)


# --- municipal model ---------------------------------------------------------------------------

def make_adhesion(jurisdiction=None, state=None, **overrides):
    """A municipality's adhesion walked along the Model's path to `state` (adhered by default),
    every step recorded in its history."""
    from consulta.municipal.models import Adhesion, AdhesionState

    path = [AdhesionState.INVITED, AdhesionState.ADHERED, AdhesionState.DIAGNOSING, AdhesionState.WITH_PLAN,
            AdhesionState.IMPLEMENTING]
    state = state or AdhesionState.ADHERED
    steps = [AdhesionState.INVITED, state] if state == AdhesionState.WITHDRAWN else path[:path.index(state) + 1]
    actor = overrides.pop("actor", None)
    adhesion = Adhesion(jurisdiction=jurisdiction or make_jurisdiction())
    for step in steps:
        if step == AdhesionState.ADHERED:
            adhesion.mayor_name = overrides.get("mayor_name", "Claudio Castro")
            adhesion.signed_on = overrides.get("signed_on", date(2019, 6, 3))
            adhesion.act_number = overrides.get("act_number", unique("Decreto Alcaldicio N° "))
        transition(adhesion, step, actor=actor)
    db.session.flush()
    return adhesion


def make_questionnaire(questions=None, *, published=True, title=None):
    """A questionnaire version; `questions` lists (area, scale_max, weight), one 0–4 question per
    area by default. Published (and the version in use before it retired) unless told otherwise."""
    from sqlalchemy import func, select

    from consulta.municipal.models import Area, Question, QuestionnaireVersion, VersionState
    from consulta.municipal.services import current_version

    number = (db.session.scalar(select(func.max(QuestionnaireVersion.number))) or 0) + 1
    version = QuestionnaireVersion(number=number, title=title or f"Instrumento {number}")
    transition(version, VersionState.DRAFT, actor=None)
    for position, (area, scale_max, weight) in enumerate(questions or [(area, 4, 1) for area in Area], start=1):
        question = Question(version=version, area=area, position=position, scale_max=scale_max, weight=weight,
                            text=f"{area.name.title()} {position}: ¿está en marcha?", evidence_prompt="")
        record_event(question, "CREATED", actor=None)
    if published:
        previous = current_version()
        if previous is not None:
            transition(previous, VersionState.RETIRED, actor=None)
            db.session.flush()
        transition(version, VersionState.PUBLISHED, actor=None)
    db.session.flush()
    return version


def make_diagnostic(jurisdiction=None, version=None, *, values=None, submitted=False):
    """A diagnostic; `values` maps each question to its answer (every question answered at the
    middle of its scale when submitted and not told otherwise)."""
    from consulta.core import clock
    from consulta.municipal.models import Answer, Diagnostic, DiagnosticState

    version = version or make_questionnaire()
    diagnostic = Diagnostic(jurisdiction=jurisdiction or make_adhesion().jurisdiction, version=version)
    transition(diagnostic, DiagnosticState.DRAFT, actor=None)
    if values is None:
        values = {question: question.scale_max // 2 for question in version.questions} if submitted else {}
    for question, value in values.items():
        answer = Answer(diagnostic=diagnostic, question=question, value=value, evidence="")
        record_event(answer, "CREATED", actor=None, public=False)
    if submitted:
        diagnostic.submitted_at = clock.now()
        transition(diagnostic, DiagnosticState.SUBMITTED, actor=None)
    db.session.flush()
    return diagnostic


# --- proposals -----------------------------------------------------------------------------------

def local_today(tz: str = "America/Santiago"):
    from consulta.core import clock
    from consulta.core.windows import to_local

    return to_local(clock.now(), tz).date()


def make_area(cycle=None, **overrides):
    from consulta.proposals.services import add_area

    return add_area(cycle or make_cycle(), name=overrides.pop("name", None) or unique("Área "),
                    actor=overrides.pop("actor", None))


def make_intake_cycle(jurisdiction=None, *, areas=("Transparencia e integridad", "Modernización del Estado"),
                      first_day=None, last_day=None, sector_windows=None, **overrides):
    """A cycle whose proposal intake is open (from ten days before today to twenty after, local
    dates, unless told), with thematic areas."""
    from datetime import timedelta

    from consulta.cycles.models import PhaseState

    today = local_today()
    fields = {"starts_on": today - timedelta(days=400), "ends_on": today + timedelta(days=400)}
    fields.update(overrides)
    cycle = make_cycle(jurisdiction, **fields)
    phase = make_phase(cycle, first_day=first_day or today - timedelta(days=10),
                       last_day=last_day or today + timedelta(days=20), sector_windows=sector_windows)
    transition(phase, PhaseState.OPEN, actor=None)
    for name in areas:
        make_area(cycle, name=name)
    db.session.flush()
    return cycle


def make_proposal(cycle=None, **overrides):
    """A proposal sent through the form by a new citizen, in a cycle whose intake is open now."""
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import areas, submit_proposal

    cycle = cycle or make_intake_cycle()
    author = overrides.pop("author", None) or make_user()
    fields = {"title": unique("Propuesta "), "problem": "Falta información pública sobre el tema.",
              "body": "Publicar la información en datos abiertos cada mes.", "area": areas(cycle)[0],
              "values": [OgpValue.TRANSPARENCIA], "actor": author}
    fields.update(overrides)
    proposal = submit_proposal(cycle=cycle, author=author, **fields)
    db.session.flush()
    return proposal


def make_proposals(cycle, count, **overrides):
    """`count` proposals written straight into the table with their rows of the term index (no services):
    volume for the tests that check a page runs the same statements at any size. Each row is a valid
    received proposal from the form by one new citizen, numbered after the cycle's last."""
    from sqlalchemy import func, insert, select

    from consulta.core import clock
    from consulta.proposals.models import Proposal, proposal_term
    from consulta.proposals.services import areas, index_rows
    from consulta.proposals.similarity import terms

    author = overrides.pop("author", None) or make_user()
    area = overrides.pop("area", None) or areas(cycle)[0]
    first = (db.session.scalar(select(func.max(Proposal.number)).where(Proposal.cycle_id == cycle.id)) or 0) + 1
    now = clock.now()
    rows = [{
        "cycle_id": cycle.id, "number": number, "reference": f"{cycle.code}-{number:04d}", "state": "SUBMITTED",
        "channel": "FORM", "sector": "CIUDADANIA", "title": f"Propuesta en volumen {number}",
        "problem": "Falta información.", "body": "Publicarla.", "area_id": area.id, "author_id": author.id,
        "submitted_at": now, "received_on": now.date(), "version_count": 1,
        "idempotency_key": f"volume-{cycle.id}-{number}", "created_at": now, "updated_at": now, **overrides,
    } for number in range(first, first + count)]
    for row in rows:
        row["title_terms"] = " ".join(terms(row["title"]))
        row["body_terms"] = " ".join(terms(f"{row['problem']}\n{row['body']}"))
    db.session.execute(insert(Proposal.__table__), rows)
    # Their rows of the term index, as the service writes them.
    made = db.session.execute(select(Proposal.__table__).where(Proposal.cycle_id == cycle.id,
                                                               Proposal.number >= first)).all()
    db.session.execute(insert(proposal_term), [entry for row in made for entry in index_rows(row)])
    db.session.flush()


def make_draft(cycle=None, owner=None, **overrides):
    """A private draft, complete enough to send unless told otherwise."""
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import areas, save_draft

    cycle = cycle or make_intake_cycle()
    owner = owner or make_user()
    fields = {"title": unique("Borrador "), "problem": "Un problema descrito en el borrador.",
              "body": "Lo que el borrador propone hacer.", "area": areas(cycle)[0].id,
              "values": [OgpValue.PARTICIPACION], "actor": owner}
    fields.update(overrides)
    draft = save_draft(cycle=cycle, owner=owner, **fields)
    db.session.flush()
    return draft


# --- commitments ---------------------------------------------------------------------------------

def make_commitment(cycle=None, **overrides):
    """The next commitment of `cycle`'s plan (a new cycle with intake open by default), 1 Dec 2018 –
    31 Aug 2020, drafted by a moderator of its jurisdiction; from no proposal unless `from_proposals`."""
    from consulta.commitments.services import create_commitment, next_number
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import areas

    cycle = cycle or make_intake_cycle()
    fields = {"number": next_number(cycle), "name": unique("Compromiso "),
              "entity": overrides.pop("entity", None) or make_entity(cycle.jurisdiction),
              "starts_on": date(2018, 12, 1), "ends_on": date(2020, 8, 31),
              "problem": "Los municipios no conocen el Modelo de Gobierno Abierto Municipal.",
              "commitment_text": "Promover la adhesión de municipalidades al Modelo.",
              "contribution": "Más municipios con diagnósticos y planes locales.",
              "values": [OgpValue.TRANSPARENCIA, OgpValue.PARTICIPACION], "from_proposals": []}
    fields.update(overrides)
    if "area" not in fields:
        fields["area"] = (areas(cycle) or [make_area(cycle)])[0]
    if "actor" not in fields:
        fields["actor"] = make_moderator(cycle.jurisdiction)
    commitment = create_commitment(cycle, **fields)
    db.session.flush()
    return commitment


# --- working tables ------------------------------------------------------------------------------

def make_table(cycle=None, **overrides):
    """A table of 10 seats at an address, a week from now (the test clock's now), registration open
    from now until it starts; created by a moderator of the cycle's jurisdiction unless `actor` is given."""
    from datetime import timedelta

    from consulta.core import clock
    from consulta.tables.services import create_table

    cycle = cycle or make_cycle()
    fields = {"title": unique("Mesa "), "area": "Transparencia e integridad", "address": "Morandé 360",
              "commune": "Santiago", "starts_at": clock.now() + timedelta(days=7), "capacity": 10}
    fields.update(overrides)
    if "actor" not in fields:
        fields["actor"] = make_moderator(cycle.jurisdiction)
    table = create_table(cycle, **fields)
    db.session.flush()
    return table


def make_registration(table=None, user=None, **overrides):
    """`user` (a new person by default) registered for `table` as ciudadanía unless told otherwise."""
    from consulta.tables.services import register

    registration = register(table or make_table(), user=user or make_user(), **overrides)
    db.session.flush()
    return registration


def make_activity(commitment=None, **overrides):
    """An activity inside the commitment's period (its first five months by default)."""
    from datetime import timedelta

    from consulta.commitments.services import add_activity

    commitment = commitment or make_commitment()
    fields = {"name": unique("Actividad "), "starts_on": commitment.starts_on,
              "ends_on": min(commitment.ends_on, commitment.starts_on + timedelta(days=150))}
    fields.update(overrides)
    if "actor" not in fields:
        fields["actor"] = make_moderator(commitment.cycle.jurisdiction)
    activity = add_activity(commitment, **fields)
    db.session.flush()
    return activity


# --- the Mesa de Gobierno Abierto ----------------------------------------------------------------

# The seed's four members (Resolución Exenta N° 852 of 31 July 2017): sector, chairs, body represented.
MESA_SEATS = (
    ("GOVERNMENT", True, "Subsecretaría General de la Presidencia"),
    ("CIVIL_SOCIETY", False, "Red Chilena de Gobierno Abierto"),
    ("ACADEMIA", False, "Red Académica de Gobierno Abierto"),
    ("INTERNATIONAL", False, "Organismo internacional con representación en Chile"),
)


def make_forum(jurisdiction=None, *, seats=True, **overrides):
    """The Mesa of `jurisdiction` (a new municipality by default), formalised by Resolución Exenta
    N° 852 of 31 July 2017, with the seed's four seats held by new people unless `seats=False`;
    set up by a new administrator of the jurisdiction unless `actor` is given."""
    from consulta.jurisdictions.models import Role
    from consulta.mesa.services import add_seat, create_forum

    jurisdiction = jurisdiction or make_jurisdiction()
    actor = overrides.pop("actor", None) or make_grant(role=Role.ADMIN, jurisdiction=jurisdiction).user
    fields = {"name": "Mesa de Gobierno Abierto", "act_number": "Resolución Exenta N° 852",
              "act_date": date(2017, 7, 31), "rules": "<p>La Mesa sesiona al menos cada seis meses.</p>"}
    fields.update(overrides)
    forum = create_forum(jurisdiction, actor=actor, **fields)
    if seats:
        for sector, chairs, organisation in MESA_SEATS:
            add_seat(forum, sector=sector, chairs=chairs, organisation=organisation, holder=make_user(),
                     designated_on=date(2017, 8, 1), designation="Designación según la Resolución Exenta N° 852",
                     actor=actor)
    db.session.flush()
    return forum


def make_meeting(forum=None, **overrides):
    """A meeting of `forum` held today (local date) with every current seat present, recorded by a
    moderator of its jurisdiction unless `actor` is given."""
    from consulta.mesa.services import current_seats, local_today, record_meeting

    forum = forum or make_forum()
    fields = {"held_on": local_today(forum.jurisdiction), "agenda": "Revisión del plan de acción.",
              "minutes": "La Mesa revisó el borrador del plan.", "present": current_seats(forum)}
    fields.update(overrides)
    if "actor" not in fields:
        fields["actor"] = make_moderator(forum.jurisdiction)
    meeting = record_meeting(forum, **fields)
    db.session.flush()
    return meeting


# --- public consultation -------------------------------------------------------------------------

def make_consultation(cycle=None, *, commitments=2, first_day=None, last_day=None, moderator=None):
    """A cycle (a new one with intake open by default) whose draft plan of `commitments` commitments
    is in public consultation now: from two days before today to ten after (local dates, unless
    told), frozen as the version comments read. `moderator` drafts them (a new one each otherwise)."""
    from datetime import timedelta

    from consulta.commitments.services import freeze_for_consultation
    from consulta.cycles.models import PhaseKind, PhaseState

    cycle = cycle or make_intake_cycle()
    for _ in range(commitments):
        make_commitment(cycle, **({"actor": moderator} if moderator is not None else {}))
    today = local_today(cycle.jurisdiction.timezone)
    phase = make_phase(cycle, PhaseKind.CONSULTATION, first_day=first_day or today - timedelta(days=2),
                       last_day=last_day or today + timedelta(days=10))
    transition(phase, PhaseState.OPEN, actor=None)
    freeze_for_consultation(phase, actor=None)
    db.session.flush()
    return cycle


def make_comment(target=None, **overrides):
    """A comment in favour by a new citizen, on commitment N° 1 of a new consultation unless told.
    The default text is short and numbered, so that no two default comments make a campaign."""
    from consulta.consultation.models import Alignment
    from consulta.consultation.services import commitment_target, post_comment

    if target is None and overrides.get("reply_to") is None:
        target = commitment_target(make_consultation(), 1)
    author = overrides.pop("author", None) or make_user()
    fields = {"text": unique("Observación número "),
              "alignment": None if overrides.get("reply_to") is not None else Alignment.A_FAVOR}
    fields.update(overrides)
    comment = post_comment(target, author=author, **fields)
    db.session.flush()
    return comment


# --- implementation monitoring -------------------------------------------------------------------

def make_published_plan(cycle=None, *, activities=None, entity=None, moderator=None):
    """A commitment (1 Dec 2018 – 31 Aug 2020) of a new cycle's plan, with activities (pairs of start
    and end dates: the seed's first activity, 1 Dec 2018 – 30 Apr 2019, by default), approved by the
    jurisdiction's Mesa (every member present and confirming) and published. Returns the commitment."""
    from consulta.commitments.services import freeze_plan
    from consulta.mesa.models import Decision, Vote
    from consulta.mesa.services import confirm_act, publish, record_act

    cycle = cycle or make_intake_cycle()
    moderator = moderator or make_moderator(cycle.jurisdiction)
    commitment = make_commitment(cycle, actor=moderator, **({"entity": entity} if entity is not None else {}))
    for starts_on, ends_on in activities or [(date(2018, 12, 1), date(2019, 4, 30))]:
        make_activity(commitment, starts_on=starts_on, ends_on=ends_on, actor=moderator)
    version = freeze_plan(cycle, actor=moderator)
    meeting = make_meeting(make_forum(cycle.jurisdiction), cycle=cycle, actor=moderator)
    act = record_act(meeting, version=version, decision=Decision.APPROVED,
                     votes={seat: Vote.FOR for seat in meeting.present}, actor=moderator)
    for seat in meeting.present:
        confirm_act(act, actor=seat.holder)
    publish(version, actor=moderator)
    db.session.flush()
    return commitment


def make_reporter(entity, **overrides):
    """A person who reports progress for `entity` (a grant of its jurisdiction)."""
    from consulta.jurisdictions.models import Role

    return make_grant(role=Role.REPORTER, jurisdiction=entity.jurisdiction, entity=entity, **overrides).user


def make_report(activity, **overrides):
    """A report of 50 % on the activity's start date by a new reporter of its responsible entity."""
    from consulta.monitoring.services import submit_report

    fields = {"reported_on": activity.starts_on, "narrative": "Se avanzó en la sistematización del Modelo.",
              "percent": 50}
    fields.update(overrides)
    if "reporter" not in fields:
        fields["reporter"] = make_reporter(activity.responsible_entity)
    report = submit_report(activity, **fields)
    db.session.flush()
    return report
