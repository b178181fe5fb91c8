"""Triage in a real browser: a moderator answers three proposals at once from an answer template
(previewing every response first), merges two proposals that say the same, and drafts a commitment
from them; the authors find the responses in their email and the public pages show where each went.
Every page on the way passes axe."""
import secrets
from datetime import timedelta

import pytest

import config
from consulta import create_app

pytestmark = pytest.mark.browser

PASSWORD = "triage journey password"


@pytest.fixture(scope="module")
def live_app(live_server):
    """An app on the live server's database, to set the scene through the services."""
    return create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)


def _scene(live_app) -> dict:
    """A municipality's cycle with five proposals received from five neighbours (two of them about
    the same budget data), an answer template and a responsible entity."""
    from consulta.accounts.services import create_user
    from consulta.core import clock
    from consulta.core.audit import transition
    from consulta.core.windows import to_local, window_from_dates
    from consulta.cycles.models import PhaseKind, PhaseState
    from consulta.cycles.services import create_cycle, set_phase
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role
    from consulta.proposals import services
    from consulta.proposals.models import OgpValue
    from consulta.triage.services import create_template

    token = secrets.token_hex(4)
    with live_app.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        moderator = create_user(email=f"moderator-{token}@example.org", password=PASSWORD, verified=True,
                                display_name="Marta Modera")
        grant_role(moderator, Role.MODERATOR, place, actor=None)
        add_entity(place, name="Dirección de Transparencia Municipal", actor=None)
        today = to_local(clock.now(), place.timezone).date()
        cycle = create_cycle(place, name="Plan local de gobierno abierto", slug="plan-local",
                             code=f"T{token[:4].upper()}", starts_on=today - timedelta(days=60),
                             ends_on=today + timedelta(days=700), actor=None)
        phase = set_phase(cycle, PhaseKind.INTAKE, actor=None, window=window_from_dates(
            today - timedelta(days=5), today + timedelta(days=20), place.timezone))
        transition(phase, PhaseState.OPEN, actor=None)
        area = services.add_area(cycle, name="Transparencia e integridad", actor=None)
        texts = [
            ("Wifi gratis en las plazas", "Instalar wifi público en todas las plazas."),
            ("Un festival de cine", "Organizar un festival de cine de barrio cada verano."),
            ("Pintar las sedes vecinales", "Pintar las sedes de las juntas de vecinos."),
            ("Presupuesto municipal en datos abiertos",
             "Publicar cada mes el presupuesto municipal y su ejecución en datos abiertos."),
            ("Datos abiertos del presupuesto de la comuna",
             "Publicar el presupuesto de la comuna y su ejecución mensual como datos abiertos."),
        ]
        references, authors = [], []
        for number, (title, body) in enumerate(texts, start=1):
            author = create_user(email=f"vecina{number}-{token}@example.org", password=PASSWORD, verified=True,
                                 display_name=f"Vecina {number}")
            proposal = services.submit_proposal(cycle=cycle, author=author, actor=author, title=title,
                                                problem="Hoy no se sabe en qué se gasta.", body=body, area=area,
                                                values=[OgpValue.TRANSPARENCIA])
            references.append(proposal.reference)
            authors.append(author.email)
        create_template(place, name="No acogida en este plan", outcome="NOT_ACCEPTED", actor=moderator,
                        text="Estimada {autor}: la propuesta {codigo} no se acoge en este plan, porque excede "
                             "las competencias municipales.")
        db.session.commit()
        return {"cycle": f"/j/{place.slug}/{cycle.slug}", "templates": f"/j/{place.slug}/admin/plantillas-respuesta",
                "references": references, "authors": authors, "moderator": moderator.email}


def _signed_in(browser, live_server, email):
    """A fresh browser, switched to English, signed in as `email`."""
    context = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True)
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


def test_a_moderator_answers_three_in_bulk_merges_two_and_drafts_a_commitment_from_them(
        browser, live_server, live_app, axe_check, outbox_messages):
    scene = _scene(live_app)
    first, second, third, kept, merged = scene["references"]
    page = _signed_in(browser, live_server, scene["moderator"])

    # Three answered at once from the template, every response previewed first.
    page.goto(scene["cycle"] + "/triaje")
    assert "5 received proposals still have no final outcome" in page.locator("main").inner_text()
    axe_check(page)
    for reference in (first, second, third):
        page.check(f"#choose-{reference}")
    page.locator("main button", has_text="Answer the chosen ones together").click()
    page.wait_for_load_state()
    assert "3 proposals chosen" in page.locator("main").inner_text()
    page.get_by_label("Not taken up").check()
    page.select_option("#template", label="No acogida en este plan")
    page.locator("button[name=preview]").click()
    page.wait_for_load_state()
    previews = page.locator("section[aria-labelledby=preview-title] li")
    assert previews.count() == 3
    assert "Estimada Vecina 1: la propuesta " + first in previews.first.inner_text()
    axe_check(page)
    page.locator("button[name=publish]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/triaje")
    assert "2 received proposals still have no final outcome" in page.locator("main").inner_text()
    for reference, author in zip((first, second, third), scene["authors"], strict=False):
        [mail] = [m for m in outbox_messages(to=author) if "response" in m.subject.lower()
                  or "respuesta" in m.subject.lower()]
        assert reference in mail.body_text and "excede las competencias municipales" in mail.body_text

    # Two that say the same: one merged into the other.
    page.goto(f"{scene['cycle']}/triaje/{merged}")
    assert kept in page.locator("section[aria-labelledby=similar-title]").inner_text()
    axe_check(page)
    page.get_by_label("Merged into another").check()
    page.fill("#response", "Gracias: su propuesta dice lo mismo que la " + kept + " y se integra en ella.")
    page.fill("#merged_into", kept)
    page.locator("button[name=publish]").click()
    page.wait_for_load_state()
    assert "The response was published" in page.locator("main").inner_text()
    assert "Integrated into" in page.locator("main").inner_text()

    # A commitment drafted from both, their text offered as the start.
    page.goto(scene["cycle"] + "/triaje")
    page.check(f"#choose-{kept}")
    page.check(f"#choose-{merged}")
    page.locator("main button", has_text="Draft a commitment from the chosen ones").click()
    page.wait_for_load_state()
    assert page.input_value("#name") == "Presupuesto municipal en datos abiertos"
    assert f"{kept}, {merged}" == page.input_value("#proposals")
    axe_check(page)
    page.select_option("#entity", label="Dirección de Transparencia Municipal")
    page.fill("#starts_on", "2026-01-01")
    page.fill("#ends_on", "2027-06-30")
    page.locator("main form button[type=submit]", has_text="Save the commitment").click()
    page.wait_for_load_state()
    assert page.url.endswith("/compromisos/1")
    origins = page.locator("section[aria-labelledby=origins-title]").inner_text()
    assert kept in origins and merged in origins
    axe_check(page)

    # The public page of the merged one says where it went, both ways.
    page.goto(f"{scene['cycle']}/propuestas/{merged}")
    outcome = page.locator("section[aria-labelledby=outcome-title]").inner_text()
    assert "Integrated into" in outcome and kept in outcome and "Commitment N° 1" in outcome
    axe_check(page)

    # The coverage gauge counts them, each figure linking to its list; the other moderator pages pass axe too.
    page.goto(scene["cycle"] + "/cobertura")
    assert "5 proposals received, 4 answered with a final outcome, 1 pending" in page.locator("main").inner_text()
    axe_check(page)
    page.locator("main a", has_text="See the 1 proposal still waiting for its response").click()
    page.wait_for_load_state()
    assert kept in page.locator("main").inner_text()
    for path in ("/triaje/grupos", "/triaje/preparadas", "/plan", "/compromisos/1/actividades/nueva"):
        page.goto(scene["cycle"] + path)
        axe_check(page)
    page.goto(scene["templates"])
    assert "No acogida en este plan" in page.locator("main").inner_text()
    axe_check(page)
    page.context.close()
