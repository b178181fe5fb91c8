"""Jurisdictions, organisations and their administration in a real browser: asking to represent an
organisation, a moderator verifying it, the administrators' pages — clicked, in English and Spanish,
each page checked by axe."""
import pytest
from playwright.sync_api import expect

import config
from consulta import create_app
from consulta.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def people(live_server):
    """Accounts and places in the live server's database, made through the services."""
    from consulta.accounts.services import create_user
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role, national

    seeding = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)
    with seeding.app_context():
        country = national() or create_jurisdiction(name="Nivel nacional", slug="nacional",
                                                    kind=JurisdictionKind.NATIONAL, actor=None)
        place = create_jurisdiction(name="Cerrillos de Prueba", slug="cerrillos-prueba", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        add_entity(place, name="Dirección de Prueba", actor=None)
        accounts = {}
        for key, name in (("person", "Paula Pide"), ("moderator", "Mario Modera"), ("admin", "Ada Administra")):
            accounts[key] = create_user(email=f"{key}.orgs@example.org", password=PASSWORD, display_name=name,
                                        verified=True)
        grant_role(accounts["moderator"], Role.MODERATOR, place, actor=None)
        grant_role(accounts["admin"], Role.ADMIN, country, actor=None)
        db.session.commit()
        return {key: user.email for key, user in accounts.items()}


def sign_in(page, email, language="en"):
    page.goto(f"/lang/{language}?next=/cuenta/ingresar")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_asking_and_verifying_by_clicking(browser, live_server, people, axe_check, outbox_messages):
    person = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True).new_page()
    sign_in(person, people["person"])
    person.goto("/organizaciones/solicitar")
    axe_check(person)
    person.get_by_label("Name of the organisation").fill("Red de Prueba")
    person.get_by_label("Civil-society organisation").check()
    person.get_by_label("RUT of the organisation").fill("76.123.456-7")
    person.get_by_label("Where does the organisation take part?").select_option(label="Cerrillos de Prueba")
    person.get_by_role("button", name="Send the request").click()
    expect(person.get_by_text("This is not a valid RUT").first).to_be_visible()
    axe_check(person)
    person.get_by_label("RUT of the organisation").fill("76.123.456-0")
    person.get_by_role("button", name="Send the request").click()
    person.wait_for_url("**/organizaciones/mias")
    expect(person.get_by_text("Awaiting verification")).to_be_visible()
    axe_check(person)

    moderator = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True).new_page()
    sign_in(moderator, people["moderator"], language="es")
    moderator.goto("/organizaciones/verificar")
    axe_check(moderator)
    moderator.get_by_role("link", name="Red de Prueba").click()
    axe_check(moderator)
    moderator.locator("#reject-title ~ form button[type=submit]").click()
    expect(moderator.locator("#error-summary")).to_be_visible()
    moderator.locator("#verify-reason").fill("Conocida en la comuna")
    moderator.locator("#verify-title ~ form button[type=submit]").click()
    moderator.wait_for_url("**/organizaciones/verificar")
    axe_check(moderator)

    [mail] = outbox_messages(to=people["person"])
    assert "Red de Prueba" in mail.subject and "Conocida en la comuna" in mail.body_text
    person.reload()
    expect(person.get_by_text("Verified").first).to_be_visible()
    person.get_by_role("link", name="Red de Prueba").click()
    assert person.locator("h1").inner_text() == "Red de Prueba"
    assert people["person"] not in person.content()
    axe_check(person)
    person.context.close()
    moderator.context.close()


def test_jurisdiction_pages_and_administration_by_clicking(page, people, axe_check):
    page.goto("/j/")
    axe_check(page)
    page.get_by_role("link", name="Cerrillos de Prueba").click()
    assert page.locator("h1").inner_text() == "Cerrillos de Prueba"
    axe_check(page)

    sign_in(page, people["admin"])
    page.goto("/j/cerrillos-prueba")
    page.get_by_role("button", name="Follow Cerrillos de Prueba").click()
    expect(page.get_by_role("button", name="Stop following Cerrillos de Prueba")).to_be_visible()

    page.goto("/j/admin/")
    axe_check(page)
    page.get_by_role("link", name="Edit Cerrillos de Prueba").click()
    axe_check(page)
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_text("Mars/Olympus is not a known time zone").first).to_be_visible()

    page.goto("/j/admin/")
    page.get_by_role("link", name="People and their roles").click()
    page.get_by_label("Email or name").fill("Paula")
    page.get_by_role("button", name="Search").click()
    axe_check(page)
    page.get_by_role("link", name="Paula Pide").click()
    axe_check(page)
    page.get_by_label("Role", exact=True).select_option(label="Mesa member")
    page.get_by_label("Jurisdiction").select_option(label="Cerrillos de Prueba")
    page.get_by_label("Reason (kept in the role's history)").fill("Elected by the forum")
    page.get_by_role("button", name="Give the role").click()
    expect(page.get_by_text("Elected by the forum")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Revoke this role").click()
    expect(page.locator("#error-summary")).to_be_visible()
    page.get_by_label("Reason for revoking").fill("Term ended")
    page.get_by_role("button", name="Revoke this role").click()
    expect(page.get_by_text("Term ended")).to_be_visible()
    axe_check(page)
