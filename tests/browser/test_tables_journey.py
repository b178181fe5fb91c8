"""Working tables in a real browser: a citizen registers for a full table and sees the waiting
position, another person cancels, the citizen is promoted and the email is in the outbox."""
import secrets
from datetime import timedelta

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "tables journey password"


def _scene(live_server):
    """A table of two seats, both taken, one by `holder`; `citizen` has no registration yet."""
    from consulta.accounts.services import create_user
    from consulta.core import clock
    from consulta.cycles.services import create_cycle
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction, grant_role
    from consulta.tables import services

    token = secrets.token_hex(4)
    with live_server.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        people = {role: create_user(email=f"{role}-{token}@example.org", password=PASSWORD, verified=True,
                                    display_name=name)
                  for role, name in (("moderator", "Marta Modera"), ("holder", "Hugo Asiento"),
                                     ("other", "Olga Otra"), ("citizen", "Carla Ciudadana"))}
        grant_role(people["moderator"], Role.MODERATOR, place, actor=None)
        today = clock.now().date()
        cycle = create_cycle(place, name="Plan local", slug="plan-local", code=f"R{token[:4].upper()}",
                             starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=300), actor=None)
        table = services.create_table(cycle, title="Mesa de participación", area="Participación ciudadana",
                                      starts_at=clock.now() + timedelta(days=10), address="Blanco Encalada 1335",
                                      commune="Renca", capacity=2, actor=people["moderator"])
        services.register(table, user=people["holder"])
        services.register(table, user=people["other"])
        db.session.commit()
        return {"table": table.id, "cycle": f"{place.slug}/{cycle.slug}",
                **{role: person.email for role, person in people.items()}}


def _signed_in(browser, live_server, email):
    """A fresh browser, switched to English, signed in as `email`."""
    page = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True).new_page()
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


def test_a_citizen_waits_for_a_full_table_and_is_promoted_when_someone_cancels(
        browser, live_server, axe_check, outbox_messages):
    scene = _scene(live_server)
    table_page = f"/mesas/{scene['table']}"

    citizen = _signed_in(browser, live_server, scene["citizen"])
    citizen.goto(table_page)
    assert citizen.locator("h1").inner_text() == "Mesa de participación"
    assert "Full: waiting list" in citizen.locator("main").inner_text()
    axe_check(citizen)
    citizen.locator(f"a[href$='{table_page}/inscripcion']").click()
    citizen.wait_for_load_state()
    axe_check(citizen)
    citizen.fill("#needs", "Necesito subtítulos")
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_load_state()
    assert citizen.url.endswith(table_page)
    assert "You are number 1 on the waiting list" in citizen.locator("main").inner_text()

    holder = _signed_in(browser, live_server, scene["holder"])
    holder.goto(table_page)
    holder.locator("main form[action$='/cancelar'] button").click()
    holder.wait_for_load_state()
    assert "Your registration is cancelled" in holder.locator("main").inner_text()

    citizen.reload()
    text = citizen.locator("main").inner_text()
    assert "Your seat is confirmed" in text and "You are number" not in text
    axe_check(citizen)

    [email] = outbox_messages(to=scene["citizen"])
    assert "Mesa de participación" in email.subject
    assert any(link.endswith(table_page) for link in email.links)
    assert outbox_messages(to=scene["other"]) == []
    holder.context.close()
    citizen.context.close()


def test_the_moderators_pages_pass_axe(browser, live_server, axe_check):
    scene = _scene(live_server)
    moderator = _signed_in(browser, live_server, scene["moderator"])
    table = f"/mesas/{scene['table']}"
    for path in (f"/mesas/{scene['cycle']}", f"/mesas/{scene['cycle']}/nueva", f"{table}/gestion", f"{table}/lista",
                 f"{table}/acta", f"{table}/propuestas"):
        moderator.goto(path)
        assert moderator.locator("h1").count() == 1, path
        axe_check(moderator)
    # A refused form is accessible too: its errors are announced and linked to their fields.
    moderator.goto(f"{table}/gestion")
    moderator.fill("#code", "NOPE42")
    moderator.locator(f"main form[action='{table}/asistencia'] button[type=submit]").click()
    moderator.wait_for_load_state()
    assert moderator.locator("#error-summary").count() == 1
    axe_check(moderator)
    moderator.context.close()
