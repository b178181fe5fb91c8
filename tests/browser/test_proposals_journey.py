"""The formulario único in a real browser: a civil-society representative drafts a proposal for the
organisation, reviews the similar proposals already received, sends it, and finds the receipt in
the outbox; the same with JavaScript off. Every page on the way passes axe."""
import secrets
from datetime import timedelta

import pytest

import config
from consulta import create_app

pytestmark = pytest.mark.browser

PASSWORD = "proposals journey password"


@pytest.fixture(scope="module")
def live_app(live_server):
    """An app on the live server's database, to set the scene through the services."""
    from consulta.extensions import db

    app = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)
    yield app
    with app.app_context():
        db.engine.dispose()  # PostgreSQL's driver warns about connections still open at exit


def _scene(live_app) -> dict:
    """A cycle taking proposals today, with two already received (one close to what the
    representative will write), and an OSC whose representative a moderator verified."""
    from consulta.accounts.services import create_user
    from consulta.core import clock
    from consulta.core.audit import transition
    from consulta.core.sectors import Sector
    from consulta.core.windows import to_local, window_from_dates
    from consulta.cycles.models import PhaseKind, PhaseState
    from consulta.cycles.services import create_cycle, set_phase
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction, grant_role
    from consulta.organisations.services import request_representation, verify_representation
    from consulta.proposals import services
    from consulta.proposals.models import OgpValue

    token = secrets.token_hex(4)
    with live_app.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        people = {role: create_user(email=f"{role}-{token}@example.org", password=PASSWORD, verified=True,
                                    display_name=name)
                  for role, name in (("moderator", "Marta Modera"), ("representative", "Rosa Representa"),
                                     ("neighbour", "Nicolás Vecino"))}
        grant_role(people["moderator"], Role.MODERATOR, place, actor=None)
        today = to_local(clock.now(), place.timezone).date()
        cycle = create_cycle(place, name="Plan local de gobierno abierto", slug="plan-local",
                             code=f"R{token[:4].upper()}", starts_on=today - timedelta(days=60),
                             ends_on=today + timedelta(days=300), actor=None)
        phase = set_phase(cycle, PhaseKind.INTAKE, actor=None, window=window_from_dates(
            today - timedelta(days=5), today + timedelta(days=20), place.timezone))
        transition(phase, PhaseState.OPEN, actor=None)
        area = services.add_area(cycle, name="Transparencia e integridad", actor=None)
        services.add_area(cycle, name="Recursos naturales y medio ambiente", actor=None)
        representation = request_representation(people["representative"], name="Fundación Renca Abierta",
                                                sector=Sector.OSC, jurisdiction=place)
        verify_representation(representation, actor=people["moderator"])
        for title, body in (
            ("Datos abiertos del presupuesto municipal",
             "Publicar el presupuesto y los contratos municipales en formatos abiertos cada mes."),
            ("Más áreas verdes en las plazas", "Plantar árboles nativos en las plazas del sector norte."),
        ):
            services.submit_proposal(cycle=cycle, author=people["neighbour"], actor=people["neighbour"],
                                     title=title, problem="Hoy no se sabe.", body=body, area=area,
                                     values=[OgpValue.TRANSPARENCIA])
        db.session.commit()
        return {"register": f"/j/{place.slug}/{cycle.slug}/propuestas", "code": cycle.code,
                **{role: person.email for role, person in people.items()}}


def _signed_in(browser, live_server, email, *, javascript: bool):
    """A fresh browser (JavaScript on or off), switched to English, signed in as `email`."""
    context = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=javascript,
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/")
    page.locator("nav.lang a[hreflang=en]").click()
    page.wait_for_load_state()
    page.goto("/cuenta/ingresar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/cuenta/ingresar" not in page.url
    return page


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_representative_drafts_reviews_the_similar_proposals_sends_and_gets_the_receipt(
        browser, live_server, live_app, axe_check, outbox_messages, javascript):
    scene = _scene(live_app)
    page = _signed_in(browser, live_server, scene["representative"], javascript=javascript)
    check = axe_check if javascript else (lambda page: None)  # axe runs as a script: only with JavaScript

    page.goto(scene["register"])
    assert "2 proposals received" in page.locator("main").inner_text()
    check(page)
    page.locator("main a", has_text="Send a proposal").click()
    page.wait_for_load_state()
    check(page)

    page.get_by_label("Fundación Renca Abierta (Civil-society organisation)").check()
    page.fill("#title", "Presupuesto municipal en datos abiertos")
    page.fill("#problem", "Los vecinos no saben en qué se gasta el presupuesto de la comuna.")
    page.fill("#body", "Publicar cada mes el presupuesto municipal y sus contratos en datos abiertos.")
    page.select_option("#area", label="Transparencia e integridad")
    page.check("input[name=values][value=TRANSPARENCIA]")
    page.check("input[name=values][value=RENDICION_DE_CUENTAS]")
    page.fill("#entity_name", "Municipalidad de Renca")
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    assert "/borradores/" in page.url
    assert "Draft saved" in page.locator("main").inner_text()
    assert page.input_value("#title") == "Presupuesto municipal en datos abiertos"
    assert [m for m in outbox_messages(to=scene["representative"]) if scene["code"] in m.subject] == []

    page.locator("button[name=review]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/revisar")
    assert page.locator("h1").inner_text() == "Review and send"
    similar = page.locator("section[aria-labelledby=similar-title] li a")
    assert similar.count() >= 1
    assert "Datos abiertos del presupuesto municipal" in similar.first.inner_text()
    check(page)
    similar.first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Datos abiertos del presupuesto municipal"
    page.go_back()
    page.wait_for_load_state()

    page.locator("main form button[type=submit]", has_text="Send the proposal").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Presupuesto municipal en datos abiertos"
    text = page.locator("main").inner_text()
    assert f"{scene['code']}-0003" in text and "Fundación Renca Abierta" in text
    assert "Civil-society organisation" in text
    check(page)

    [receipt] = [m for m in outbox_messages(to=scene["representative"]) if scene["code"] in m.subject]
    assert f"{scene['code']}-0003" in receipt.subject
    assert any(link == page.url for link in receipt.links)
    page.goto(scene["register"])
    assert "3 proposals received" in page.locator("main").inner_text()
    page.context.close()


def test_a_moderator_enters_a_letter_and_an_author_edits_then_withdraws_every_page_accessible(
        browser, live_server, live_app, axe_check, outbox_messages):
    scene = _scene(live_app)
    moderator = _signed_in(browser, live_server, scene["moderator"], javascript=True)
    moderator.goto(scene["register"] + "/moderacion")
    assert scene["neighbour"] in moderator.locator("main").inner_text()  # contact data, for moderators only
    axe_check(moderator)
    moderator.locator("main a", has_text="Enter a proposal received by another channel").click()
    moderator.wait_for_load_state()
    axe_check(moderator)
    moderator.select_option("#channel", "LETTER")
    moderator.fill("#submitter_name", "Junta de Vecinos 7")
    moderator.fill("#submitter_email", "junta7@example.org")
    moderator.select_option("#sector", "OSC")
    moderator.fill("#title", "Luminarias en el pasaje")
    moderator.fill("#problem", "El pasaje está oscuro de noche.")
    moderator.fill("#body", "Instalar luminarias y publicar el plan de obras.")
    moderator.select_option("#area", label="Transparencia e integridad")
    moderator.check("input[name=values][value=PARTICIPACION]")
    moderator.locator("main form button[type=submit]").click()
    moderator.wait_for_load_state()
    text = moderator.locator("main").inner_text()
    assert moderator.locator("h1").inner_text() == "Luminarias en el pasaje"
    assert "Letter" in text and "junta7@example.org" in text
    axe_check(moderator)
    letter_page = moderator.url

    author = _signed_in(browser, live_server, scene["neighbour"], javascript=True)
    author.goto(letter_page)
    assert "junta7@example.org" not in author.locator("main").inner_text()
    author.goto(scene["register"] + f"/{scene['code']}-0001")
    author.locator("main a", has_text="Edit").click()
    author.wait_for_load_state()
    axe_check(author)
    author.fill("#title", "Datos abiertos del presupuesto municipal, cada mes")
    author.locator("main form button[type=submit]").click()
    author.wait_for_load_state()
    assert "Edited" in author.locator("main").inner_text()
    author.locator("main a", has_text="Read its 2 versions").click()
    author.wait_for_load_state()
    axe_check(author)
    author.go_back()
    author.wait_for_load_state()
    author.locator("main a", has_text="Withdraw").click()
    author.wait_for_load_state()
    axe_check(author)
    author.get_by_label("It already exists").check()
    author.locator("main form button[type=submit]").click()
    author.wait_for_load_state()
    assert "Withdrawn by its author: It already exists" in author.locator("main").inner_text()
    axe_check(author)
    author.goto(scene["register"] + "/borradores")
    axe_check(author)

    moderator.goto(scene["register"] + f"/{scene['code']}-0002")
    moderator.locator("main a", has_text="Mark as not admissible").click()
    moderator.wait_for_load_state()
    axe_check(moderator)
    moderator.fill("#reason", "Repite una propuesta anterior palabra por palabra.")
    moderator.locator("main form button[type=submit]").click()
    moderator.wait_for_load_state()
    assert "Not admissible" in moderator.locator("main").inner_text()
    # The notice is in the author's language (Spanish): found by its reason, as typed.
    [notice] = [m for m in outbox_messages(to=scene["neighbour"]) if "Repite una propuesta anterior" in m.body_text]
    assert f"{scene['code']}-0002" in notice.subject
    moderator.goto(scene["register"])
    assert "3 proposals received" in moderator.locator("main").inner_text()
    moderator.context.close()
    author.context.close()
