"""The Municipal Open Government Model: adhesion, the four-area diagnostic, training and advice,
and the national follow-up by region."""
import io
import re
from datetime import UTC, date, datetime

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.permissions import can
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.regions import Region
from consulta.municipal import services
from consulta.municipal.models import (
    ActivityKind, AdhesionState, Answer, Area, Attendee, Diagnostic, DiagnosticState, SupportActivity,
    VersionState,
)
from tests.factories import (
    make_adhesion, make_diagnostic, make_grant, make_jurisdiction, make_national, make_questionnaire, make_user,
)
from tests.support.concurrency import run_together

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    """Messages are checked in English, the catalogue's source language, whatever Spanish says."""
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")


@pytest.fixture
def world(db):
    """The national body, two municipalities of the capital's region and one far north, and their people."""
    national = make_national()
    renca = make_jurisdiction(name="Renca", slug="renca", region=Region.RM)
    vitacura = make_jurisdiction(name="Vitacura", slug="vitacura", region=Region.RM)
    arica = make_jurisdiction(name="Arica", slug="arica", region=Region.AP)

    def holder(role, jurisdiction):
        return make_grant(role=role, jurisdiction=jurisdiction).user

    people = {
        "national_admin": holder(Role.ADMIN, national),
        "national_moderator": holder(Role.MODERATOR, national),
        "renca_admin": holder(Role.ADMIN, renca),
        "renca_moderator": holder(Role.MODERATOR, renca),
        "vitacura_admin": holder(Role.ADMIN, vitacura),
        "citizen": make_user(),
        "visitor": AnonymousUserMixin(),
    }
    places = {"national": national, "renca": renca, "vitacura": vitacura, "arica": arica, "none": None}

    class World:
        pass

    world = World()
    world.__dict__.update(people)
    world.__dict__.update(places)
    world.people, world.places = people, places
    settle()
    return world


def settle():
    """Commit what a test set up, as a live server would only see committed rows. (The commit
    releases a savepoint: the test's transaction is still rolled back at its end.) Views roll
    back a refused change, which would otherwise take uncommitted set-up with it."""
    from consulta.extensions import db

    db.session.commit()


def changes_of(obj):
    return [(row.from_state, row.to_state) for row in history(obj, public_only=False)]


# --- Permissions: role × action × jurisdiction --------------------------------------------------

PERMISSIONS = [
    # action, target, people allowed (everyone else is refused)
    ("manage_adhesion", "renca", {"national_admin"}),
    ("update_adhesion", "renca", {"national_admin", "renca_admin"}),
    ("update_adhesion", "vitacura", {"national_admin", "vitacura_admin"}),
    # The national level does not adhere to its own Model.
    ("update_adhesion", "national", set()),
    ("edit_questionnaire", "none", {"national_admin"}),
    ("fill_diagnostic", "renca", {"national_admin", "renca_admin"}),
    ("fill_diagnostic", "vitacura", {"national_admin", "vitacura_admin"}),
    ("fill_diagnostic", "national", set()),
    ("record_support", "arica", {"national_admin", "national_moderator"}),
    ("view_attendees", "none", {"national_admin", "national_moderator"}),
]
PEOPLE = ["national_admin", "national_moderator", "renca_admin", "renca_moderator", "vitacura_admin", "citizen",
          "visitor"]


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("action,target,allowed", PERMISSIONS, ids=lambda value: str(value) if not isinstance(value, set) else "")
def test_permission_table(world, person, action, target, allowed):
    assert can(world.people[person], action, world.places[target]) is (person in allowed)


def test_permission_rules_also_hold_for_the_municipality_s_own_objects(world):
    adhesion = make_adhesion(world.renca)
    diagnostic = make_diagnostic(world.renca)
    assert can(world.renca_admin, "update_adhesion", adhesion)
    assert can(world.renca_admin, "fill_diagnostic", diagnostic)
    assert not can(world.vitacura_admin, "update_adhesion", adhesion)
    assert not can(world.vitacura_admin, "fill_diagnostic", diagnostic)


# --- Adhesion -----------------------------------------------------------------------------------

def test_the_national_body_invites_and_the_municipality_records_its_act_each_step_audited(world, clock):
    clock.at(2019, 6, 10, 15)
    adhesion = services.invite(world.renca, actor=world.national_admin, reason="Gira regional")
    assert adhesion.state == AdhesionState.INVITED
    upload = _upload(PDF, "acta.pdf")
    services.record_adhesion(world.renca, mayor_name=" Claudio Castro ", signed_on=date(2019, 6, 3),
                             act_number="Decreto Alcaldicio N° 1234", document=upload, actor=world.renca_admin)
    assert adhesion.state == AdhesionState.ADHERED
    assert (adhesion.mayor_name, adhesion.signed_on) == ("Claudio Castro", date(2019, 6, 3))
    assert adhesion.document.content_type == "application/pdf"
    rows = history(adhesion, public_only=False)
    assert [(row.from_state, row.to_state, row.actor_id) for row in rows] == [
        (None, "INVITED", world.national_admin.id), ("INVITED", "ADHERED", world.renca_admin.id)]
    assert rows[0].reason == "Gira regional"
    assert rows[1].at == datetime(2019, 6, 10, 15, tzinfo=UTC)


def test_the_invitation_is_emailed_to_the_municipality_s_own_administrators(world):
    from consulta.core.outbox import OutboxEmail
    from consulta.extensions import db

    services.invite(world.renca, actor=world.national_admin)
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert [email.recipient for email in emails] == [world.renca_admin.email]
    assert "Renca" in emails[0].subject and "/municipios/renca" in emails[0].body_text


@pytest.mark.parametrize("person", ["renca_admin", "renca_moderator", "national_moderator", "citizen", "visitor"])
def test_only_national_administrators_invite(world, person):
    with pytest.raises(PermissionDenied):
        services.invite(world.renca, actor=world.people[person])
    assert services.adhesion_of(world.renca) is None


@pytest.mark.parametrize("person", ["vitacura_admin", "renca_moderator", "national_moderator", "citizen"])
def test_only_the_municipality_s_administrators_record_its_act(world, person):
    adhesion = services.invite(world.renca, actor=world.national_admin)
    with pytest.raises(PermissionDenied):
        services.record_adhesion(world.renca, mayor_name="Claudio Castro", signed_on=date(2019, 6, 3),
                                 act_number="D-1", actor=world.people[person])
    assert adhesion.state == AdhesionState.INVITED
    assert changes_of(adhesion) == [(None, "INVITED")]


def test_inviting_twice_is_refused_and_a_withdrawn_municipality_can_be_invited_again(world):
    services.invite(world.renca, actor=world.national_admin)
    with pytest.raises(DomainError, match="already been invited"):
        services.invite(world.renca, actor=world.national_admin)
    adhesion = services.adhesion_of(world.renca)
    services.advance_adhesion(adhesion, AdhesionState.WITHDRAWN, actor=world.renca_admin, reason="Cambio de alcalde")
    services.invite(world.renca, actor=world.national_admin)
    assert changes_of(adhesion) == [(None, "INVITED"), ("INVITED", "WITHDRAWN"), ("WITHDRAWN", "INVITED")]


def test_a_national_jurisdiction_cannot_be_invited(world):
    with pytest.raises(DomainError, match="Only a municipality"):
        services.invite(world.national, actor=world.national_admin)


def test_an_act_signed_tomorrow_in_the_municipality_s_time_zone_is_refused(world, clock):
    # 02:00 UTC on 1 January is still 31 December in Santiago (UTC-3 in summer).
    clock.at(2025, 1, 1, 2)
    adhesion = services.invite(world.renca, actor=world.national_admin)
    with pytest.raises(DomainError) as refused:
        services.record_adhesion(world.renca, mayor_name="Claudio Castro", signed_on=date(2025, 1, 1),
                                 act_number="D-1", actor=world.renca_admin)
    assert refused.value.field == "signed_on"
    assert adhesion.state == AdhesionState.INVITED and adhesion.mayor_name is None
    services.record_adhesion(world.renca, mayor_name="Claudio Castro", signed_on=date(2024, 12, 31),
                             act_number="D-1", actor=world.renca_admin)
    assert adhesion.state == AdhesionState.ADHERED


@pytest.mark.parametrize("field,overrides", [
    ("mayor_name", {"mayor_name": "   "}),
    ("act_number", {"act_number": ""}),
    ("act_number", {"act_number": "N" * 61}),
    ("signed_on", {"signed_on": None}),
])
def test_an_incomplete_act_is_refused_next_to_its_field(world, field, overrides):
    adhesion = services.invite(world.renca, actor=world.national_admin)
    fields = {"mayor_name": "Claudio Castro", "signed_on": date(2019, 6, 3), "act_number": "D-1"}
    fields.update(overrides)
    with pytest.raises(DomainError) as refused:
        services.record_adhesion(world.renca, actor=world.renca_admin, **fields)
    assert refused.value.field == field
    assert adhesion.state == AdhesionState.INVITED


def test_an_act_cannot_be_recorded_without_an_invitation_or_twice(world):
    with pytest.raises(DomainError, match="invited"):
        services.record_adhesion(world.renca, mayor_name="Claudio Castro", signed_on=date(2019, 6, 3),
                                 act_number="D-1", actor=world.renca_admin)
    adhesion = make_adhesion(world.renca)
    with pytest.raises(DomainError):
        services.record_adhesion(world.renca, mayor_name="Otra persona", signed_on=date(2019, 6, 4),
                                 act_number="D-2", actor=world.renca_admin)
    assert adhesion.mayor_name == "Claudio Castro"


def test_advancing_follows_the_model_s_path(world):
    adhesion = make_adhesion(world.renca)
    for state in (AdhesionState.DIAGNOSING, AdhesionState.WITH_PLAN, AdhesionState.IMPLEMENTING):
        services.advance_adhesion(adhesion, state, actor=world.renca_admin)
    assert adhesion.state == AdhesionState.IMPLEMENTING
    assert changes_of(adhesion)[-3:] == [("ADHERED", "DIAGNOSING"), ("DIAGNOSING", "WITH_PLAN"),
                                         ("WITH_PLAN", "IMPLEMENTING")]


@pytest.mark.parametrize("to,reason,field", [
    (AdhesionState.IMPLEMENTING, "", "to"),      # skips steps
    (AdhesionState.ADHERED, "", "to"),           # only an act makes a municipality adhered
    (AdhesionState.INVITED, "", "to"),           # only the national body invites
    (AdhesionState.WITHDRAWN, "  ", "reason"),   # a withdrawal says why
])
def test_refused_adhesion_changes_leave_the_state_and_history_alone(world, to, reason, field):
    adhesion = make_adhesion(world.renca)
    before = changes_of(adhesion)
    with pytest.raises(DomainError) as refused:
        services.advance_adhesion(adhesion, to, actor=world.renca_admin, reason=reason)
    assert refused.value.field == field
    assert adhesion.state == AdhesionState.ADHERED and changes_of(adhesion) == before


def test_another_municipality_s_administrator_cannot_advance_or_withdraw(world):
    adhesion = make_adhesion(world.renca)
    with pytest.raises(PermissionDenied):
        services.advance_adhesion(adhesion, AdhesionState.WITHDRAWN, actor=world.vitacura_admin, reason="No")
    assert adhesion.state == AdhesionState.ADHERED


# --- Adhesion over HTTP -------------------------------------------------------------------------

def _upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")


def _csrf(client, url):
    page = client.get(url)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


def test_the_municipal_administrator_records_the_act_through_the_form(world, login_as, no_csrf, clock):
    clock.at(2019, 6, 10, 15)
    services.invite(world.renca, actor=world.national_admin)
    settle()
    client = login_as(world.renca_admin)
    response = client.post("/municipios/renca/adhesion", data={
        "mayor_name": "Claudio Castro", "signed_on": "2019-06-03", "act_number": "Decreto N° 1234",
        "document": (io.BytesIO(PDF), "acta firmada.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/municipios/renca").get_data(as_text=True)
    assert "Decreto N° 1234" in page and "Claudio Castro" in page
    document = client.get("/municipios/renca/adhesion/acta")
    assert document.status_code == 200 and document.data == PDF
    assert document.headers["Content-Type"] == "application/pdf"


def test_a_future_date_on_the_form_is_refused_and_the_typed_text_kept(world, login_as, no_csrf, clock):
    clock.at(2019, 6, 10, 15)
    adhesion = services.invite(world.renca, actor=world.national_admin)
    settle()
    response = login_as(world.renca_admin).post("/municipios/renca/adhesion", data={
        "mayor_name": "Claudio Castro", "signed_on": "2019-06-11", "act_number": "Decreto N° 1234"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "in the future" in page or "futur" in page
    assert 'value="Claudio Castro"' in page and 'value="Decreto N° 1234"' in page
    assert adhesion.state == AdhesionState.INVITED


def test_another_municipality_s_administrator_gets_403_on_the_act_form(world, login_as, no_csrf):
    services.invite(world.renca, actor=world.national_admin)
    settle()
    client = login_as(world.vitacura_admin)
    assert client.get("/municipios/renca/adhesion").status_code == 403
    response = client.post("/municipios/renca/adhesion", data={
        "mayor_name": "X", "signed_on": "2019-06-03", "act_number": "D"})
    assert response.status_code == 403
    assert services.adhesion_of(world.renca).state == AdhesionState.INVITED


def test_a_visitor_posting_is_sent_to_sign_in(world, client, no_csrf):
    response = client.post("/municipios/renca/invitar", data={"reason": ""})
    assert response.status_code == 302 and "/cuenta/ingresar" in response.headers["Location"]
    assert services.adhesion_of(world.renca) is None


def test_invite_and_withdraw_through_the_municipality_page(world, login_as, no_csrf):
    client = login_as(world.national_admin)
    assert client.post("/municipios/renca/invitar", data={"reason": "Gira"}).status_code == 302
    make_adhesion(world.vitacura)
    settle()
    client = login_as(world.vitacura_admin)
    refused = client.post("/municipios/vitacura/adhesion/estado", data={"to": "WITHDRAWN", "reason": ""})
    assert refused.status_code == 422 and "withdraws" in refused.get_data(as_text=True)
    forged = client.post("/municipios/vitacura/adhesion/estado", data={"to": "ADHERED", "reason": ""})
    assert forged.status_code == 422
    assert client.post("/municipios/vitacura/adhesion/estado",
                       data={"to": "WITHDRAWN", "reason": "Decisión del concejo"}).status_code == 302
    page = client.get("/municipios/vitacura").get_data(as_text=True)
    assert "Decisión del concejo" in page
    assert services.adhesion_of(world.renca).state == AdhesionState.INVITED


def test_unknown_or_national_slugs_are_not_municipalities(world, client):
    assert client.get("/municipios/no-existe").status_code == 404
    assert client.get(f"/municipios/{world.national.slug}").status_code == 404


# --- The questionnaire --------------------------------------------------------------------------

def test_national_administrators_version_the_questionnaire(world):
    actor = world.national_admin
    first = services.create_questionnaire_version(title="Instrumento 2019", actor=actor)
    for area in Area:
        services.add_question(first, area=area, text=f"¿{area.name}?", scale_max=4, weight=2,
                              evidence_prompt="Enlace", actor=actor)
    with pytest.raises(DomainError, match="still a draft"):
        services.create_questionnaire_version(title="Otra", actor=actor)
    services.publish_version(first, actor=actor)
    assert services.current_version() == first
    with pytest.raises(DomainError, match="cannot change"):
        services.add_question(first, area=Area.TRANSPARENCY, text="¿Más?", scale_max=4, actor=actor)
    second = services.create_questionnaire_version(title="Instrumento 2020", actor=actor, copy_from=first)
    assert [(q.area, q.text, q.weight) for q in second.questions] == [(q.area, q.text, q.weight) for q in first.questions]
    services.edit_question(second.questions[0], area=Area.TRANSPARENCY, text="¿Publica sus actas?", scale_max=5,
                           weight=1, actor=actor)
    services.publish_version(second, actor=actor)
    assert (first.state, second.state) == (VersionState.RETIRED, VersionState.PUBLISHED)
    assert first.questions[0].text == "¿TRANSPARENCY?"
    assert changes_of(second.questions[0]) == [(None, "CREATED"), (None, "EDITED")]


def test_a_version_missing_an_area_cannot_be_published(world):
    version = services.create_questionnaire_version(title="Incompleto", actor=world.national_admin)
    services.add_question(version, area=Area.TRANSPARENCY, text="¿?", scale_max=4, actor=world.national_admin)
    with pytest.raises(DomainError, match="Every area"):
        services.publish_version(version, actor=world.national_admin)
    assert version.state == VersionState.DRAFT


@pytest.mark.parametrize("field,overrides", [("scale_max", {"scale_max": 0}), ("scale_max", {"scale_max": 11}),
                                             ("weight", {"weight": 0}), ("text", {"text": " "})])
def test_question_bounds(world, field, overrides):
    version = services.create_questionnaire_version(title="V", actor=world.national_admin)
    fields = {"area": Area.TRANSPARENCY, "text": "¿?", "scale_max": 4, "weight": 1}
    fields.update(overrides)
    with pytest.raises(DomainError) as refused:
        services.add_question(version, actor=world.national_admin, **fields)
    assert refused.value.field == field


@pytest.mark.parametrize("person", ["renca_admin", "national_moderator", "citizen"])
def test_only_national_administrators_edit_the_questionnaire(world, person):
    with pytest.raises(PermissionDenied):
        services.create_questionnaire_version(title="V", actor=world.people[person])


def test_questionnaire_pages(world, login_as, no_csrf):
    client = login_as(world.national_admin)
    assert client.post("/municipios/cuestionario", data={"title": "Instrumento 2019"}).status_code == 302
    for area in Area:
        response = client.post("/municipios/cuestionario/1/preguntas", data={
            "area": area.name, "text": f"¿{area.label}?", "scale_max": "4", "weight": "1", "evidence_prompt": ""})
        assert response.status_code == 302
    refused = client.post("/municipios/cuestionario/1/preguntas", data={
        "area": "NOT_AN_AREA", "text": "¿?", "scale_max": "40", "weight": "1"})
    assert refused.status_code == 422
    assert client.post("/municipios/cuestionario/1/publicar").status_code == 302
    assert services.current_version().number == 1
    assert client.get("/municipios/cuestionario/1").status_code == 200
    question = services.current_version().questions[0]
    edit = f"/municipios/cuestionario/1/preguntas/{question.id}"
    assert client.get(edit).status_code == 200
    frozen = client.post(edit, data={"area": "TRANSPARENCY", "text": "¿Otra?", "scale_max": "4", "weight": "1"})
    assert frozen.status_code == 422 and "cannot change" in frozen.get_data(as_text=True)
    assert client.get(f"/municipios/cuestionario/2/preguntas/{question.id}").status_code == 404
    assert login_as(world.renca_admin).post("/municipios/cuestionario", data={"title": "X"}).status_code == 403


# --- Diagnostics: the score rule ------------------------------------------------------------------

SCORED_QUESTIONS = [
    (Area.TRANSPARENCY, 4, 1), (Area.TRANSPARENCY, 4, 3),
    (Area.ACCOUNTABILITY, 2, 1),
    (Area.PARTICIPATION, 5, 2), (Area.PARTICIPATION, 5, 1),
    (Area.COLLABORATION, 10, 1),
]


def test_a_diagnostic_is_scored_by_the_stated_rule(world):
    version = make_questionnaire(SCORED_QUESTIONS)
    q = version.questions
    diagnostic = make_diagnostic(world.renca, version, values={q[0]: 4, q[1]: 0, q[2]: 1, q[3]: 5, q[4]: 2, q[5]: 3})
    scores = services.scores(diagnostic)
    # Transparency: (1·4/4 + 3·0/4) / (1+3) = 25 %; accountability 1/2 = 50 %;
    # participation (2·5/5 + 1·2/5) / 3 = 80 %; collaboration 3/10 = 30 %.
    assert scores.by_area == {Area.TRANSPARENCY: 25.0, Area.ACCOUNTABILITY: 50.0, Area.PARTICIPATION: 80.0,
                              Area.COLLABORATION: 30.0}
    # Overall: the plain mean of the four areas, 46.25, rounded halves up.
    assert scores.overall == 46.3
    assert services.scores_of([diagnostic])[diagnostic.id] == scores


def test_unanswered_questions_count_as_zero_in_a_draft_s_preview(world):
    version = make_questionnaire(SCORED_QUESTIONS)
    diagnostic = make_diagnostic(world.renca, version, values={version.questions[0]: 4})
    assert services.scores(diagnostic).of(Area.TRANSPARENCY) == 25.0
    assert services.scores(diagnostic).of(Area.COLLABORATION) == 0.0


# --- Diagnostics: filling in and submitting -------------------------------------------------------

def test_the_first_diagnostic_moves_an_adhered_municipality_to_diagnosing(world):
    adhesion = make_adhesion(world.renca)
    make_questionnaire()
    diagnostic = services.start_diagnostic(world.renca, actor=world.renca_admin)
    assert diagnostic.state == DiagnosticState.DRAFT
    assert adhesion.state == AdhesionState.DIAGNOSING
    assert services.start_diagnostic(world.renca, actor=world.renca_admin) == diagnostic


def test_a_municipality_that_has_not_adhered_cannot_start_a_diagnostic(world):
    make_questionnaire()
    make_adhesion(world.renca, AdhesionState.INVITED)
    with pytest.raises(DomainError, match="must adhere"):
        services.start_diagnostic(world.renca, actor=world.renca_admin)
    assert db_count(Diagnostic) == 0


def db_count(model):
    from consulta.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_a_diagnostic_is_filled_as_a_draft_then_submitted_once(world, clock):
    clock.at(2019, 9, 2, 14)
    make_adhesion(world.renca)
    version = make_questionnaire()
    diagnostic = services.start_diagnostic(world.renca, actor=world.renca_admin)
    first, *rest = version.questions
    services.answer(diagnostic, first, value=4, evidence="https://renca.cl/transparencia", actor=world.renca_admin)
    with pytest.raises(DomainError, match="3 questions are still unanswered"):
        services.submit_diagnostic(diagnostic, actor=world.renca_admin)
    services.save_answers(diagnostic, {question.id: (2, "") for question in rest}, actor=world.renca_admin,
                          submit=True)
    assert diagnostic.state == DiagnosticState.SUBMITTED
    assert diagnostic.submitted_at == datetime(2019, 9, 2, 14, tzinfo=UTC)
    with pytest.raises(DomainError, match="already submitted"):
        services.submit_diagnostic(diagnostic, actor=world.renca_admin)
    with pytest.raises(DomainError, match="already submitted"):
        services.answer(diagnostic, first, value=0, actor=world.renca_admin)
    assert {row.value for row in diagnostic.answers if row.question_id == first.id} == {4}
    assert changes_of(diagnostic) == [(None, "DRAFT"), ("DRAFT", "SUBMITTED")]


@pytest.mark.parametrize("value", [5, -1, True, "3", 2.5, None])
def test_answers_outside_the_scale_are_refused(world, value):
    version = make_questionnaire()
    diagnostic = make_diagnostic(world.renca, version)
    question = version.questions[0]
    with pytest.raises(DomainError) as refused:
        services.answer(diagnostic, question, value=value, actor=world.renca_admin)
    assert refused.value.field == f"q{question.id}"
    assert "from 0 to 4" in refused.value.message
    assert db_count(Answer) == 0


def test_a_question_of_another_version_is_refused(world):
    old = make_questionnaire()
    diagnostic = make_diagnostic(world.renca, make_questionnaire())
    with pytest.raises(DomainError, match="not part"):
        services.answer(diagnostic, old.questions[0], value=1, actor=world.renca_admin)


@pytest.mark.parametrize("person", ["vitacura_admin", "renca_moderator", "national_moderator", "citizen"])
def test_one_municipality_s_administrator_cannot_touch_another_s_diagnostic(world, person):
    diagnostic = make_diagnostic(world.renca)
    question = diagnostic.version.questions[0]
    with pytest.raises(PermissionDenied):
        services.answer(diagnostic, question, value=1, actor=world.people[person])
    with pytest.raises(PermissionDenied):
        services.submit_diagnostic(diagnostic, actor=world.people[person])
    assert diagnostic.answers == [] and diagnostic.state == DiagnosticState.DRAFT


def _answers_form(diagnostic, value=2, **extra):
    data = {f"q{question.id}": str(value) for question in diagnostic.version.questions}
    data.update(extra)
    return data


def test_the_diagnostic_form_over_http(world, login_as, no_csrf, clock):
    clock.at(2019, 9, 2, 14)
    make_adhesion(world.renca)
    make_questionnaire()
    settle()
    client = login_as(world.renca_admin)
    started = client.post("/municipios/renca/diagnosticos")
    assert started.status_code == 302
    diagnostic = services.draft_diagnostic(world.renca)
    edit = f"/municipios/renca/diagnosticos/{diagnostic.id}/editar"
    assert started.headers["Location"].endswith(edit)
    assert client.post(edit, data=_answers_form(diagnostic, save="1")).status_code == 302
    assert diagnostic.state == DiagnosticState.DRAFT and len(diagnostic.answers) == 4
    submitted = client.post(edit, data=_answers_form(diagnostic, value=4, submit="1"))
    assert submitted.status_code == 302
    assert diagnostic.state == DiagnosticState.SUBMITTED
    results = login_as(world.citizen).get(f"/municipios/renca/diagnosticos/{diagnostic.id}").get_data(as_text=True)
    assert "100.0" in results and "How the scores are calculated" in results


def test_a_diagnostic_submitted_twice_is_refused_and_nothing_changes(world, login_as, no_csrf):
    diagnostic = make_diagnostic(world.renca, submitted=True)
    before = sorted((row.question_id, row.value) for row in diagnostic.answers)
    settle()
    edit = f"/municipios/renca/diagnosticos/{diagnostic.id}/editar"
    client = login_as(world.renca_admin)
    response = client.post(edit, data=_answers_form(diagnostic, value=0, submit="1"))
    assert response.status_code == 422
    assert "already submitted" in response.get_data(as_text=True)
    assert sorted((row.question_id, row.value) for row in diagnostic.answers) == before
    assert changes_of(diagnostic).count(("DRAFT", "SUBMITTED")) == 1
    assert client.get(edit).status_code == 302


def test_an_answer_outside_the_scale_on_the_form_keeps_the_other_answers(world, login_as, no_csrf):
    diagnostic = make_diagnostic(world.renca)
    first, second = diagnostic.version.questions[:2]
    settle()
    edit = f"/municipios/renca/diagnosticos/{diagnostic.id}/editar"
    response = login_as(world.renca_admin).post(edit, data={f"q{first.id}": "9", f"q{second.id}": "3", "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a value from 0 to 4" in page
    assert re.search(rf'id="q{second.id}-3"[^>]*checked|checked[^>]*id="q{second.id}-3"', page)
    assert db_count(Answer) == 0


def test_an_incomplete_submission_is_refused_and_the_typed_answers_shown_again(world, login_as, no_csrf):
    diagnostic = make_diagnostic(world.renca)
    first = diagnostic.version.questions[0]
    settle()
    edit = f"/municipios/renca/diagnosticos/{diagnostic.id}/editar"
    response = login_as(world.renca_admin).post(edit, data={f"q{first.id}": "3", "submit": "1"})
    assert response.status_code == 422
    assert "3 questions are still unanswered" in response.get_data(as_text=True)
    assert diagnostic.state == DiagnosticState.DRAFT


def test_another_municipality_s_administrator_gets_403_and_a_forged_id_404(world, login_as, no_csrf):
    renca_draft = make_diagnostic(world.renca)
    vitacura_draft = make_diagnostic(world.vitacura, renca_draft.version)
    settle()
    intruder = login_as(world.vitacura_admin)
    edit = f"/municipios/renca/diagnosticos/{renca_draft.id}/editar"
    assert intruder.get(edit).status_code == 403
    assert intruder.post(edit, data=_answers_form(renca_draft, submit="1")).status_code == 403
    assert intruder.get(f"/municipios/renca/diagnosticos/{renca_draft.id}").status_code == 403
    assert intruder.post("/municipios/renca/diagnosticos").status_code == 403
    # Vitacura's own diagnostic typed under Renca's address: not found there.
    owner = login_as(world.renca_admin)
    assert owner.get(f"/municipios/renca/diagnosticos/{vitacura_draft.id}/editar").status_code == 404
    assert owner.post(f"/municipios/renca/diagnosticos/{vitacura_draft.id}/editar",
                      data=_answers_form(vitacura_draft, submit="1")).status_code == 404
    assert owner.get("/municipios/renca/diagnosticos/999999").status_code == 404
    assert renca_draft.answers == [] and vitacura_draft.answers == []


def test_results_compare_with_the_previous_diagnostic(world, client, clock):
    version = make_questionnaire()
    clock.at(2019, 9, 2, 14)
    earlier = make_diagnostic(world.renca, version, values={question: 1 for question in version.questions},
                              submitted=True)
    clock.at(2020, 9, 2, 14)
    later = make_diagnostic(world.renca, version, values={question: 3 for question in version.questions},
                            submitted=True)
    assert services.previous_diagnostic(later) == earlier
    assert services.previous_diagnostic(earlier) is None
    settle()
    page = client.get(f"/municipios/renca/diagnosticos/{later.id}").get_data(as_text=True)
    assert "75.0" in page and "25.0" in page and "+50.0" in page
    assert client.get(f"/municipios/renca/diagnosticos/{earlier.id}").status_code == 200


# --- Training and advice --------------------------------------------------------------------------

def test_national_staff_record_training_and_attendance_is_counted_from_rows(world, clock):
    clock.at(2019, 8, 20, 15)
    activity = services.record_training(
        world.arica, kind=ActivityKind.TRAINING, held_on=date(2019, 8, 19), topic="Uso del instrumento",
        attendees=services.parse_attendees("Ana Pérez, Dideco\n\n  Luis Soto  \nMaría Rojas, Secpla\n"),
        actor=world.national_moderator)
    assert activity.attendance == 3
    assert [(row.name, row.affiliation) for row in activity.attendees] == [
        ("Ana Pérez", "Dideco"), ("Luis Soto", ""), ("María Rojas", "Secpla")]
    assert changes_of(activity) == [(None, "CREATED")]


@pytest.mark.parametrize("field,overrides", [
    # Nobody is present yet at a session still to come: people register, then are checked in.
    ("attendees", {"held_on": date(2019, 8, 21)}),
    ("held_on", {"held_on": date(2020, 8, 21), "attendees": []}),
    ("held_on", {"held_on": "2019-08-19"}),
    ("topic", {"topic": " "}),
    ("attendees", {"attendees": [("N" * 121, "")]}),
    ("attendees", {"attendees": [(" ", "Dideco")]}),
])
def test_refused_training_records_say_why(world, clock, field, overrides):
    clock.at(2019, 8, 20, 15)
    fields = {"kind": ActivityKind.ADVISORY_VISIT, "held_on": date(2019, 8, 20), "topic": "Plan local",
              "attendees": [("Ana Pérez", "")]}
    fields.update(overrides)
    with pytest.raises(DomainError) as refused:
        services.record_training(world.arica, actor=world.national_admin, **fields)
    assert refused.value.field == field
    assert db_count(SupportActivity) == 0


@pytest.mark.parametrize("person", ["renca_admin", "renca_moderator", "citizen"])
def test_only_national_staff_record_training(world, person):
    with pytest.raises(PermissionDenied):
        services.record_training(world.renca, kind=ActivityKind.TRAINING, held_on=date(2019, 8, 19), topic="T",
                                 attendees=[("Ana", "")], actor=world.people[person])


def test_a_forged_municipality_id_on_the_training_form_is_refused_and_the_text_kept(world, login_as, no_csrf, clock):
    clock.at(2019, 8, 20, 15)
    client = login_as(world.national_moderator)
    for forged in (world.national.id, 999999, "renca"):
        response = client.post("/municipios/acompanamiento/nuevo", data={
            "kind": "TRAINING", "jurisdiction_id": str(forged), "held_on": "2019-08-19", "topic": "Uso del instrumento",
            "attendees": "Ana Pérez, Dideco"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(r"id=\"jurisdiction_id-error\">(Not a valid choice|Invalid Choice)", page)
        assert "Ana Pérez, Dideco" in page and 'value="Uso del instrumento"' in page
    assert db_count(SupportActivity) == 0 and db_count(Attendee) == 0
    response = client.post("/municipios/acompanamiento/nuevo", data={
        "kind": "TRAINING", "jurisdiction_id": str(world.arica.id), "held_on": "2019-08-19",
        "topic": "Uso del instrumento", "attendees": "Ana Pérez, Dideco\nLuis Soto"})
    assert response.status_code == 302
    public = login_as(world.citizen).get("/municipios/acompanamiento").get_data(as_text=True)
    assert "Uso del instrumento" in public and "Ana Pérez" not in public
    staff = login_as(world.national_moderator).get("/municipios/acompanamiento").get_data(as_text=True)
    assert "Ana Pérez" in staff
    assert login_as(world.renca_admin).get("/municipios/acompanamiento/nuevo").status_code == 403


# --- National follow-up -------------------------------------------------------------------------

def _regional_world(world):
    """RM: Renca implementing, Vitacura adhered with a diagnostic, Santiago invited, Maipú not invited.
    AP: Arica withdrawn, Putre adhered. MA: Punta Arenas invited. Everything else: no municipality."""
    make_adhesion(world.renca, AdhesionState.IMPLEMENTING)
    make_adhesion(world.vitacura)
    make_diagnostic(world.vitacura, submitted=True)
    make_adhesion(make_jurisdiction(name="Santiago", region=Region.RM), AdhesionState.INVITED)
    make_jurisdiction(name="Maipú", region=Region.RM)
    make_adhesion(world.arica, AdhesionState.WITHDRAWN)
    make_adhesion(make_jurisdiction(name="Putre", region=Region.AP))
    make_adhesion(make_jurisdiction(name="Punta Arenas", region=Region.MA, timezone="America/Punta_Arenas"),
                  AdhesionState.INVITED)


def test_the_regional_summary_counts_from_the_records(world):
    _regional_world(world)
    rows, total = services.regional_summary()
    assert [row.region for row in rows] == list(Region)
    by = {row.region: row for row in rows}

    def counts(region):
        row = by[region]
        return (row.municipalities, row.not_invited, row.invited, row.adherent, row.withdrawn, row.diagnosed)

    assert counts(Region.RM) == (4, 1, 1, 2, 0, 1)
    assert counts(Region.AP) == (2, 0, 0, 1, 1, 0)
    assert counts(Region.MA) == (1, 0, 1, 0, 0, 0)
    assert counts(Region.BI) == (0, 0, 0, 0, 0, 0)
    assert (total.municipalities, total.not_invited, total.invited, total.adherent, total.withdrawn,
            total.diagnosed) == (7, 1, 2, 3, 1, 1)
    assert {row.region for row in rows if row.far} == {Region.AP, Region.TA, Region.AN, Region.AT, Region.AI,
                                                       Region.MA}


def test_the_far_regions_come_from_configuration(world, app):
    original = app.config["MUNICIPAL_FAR_REGIONS"]
    app.config["MUNICIPAL_FAR_REGIONS"] = ("LL",)
    try:
        rows, _total = services.regional_summary()
        assert [row.region for row in rows if row.far] == [Region.LL]
    finally:
        app.config["MUNICIPAL_FAR_REGIONS"] = original


def test_an_unknown_far_region_code_stops_the_app_at_start_up():
    import config
    from consulta import create_app

    with pytest.raises(RuntimeError, match="XX"):
        create_app(config.TestingConfig, MUNICIPAL_FAR_REGIONS="AP,XX", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_the_regional_page_shows_the_map_and_the_same_numbers(world, client):
    _regional_world(world)
    settle()
    response = client.get("/municipios/regiones")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1") == 1 and "<svg" in page and "<script" not in page
    rm_row = re.search(r'<tr id="region-RM">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', rm_row) == ["4", "1", "1", "2", "0", "1"]
    assert re.search(r'<tr class="far" id="region-AP">', page)
    # The map's tile for the capital's region carries the same count of adherent municipalities.
    assert ">2 / 4<" in page
    assert len(response.data) < 40_000


def test_the_follow_up_lists_every_municipality_with_state_scores_and_local_plan(world, client):
    _regional_world(world)
    _local_cycle(world.renca)
    settle()
    page = client.get("/municipios/").get_data(as_text=True)
    for name in ("Renca", "Vitacura", "Santiago", "Maipú", "Arica", "Putre", "Punta Arenas"):
        assert f">{name}</a>" in page
    assert "/j/renca/plan-comunal" in page and "Plan de Acción Comunal de Gobierno Abierto" in page
    assert "50.0" in page  # Vitacura's diagnostic, every answer at the middle of its scale


@pytest.mark.parametrize("query,expected", [
    ("region=AP", {"Arica", "Putre"}),
    ("state=INVITED", {"Santiago", "Punta Arenas"}),
    ("state=NONE", {"Maipú"}),
    ("far=y", {"Arica", "Putre", "Punta Arenas"}),
    ("far=y&state=ADHERED", {"Putre"}),
])
def test_follow_up_filters(world, client, query, expected):
    _regional_world(world)
    settle()
    page = client.get(f"/municipios/?{query}").get_data(as_text=True)
    assert set(re.findall(r'<th scope="row"><a href="/municipios/[^"]+">([^<]+)</a>', page)) == expected


def test_forged_filters_are_reported_not_a_crash(world, client):
    _regional_world(world)
    settle()
    response = client.get("/municipios/?region=XX&state=DROP")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def _local_cycle(place, name="Plan de Acción Comunal de Gobierno Abierto", slug="plan-comunal"):
    from consulta.core.audit import record_event
    from consulta.cycles.models import Cycle

    cycle = Cycle(jurisdiction=place, name=name, slug=slug, code=place.slug[:10].upper(),
                  starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31))
    record_event(cycle, "CREATED", actor=None)
    return cycle


def test_the_follow_up_runs_a_fixed_number_of_queries(world, client, count_queries):
    _regional_world(world)
    _local_cycle(world.renca)
    settle()

    def selects(counted):
        return [statement for statement in counted.statements if statement.startswith("SELECT")]

    with count_queries() as few:
        client.get("/municipios/")
    for number in range(5):
        place = make_jurisdiction(region=Region.BI)
        make_adhesion(place)
        make_diagnostic(place, submitted=True)
        _local_cycle(place)
    settle()
    with count_queries() as many:
        client.get("/municipios/")
    assert len(selects(many)) == len(selects(few))


def test_a_municipality_page_shows_its_state_history_and_diagnostics(world, client):
    make_adhesion(world.renca, AdhesionState.DIAGNOSING)
    diagnostic = make_diagnostic(world.renca, submitted=True)
    settle()
    page = client.get("/municipios/renca").get_data(as_text=True)
    assert page.count("<h1") == 1
    assert "History" in page or "Historial" in page
    assert f"/municipios/renca/diagnosticos/{diagnostic.id}" in page


def test_scores_are_written_the_spanish_way_in_spanish(world, client, app, monkeypatch):
    version = make_questionnaire(SCORED_QUESTIONS)
    q = version.questions
    diagnostic = make_diagnostic(world.renca, version, values={q[0]: 4, q[1]: 0, q[2]: 1, q[3]: 5, q[4]: 2, q[5]: 3},
                                 submitted=True)
    settle()
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "es")
    page = client.get(f"/municipios/renca/diagnosticos/{diagnostic.id}").get_data(as_text=True)
    assert "46,3" in page and "46.3" not in page


# --- A local action plan runs on the national cycle's machinery ----------------------------------

@pytest.mark.parametrize("kind", ["MUNICIPALITY", "NATIONAL"])
def test_a_cycle_runs_end_to_end_through_the_same_services_in_a_municipality_and_nationally(
        db, app, client, clock, kind):
    """Intake → triage → consultation → the Mesa's approval → publication, with no step that asks
    what kind of jurisdiction it runs in: the same calls serve a municipality and the national level."""
    from flask import url_for

    from consulta.commitments import services as commitments
    from consulta.commitments.models import VersionPurpose
    from consulta.consultation import services as consultation
    from consulta.consultation.models import Alignment, AnswerOutcome
    from consulta.core.windows import window_from_dates
    from consulta.cycles import services as cycles
    from consulta.cycles.models import PhaseKind, PhaseState
    from consulta.jurisdictions.models import JurisdictionKind
    from consulta.jurisdictions.roles import holds
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role, national
    from consulta.mesa import services as mesa
    from consulta.mesa.models import ActState, Decision, Vote
    from consulta.proposals import services as proposals
    from consulta.proposals.models import OgpValue, ProposalState
    from consulta.triage import services as triage

    clock.at(2025, 1, 10, 15)
    if kind == "NATIONAL":
        # The national level is unique: the test database may already hold it.
        place = national() or create_jurisdiction(name="Chile", slug="nacional", kind=JurisdictionKind.NATIONAL,
                                                  actor=None)
    else:
        place = create_jurisdiction(name="Renca", slug="renca-local", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
    admin, moderator, citizen, neighbour = make_user(), make_user(), make_user(), make_user()
    grant_role(admin, Role.ADMIN, place, actor=None)
    grant_role(moderator, Role.MODERATOR, place, actor=admin)
    tz = place.timezone

    cycle = cycles.create_cycle(place, name="Plan de Acción de Gobierno Abierto 2025", slug="plan-2025",
                                code="E2E1", starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31), actor=admin)
    area = proposals.add_area(cycle, name="Transparencia e integridad", actor=admin)
    intake = cycles.set_phase(cycle, PhaseKind.INTAKE,
                              window=window_from_dates(date(2025, 3, 1), date(2025, 3, 31), tz), actor=admin)
    consulting = cycles.set_phase(cycle, PhaseKind.CONSULTATION,
                                  window=window_from_dates(date(2025, 4, 10), date(2025, 4, 30), tz), actor=admin)

    # Intake: a citizen's proposal through the form while the window is open.
    clock.at(2025, 3, 10, 15)
    cycles.open_phase(intake, actor=admin)
    proposal = proposals.submit_proposal(
        cycle=cycle, author=citizen, title="Datos abiertos de las patentes comerciales",
        problem="Nadie sabe qué patentes se otorgan.", body="Publicar cada mes las patentes en datos abiertos.",
        area=area, values=[OgpValue.TRANSPARENCIA], actor=citizen)
    clock.at(2025, 4, 2, 15)
    cycles.close_phase(intake, actor=admin)

    # Triage: the proposal goes into a commitment of the draft plan, with a reasoned response.
    entity = add_entity(place, name="Dirección de Transparencia", actor=admin)
    commitment = commitments.create_commitment(
        cycle, number=1, name="Patentes comerciales en datos abiertos", area=area, entity=entity,
        starts_on=date(2025, 7, 1), ends_on=date(2026, 6, 30), problem="Nadie sabe qué patentes se otorgan.",
        commitment_text="Publicar las patentes comerciales cada mes.", contribution="Información para vecinos.",
        values=[OgpValue.TRANSPARENCIA], from_proposals=[proposal], actor=moderator)
    commitments.add_activity(commitment, name="Catastro de patentes vigentes", starts_on=date(2025, 7, 1),
                             ends_on=date(2025, 12, 31), actor=moderator)
    triage.decide(proposal, outcome=ProposalState.ACCEPTED, commitment=commitment, actor=moderator,
                  response="<p>La propuesta se integra en el compromiso N° 1.</p>")
    assert proposal.state is ProposalState.ACCEPTED

    # Consultation: opening it freezes the draft; a neighbour comments, the institution answers.
    clock.at(2025, 4, 12, 15)
    cycles.open_phase(consulting, actor=admin)
    draft = commitments.consultation_version(cycle)
    assert draft is not None and draft.purpose is VersionPurpose.CONSULTATION_DRAFT
    comment = consultation.post_comment(consultation.commitment_target(cycle, 1), author=neighbour,
                                        text="Que incluya también las patentes de alcoholes.",
                                        alignment=Alignment.A_FAVOR)
    consultation.answer(comment, outcome=AnswerOutcome.INCORPORADO, actor=moderator,
                        text="Se agrega una actividad para las patentes de alcoholes.")
    commitments.add_activity(commitment, name="Patentes de alcoholes en datos abiertos", starts_on=date(2026, 1, 1),
                             ends_on=date(2026, 6, 30), actor=moderator)
    clock.at(2025, 5, 2, 15)
    cycles.close_phase(consulting, actor=admin)
    assert consulting.state is PhaseState.CLOSED

    # The Mesa approves the plan as it stands after the consultation, every member present confirming.
    forum = mesa.create_forum(place, name="Mesa de Gobierno Abierto", act_number="Decreto N° 1234",
                              act_date=date(2025, 1, 5), actor=admin)
    members = [make_user(), make_user()]
    for sector, person, chairs in (("GOVERNMENT", members[0], True), ("CIVIL_SOCIETY", members[1], False)):
        mesa.add_seat(forum, sector=sector, holder=person, designated_on=date(2025, 1, 6), chairs=chairs,
                      designation="Designación por decreto", actor=admin)
    # A seat gives its holder the Mesa-member role (through grant_role), in this jurisdiction only.
    assert all(holds(person, Role.MESA_MEMBER, place) for person in members)
    version = commitments.freeze_plan(cycle, actor=moderator, label="Plan para la aprobación de la Mesa")
    meeting = mesa.record_meeting(forum, held_on=date(2025, 5, 2), agenda="Aprobación del plan.",
                                  minutes="La Mesa revisó el plan tras la consulta.",
                                  present=mesa.current_seats(forum), cycle=cycle, actor=moderator)
    act = mesa.record_act(meeting, version=version, decision=Decision.APPROVED,
                          votes={seat: Vote.FOR for seat in meeting.present}, actor=moderator)
    for person in members:
        mesa.confirm_act(act, actor=person)
    assert act.state is ActState.IN_FORCE
    mesa.publish(version, actor=moderator)

    assert mesa.is_published(cycle) and mesa.published_version(cycle) == version
    assert commitments.commitments_of_proposal(proposal) == [commitment]
    with app.test_request_context():
        where = {"slug": place.slug, "cycle_slug": cycle.slug}
        commitment_page = url_for("commitments.detail", number=1, **where)
        pages = [url_for("cycles.detail", **where), url_for("proposals.register", **where), commitment_page,
                 url_for("consultation.overview", **where), url_for("mesa.published", **where)]
        proposal_page = url_for("proposals.detail", reference=proposal.reference, **where)
    for page in pages:
        assert client.get(page).status_code == 200, page
    shown = client.get(proposal_page)
    assert shown.status_code == 200 and f'href="{commitment_page}"' in shown.get_data(as_text=True)


# --- Commitments' progress of each local plan on the follow-up --------------------------------------

def _published_local_plan(place, percent=60):
    """A local cycle of `place` with a published plan of one commitment and two activities (2018-2019),
    the first reported at `percent`."""
    from tests.factories import make_intake_cycle, make_published_plan, make_report

    commitment = make_published_plan(make_intake_cycle(place), activities=[
        (date(2018, 12, 1), date(2019, 4, 30)), (date(2019, 5, 1), date(2019, 9, 30))])
    make_report(commitment.activities[0], percent=percent)
    return commitment


def test_the_follow_up_shows_each_local_plan_s_commitments_progress_by_the_tracker_s_rule(world, client, app):
    from flask import url_for

    from consulta.monitoring import services as monitoring
    from consulta.monitoring.models import Completion

    _regional_world(world)
    commitment = _published_local_plan(world.renca)
    _local_cycle(world.vitacura)
    settle()
    rows = {row.jurisdiction.name: row for row in services.followup_rows()}
    renca = rows["Renca"]
    expected = monitoring.tracker(commitment.cycle, monitoring.local_today(world.renca))
    assert renca.plan == commitment.cycle
    assert [(item.commitment, item.level, item.percent) for item in renca.progress] == \
        [(item.commitment, item.level, item.percent) for item in expected]
    # (60 % + 0 %) / 2 activities: limited, as the tracker says.
    assert renca.completion == [(Completion.LIMITED, 1)]
    assert rows["Vitacura"].plan is None and rows["Vitacura"].progress == []
    page = client.get("/municipios/").get_data(as_text=True)
    with app.test_request_context():
        tracker = url_for("monitoring.tracker", slug="renca", cycle_slug=commitment.cycle.slug)
    assert f'href="{tracker}">1 commitment</a>' in page and "Limited 1" in page
    assert "No published plan" in page
    assert client.get(tracker).status_code == 200


def test_the_follow_up_with_published_plans_runs_the_same_statements_at_two_sizes(world, client, count_queries):
    _regional_world(world)
    _published_local_plan(world.renca)
    settle()

    def selects(counted):
        return [statement for statement in counted.statements if statement.startswith("SELECT")]

    with count_queries() as few:
        assert client.get("/municipios/").status_code == 200
    for percent in (0, 40, 100, 70):
        place = make_jurisdiction(region=Region.BI)
        make_adhesion(place, AdhesionState.IMPLEMENTING)
        make_diagnostic(place, submitted=True)
        _published_local_plan(place, percent=percent)
    settle()
    with count_queries() as many:
        page = client.get("/municipios/").get_data(as_text=True)
    assert page.count(" commitment</a>") == 5
    assert len(selects(many)) == len(selects(few))


# --- Double click on "start a diagnostic" ----------------------------------------------------------

def test_starting_a_diagnostic_twice_gives_the_same_draft_and_one_state_change(world):
    adhesion = make_adhesion(world.renca)
    make_questionnaire()
    first = services.start_diagnostic(world.renca, actor=world.renca_admin)
    assert services.start_diagnostic(world.renca, actor=world.renca_admin) == first
    assert db_count(Diagnostic) == 1
    assert changes_of(adhesion).count(("ADHERED", "DIAGNOSING")) == 1


@pytest.mark.concurrency
def test_a_double_click_on_start_diagnostic_opens_one_draft_and_both_clicks_land_on_it(app, committed_db):
    """Two POSTs at the same instant, each in its own thread, connection and transaction."""
    import threading

    from consulta.extensions import db

    national = make_national()
    place = make_jurisdiction(name="Renca", slug=f"renca-{threading.get_ident() % 10000}")
    admin = make_grant(role=Role.ADMIN, jurisdiction=place).user
    adhesion = make_adhesion(place)
    make_questionnaire()
    db.session.commit()
    slug, session_id, adhesion_id = place.slug, admin.get_id(), adhesion.id
    assert national.id
    app.config["WTF_CSRF_ENABLED"] = False
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_id, True

    def click(i):
        response = clients[i].post(f"/municipios/{slug}/diagnosticos")
        return response.status_code, response.headers.get("Location")

    try:
        results, errors = run_together(2, click)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert errors == []
    db.session.rollback()
    drafts = db.session.scalars(select(Diagnostic).where(Diagnostic.jurisdiction_id == place.id)).all()
    assert len(drafts) == 1
    fill = f"/municipios/{slug}/diagnosticos/{drafts[0].id}/editar"
    assert [status for status, _location in results] == [302, 302]
    assert all(location.endswith(fill) for _status, location in results)
    from consulta.municipal.models import Adhesion
    assert changes_of(db.session.get(Adhesion, adhesion_id)).count(("ADHERED", "DIAGNOSING")) == 1


# --- Local organisations answer the short version ---------------------------------------------------

def _short_version(world, *, short_areas=(Area.TRANSPARENCY, Area.PARTICIPATION)):
    """Renca adhered, a questionnaire of two 0–4 questions per area whose first question in
    `short_areas` is in the short version, and Renca's submitted diagnostic (all answers 2)."""
    make_adhesion(world.renca)
    version = make_questionnaire([(area, 4, weight) for area in Area for weight in (1, 3)])
    for area in short_areas:
        version.questions_in(area)[0].short = True
    diagnostic = make_diagnostic(world.renca, version, values={question: 2 for question in version.questions},
                                 submitted=True)
    return diagnostic


def _local_representative(place, *, verified=True):
    from tests.factories import make_representation

    representation = make_representation(verified=verified, jurisdiction=place)
    return representation.user, representation.organisation


def test_a_local_organisation_answers_the_short_version_once_beside_never_in_the_official_score(world, clock):
    from consulta.municipal.models import LocalAnswer, LocalResponse

    clock.at(2019, 9, 2, 14)
    diagnostic = _short_version(world)
    official = services.scores(diagnostic)
    person, organisation = _local_representative(world.renca)
    response = services.start_local_response(diagnostic, organisation=organisation, actor=person)
    assert services.start_local_response(diagnostic, organisation=organisation, actor=person) == response
    short = diagnostic.version.short_questions
    assert [question.area for question in short] == [Area.TRANSPARENCY, Area.PARTICIPATION]
    with pytest.raises(DomainError) as incomplete:
        services.save_local_answers(response, {short[0].id: 4}, actor=person, submit=True)
    assert incomplete.value.field == f"q{short[1].id}"
    services.save_local_answers(response, {short[0].id: 4, short[1].id: 1}, actor=person, submit=True)
    assert response.is_submitted and changes_of(response) == [(None, "DRAFT"), ("DRAFT", "SUBMITTED")]
    with pytest.raises(DomainError, match="already submitted"):
        services.save_local_answers(response, {short[0].id: 0}, actor=person, submit=True)
    assert services.start_local_response(diagnostic, organisation=organisation, actor=person) == response
    assert db_count(LocalResponse) == 1 and db_count(LocalAnswer) == 2

    comparison = services.local_comparison(diagnostic)
    assert services.scores(diagnostic) == official
    assert comparison.areas == [Area.TRANSPARENCY, Area.PARTICIPATION]
    assert comparison.municipality == services.compute_scores(short, {question.id: 2 for question in short})
    [(shown, theirs)] = comparison.organisations
    assert shown == response
    assert (theirs.of(Area.TRANSPARENCY), theirs.of(Area.PARTICIPATION), theirs.overall) == (100.0, 25.0, 62.5)
    assert theirs.of(Area.ACCOUNTABILITY) is None


@pytest.mark.parametrize("answers,field", [
    (lambda short, other: {short[0].id: 5}, "q{0}"),
    (lambda short, other: {short[0].id: -1}, "q{0}"),
    (lambda short, other: {other.id: 2}, None),
])
def test_local_answers_off_the_scale_or_off_the_short_version_are_refused(world, answers, field):
    diagnostic = _short_version(world)
    person, organisation = _local_representative(world.renca)
    response = services.start_local_response(diagnostic, organisation=organisation, actor=person)
    short = diagnostic.version.short_questions
    other = next(question for question in diagnostic.version.questions if not question.short)
    with pytest.raises(DomainError) as refused:
        services.save_local_answers(response, answers(short, other), actor=person)
    assert refused.value.field == (field.format(short[0].id) if field else None)
    assert response.answers == []


@pytest.mark.parametrize("who", ["pending", "other_municipality", "renca_admin", "citizen"])
def test_only_a_verified_local_organisation_s_representative_answers(world, who):
    from consulta.municipal.models import LocalResponse

    diagnostic = _short_version(world)
    person, organisation = _local_representative(world.renca, verified=who != "pending")
    if who == "other_municipality":
        person, organisation = _local_representative(world.vitacura)
    elif who in ("renca_admin", "citizen"):
        person = world.people[who]
    with pytest.raises(PermissionDenied):
        services.start_local_response(diagnostic, organisation=organisation, actor=person)
    assert db_count(LocalResponse) == 0


def test_a_questionnaire_without_a_short_version_is_not_offered(world):
    diagnostic = _short_version(world, short_areas=())
    person, organisation = _local_representative(world.renca)
    with pytest.raises(DomainError, match="no short version"):
        services.start_local_response(diagnostic, organisation=organisation, actor=person)
    assert services.local_comparison(diagnostic) is None


def test_the_short_version_is_marked_by_national_administrators_and_kept_in_a_new_version(world):
    version = services.create_questionnaire_version(title="Instrumento", actor=world.national_admin)
    for area in Area:
        services.add_question(version, area=area, text=f"¿{area.name}?", scale_max=4,
                              short=area == Area.COLLABORATION, actor=world.national_admin)
    services.publish_version(version, actor=world.national_admin)
    copy = services.create_questionnaire_version(title="Instrumento 2", actor=world.national_admin,
                                                 copy_from=version)
    assert [question.area for question in copy.short_questions] == [Area.COLLABORATION]
    services.edit_question(copy.questions[0], area=Area.TRANSPARENCY, text="¿T?", scale_max=4, weight=1,
                           short=True, actor=world.national_admin)
    assert [question.area for question in copy.short_questions] == [Area.TRANSPARENCY, Area.COLLABORATION]


def test_a_local_organisation_answers_through_the_pages(world, login_as, no_csrf, clock):
    clock.at(2019, 9, 2, 14)
    diagnostic = _short_version(world)
    person, organisation = _local_representative(world.renca)
    settle()
    assert "Answer the short version" not in login_as(world.citizen).get("/municipios/renca").get_data(as_text=True)
    client = login_as(person)
    page = client.get("/municipios/renca").get_data(as_text=True)
    assert "Answer the short version" in page and organisation.name in page
    started = client.post(f"/municipios/renca/diagnosticos/{diagnostic.id}/organizaciones",
                          data={"organisation_id": str(organisation.id)})
    assert started.status_code == 302
    response = services.local_response_of(diagnostic, organisation)
    address = f"/municipios/renca/diagnosticos/{diagnostic.id}/organizaciones/{response.id}"
    assert started.headers["Location"].endswith(address)
    short = diagnostic.version.short_questions
    refused = client.post(address, data={f"q{short[0].id}": "9", f"q{short[1].id}": "3", "submit": "1"})
    assert refused.status_code == 422 and "Choose a value from 0 to 4" in refused.get_data(as_text=True)
    assert client.post(address, data={f"q{short[0].id}": "4", f"q{short[1].id}": "3", "submit": "1"}).status_code == 302
    assert response.is_submitted
    again = client.post(address, data={f"q{short[0].id}": "0", f"q{short[1].id}": "0", "submit": "1"})
    assert again.status_code == 422 and "already submitted" in again.get_data(as_text=True)
    results = login_as(world.citizen).get(f"/municipios/renca/diagnosticos/{diagnostic.id}").get_data(as_text=True)
    assert "Local organisations' view (short version)" in results and organisation.name in results
    assert "87.5" in results  # (100 + 75) / 2 on the short version
    # A forged organisation (another's, or a number) is refused; someone else's answers are not reachable.
    assert client.post(f"/municipios/renca/diagnosticos/{diagnostic.id}/organizaciones",
                       data={"organisation_id": str(organisation.id)}).status_code == 403  # the citizen now
    forged = login_as(person).post(f"/municipios/renca/diagnosticos/{diagnostic.id}/organizaciones",
                         data={"organisation_id": "999999"})
    assert forged.status_code == 302 and services.local_response_of(diagnostic, organisation) == response
    assert login_as(world.renca_admin).get(address).status_code == 403
    assert login_as(person).get(address.replace(f"/{diagnostic.id}/", f"/{diagnostic.id + 999}/")).status_code == 404


# --- Training attendance: registration and check-in ------------------------------------------------

def _upcoming_session(world, clock):
    clock.at(2019, 8, 20, 15)
    return services.record_training(world.renca, kind=ActivityKind.TRAINING, held_on=date(2019, 8, 27),
                                     topic="Diseño participativo del plan local", actor=world.national_moderator)


def test_people_register_ahead_and_attendance_counts_only_those_checked_in(world, clock):
    activity = _upcoming_session(world, clock)
    first = services.register_attendee(activity, user=world.renca_admin, actor=world.renca_admin)
    services.register_attendee(activity, user=world.citizen, actor=world.national_moderator)
    with pytest.raises(DomainError, match="already registered"):
        services.register_attendee(activity, user=world.renca_admin, actor=world.renca_admin)
    with pytest.raises(PermissionDenied):
        services.register_attendee(activity, user=world.citizen, actor=world.renca_admin)
    with pytest.raises(DomainError, match="checked in on the day"):
        services.check_in(first, actor=world.national_moderator)
    with pytest.raises(DomainError, match="checked in on the day"):
        services.walk_in(activity, name="Luis Soto", actor=world.national_moderator)
    assert (activity.registered, activity.attendance) == (2, 0)

    clock.at(2019, 8, 27, 14)
    with pytest.raises(PermissionDenied):
        services.check_in(first, actor=world.renca_admin)
    services.check_in(first, actor=world.national_moderator)
    with pytest.raises(DomainError, match="already checked in"):
        services.check_in(first, actor=world.national_admin)
    services.walk_in(activity, name="Luis Soto", affiliation="Secpla", actor=world.national_moderator)
    assert (activity.registered, activity.attendance) == (3, 2)
    assert first.checked_in_by_id == world.national_moderator.id

    clock.at(2019, 8, 28, 14)
    with pytest.raises(DomainError, match="Registration closed"):
        services.register_attendee(activity, user=make_user(), actor=world.national_moderator)
    listed = services.support_activities(world.renca)
    assert [row.attendance for row in listed] == [2]


def test_staff_check_people_in_through_the_session_page(world, login_as, no_csrf, clock):
    activity = _upcoming_session(world, clock)
    settle()
    client = login_as(world.renca_admin)
    page = f"/municipios/acompanamiento/{activity.id}"
    assert client.post(f"{page}/inscripcion").status_code == 302
    assert "You are registered" in client.get(page).get_data(as_text=True)
    attendee = services.registration_of(activity, world.renca_admin)
    assert client.post(f"{page}/asistentes/{attendee.id}/presente").status_code == 403
    assert login_as(world.citizen).post(f"{page}/asistentes", data={"name": "X"}).status_code == 403

    clock.at(2019, 8, 27, 14)
    staff = login_as(world.national_moderator)
    assert "Check in" in staff.get(page).get_data(as_text=True)
    assert staff.post(f"{page}/asistentes/{attendee.id}/presente").status_code == 302
    twice = staff.post(f"{page}/asistentes/{attendee.id}/presente", follow_redirects=True)
    assert "already checked in" in twice.get_data(as_text=True)
    refused = staff.post(f"{page}/asistentes", data={"name": "", "affiliation": "Dideco"})
    assert refused.status_code == 422 and 'value="Dideco"' in refused.get_data(as_text=True)
    assert staff.post(f"{page}/asistentes", data={"name": "Luis Soto", "affiliation": "Dideco"}).status_code == 302
    other = services.record_training(world.renca, kind=ActivityKind.TRAINING, held_on=date(2019, 8, 27),
                                     topic="Otra", actor=world.national_moderator)
    settle()
    assert staff.post(f"/municipios/acompanamiento/{other.id}/asistentes/{attendee.id}/presente").status_code == 404
    public = login_as(world.citizen).get("/municipios/acompanamiento").get_data(as_text=True)
    assert re.search(r'Diseño participativo del plan local</a>.*?<td class="num">2</td>', public, re.S)
    assert "2 people checked in" in client.get(page).get_data(as_text=True)
