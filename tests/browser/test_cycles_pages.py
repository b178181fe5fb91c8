"""Cycles in a real browser: an administrator creates a cycle, types the 3rd plan's per-sector
intake windows, opens the phase; a follower is emailed; the public timeline shows local times with
their zone, with and without JavaScript. Every page is checked by axe."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

import config
from consulta import create_app
from consulta.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PLACE = "lo-prado-ciclos"


@pytest.fixture(scope="module")
def people(live_server):
    """A municipality, its administrator and a follower, in the live server's database."""
    from consulta.accounts.services import create_user
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction, follow, grant_role

    seeding = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)
    with seeding.app_context():
        place = create_jurisdiction(name="Lo Prado de Prueba", slug=PLACE, kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        admin = create_user(email="admin.cycles@example.org", password=PASSWORD, display_name="Alba Administra",
                            verified=True)
        fan = create_user(email="fan.cycles@example.org", password=PASSWORD, display_name="Fabián Sigue",
                          verified=True)
        grant_role(admin, Role.ADMIN, place, actor=None)
        follow(fan, place)
        db.session.commit()
        return {"admin": admin.email, "fan": fan.email}


def sign_in(page, email):
    page.goto("/lang/en?next=/cuenta/ingresar")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_an_administrator_schedules_and_opens_intake_by_clicking(page, no_js_page, people, axe_check, set_clock,
                                                                 outbox_messages):
    sign_in(page, people["admin"])
    page.goto(f"/j/{PLACE}/admin/ciclos")
    axe_check(page)
    page.get_by_role("link", name="New cycle").click()
    page.get_by_label("Name").fill("Plan local 2016-2018")
    page.get_by_label("Address").fill("plan-local-2016")
    page.get_by_label("Reference prefix").fill("LP16")
    page.get_by_label("Starts on").fill("2016-01-01")
    page.get_by_label("Ends on").fill("2015-12-31")
    page.get_by_role("button", name="Create the cycle").click()
    expect(page.get_by_text("The cycle cannot end before it starts.").first).to_be_visible()
    assert page.get_by_label("Name").input_value() == "Plan local 2016-2018"  # nothing typed is lost
    axe_check(page)
    page.get_by_label("Ends on").fill("2018-06-30")
    page.get_by_role("button", name="Create the cycle").click()
    assert page.locator("h1").inner_text() == "Cycle: Plan local 2016-2018"
    axe_check(page)

    page.get_by_role("link", name="Set the dates of Proposal intake").click()
    agencies = page.get_by_role("group", name="Public agency")
    organisations = page.get_by_role("group", name="Civil-society organisation")
    agencies.get_by_label("First day", exact=True).fill("2016-05-02")
    agencies.get_by_label("Last day", exact=True).fill("2016-06-15")
    organisations.get_by_label("First day", exact=True).fill("2016-04-21")
    organisations.get_by_label("Last day", exact=True).fill("2016-05-25")
    axe_check(page)
    page.get_by_role("button", name="Save the dates").click()
    assert page.locator("h1").inner_text() == "Cycle: Plan local 2016-2018"

    set_clock(datetime(2016, 4, 22, 12, tzinfo=UTC))
    page.get_by_role("link", name="Open Proposal intake").click()
    axe_check(page)
    page.get_by_label("Reason (shown in the public history)").fill("Launch of the local plan")
    page.get_by_role("button", name="Open Proposal intake").click()
    expect(page.get_by_text("Proposal intake is open.")).to_be_visible()

    [email] = outbox_messages(to=people["fan"])
    assert f"/j/{PLACE}/plan-local-2016" in " ".join(email.links)

    for viewer in (page, no_js_page):
        viewer.goto(f"/lang/en?next=/j/{PLACE}/plan-local-2016")
        timeline = viewer.locator("main").inner_text()
        assert "21 Apr 2016, 00:00" in timeline and "Chile" in timeline  # local time, zone named
        assert "16 Jun 2016, 00:00" in timeline  # the last day ends at the next local midnight
        assert "Launch of the local plan" in timeline
    axe_check(page)
