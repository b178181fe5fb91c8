"""The public consultation in a real browser: a citizen comments on commitment N° 4 with JavaScript
off, quoting the frozen text; another person reports the comment; a moderator finds it in the queue
and answers it, and the citizen's email carries the answer. Pages with JavaScript pass axe."""
import secrets
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "consultation journey password"
# Commitment N° 4 of the 4th plan, as the seed gives it.
MODEL_TEXT = ("Promover y gestionar la adhesión de municipalidades del país al Modelo de Gobierno Abierto "
              "Municipal. Se dará especial énfasis a los municipios de regiones alejadas de la capital.")
QUOTE = "Se dará especial énfasis a los municipios de regiones alejadas de la capital."


def _scene(live_server) -> dict:
    """A jurisdiction whose draft plan of four commitments is in public consultation today."""
    from consulta.accounts.services import create_user
    from consulta.commitments.services import add_activity, create_commitment
    from consulta.core import clock
    from consulta.core.windows import to_local, window_from_dates
    from consulta.cycles.models import PhaseKind
    from consulta.cycles.services import create_cycle, open_phase, set_phase
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import add_area

    token = secrets.token_hex(4)
    with live_server.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        people = {role: create_user(email=f"{role}-{token}@example.org", password=PASSWORD, verified=True,
                                    display_name=name)
                  for role, name in (("moderator", "Marta Modera"), ("citizen", "Carla Ciudadana"),
                                     ("neighbour", "Nicolás Vecino"))}
        grant_role(people["moderator"], Role.MODERATOR, place, actor=None)
        today = to_local(clock.now(), place.timezone).date()
        cycle = create_cycle(place, name="Plan local de gobierno abierto", slug="plan-local",
                             code=f"R{token[:4].upper()}", starts_on=today - timedelta(days=60),
                             ends_on=today + timedelta(days=700), actor=None)
        area = add_area(cycle, name="Modernización del Estado", actor=None)
        entity = add_entity(place, name="Consejo para la Transparencia", actor=None)
        for number, name, text in (
            (1, "Datos abiertos del presupuesto", "Publicar el presupuesto municipal en datos abiertos."),
            (2, "Cuentas públicas participativas", "Rendir cuentas en cabildos por sector."),
            (3, "Registro de lobby municipal", "Publicar las audiencias de lobby de la municipalidad."),
            (4, "Modelo de Gobierno Abierto Municipal", MODEL_TEXT),
        ):
            commitment = create_commitment(
                cycle, number=number, name=name, area=area, entity=entity, starts_on=date(2018, 12, 1),
                ends_on=date(2020, 8, 31), problem="Los municipios no conocen el Modelo.", commitment_text=text,
                contribution="", values=[OgpValue.PARTICIPACION], from_proposals=[], actor=people["moderator"])
        add_activity(commitment, name="Difusión del Modelo y promoción de la adhesión municipal.",
                     starts_on=date(2019, 5, 1), ends_on=date(2019, 10, 30), actor=people["moderator"])
        phase = set_phase(cycle, PhaseKind.CONSULTATION, actor=None, window=window_from_dates(
            today - timedelta(days=2), today + timedelta(days=10), place.timezone))
        open_phase(phase, actor=None)
        db.session.commit()
        return {"consultation": f"/j/{place.slug}/{cycle.slug}/consulta",
                **{role: person.email for role, person in people.items()}}


def _sign_in(page, email):
    page.goto("/lang/en?next=/cuenta/ingresar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/cuenta/ingresar" not in page.url


def test_a_citizen_comments_on_commitment_4_without_javascript_another_reports_it_a_moderator_answers(
        browser, live_server, no_js_page, axe_check, outbox_messages):
    scene = _scene(live_server)

    citizen = no_js_page
    _sign_in(citizen, scene["citizen"])
    citizen.goto(scene["consultation"])
    assert citizen.locator("h1").inner_text().startswith("Public consultation")
    citizen.get_by_role("link", name="Commitment N° 4: Modelo de Gobierno Abierto Municipal").click()
    citizen.wait_for_load_state()
    assert citizen.url.endswith("/consulta/compromisos/4")
    citizen.get_by_label("Which part is it about? (optional)").select_option(label="What is the commitment?")
    citizen.get_by_label("Quote the sentence you comment on (optional)").fill("Una frase que no está")
    citizen.get_by_label("Your comment").fill("Pido metas por región para medir la adhesión.")
    citizen.get_by_label("Against").check()
    citizen.get_by_role("button", name="Publish the comment").click()
    citizen.wait_for_load_state()
    assert "The quote is not in the text under consultation" in citizen.locator("main").inner_text()
    assert citizen.get_by_label("Your comment").input_value() == "Pido metas por región para medir la adhesión."
    citizen.get_by_label("Quote the sentence you comment on (optional)").fill(QUOTE)
    citizen.get_by_role("button", name="Publish the comment").click()
    citizen.wait_for_load_state()
    main = citizen.locator("main").inner_text()
    assert "your comment is published" in main and "Pido metas por región" in main and QUOTE in main
    assert "1 comment received" in main

    neighbour = browser.new_context(base_url=live_server.url, locale="es-CL", java_script_enabled=False).new_page()
    _sign_in(neighbour, scene["neighbour"])
    neighbour.goto(scene["consultation"] + "/compromisos/4")
    comment = neighbour.locator("article.comment", has_text="Pido metas por región")
    comment.get_by_role("link", name="Report").click()
    neighbour.wait_for_load_state()
    neighbour.get_by_label("Spam").check()
    neighbour.get_by_label("Details (optional)").fill("Parece repetido.")
    neighbour.get_by_role("button", name="Send the report").click()
    neighbour.wait_for_load_state()
    assert "the moderators will look at it" in neighbour.locator("main").inner_text()
    neighbour.context.close()

    moderator = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True).new_page()
    _sign_in(moderator, scene["moderator"])
    moderator.goto(scene["consultation"] + "/moderacion")
    axe_check(moderator)
    reported = moderator.locator("section[aria-labelledby=reported-title]")
    assert "1 report" in reported.inner_text()
    reported.get_by_role("link").first.click()
    moderator.wait_for_load_state()
    assert "Parece repetido." in moderator.locator("main").inner_text()
    axe_check(moderator)
    moderator.locator("main ul.actions a", has_text="Answer").first.click()
    moderator.wait_for_load_state()
    axe_check(moderator)
    moderator.get_by_label("Incorporated into the text").check()
    moderator.get_by_label("The official answer").fill("Agregamos una meta de adhesión por región.")
    moderator.get_by_role("button", name="Publish the official answer").click()
    moderator.wait_for_load_state()
    answered = moderator.locator("main .official-answer").inner_text()
    assert "Official answer of Renca" in answered and "Agregamos una meta de adhesión por región." in answered
    moderator.goto(scene["consultation"] + "/compromisos/4")
    axe_check(moderator)
    moderator.goto(scene["consultation"])
    assert "Awaiting an answer" in moderator.locator("main").inner_text()
    axe_check(moderator)
    moderator.context.close()

    citizen.goto(scene["consultation"] + "/compromisos/4")
    assert "Official answer of Renca" in citizen.locator("main").inner_text()
    [mail] = [m for m in outbox_messages(to=scene["citizen"]) if "Agregamos una meta" in m.body_text]
    assert any("/consulta/comentarios/" in link for link in mail.links)
