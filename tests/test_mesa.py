"""The Mesa de Gobierno Abierto: the forum and its seats, meetings and the six-month rule, the review
dashboard, observations, approval acts confirmed by every member present, publication of exactly
the approved version with nothing pending, corrections, and the exports of the published plan."""
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from consulta.commitments import services as commitments
from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.permissions import can
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import holds
from consulta.mesa import services
from consulta.mesa.models import ActState, Decision, MesaSector, ObservationState, SeatState, Vote
from consulta.proposals.models import OgpValue
from consulta.proposals.services import areas
from tests.conftest import skip_or_fail
from tests.factories import (
    make_commitment, make_entity, make_forum, make_grant, make_intake_cycle, make_meeting,
    make_moderator, make_proposal, make_user,
)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# The 4th plan's "Resumen Compromisos" (seed): N°, area, name, responsible entity.
FOURTH_PLAN = [
    (1, "Políticas sociales y educacionales", "Creación de un Plan Nacional de formación cívica en materias de "
     "integridad para funcionarios públicos", "Dirección Nacional del Servicio Civil"),
    (2, "Políticas sociales y educacionales", "Formación en Gobierno Abierto", "Biblioteca del Congreso Nacional"),
    (3, "Modernización del Estado", "Justicia Abierta en la Defensoría Penal Pública", "Defensoría Penal Pública"),
    (4, "Modernización del Estado", "Ampliación y profundización del Modelo de Gobierno Abierto Municipal",
     "Consejo para la Transparencia"),
    (5, "Modernización del Estado", "Fortalecimiento de capacidades en servicios para atención inclusiva",
     "Ministerio Secretaría General de la Presidencia"),
    (6, "Transparencia e integridad", "Plan estratégico para el fortalecimiento del Sistema de Integridad Pública",
     "Dirección Nacional del Servicio Civil"),
    (7, "Transparencia e integridad", "Plan de difusión y seguimiento en Chile de los Objetivos de Desarrollo "
     "Sostenible y su vinculación con políticas públicas", "Contraloría General de la República"),
    (8, "Recursos naturales y medio ambiente", "Gestión de recursos hídricos",
     "Dirección General de Aguas Ministerio de Obras Públicas"),
    (9, "Modernización del Estado", "Fortalecimiento de los Consejos de la Sociedad Civil y otros mecanismos de "
     "participación ciudadana en la gestión pública", "División de Organizaciones Sociales – Ministerio "
     "Secretaría General de Gobierno"),
    (10, "Transparencia e integridad", "Política de Datos Abiertos y Protección de Datos",
     "Consejo para la Transparencia"),
    (11, "Transparencia e integridad", "Construir colaborativamente una propuesta de política sobre creación de un "
     "registro de dueños reales (beneficiarios finales - BF) de empresas", "Unidad de Análisis Financiero"),
    (12, "Transparencia e integridad", "Implementación del Estándar Internacional de Datos de Contratación Abierta "
     "- OCDS (Open Contracting Data Standard)", "Dirección de Compras y Contratación Pública (ChileCompra)"),
]
AREAS = ("Recursos naturales y medio ambiente", "Políticas sociales y educacionales", "Modernización del Estado",
         "Transparencia e integridad")
COMMITMENT_4_ACTIVITIES = [
    ("Sistematización y operativización el Modelo de Gobierno Abierto Municipal y su instrumental de "
     "implementación.", date(2018, 12, 1), date(2019, 4, 30)),
    ("Difusión del Modelo y promoción de la adhesión municipal a través de firmas a nivel de alcaldes y "
     "alcaldesas en un acto de voluntad política en municipios.", date(2019, 5, 1), date(2019, 10, 30)),
    ("Capacitación para el uso de instrumentos, elaboración de diagnósticos y diseño participativo de planes "
     "locales de acción.", date(2019, 5, 1), date(2020, 3, 31)),
    ("Asesoría para la implementación y monitoreo.", date(2019, 5, 1), date(2020, 7, 31)),
]
# How the documents write those dates (Spanish, long): "1 de diciembre de 2018" …
COMMITMENT_4_DATES = ["1 de diciembre de 2018", "30 de abril de 2019", "1 de mayo de 2019", "30 de octubre de 2019",
                      "31 de marzo de 2020", "31 de julio de 2020"]


def send(client, path, data):
    """Post a form the way a browser does: with the token of the page that shows it."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def post_with_token(client, page, path, data=None):
    """Press a button of `page` (a path) that posts to `path`."""
    token = TOKEN.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def holders(forum):
    return [seat.holder for seat in services.current_seats(forum)]


@pytest.fixture
def cycle(db):
    return make_intake_cycle(areas=AREAS)


@pytest.fixture
def moderator(cycle):
    return make_moderator(cycle.jurisdiction)


@pytest.fixture
def forum(cycle):
    return make_forum(cycle.jurisdiction)


def build_fourth_plan(cycle, moderator):
    """The 4th plan's twelve commitments with the seed's names, areas and entities, and commitment
    N° 4's four activities, through the commitments services."""
    by_name = {area.name: area for area in areas(cycle)}
    entities = {}
    for number, area, name, entity in FOURTH_PLAN:
        if entity not in entities:
            entities[entity] = make_entity(cycle.jurisdiction, name=entity)
        commitment = commitments.create_commitment(
            cycle, number=number, name=name, area=by_name[area], entity=entities[entity],
            starts_on=date(2018, 12, 1), ends_on=date(2020, 8, 31),
            problem="El problema que aborda el compromiso.", commitment_text=f"¿Cuál es el compromiso? {name}.",
            contribution="", values=[OgpValue.TRANSPARENCIA], from_proposals=[], actor=moderator)
        if number == 4:
            for activity, starts_on, ends_on in COMMITMENT_4_ACTIVITIES:
                commitments.add_activity(commitment, name=activity, starts_on=starts_on, ends_on=ends_on,
                                         actor=moderator)
    return commitments.freeze_plan(cycle, actor=moderator, label="Plan para la aprobación de la Mesa")


def approved(version, forum, moderator, decision=Decision.APPROVED):
    """An act on `version` in a meeting where every seat was present, all voting for, confirmed by all."""
    meeting = make_meeting(forum, cycle=version.cycle, actor=moderator)
    act = services.record_act(meeting, version=version, decision=decision,
                              votes={seat: Vote.FOR for seat in meeting.present}, actor=moderator)
    for person in holders(forum):
        services.confirm_act(act, actor=person)
    return act


# --- the forum and its seats -----------------------------------------------------------------------

def test_the_forum_shows_its_act_rules_and_members_with_contact_data_private(cycle, forum, client, login_as):
    services.update_forum(forum, name=forum.name, act_number=forum.act_number, act_date=forum.act_date,
                          rules='<p>Sesiona <strong>cada seis meses</strong>.</p><script>alert(1)</script>'
                                '<a href="javascript:alert(1)">x</a>',
                          actor=make_grant(role=Role.ADMIN, jurisdiction=cycle.jurisdiction).user)
    assert "<script>" not in forum.rules_html and "javascript:" not in forum.rules_html
    chair = services.current_seats(forum)[0]
    assert chair.chairs and chair.sector is MesaSector.GOVERNMENT

    page = client.get(f"/j/{cycle.jurisdiction.slug}/mesa").get_data(as_text=True)
    assert "Resolución Exenta N° 852" in page
    assert "<strong>cada seis meses</strong>" in page and "<script" not in page and "javascript:" not in page
    for person in holders(forum):
        assert person.display_name in page
        assert person.email not in page
    assert page.count("<h1") == 1

    admin = make_grant(role=Role.ADMIN, jurisdiction=cycle.jurisdiction).user
    page = login_as(admin).get(f"/j/{cycle.jurisdiction.slug}/mesa").get_data(as_text=True)
    assert all(person.email in page for person in holders(forum))


def test_a_seat_gives_the_mesa_role_and_an_ended_term_stays_visible_as_a_past_composition(cycle, forum, client):
    admin = make_grant(role=Role.ADMIN, jurisdiction=cycle.jurisdiction).user
    seat = services.current_seats(forum)[1]
    person = seat.holder
    assert holds(person, Role.MESA_MEMBER, cycle.jurisdiction)

    services.end_seat(seat, ends_on=date(2019, 3, 1), reason="Renuncia", actor=admin)
    successor = make_user(display_name="Nueva representante")
    services.add_seat(forum, sector="CIVIL_SOCIETY", holder=successor.email.upper(), designated_on=date(2019, 3, 2),
                      designation="Elegida por la Red Chilena de Gobierno Abierto", actor=admin)

    assert seat.state is SeatState.ENDED and seat in services.past_seats(forum)
    assert [row.to_state for row in history(seat)] == ["ACTIVE", "ENDED"]
    assert not holds(person, Role.MESA_MEMBER, cycle.jurisdiction)
    assert holds(successor, Role.MESA_MEMBER, cycle.jurisdiction)
    page = client.get(f"/j/{cycle.jurisdiction.slug}/mesa").get_data(as_text=True)
    earlier = page[page.index('id="past-title"'):]
    assert person.display_name in earlier and "Nueva representante" not in earlier


@pytest.mark.parametrize("change, field", [
    ({"holder": "nobody@example.org"}, "holder"),
    ({"sector": "ROYALTY"}, "sector"),
    ({"designation": "  "}, "designation"),
    ({"designated_on": date(2999, 1, 1)}, "designated_on"),
    ({"chairs": True}, "chairs"),
])
def test_a_seat_is_refused_with_the_field_named(cycle, forum, change, field):
    admin = make_grant(role=Role.ADMIN, jurisdiction=cycle.jurisdiction).user
    fields = {"sector": "ACADEMIA", "holder": make_user(), "designated_on": date(2018, 1, 1),
              "designation": "Designada", "actor": admin} | change
    with pytest.raises(DomainError) as refused:
        services.add_seat(forum, **fields)
    assert refused.value.field == field


def test_a_second_forum_for_the_same_jurisdiction_is_refused(cycle, forum):
    with pytest.raises(DomainError):
        make_forum(cycle.jurisdiction, seats=False)


def test_an_administrator_records_the_forum_and_a_seat_through_the_pages(db, login_as):
    jurisdiction = make_intake_cycle().jurisdiction
    admin = make_grant(role=Role.ADMIN, jurisdiction=jurisdiction).user
    client = login_as(admin)
    base = f"/j/{jurisdiction.slug}/mesa"
    assert f'href="{base}/nueva"' in client.get(base).get_data(as_text=True)
    assert f'href="{base}/nueva"' not in login_as(make_user()).get(base).get_data(as_text=True)
    client = login_as(admin)
    refused = send(client, f"{base}/nueva", {"name": "Mesa de Gobierno Abierto", "act_number": "",
                                            "act_date": "2017-07-31", "rules": "Reglas"})
    assert refused.status_code == 200 and 'id="act_number-error"' in refused.get_data(as_text=True)
    assert 'value="Mesa de Gobierno Abierto"' in refused.get_data(as_text=True)
    pdf = (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "resolucion-852.pdf")
    done = send(client, f"{base}/nueva", {"name": "Mesa de Gobierno Abierto", "act_number": "Resolución Exenta N° 852",
                                         "act_date": "2017-07-31", "rules": "Reglas", "document": pdf})
    assert done.status_code == 302
    assert client.get(f"{base}/acta").data.startswith(b"%PDF")
    person = make_user()
    added = send(client, f"{base}/integrantes/nuevo", {"sector": "GOVERNMENT", "holder": person.email,
                                                        "designated_on": "2017-08-01", "chairs": "y",
                                                        "designation": "Designado por el Subsecretario"})
    assert added.status_code == 302
    assert person.display_name in client.get(base).get_data(as_text=True)


# --- meetings and the six-month rule ---------------------------------------------------------------

def test_a_meeting_is_public_and_refused_in_the_future_or_with_someone_who_held_no_seat(cycle, forum, moderator, client):
    seat = services.current_seats(forum)[0]
    with pytest.raises(DomainError) as future:
        make_meeting(forum, held_on=services.local_today(cycle.jurisdiction) + timedelta(days=1), actor=moderator)
    assert future.value.field == "held_on"
    with pytest.raises(DomainError) as before_term:
        make_meeting(forum, held_on=date(2017, 7, 31), present=[seat], actor=moderator)
    assert before_term.value.field == "present"
    with pytest.raises(PermissionDenied):
        make_meeting(forum, actor=holders(forum)[1])

    meeting = make_meeting(forum, cycle=cycle, agenda="Revisión del borrador", actor=moderator)
    page = client.get(f"/j/{cycle.jurisdiction.slug}/mesa/sesiones/{meeting.id}").get_data(as_text=True)
    assert "Revisión del borrador" in page
    assert all(person.display_name in page for person in holders(forum))


def test_the_six_month_warning_appears_when_the_clock_moves(cycle, forum, moderator, client, login_as, clock):
    clock.at(datetime(2019, 3, 1, 15, tzinfo=UTC))
    make_meeting(forum, held_on=date(2019, 3, 1), actor=moderator)
    admin = make_grant(role=Role.ADMIN, jurisdiction=cycle.jurisdiction).user
    page = f"/j/{cycle.jurisdiction.slug}/mesa"

    clock.at(datetime(2019, 9, 1, 15, tzinfo=UTC))  # six months to the day: still in time
    assert services.overdue_since(forum) is None
    assert 'class="warning"' not in client.get(page).get_data(as_text=True)

    clock.at(datetime(2019, 9, 2, 15, tzinfo=UTC))
    assert services.overdue_since(forum) == date(2019, 9, 1)
    assert 'class="warning"' in client.get(page).get_data(as_text=True)
    dashboard = login_as(admin).get("/j/admin/").get_data(as_text=True)
    assert "mesa-overdue-title" in dashboard and f"/j/{cycle.jurisdiction.slug}/mesa" in dashboard

    make_meeting(forum, held_on=date(2019, 9, 2), actor=moderator)
    assert services.overdue_since(forum) is None


def test_the_administrators_dashboard_warns_only_about_their_own_jurisdictions(cycle, forum, login_as, clock):
    clock.at(datetime(2030, 1, 1, tzinfo=UTC))
    other_admin = make_grant(role=Role.ADMIN).user
    assert "mesa-overdue-title" not in login_as(other_admin).get("/j/admin/").get_data(as_text=True)


def test_six_months_from_the_end_of_august_is_the_end_of_february():
    assert services.add_months(date(2019, 8, 31), 6) == date(2020, 2, 29)
    assert services.add_months(date(2019, 12, 15), 6) == date(2020, 6, 15)


# --- the review, observations, and who may change what ---------------------------------------------

def test_a_mesa_member_observes_but_edits_no_commitment_proposal_or_comment(cycle, forum, moderator, login_as):
    proposal = make_proposal(cycle)
    commitment = make_commitment(cycle, number=4, from_proposals=[proposal], actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    member = holders(forum)[1]

    observation = services.observe(version, commitment_number=4, body="Falta una meta medible.", actor=member)
    assert observation.state is ObservationState.OPEN

    with pytest.raises(PermissionDenied):
        commitments.update_commitment(commitment, name="Otro nombre", actor=member)
    with pytest.raises(PermissionDenied):
        commitments.freeze_plan(cycle, actor=member)
    with pytest.raises(PermissionDenied):
        services.answer_observation(observation, answer="Respuesta", actor=member)
    client = login_as(member)
    base = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}"
    for path in (f"{base}/compromisos/4/editar", f"{base}/compromisos/nuevo", f"{base}/compromisos/4/actividades/nueva",
                 f"{base}/compromisos/4/retirar", f"{base}/plan/versiones/nueva",
                 f"{base}/propuestas/{proposal.reference}/editar", f"{base}/propuestas/{proposal.reference}/no-admisible",
                 f"{base}/plan/publicar",
                 f"{base}/revision/observaciones/{observation.id}/respuesta"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"name": "x"}).status_code in (400, 403), path
    assert client.get(f"{base}/revision").status_code == 200
    assert commitment.name != "Otro nombre"


def test_a_mesa_member_edits_answers_hides_or_triages_no_comment_or_proposal(cycle, forum, moderator, login_as):
    from consulta.consultation import services as consultation
    from consulta.consultation.models import AnswerOutcome, ReportReason
    from consulta.proposals.models import ProposalState
    from consulta.triage import services as triage
    from tests.factories import make_comment, make_consultation

    proposal = make_proposal(cycle)
    make_consultation(cycle, commitments=1, moderator=moderator)
    comment = make_comment(consultation.commitment_target(cycle, 1))
    member = holders(forum)[0]
    with pytest.raises(PermissionDenied):
        consultation.edit_comment(comment, text="Otro texto", actor=member)
    with pytest.raises(PermissionDenied):
        consultation.answer(comment, outcome=AnswerOutcome.CONSIDERADO, text="Respuesta", actor=member)
    with pytest.raises(PermissionDenied):
        consultation.hide(comment, reason=ReportReason.SPAM, actor=member)
    with pytest.raises(PermissionDenied):
        triage.decide(proposal, outcome=ProposalState.NOT_ACCEPTED, response="No", actor=member)
    client = login_as(member)
    base = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}"
    for tail in ("editar", "respuesta", "ocultar", "retirar"):
        path = f"{base}/consulta/comentarios/{comment.id}/{tail}"
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"text": "x"}).status_code in (400, 403), path
    assert client.get(f"{base}/triaje/{proposal.reference}").status_code == 403
    assert comment.answer is None and proposal.state is ProposalState.SUBMITTED


def test_observations_and_answers_stay_private_until_the_plan_is_published(cycle, forum, moderator, client, login_as):
    make_commitment(cycle, number=4, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    member = holders(forum)[2]
    client_member = login_as(member)
    review = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/revision"
    sent = post_with_token(client_member, review, f"{review}/observaciones",
                           {"commitment_number": "4", "body": "Precisar los indicadores."})
    assert sent.status_code == 302
    observation = services.observations_of(cycle)[0]
    assert observation.author_id == member.id and observation.commitment_number == 4

    client_moderator = login_as(moderator)
    answered = send(client_moderator, f"{review}/observaciones/{observation.id}/respuesta",
                    {"answer": "Se agregan indicadores por actividad."})
    assert answered.status_code == 302
    assert observation.state is ObservationState.ANSWERED

    visitor = client.application.test_client()
    assert visitor.get(review).status_code == 302  # the sign-in page
    login_as(make_user())
    assert client.get(review).status_code == 403
    assert version is not None


def test_an_empty_observation_keeps_the_form_with_its_error(cycle, forum, moderator, login_as):
    make_commitment(cycle, number=4, actor=moderator)
    commitments.freeze_plan(cycle, actor=moderator)
    client = login_as(holders(forum)[3])
    review = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/revision"
    refused = post_with_token(client, review, f"{review}/observaciones", {"body": "   "})
    assert refused.status_code == 422
    assert 'id="body-error"' in refused.get_data(as_text=True)


def test_the_review_dashboard_reads_coverage_tables_attendance_commitments_and_comments(
        cycle, forum, moderator, login_as, clock):
    from consulta.consultation import services as consultation
    from consulta.tables import services as tables
    from tests.factories import make_comment, make_consultation, make_registration, make_table

    start = clock.at(datetime.now(UTC).replace(microsecond=0))
    table = make_table(cycle, title="Mesa de transparencia municipal", actor=moderator)
    registration = make_registration(table)
    clock.at(start + timedelta(days=7, hours=1))
    tables.check_in(registration, actor=moderator)
    tables.write_minutes(table, minutes="<p>Se discutieron tres propuestas.</p>", actor=moderator)
    tables.close_table(table, actor=moderator)
    proposal, other = make_proposal(cycle), make_proposal(cycle)
    make_commitment(cycle, number=1, from_proposals=[proposal], actor=moderator)
    make_consultation(cycle, commitments=0, moderator=moderator)
    make_comment(consultation.commitment_target(cycle, 1))

    review = services.review(cycle)
    assert (review.proposals.received, review.proposals.answered, review.proposals.pending) == (2, 0, 2)
    assert (review.comments.received, review.comments.pending) == (1, 1)
    assert (review.tables_held, review.attendees) == (1, 1)
    assert list(review.comments_by_commitment.values()) == [1]
    page = login_as(holders(forum)[2]).get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/revision")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count("<h1") == 1
    assert "Mesa de transparencia municipal" in text and proposal.reference in text
    commitments_section = text[text.index('id="commitments-title"'):text.index('id="observations-title"')]
    assert proposal.reference in commitments_section and other.reference not in commitments_section
    # Read-only: the member is offered no way to publish or answer.
    assert "/plan/publicar" not in text and "/respuesta" not in text


@pytest.mark.parametrize("role, action, allowed", [
    (Role.MESA_MEMBER, "review_as_mesa", True), (Role.MESA_MEMBER, "read_dashboards", True),
    (Role.MESA_MEMBER, "moderate", False), (Role.MESA_MEMBER, "run_mesa", False),
    (Role.MESA_MEMBER, "administer", False),
    (Role.MODERATOR, "review_as_mesa", False), (Role.MODERATOR, "run_mesa", True), (Role.MODERATOR, "moderate", True),
    (Role.ADMIN, "run_mesa", True), (Role.ADMIN, "review_as_mesa", False), (Role.REPORTER, "read_dashboards", False),
])
def test_who_may_do_what_with_the_mesa(cycle, role, action, allowed):
    person = make_grant(role=role, jurisdiction=cycle.jurisdiction).user
    assert can(person, action, cycle) is allowed
    assert can(person, action, make_intake_cycle()) is False


# --- approval acts ---------------------------------------------------------------------------------

def test_an_act_takes_effect_only_when_every_member_present_confirms_it(cycle, forum, moderator, client, login_as):
    make_commitment(cycle, number=4, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    chair, civil, academic, international = services.current_seats(forum)
    meeting = make_meeting(forum, cycle=cycle, present=[chair, civil, academic], actor=moderator)
    act = services.record_act(meeting, version=version, decision="APPROVED_WITH_OBSERVATIONS",
                              votes={chair.id: "FOR", civil.id: "FOR", academic.id: "AGAINST"},
                              dissent="La academia pide metas medibles.", actor=moderator)
    assert act.state is ActState.AWAITING_CONFIRMATION
    assert services.approving_act(version) is None

    with pytest.raises(PermissionDenied):  # not present at the meeting
        services.confirm_act(act, actor=international.holder)
    services.confirm_act(act, actor=chair.holder)
    with pytest.raises(DomainError):
        services.confirm_act(act, actor=chair.holder)
    services.confirm_act(act, actor=civil.holder)
    assert act.state is ActState.AWAITING_CONFIRMATION

    meeting_page = f"/j/{cycle.jurisdiction.slug}/mesa/sesiones/{meeting.id}"
    confirm = f"/j/{cycle.jurisdiction.slug}/mesa/acuerdos/{act.id}/confirmar"
    page = login_as(academic.holder).get(meeting_page).get_data(as_text=True)
    assert "La academia pide metas medibles." in page and confirm in page
    assert post_with_token(client, meeting_page, confirm).status_code == 302
    assert act.state is ActState.IN_FORCE
    assert services.approving_act(version) == act
    codes = [row.to_state for row in history(act)]
    assert codes == ["AWAITING_CONFIRMATION", "CONFIRMED_BY", "CONFIRMED_BY", "CONFIRMED_BY", "IN_FORCE"]
    assert confirm not in client.get(meeting_page).get_data(as_text=True)


@pytest.mark.parametrize("votes, decision, field", [
    ({0: "FOR", 1: "FOR", 2: "FOR"}, "APPROVED", "votes"),  # a seat present did not vote
    ({0: "FOR", 1: "AGAINST", 2: "AGAINST", 3: "FOR"}, "APPROVED", "decision"),  # no majority for
    ({0: "FOR", 1: "FOR", 2: "FOR", 3: "MAYBE"}, "APPROVED", "votes"),
    ({0: "FOR", 1: "FOR", 2: "FOR", 3: "FOR"}, "SHELVED", "decision"),
])
def test_an_act_is_refused_with_the_field_named(cycle, forum, moderator, votes, decision, field):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    meeting = make_meeting(forum, cycle=cycle, actor=moderator)
    seats = meeting.present
    with pytest.raises(DomainError) as refused:
        services.record_act(meeting, version=version, decision=decision,
                            votes={seats[index]: vote for index, vote in votes.items()}, actor=moderator)
    assert refused.value.field == field


def test_an_act_needs_a_meeting_of_the_versions_cycle_and_one_live_act_per_version(cycle, forum, moderator):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    loose = make_meeting(forum, actor=moderator)
    votes = {seat: Vote.FOR for seat in loose.present}
    with pytest.raises(DomainError):
        services.record_act(loose, version=version, decision=Decision.APPROVED, votes=votes, actor=moderator)
    meeting = make_meeting(forum, cycle=cycle, actor=moderator)
    act = services.record_act(meeting, version=version, decision=Decision.RETURNED, votes=votes, actor=moderator)
    with pytest.raises(DomainError) as twice:
        services.record_act(meeting, version=version, decision=Decision.APPROVED, votes=votes, actor=moderator)
    assert twice.value.field == "version"
    services.void_act(act, reason="Registrada por error", actor=moderator)
    again = services.record_act(meeting, version=version, decision=Decision.APPROVED, votes=votes, actor=moderator)
    assert again.state is ActState.AWAITING_CONFIRMATION and act.state is ActState.VOIDED


def test_a_moderator_records_an_act_through_the_page_with_a_vote_per_seat(cycle, forum, moderator, login_as):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    meeting = make_meeting(forum, cycle=cycle, actor=moderator)
    client = login_as(moderator)
    path = f"/j/{cycle.jurisdiction.slug}/mesa/sesiones/{meeting.id}/acuerdo"
    data = {"version": str(version.id), "decision": "APPROVED", "dissent": ""}
    missing = send(client, path, data)
    assert missing.status_code == 200 and "error" in missing.get_data(as_text=True)
    votes = {f"vote_{seat.id}": "FOR" for seat in meeting.present}
    assert send(client, path, data | votes).status_code == 302
    assert services.live_act(version).state is ActState.AWAITING_CONFIRMATION


# --- publication -----------------------------------------------------------------------------------

def test_publication_is_refused_without_a_confirmed_act_for_that_exact_version(cycle, forum, moderator):
    commitment = make_commitment(cycle, number=4, actor=moderator)
    first = commitments.freeze_plan(cycle, actor=moderator)
    meeting = make_meeting(forum, cycle=cycle, actor=moderator)
    act = services.record_act(meeting, version=first, decision=Decision.APPROVED,
                              votes={seat: Vote.FOR for seat in meeting.present}, actor=moderator)
    assert set(services.publication_refusals(first)) == {"no_act"}
    with pytest.raises(DomainError):
        services.publish(first, actor=moderator)
    for person in holders(forum):
        services.confirm_act(act, actor=person)
    assert services.approving_act(first) == act

    # A later change makes version 2: the act for version 1 does not approve it, and version 1 is stale.
    commitments.update_commitment(commitment, name="Modelo de Gobierno Abierto Municipal, ampliado", actor=moderator)
    second = commitments.freeze_plan(cycle, actor=moderator)
    assert services.approving_act(second) is None
    assert set(services.publication_refusals(second)) == {"no_act"}
    assert set(services.publication_refusals(first)) == {"changed"}
    for version in (first, second):
        with pytest.raises(DomainError):
            services.publish(version, actor=moderator)
    assert not services.is_published(cycle) and services.published_version(cycle) is None

    approved(second, forum, moderator)
    publication = services.publish(second, actor=moderator)
    assert services.published_version(cycle) == second and publication.act.version == second
    assert set(services.publication_refusals(second)) == {"published"}
    with pytest.raises(DomainError):
        services.publish(second, actor=moderator)


def test_a_returned_act_or_a_member_cannot_publish(cycle, forum, moderator):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    approved(version, forum, moderator, decision=Decision.RETURNED)
    assert set(services.publication_refusals(version)) == {"no_act"}
    with pytest.raises(DomainError):
        services.publish(version, actor=moderator)
    with pytest.raises(PermissionDenied):
        services.publish(version, actor=holders(forum)[0])


def test_publication_is_refused_while_an_observation_awaits_its_answer(cycle, forum, moderator):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    observation = services.observe(version, body="¿Quién financia las actividades?", actor=holders(forum)[1])
    approved(version, forum, moderator, decision=Decision.APPROVED_WITH_OBSERVATIONS)
    assert set(services.publication_refusals(version)) == {"observations"}
    with pytest.raises(DomainError):
        services.publish(version, actor=moderator)
    services.answer_observation(observation, answer="El presupuesto de cada entidad responsable.", actor=moderator)
    services.publish(version, actor=moderator)
    assert services.is_published(cycle)


def test_publication_is_refused_while_a_proposal_or_a_comment_awaits_its_answer(cycle, forum, moderator, client):
    from consulta.consultation import services as consultation
    from consulta.consultation.models import AnswerOutcome
    from consulta.proposals.models import ProposalState
    from consulta.triage import services as triage
    from tests.factories import make_comment, make_consultation

    proposal = make_proposal(cycle, title="Datos abiertos de compras municipales")
    make_consultation(cycle, commitments=1, moderator=moderator)
    comment = make_comment(consultation.commitment_target(cycle, 1), text="Agregar una meta de datos abiertos.")
    version = commitments.latest_version(cycle)
    approved(version, forum, moderator)
    assert services.pending(cycle) == services.Pending(proposals=1, comments=1)
    assert set(services.publication_refusals(version)) == {"proposals", "comments"}
    with pytest.raises(DomainError):
        services.publish(version, actor=moderator)

    triage.decide(proposal, outcome=ProposalState.NOT_ACCEPTED, response="Se abordará en el próximo plan.",
                  actor=moderator)
    assert set(services.publication_refusals(version)) == {"comments"}
    consultation.answer(comment, outcome=AnswerOutcome.CONSIDERADO, text="Se considera en el compromiso.",
                        actor=moderator)
    assert services.pending(cycle).nothing
    services.publish(version, actor=moderator)

    review = services.review(cycle)
    assert (review.proposals.received, review.proposals.answered, review.proposals.pending) == (1, 1, 0)
    assert (review.comments.received, review.comments.answered, review.comments.pending) == (1, 1, 0)
    data = json.loads(client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/{version.number}"
                                 "/plan.json").data)
    assert data["annex"]["proposals"][0]["reference"] == proposal.reference
    assert "próximo plan" in data["annex"]["proposals"][0]["response"]
    assert data["annex"]["comments"][0]["response"] == "Se considera en el compromiso."


def test_a_correction_is_a_listed_reasoned_version_and_the_published_one_stays_readable(
        cycle, forum, moderator, client, login_as):
    commitment = make_commitment(cycle, number=4, name="Modelo de Gobierno Abierto Municipal", actor=moderator)
    first = commitments.freeze_plan(cycle, actor=moderator)
    approved(first, forum, moderator)
    services.publish(first, actor=moderator)

    commitments.update_commitment(commitment, name="Modelo de Gobierno Abierto Municipal (corregido)", actor=moderator)
    second = commitments.freeze_plan(cycle, actor=moderator, label="Corrección de erratas")
    approved(second, forum, moderator)
    with pytest.raises(DomainError) as without_reason:
        services.publish(second, actor=moderator)
    assert without_reason.value.field == "reason"
    services.publish(second, actor=moderator, reason="Se corrige el nombre del compromiso N° 4.")

    assert services.published_version(cycle) == second
    assert [publication.version for publication in services.publications(cycle)] == [first, second]
    base = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado"
    current = client.get(base).get_data(as_text=True)
    assert "(corregido)" in current and "Se corrige el nombre del compromiso N° 4." in current
    assert f"{base}/1" in current and f"{base}/2" in current
    earlier = client.get(f"{base}/1")
    assert earlier.status_code == 200
    text = earlier.get_data(as_text=True)
    assert "Modelo de Gobierno Abierto Municipal" in text and "(corregido)" not in text
    assert 'class="warning"' in text
    assert client.get(f"{base}/1/plan.json").status_code == 200
    assert client.get(f"{base}/3").status_code == 404


def test_a_moderator_publishes_through_the_page_and_sees_why_not_first(cycle, forum, moderator, login_as):
    make_commitment(cycle, actor=moderator)
    version = commitments.freeze_plan(cycle, actor=moderator)
    client = login_as(moderator)
    path = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicar"
    refused = client.get(path).get_data(as_text=True)
    assert 'id="refusals-title"' in refused
    assert client.post(path, data={}).status_code in (200, 400)
    assert not services.is_published(cycle)
    approved(version, forum, moderator)
    assert send(client, path, {}).status_code == 302
    assert services.published_version(cycle) == version
    page = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)
    assert f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado" in page


def test_no_published_plan_is_not_found(cycle, client):
    assert client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado").status_code == 404
    assert client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/1/plan.pdf").status_code == 404


# --- the published plan and its exports ------------------------------------------------------------

@pytest.fixture
def fourth_plan(cycle, forum, moderator):
    """The 4th plan's twelve commitments, approved by the Mesa with an observation answered, published."""
    version = build_fourth_plan(cycle, moderator)
    observation = services.observe(version, commitment_number=4, body="Incluir regiones alejadas.",
                                   actor=holders(forum)[1])
    services.answer_observation(observation, answer="Se incorpora el énfasis en regiones.", actor=moderator)
    approved(version, forum, moderator, decision=Decision.APPROVED_WITH_OBSERVATIONS)
    return services.publish(version, actor=moderator)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def assert_whole_plan(text: str):
    text = flat(text)
    for number, _area, name, entity in FOURTH_PLAN:
        assert name in text, name
        assert entity in text, entity
    for day in COMMITMENT_4_DATES:
        assert day in text, day
    assert "Se incorpora el énfasis en regiones." in text


def test_the_published_page_shows_the_summary_by_area_the_act_and_the_answered_observation(
        cycle, fourth_plan, client):
    page = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado").get_data(as_text=True)
    summary = page[page.index('id="summary-title"'):page.index('id="commitments-title"')]
    assert [area for area in AREAS if area in summary] == list(AREAS)
    assert summary.index("Gestión de recursos hídricos") < summary.index("Formación en Gobierno Abierto")
    assert "Incluir regiones alejadas." in page and "Se incorpora el énfasis en regiones." in page
    assert page.count("<h1") == 1
    for fmt in ("pdf", "docx", "json"):
        assert f"/plan/publicado/1/plan.{fmt}" in page


def test_the_json_export_has_every_commitment_with_activities_origins_and_the_annex(cycle, fourth_plan, client):
    response = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/1/plan.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert [item["number"] for item in data["commitments"]] == list(range(1, 13))
    fourth = data["commitments"][3]
    assert fourth["responsible_entity"] == "Consejo para la Transparencia"
    assert [(activity["starts_on"], activity["ends_on"]) for activity in fourth["activities"]] == [
        (starts_on.isoformat(), ends_on.isoformat()) for _name, starts_on, ends_on in COMMITMENT_4_ACTIVITIES]
    assert data["approval"]["decision"] == "APPROVED_WITH_OBSERVATIONS"
    assert len(data["approval"]["votes"]) == 4
    assert set(data["annex"]) == {"proposals", "comments"}


def test_the_docx_contains_all_twelve_commitments_and_the_four_activity_dates(cycle, fourth_plan, client):
    from docx import Document

    response = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/1/plan.docx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    document = Document(io.BytesIO(response.data))
    text = "\n".join([paragraph.text for paragraph in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert_whole_plan(text)


def pdf_pages(data: bytes):
    try:
        import pypdfium2
    except ImportError:
        skip_or_fail("pypdfium2 is not installed (pip install -e '.[test]')")
    return pypdfium2.PdfDocument(data)


def test_the_pdf_contains_all_twelve_commitments_and_the_four_activity_dates(cycle, fourth_plan, client):
    response = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/1/plan.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    document = pdf_pages(response.data)
    try:
        text = "\n".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    finally:
        document.close()
    assert_whole_plan(text)
    assert "Área temática" in flat(text) or "Thematic area" in flat(text)


def test_the_pdfs_first_page_renders_to_an_image(cycle, fourth_plan, client):
    response = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/plan/publicado/1/plan.pdf")
    document = pdf_pages(response.data)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    width, height = image.size
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1  # A4 at 72 dpi
    dark = sum(image.histogram()[:128])
    # Text is drawn: some pixels are dark, most of the page is still paper.
    assert 0.001 < dark / (width * height) < 0.5
