"""The Mesa de Gobierno Abierto in a real browser: a member signs in, records an observation on the
plan under review and confirms the approval act, which the last confirmation puts in force; a
visitor then downloads the published plan, with JavaScript and without. Every page passes axe."""
import re
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

import config
from consulta import create_app

pytestmark = pytest.mark.browser

PASSWORD = "mesa journey password"
SEATS = (("GOVERNMENT", True, "Presidencia de la Mesa"), ("CIVIL_SOCIETY", False, "Sociedad civil"),
         ("ACADEMIA", False, "Academia"), ("INTERNATIONAL", False, "Organismo internacional"))


@pytest.fixture(scope="module")
def live_app(live_server):
    """An app on the live server's database, to set the scene through the services."""
    return create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)


def _scene(live_app) -> dict:
    """A municipality's forum with four seats, a cycle whose plan (version 1) was put to the Mesa in a
    meeting where all four were present, and an act approving it that three have confirmed."""
    from consulta.accounts.services import create_user
    from consulta.commitments import services as commitments
    from consulta.core import clock
    from consulta.core.windows import to_local
    from consulta.cycles.services import create_cycle
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role
    from consulta.mesa import services
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import add_area

    token = secrets.token_hex(4)
    with live_app.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)

        def person(key, name):
            return create_user(email=f"{key}-{token}@example.org", password=PASSWORD, verified=True,
                               display_name=name)

        admin, moderator = person("admin", "Ana Administra"), person("moderator", "Marta Modera")
        grant_role(admin, Role.ADMIN, place, actor=None)
        grant_role(moderator, Role.MODERATOR, place, actor=None)
        today = to_local(clock.now(), place.timezone).date()
        cycle = create_cycle(place, name="Plan local de gobierno abierto", slug="plan-local",
                             code=f"R{token[:4].upper()}", starts_on=today - timedelta(days=200),
                             ends_on=today + timedelta(days=500), actor=None)
        area = add_area(cycle, name="Modernización del Estado", actor=None)
        entity = add_entity(place, name="Municipalidad de Renca", actor=None)
        commitments.create_commitment(
            cycle, number=1, name="Presupuestos participativos abiertos", area=area, entity=entity,
            starts_on=today, ends_on=today + timedelta(days=400), problem="La ciudadanía no decide el presupuesto.",
            commitment_text="Abrir el presupuesto municipal a la decisión vecinal.", contribution="",
            values=[OgpValue.PARTICIPACION], from_proposals=[], actor=moderator)
        version = commitments.freeze_plan(cycle, actor=moderator)

        forum = services.create_forum(place, name="Mesa de Gobierno Abierto de Renca",
                                      act_number="Decreto Alcaldicio N° 1234", act_date=date(2019, 6, 3),
                                      rules="Sesiona al menos cada seis meses.", actor=admin)
        members = []
        for sector, chairs, name in SEATS:
            member = person(sector.lower(), name)
            services.add_seat(forum, sector=sector, chairs=chairs, holder=member, designated_on=date(2019, 6, 4),
                              designation="Designación del Concejo", actor=admin)
            members.append(member)
        meeting = services.record_meeting(forum, held_on=today, cycle=cycle, agenda="Aprobación del plan local.",
                                          minutes="Se revisa la versión 1 del plan.",
                                          present=services.current_seats(forum), actor=moderator)
        act = services.record_act(meeting, version=version, decision="APPROVED",
                                  votes={seat: "FOR" for seat in meeting.present}, actor=moderator)
        civil_society = members[1]
        for member in members:
            if member is not civil_society:
                services.confirm_act(act, actor=member)
        db.session.commit()
        return {"slug": place.slug, "cycle": cycle.slug, "member": civil_society.email, "meeting": meeting.id,
                "act": act.id, "moderator_id": moderator.id, "version_id": version.id}


def _publish(live_app, scene) -> None:
    """The moderators answer the observation and publish the approved version (through the services)."""
    from consulta.accounts.models import User
    from consulta.commitments.models import PlanVersion
    from consulta.extensions import db
    from consulta.mesa import services

    with live_app.app_context():
        moderator = db.session.get(User, scene["moderator_id"])
        version = db.session.get(PlanVersion, scene["version_id"])
        for observation in services.observations_of(version.cycle):
            services.answer_observation(observation, answer="Se agregan metas por barrio.", actor=moderator)
        services.publish(version, actor=moderator)
        db.session.commit()


def _sign_in(page, email):
    page.goto("/cuenta/ingresar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/cuenta/ingresar" not in page.url


def test_a_member_observes_confirms_the_act_and_a_visitor_downloads_the_plan(page, browser, live_server, live_app,
                                                                           axe_check):
    scene = _scene(live_app)
    slug, cycle = scene["slug"], scene["cycle"]
    _sign_in(page, scene["member"])

    page.goto(f"/j/{slug}/{cycle}")
    page.locator(f"a[href$='/j/{slug}/{cycle}/revision']").click()
    page.wait_for_url(f"**/j/{slug}/{cycle}/revision")
    assert page.locator("h1").count() == 1
    axe_check(page)
    # An empty observation is refused next to its field; the typed choice stays.
    page.select_option("#commitment_number", "1")
    page.locator("form[action$='/revision/observaciones'] button[type=submit]").click()
    expect(page.locator("#body-error")).to_be_visible()
    assert page.input_value("#commitment_number") == "1"
    axe_check(page)
    page.fill("#body", "Agregar metas por barrio.")
    page.locator("form[action$='/revision/observaciones'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/j/{slug}/{cycle}/revision(#.*)?$"))
    assert "Agregar metas por barrio." in page.locator("#observations-title + ol").inner_text()

    page.goto(f"/j/{slug}/mesa/sesiones/{scene['meeting']}")
    axe_check(page)
    confirm = page.locator(f"form[action$='/mesa/acuerdos/{scene['act']}/confirmar'] button[type=submit]")
    assert confirm.count() == 1
    confirm.click()
    page.wait_for_url(f"**/j/{slug}/mesa/sesiones/{scene['meeting']}")
    assert page.locator(".badge-in_force").count() == 1
    assert page.locator(f"form[action$='/mesa/acuerdos/{scene['act']}/confirmar']").count() == 0
    # A member edits nothing: the commitment's edit page is refused.
    assert page.goto(f"/j/{slug}/{cycle}/compromisos/1/editar").status == 403

    _publish(live_app, scene)
    visitor = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True)
    try:
        reader = visitor.new_page()
        reader.goto(f"/j/{slug}/{cycle}")
        reader.locator(f"a[href$='/j/{slug}/{cycle}/plan/publicado']").click()
        reader.wait_for_url(f"**/j/{slug}/{cycle}/plan/publicado")
        assert "Agregar metas por barrio." in reader.locator("main").inner_text()
        assert "Se agregan metas por barrio." in reader.locator("main").inner_text()
        axe_check(reader)
        with reader.expect_download() as downloading:
            reader.locator("a[href$='/plan.pdf']").click()
        download = downloading.value
        assert download.suggested_filename.endswith("-v1.pdf")
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    finally:
        visitor.close()


def test_a_visitor_without_javascript_downloads_the_plan(no_js_page, live_app):
    scene = _scene(live_app)
    from consulta.accounts.models import User
    from consulta.extensions import db
    from consulta.mesa import services
    from consulta.mesa.models import MesaAct

    with live_app.app_context():
        act = db.session.get(MesaAct, scene["act"])
        services.confirm_act(act, actor=db.session.scalar(db.select(User).where(User.email == scene["member"])))
        db.session.commit()
    _publish(live_app, scene)
    no_js_page.goto(f"/j/{scene['slug']}/{scene['cycle']}/plan/publicado")
    assert no_js_page.locator("h1").count() == 1
    with no_js_page.expect_download() as downloading:
        no_js_page.locator("a[href$='/plan.docx']").click()
    with open(downloading.value.path(), "rb") as docx:
        assert docx.read(2) == b"PK"
