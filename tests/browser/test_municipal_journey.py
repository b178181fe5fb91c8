"""The Municipal Model in a real browser: a municipal administrator records the adhesion act and
submits the diagnostic; a visitor reads the regional summary, with and without JavaScript."""
import re
import secrets
from datetime import date

import pytest
from playwright.sync_api import expect

import config
from consulta import create_app

pytestmark = pytest.mark.browser

PASSWORD = "municipal journey password"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
# The regional summary, map included, on a slow phone connection.
REGIONS_PAGE_BUDGET = 60_000


@pytest.fixture(scope="module")
def live_app(live_server):
    """An app on the live server's database, to set the scene through the services."""
    return create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)


def _scene(live_app):
    """A far-south municipality invited to the Model, its administrator, and a questionnaire in use."""
    from consulta.accounts.services import create_user
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction, grant_role, national
    from consulta.municipal import services
    from consulta.municipal.models import Area

    token = secrets.token_hex(4)
    with live_app.app_context():
        country = national() or create_jurisdiction(name="Nivel nacional", slug=f"nacional-{token}",
                                                    kind=JurisdictionKind.NATIONAL, actor=None)
        place = create_jurisdiction(name="Coyhaique", slug=f"coyhaique-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.AI, actor=None)
        staff = create_user(email=f"cplt-{token}@example.org", password=PASSWORD, display_name="Equipo CPLT",
                            verified=True)
        mayor_office = create_user(email=f"coyhaique-{token}@example.org", password=PASSWORD,
                                   display_name="Administración de Coyhaique", verified=True)
        grant_role(staff, Role.ADMIN, country, actor=None)
        grant_role(mayor_office, Role.ADMIN, place, actor=None)
        db.session.flush()
        if services.current_version() is None:
            version = services.create_questionnaire_version(title="Instrumento de diagnóstico", actor=staff)
            for area in Area:
                services.add_question(version, area=area, text=f"¿Cómo está la municipalidad en {area.name.lower()}?",
                                      scale_max=4, weight=1, evidence_prompt="Enlace o documento", actor=staff)
            services.publish_version(version, actor=staff)
        services.invite(place, actor=staff, reason="Énfasis en regiones alejadas de la capital")
        db.session.commit()
        questions = [(question.id, question.scale_max) for question in services.current_version().questions]
        return {"slug": place.slug, "email": mayor_office.email, "questions": questions}


def _sign_in(page, email):
    page.goto("/cuenta/ingresar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/cuenta/ingresar" not in page.url


def test_a_municipal_administrator_records_the_act_and_submits_the_diagnostic(page, live_app, axe_check):
    scene = _scene(live_app)
    slug = scene["slug"]
    _sign_in(page, scene["email"])

    page.goto(f"/municipios/{slug}")
    axe_check(page)
    page.locator(f"a[href$='/municipios/{slug}/adhesion']").click()
    # Waits for the new page: under load the click returns before its document has arrived.
    expect(page.locator("h1")).to_have_count(1)
    # A date in the future is refused, and what was typed stays in the form.
    page.fill("#mayor_name", "Carlos Gatica")
    page.fill("#signed_on", "2999-01-01")
    page.fill("#act_number", "Decreto Alcaldicio N° 2211")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#signed_on-error")).to_be_visible()
    assert page.input_value("#mayor_name") == "Carlos Gatica"
    axe_check(page)
    page.fill("#signed_on", date(2019, 6, 3).isoformat())
    page.set_input_files("#document", files=[{"name": "acta-adhesion.pdf", "mimeType": "application/pdf",
                                               "buffer": PDF}])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/municipios/{slug}")
    assert "Decreto Alcaldicio N° 2211" in page.locator("main").inner_text()
    assert page.locator(f"a[href$='/municipios/{slug}/adhesion/acta']").count() == 1

    page.locator(f"form[action$='/municipios/{slug}/diagnosticos'] button").click()
    page.wait_for_url(re.compile(rf".*/municipios/{slug}/diagnosticos/\d+/editar$"))
    axe_check(page)
    for question_id, scale_max in scene["questions"]:
        page.check(f"#q{question_id}-{scale_max}")
    page.locator("button[name=submit]").click()
    page.wait_for_url(re.compile(rf".*/municipios/{slug}/diagnosticos/\d+$"))
    assert page.locator("h1").count() == 1
    scores = page.locator("main table").first.inner_text()
    assert re.search(r"100[,.]0", scores)
    axe_check(page)


def _summary_row(live_app, region_code):
    from consulta.municipal import services

    with live_app.app_context():
        rows, _total = services.regional_summary()
        row = next(row for row in rows if row.region.name == region_code)
        return [row.municipalities, row.not_invited, row.invited, row.adherent, row.withdrawn, row.diagnosed]


def test_a_visitor_reads_the_regional_summary(page, live_app, axe_check, page_bytes):
    _scene(live_app)
    transferred = page_bytes(page, "/municipios/regiones")
    assert transferred < REGIONS_PAGE_BUDGET
    assert page.locator("h1").count() == 1
    expect(page.locator("svg.region-map")).to_be_visible()
    # The table beside the map holds the records' counts; Aysén is one of the far regions.
    aysen = page.locator("#region-AI")
    assert "far" in (aysen.get_attribute("class") or "")
    cells = [int(text) for text in aysen.locator("td").all_inner_texts()]
    assert cells == _summary_row(live_app, "AI")
    assert cells[0] >= 1
    axe_check(page)


def test_the_regional_summary_needs_no_javascript(no_js_page, live_app):
    _scene(live_app)
    refusals = []
    no_js_page.on("console", lambda message: refusals.append(message.text)
                  if "Content Security Policy" in message.text else None)
    no_js_page.goto("/municipios/regiones")
    expect(no_js_page.locator("svg.region-map")).to_be_visible()
    assert no_js_page.locator("#region-AI td").count() == 6
    no_js_page.locator("nav.subnav a[href$='/municipios/']").click()
    no_js_page.select_option("#region", "AI")
    with no_js_page.expect_navigation() as navigation:
        no_js_page.locator("form.filters button[type=submit]").click()
    assert navigation.value.status == 200, no_js_page.content()[:2000]
    assert "region=AI" in no_js_page.url
    names = no_js_page.locator("main tbody th[scope=row] a").all_inner_texts()
    assert "Coyhaique" in names, no_js_page.locator("main").inner_text()
    assert refusals == []


def _local_scene(live_app):
    """An adhered municipality whose diagnostic on a questionnaire with a short version is submitted,
    and the verified representative of one of its organisations."""
    from consulta.accounts.services import create_user
    from consulta.core.sectors import Sector
    from consulta.extensions import db
    from consulta.jurisdictions.models import Jurisdiction, Role
    from consulta.jurisdictions.services import grant_role, national
    from consulta.municipal import services
    from consulta.organisations.services import request_representation, verify_representation

    scene = _scene(live_app)
    token = secrets.token_hex(4)
    with live_app.app_context():
        place = db.session.scalar(db.select(Jurisdiction).where(Jurisdiction.slug == scene["slug"]))
        national_admin = create_user(email=f"cplt-{token}@example.org", password=PASSWORD,
                                     display_name="Equipo CPLT", verified=True)
        admin = create_user(email=f"admin-{token}@example.org", password=PASSWORD, display_name="Municipio",
                            verified=True)
        moderator = create_user(email=f"mod-{token}@example.org", password=PASSWORD, display_name="Moderación",
                                verified=True)
        person = create_user(email=f"junta-{token}@example.org", password=PASSWORD, display_name="Rosa Catalán",
                             verified=True)
        grant_role(national_admin, Role.ADMIN, national(), actor=None)
        grant_role(admin, Role.ADMIN, place, actor=None)
        grant_role(moderator, Role.MODERATOR, place, actor=None)
        db.session.flush()
        version = services.current_version()
        if not version.short_questions:
            version = services.create_questionnaire_version(title="Con versión breve", actor=national_admin,
                                                            copy_from=version)
            for question in version.questions[:2]:
                question.short = True
            services.publish_version(version, actor=national_admin)
        services.record_adhesion(place, mayor_name="Carlos Gatica", signed_on=date(2019, 6, 3),
                                 act_number=f"Decreto {token}", actor=admin)
        diagnostic = services.start_diagnostic(place, actor=admin)
        services.save_answers(diagnostic, {question.id: (2, "") for question in version.questions}, actor=admin,
                              submit=True)
        request = request_representation(person, name=f"Junta de Vecinos {token}", sector=Sector.OSC,
                                         jurisdiction=place)
        verify_representation(request, actor=moderator)
        db.session.commit()
        return {"slug": place.slug, "email": person.email, "diagnostic": diagnostic.id,
                "organisation": request.organisation.name,
                "short": [(question.id, question.scale_max) for question in version.short_questions]}


def test_a_local_organisation_answers_the_short_version_and_a_visitor_sees_it_beside_the_municipality(
        page, live_app, axe_check):
    scene = _local_scene(live_app)
    slug = scene["slug"]
    _sign_in(page, scene["email"])
    page.goto(f"/municipios/{slug}")
    axe_check(page)
    page.select_option("#organisation_id", label=scene["organisation"])
    page.locator(f"form[action$='/diagnosticos/{scene['diagnostic']}/organizaciones'] button").click()
    page.wait_for_url(re.compile(rf".*/diagnosticos/{scene['diagnostic']}/organizaciones/\d+$"))
    assert page.locator("h1").count() == 1
    axe_check(page)
    # One question left unanswered: the submission is refused and the answer given stays checked.
    first, *rest = scene["short"]
    page.check(f"#q{first[0]}-{first[1]}")
    page.locator("button[name=submit]").click()
    expect(page.locator(".error-summary, [role=alert]").first).to_be_visible()
    assert page.is_checked(f"#q{first[0]}-{first[1]}")
    axe_check(page)
    for question_id, scale_max in rest:
        page.check(f"#q{question_id}-{scale_max}")
    page.locator("button[name=submit]").click()
    expect(page.locator("main form.diagnostic")).to_have_count(0)
    assert re.search(r"100[,.]0", page.locator("main").inner_text())

    page.context.clear_cookies()
    page.goto(f"/municipios/{slug}/diagnosticos/{scene['diagnostic']}")
    section = page.locator("section[aria-labelledby=local-title]")
    expect(section).to_be_visible()
    assert scene["organisation"] in section.inner_text()
    axe_check(page)


def test_an_official_registers_for_a_session_and_staff_check_people_in_at_the_door(page, live_app, axe_check):
    from consulta.accounts.services import create_user
    from consulta.extensions import db
    from consulta.jurisdictions.models import Jurisdiction, Role
    from consulta.jurisdictions.services import grant_role, national
    from consulta.municipal import services
    from consulta.municipal.models import ActivityKind, SupportActivity

    scene = _scene(live_app)
    token = secrets.token_hex(4)
    with live_app.app_context():
        place = db.session.scalar(db.select(Jurisdiction).where(Jurisdiction.slug == scene["slug"]))
        staff = create_user(email=f"staff-{token}@example.org", password=PASSWORD, display_name="Equipo CPLT",
                            verified=True)
        official = create_user(email=f"dideco-{token}@example.org", password=PASSWORD, display_name="Ana Pérez",
                               verified=True)
        grant_role(staff, Role.MODERATOR, national(), actor=None)
        db.session.flush()
        session = services.record_training(place, kind=ActivityKind.TRAINING, held_on=services.local_today(place),
                                           topic=f"Uso del instrumento {token}", actor=staff)
        db.session.commit()
        address = f"/municipios/acompanamiento/{session.id}"
        emails = {"official": official.email, "staff": staff.email}
        session_id = session.id

    _sign_in(page, emails["official"])
    page.goto(address)
    axe_check(page)
    page.locator(f"form[action$='{address}/inscripcion'] button").click()
    # Registered: the button is gone (the page is in Spanish; the checks do not depend on wording).
    expect(page.locator(f"form[action$='{address}/inscripcion']")).to_have_count(0)
    page.context.clear_cookies()

    _sign_in(page, emails["staff"])
    page.goto(address)
    page.locator("form[action*='/asistentes/'][action$='/presente'] button").click()
    expect(page.locator("form[action$='/presente']")).to_have_count(0)
    page.fill("#name", "Luis Soto")
    page.fill("#affiliation", "Secpla")
    page.locator(f"form[action$='{address}/asistentes'] button").click()
    expect(page.locator("main dl dd").nth(3)).to_have_text(re.compile(r"^\s*2\b"))
    with live_app.app_context():
        assert db.session.get(SupportActivity, session_id).attendance == 2
    axe_check(page)
