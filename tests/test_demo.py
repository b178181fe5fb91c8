"""`flask demo`: the seed's content, loaded through the services, each object with its history."""
from datetime import date

import pytest
from sqlalchemy import func, select

from consulta.accounts.models import User
from consulta.commitments import services as commitments
from consulta.commitments.models import Activity, PlanVersion
from consulta.core import clock
from consulta.consultation import services as consultation, targets
from consulta.consultation.models import AppealState, Comment, CommentAppeal
from consulta.core.audit import StateChange
from consulta.core.permissions import can
from consulta.cycles.models import Cycle, Phase, PhaseKind, PhaseState
from consulta.core.sectors import Sector
from consulta.core.windows import to_local
from consulta.cycles.services import accepting, window_for
from consulta.demo import base, loader
from consulta.extensions import db as _db
from consulta.jurisdictions.models import Entity, Jurisdiction, Role, RoleGrant
from consulta.jurisdictions.regions import Region
from consulta.mesa import services as mesa
from consulta.mesa.models import ActState, MesaForum, MesaMeeting, MesaSector, ObservationState
from consulta.municipal import services as municipal
from consulta.municipal.models import Answer, Question, SupportActivity
from consulta.proposals import services as proposals
from consulta.proposals.models import FINAL_OUTCOMES, Channel, ProposalState, ThematicArea, WithdrawalReason
from consulta.tables import services as tables
from consulta.tables.models import CheckIn, TableProposal
from consulta.triage import services as triage
from consulta.triage.models import Handling
from tests.conftest import rolled_back
from tests.test_stats import figures


@pytest.fixture(scope="module")
def demo(app):
    """The demo, loaded once for this module and rolled back at its end."""
    with rolled_back(app) as database:
        summary = loader.load()
        yield database, summary


def _audited_classes():
    """Every model with a state machine, plus the objects that record their creation as an event."""
    classes = {mapper.class_ for mapper in _db.Model.registry.mappers if hasattr(mapper.class_, "TRANSITIONS")}
    events = {Jurisdiction, Entity, Cycle, ThematicArea, CheckIn, TableProposal, Question, Answer, SupportActivity,
              Activity, PlanVersion, Handling, MesaForum, MesaMeeting}
    return sorted(classes | events, key=lambda cls: cls.__name__)


def _cycle(database, code):
    return database.session.scalar(select(Cycle).where(Cycle.code == code))


def test_the_seed_municipalities_and_the_national_level_are_there(demo):
    database, _summary = demo
    names = set(database.session.scalars(select(Jurisdiction.name)))
    assert {"Chile", "Cerro Navia", "Peñalolén", "Recoleta", "Santo Domingo", "Talagante", "Vitacura",
            "Providencia", "Renca"} <= names
    entities = set(database.session.scalars(select(Entity.name)))
    assert {"Consejo para la Transparencia", "Ministerio Secretaría General de la Presidencia"} <= entities


def test_demo_accounts_are_verified_and_their_passwords_printed(demo):
    database, summary = demo
    users = database.session.scalars(select(User)).all()
    assert len(users) > 150 and all(user.is_verified for user in users)
    printed = "\n".join(summary)
    # The accounts for every role are printed; the crowd's (participants, representatives) are not.
    for key, _name, _roles in base.ACCOUNTS:
        assert f"{key.replace('_', '.')}@{base.EMAIL_DOMAIN}" in printed
    assert "participante.001@" not in printed


def test_every_demo_object_has_its_creating_history_row(demo):
    database, _summary = demo
    checked = 0
    for cls in _audited_classes():
        table = cls.__tablename__
        ids = set(database.session.scalars(select(cls.id)))
        recorded = set(database.session.scalars(
            select(StateChange.object_id).where(StateChange.object_type == table, StateChange.from_state.is_(None))))
        assert ids <= recorded, f"{table}: {sorted(ids - recorded)[:5]} have no creating history row"
        checked += len(ids)
    assert checked > 50


def test_the_current_cycle_is_open_on_the_day_the_demo_is_loaded(demo):
    database, _summary = demo
    renca = database.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "renca"))
    cycle = database.session.scalar(select(Cycle).where(Cycle.jurisdiction_id == renca.id))
    now = clock.now()
    for kind in (PhaseKind.INTAKE, PhaseKind.TABLES, PhaseKind.CONSULTATION):
        assert accepting(cycle.phase(kind), now), kind


def test_past_plans_are_played_to_the_end_with_dated_history(demo):
    database, _summary = demo
    open_past = database.session.scalar(
        select(func.count(Phase.id)).join(Cycle).where(Cycle.code.in_(["PA3", "PA4"]),
                                                       Phase.state != PhaseState.CLOSED))
    assert open_past == 0
    fourth = database.session.scalar(select(Cycle).where(Cycle.code == "PA4"))
    intake = fourth.phase(PhaseKind.INTAKE)
    opened = database.session.scalar(select(StateChange).where(
        StateChange.object_type == "phase", StateChange.object_id == intake.id, StateChange.to_state == "OPEN"))
    assert opened.at == intake.opens_at


def test_a_second_load_changes_nothing_but_the_passwords(demo):
    database, _summary = demo
    before = database.session.scalar(select(func.count(StateChange.id)))
    summary = loader.load()
    assert database.session.scalar(select(func.count(StateChange.id))) == before
    assert any("already loaded" in line for line in summary)


# --- proposals -----------------------------------------------------------------------------------

def test_the_register_reads_the_seeds_figures(demo):
    database, _summary = demo
    assert proposals.received_count(_cycle(database, "PA3")) == 58
    assert proposals.received_count(_cycle(database, "PA4")) == 158


def test_the_third_plans_proposals_came_through_two_channels_in_their_sectors_windows(demo):
    database, _summary = demo
    third = _cycle(database, "PA3")
    intake = third.phase(PhaseKind.INTAKE)
    received = database.session.scalars(proposals.received(third)).all()
    agencies = [p for p in received if p.channel is Channel.AGENCY_SUBMISSION]
    forms = [p for p in received if p.channel is Channel.FORM]
    assert len(agencies) + len(forms) == 58 and agencies and forms
    assert {p.sector for p in agencies} == {Sector.SERVICIO_PUBLICO}
    assert all(p.entered_by is not None and p.submitter_name for p in agencies)
    assert {p.sector for p in forms} == {Sector.OSC}
    for proposal in received:
        window = window_for(intake, proposal.sector)
        assert window.opens_at <= proposal.submitted_at < window.closes_at, proposal.reference
        assert local_date_in(window, proposal.received_on, third.jurisdiction.timezone)


def local_date_in(window, day, tz):
    return to_local(window.opens_at, tz).date() <= day <= to_local(window.closes_at, tz).date()


def test_the_fourth_plan_came_through_the_one_form_from_every_sector_with_edits(demo):
    database, _summary = demo
    fourth = _cycle(database, "PA4")
    window = fourth.phase(PhaseKind.INTAKE).window
    received = database.session.scalars(proposals.received(fourth)).all()
    assert {p.channel for p in received} == {Channel.FORM}
    assert {p.sector for p in received} == set(Sector)
    assert {p.area.name for p in received} == {
        "Recursos naturales y medio ambiente", "Políticas sociales y educacionales", "Modernización del Estado",
        "Transparencia e integridad"}
    assert all(window.opens_at <= p.submitted_at < window.closes_at for p in received)
    edited = [p for p in received if p.is_edited]
    assert len(edited) >= 5 and all(window.opens_at < p.edited_at < window.closes_at for p in edited)


def test_near_duplicates_are_found_by_the_similar_proposals_step(demo):
    database, _summary = demo
    fourth = _cycle(database, "PA4")
    received = database.session.scalars(proposals.received(fourth)).all()
    copies = [p for p in received if "Nos sumamos a otras voces" in p.body]
    assert len(copies) >= 3
    for copy in copies:
        similar = proposals.similar_to(fourth, title=copy.title, text=f"{copy.problem} {copy.body}", exclude=copy)
        assert any(other.title.split(" ", 1)[1] == copy.title.split(" ", 1)[1] for other, _score in similar)


def test_renca_has_a_few_proposals_in_its_open_intake_sent_before_now_some_withdrawn(demo):
    database, _summary = demo
    renca = _cycle(database, "REN1")
    received = database.session.scalars(proposals.received(renca)).all()
    assert 5 <= len(received) <= 15
    assert all(renca.phase(PhaseKind.INTAKE).opens_at <= p.submitted_at <= clock.now() for p in received)
    assert {p.sector for p in received} >= {Sector.CIUDADANIA, Sector.OSC}
    withdrawn = [p for p in received if p.state is ProposalState.WITHDRAWN]
    assert WithdrawalReason.DUPLICATE in {p.withdrawal_reason for p in withdrawn}
    assert proposals.intake_open(renca, Sector.CIUDADANIA)


# --- tables --------------------------------------------------------------------------------------

def test_the_tables_and_their_attendees_are_counted_from_the_check_ins(demo):
    database, _summary = demo
    third, fourth = _cycle(database, "PA3"), _cycle(database, "PA4")
    assert (tables.tables_held(third), tables.attendees(third)) == (7, 190)
    assert (tables.tables_held(fourth), tables.attendees(fourth)) == (8, 410)
    held = tables.tables_of(fourth)
    assert all(table.minutes and tables.assigned_links(table) for table in held)
    assert any(tables.walk_ins(table) for table in held)
    assert len({table.region for table in held}) >= 4


def test_a_magallanes_table_keeps_its_own_time_zone(demo):
    database, _summary = demo
    for code in ("PA3", "PA4"):
        south = [table for table in tables.tables_of(_cycle(database, code)) if table.region is Region.MA]
        assert south and all(table.venue_timezone == "America/Punta_Arenas" for table in south)


def test_renca_has_an_open_table_with_a_few_seats_and_a_full_one_with_a_waiting_list(demo):
    database, _summary = demo
    renca_tables = tables.tables_of(_cycle(database, "REN1"))
    assert all(tables.registration_open(table) for table in renca_tables)
    assert any(0 < table.seats_left <= 5 and tables.waiting_count(table) == 0 for table in renca_tables)
    assert any(table.seats_left == 0 and tables.waiting_count(table) > 0 for table in renca_tables)


# --- the municipal model --------------------------------------------------------------------------

SEED_MUNICIPALITIES = {"Cerro Navia": "DIAGNOSING", "Peñalolén": "DIAGNOSING", "Recoleta": "DIAGNOSING",
                       "Santo Domingo": "DIAGNOSING", "Talagante": "DIAGNOSING", "Vitacura": "DIAGNOSING",
                       "Providencia": "DIAGNOSING", "Renca": "WITH_PLAN"}


def test_the_follow_up_lists_the_seed_municipalities_with_their_states(demo):
    _database, _summary = demo
    rows = {row.jurisdiction.name: row for row in municipal.followup_rows()}
    assert {name: rows[name].state_code for name in SEED_MUNICIPALITIES} == SEED_MUNICIPALITIES
    for name in SEED_MUNICIPALITIES:
        adhesion = rows[name].adhesion
        assert adhesion.mayor_name and adhesion.act_number
        assert date(2017, 1, 1) <= adhesion.signed_on <= date(2019, 12, 31)
        assert rows[name].scores is not None
    assert rows["Renca"].current_cycle.code == "REN1"
    far = {rows[name].state_code for name in ("Arica", "Antofagasta", "Coyhaique", "Punta Arenas")}
    assert far == {"INVITED", "ADHERED", "DIAGNOSING"}


def test_municipal_history_is_dated_in_the_past(demo):
    database, _summary = demo
    later = database.session.scalar(select(func.count(StateChange.id)).where(
        StateChange.object_type.in_(["adhesion", "diagnostic", "questionnaire_version", "local_response"]),
        StateChange.at > clock.now()))
    assert later == 0
    assert municipal.current_version().questions


def test_renca_s_organisations_answered_the_short_version_and_a_workshop_has_its_check_ins(demo):
    _database, _summary = demo
    renca = next(row.jurisdiction for row in municipal.followup_rows() if row.jurisdiction.slug == "renca")
    comparison = municipal.local_comparison(municipal.submitted_diagnostics(renca)[0])
    assert [response.organisation.name for response, _scores in comparison.organisations] == [
        "Fundación Tribu", "Junta de Vecinos Huamachuco"]
    assert len(comparison.areas) == 4
    workshop = next(activity for activity in municipal.support_activities(renca)
                    if activity.topic.startswith("Seguimiento del plan"))
    registered = [row for row in workshop.attendees if row.user_id is not None]
    assert (len(registered), sum(row.is_present for row in registered)) == (5, 4)
    assert (workshop.registered, workshop.attendance) == (6, 5)


# --- commitments and triage ------------------------------------------------------------------------

SEED_COMMITMENTS = {  # N°: (area, name, responsible entity), as the seed's "Resumen Compromisos" lists them
    8: ("Recursos naturales y medio ambiente", "Gestión de recursos hídricos",
        "Dirección General de Aguas – Ministerio de Obras Públicas"),
    1: ("Políticas sociales y educacionales", "Creación de un Plan Nacional de formación cívica en materias de "
        "integridad para funcionarios públicos", "Dirección Nacional del Servicio Civil"),
    2: ("Políticas sociales y educacionales", "Formación en Gobierno Abierto", "Biblioteca del Congreso Nacional"),
    3: ("Modernización del Estado", "Justicia Abierta en la Defensoría Penal Pública", "Defensoría Penal Pública"),
    4: ("Modernización del Estado", "Ampliación y profundización del Modelo de Gobierno Abierto Municipal",
        "Consejo para la Transparencia"),
    5: ("Modernización del Estado", "Fortalecimiento de capacidades en servicios para atención inclusiva",
        "Ministerio Secretaría General de la Presidencia"),
    9: ("Modernización del Estado", "Fortalecimiento de los Consejos de la Sociedad Civil y otros mecanismos de "
        "participación ciudadana en la gestión pública",
        "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno"),
    6: ("Transparencia e integridad", "Plan estratégico para el fortalecimiento del Sistema de Integridad Pública",
        "Dirección Nacional del Servicio Civil"),
    7: ("Transparencia e integridad", "Plan de difusión y seguimiento en Chile de los Objetivos de Desarrollo "
        "Sostenible y su vinculación con políticas públicas", "Contraloría General de la República"),
    10: ("Transparencia e integridad", "Política de Datos Abiertos y Protección de Datos",
         "Consejo para la Transparencia"),
    11: ("Transparencia e integridad", "Construir colaborativamente una propuesta de política sobre creación de un "
         "registro de dueños reales (beneficiarios finales - BF) de empresas", "Unidad de Análisis Financiero"),
    12: ("Transparencia e integridad", "Implementación del Estándar Internacional de Datos de Contratación Abierta - "
         "OCDS (Open Contracting Data Standard)", "Dirección de Compras y Contratación Pública (ChileCompra)"),
}


def test_the_fourth_plan_has_the_seeds_twelve_commitments(demo):
    database, _summary = demo
    plan = commitments.plan(_cycle(database, "PA4"))
    assert {c.number: (c.area.name, c.name, c.entity.name) for c in plan} == SEED_COMMITMENTS


def test_commitment_4_reads_as_in_the_seed_with_its_four_activities(demo):
    database, _summary = demo
    fourth = commitments.find(_cycle(database, "PA4"), 4)
    assert (fourth.starts_on, fourth.ends_on) == (date(2018, 12, 1), date(2020, 8, 31))
    assert fourth.commitment_text.startswith("Promover y gestionar la adhesión de municipalidades del país")
    assert fourth.commitment_text.endswith("participación ciudadana y colaboración con la sociedad civil.")
    assert [(a.starts_on, a.ends_on) for a in fourth.activities] == [
        (date(2018, 12, 1), date(2019, 4, 30)), (date(2019, 5, 1), date(2019, 10, 30)),
        (date(2019, 5, 1), date(2020, 3, 31)), (date(2019, 5, 1), date(2020, 7, 31))]
    assert fourth.activities[3].name == "Asesoría para la implementación y monitoreo."


def test_commitments_come_from_proposals_linked_both_ways(demo):
    database, _summary = demo
    for commitment in commitments.plan(_cycle(database, "PA4")):
        origins = commitments.origin_proposals(commitment)
        assert origins, commitment.number
        for proposal in origins:
            assert proposal.state is ProposalState.ACCEPTED
            assert commitment in commitments.commitments_of_proposal(proposal)


@pytest.mark.parametrize("code, total", [("PA4", 158), ("PA3", 58)])
def test_every_proposal_of_the_past_plans_is_answered(demo, code, total):
    database, _summary = demo
    cycle = _cycle(database, code)
    coverage = triage.coverage(cycle).total
    assert (coverage.received, coverage.answered, coverage.pending) == (total, total, 0)
    states = {p.state for p in database.session.scalars(proposals.received(cycle))}
    assert {ProposalState.MERGED, ProposalState.ACCEPTED, ProposalState.NOT_ACCEPTED} <= states
    for proposal in database.session.scalars(proposals.received(cycle)):
        assert proposal.response and triage.responses_of(proposal), proposal.reference
        if proposal.state is ProposalState.MERGED:
            assert proposal.merged_into.state is not ProposalState.MERGED


def test_the_fourth_plan_found_a_few_submissions_not_admissible(demo):
    database, _summary = demo
    fourth = _cycle(database, "PA4")
    assert 1 <= proposals.received_count(fourth, state=ProposalState.INADMISSIBLE) <= 5


def test_renca_answered_what_it_had_before_its_consultation_opened(demo):
    database, _summary = demo
    renca = _cycle(database, "REN1")
    opened = renca.phase(PhaseKind.CONSULTATION).opens_at
    for proposal in database.session.scalars(proposals.received(renca)):
        assert (proposal.submitted_at < opened) == (proposal.state in FINAL_OUTCOMES), proposal.reference
    assert commitments.plan(renca)


# --- public consultation -------------------------------------------------------------------------

@pytest.mark.parametrize("code, total", [("PA3", 9), ("PA4", 73)])
def test_the_consultation_reads_the_seeds_comments_all_answered(demo, code, total):
    database, _summary = demo
    cycle = _cycle(database, code)
    assert consultation.received_count(cycle) == total
    assert consultation.pending_count(cycle) == 0


def test_the_fourth_plans_comments_have_replies_a_campaign_and_an_appeal(demo):
    database, _summary = demo
    cycle = _cycle(database, "PA4")
    comments = database.session.scalars(select(Comment).where(
        Comment.cycle_id == cycle.id, Comment.target_kind.in_(targets.consultation_kinds()))).all()
    participants = [comment for comment in comments if not comment.staff]
    assert all(comment.answer_id is not None for comment in participants)
    assert any(comment.parent_id for comment in participants)
    assert any(comment.staff for comment in comments), "a moderator's reply, not counted"
    on_n4 = consultation.commitment_target(cycle, 4)
    assert any(comment.target_id == on_n4.id and comment.target_kind == on_n4.kind.kind and comment.quote
               for comment in participants)
    leaders = {comment.campaign_of_id for comment in participants if comment.campaign_of_id}
    assert len(leaders) == 1
    group = consultation.group_of(database.session.get(Comment, leaders.pop()))
    assert group.size == 8 and len({member.answer_id for member in group.members}) == 1
    appeal = database.session.scalar(select(CommentAppeal).join(Comment).where(Comment.cycle_id == cycle.id))
    assert appeal.state is AppealState.GRANTED and appeal.comment.hidden_by_id is not None


def test_renca_has_a_few_comments_before_now(demo):
    database, _summary = demo
    cycle = _cycle(database, "REN1")
    assert 0 < consultation.received_count(cycle) < 10
    received = database.session.scalars(consultation.received(cycle)).all()
    assert all(comment.created_at <= clock.now() for comment in received)


# --- the Mesa ----------------------------------------------------------------------------------------

def test_the_mesa_was_formalised_in_2017_with_four_seats(demo):
    database, _summary = demo
    forum = mesa.forum_of(database.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == base.NATIONAL_SLUG)))
    assert (forum.name, forum.act_number, forum.act_date) == (
        "Mesa de Gobierno Abierto", "Resolución Exenta N° 852", date(2017, 7, 31))
    seats = mesa.current_seats(forum)
    assert {seat.sector for seat in seats} == {MesaSector.GOVERNMENT, MesaSector.CIVIL_SOCIETY, MesaSector.ACADEMIA,
                                               MesaSector.INTERNATIONAL}
    assert seats[0].chairs and seats[0].holder.email.startswith("mesa.presidencia@")
    # The role comes with the seat, on the day of the designation.
    grants = database.session.scalars(select(RoleGrant).where(RoleGrant.role == Role.MESA_MEMBER)).all()
    assert {grant.user_id for grant in grants} == {seat.holder_id for seat in seats}
    for grant in grants:
        granted = database.session.scalar(select(StateChange).where(
            StateChange.object_type == "role_grant", StateChange.object_id == grant.id,
            StateChange.from_state.is_(None)))
        assert to_local(granted.at, forum.jurisdiction.timezone).date() == date(2017, 7, 31)


def test_the_mesa_met_twice_on_the_fourth_plan_and_the_exact_published_version_is_approved(demo):
    database, _summary = demo
    cycle = _cycle(database, "PA4")
    assert len(mesa.meetings_of_cycle(cycle)) == 2
    observations = mesa.observations_of(cycle)
    assert observations and all(observation.state is ObservationState.ANSWERED for observation in observations)
    assert mesa.is_published(cycle)
    version = mesa.published_version(cycle)
    act = mesa.approving_act(version)
    assert act is not None and act.state is ActState.IN_FORCE and act.version_id == version.id
    assert {row.seat_id for row in act.confirmations} == {seat.id for seat in act.meeting.present}


def test_the_third_plan_predates_the_mesa(demo):
    database, _summary = demo
    cycle = _cycle(database, "PA3")
    assert mesa.acts_of(cycle) == [] and mesa.meetings_of_cycle(cycle) == []
    assert not mesa.is_published(cycle)


def test_the_published_fourth_plan_downloads_as_pdf_and_docx(demo, app):
    database, _summary = demo
    cycle = _cycle(database, "PA4")
    number = mesa.published_version(cycle).number
    page = f"/j/{base.NATIONAL_SLUG}/{cycle.slug}/plan/publicado"
    client = app.test_client()
    assert client.get(page).status_code == 200
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        response = client.get(f"{page}/{number}/plan.{fmt}")
        assert response.status_code == 200 and response.data.startswith(magic), fmt


def test_the_follow_up_page_lists_the_seed_municipalities_and_reaches_rencas_local_plan(demo, app):
    import re

    from flask import url_for

    from consulta.municipal.models import ADHESION_LABELS

    database, _summary = demo
    client = app.test_client()
    response = client.get("/municipios/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name = re.search(r'<th scope="row"><a [^>]*>([^<]+)</a>', row).group(1)
        rows[name] = row
    renca = _cycle(database, "REN1")
    # The page's language is the default one: the labels are compared with what the catalogue says.
    with app.test_request_context():
        labels = {code: str(ADHESION_LABELS[code]) for code in set(SEED_MUNICIPALITIES.values())}
        link = url_for("cycles.detail", slug="renca", cycle_slug=renca.slug)
    for name, code in SEED_MUNICIPALITIES.items():
        assert name in rows, name
        assert f'<span class="badge badge-{code.lower()}">{labels[code]}</span>' in rows[name], name
    assert f'href="{link}"' in rows["Renca"]
    assert client.get(link).status_code == 200


def test_commitment_4_reads_as_the_seed_on_1_december_2019_and_shows_how_it_ended(demo):
    """The seed's "plazo cumplido y en proceso": on 1 Dec 2019 the first two activities are done and
    the last two in progress; today the third is done and the fourth, never reported done, is late."""
    from consulta.monitoring import services as monitoring
    from consulta.monitoring.models import Status

    database, _summary = demo
    fourth = database.session.scalar(select(Cycle).where(Cycle.code == "PA4"))
    activities = sorted(commitments.find(fourth, 4).activities, key=lambda activity: (activity.starts_on, activity.id))
    assert [monitoring.status_as_of(activity, date(2019, 12, 1)).status for activity in activities] == [
        Status.DONE, Status.DONE, Status.IN_PROGRESS, Status.IN_PROGRESS]
    today = to_local(clock.now(), fourth.jurisdiction.timezone).date()
    assert [monitoring.status_as_of(activity, today).status for activity in activities] == [
        Status.DONE, Status.DONE, Status.DONE, Status.LATE]


# --- implementation monitoring: every entity reports ------------------------------------------------

def _reporters(database):
    """The demo's reporter accounts, each with the name of the entity it reports for."""
    return [(database.session.scalar(select(User).where(User.email == f"{key.replace('_', '.')}@{base.EMAIL_DOMAIN}")),
             entity) for key, _name, roles in base.ACCOUNTS for role, _slug, entity in roles if role is Role.REPORTER]


def _today(cycle):
    return to_local(clock.now(), cycle.jurisdiction.timezone).date()


def test_every_commitment_of_the_published_plan_has_activities_reported_by_its_own_entity(demo):
    from consulta.monitoring import services as monitoring

    database, _summary = demo
    cycle = _cycle(database, "PA4")
    published = monitoring.published_commitments(cycle)
    assert len(published) == 12
    corrected = 0
    for commitment in published:
        assert commitment.activities, commitment.number
        reports = [report for found in monitoring.reports_for(commitment.activities).values() for report in found]
        assert reports, commitment.number
        for report in reports:
            assert report.entity == report.activity.responsible_entity
            assert can(report.author, "report_progress", report.entity)
            corrected += report.corrected
    assert corrected >= 2
    assert {entity for _user, entity in _reporters(database)} == {c.entity.name for c in published}


def test_a_mesa_member_asks_on_a_report_and_the_entity_answers_in_its_thread(demo, app):
    from consulta.consultation.models import Comment

    database, _summary = demo
    comments = database.session.scalars(select(Comment).where(Comment.target_kind == "progress_report")
                                        .order_by(Comment.id)).all()
    question, answer = comments
    assert not question.staff and question.author.email.startswith("mesa.sociedad.civil@")
    assert answer.parent_id == question.id and answer.speaks_for == "Consejo para la Transparencia"
    cycle = _cycle(database, "PA4")
    page = app.test_client().get(f"/j/chile/{cycle.slug}/seguimiento/informes/{question.target_id}").get_data(as_text=True)
    assert question.body in page and answer.body in page and "Entidad responsable: Consejo para la Transparencia" in page


def test_each_reporter_account_reports_for_its_own_entity_only(demo):
    database, _summary = demo
    entities = database.session.scalars(select(Entity)).all()
    reporters = _reporters(database)
    assert len(reporters) == 10
    for user, own in reporters:
        allowed = [entity.name for entity in entities if can(user, "report_progress", entity)]
        assert allowed == [own], user.email


def test_today_the_tracker_shows_activities_done_on_time_and_late_and_activities_late(demo):
    from consulta.monitoring import services as monitoring
    from consulta.monitoring.models import Status

    database, _summary = demo
    cycle = _cycle(database, "PA4")
    statuses = [item for progress in monitoring.tracker(cycle, _today(cycle)) for item in progress.activities]
    kinds = {(item.status, item.on_time) for item in statuses}
    assert {(Status.DONE, True), (Status.DONE, False), (Status.LATE, None)} <= kinds
    # The plan ended in August 2020: "en proceso" and "pendiente" belong to the days it ran.
    seed_day = {item.status for progress in monitoring.tracker(cycle, date(2019, 12, 1)) for item in progress.activities}
    assert seed_day == set(Status)


def test_the_late_list_is_exactly_the_activities_ended_without_a_report_of_done(demo, app):
    import re

    from sqlalchemy import and_

    from consulta.monitoring import services as monitoring
    from consulta.monitoring.models import ProgressReport, ReportVersion

    database, _summary = demo
    cycle = _cycle(database, "PA4")
    today = _today(cycle)
    done = select(ProgressReport.activity_id).join(ReportVersion, and_(
        ReportVersion.report_id == ProgressReport.id, ReportVersion.number == ProgressReport.current_number)).where(
        ReportVersion.done, ReportVersion.reported_on <= today)
    in_plan = [row.commitment_id for row in mesa.published_version(cycle).snapshots]
    expected = set(database.session.scalars(select(Activity.id).where(
        Activity.commitment_id.in_(in_plan), Activity.ends_on < today, Activity.id.not_in(done))))
    assert len(expected) >= 3
    assert {item.activity.id for item in monitoring.late(cycle, today)} == expected
    page = app.test_client().get(f"/j/{base.NATIONAL_SLUG}/{cycle.slug}/seguimiento/atrasadas").get_data(as_text=True)
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    assert {int(found) for found in re.findall(r"/actividades/(\d+)", body)} == expected


def test_commitments_without_a_report_in_six_months_are_flagged_on_the_tracker(demo, app):
    from consulta.monitoring import services as monitoring
    from consulta.monitoring.models import Completion

    database, _summary = demo
    cycle = _cycle(database, "PA4")
    rows = monitoring.tracker(cycle, _today(cycle))
    stale = [progress.commitment.number for progress in rows if progress.stale]
    assert stale and all(progress.level is not Completion.COMPLETE for progress in rows if progress.stale)
    assert any(progress.level is Completion.COMPLETE for progress in rows)
    page = app.test_client().get(f"/j/{base.NATIONAL_SLUG}/{cycle.slug}/seguimiento").get_data(as_text=True)
    assert page.count('class="warning"') == len(stale)
    # While the plan ran, N° 7's reporter had gone silent since March 2019.
    assert [progress.commitment.number for progress in monitoring.tracker(cycle, date(2019, 12, 1))
            if progress.stale] == [7]


def test_commitment_4s_page_shows_the_seeds_dates_and_the_seeds_first_of_december_2019(demo, app):
    from consulta.core.i18n import local_date

    database, _summary = demo
    cycle = _cycle(database, "PA4")
    path = f"/j/{base.NATIONAL_SLUG}/{cycle.slug}/seguimiento/compromisos"
    client = app.test_client()
    past = client.get(f"{path}/4", query_string={"al": "2019-12-01"}).get_data(as_text=True)
    # The page's language is the default one: the dates are written as the page writes them.
    with app.test_request_context():
        dates = [f"{local_date(activity.starts_on)} – {local_date(activity.ends_on)}"
                 for activity in commitments.find(cycle, 4).activities]
    assert len(dates) == 4 and all(text in past for text in dates)
    assert all(activity.deliverable and activity.milestone for activity in commitments.find(cycle, 4).activities)
    assert past.count("badge-done") == 2 and past.count("badge-in_progress") == 2
    today = client.get(f"{path}/4").get_data(as_text=True)
    assert today.count("badge-done") == 3 and today.count("badge-late") == 1
    # Completed on time or late: the page says which (N° 2's regional workshops ended late).
    second = client.get(f"{path}/2").get_data(as_text=True)
    assert second.count('class="on-time"') == 2 and second.count('class="done-late"') == 1


# --- the comparison page reproduces the seed's table (stats) ---------------------------------------

@pytest.fixture(scope="module")
def demo_page(demo, app):
    """The comparison page's figures, read once."""
    return figures(app.test_client(), "chile")


@pytest.mark.parametrize("code, proposals_, held, attendees, comments", [
    ("PA3", 58, 7, 190, 9),
    ("PA4", 158, 8, 410, 73),
])
def test_the_comparison_page_reads_the_seeds_figures(demo_page, code, proposals_, held, attendees, comments):
    assert demo_page[code, "proposals"][0] == proposals_
    assert demo_page[code, "tables"][0] == held
    assert demo_page[code, "attendees"][0] == attendees
    assert demo_page[code, "comments"][0] == comments


def test_the_comparison_page_names_the_seeds_channels(demo_page):
    # 3rd plan: the organisations' form and the agencies' submissions to the Comisión; 4th: one form.
    assert {name for code, name in demo_page if code == "PA3" and name.startswith("channel-")} == {
        "channel-FORM", "channel-AGENCY_SUBMISSION"}
    assert {name for code, name in demo_page if code == "PA4" and name.startswith("channel-")} == {"channel-FORM"}
